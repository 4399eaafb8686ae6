"""The Graph client: Meta's error table, usage-header back-off, secrets kept out of sight."""

from __future__ import annotations

import json

import pytest
from careline.channels import OutboundMessage, SendError
from careline.clock import FrozenClock
from careline.types import Visibility
from careline_facebook.channel import FacebookChannel
from careline_facebook.config import FacebookConfig
from careline_facebook.emulator import (
    FacebookEmulatorState,
    LiveEmulator,
)
from careline_facebook.errors import GraphErrorBody, classify
from careline_facebook.graph import GraphClient
from careline_facebook.usage import UsageGovernor, read_usage
from hypothesis import given, settings
from hypothesis import strategies as st

pytest_plugins = ["careline_facebook.testing"]


def page_of(facebook_live: LiveEmulator) -> str:
    state = facebook_live.state
    assert isinstance(state, FacebookEmulatorState)
    return state.page_id


def public_reply(facebook_live: LiveEmulator) -> OutboundMessage:
    comment = facebook_live.control(
        "customer/comment", customer="Ann", message="Where is my parcel?"
    )
    return OutboundMessage(
        channel="facebook",
        account=page_of(facebook_live),
        text="Checking now!",
        visibility=Visibility.PUBLIC,
        idempotency_key="k",
        in_reply_to=comment["comment_id"],
    )


# --- Meta's error table, over loopback ------------------------------------------------------------
TABLE = [
    # (code, subcode, expected class, label)
    (190, 463, "reconnect", "190/463"),
    (190, 460, "reconnect", "190/460"),
    (200, None, "reconnect", "200"),
    (10, None, "reconnect", "10"),
    (4, None, "transient", "4"),
    (17, None, "transient", "17"),
    (32, None, "transient", "32"),
    (613, None, "transient", "613"),
    (80001, None, "transient", "80001"),
    (80006, None, "transient", "80006"),
    (10, 2018278, "definitive", "10/2018278"),
    (10, 2018065, "definitive", "10/2018065"),
    (551, 1545041, "definitive", "551/1545041"),
    (100, None, "definitive", "100"),
    (368, None, "definitive", "368"),
    (10900, None, "definitive", "10900"),
    (1, None, "transient", "1"),
    (2, None, "transient", "2"),
]


def outcome(error: SendError) -> str:
    if error.needs_reconnect:
        assert not error.transient
        return "reconnect"
    return "transient" if error.transient else "definitive"


@pytest.mark.parametrize(("code", "subcode", "expected", "label"), TABLE)
def test_error_table(
    facebook_live: LiveEmulator,
    careline_clock: FrozenClock,
    code: int,
    subcode: int | None,
    expected: str,
    label: str,
) -> None:
    channel = FacebookChannel(
        facebook_live.channel_config("page_id", page_of(facebook_live)), clock=careline_clock
    )
    message = public_reply(facebook_live)
    facebook_live.control("fail", code=code, **({"subcode": subcode} if subcode else {}))
    with pytest.raises(SendError) as caught:
        channel.send(message)
    assert outcome(caught.value) == expected
    assert caught.value.code == label
    if expected == "transient" and code not in (1, 2):
        assert caught.value.retry_after
    assert channel.is_healthy(careline_clock.now()) is (expected != "reconnect")


@pytest.mark.parametrize(
    ("status", "expected"),
    [(500, "transient"), (502, "transient"), (503, "transient"), (404, "definitive")],
)
def test_bare_http_errors(
    facebook_live: LiveEmulator, careline_clock: FrozenClock, status: int, expected: str
) -> None:
    channel = FacebookChannel(
        facebook_live.channel_config("page_id", page_of(facebook_live)), clock=careline_clock
    )
    message = public_reply(facebook_live)
    facebook_live.control("fail", http_status=status)
    with pytest.raises(SendError) as caught:
        channel.send(message)
    assert outcome(caught.value) == expected
    assert caught.value.code == f"http-{status}"


def test_is_transient_flag_is_honoured() -> None:
    body = GraphErrorBody("Service temporarily unavailable", 999, None, True, None)
    assert classify(400, body).transient


def test_an_unreachable_api_is_transient(careline_clock: FrozenClock) -> None:
    channel = FacebookChannel(
        {"page_id": "1", "access_token": "t", "base_url": "http://127.0.0.1:9"},
        clock=careline_clock,
    )
    with pytest.raises(SendError) as caught:
        channel.check_connection()
    assert caught.value.transient
    assert caught.value.code == "network"


def test_without_a_token_the_channel_needs_a_reconnect(careline_clock: FrozenClock) -> None:
    channel = FacebookChannel({"page_id": "1"}, clock=careline_clock)
    with pytest.raises(SendError) as caught:
        channel.check_connection()
    assert caught.value.needs_reconnect
    assert not channel.is_healthy(careline_clock.now())
    assert channel.poll_sources() == []


@settings(max_examples=200)
@given(
    status=st.integers(200, 599),
    code=st.none() | st.integers(0, 3_000_000),
    subcode=st.none() | st.integers(0, 3_000_000),
    transient_flag=st.booleans(),
)
def test_every_error_has_exactly_one_meaning(
    status: int, code: int | None, subcode: int | None, transient_flag: bool
) -> None:
    body = None if code is None else GraphErrorBody("x", code, subcode, transient_flag, None)
    error = classify(status, body)
    assert not (error.transient and error.needs_reconnect)
    assert error.code
    if code == 190:
        assert error.needs_reconnect


