"""Reports through the web layer: the API formats and the inbox page (with careline-reports)."""

from __future__ import annotations

import csv
import io

from careline import pipeline
from careline.services import replies
from careline.testing.channel import delivery, message
from careline.testing.flow import deliver


def test_report_api_formats_and_roles(careline_app, careline_clock) -> None:
    client = careline_app("careline-reports")
    supervisor = client.token_for("Sue Visor", "supervisor")
    agent = client.token_for("Ann Agent")
    runtime = client.runtime
    deliver(runtime, "testchannel", delivery(message("m1", at=careline_clock.now())))
    pipeline.process_pending(runtime)
    careline_clock.advance(minutes=12)
    replies.reply(runtime, 1, "On it!", agent_id=None)
    careline_clock.advance(hours=1)
    listing = client.get("/api/reports", headers=supervisor).json()["items"]
    assert "overview" in {r["name"] for r in listing}
    assert client.get("/api/reports", headers=agent).status_code == 403
    as_json = client.get("/api/reports/overview?since=1d", headers=supervisor)
    assert as_json.status_code == 200
    assert "overview" in as_json.text
    as_csv = client.get("/api/reports/overview?since=1d&format=csv", headers=supervisor)
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(as_csv.text)))
    as_html = client.get("/api/reports/volume?since=1d&format=html", headers=supervisor)
    assert "<svg" in as_html.text
    bad = client.get("/api/reports/overview?since=soon", headers=supervisor)
    assert bad.status_code == 400
    assert client.get("/api/reports/overview?tz=Mars/Base", headers=supervisor).status_code == 400
    assert client.get("/api/reports/overview?format=pdf", headers=supervisor).status_code == 400
