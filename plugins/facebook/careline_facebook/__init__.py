"""careline-facebook: Facebook channel: Page comments and Messenger, the Graph API client, with an emulator."""
