"""careline.services."""
