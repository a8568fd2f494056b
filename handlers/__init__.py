"""Transports: the terminal (`threadlab ask`) now, Slack and others later."""
