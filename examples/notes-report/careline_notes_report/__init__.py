"""careline-notes-report: internal notes and conversations touched per agent (an example)."""
