"""pytest fixtures for tests against the Instagram emulator, served over loopback.

Use them with ``pytest_plugins = ["careline_instagram.testing"]``: ``instagram_servers``
(session-wide emulator and webhook sink), ``instagram_state`` (a fresh account on
``careline_clock``), ``instagram_live`` and ``instagram_channel``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from careline.clock import FrozenClock
from careline_facebook.emulator import EmulatorServers, LiveEmulator, serve_emulator

from careline_instagram.channel import InstagramChannel
from careline_instagram.emulator import InstagramEmulatorState, create_emulator


@pytest.fixture(scope="session")
def instagram_servers() -> Iterator[EmulatorServers]:
    """The Instagram emulator and a webhook sink on loopback, for the whole session."""
    with serve_emulator(create_emulator()) as running:
        yield running


@pytest.fixture
def instagram_state(careline_clock: FrozenClock) -> InstagramEmulatorState:
    """A fresh simulated account whose clock is the test's frozen clock."""
    return InstagramEmulatorState(clock=careline_clock)


@pytest.fixture
def instagram_live(
    instagram_servers: EmulatorServers, instagram_state: InstagramEmulatorState
) -> LiveEmulator:
    """The running emulator, serving ``instagram_state``, deliveries going to the sink."""
    return instagram_servers.attach(instagram_state)


@pytest.fixture
def instagram_channel(
    instagram_live: LiveEmulator, instagram_state: InstagramEmulatorState
) -> InstagramChannel:
    """The Instagram channel configured against the running emulator."""
    config = instagram_live.channel_config("ig_user_id", instagram_state.ig_user_id)
    return InstagramChannel(config, clock=instagram_state.clock)
