"""careline.web."""
