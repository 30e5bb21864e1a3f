"""Clients of the selling platforms' open APIs: signing, gateway calls, tokens, errors."""
