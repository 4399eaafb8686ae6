"""Several named phrase sets checked against one text at once.

Each message is checked against the phrases of every content category and of the manager
request. Asking each set's :class:`~careline_escalation.phrases.PhraseMatcher` in turn would look
the text's words up once per set; :class:`PhraseSets` files every set's phrases in one
:class:`~careline_escalation.phrases.AnchorIndex`, so the words are looked up once and only the
regular expressions of the phrases left run, set by set.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from careline_escalation.phrases import AnchorIndex, compile_phrases, fold

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class PhraseSets(Generic[K]):
    """Phrase sets by name; :meth:`find` answers what each set's own matcher would."""

    names: tuple[K, ...]
    phrases: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    _index: AnchorIndex = field(repr=False, compare=False)

    @classmethod
    def compile(cls, sets: Mapping[K, Iterable[str]]) -> PhraseSets[K]:
        """Compile each set as :meth:`PhraseMatcher.compile` does and index them together."""
        names: list[K] = []
        phrases: list[str] = []
        patterns: list[re.Pattern[str]] = []
        for name, members in sets.items():
            unique, compiled = compile_phrases(members)
            names.extend([name] * len(unique))
            phrases.extend(unique)
            patterns.extend(compiled)
        return cls(
            names=tuple(names),
            phrases=tuple(phrases),
            patterns=tuple(patterns),
            _index=AnchorIndex.build(phrases),
        )

    def find(self, text: str) -> dict[K, str]:
        """The first phrase of each set that ``text`` contains; sets it contains none of are
        left out."""
        folded, words = fold(text)
        found: dict[K, str] = {}
        names = self.names
        # Candidates come in set order, and each set's phrases in the set's own order.
        for index in self._index.candidates(words):
            name = names[index]
            if name not in found and self.patterns[index].search(folded):
                found[name] = self.phrases[index]
        return found
