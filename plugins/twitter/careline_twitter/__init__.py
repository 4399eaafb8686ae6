"""careline-twitter: X (Twitter) channel: mentions, listening, DMs, replies, with a platform emulator."""
