"""``links``: links only to the brand's own domains, never through a link shortener."""

from __future__ import annotations

from careline.types import Finding

from careline_guidelines.links import find_links, host_matches
from careline_guidelines.rules.base import CheckContext

RULE = "links"


def check(context: CheckContext) -> list[Finding]:
    """A finding for every link to a blocked domain or to a domain that is not allowed."""
    rule = context.config.rules.links
    domains = [*rule.allowed_domains, *rule.blocked_domains]
    tlds = {domain.rsplit(".", 1)[-1] for domain in domains}
    findings = []
    for link in find_links(context.draft.text, tlds):
        if rule.blocked_domains and host_matches(link.host, rule.blocked_domains):
            message = (
                f"{link.host} hides where a link leads and customers are taught not to trust "
                "it: link to the page itself."
            )
        elif rule.allowed_domains and not host_matches(link.host, rule.allowed_domains):
            allowed = ", ".join(rule.allowed_domains)
            message = (
                f"{link.host} is not one of the brand's domains ({allowed}): link to a page on "
                "those instead, or ask for the domain to be allowed."
            )
        else:
            continue
        findings.append(
            Finding(rule=RULE, severity=rule.severity, message=message, span=(link.start, link.end))
        )
    return findings
