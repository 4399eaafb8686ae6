"""careline-keyword-tagger: tags conversations by keyword (an example plugin)."""
