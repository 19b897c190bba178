"""Moderation: staff review flagged packages."""
