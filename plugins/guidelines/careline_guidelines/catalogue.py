"""The reply templates: a few built-in ones plus those configured in ``[guidelines.templates]``."""

from __future__ import annotations

from careline.types import ConversationView, ReplyTemplate

from careline_guidelines.config import GuidelinesConfig
from careline_guidelines.text import primary_language

_GREETING = "Hi {{ customer.first_name | default(customer.handle | default('there')) }}"
_SIGNATURE = "{{ agent.signature | default('') }}"

BUILTIN_TEMPLATES: tuple[ReplyTemplate, ...] = (
    ReplyTemplate(
        id="apology_dm",
        title="Apology and move to a private message",
        body=(
            f"{_GREETING}, we're sorry about this and want to put it right. Please send us a "
            "private message with the details (never post them here) and we'll look into it "
            f"straight away. {_SIGNATURE}"
        ),
        language="en",
    ),
    ReplyTemplate(
        id="order_number_dm",
        title="Ask for the order number in a private message",
        body=(
            f"{_GREETING}, we'd like to check this for you. Please send us your order number "
            "in a private message (not here, so it stays private) and we'll take it from "
            f"there. {_SIGNATURE}"
        ),
        language="en",
    ),
    ReplyTemplate(
        id="thanks",
        title="Thanks for the kind words",
        body=(
            "Thank you{% if customer.first_name is defined %}, {{ customer.first_name }}"
            "{% endif %}! We'll pass your kind words on to the team. "
            f"{_SIGNATURE}"
        ),
        language="en",
    ),
    ReplyTemplate(
        id="outage",
        title="Outage acknowledgement",
        body=(
            f"{_GREETING}, we know some customers are affected by a service problem right now "
            "and our team is working on a fix. We'll post updates here; thanks for your "
            f"patience. {_SIGNATURE}"
        ),
        language="en",
    ),
)


def all_templates(config: GuidelinesConfig) -> list[ReplyTemplate]:
    """Built-in templates (unless switched off), then configured ones; same id replaces."""
    templates: dict[str, ReplyTemplate] = {}
    if config.builtin_templates:
        templates.update((template.id, template) for template in BUILTIN_TEMPLATES)
    for template_id, configured in config.templates.items():
        templates[template_id] = ReplyTemplate(
            id=template_id,
            title=configured.title,
            body=configured.body,
            topics=tuple(configured.topics),
            language=configured.language,
            channels=tuple(configured.channels),
        )
    return list(templates.values())


def fits(template: ReplyTemplate, conversation: ConversationView) -> bool:
    """Whether a template suits a conversation's topic, language and channel.

    A template without topics (or channels, or language) fits every one; a conversation whose
    language is unknown is offered templates of every language.
    """
    if template.topics and conversation.topic not in template.topics:
        return False
    if template.channels and conversation.channel not in template.channels:
        return False
    language = primary_language(conversation.language)
    return not (template.language and language and primary_language(template.language) != language)


def templates_for(
    conversation: ConversationView | None, config: GuidelinesConfig
) -> list[ReplyTemplate]:
    """The templates that fit ``conversation`` (all of them when it is ``None``)."""
    templates = all_templates(config)
    if conversation is None:
        return templates
    return [template for template in templates if fits(template, conversation)]


def find_template(template_id: str, config: GuidelinesConfig) -> ReplyTemplate | None:
    """The template with that id, or ``None``."""
    return next((t for t in all_templates(config) if t.id == template_id), None)
