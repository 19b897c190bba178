"""Fake remote services (HTTP servers on 127.0.0.1) for tests."""
