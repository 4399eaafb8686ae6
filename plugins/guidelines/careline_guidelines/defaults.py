"""Built-in phrase lists: what a care reply should never say, per language.

``DISMISSIVE`` phrases sound condescending or final and only warn; ``LEGAL`` phrases promise or
admit something a lawyer would want to read first, and by default need a supervisor's approval.
Organisations add their own in ``[guidelines.rules.banned_phrases]`` (or switch these off with
``use_defaults = false``).
"""

from __future__ import annotations

DISMISSIVE: dict[str, tuple[str, ...]] = {
    "en": (
        "calm down",
        "as I said",
        "as I already said",
        "as previously stated",
        "unfortunately there is nothing",
        "there is nothing we can do",
        "per our policy",
        "as per our policy",
        "you should have",
        "not our problem",
        "obviously",
    ),
    "de": (
        "beruhigen Sie sich",
        "wie gesagt",
        "wie bereits gesagt",
        "leider können wir nichts",
        "da können wir nichts machen",
        "laut unseren Richtlinien",
    ),
    "fr": (
        "calmez-vous",
        "comme je l'ai dit",
        "comme déjà dit",
        "nous ne pouvons rien faire",
        "selon notre politique",
    ),
    "es": (
        "cálmese",
        "como ya le dije",
        "no podemos hacer nada",
        "según nuestra política",
    ),
}

LEGAL: dict[str, tuple[str, ...]] = {
    "en": (
        "we guarantee",
        "we admit",
        "our fault",
        "we are liable",
        "we accept liability",
        "legal action",
        "lawsuit",
    ),
    "de": (
        "wir garantieren",
        "wir geben zu",
        "unsere Schuld",
        "wir haften",
        "Klage",
    ),
    "fr": (
        "nous garantissons",
        "nous admettons",
        "notre faute",
        "nous sommes responsables",
    ),
    "es": (
        "garantizamos",
        "admitimos",
        "nuestra culpa",
        "somos responsables",
    ),
}
