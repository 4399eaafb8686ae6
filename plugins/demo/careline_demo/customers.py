"""Simulated customers acting on the emulators: each generated message becomes a post, a comment
or a DM on its platform, which delivers the signed webhook careline receives.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field

from careline_demo.people import X_BRAND_HANDLE
from careline_demo.traffic import SimulatedMessage, TrafficGenerator
from careline_demo.world import World

log = logging.getLogger("careline.demo")


@dataclass
class Customers:
    """Turns :class:`SimulatedMessage` objects into platform activity, remembering threads."""

    world: World
    sent: Counter[str] = field(default_factory=Counter)
    # persona key and channel → ("public" | "private", id of their latest public item)
    _threads: dict[tuple[str, str], tuple[str, str | None]] = field(default_factory=dict)

    def act(self, message: SimulatedMessage) -> None:
        """Make the persona write ``message`` on its platform."""
        handler = {
            "twitter": self._on_x,
            "facebook": self._on_facebook,
            "instagram": self._on_instagram,
        }[message.channel]
        handler(message)
        self.sent[message.channel] += 1

    def _remember(self, message: SimulatedMessage, public_id: str | None) -> None:
        key = (message.persona.key, message.channel)
        self._threads[key] = ("public" if public_id else "private", public_id)

    def _thread(self, message: SimulatedMessage) -> tuple[str, str | None]:
        return self._threads.get((message.persona.key, message.channel), ("private", None))

    def _on_x(self, message: SimulatedMessage) -> None:
        state, handle = self.world.twitter, message.persona.handle
        kind = message.kind
        if kind == "follow_up":
            visibility, post_id = self._thread(message)
            if visibility == "private" or post_id is None:
                state.customer_sends_dm(handle, X_BRAND_HANDLE, message.text)
                return
            text = f"@{X_BRAND_HANDLE} {message.text}"
            state.customer_posts(handle, text, in_reply_to=post_id, lang=message.language)
            return
        if kind == "dm":
            state.customer_sends_dm(handle, X_BRAND_HANDLE, message.text)
            self._remember(message, None)
        elif kind == "retweet":
            state.customer_posts(handle, message.text, retweet_of=self.world.brand_post_id)
        else:
            post = state.customer_posts(handle, message.text, lang=message.language)
            if kind == "mention":
                self._remember(message, post.id)

    def _on_facebook(self, message: SimulatedMessage) -> None:
        state = self.world.facebook
        customer = state.customer(message.persona.name)
        kind = message.kind
        if kind == "follow_up":
            visibility, comment_id = self._thread(message)
            if visibility == "private" or comment_id is None:
                state.customer_message(customer, message.text)
            else:
                state.customer_comment(customer, message.text, reply_to=comment_id)
            return
        if kind == "message":
            state.customer_message(customer, message.text)
            self._remember(message, None)
        elif kind == "visitor_post":
            state.customer_post(customer, message.text)
        else:
            comment = state.customer_comment(customer, message.text)
            self._remember(message, comment.id)

    def _on_instagram(self, message: SimulatedMessage) -> None:
        state = self.world.instagram
        person = state.person(message.persona.handle)
        kind = message.kind
        if kind == "follow_up":
            visibility, comment_id = self._thread(message)
            if visibility == "private" or comment_id is None:
                state.customer_message(person, message.text)
            else:
                state.customer_comment(person, message.text, reply_to=comment_id)
            return
        if kind == "direct":
            state.customer_message(person, message.text)
            self._remember(message, None)
        elif kind == "mention":
            state.customer_mention(person, message.text)
        else:
            comment = state.customer_comment(person, message.text)
            self._remember(message, comment.id)


class TrafficLoop(threading.Thread):
    """A background thread: the next message, a pause, until stopped."""

    def __init__(self, customers: Customers, generator: TrafficGenerator, speed: float) -> None:
        super().__init__(name="careline-demo-traffic", daemon=True)
        self.customers = customers
        self.generator = generator
        self.speed = speed
        self.stopping = threading.Event()
        self.errors = 0

    def run(self) -> None:
        """Write messages at the generator's pace until :meth:`stop`."""
        while not self.stopping.is_set():
            message = self.generator.next_message()
            try:
                self.customers.act(message)
            except Exception:  # one failed simulated post must not end the demo
                self.errors += 1
                log.warning("a simulated %s message failed", message.channel, exc_info=True)
            self.stopping.wait(self.generator.pause(self.speed).total_seconds())

    def stop(self) -> None:
        """Stop after the current message."""
        self.stopping.set()
