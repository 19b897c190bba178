"""Flask extensions, created unbound here and bound to the app in :func:`webapp.create_app`."""

from authlib.integrations.flask_client import OAuth
from flask_caching import Cache
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from webapp.ratelimit import RateLimiter
from webapp.rendering import render_on_write
from webapp.text import clean_text_on_write

# A naming convention gives every constraint a stable name, so Alembic can alter and drop them
# on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
# Every string column is cleaned when written, whoever writes it (see webapp/text.py).
clean_text_on_write(db.Model)
# Markdown, grid cells and sparklines are rendered when written, from the cleaned text (see webapp/rendering.py).
render_on_write(db.Model, db.session.session_factory.class_)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
# Throttles for sign-in, sign-up and "Fetch now" (webapp/throttle.py); no limit applies unless a view asks.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# OAuth clients (Authlib): "Sign in with GitHub" registers its client here on first use (webapp/accounts/oauth.py).
oauth = OAuth()
# The API's per-client limit for anonymous clients (API_RATE_LIMIT; webapp/ratelimit.py).
api_rate_limiter = RateLimiter()
# The anonymous page cache (webapp/page_cache.py): Redis with REDIS_URL, else each process's memory.
cache = Cache()
# Compression of pages, JSON, feeds when the client asks (Accept-Encoding); static files come precompressed.
compress = Compress()
