"""What asking for a fetch did: the statuses the fetch service and its callers answer with.

Neutral (it imports no domain) because both sides speak it: the fetch service returns these, and the
catalogue's "Fetch now" and add-package pages, the webhook and the CLI read them, without importing each
other. A StrEnum, so a status is also its plain string (in the webhook's JSON and an RQ job's result).
"""

from __future__ import annotations

from enum import StrEnum


class FetchStatus(StrEnum):
    """One package's fetch status."""

    UPDATED = "updated"  # fetched, and something changed
    UNCHANGED = "unchanged"  # fetched, and nothing had changed
    FAILED = "failed"  # a host or the fetch itself failed; the error is recorded on the package
    QUOTA = "quota"  # a host's API quota is spent: left untouched until it comes back
    NOTHING_TO_FETCH = "nothing to fetch"  # neither a known repository host nor a PyPI address
    MISSING = "no such package"  # deleted before its fetch ran
    DEFERRED = "deferred"  # a web request had no time left for it: left to the scheduled refresh
    QUEUED = "queued"  # an RQ job will fetch it
    STARTED = "started"  # a background thread of this process is fetching it
    OFF = "off"  # not fetched: FETCH_NEW_PACKAGES is "off"
