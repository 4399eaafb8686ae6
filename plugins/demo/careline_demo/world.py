"""The simulated platforms: the X, Facebook and Instagram emulators with the demo's brand and
customers, served on loopback, and the ``careline.toml`` tables that point careline at them.

The demo uses each channel plugin's own emulator and its ordinary configuration (``base_url``
plus ``$env:`` references to the emulator's credentials), so careline runs the same code as
against the real platforms: signed webhooks in, polling, Graph and X API calls out.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from careline.clock import Clock
from careline_facebook.emulator import FacebookEmulatorState
from careline_facebook.emulator import create_emulator as create_facebook_emulator
from careline_instagram.emulator import InstagramEmulatorState
from careline_instagram.emulator import create_emulator as create_instagram_emulator
from careline_twitter.emulator import EmulatorState, create_emulator, serve_in_thread

from careline_demo import texts
from careline_demo.people import (
    FACEBOOK_PAGE_ID,
    INSTAGRAM_USER_ID,
    PERSONAS,
    X_BRAND_HANDLE,
    X_BRAND_ID,
    Persona,
)

ENV_PREFIX = "CARELINE_DEMO"
X_ENV_PREFIX = f"{ENV_PREFIX}_X"
LISTENING_QUERY = f"acme -from:{X_BRAND_HANDLE} -@{X_BRAND_HANDLE} -is:retweet"


def x_user_id(persona: Persona) -> str:
    """A stable X user id for a persona (so a demo folder's history matches across runs)."""
    return str(1501234567890200000 + PERSONAS.index(persona))


@dataclass
class World:
    """The three emulator states, their base URLs once served, and what the brand posted."""

    twitter: EmulatorState
    facebook: FacebookEmulatorState
    instagram: InstagramEmulatorState
    urls: dict[str, str] = field(default_factory=dict)
    brand_post_id: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def create(cls, clock: Clock | None = None) -> World:
        """The brand's accounts on all three platforms and every persona as a customer."""
        twitter = EmulatorState(clock=clock)
        twitter.add_brand(X_BRAND_HANDLE, "Acme Care", user_id=X_BRAND_ID)
        facebook = FacebookEmulatorState(page_id=FACEBOOK_PAGE_ID, page_name="Acme", clock=clock)
        instagram = InstagramEmulatorState(
            ig_user_id=INSTAGRAM_USER_ID, username="acme", clock=clock
        )
        for persona in PERSONAS:
            if "twitter" in persona.channels:
                twitter.add_customer(
                    persona.handle,
                    persona.name,
                    followers=persona.followers,
                    verified=persona.verified,
                    user_id=x_user_id(persona),
                )
            if "facebook" in persona.channels:
                facebook.add_customer(persona.name)
            if "instagram" in persona.channels:
                instagram.person(persona.handle)
        world = cls(twitter, facebook, instagram)
        world.publish_brand_posts()
        return world

    def publish_brand_posts(self) -> None:
        """The brand's own posts that customers comment on and retweet."""
        product = texts.PRODUCTS[0]
        post = self.twitter.create_post(X_BRAND_ID, texts.BRAND_POSTS[1].format(product=product))
        self.brand_post_id = post.id
        self.facebook.page_post(texts.BRAND_POSTS[0])
        self.instagram.publish(texts.BRAND_POSTS[1].format(product=texts.PRODUCTS[1]))

    # --- serving ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def serve(self) -> Iterator[World]:
        """Serve the three emulators on free loopback ports until the block ends."""
        with (
            serve_in_thread(create_emulator(self.twitter)) as twitter_url,
            serve_in_thread(create_facebook_emulator(self.facebook)) as facebook_url,
            serve_in_thread(create_instagram_emulator(self.instagram)) as instagram_url,
        ):
            self.urls = {
                "twitter": twitter_url,
                "facebook": facebook_url,
                "instagram": instagram_url,
            }
            try:
                yield self
            finally:
                self.stop_deliveries()

    def deliver_webhooks_to(self, careline_url: str) -> None:
        """Send every platform's signed webhooks to careline (X checks the CRC first)."""
        self.twitter.deliver_to(f"{careline_url}/webhooks/twitter")
        self.facebook.deliver_to(f"{careline_url}/webhooks/facebook")
        self.instagram.deliver_to(f"{careline_url}/webhooks/instagram")

    def stop_deliveries(self) -> None:
        """Stop sending webhooks (careline is going away)."""
        self.twitter.close()
        self.facebook.deliver_to(None)
        self.instagram.deliver_to(None)

    # --- configuration ------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """The emulators' credentials, for the ``$env:`` references of :meth:`channel_tables`."""
        return {
            **self.twitter.environment(X_ENV_PREFIX),
            f"{ENV_PREFIX}_FACEBOOK_ACCESS_TOKEN": self.facebook.page_token,
            f"{ENV_PREFIX}_FACEBOOK_APP_SECRET": self.facebook.app_secret,
            f"{ENV_PREFIX}_FACEBOOK_VERIFY_TOKEN": self.facebook.verify_token,
            f"{ENV_PREFIX}_INSTAGRAM_ACCESS_TOKEN": self.instagram.token,
            f"{ENV_PREFIX}_INSTAGRAM_APP_SECRET": self.instagram.app_secret,
            f"{ENV_PREFIX}_INSTAGRAM_VERIFY_TOKEN": self.instagram.verify_token,
        }

    def channel_tables(self) -> dict[str, dict[str, Any]]:
        """``[twitter]``, ``[facebook]`` and ``[instagram]`` as written in ``careline.toml``."""
        twitter = self.twitter.channel_config(self.urls["twitter"], env_prefix=X_ENV_PREFIX)
        twitter["searches"] = [{"query": LISTENING_QUERY}]
        twitter["max_results"] = 50
        return {
            "twitter": twitter,
            "facebook": self._meta_table("facebook", "page_id", FACEBOOK_PAGE_ID),
            "instagram": self._meta_table("instagram", "ig_user_id", INSTAGRAM_USER_ID),
        }

    def _meta_table(self, channel: str, account_key: str, account_id: str) -> dict[str, Any]:
        prefix = f"$env:{ENV_PREFIX}_{channel.upper()}"
        return {
            account_key: account_id,
            "access_token": f"{prefix}_ACCESS_TOKEN",
            "app_secret": f"{prefix}_APP_SECRET",
            "verify_token": f"{prefix}_VERIFY_TOKEN",
            "base_url": self.urls[channel],
        }

    # --- what the brand sent ------------------------------------------------------------------
    def brand_texts(self, channel: str) -> set[str]:
        """Every text the brand's account posted or sent on ``channel`` (public and private)."""
        if channel == "twitter":
            with self.twitter.lock:
                posts = {p.text for p in self.twitter.posts.values() if p.author_id == X_BRAND_ID}
                sent = {m.text for m in self.twitter.messages.values() if m.sender_id == X_BRAND_ID}
            return posts | sent
        if channel == "facebook":
            meta: FacebookEmulatorState | InstagramEmulatorState = self.facebook
            with self.facebook.lock:
                comments = {
                    c.message
                    for c in self.facebook.comments.values()
                    if c.author == FACEBOOK_PAGE_ID
                }
        else:
            meta = self.instagram
            with self.instagram.lock:
                comments = {
                    c.text
                    for c in self.instagram.comments.values()
                    if c.author == INSTAGRAM_USER_ID
                }
        account = FACEBOOK_PAGE_ID if channel == "facebook" else INSTAGRAM_USER_ID
        with meta.lock:
            private = {
                m.text
                for thread in meta.messaging.threads.values()
                for m in thread.messages
                if m.sender == account
            }
        return comments | private
