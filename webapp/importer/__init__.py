"""Bringing another site's catalogue here: a client of djangopackages.org's API v4 (not part of our own API)."""
