"""Import and export of JSON lines: streaming, idempotent, bad lines named, nothing lost."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from careline.importer import export_records, import_stream
from careline.models import Conversation, Event, Message
from careline.testing.databases import reset_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def record(n: int, *, author: str = "u1", thread: str = "t1", minutes: int = 0, **extra) -> dict:
    return {
        "channel": "twitter",
        "account": "acme",
        "external_id": str(1_245_403_438_755_852_288 + n),
        "thread": thread,
        "author": {"id": author, "handle": author, "followers": 12},
        "text": f"message {n} about my order",
        "created_at": (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z"),
        **extra,
    }


def lines(*records: dict) -> io.StringIO:
    return io.StringIO("".join(json.dumps(r) + "\n" for r in records))


def counts(runtime) -> tuple[int, int]:
    with runtime.db.session() as session:
        messages = session.exec(select(func.count()).select_from(Message)).one()
        conversations = session.exec(select(func.count()).select_from(Conversation)).one()
    return int(messages), int(conversations)


def test_import_threads_history_and_reports_bad_lines(careline_runtime) -> None:
    runtime = careline_runtime()
    text = (
        json.dumps(record(1))
        + "\n"
        + "{not json\n"
        + json.dumps({**record(2), "created_at": "yesterday"})
        + "\n"
        + json.dumps({**record(3), "author": {}})
        + "\n"
        + "\n"
        + json.dumps(record(4, minutes=5))
        + "\n"
        + json.dumps(record(5, author="brand", minutes=9, direction="out"))
        + "\n"
    )
    stats = import_stream(runtime, io.StringIO(text), batch_size=2)
    assert (stats.lines, stats.imported) == (6, 3)
    assert [number for number, _ in stats.errors] == [2, 3, 4]
    assert "created_at" in stats.errors[1][1]
    assert counts(runtime) == (3, 1)
    with runtime.db.session() as session:
        replied = session.exec(select(Event).where(Event.type == "replied")).one()
        assert replied.data["via"] == "import"
        conversation = session.exec(select(Conversation)).one()
        assert conversation.first_response_at == T0 + timedelta(minutes=9)


records_strategy = st.lists(
    st.builds(
        lambda n, a, t, m: record(n, author=f"u{a}", thread=f"t{t}", minutes=m),
        st.integers(0, 30),
        st.integers(0, 3),
        st.integers(0, 3),
        st.integers(0, 600),
    ),
    max_size=15,
    unique_by=lambda r: r["external_id"],
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(records=records_strategy)
def test_import_twice_equals_import_once(careline_runtime, records) -> None:
    runtime = careline_runtime()
    reset_database(runtime.db.engine)
    ordered = sorted(records, key=lambda r: r["created_at"])
    import_stream(runtime, lines(*ordered))
    once = counts(runtime)
    again = import_stream(runtime, lines(*ordered))
    assert counts(runtime) == once
    assert again.imported == 0
    assert again.duplicates == len(ordered)


def test_export_round_trips_through_import(careline_runtime, tmp_path: Path) -> None:
    runtime = careline_runtime()
    import_stream(
        runtime,
        lines(
            record(1),
            record(2, author="u2", thread="t2", minutes=3, visibility="private", participant="u2"),
        ),
    )
    exported = list(export_records(runtime))
    assert {r["external_id"] for r in exported} == {
        record(1)["external_id"],
        record(2)["external_id"],
    }
    private = next(r for r in exported if r["visibility"] == "private")
    assert private["participant"] == "u2"
    reset_database(runtime.db.engine)
    stats = import_stream(runtime, lines(*exported))
    assert stats.imported == 2
    assert stats.errors == []


def test_cli_import_and_export(careline_cli, careline_database_url, tmp_path: Path) -> None:
    from careline.db import Database

    Database.from_url(careline_database_url).create_schema()
    source = tmp_path / "history.jsonl"
    source.write_text(json.dumps(record(1)) + "\n" + "oops\n" + json.dumps(record(2)) + "\n")
    env = {"CARELINE_DATABASE_URL": careline_database_url}
    result = careline_cli("import", str(source), env=env)
    assert result.exit_code == 2
    assert "2 imported" in result.output
    assert f"{source}:2:" in result.output
    out = tmp_path / "out.jsonl"
    exported = careline_cli("export", "--out", str(out), env=env)
    assert exported.exit_code == 0
    assert len(out.read_text().splitlines()) == 2
