"""Reply templates: listing by topic/language/channel, rendering, and the sandbox."""

from __future__ import annotations

import pytest
from careline.types import ReplyTemplate
from careline_guidelines.rendering import TemplateRenderError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CONFIGURED = {
    "templates": {
        "refund_de": {
            "title": "Erstattung",
            "body": "Hallo {{ customer.first_name }}, die Erstattung für {{ conversation.reference }} ist unterwegs. {{ agent.signature }}",
            "topics": ["refund"],
            "language": "de",
        },
        "fb_only": {"title": "Facebook", "body": "Hi from Facebook", "channels": ["facebook"]},
        "thanks": {"title": "Our own thanks", "body": "Cheers, {{ customer.handle }}!"},
    }
}


def listed(pm, settings, conversation):
    return [
        t.id
        for answer in pm.hook.careline_reply_templates(conversation=conversation, settings=settings)
        for t in answer
    ]


def render(pm, settings, conversation, agent, body, template_id="t"):
    template = ReplyTemplate(id=template_id, title="T", body=body)
    return pm.hook.careline_render_template(
        template=template, conversation=conversation, agent=agent, settings=settings
    )


def test_builtin_templates_are_listed(guidelines_pm, make_settings, make_conversation):
    ids = listed(guidelines_pm, make_settings(), make_conversation())
    assert ids == ["apology_dm", "order_number_dm", "thanks", "outage"]


def test_listing_filters_by_topic_language_and_channel(
    guidelines_pm, make_settings, make_conversation
):
    settings = make_settings(CONFIGURED)
    english = listed(guidelines_pm, settings, make_conversation())
    assert english == ["apology_dm", "order_number_dm", "thanks", "outage"]
    german_refund = listed(
        guidelines_pm, settings, make_conversation(language="de", topic="refund")
    )
    assert german_refund == ["thanks", "refund_de"]  # the configured "thanks" has no language
    german_other = listed(
        guidelines_pm, settings, make_conversation(language="de", topic="delivery")
    )
    assert german_other == ["thanks"]
    facebook = listed(guidelines_pm, settings, make_conversation(channel="facebook"))
    assert "fb_only" in facebook
    assert "fb_only" in listed(guidelines_pm, settings, None)


def test_configured_template_replaces_the_builtin_of_that_id(
    guidelines_pm, make_settings, make_conversation, agent
):
    settings = make_settings(CONFIGURED)
    conversation = make_conversation()
    [thanks] = [
        t
        for a in guidelines_pm.hook.careline_reply_templates(
            conversation=conversation, settings=settings
        )
        for t in a
        if t.id == "thanks"
    ]
    assert thanks.title == "Our own thanks"
    assert (
        guidelines_pm.hook.careline_render_template(
            template=thanks, conversation=conversation, agent=agent, settings=settings
        )
        == "Cheers, anna_s!"
    )


def test_builtins_can_be_switched_off(guidelines_pm, make_settings):
    assert listed(guidelines_pm, make_settings({"builtin_templates": False}), None) == []


def test_rendering_fills_every_variable(guidelines_pm, make_settings, make_conversation, agent):
    body = (
        "{{ customer.name }}|{{ customer.first_name }}|{{ customer.handle }}|{{ agent.name }}|"
        "{{ agent.initials }}|{{ agent.signature }}|{{ conversation.reference }}|"
        "{{ conversation.channel }}|{{ conversation.topic }}|{{ conversation.language }}"
    )
    conversation = make_conversation(topic="delivery")
    text = render(guidelines_pm, make_settings(), conversation, agent, body)
    assert text == "Anna Schmidt|Anna|anna_s|Jane Smith|JS|^JS|#7|testchannel|delivery|en"


def test_rendering_is_plain_text(guidelines_pm, make_settings, make_conversation, agent):
    conversation = make_conversation(contact_name="Tom & <Jerry>")
    assert (
        render(guidelines_pm, make_settings(), conversation, agent, "Hi {{ customer.name }}")
        == "Hi Tom & <Jerry>"
    )


