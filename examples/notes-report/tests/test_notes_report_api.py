"""The notes report through the plugin manager and the web API (rendered by careline-reports)."""

from __future__ import annotations

import csv
import io
from typing import Any

from careline.models import Conversation
from careline.services import agents, conversations
from careline.testing.channel import delivery, message
from careline.testing.flow import deliver_and_process
from careline_notes_report.report import NotesReport
from sqlmodel import select


def test_careline_register_reports_provides_notes(careline_plugin_manager: Any) -> None:
    pm = careline_plugin_manager("careline-notes-report")
    reports = [r for found in pm.hook.careline_register_reports() for r in found]
    assert [type(r) for r in reports] == [NotesReport]


def test_notes_report_as_csv_through_the_api(careline_app: Any) -> None:
    client = careline_app("careline-notes-report", "careline-reports")
    runtime = client.runtime
    deliver_and_process(
        runtime,
        "testchannel",
        delivery(
            message("m1", text="Where is my parcel?"),
            message("m2", author="u2", thread="t2", text="Hi"),
        ),
    )
    with runtime.db.session() as session:
        first, second = [c.id or 0 for c in session.exec(select(Conversation)).all()]
    ana = agents.add_agent(runtime, "Ana").id
    conversations.add_note(runtime, first, "Customer called too.", agent_id=ana)
    conversations.add_note(runtime, first, "Carrier says Tuesday.", agent_id=ana)
    conversations.add_note(runtime, second, "Known spammer?", agent_id=ana)
    runtime.clock.advance(minutes=5)  # the period ends now, and excludes its end
    headers = client.token_for("Sue Pervisor", "supervisor")

    listed = client.get("/api/reports", headers=headers).json()["items"]
    assert "notes" in {item["name"] for item in listed}

    response = client.get("/api/reports/notes?format=csv&since=1d", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    header = next(i for i, row in enumerate(rows) if row[:2] == ["agent", "notes"])
    assert rows[header + 1][:3] == ["Ana", "3", "2"], response.text

    as_agent = client.token_for("Jo", "agent")
    assert client.get("/api/reports/notes", headers=as_agent).status_code == 403
