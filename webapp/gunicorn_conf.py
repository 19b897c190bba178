"""gunicorn settings for the site (``make run``), the load benchmark and the serving tests:
``gunicorn --config python:webapp.gunicorn_conf ...``.

With ``--preload`` the master builds the app before it forks the workers. Everything built by then (the app, its
models, templates, SQLAlchemy's statement caches: over 100,000 objects) lives as long as the process, yet a full
garbage collection would walk it all, stopping a request for tens of milliseconds now and then: the slowest
percentile of every page. Frozen, those objects are left out of every collection, and the workers share their
memory pages with the master instead of touching them.
"""

import gc


def when_ready(server) -> None:
    """Called in the master once the app is loaded, before the first worker is forked."""
    gc.freeze()
