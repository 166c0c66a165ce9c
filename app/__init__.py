"""Homeostasis: booking, intake, payments and a course for an MCAS and histamine-intolerance practice."""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from config import Config, ConfigError, config_from_env, production_problems


def create_app(config: type[Config] | Mapping[str, Any] | None = None) -> Flask:
    """Build an app. `config` is a Config class, or a mapping applied on top of the environment's."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_relative_config=True)
    base = config if isinstance(config, type) else config_from_env()
    app.config.from_object(base)
    if isinstance(config, Mapping):
        app.config.from_mapping(config)
    _check_config(app)
    _configure_logging(app)
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client address, scheme and host as the trusted proxies saw them: rate limits, audit rows
        # and sessions then record the patient's IP, not the proxy's. Headers beyond `hops` are ignored.
        # Flask's documented way to add WSGI middleware; its stubs declare wsgi_app a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    from app import extensions, models  # noqa: F401  (models register their tables)
    from app.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from app import cli, database
    from app.billing import setup as billing
    from app.notify import mail
    from app.web import register_web

    database.init_app(app)
    from app.scheduling import cache as slot_cache

    slot_cache.init_app(app)
    mail.init_app(app)
    from app import tasks

    tasks.init_app(app)
    billing.init_app(app)
    # What a payment can buy: each selling package registers its purpose with billing.
    from app.billing import appointment_purpose
    from app.courses import purchase as course_purchase

    appointment_purpose.register_purpose()
    course_purchase.register_purpose()
    register_web(app)
    cli.init_app(app)
    return app


def _check_config(app: Flask) -> None:
    if app.config.get("ENV_NAME") == "production":
        problems = production_problems(app.config)
        if problems:
            raise ConfigError("Refusing to start in production:\n- " + "\n- ".join(problems))
    if not app.config.get("SECRET_KEY"):
        raise ConfigError("SECRET_KEY must be set (a long random string).")


def _configure_logging(app: Flask) -> None:
    from app import requestid

    # Ours, and Flask-Limiter's warnings and its "storage recovered" (it says when Redis is away and when
    # it is back: see config.py). Its other INFO lines name the limit's key, an email address: left out.
    for name, keep in (("homeostasis", None), ("flask-limiter", _limiter_news)):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.StreamHandler) for h in logger.handlers):  # Flask-Limiter adds a NullHandler
            handler = logging.StreamHandler()
            handler.addFilter(requestid.RequestIdFilter())
            if keep is not None:
                handler.addFilter(keep)
            handler.setFormatter(logging.Formatter(requestid.FORMAT))
            logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    requestid.init_app(app)


def _limiter_news(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or record.getMessage() == "Rate limit storage recovered"
