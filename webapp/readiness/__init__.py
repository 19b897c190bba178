"""Readiness: the release cycles of Django, Python and Wagtail, and which packages declare support for each."""
