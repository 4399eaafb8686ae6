"""Sending replies and DMs to a live X emulator over loopback, and how failures are classified."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from careline.channels import OutboundMessage, SendError
from careline.clock import FrozenClock
from careline.types import Visibility
from careline_twitter.channel import TwitterChannel
from careline_twitter.emulator import EmulatorState, create_emulator, serve_in_thread
from careline_twitter.errors import DUPLICATE_MESSAGE
from careline_twitter.tokens import TokenVault


@pytest.fixture
def x() -> Iterator[tuple[EmulatorState, str]]:
    state = EmulatorState()
    state.add_brand("acmecare", "Acme Care")
    state.add_customer("priya_s", "Priya S.")
    with serve_in_thread(create_emulator(state)) as url:
        yield state, url


def _channel(
    state: EmulatorState, url: str, vault: TokenVault | None = None, **overrides: Any
) -> TwitterChannel:
    return TwitterChannel(state.channel_config(url, **overrides), vault=vault or TokenVault())


def _reply(
    state: EmulatorState,
    text: str = "Sorry about that, Priya! Could you DM us your order number?",
    key: str = "out-1",
) -> OutboundMessage:
    mention = state.customer_posts("priya_s", "@acmecare my order 4471 never arrived")
    return OutboundMessage(
        channel="twitter",
        account=state.user("acmecare").id,
        text=text,
        visibility=Visibility.PUBLIC,
        idempotency_key=key,
        in_reply_to=mention.id,
        thread_key=mention.conversation_id,
    )


def _dm(
    state: EmulatorState,
    text: str = "Thanks Priya, a replacement is on its way.",
    key: str = "dm-1",
) -> OutboundMessage:
    return OutboundMessage(
        channel="twitter",
        account=state.user("acmecare").id,
        text=text,
        visibility=Visibility.PRIVATE,
        idempotency_key=key,
        recipient_id=state.user("priya_s").id,
    )


def test_a_public_reply_is_posted_in_the_customers_thread(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    message = _reply(state)
    result = _channel(state, url).send(message)
    post = state.posts[result.external_id]
    assert post.in_reply_to_id == message.in_reply_to
    assert post.conversation_id == message.thread_key
    assert post.author_id == message.account
    assert post.text == message.text
    assert result.raw["data"]["id"] == result.external_id


def test_a_dm_goes_to_the_customer(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    result = _channel(state, url).send(_dm(state))
    sent = state.messages[result.external_id]
    assert sent.recipient_id == state.user("priya_s").id
    assert result.raw["data"]["dm_conversation_id"] == sent.conversation_id


def test_the_same_outbox_item_is_not_posted_twice(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    channel = _channel(state, url)
    message = _reply(state)
    assert channel.send(message) == channel.send(message)
    assert sum(1 for line in state.requests if line == "POST /2/tweets") == 1


def test_rate_limited_then_success(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    clock = FrozenClock(datetime.now(UTC))
    channel = TwitterChannel(state.channel_config(url), clock=clock, vault=TokenVault())
    state.fail_next("POST /2/tweets", 429, reset_in=30)
    message = _reply(state)
    with pytest.raises(SendError) as caught:
        channel.send(message)
    error = caught.value
    assert error.transient and not error.needs_reconnect
    assert error.retry_after is not None and 28 <= error.retry_after <= 31
    with pytest.raises(SendError, match="used up"):
        channel.send(message)  # before the reset nothing is sent: X is never hammered
    assert sum(1 for line in state.requests if line == "POST /2/tweets") == 1
    clock.advance(seconds=error.retry_after + 1)
    assert channel.send(message).external_id in state.posts


def test_429_retry_after_follows_the_exhausted_daily_limit(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    state.fail_next(
        "POST /2/tweets",
        429,
        headers={
            "x-rate-limit-remaining": "57",
            "x-user-limit-24hour-limit": "2400",
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": str(int(state.clock.now().timestamp()) + 3600),
        },
    )
    with pytest.raises(SendError) as caught:
        _channel(state, url).send(_reply(state))
    assert caught.value.retry_after is not None and 3500 < caught.value.retry_after <= 3600


def test_server_errors_are_transient(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    state.fail_next("POST /2/dm_conversations/with/:participant_id/messages", 503)
    with pytest.raises(SendError) as caught:
        _channel(state, url).send(_dm(state))
    assert caught.value.transient and caught.value.code == "server_error"


def test_an_expired_token_is_refreshed_and_the_send_retried(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    vault = TokenVault()
    channel = _channel(state, url, vault)
    old = state.tokens_of("acmecare")
    state.expire_tokens("acmecare")
    result = channel.send(_reply(state))
    assert result.external_id in state.posts
    new = state.tokens_of("acmecare")
    assert new.access_token != old.access_token
    kept = vault.get(url, state.user("acmecare").id)
    assert kept is not None and kept.access_token == new.access_token
    assert kept.refresh_token == new.refresh_token  # X rotates refresh tokens
    assert "access" not in repr(kept) and new.access_token not in repr(vault)
    # a second channel object of the same process uses the refreshed token, not the stale one
    other = _channel(state, url, vault)
    assert other.send(_dm(state)).external_id in state.messages


def test_a_failed_refresh_needs_reconnect(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    state.expire_tokens("acmecare")
    state.revoke_refresh_tokens("acmecare")
    with pytest.raises(SendError) as caught:
        _channel(state, url).send(_reply(state))
    assert caught.value.needs_reconnect and not caught.value.transient
    assert "reconnect" in str(caught.value)


def test_no_refresh_token_needs_reconnect(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    config = state.channel_config(url)
    del config["accounts"][0]["refresh_token"]
    state.expire_tokens("acmecare")
    with pytest.raises(SendError) as caught:
        TwitterChannel(config, vault=TokenVault()).send(_dm(state))
    assert caught.value.needs_reconnect and caught.value.code == "token_expired"


def test_a_confidential_client_refreshes_with_basic_auth() -> None:
    state = EmulatorState(client_secret="emulator-client-secret")
    state.add_brand("acmecare")
    state.add_customer("priya_s")
    with serve_in_thread(create_emulator(state)) as url:
        state.expire_tokens("acmecare")
        assert _channel(state, url).send(_dm(state)).external_id in state.messages
        state.expire_tokens("acmecare")
        with pytest.raises(SendError) as caught:
            _channel(state, url, client_secret="wrong").send(_dm(state, key="dm-2"))
        assert caught.value.needs_reconnect


def test_duplicate_content_is_definitive_with_a_clear_message(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    channel = _channel(state, url)
    channel.send(_reply(state, text="Thanks for your patience!", key="a"))
    with pytest.raises(SendError) as caught:
        channel.send(_reply(state, text="Thanks for your patience!", key="b"))
    assert str(caught.value) == DUPLICATE_MESSAGE
    assert not caught.value.transient and not caught.value.needs_reconnect
    assert caught.value.code == "duplicate_content"


def test_replying_to_a_deleted_post_is_definitive(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    message = _reply(state)
    assert message.in_reply_to is not None
    state.delete_post(message.in_reply_to)
    with pytest.raises(SendError) as caught:
        _channel(state, url).send(message)
    assert not caught.value.transient and not caught.value.needs_reconnect
    assert "deleted" in str(caught.value)


def test_app_only_credentials_cannot_send(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    config = state.channel_config(url)
    config["accounts"][0]["access_token"] = state.bearer_token
    with pytest.raises(SendError) as caught:
        TwitterChannel(config, vault=TokenVault()).send(_dm(state))
    assert caught.value.needs_reconnect and caught.value.code == "unsupported-authentication"


def test_an_unreachable_api_is_transient(x: tuple[EmulatorState, str]) -> None:
    state, _ = x
    channel = _channel(state, "http://127.0.0.1:9", timeout=2)
    with pytest.raises(SendError) as caught:
        channel.send(_dm(state))
    assert caught.value.transient and caught.value.code == "network"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"visibility": Visibility.PRIVATE, "recipient_id": None}, "bad_recipient"),
        ({"in_reply_to": "not-an-id"}, "bad_reply_target"),
        ({"private_reply_to": "1"}, "unsupported"),
        ({"account": "acmecare"}, "bad_account"),
    ],
)
def test_impossible_messages_are_refused_before_calling_x(
    x: tuple[EmulatorState, str], change: dict[str, Any], code: str
) -> None:
    state, url = x
    import dataclasses

    message = dataclasses.replace(_reply(state), **change)
    before = len(state.requests)
    with pytest.raises(SendError) as caught:
        _channel(state, url).send(message)
    assert caught.value.code == code and not caught.value.transient
    assert len(state.requests) == before
