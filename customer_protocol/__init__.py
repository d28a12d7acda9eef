"""customer-protocol: a sans-IO implementation of the chat.io Customer SDK (API v0.3)."""
