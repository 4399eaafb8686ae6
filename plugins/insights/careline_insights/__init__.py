"""careline-insights: Insights: sentiment, language, topic and personal-data detection on every message."""
