"""Every check on arbitrary Unicode: no exception, spans inside the draft (both databases)."""

from __future__ import annotations

from careline.types import Severity, Visibility
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_text = st.text(st.characters(codec="utf-8"), max_size=300)
_rich = st.one_of(
    _text,
    st.lists(
        st.sampled_from(
            [
                "calm down",
                "our fault",
                "anna@example.org",
                "+1 212 555 0123",
                "4111111111111111",
                "https://",
                "bit.ly/x",
                "acme.com",
                "www.",
                "^JS",
                "-",
                "!!",
                "ÄÖÜ",
                "😀",
                "\n",
                " ",
                "@anna_s",
                "Anna",
                "ß",
                "İ",
                "\u0301",
                "\u200b",
                "DM",
            ]
        ),
        max_size=25,
    ).map("".join),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=_rich,
    customer_text=_rich,
    name=st.one_of(st.none(), _text),
    language=st.one_of(st.none(), st.sampled_from(["en", "de-AT", "xx", ""])),
    private=st.booleans(),
    automated=st.booleans(),
    template_id=st.one_of(st.none(), st.sampled_from(["thanks", "outage", "missing"])),
)
def test_checks_never_raise_on_arbitrary_drafts(
    check,
    careline_db,
    careline_settings,
    make_conversation,
    text,
    customer_text,
    name,
    language,
    private,
    automated,
    template_id,
):
    careline_settings.data["guidelines"] = {
        "rules": {
            "required_elements": {"require_signature": True, "require_greeting_name": True},
            "links": {"allowed_domains": ["acme.com"]},
        }
    }
    conversation = make_conversation(
        customer_text, contact_name=name, language=language, personal_data_kinds=("email",)
    )
    findings = check(
        text,
        conversation=conversation,
        settings=careline_settings,
        visibility=Visibility.PRIVATE if private else Visibility.PUBLIC,
        automated=automated,
        template_id=template_id,
    )
    for finding in findings:
        assert isinstance(finding.severity, Severity)
        assert finding.message
        if finding.span is not None:
            start, end = finding.span
            assert 0 <= start <= end <= len(text)
    assert not any(f.rule == "duplicate" and "Could not check" in f.message for f in findings)
