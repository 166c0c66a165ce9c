"""flask commands: create-practitioner, seed-demo, send-outbox (later issues add more)."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app

from app.accounts import service
from app.extensions import db
from app.models.accounts import ROLE_PRACTITIONER


def init_app(app: Flask) -> None:
    app.cli.add_command(create_practitioner)
    app.cli.add_command(seed_demo)
    app.cli.add_command(send_outbox)


@click.command("create-practitioner")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--timezone", "zone", default="America/New_York", show_default=True, help="IANA time zone")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_practitioner(email: str, full_name: str, zone: str, password_stdin: bool) -> None:
    """Create the practitioner's account."""
    from app.web.forms import zone_names

    if zone not in zone_names():
        raise click.BadParameter(f"unknown time zone {zone!r}", param_hint="--timezone")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = service.create_user(email=email, full_name=full_name, password=password, timezone=zone,
                                   role=ROLE_PRACTITIONER)
        db.session.commit()
    except service.AccountError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"Created practitioner {user.email}.")


@click.command("seed-demo")
def seed_demo() -> None:
    """Create demo data (development only; refuses in production)."""
    if not current_app.config.get("SEED_DEMO_ALLOWED"):
        raise click.ClickException("seed-demo refuses to run in production.")
    from app.demo import seed

    created = seed()
    db.session.commit()
    click.echo("Demo data ready." if created else "Demo data already present; nothing changed.")


@click.command("send-outbox")
@click.option("--limit", default=200, show_default=True)
def send_outbox(limit: int) -> None:
    """Deliver due emails from the outbox, retrying failures with backoff (cron: every minute)."""
    from app.notify.mail import deliver_due

    sent, failed = deliver_due(limit)
    click.echo(f"sent {sent}, failed {failed}")
