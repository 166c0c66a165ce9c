"""Wire billing into the app: the Stripe client's settings and what payments can buy."""
from flask import Flask

from app.billing import client


def init_app(app: Flask) -> None:
    client.init_app(app)
    from app.billing import appointments  # noqa: F401  (registers the "appointment" purpose)
    from app.courses import purchase  # noqa: F401  (registers the "course" purpose)
