"""Extensions, created once and bound to each app in the factory with init_app."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class DecoratedLimiter(Limiter):
    """Flask-Limiter with decorated limits only (login, register, reset, export, feed, ...).

    Flask-Limiter also runs a check before every request for default, application and blueprint
    limits. This app has none, so that check evaluated nothing while costing about a fifth of a cached
    API answer's time; here it is skipped. Decorated limits are checked by their decorators, as always.
    Setting default or application limits is refused rather than silently ignored.
    """

    def init_app(self, app, *args, **kwargs) -> None:
        for name in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META"):
            if app.config.get(name):
                raise RuntimeError(f"{name} is not supported: limit views with @limiter.limit (app/extensions.py).")
        super().init_app(app, *args, **kwargs)

    def _check_request_limit(self, callable_name=None, in_middleware=True) -> None:
        if not in_middleware:
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = DecoratedLimiter(key_func=get_remote_address)