def test_builtin_templates_render_without_a_name_or_an_agent(
    guidelines_pm, make_settings, make_conversation
):
    settings = make_settings()
    anonymous = make_conversation(contact_name=None, contact_handle=None)
    for template in guidelines_pm.hook.careline_reply_templates(
        conversation=anonymous, settings=settings
    )[0]:
        text = guidelines_pm.hook.careline_render_template(
            template=template, conversation=anonymous, agent=None, settings=settings
        )
        assert "None" not in text and "{" not in text and not text.endswith(" ")


def test_unknown_variable_is_a_clear_error(guidelines_pm, make_settings, make_conversation, agent):
    with pytest.raises(
        TemplateRenderError,
        match=r"template 't': 'dict object' has no attribute 'email'.*known: customer.name",
    ):
        render(
            guidelines_pm, make_settings(), make_conversation(), agent, "Hi {{ customer.email }}"
        )
    with pytest.raises(TemplateRenderError, match="'order' is undefined"):
        render(guidelines_pm, make_settings(), make_conversation(), agent, "Order {{ order.id }}")


def test_missing_optional_value_uses_the_default(guidelines_pm, make_settings, make_conversation):
    anonymous = make_conversation(contact_name=None)
    text = render(
        guidelines_pm,
        make_settings(),
        anonymous,
        None,
        "Hi {{ customer.first_name | default('there') }}",
    )
    assert text == "Hi there"


def test_syntax_error_in_configured_template_fails_at_startup(guidelines_pm, make_settings):
    from careline.config import ConfigError

    settings = make_settings(
        {"templates": {"broken": {"title": "B", "body": "Hi {{ customer.name "}}}
    )
    with pytest.raises(
        ConfigError, match=r"guidelines\.templates\.broken\.body: template 'broken', line 1"
    ):
        guidelines_pm.hook.careline_startup(settings=settings)


SANDBOX_ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__.os }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__init__.__globals__ }}",
    "{{ customer.__class__.__init__.__globals__ }}",
    "{{ customer.items.__self__.__class__ }}",
    "{{ customer|attr('__class__') }}",
    "{{ customer['__class__'] }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ request.application.__globals__ }}",
    "{% set x = ''.__class__ %}{{ x }}",
    "{{ '{0.__class__}'.format(1) }}",
    "{{ '{0.__class__.__mro__}'.format(customer) }}",
    "{{ '%s' % customer.__class__ }}",
    "{{ range.__self__ }}",
    "{{ customer.update({'name': 'x'}) }}",
    "{{ 'a' * 100000000 }}",
    "{{ 2 ** 100000 }}",
    "{{ 'x' | center(100000000) }}",
    "{{ 'x' | format('y') }}",
    "{{ 'ab' | replace('a', 'a' * 9000) | replace('a', 'aa') }}",
]
HARMLESS = [
    ("{% set x = ''.__class__ %}", ""),
    ("{{ 'a'.format_map({}) }}", "a"),
    ("{{ customer.name.upper() }}", "ANNA SCHMIDT"),
]


@pytest.mark.parametrize("body", SANDBOX_ESCAPES)
def test_templates_cannot_reach_python(
    guidelines_pm, make_settings, make_conversation, agent, body
):
    with pytest.raises(TemplateRenderError, match=r"^template 't'"):
        render(guidelines_pm, make_settings(), make_conversation(), agent, body)


@pytest.mark.parametrize(("body", "expected"), HARMLESS)
def test_some_tricks_render_harmlessly(
    guidelines_pm, make_settings, make_conversation, agent, body, expected
):
    assert render(guidelines_pm, make_settings(), make_conversation(), agent, body) == expected


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.sampled_from(
            [
                "{{ ",
                " }}",
                "{% ",
                " %}",
                "customer",
                "agent",
                "''",
                ".",
                "__class__",
                "__globals__",
                "__init__",
                "__mro__",
                "[1]",
                "()",
                "|attr('__dict__')",
                "self",
                "cycler",
                "config",
                "format",
                "'{0.__class__}'",
                "set x = ",
                "x",
                " ~ ",
                "name",
                "|default('a')",
            ]
        ),
        max_size=12,
    )
)
def test_random_template_fragments_never_leak_python(
    guidelines_pm, make_settings, make_conversation, agent, parts
):
    body = "".join(parts) or "x"
    try:
        text = render(guidelines_pm, make_settings(), make_conversation(), agent, body)
    except TemplateRenderError:
        return
    assert "<" not in text and "class '" not in text and "function" not in text
