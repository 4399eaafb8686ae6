"""Small text helpers shared by the rules: normalising, phrase patterns, languages, names."""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
_APOSTROPHES = "'’ʼ‘`"


def normalise_for_comparison(text: str) -> str:
    """The text as two replies are compared: NFKC, case-folded, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WHITESPACE.sub(" ", folded).strip()


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A case-insensitive whole-word pattern for ``phrase``.

    Any run of whitespace in the phrase matches any run of whitespace in the text, and any
    apostrophe matches the typographic ones agents' phones put in.
    """
    parts = []
    for word in phrase.split():
        escaped = "".join(
            f"[{re.escape(_APOSTROPHES)}]" if char in _APOSTROPHES else re.escape(char)
            for char in word
        )
        parts.append(escaped)
    body = r"\s+".join(parts)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def primary_language(tag: str | None) -> str | None:
    """``"en-GB"`` → ``"en"``; ``None`` stays ``None``."""
    if not tag:
        return None
    return re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0] or None


def initials_of(name: str) -> str:
    """``"Jane Smith"`` → ``"JS"``: the first letter of each word, upper-cased."""
    return "".join(word[0] for word in re.findall(r"[^\W\d_]+", name)).upper()


def first_name(full_name: str) -> str | None:
    """The first word of a display name with at least two letters (``"Anna 🌸 S."`` → ``"Anna"``)."""
    for word in re.findall(r"[^\W\d_][^\W\d_'’-]*", full_name):
        if len(word) >= 2:
            return word
    return None
