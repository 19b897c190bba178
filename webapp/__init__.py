"""Package Grids: a community directory of reusable packages with comparison grids."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from webapp.config import default_instance_path, load_config, normalise_database_url, resource_path
from webapp.extensions import api_rate_limiter, compress, csrf, db, limiter, login_manager, migrate, oauth
from webapp.security import SiteFlask, ensure_secret_key

# Flask-Compress: brotli or gzip for text answers (pages, JSON, feeds) above a small size.
COMPRESSION = {
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/plain", "text/xml", "text/javascript", "application/json",
                           "application/javascript", "application/xml", "application/rss+xml",
                           "application/atom+xml", "image/svg+xml"],
    "COMPRESS_MIN_SIZE": 500,
    "COMPRESS_STREAMS": False,
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration from the environment, then ``config`` on top."""
    app = SiteFlask(
        __name__,
        template_folder=str(resource_path("templates")),
        static_folder=str(resource_path("static")),
        instance_path=default_instance_path(),
    )
    app.config.from_mapping(load_config(app.instance_path, config))
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_extensions(app)
    register_routing(app)
    register_blueprints(app)
    register_page_cache(app)  # after the blueprints: it wraps their views
    register_signal_receivers(app)
    register_search_index(app)
    register_errorhandlers(app)
    register_response_hooks(app)
    register_unit_of_work(app)  # after every other response hook: see webapp/transaction.py
    register_template_helpers(app)
    register_cli(app)
    register_logging(app)
    ensure_secret_key(app)  # after logging is set up: it says where the key is kept
    register_static_files(app)
    register_proxy_fix(app)  # outermost: WhiteNoise too sees the forwarded host
    return app


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions of :mod:`webapp.extensions` to ``app``."""
    import webapp.models  # noqa: F401  (every model registered before Alembic or create_all look)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_path("migrations")), render_as_batch=True)
    csrf.init_app(app)
    from webapp.throttle import init_app as init_throttle

    init_throttle(app, limiter)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    oauth.init_app(app)
    api_rate_limiter.init_app(app)
    # Compression runs after every other response hook (Flask runs them last-registered first): it compresses
    # the finished body, and gives the compressed copy its own ETag ("<etag>:gzip").
    for key, value in COMPRESSION.items():
        app.config.setdefault(key, value)
    compress.init_app(app)

    from webapp.accounts.permissions import refuse_blocked_writes, unauthorized
    from webapp.accounts.services import user_for_session

    # Anonymous people on a sign-in-only view: sign-in page, HTMX redirect or JSON 401.
    login_manager.unauthorized_handler(unauthorized)

    # The session and the remember-me cookie hold "<id>.<session token>" (User.get_id): rotating the token
    # (sign-out, password change) makes every copy of them worthless.
    login_manager.user_loader(user_for_session)
    # A blocked person reads but never writes: every unsafe request is refused here, after the CSRF check.
    app.before_request(refuse_blocked_writes)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from sqlalchemy import event

        with app.app_context():
            engine = db.engine

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_connection, _record):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=5000")
                cursor.close()


def register_routing(app: Flask) -> None:
    """Bounded ``<int:...>`` URL parts and the file-upload guard (before any blueprint adds a route)."""
    from webapp.routing import register

    register(app)


def register_blueprints(app: Flask) -> None:
    """Mount every domain's blueprint."""
    from webapp.accounts.views import blueprint as accounts
    from webapp.api.views import blueprint as api_v4
    from webapp.api.views import blueprint_v3 as api_v3
    from webapp.cards.views import blueprint as cards
    from webapp.catalog.views import blueprint as catalog
    from webapp.compare.views import blueprint as compare
    from webapp.fetch.views import blueprint as fetch
    from webapp.grids.views import blueprint as grids
    from webapp.history.views import blueprint as history
    from webapp.insights.views import blueprint as insights
    from webapp.moderation.views import blueprint as moderation
    from webapp.pages.views import blueprint as pages
    from webapp.profiles.views import blueprint as profiles
    from webapp.readiness.views import blueprint as readiness
    from webapp.search.views import blueprint as search
    from webapp.site.views import blueprint as site
    from webapp.staff.views import blueprint as staff
    from webapp.staff.views import changes_blueprint as changes

    for blueprint in (site, catalog, grids, search, accounts, profiles, api_v4, api_v3, fetch, history, moderation,
                      staff, changes, pages, insights, cards, readiness, compare):
        app.register_blueprint(blueprint)


