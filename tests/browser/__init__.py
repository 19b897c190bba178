"""Browser tests: Debian's Chromium driven by Playwright against the app served on 127.0.0.1."""
