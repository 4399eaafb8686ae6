"""The language of a message: the platform's tag when it has one, else py3langid offline.

py3langid ships its naive Bayes model inside the package (about 4 MB), so detection needs no
download. Restricting it to the languages an instance expects makes it far more accurate on the
short texts of social care; see ``docs/plugins/insights.md`` for the comparison with lingua.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

# The labels of py3langid 0.4's model, listed here so that validating the configuration does
# not load the model (which takes most of a second); a test keeps the two in step.
_MODEL_LABELS = (
    "ace af am an ar ary arz as az ba bcl be bg bn br bs ca crh cs cy da de dz el en eo es et "
    "eu ext fa fi fo fr fuv fy ga gcf gcr gd gl gom grc gu gug guw ha hbo he hi hr ht hu hy id "
    "ig is it ja jv ka kab kik kk km kn ko ku ky la lb lg lij ln lo lt ltg lv mg mk ml mn mr ms "
    "mt my ne nl nn no nso oc om or pa pcm pl ps pt qu ro ru rw sa sdh se si sk sl sn so sq sr "
    "st sv sw ta te tg th tk tl tr tt ug uk ur uz uzs vec vi vo wa wuu xh yo yue zh zu zxx"
)
SUPPORTED_LANGUAGES = frozenset(_MODEL_LABELS.split())

# Tags that say "no language" rather than naming one: X's und/qme/qam/qht/qct/qst and ISO zxx.
UNDETERMINED_TAGS = frozenset({"und", "zxx", "mul", "mis", "qme", "qam", "qht", "qct", "qst"})
# Old codes some platforms still send.
LEGACY_TAGS = {"in": "id", "iw": "he", "ji": "yi", "jw": "jv", "nb": "no"}

# Handles, links, e-mail addresses, hashtag signs and digits say nothing about the language
# and dominate short posts, so they are removed before detection.
_NOISE = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+\.\S+|@\w+|#|&amp;|&\w+;|[\d_]+",
    re.IGNORECASE,
)
MIN_LETTERS = 4
_ENOUGH_LETTERS = re.compile(rf"(?:[^\W\d_][\W\d_]*){{{MIN_LETTERS}}}")


@dataclass(frozen=True, slots=True)
class DetectedLanguage:
    """A detector's answer: an ISO 639 code and its probability among the allowed languages."""

    language: str
    confidence: float


def normalise_language_tag(tag: str | None) -> str | None:
    """A platform's language tag as a lower-case ISO 639 code: ``"en-GB"`` → ``"en"``,
    ``"pt_BR"`` → ``"pt"``, ``"iw"`` → ``"he"``; ``None`` for ``"und"`` and the like."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()
    if not primary.isalpha() or not 2 <= len(primary) <= 3 or primary in UNDETERMINED_TAGS:
        return None
    return LEGACY_TAGS.get(primary, primary)


def text_for_detection(text: str) -> str:
    """``text`` without handles, links, e-mail addresses and digits."""
    return _NOISE.sub(" ", text)


@functools.cache
def _full_identifier() -> LanguageIdentifier:
    # Imported here: py3langid brings numpy, which commands that never detect need not pay for.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@functools.lru_cache(maxsize=16)
def _identifier_for(languages: frozenset[str]) -> LanguageIdentifier:
    # A shallow copy shares the loaded model arrays; set_languages only rebinds its own slices.
    identifier = copy.copy(_full_identifier())
    identifier.set_languages(sorted(languages))
    return identifier


class LanguageDetector:
    """py3langid restricted to ``languages``; answers ``None`` when unsure.

    The text is first classified among every language the model knows: when that says, with at
    least ``unlisted_confidence``, that it is in a language *not* listed, the answer is
    ``None`` instead of the nearest listed language (a Swedish post is not German). Otherwise
    the best listed language wins if its probability among the listed ones reaches
    ``min_confidence``.
    """

    def __init__(
        self,
        languages: tuple[str, ...] | list[str],
        min_confidence: float = 0.5,
        unlisted_confidence: float = 0.7,
    ):
        unknown = sorted(set(languages) - SUPPORTED_LANGUAGES)
        if unknown:
            raise ValueError(f"py3langid does not know {', '.join(unknown)}")
        if not languages:
            raise ValueError("at least one language is needed")
        self.languages = frozenset(languages)
        self.min_confidence = min_confidence
        self.unlisted_confidence = unlisted_confidence

    def detect(self, text: str) -> DetectedLanguage | None:
        """The most probable listed language of ``text``, or ``None`` when the text has too
        few letters, is clearly in an unlisted language, or no listed language is likely
        enough."""
        cleaned = text_for_detection(text)
        if not _ENOUGH_LETTERS.search(cleaned):
            return None
        best, probability = _full_identifier().classify(cleaned)
        if best in self.languages:
            if probability >= self.min_confidence:
                # Among fewer languages the same one is best, and at least as probable.
                return DetectedLanguage(str(best), round(float(probability), 4))
        elif probability >= self.unlisted_confidence:
            return None
        if len(self.languages) == 1:
            (only,) = self.languages
            return DetectedLanguage(only, 1.0)
        language, confidence = _identifier_for(self.languages).classify(cleaned)
        if confidence < self.min_confidence or language in UNDETERMINED_TAGS:
            return None
        return DetectedLanguage(str(language), round(float(confidence), 4))
