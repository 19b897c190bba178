"""gunicorn settings for the site (``make run``), the load benchmark and the serving tests:
``gunicorn --config python:webapp.gunicorn_conf ...``.

With ``--preload`` the master builds the app before it forks the workers. Two things are then done once, in the
master, for every worker:

- every template is compiled (Jinja compiles a template on its first use: otherwise each worker's first view of
  each page pays for it, a first view of the home page about 150 ms instead of a few);
- everything built by then (the app, its models, the compiled templates, SQLAlchemy's statement caches: over
  100,000 objects) lives as long as the process, yet a full garbage collection would walk it all, stopping a
  request for tens of milliseconds now and then: the slowest percentile of every page. Frozen, those objects are
  left out of every collection, and the workers share their memory pages with the master instead of touching
  them.
"""

import gc
import logging

logger = logging.getLogger(__name__)

# The files under templates/ that are Jinja templates (the .md pages are markdown, read as text).
TEMPLATE_SUFFIXES = (".html", ".xml", ".txt")


def compile_templates(flask_app) -> int:
    """Compile (and keep in the environment's cache) every template of ``flask_app``; return how many."""
    environment = flask_app.jinja_env
    names = [name for name in environment.list_templates() if name.endswith(TEMPLATE_SUFFIXES)]
    for name in names:
        environment.get_template(name)
    return len(names)


def when_ready(server) -> None:
    """Called in the master once the app is loaded, before the first worker is forked."""
    if server.cfg.preload_app:
        try:
            count = compile_templates(server.app.wsgi())
        except Exception:  # a template that does not compile shows on its page, with the page's error handling
            logger.exception("could not compile the templates before forking")
        else:
            server.log.info("compiled %d templates before forking the workers", count)
    gc.freeze()
