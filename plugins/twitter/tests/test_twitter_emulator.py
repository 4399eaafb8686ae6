"""The X emulator speaks X's wire format: auth, validation, pagination, limits, webhooks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from careline.channels import WebhookRequest
from careline_twitter.channel import TwitterChannel
from careline_twitter.emulator import (
    EmulatorState,
    WebhookRegistrationError,
    create_emulator,
    demo_state,
    serve_in_thread,
)
from careline_twitter.emulator.query import Candidate, QueryError, compile_query
from careline_twitter.signatures import SIGNATURE_HEADER
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@pytest.fixture
def x() -> Iterator[tuple[EmulatorState, httpx.Client]]:
    state = EmulatorState()
    state.add_brand("acmecare", "Acme Care")
    state.add_customer("priya_s", "Priya S.", followers=1432)
    with serve_in_thread(create_emulator(state)) as url, httpx.Client(base_url=url) as http:
        yield state, http


def _app(state: EmulatorState) -> dict[str, str]:
    return {"authorization": f"Bearer {state.bearer_token}"}


def _user(state: EmulatorState, who: str = "acmecare") -> dict[str, str]:
    return {"authorization": f"Bearer {state.tokens_of(who).access_token}"}


def test_ids_are_snowflakes_beyond_2_53(x: tuple[EmulatorState, httpx.Client]) -> None:
    state, _ = x
    post = state.customer_posts("priya_s", "@acmecare hi")
    assert all(int(u.id) > 2**53 for u in state.users.values())
    assert int(post.id) > 2**53
    assert json.loads(state.deliveries[-1].body)["tweet_create_events"][0]["id"] == int(post.id)


def test_requests_without_valid_tokens_get_401(x: tuple[EmulatorState, httpx.Client]) -> None:
    state, http = x
    brand = state.user("acmecare").id
    for headers in ({}, {"authorization": "Bearer nope"}, {"authorization": "Basic abc"}):
        answer = http.get(f"/2/users/{brand}/mentions", headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {
            "title": "Unauthorized",
            "type": "about:blank",
            "status": 401,
            "detail": "Unauthorized",
        }
    state.expire_tokens("acmecare")
    assert http.get("/2/dm_events", headers=_user(state)).status_code == 401


def test_user_context_endpoints_refuse_the_app_bearer(
    x: tuple[EmulatorState, httpx.Client],
) -> None:
    state, http = x
    answer = http.get("/2/dm_events", headers=_app(state))
    assert answer.status_code == 403
    assert answer.json()["type"] == "https://api.twitter.com/2/problems/unsupported-authentication"
    assert http.post("/2/tweets", json={"text": "hi"}, headers=_app(state)).status_code == 403


def test_invalid_parameters_are_400_invalid_request(x: tuple[EmulatorState, httpx.Client]) -> None:
    state, http = x
    brand = state.user("acmecare").id
    answer = http.get(
        f"/2/users/{brand}/mentions", params={"max_results": "3"}, headers=_app(state)
    )
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["title"] == "Invalid Request"
    assert problem["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert problem["errors"][0]["parameters"] == {"max_results": ["3"]}
    for params in (
        {"colour": "red"},
        {"tweet.fields": "mood"},
        {"since_id": "1.5e18"},
        {"pagination_token": "!!"},
    ):
        assert (
            http.get(f"/2/users/{brand}/mentions", params=params, headers=_app(state)).status_code
            == 400
        )
    assert http.get("/2/tweets/search/recent", headers=_app(state)).status_code == 400
    assert (
        http.get(
            "/2/tweets/search/recent", params={"query": "(acme"}, headers=_app(state)
        ).status_code
        == 400
    )
    assert (
        http.get(
            "/2/tweets/search/recent", params={"query": "a" * 513}, headers=_app(state)
        ).status_code
        == 400
    )


def test_fields_are_returned_only_when_asked_for(x: tuple[EmulatorState, httpx.Client]) -> None:
    state, http = x
    post = state.customer_posts("priya_s", "@acmecare hello")
    brand = state.user("acmecare").id
    bare = http.get(f"/2/users/{brand}/mentions", headers=_app(state)).json()
    assert bare["data"] == [{"id": post.id, "text": post.text, "edit_history_tweet_ids": [post.id]}]
    assert "includes" not in bare
    full = http.get(
        f"/2/users/{brand}/mentions",
        params={
            "tweet.fields": "author_id,conversation_id,created_at,lang",
            "expansions": "author_id",
            "user.fields": "public_metrics,verified",
        },
        headers=_app(state),
    ).json()
    assert full["data"][0]["conversation_id"] == post.id
    assert full["data"][0]["created_at"].endswith("Z")
    assert full["includes"]["users"][0]["public_metrics"]["followers_count"] == 1432
    assert full["meta"] == {"newest_id": post.id, "oldest_id": post.id, "result_count": 1}


def test_pagination_walks_newest_first_without_gaps(x: tuple[EmulatorState, httpx.Client]) -> None:
    state, http = x
    posts = [state.customer_posts("priya_s", f"@acmecare message {n}") for n in range(12)]
    brand = state.user("acmecare").id
    seen: list[str] = []
    params: dict[str, str] = {"max_results": "5"}
    while True:
        page = http.get(f"/2/users/{brand}/mentions", params=params, headers=_app(state)).json()
        seen += [item["id"] for item in page.get("data", [])]
        if "next_token" not in page["meta"]:
            break
        params["pagination_token"] = page["meta"]["next_token"]
    assert seen == [p.id for p in reversed(posts)]
    empty = http.get(
        f"/2/users/{brand}/mentions", params={"since_id": posts[-1].id}, headers=_app(state)
    ).json()
    assert empty == {"meta": {"result_count": 0}}


def test_rate_limit_headers_and_429(x: tuple[EmulatorState, httpx.Client]) -> None:
    state, http = x
    state.limiter.limits[("GET /2/dm_events", "user")] = 2
    first = http.get("/2/dm_events", headers=_user(state))
    assert first.headers["x-rate-limit-limit"] == "2"
    assert first.headers["x-rate-limit-remaining"] == "1"
    assert int(first.headers["x-rate-limit-reset"]) > state.clock.now().timestamp()
    http.get("/2/dm_events", headers=_user(state))
    refused = http.get("/2/dm_events", headers=_user(state))
    assert refused.status_code == 429
    assert refused.json() == {
        "title": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
        "detail": "Too Many Requests",
    }
    assert refused.headers["x-rate-limit-remaining"] == "0"


def test_posting_reports_daily_limits_and_refuses_duplicates(
    x: tuple[EmulatorState, httpx.Client],
) -> None:
    state, http = x
    mention = state.customer_posts("priya_s", "@acmecare refund?")
    body = {"text": "@priya_s On its way!", "reply": {"in_reply_to_tweet_id": mention.id}}
    created = http.post("/2/tweets", json=body, headers=_user(state))
    assert created.status_code == 201
    assert set(created.json()["data"]) == {"id", "text", "edit_history_tweet_ids"}
    assert created.headers["x-user-limit-24hour-remaining"] == "2399"
    assert created.headers["x-app-limit-24hour-limit"] == "10000"
    duplicate = http.post("/2/tweets", json=body, headers=_user(state))
    assert duplicate.status_code == 403
    assert duplicate.json() == {
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
    }


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": ""},
        {"text": "x" * 281},
        {"text": "hi", "colour": "red"},
        {"text": "hi", "reply": {"in_reply_to_tweet_id": "abc"}},
        {"text": "hi", "reply": {"in_reply_to_tweet_id": "1", "quote": True}},
    ],
)
def test_invalid_posts_are_400(x: tuple[EmulatorState, httpx.Client], body: dict[str, Any]) -> None:
    state, http = x
    answer = http.post("/2/tweets", json=body, headers=_user(state))
    assert answer.status_code == 400
    assert "errors" in answer.json()


def test_a_dm_answer_has_the_conversation_and_event_ids(
    x: tuple[EmulatorState, httpx.Client],
) -> None:
    state, http = x
    customer = state.user("priya_s").id
    answer = http.post(
        f"/2/dm_conversations/with/{customer}/messages",
        json={"text": "Hi Priya"},
        headers=_user(state),
    )
    assert answer.status_code == 201
    data = answer.json()["data"]
    brand = state.user("acmecare").id
    assert data["dm_conversation_id"] == "-".join(sorted((brand, customer), key=int))
    assert data["dm_event_id"] in state.messages


def test_refresh_tokens_rotate_and_work_once(x: tuple[EmulatorState, httpx.Client]) -> None:
    state, http = x
    old = state.tokens_of("acmecare")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": old.refresh_token,
        "client_id": state.client_id,
    }
    answer = http.post("/2/oauth2/token", data=form)
    assert answer.status_code == 200
    issued = answer.json()
    assert issued["token_type"] == "bearer" and issued["expires_in"] == 7200
    assert issued["refresh_token"] != old.refresh_token
    again = http.post("/2/oauth2/token", data=form)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_request"
    assert (
        http.get(
            "/2/dm_events", headers={"authorization": f"Bearer {issued['access_token']}"}
        ).status_code
        == 200
    )


def test_control_endpoints_drive_the_simulation(x: tuple[EmulatorState, httpx.Client]) -> None:
    state, http = x
    tweet = http.post(
        "/_emulator/customer/tweet", json={"customer": "priya_s", "text": "@acmecare help"}
    ).json()
    reply = http.post(
        "/_emulator/customer/tweet",
        json={"customer": "priya_s", "text": "@acmecare hello??", "in_reply_to": tweet["id"]},
    ).json()
    assert reply["conversation_id"] == tweet["id"]
    assert (
        http.post(
            "/_emulator/customer/dm", json={"customer": "priya_s", "to": "acmecare", "text": "hi"}
        ).status_code
        == 201
    )
    assert (
        http.post(
            "/_emulator/customer/delete", json={"customer": "priya_s", "tweet_id": tweet["id"]}
        ).status_code
        == 201
    )
    assert (
        http.post("/_emulator/customer/delete", json={"tweet_id": tweet["id"]}).status_code == 409
    )
    assert http.post("/_emulator/customers", json={"username": "new_one"}).status_code == 201
    assert http.post("/_emulator/customer/tweet", json={"text": "no customer"}).status_code == 400
    assert (
        http.post("/_emulator/fail", json={"route": "POST /2/tweets", "status": 503}).status_code
        == 201
    )
    assert http.post("/2/tweets", json={"text": "x"}, headers=_user(state)).status_code == 503
    assert http.post("/_emulator/expire-tokens", json={"user": "acmecare"}).status_code == 201
    summary = http.get("/_emulator/state").json()
    assert summary["posts"] == 2 and summary["direct_messages"] == 1
    assert [b["username"] for b in summary["brands"]] == ["acmecare"]
    kinds = [next(k for k in json.loads(d.body) if k.endswith("_events")) for d in state.deliveries]
    assert kinds == [
        "tweet_create_events",
        "tweet_create_events",
        "direct_message_events",
        "tweet_delete_events",
    ]


class Receiver:
    """A webhook target on loopback: answers the CRC with a channel, records deliveries."""

    def __init__(self, channel: TwitterChannel, *, fail_first: int = 0) -> None:
        self.channel = channel
        self.bodies: list[bytes] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()

    async def endpoint(self, request: Request) -> Response:
        webhook = WebhookRequest(
            request.method,
            request.url.path,
            dict(request.query_params),
            dict(request.headers),
            await request.body(),
        )
        challenge = self.channel.answer_challenge(webhook)
        if challenge is not None:
            return JSONResponse(challenge.body, status_code=challenge.status)
        if not self.channel.verify_webhook(webhook):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        with self.lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                return JSONResponse({"error": "busy"}, status_code=503)
            self.bodies.append(webhook.body)
        return JSONResponse({})

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/webhooks/twitter", self.endpoint, methods=["GET", "POST"])]
        )


def test_deliveries_go_to_a_crc_checked_url_signed(x: tuple[EmulatorState, httpx.Client]) -> None:
    state, _ = x
    receiver = Receiver(TwitterChannel({"consumer_secret": state.consumer_secret}), fail_first=1)
    with serve_in_thread(receiver.app()) as target:
        state.deliver_to(f"{target}/webhooks/twitter")
        post = state.customer_posts("priya_s", "@acmecare is anyone there?")
        state.customer_sends_dm("priya_s", "acmecare", "hello")
        assert state.flush_deliveries()
    assert [d.statuses for d in state.deliveries] == [[503, 200], [200]]  # retried after a failure
    assert len(receiver.bodies) == 2
    messages = [m for body in receiver.bodies for m in receiver.channel.parse(body)]
    assert messages[0].external_id == post.id
    assert state.deliveries[0].headers[SIGNATURE_HEADER].startswith("sha256=")


def test_a_url_failing_the_crc_check_is_not_registered(
    x: tuple[EmulatorState, httpx.Client],
) -> None:
    state, _ = x
    wrong = Receiver(TwitterChannel({"consumer_secret": "another-secret"}))
    with serve_in_thread(wrong.app()) as target:
        with pytest.raises(WebhookRegistrationError, match="CRC"):
            state.deliver_to(f"{target}/webhooks/twitter")
        state.customer_posts("priya_s", "@acmecare hello")
        assert state.flush_deliveries()
    assert wrong.bodies == []


def test_duplicates_and_out_of_order_repeats(x: tuple[EmulatorState, httpx.Client]) -> None:
    state, _ = x
    receiver = Receiver(TwitterChannel({"consumer_secret": state.consumer_secret}))
    with serve_in_thread(receiver.app()) as target:
        state.deliver_to(f"{target}/webhooks/twitter")
        state.duplicate_deliveries = True
        state.customer_posts("priya_s", "@acmecare first")
        state.duplicate_deliveries = False
        state.customer_posts("priya_s", "@acmecare second")
        state.redeliver(0)
        assert state.flush_deliveries()
    keys = [receiver.channel.delivery_key(body) for body in receiver.bodies]
    assert len(keys) == 4 and len(set(keys)) == 2
    assert keys[0] == keys[1] == keys[3] != keys[2]


def test_brand_blocks_and_string_flags_reach_the_delivery(
    x: tuple[EmulatorState, httpx.Client],
) -> None:
    state, _ = x
    state.block("acmecare", "priya_s")
    state.user_has_blocked_as_string = True
    state.customer_posts("priya_s", "@acmecare again")
    assert json.loads(state.deliveries[-1].body)["user_has_blocked"] == "true"
    [message] = TwitterChannel({}).parse(state.deliveries[-1].body)
    assert message.raw["user_has_blocked"] is True


def test_long_posts_are_truncated_in_v1_with_an_extended_tweet(
    x: tuple[EmulatorState, httpx.Client],
) -> None:
    state, _ = x
    text = "@acmecare " + "my washing machine leaks again " * 6
    state.customer_posts("priya_s", text.strip())
    tweet = json.loads(state.deliveries[-1].body)["tweet_create_events"][0]
    assert tweet["truncated"] is True and len(tweet["text"]) <= 140
    assert tweet["extended_tweet"]["full_text"] == text.strip()


def test_the_demo_state_has_a_brand_and_customers() -> None:
    state = demo_state()
    assert [b.username for b in state.brands] == ["acmecare"]
    assert {u.username for u in state.users.values() if not u.brand} == {
        "alice_k",
        "bob_t",
        "carla_m",
    }


def _candidate(text: str, author: str = "priya_s", **flags: Any) -> Candidate:
    return Candidate(
        text=text,
        author=author,
        lang=flags.get("lang", "en"),
        mentioned=frozenset(flags.get("mentioned", ())),
        reply_to_user=flags.get("reply_to_user"),
        is_retweet=flags.get("is_retweet", False),
        is_reply=flags.get("is_reply", False),
        is_quote=False,
        has_media=False,
    )


@pytest.mark.parametrize(
    ("query", "text", "author", "flags", "expected"),
    [
        (
            '("acme" OR @acmecare) -from:acmecare -is:retweet',
            "Acme broke my toaster",
            "priya_s",
            {},
            True,
        ),
        ('("acme" OR @acmecare) -from:acmecare -is:retweet', "Acme news", "acmecare", {}, False),
        (
            '("acme" OR @acmecare) -from:acmecare -is:retweet',
            "RT great acme",
            "tom",
            {"is_retweet": True},
            False,
        ),
        ("@acmecare", "hey", "tom", {"mentioned": {"acmecare"}}, True),
        ("acme refund", "acme gave me a refund", "tom", {}, True),
        ("acme refund", "acme is slow", "tom", {}, False),
        ("acme -(slow OR late)", "acme is late again", "tom", {}, False),
        ('"never arrived"', "My parcel never arrived", "tom", {}, True),
        ("#acmefail lang:de", "Schon wieder #AcmeFail", "tom", {"lang": "de"}, True),
        ("acme", "acmecare is fine", "tom", {}, False),  # whole words only
    ],
)
def test_search_query_language(
    query: str, text: str, author: str, flags: dict[str, Any], expected: bool
) -> None:
    assert compile_query(query)(_candidate(text, author, **flags)) is expected


@pytest.mark.parametrize("query", ["", "(acme", "acme)", "acme OR", '"open', "is:famous", "-"])
def test_invalid_queries_are_refused(query: str) -> None:
    with pytest.raises(QueryError):
        compile_query(query)


@given(st.text(max_size=40))
def test_any_query_compiles_or_raises_query_error(query: str) -> None:
    try:
        predicate = compile_query(query)
    except QueryError:
        return
    assert predicate(_candidate("acme")) in (True, False)
