"""careline-instagram: Instagram channel: comments, mentions and DMs, with a platform emulator."""
