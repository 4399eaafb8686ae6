"""The tutorial (docs/writing-a-channel.md) quotes this example; its excerpts must stay true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1]
TUTORIAL = EXAMPLE.parents[1] / "docs" / "writing-a-channel.md"


def test_every_code_excerpt_is_in_the_example() -> None:
    if not TUTORIAL.exists():
        pytest.skip("the tutorial is not next to this checkout")
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for pattern in ("careline_contact_form/*.py", "tests/*.py", "pyproject.toml")
        for path in EXAMPLE.glob(pattern)
    )
    blocks = re.findall(r"```(?:python|toml)\n(.*?)```", TUTORIAL.read_text(encoding="utf-8"), re.S)
    quoted = [b for b in blocks if "..." not in b and "[contactform]" not in b]
    assert len(quoted) >= 10
    stale = [block.splitlines()[0] for block in quoted if block.rstrip("\n") not in sources]
    assert stale == [], "excerpts in docs/writing-a-channel.md no longer match the example"
