"""``agents``: what each agent handled and how fast and well."""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from careline.models import Agent
from careline.reporting import ReportParams
from careline.types import ReportResult, ReportTable
from sqlalchemy.orm import Session

from careline_reports.kpis import compute_cycle_kpis
from careline_reports.measures import CycleKpis
from careline_reports.reports.base import CareReport
from careline_reports.reports.performance import kpi_columns, table_rows
from careline_reports.sql.activity import replies_by_agent

NO_AGENT = "(no agent)"


class AgentsReport(CareReport):
    """Per agent: cycles handled (first responder), replies sent, FRT, resolution, SLA, CSAT."""

    name: ClassVar[str] = "agents"
    title: ClassVar[str] = "Agent performance"
    description: ClassVar[str] = (
        "Per agent: conversations handled (first human reply), replies sent, first response "
        "and resolution times, SLA attainment and CSAT."
    )

    def compute(self, session: Session, params: ReportParams) -> ReportResult:
        """Compute the agents report for ``params``."""
        per_agent = compute_cycle_kpis(session, params, self.settings_for(session), "agent")
        replies = replies_by_agent(session, params)
        agent_ids = {int(key) for key in per_agent if key} | {a for a in replies if a is not None}
        names = _agent_names(session, agent_ids)
        keyed: list[tuple[str, dict[str, Any]]] = []
        for agent_id in sorted(agent_ids, key=lambda a: names.get(a, str(a)).lower()):
            kpis = per_agent.get(str(agent_id), CycleKpis(str(agent_id), {}))
            keyed.append(
                (
                    names.get(agent_id, f"agent {agent_id}"),
                    _row(kpis, replies.get(agent_id, 0), params),
                )
            )
        unattributed = per_agent.get("")
        if unattributed is not None or replies.get(None):
            kpis = unattributed or CycleKpis("", {})
            keyed.append((NO_AGENT, _row(kpis, replies.get(None, 0), params)))
        columns, rows = table_rows(keyed)
        table = ReportTable(title="Agents", columns=("agent", *columns), rows=rows)
        return self.result(params, figures={"agents": len(agent_ids)}, tables=(table,))


def _row(kpis: CycleKpis, replies: int, params: ReportParams) -> dict[str, Any]:
    return {
        "handled": kpis.count("cycles"),
        "replies": replies,
        **kpi_columns(kpis, params.business_hours),
    }


def _agent_names(session: Session, agent_ids: set[int]) -> dict[int, str]:
    if not agent_ids:
        return {}
    table: Any = Agent.__table__  # type: ignore[attr-defined]
    statement = sa.select(table.c.id, table.c.name).where(table.c.id.in_(sorted(agent_ids)))
    return {int(agent_id): str(name) for agent_id, name in session.execute(statement)}