def register_page_cache(app: Flask) -> None:
    """The anonymous page cache (webapp/page_cache.py): backend from ``REDIS_URL``, cached views wrapped, and the
    front that answers cookieless requests before Flask runs (the API's rate limit still counts them)."""
    from webapp.api.http import front_guard
    from webapp.page_cache import PageFront, register

    register(app)
    front = PageFront(app, app.wsgi_app)
    front.guards.update({"api": front_guard, "api_v3": front_guard})
    app.wsgi_app = front


def register_signal_receivers(app: Flask) -> None:
    """Cross-domain reactions (:mod:`webapp.signals`): the fetch service fetches saved packages; the grids answer
    whether a package is gridded by others and let go of a deleted one."""
    from webapp.catalog.services import connect_signals as connect_catalog
    from webapp.fetch.services import connect_signals as connect_fetch
    from webapp.grids.services import connect_signals as connect_grids
    from webapp.readiness.commands import connect_signals as connect_readiness

    connect_catalog()  # a reverted deprecation is rescored
    connect_fetch()
    connect_grids()
    connect_readiness()  # the periodic refresh refreshes the release cycles too


def register_search_index(app: Flask) -> None:
    """The search index follows every write to packages, grids and categories (webapp/search/index.py), and the
    package lists filter by text through it."""
    from webapp.search.index import watch
    from webapp.search.queries import connect_signals

    watch(db)
    connect_signals()  # the package lists filter through the index


def register_errorhandlers(app: Flask) -> None:
    """Friendly HTML pages for HTTP errors, and never a traceback for a user."""
    from webapp.errors import NOT_FOUND_REDIRECTS, register
    from webapp.grids.views import renamed_grid_redirect

    register(app)
    app.extensions[NOT_FOUND_REDIRECTS] = [renamed_grid_redirect]  # old grid addresses, on every grid page
    from webapp.security import register as register_security_headers

    register_security_headers(app)


def register_response_hooks(app: Flask) -> None:
    """Hooks that finish every response of the app, whichever blueprint (or none) made it."""
    from webapp.api.http import fix_allow_header
    from webapp.htmx import add_vary
    from webapp.http_cache import finish_response

    app.after_request(finish_response)  # first registered, so it runs after the others: it sees their Vary
    app.after_request(add_vary)
    app.after_request(fix_allow_header)


def register_unit_of_work(app: Flask) -> None:
    """One transaction per request: a response below 400 commits the request's writes, any other rolls back."""
    from webapp.transaction import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    """Filters and globals the templates use: formatting (webapp/templating.py), permissions and sign-in."""
    from webapp.accounts.oauth import github_enabled
    from webapp.accounts.permissions import TEMPLATE_GLOBALS
    from webapp.catalog import widgets
    from webapp.grids.cells import CellRenderer
    from webapp.grids.table import fact_rows, grid_table
    from webapp.history.wording import describe
    from webapp.staff.banner import current_banner
    from webapp.templating import register

    register(app)
    widgets.register(app)
    # Every page that lists changes (_partials/change_list.html) says them in people's words: ``change|in_words``.
    app.jinja_env.filters["in_words"] = describe
    app.jinja_env.globals.update(TEMPLATE_GLOBALS, github_signin_enabled=github_enabled, grid_cells=CellRenderer,
                                 grid_table=grid_table, fact_rows=fact_rows)
    app.jinja_env.globals["site_banner"] = current_banner  # base.html shows it on every page


def register_cli(app: Flask) -> None:
    """Command-line commands (``flask --app webapp ...``)."""
    from webapp.accounts.commands import COMMANDS as account_commands
    from webapp.demo.commands import demo_cli
    from webapp.fetch.commands import COMMANDS as fetch_commands
    from webapp.importer.commands import COMMANDS as import_commands
    from webapp.readiness.commands import COMMANDS as readiness_commands

    for command in (demo_cli, *account_commands, *import_commands, *fetch_commands, *readiness_commands):
        app.cli.add_command(command)


def register_static_files(app: Flask) -> None:
    """Static files from WhiteNoise, precompressed, under fingerprinted names (webapp/static_files.py)."""
    from webapp.static_files import fingerprint_url, serve_static

    manifest = serve_static(app)
    if manifest is not None:
        app.url_defaults(fingerprint_url(manifest))


def register_proxy_fix(app: Flask) -> None:
    """Trust ``X-Forwarded-*`` headers from ``PROXY_COUNT`` reverse proxies (0: trust none)."""
    count = app.config["PROXY_COUNT"]
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)


def register_logging(app: Flask) -> None:
    """Log to stderr at INFO unless the host already configured logging."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
