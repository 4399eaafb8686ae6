"""Realistic text for benchmarks: the customers' turns of the shared care conversations.

Falls back to generated care-like texts (fixed seed) when ``../shared/data`` is absent.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "twitter-customer-care"

_PARTS = (
    ["my order", "the app", "my account", "the delivery", "my refund", "the website"],
    ["still hasn't arrived", "keeps crashing", "is locked", "was charged twice", "is so slow"],
    ["please help", "what is going on?", "this is the third time", "thanks!", "@acme"],
)


def customer_texts() -> tuple[list[str], str]:
    """Customer messages in file order, and where they came from."""
    if DATA.is_dir():
        texts: list[str] = []
        for name in ("dev.json", "test.json"):
            for dialog in json.loads((DATA / name).read_text(encoding="utf-8")):
                texts.extend(t["message"] for t in dialog["dialogContent"] if "agent" not in t)
        return texts, "real care tweets (shared/data)"
    rng = random.Random(7)
    generated = [" ".join(rng.choice(part) for part in _PARTS) for _ in range(2000)]
    return generated, "generated care texts (shared/data missing)"
