"""banned_phrases: whole words, any case, per language; legal no-gos need approval."""

from __future__ import annotations

from careline.types import Severity
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def phrases(findings):
    return [f for f in findings if f.rule == "banned_phrases"]


def test_dismissive_phrase_warns_with_its_span(check):
    text = "Please calm down, Anna. ^JS"
    [finding] = phrases(check(text))
    assert finding.severity is Severity.WARN
    assert text[finding.span[0] : finding.span[1]] == "calm down"
    assert '"calm down"' in finding.message


def test_matching_is_case_insensitive_and_whitespace_tolerant(check):
    [finding] = phrases(check("AS  I\nSAID, it ships Monday ^JS"))
    assert finding.span == (0, 10)


def test_only_whole_words_match(check):
    assert (
        phrases(check("Our faultless team will guarantee nothing odd: we guaranteed it ^JS")) == []
    )


def test_legal_no_go_needs_approval(check):
    text = "This was our fault and we guarantee a refund ^JS"
    findings = phrases(check(text))
    assert [(text[f.span[0] : f.span[1]], f.severity) for f in findings] == [
        ("our fault", Severity.APPROVAL),
        ("we guarantee", Severity.APPROVAL),
    ]


def test_typographic_apostrophes_match(check):
    assert phrases(check("It’s not our problem, sorry ^JS"))  # "not our problem"


def test_nested_phrases_are_one_finding(check):
    text = "As per our policy we can't ^JS"
    [finding] = phrases(check(text))
    assert text[finding.span[0] : finding.span[1]] == "As per our policy"


def test_language_specific_phrases_apply_to_their_language(check, make_conversation):
    german = make_conversation(language="de")
    text = "Wie gesagt, das Paket kommt morgen. ^JS"
    assert phrases(check(text, conversation=german))
    assert phrases(check(text, conversation=make_conversation(language="en"))) == []
    assert phrases(check(text, conversation=make_conversation(language=None)))


def test_configured_phrases_and_severities(check, make_conversation):
    config = {
        "rules": {
            "banned_phrases": {
                "phrases": ["no worries"],
                "phrases_by_language": {"de": ["kein Problem"]},
                "legal_phrases": ["refund guaranteed"],
                "severity": "block",
                "legal_severity": "block",
                "use_defaults": False,
            }
        }
    }
    text = "No worries, refund guaranteed! Calm down. ^JS"
    found = [(text[f.span[0] : f.span[1]], f.severity) for f in phrases(check(text, config=config))]
    assert found == [("No worries", Severity.BLOCK), ("refund guaranteed", Severity.BLOCK)]
    german = make_conversation(language="de-AT")
    assert phrases(check("Kein Problem! ^JS", config=config, conversation=german))


_phrase = st.sampled_from(["calm down", "as I said", "per our policy", "we admit", "our fault"])
_separator = st.sampled_from([" ", "  ", "\n", "\t"])
_around = st.text(st.sampled_from("xyz ,.;!?"), max_size=20)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_phrase, st.randoms(use_true_random=False), _separator, _around, _around)
def test_a_planted_phrase_is_always_found(check, phrase, random, separator, before, after):
    written = separator.join(
        "".join(c.upper() if random.random() < 0.5 else c for c in word) for word in phrase.split()
    )
    text = f"{before} {written} {after}"
    spans = [f.span for f in phrases(check(text))]
    start = len(before) + 1
    assert any(s <= start and start + len(written) <= e for s, e in spans), (text, spans)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_phrase, st.sampled_from(["x", "9", "é", "_"]))
def test_a_phrase_glued_to_a_word_is_not_found(check, phrase, glue):
    assert phrases(check(f"{glue}{phrase}{glue}", config={"rules": {"banned_phrases": {}}})) == []
