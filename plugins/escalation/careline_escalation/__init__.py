"""careline-escalation: Escalation: triggers, SLA ladders, follow-ups and notifications."""
