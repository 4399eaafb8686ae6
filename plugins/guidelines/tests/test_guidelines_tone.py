"""tone: shouting, exclamation marks, and templates sent word for word."""

from __future__ import annotations

from careline.types import Severity


def tone(findings):
    return [f for f in findings if f.rule == "tone"]


def test_all_caps_reads_as_shouting(check):
    [finding] = tone(check("WE ARE LOOKING INTO IT RIGHT NOW ^JS"))
    assert finding.severity is Severity.WARN
    assert "shouting" in finding.message


def test_short_caps_and_handles_do_not_count(check):
    assert tone(check("OK, THANKS ^JS")) == []  # fewer than 12 letters
    assert tone(check("@ACME_SUPPORT_TEAM_UK we are looking into it ^JS")) == []
    assert tone(check("Your NHS and DHL IDs are fine, Anna ^JS")) == []


def test_caps_threshold_is_configurable(check):
    config = {"rules": {"tone": {"caps_ratio": 0.5, "caps_min_letters": 4}}}
    assert tone(check("SORRY ABOUT that", config=config))


def test_double_exclamation_marks(check):
    text = "Thanks Anna!! ^JS"
    [finding] = tone(check(text))
    assert text[finding.span[0] : finding.span[1]] == "!!"


def test_more_than_two_exclamation_marks(check):
    text = "Thanks! Great! Enjoy! Bye! ^JS"
    [finding] = tone(check(text))
    assert "4 exclamation marks" in finding.message
    assert finding.span == (text.index("Enjoy!") + 5, text.index("Bye!") + 4)
    assert tone(check("Thanks! Great! ^JS")) == []
    assert tone(check("Thanks! Great! ^JS", config={"rules": {"tone": {"max_exclamations": 1}}}))


def test_template_sent_word_for_word_is_robotic(
    check, guidelines_pm, make_settings, make_conversation, agent
):
    settings = make_settings()
    anonymous = make_conversation(contact_name=None, contact_handle=None)
    [template] = [
        t
        for answer in guidelines_pm.hook.careline_reply_templates(
            conversation=anonymous, settings=settings
        )
        for t in answer
        if t.id == "outage"
    ]
    rendered = guidelines_pm.hook.careline_render_template(
        template=template, conversation=anonymous, agent=agent, settings=settings
    )
    findings = tone(
        check(rendered, template_id="outage", conversation=anonymous, settings=settings)
    )
    assert len(findings) == 1
    assert "Outage acknowledgement" in findings[0].message
    personalised = rendered.replace("right now", "with card payments right now")
    assert (
        tone(check(personalised, template_id="outage", conversation=anonymous, settings=settings))
        == []
    )


def test_rendered_template_with_the_customer_s_name_is_not_robotic(
    check, guidelines_pm, make_settings, make_conversation, agent
):
    settings = make_settings()
    conversation = make_conversation()
    [template] = [
        t
        for answer in guidelines_pm.hook.careline_reply_templates(
            conversation=conversation, settings=settings
        )
        for t in answer
        if t.id == "apology_dm"
    ]
    rendered = guidelines_pm.hook.careline_render_template(
        template=template, conversation=conversation, agent=agent, settings=settings
    )
    assert rendered.startswith("Hi Anna,")
    assert tone(check(rendered, template_id="apology_dm", settings=settings)) == []


def test_robotic_check_can_be_switched_off(check, make_conversation):
    anonymous = make_conversation(contact_name=None, contact_handle=None)
    body = "Thank you! We'll pass your kind words on to the team. ^JS"
    assert tone(check(body, template_id="thanks", conversation=anonymous))
    config = {"rules": {"tone": {"check_robotic": False}}}
    assert tone(check(body, template_id="thanks", conversation=anonymous, config=config)) == []
