"""Rendering reply templates in Jinja2's immutable sandbox.

Templates are written by supervisors in ``careline.toml`` and rendered with customer data, so
they get no way to reach Python: the sandbox refuses private attributes and mutation, the usual
globals (``cycler``, ``joiner``, ``lipsum``, ``namespace``) are removed, an unknown variable is a
clear error instead of an empty string, and repeating a string or list beyond the length of a
reply is refused so that a template cannot exhaust memory.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from careline.types import AgentView, ConversationView, ReplyTemplate
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from careline_guidelines.text import first_name, initials_of

MAX_RENDERED_LENGTH = 10_000
MAX_POWER_BITS = 4_096
# Filters that cannot build text much longer than their input (no center/indent/format widths).
SAFE_FILTERS = frozenset(
    [
        "abs",
        "capitalize",
        "count",
        "d",
        "default",
        "first",
        "float",
        "int",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "map",
        "reject",
        "rejectattr",
        "replace",
        "reverse",
        "round",
        "select",
        "selectattr",
        "sort",
        "string",
        "striptags",
        "title",
        "trim",
        "truncate",
        "unique",
        "upper",
        "wordcount",
    ]
)


class TemplateRenderError(ValueError):
    """A template could not be rendered; the message says which template and why."""


class GuardedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, plus limits on ``*``, ``**`` and ``%`` (no giant values)."""

    intercepted_binops = frozenset(["*", "**", "%"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Refuse repetitions longer than a reply, huge powers and %-formatting of text."""
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if (
                    isinstance(sequence, str | list | tuple)
                    and isinstance(times, int)
                    and len(sequence) * times > MAX_RENDERED_LENGTH
                ):
                    raise SecurityError("repeating text beyond the length of a reply")
        if operator == "**" and _huge_power(left, right):
            raise SecurityError("numbers that large")
        if operator == "%" and isinstance(left, str):
            raise SecurityError("%-formatting (write {{ value }} instead)")
        return super().call_binop(context, operator, left, right)


def _huge_power(base: Any, exponent: Any) -> bool:
    if not isinstance(base, int | float) or not isinstance(exponent, int | float):
        return False
    if isinstance(base, float) or isinstance(exponent, float):
        return abs(exponent) > MAX_POWER_BITS
    return abs(base).bit_length() * abs(exponent) > MAX_POWER_BITS


def _bounded_replace(text: Any, old: str, new: str, count: int | None = None) -> str:
    result = str(text).replace(old, new, -1 if count is None else count)
    if len(result) > MAX_RENDERED_LENGTH:
        raise SecurityError("replacing text beyond the length of a reply")
    return result


@functools.cache
def sandbox() -> GuardedSandbox:
    """The one environment templates are compiled in (plain text: no HTML escaping)."""
    environment = GuardedSandbox(
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    environment.globals.clear()
    filters = {name: environment.filters[name] for name in SAFE_FILTERS}
    filters["replace"] = _bounded_replace
    environment.filters.clear()
    environment.filters.update(filters)
    return environment


def template_variables(
    conversation: ConversationView, agent: AgentView | None
) -> dict[str, Mapping[str, str]]:
    """What a template can use. Unknown values are left out, so ``| default(...)`` applies."""
    customer: dict[str, str] = {}
    if conversation.contact_name:
        customer["name"] = conversation.contact_name
        short = first_name(conversation.contact_name)
        if short:
            customer["first_name"] = short
    if conversation.contact_handle:
        customer["handle"] = conversation.contact_handle.lstrip("@")
    agent_values: dict[str, str] = {}
    if agent is not None:
        agent_values["name"] = agent.name
        initials = agent.initials or initials_of(agent.name)
        if initials:
            agent_values["initials"] = initials
            agent_values["signature"] = f"^{initials}"
    conversation_values = {
        "reference": f"#{conversation.id}",
        "channel": conversation.channel,
    }
    if conversation.topic:
        conversation_values["topic"] = conversation.topic
    if conversation.language:
        conversation_values["language"] = conversation.language
    return {"customer": customer, "agent": agent_values, "conversation": conversation_values}


def check_syntax(template_id: str, body: str) -> None:
    """Compile a template body; raise :class:`TemplateRenderError` with the line on error."""
    try:
        sandbox().from_string(body)
    except TemplateSyntaxError as exc:
        raise TemplateRenderError(
            f"template {template_id!r}, line {exc.lineno}: {exc.message}"
        ) from None


def render_template(
    template: ReplyTemplate, conversation: ConversationView, agent: AgentView | None
) -> str:
    """Render a template for a conversation; raise :class:`TemplateRenderError` on any problem."""
    check_syntax(template.id, template.body)
    try:
        text = sandbox().from_string(template.body).render(template_variables(conversation, agent))
    except SecurityError as exc:
        raise TemplateRenderError(
            f"template {template.id!r} uses something templates may not: {exc}"
        ) from None
    except UndefinedError as exc:
        raise TemplateRenderError(
            f"template {template.id!r}: {exc.message} (known: customer.name, "
            "customer.first_name, customer.handle, agent.name, agent.initials, "
            "agent.signature, conversation.reference, conversation.channel, "
            'conversation.topic, conversation.language; use | default("…") for optional ones)'
        ) from None
    except TemplateError as exc:
        raise TemplateRenderError(f"template {template.id!r}: {exc.message}") from None
    except (ArithmeticError, TypeError, ValueError, LookupError) as exc:
        raise TemplateRenderError(f"template {template.id!r}: {exc}") from None
    if len(text) > MAX_RENDERED_LENGTH:
        raise TemplateRenderError(
            f"template {template.id!r} renders to more than {MAX_RENDERED_LENGTH} characters"
        )
    return text.strip()