# --- usage headers -----------------------------------------------------------------------------
def test_usage_headers_from_the_platform_notes() -> None:
    usage = read_usage(
        {
            "x-app-usage": '{"call_count":28,"total_cputime":25,"total_time":25}',
            "x-page-usage": '{"call_count":61,"total_cputime":10,"total_time":12}',
            "x-business-use-case-usage": json.dumps(
                {
                    "370873143344730": [
                        {
                            "type": "messenger",
                            "call_count": 1,
                            "total_cputime": 1,
                            "total_time": 1,
                            "estimated_time_to_regain_access": 0,
                        }
                    ]
                }
            ),
        }
    )
    assert usage.percent == 61
    assert usage.regain_access_in is None


def test_business_usage_says_when_access_returns() -> None:
    usage = read_usage(
        {
            "x-business-use-case-usage": json.dumps(
                {"1": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 12}]}
            )
        }
    )
    assert usage.percent == 100
    assert usage.regain_access_in is not None
    assert usage.regain_access_in.total_seconds() == 720


@settings(max_examples=100)
@given(
    st.dictionaries(
        st.sampled_from(["x-app-usage", "x-page-usage", "x-business-use-case-usage"]),
        st.text(max_size=40),
    )
)
def test_garbage_usage_headers_are_ignored(headers: dict[str, str]) -> None:
    assert read_usage(headers).percent >= 0


@settings(max_examples=100)
@given(
    percents=st.lists(st.integers(0, 100), min_size=2, max_size=6),
    slow=st.integers(0, 90),
    extra=st.integers(1, 10),
)
def test_the_pause_grows_with_usage_and_stops_short_of_the_limit(
    percents: list[int], slow: int, extra: int
) -> None:
    """Meta reports whole percentages; the delay never shrinks as usage grows."""
    frozen = FrozenClock()
    pause_at = min(slow + extra, 100)
    delays = []
    for percent in sorted(percents):
        governor = UsageGovernor(slow_down_at=slow, pause_at=pause_at, max_delay=2.0)
        governor.record(
            read_usage({"x-app-usage": json.dumps({"call_count": percent})}), frozen.now()
        )
        if percent >= pause_at:
            with pytest.raises(SendError) as caught:
                governor.before_call(frozen.now())
            assert caught.value.transient
            assert caught.value.retry_after
            continue
        delay = governor.before_call(frozen.now())
        assert 0 <= delay <= 2.0
        assert (delay > 0) is (percent > slow)
        delays.append(delay)
    assert delays == sorted(delays)


def call_repeatedly(channel: FacebookChannel, times: int) -> None:
    for _ in range(times):
        channel.check_connection()


def test_the_client_backs_off_before_the_emulator_refuses(
    facebook_live: LiveEmulator, careline_clock: FrozenClock
) -> None:
    facebook_live.control("usage", calls_per_hour=20)
    slept: list[float] = []
    config = facebook_live.channel_config(
        "page_id",
        page_of(facebook_live),
        usage_slow_down_at=50,
        usage_pause_at=90,
        usage_max_delay=1.0,
    )
    channel = FacebookChannel(config, clock=careline_clock, sleep=slept.append)
    with pytest.raises(SendError) as caught:
        call_repeatedly(channel, 25)
    assert caught.value.code == "usage"
    assert caught.value.transient
    assert caught.value.retry_after
    assert slept
    assert slept == sorted(slept)
    assert facebook_live.state.answered_errors == []
    assert facebook_live.state.usage_percent(page_of(facebook_live)) < 100
    careline_clock.advance(hours=1)
    assert channel.check_connection() == "Acme Care"


def test_the_emulators_own_limit_is_a_transient_error(
    facebook_live: LiveEmulator, careline_clock: FrozenClock
) -> None:
    facebook_live.control("usage", calls_per_hour=3)
    config = facebook_live.channel_config(
        "page_id", page_of(facebook_live), usage_slow_down_at=100, usage_pause_at=100
    )
    channel = FacebookChannel(config, clock=careline_clock, sleep=lambda _: None)
    with pytest.raises(SendError) as caught:
        call_repeatedly(channel, 5)
    assert caught.value.transient
    assert caught.value.retry_after


# --- secrets ---------------------------------------------------------------------------------
def test_secrets_never_show_in_reprs(facebook_live: LiveEmulator) -> None:
    table = facebook_live.channel_config("page_id", page_of(facebook_live))
    config = FacebookConfig.model_validate(table)
    channel = FacebookChannel(table)
    client = GraphClient(config, clock=FrozenClock())
    for text in (repr(config), str(config), repr(channel), repr(client), repr(config.model_dump())):
        assert table["access_token"] not in text
        assert table["app_secret"] not in text
        assert table["verify_token"] not in text


def test_the_token_travels_in_a_header_not_in_the_url(facebook_live: LiveEmulator) -> None:
    channel = FacebookChannel(facebook_live.channel_config("page_id", page_of(facebook_live)))
    channel.check_connection()
    token = facebook_live.channel_config("page_id", page_of(facebook_live))["access_token"]
    assert all(token not in path for _, path in facebook_live.state.requests)
