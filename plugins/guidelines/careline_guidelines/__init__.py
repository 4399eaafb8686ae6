"""careline-guidelines: Response guidelines: every reply checked before it goes out, canned replies, approvals."""
