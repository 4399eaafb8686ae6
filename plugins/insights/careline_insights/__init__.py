"""careline-insights: sentiment, language, topic and personal-data detection on every message."""

from careline_insights.personal_data import find_personal_data

__all__ = ["find_personal_data"]
