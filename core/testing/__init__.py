"""careline.testing."""
