"""Wire billing into the app: the Stripe client's settings. What payments can buy is registered by the
app factory (app/__init__.py), so billing imports none of the packages that sell something."""
from flask import Flask

from app.billing import client


def init_app(app: Flask) -> None:
    client.init_app(app)
