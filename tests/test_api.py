"""The JSON API: every route, every role, and the error cases, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from careline import pipeline
from careline.services import agents
from careline.testing.channel import delivery, message, sign
from careline.testing.flow import deliver
from careline.web.app import api_registry


@pytest.fixture
def api(careline_app):
    client = careline_app()
    client.agent = client.token_for("Ann Agent")
    client.supervisor = client.token_for("Sue Visor", "supervisor")
    client.admin = client.token_for("Ada Admin", "admin")
    return client


def open_conversation(api, message_id: str = "m1", **extra) -> int:
    deliver(api.runtime, "testchannel", delivery(message(message_id, **extra)))
    pipeline.process_pending(api.runtime)
    listing = api.get("/api/conversations", headers=api.agent).json()
    return listing["items"][0]["id"]


def test_health_and_ready_need_no_token(api) -> None:
    assert api.get("/api/health").json()["status"] == "ok"
    assert api.get("/api/ready").json() == {"status": "ready"}


def test_every_other_route_needs_a_token(api) -> None:
    for endpoint in api_registry().endpoints:
        if endpoint.role is None:
            continue
        path = (
            endpoint.path.replace("{conversation_id:int}", "1")
            .replace("{agent_id:int}", "1")
            .replace("{token_id:int}", "1")
            .replace("{outbox_id:int}", "1")
            .replace("{escalation_id:int}", "1")
            .replace("{contact_id:int}", "1")
            .replace("{name}", "overview")
        )
        response = api.request(endpoint.method, path, json={})
        assert response.status_code == 401, (endpoint.method, path)
        assert response.headers["content-type"] == "application/problem+json"


def test_expired_and_revoked_tokens_are_refused(api, careline_clock) -> None:
    runtime = api.runtime
    agent = agents.add_agent(runtime, "Temp")
    _token, clear = agents.create_token(
        runtime, agent.id, expires_at=runtime.now() + timedelta(hours=1)
    )
    headers = {"Authorization": f"Bearer {clear}"}
    assert api.get("/api/me", headers=headers).status_code == 200
    careline_clock.advance(hours=2)
    assert api.get("/api/me", headers=headers).status_code == 401
    _, other = agents.create_token(runtime, agent.id)
    agents.revoke_token(runtime, _.id)
    assert api.get("/api/me", headers={"Authorization": f"Bearer {other}"}).status_code == 401


def test_roles_are_enforced(api) -> None:
    assert api.get("/api/agents", headers=api.agent).status_code == 403
    assert api.get("/api/agents", headers=api.supervisor).status_code == 200
    body = {"name": "New Agent", "languages": ["en", "de"]}
    assert api.post("/api/agents", json=body, headers=api.supervisor).status_code == 403
    created = api.post("/api/agents", json=body, headers=api.admin)
    assert created.status_code == 201
    agent_id = created.json()["id"]
    token = api.post(f"/api/agents/{agent_id}/tokens", json={}, headers=api.admin)
    assert token.status_code == 201
    clear = token.json()["token"]
    assert (
        api.get("/api/me", headers={"Authorization": f"Bearer {clear}"}).json()["name"]
        == "New Agent"
    )
    assert api.delete(f"/api/tokens/{token.json()['id']}", headers=api.admin).status_code == 200
    assert api.get("/api/me", headers={"Authorization": f"Bearer {clear}"}).status_code == 401
    assert api.post(f"/api/agents/{agent_id}/disable", headers=api.admin).json()["disabled"]


def test_conversation_list_filters_and_paginates(api) -> None:
    for n in range(5):
        deliver(api.runtime, "testchannel", delivery(message(f"m{n}", thread=f"t{n}")))
    pipeline.process_pending(api.runtime)
    first = api.get("/api/conversations?limit=2", headers=api.agent).json()
    assert len(first["items"]) == 2
    second = api.get(
        f"/api/conversations?limit=2&cursor={first['next_cursor']}", headers=api.agent
    ).json()
    ids = [c["id"] for c in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 4
    assert api.get("/api/conversations?status=open", headers=api.agent).json()["items"] == []
    assert (
        len(
            api.get("/api/conversations?status=new&channel=testchannel", headers=api.agent).json()[
                "items"
            ]
        )
        == 5
    )
    for bad in ("status=bogus", "limit=0", "limit=x", "priority=mega", "order=random"):
        response = api.get(f"/api/conversations?{bad}", headers=api.agent)
        assert response.status_code == 400, bad
        assert response.json()["detail"]


def test_detail_reply_and_actions(api, test_platform) -> None:
    conversation_id = open_conversation(api)
    detail = api.get(f"/api/conversations/{conversation_id}", headers=api.agent).json()
    assert detail["messages"][0]["text"] == "my order never arrived"
    assert detail["sla"]["first_response_due"]
    assert [e["type"] for e in detail["events"]][:2] == ["message_received", "conversation_opened"]
    preview = api.post(
        f"/api/conversations/{conversation_id}/reply",
        json={"text": "On it!", "preview": True},
        headers=api.agent,
    )
    assert preview.status_code == 200
    assert test_platform.sent == []
    sent = api.post(
        f"/api/conversations/{conversation_id}/reply", json={"text": "On it!"}, headers=api.agent
    )
    assert sent.status_code == 200
    assert sent.json()["outcome"] == "sent"
    assert [m.text for m in test_platform.sent] == ["On it!"]
    base = f"/api/conversations/{conversation_id}"
    me = api.get("/api/me", headers=api.agent).json()
    assert (
        api.post(f"{base}/assign", json={"agent_id": me["id"]}, headers=api.agent).json()[
            "assignee_id"
        ]
        == me["id"]
    )
    assert (
        api.post(f"{base}/notes", json={"text": "called her"}, headers=api.agent).status_code == 201
    )
    assert api.post(f"{base}/tags", json={"add": ["refund"]}, headers=api.agent).json()["tags"] == [
        "refund"
    ]
    assert (
        api.post(f"{base}/priority", json={"priority": "high"}, headers=api.agent).json()[
            "priority"
        ]
        == "high"
    )
    escalation = api.post(
        f"{base}/escalate", json={"target": "legal", "reason": "threat"}, headers=api.agent
    )
    assert escalation.status_code == 201
    escalation_id = escalation.json()["id"]
    assert (
        api.post(f"/api/escalations/{escalation_id}/acknowledge", headers=api.agent).json()[
            "status"
        ]
        == "acknowledged"
    )
    assert (
        api.post(f"/api/escalations/{escalation_id}/resolve", headers=api.agent).json()["status"]
        == "resolved"
    )
    assert (
        api.get("/api/escalations?status=resolved", headers=api.agent).json()["items"][0]["id"]
        == escalation_id
    )
    assert api.post(f"{base}/resolve", headers=api.agent).json()["status"] == "resolved"
    assert api.post(f"{base}/resolve", headers=api.agent).status_code == 409
    assert api.post(f"{base}/csat", json={"score": 5}, headers=api.agent).status_code == 201
    assert api.post(f"{base}/reopen", headers=api.agent).json()["status"] == "open"
    assert api.post(f"{base}/pending", headers=api.agent).json()["status"] == "pending"
    assert (
        api.post(f"{base}/ignore", json={"reason": "spam"}, headers=api.agent).json()["status"]
        == "ignored"
    )
    due = (api.runtime.now() + timedelta(days=3)).isoformat()
    assert (
        api.post(
            f"{base}/follow-ups", json={"due_at": due, "note": "fix ships"}, headers=api.agent
        ).status_code
        == 201
    )
    assert api.get(f"{base}/templates", headers=api.agent).json() == {"items": []}
    assert (
        api.post(
            f"{base}/templates/render", json={"template_id": "x"}, headers=api.agent
        ).status_code
        == 404
    )


def test_bad_bodies_get_clear_problems(api) -> None:
    conversation_id = open_conversation(api)
    url = f"/api/conversations/{conversation_id}/reply"
    not_json = api.post(
        url, content=b"{nope", headers={**api.agent, "content-type": "application/json"}
    )
    assert not_json.status_code == 400
    assert "not valid JSON" in not_json.json()["detail"]
    wrong = api.post(url, json={"text": 42}, headers=api.agent)
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "text"
    extra = api.post(url, json={"text": "hi", "sneaky": True}, headers=api.agent)
    assert extra.status_code == 422
    huge = api.post(
        url, content=b"x" * 300_000, headers={**api.agent, "content-type": "application/json"}
    )
    assert huge.status_code == 413
    missing = api.get("/api/conversations/999999", headers=api.agent)
    assert missing.status_code == 404
    assert missing.json()["title"] == "Not Found"
    assert api.post("/api/conversations/999999/resolve", headers=api.agent).status_code == 404
    assert api.put("/api/conversations", headers=api.agent).status_code == 405


def test_private_reply_outside_the_window_is_422_with_reason(api, careline_clock) -> None:
    conversation_id = open_conversation(api, visibility="private")
    careline_clock.advance(days=8)
    response = api.post(
        f"/api/conversations/{conversation_id}/reply", json={"text": "hello?"}, headers=api.agent
    )
    assert response.status_code == 422
    assert response.json()["outcome"] == "refused"
    assert "window closed" in response.json()["detail"]


def test_approvals_flow(api, test_platform) -> None:
    from careline import hookimpl
    from careline.types import Finding, Severity

    class NeedsApproval:
        @hookimpl
        def careline_check_reply(self, draft):
            return (
                [Finding("legal", Severity.APPROVAL, "refunds need approval")]
                if "refund" in draft.text
                else []
            )

    api.runtime.pm.register(NeedsApproval())
    conversation_id = open_conversation(api)
    held = api.post(
        f"/api/conversations/{conversation_id}/reply",
        json={"text": "full refund"},
        headers=api.agent,
    )
    assert held.status_code == 202
    outbox_id = held.json()["outbox_id"]
    assert api.get("/api/approvals", headers=api.agent).status_code == 403
    assert api.get("/api/approvals", headers=api.supervisor).json()["items"][0]["id"] == outbox_id
    assert (
        api.post(f"/api/approvals/{outbox_id}/reject", json={}, headers=api.supervisor).status_code
        == 422
    )
    approved = api.post(f"/api/approvals/{outbox_id}/approve", json={}, headers=api.supervisor)
    assert approved.json()["outcome"] == "sent"
    assert [m.text for m in test_platform.sent] == ["full refund"]


def test_contacts_merge_and_undo(api) -> None:
    first = open_conversation(api, "m1", author="ann")
    deliver(api.runtime, "testchannel", delivery(message("m2", author="ann-alt", thread="t9")))
    pipeline.process_pending(api.runtime)
    listing = api.get("/api/conversations", headers=api.agent).json()["items"]
    contact_a = next(c["contact_id"] for c in listing if c["id"] == first)
    contact_b = next(c["contact_id"] for c in listing if c["id"] != first)
    assert (
        api.post(
            f"/api/contacts/{contact_b}/merge", json={"into": contact_a}, headers=api.agent
        ).status_code
        == 403
    )
    merged = api.post(
        f"/api/contacts/{contact_b}/merge", json={"into": contact_a}, headers=api.supervisor
    )
    assert merged.status_code == 200
    assert len(api.get(f"/api/contacts/{contact_a}", headers=api.agent).json()["identities"]) == 2
    undone = api.post(f"/api/contacts/{contact_b}/unmerge", headers=api.supervisor).json()
    assert len(undone["identities"]) == 1
    assert len(api.get(f"/api/contacts/{contact_a}", headers=api.agent).json()["identities"]) == 1


def test_plugins_and_reports_listing(api) -> None:
    assert api.get("/api/plugins", headers=api.agent).status_code == 200
    assert api.get("/api/reports", headers=api.supervisor).status_code == 200
    assert api.get("/api/reports/nope", headers=api.supervisor).status_code == 404


def test_webhook_stores_signed_deliveries_once_and_refuses_bad_ones(api) -> None:
    from careline.models import RawEvent
    from sqlmodel import func, select

    body = delivery(message("w1"))
    assert api.post("/webhooks/testchannel", content=body, headers=sign(body)).json() == {
        "received": True,
        "duplicate": False,
    }
    assert api.post("/webhooks/testchannel", content=body, headers=sign(body)).json()["duplicate"]
    assert api.post("/webhooks/testchannel", content=body).status_code == 403
    assert (
        api.post("/webhooks/testchannel", content=body + b" ", headers=sign(body)).status_code
        == 403
    )
    assert api.post("/webhooks/nochannel", content=body).status_code == 404
    big = b"x" * (api.runtime.settings.core("web").max_body_bytes + 1)
    assert api.post("/webhooks/testchannel", content=big, headers=sign(big)).status_code == 413
    with api.runtime.db.session() as session:
        assert session.exec(select(func.count()).select_from(RawEvent)).one() == 1


def test_openapi_describes_exactly_the_real_routes(api) -> None:
    document = api.get("/api/openapi.json").json()
    described = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    real = set()
    for route in api.app.routes:
        path = getattr(route, "path", "")
        if path.startswith("/api/") and path != "/api/openapi.json":
            for method in route.methods - {"HEAD"}:
                real.add((method, path.replace(":int", "")))
    assert described == real
    for path, item in document["paths"].items():
        for operation in item.values():
            assert operation["summary"], path
