"""pytest fixtures for tests against the Facebook emulator, served over loopback.

Use them from a test module with ``pytest_plugins = ["careline_facebook.testing"]``:

- ``facebook_servers``: the emulator and a webhook sink, served once per test session;
- ``facebook_state``: a fresh simulated Page on careline's frozen clock (``careline_clock``);
- ``facebook_live``: the running emulator serving that state (:class:`LiveEmulator`);
- ``facebook_channel``: a :class:`FacebookChannel` configured against it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from careline.clock import FrozenClock

from careline_facebook.channel import FacebookChannel
from careline_facebook.emulator import (
    EmulatorServers,
    FacebookEmulatorState,
    LiveEmulator,
    create_emulator,
    serve_emulator,
)


@pytest.fixture(scope="session")
def facebook_servers() -> Iterator[EmulatorServers]:
    """The Facebook emulator and a webhook sink on loopback, for the whole session."""
    with serve_emulator(create_emulator()) as running:
        yield running


@pytest.fixture
def facebook_state(careline_clock: FrozenClock) -> FacebookEmulatorState:
    """A fresh simulated Page whose clock is the test's frozen clock."""
    return FacebookEmulatorState(clock=careline_clock)


@pytest.fixture
def facebook_live(
    facebook_servers: EmulatorServers, facebook_state: FacebookEmulatorState
) -> LiveEmulator:
    """The running emulator, serving ``facebook_state``, deliveries going to the sink."""
    return facebook_servers.attach(facebook_state)


@pytest.fixture
def facebook_channel(
    facebook_live: LiveEmulator, facebook_state: FacebookEmulatorState
) -> FacebookChannel:
    """The Facebook channel configured against the running emulator."""
    config = facebook_live.channel_config("page_id", facebook_state.page_id)
    return FacebookChannel(config, clock=facebook_state.clock)
