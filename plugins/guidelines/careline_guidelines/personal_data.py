"""Personal-data detection, shared with careline-insights so both plugins see the same data.

Which kinds are detected (e-mail, phone, card) and the organisation's own patterns (order or
customer numbers) are configured once, in ``[insights]`` (``personal_data``, ``patterns``).
"""

from __future__ import annotations

from careline.config import Settings
from careline.types import PersonalDataMatch
from careline_insights.personal_data import find_personal_data as _find_personal_data

KIND_DESCRIPTIONS = {
    "email": "an e-mail address",
    "phone": "a phone number",
    "card": "a payment card number",
}


def find_personal_data(text: str, settings: Settings) -> list[PersonalDataMatch]:
    """Every piece of personal data in ``text``, as ``[insights]`` configures detection."""
    return _find_personal_data(text, settings)


def describe_kind(kind: str) -> str:
    """``"email"`` → ``"an e-mail address"``; configured patterns by their name."""
    return KIND_DESCRIPTIONS.get(kind, f"personal data ({kind.replace('_', ' ')})")
