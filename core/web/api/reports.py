"""``/api/reports``: whatever report plugins provide, as JSON, CSV or HTML."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from careline.clock import ensure_utc
from careline.config import parse_duration
from careline.reporting import Report, ReportParams
from careline.runtime import Runtime
from careline.types import Role
from careline.web.api.registry import ApiCall, ApiRegistry
from careline.web.errors import ApiError
from sqlmodel import Session
from starlette.responses import JSONResponse, Response

registry = ApiRegistry()
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}
REPORT_QUERY = {
    "since": "Start: a duration back from now (30d) or an ISO date/time (default 30d).",
    "until": "End: ISO date/time (default now).",
    "tz": "IANA time zone for days and hours (default: the instance's).",
    "channel": "Only this channel.",
    "queue": "Only this queue.",
    "agent": "Only this agent id.",
    "source": "owned or earned.",
    "business_hours": "1 to measure durations in business hours.",
    "format": "json (default), csv, html or text.",
}


def reports_by_name(runtime: Runtime) -> dict[str, Report]:
    """Every report the plugins register, by name."""
    found: dict[str, Report] = {}
    for group in runtime.pm.hook.careline_register_reports():
        for report in group or []:
            found[report.name] = report
    return found


def _moment(runtime: Runtime, value: str | None, default: datetime) -> datetime:
    if not value:
        return default
    try:
        return runtime.now() - parse_duration(value)
    except ValueError:
        pass
    try:
        return ensure_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise ApiError(400, f"not a duration or ISO time: {value!r}") from None


def params_from_query(call: ApiCall) -> ReportParams:
    """Report parameters from the query string (400 on bad values)."""
    runtime = call.runtime
    now = runtime.now()
    since = _moment(runtime, call.query.get("since"), now - timedelta(days=30))
    until = _moment(runtime, call.query.get("until"), now)
    if until <= since:
        raise ApiError(400, "until must be after since")
    source = call.query.get("source")
    if source not in (None, "", "owned", "earned"):
        raise ApiError(400, "source must be owned or earned")
    timezone = call.query.get("tz") or runtime.settings.instance.timezone
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiError(400, f"unknown time zone {timezone!r}") from None
    return ReportParams(
        since=since,
        until=until,
        timezone=timezone,
        channel=call.query.get("channel") or None,
        queue=call.query.get("queue") or None,
        agent_id=call.query_int("agent"),
        source=source or None,
        business_hours=call.query.get("business_hours") in ("1", "true", "yes"),
    )


@registry.endpoint(
    "GET", "/api/reports", summary="List reports", role=Role.SUPERVISOR, tag="reports"
)
def list_reports(call: ApiCall) -> dict[str, Any]:
    """The reports installed plugins provide."""
    return {
        "items": [
            {
                "name": r.name,
                "title": r.title,
                "description": r.description,
                "parameters": [p.name for p in r.parameters],
            }
            for r in sorted(reports_by_name(call.runtime).values(), key=lambda r: r.name)
        ]
    }


@registry.endpoint(
    "GET",
    "/api/reports/{name}",
    summary="Compute a report",
    role=Role.SUPERVISOR,
    query=REPORT_QUERY,
    tag="reports",
)
def report(call: ApiCall) -> Response:
    """Compute a report for the period and filters, in the asked format."""
    runtime = call.runtime
    found = reports_by_name(runtime).get(call.path["name"])
    if found is None:
        raise ApiError(404, f"no report named {call.path['name']!r}")
    fmt = call.query.get("format", "json")
    if fmt not in MEDIA_TYPES:
        raise ApiError(400, "format must be json, csv, html or text")
    params = params_from_query(call)
    with Session(runtime.db.engine) as session:
        # Reports read the instance's SLA targets and business hours from here.
        session.info["careline.settings"] = runtime.settings
        result = found.compute(session, params)
    rendered = runtime.pm.hook.careline_render_report(result=result, format=fmt)
    if rendered is None:
        if fmt != "json":
            raise ApiError(409, f"no installed plugin renders reports as {fmt}")
        return JSONResponse(
            {"name": result.name, "title": result.title, "figures": dict(result.figures)}
        )
    return Response(rendered, media_type=MEDIA_TYPES[fmt])
