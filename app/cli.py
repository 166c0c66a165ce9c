"""flask commands: create-practitioner, seed-demo, send-outbox, send-reminders, send-daily-agenda and more."""
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
    app.cli.add_command(seed_load)
    app.cli.add_command(expire_holds)
    app.cli.add_command(process_waitlist)
    app.cli.add_command(retry_refunds)
    app.cli.add_command(send_reminders)
    app.cli.add_command(send_daily_agenda)
    app.cli.add_command(send_diary_reminders)
    app.cli.add_command(sync_calendars)
    app.cli.add_command(import_uploads)


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


@click.command("seed-load")
@click.option("--appointments", "count", type=click.IntRange(min=0), required=True,
              help="Number of confirmed appointments to create.")
@click.option("--patients", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--reset", is_flag=True, help="Delete earlier load-test data first.")
def seed_load(count: int, patients: int, reset: bool) -> None:
    """Create a load-test practitioner (slug load-30) with N appointments (development only)."""
    import time

    from app import loadgen

    if not current_app.config.get("SEED_DEMO_ALLOWED"):
        raise click.ClickException("seed-load refuses to run in production.")
    if reset:
        removed = loadgen.reset()
        db.session.commit()
        click.echo(f"Removed earlier load-test data ({removed} appointments).")
    started = time.perf_counter()
    summary = loadgen.seed(count, patients=patients)
    if summary is None:
        click.echo(f"Load-test data already present ({loadgen.appointment_count()} appointments for "
                   f"{loadgen.LOAD_PRACTITIONER}); nothing changed. Use --reset to replace it.")
        return
    db.session.commit()
    span = f", {summary.first:%Y-%m-%d} to {summary.last:%Y-%m-%d}" if summary.first else ""
    click.echo(f"Created {summary.appointments} confirmed {loadgen.SLUG} appointments for "
               f"{loadgen.LOAD_PRACTITIONER} and {summary.patients} patients{span} "
               f"in {time.perf_counter() - started:.1f}s.")


@click.command("expire-holds")
def expire_holds() -> None:
    """Release holds whose time ran out and expire their Checkout Sessions (cron: every minute)."""
    from app.billing.holds import expire_holds as release
    from app.billing.refunds import send_pending
    from app.clock import utcnow
    from app.notify.mail import deliver_committed

    from app.notify.waitlist import process

    released = release(utcnow())
    send_pending()
    offered = process(utcnow())  # a lapsed waitlist offer passes to the next patient at once
    deliver_committed()
    click.echo(f"released {released} hold(s), offered {offered} time(s) from the waitlist")


@click.command("process-waitlist")
def process_waitlist() -> None:
    """Offer open times to waiting patients, one at a time, each held for WAITLIST_HOLD_MINUTES
    (cron: every 5 minutes; also run after cancellations and by expire-holds)."""
    from app.clock import utcnow
    from app.notify.mail import deliver_committed
    from app.notify.waitlist import process

    offered = process(utcnow())
    sent = deliver_committed()
    click.echo(f"offered {offered} time(s), sent {sent} email(s)")


@click.command("retry-refunds")
def retry_refunds() -> None:
    """Send refunds that Stripe has not confirmed yet (cron: every 5 minutes)."""
    from app.billing.client import enabled
    from app.billing.refunds import send_pending

    if not enabled():
        click.echo("Stripe is not configured; nothing to send.")
        return
    sent, failed = send_pending()
    click.echo(f"sent {sent}, still pending {failed}")


@click.command("send-reminders")
def send_reminders() -> None:
    """Queue and send due appointment and intake reminders, each once (cron: every 5 minutes)."""
    from app.clock import utcnow
    from app.notify.mail import deliver_committed
    from app.notify.reminders import send_reminders as queue_due

    queued = queue_due(utcnow())
    sent = deliver_committed()
    click.echo(f"queued {queued} reminder(s), sent {sent}")


@click.command("send-daily-agenda")
def send_daily_agenda() -> None:
    """Email each practitioner who asked for it her day's agenda at 07:00 her time (cron: every 15 minutes)."""
    from app.clock import utcnow
    from app.notify.digest import send_daily_agendas
    from app.notify.mail import deliver_committed

    queued = send_daily_agendas(utcnow())
    deliver_committed()
    click.echo(f"queued {queued} agenda(s)")


@click.command("send-diary-reminders")
def send_diary_reminders() -> None:
    """Queue and send the opt-in evening diary nudges and the baseline tryptase reminders, each once
    (cron: every 15 minutes; a task-queue periodic task can call the same command)."""
    from app.clock import utcnow
    from app.diary.reminders import send_diary_reminders as queue_due
    from app.notify.mail import deliver_committed

    queued = queue_due(utcnow())
    deliver_committed()
    click.echo(f"queued {queued} diary reminder(s)")
@click.command("sync-calendars")
def sync_calendars() -> None:
    """Fetch the practitioner's own calendars and replace their busy times (cron: every 15 minutes)."""
    from app.calendars import sync_all
    from app.clock import utcnow

    results = sync_all(utcnow())
    for result in results:
        state = f"{result.busy} busy time(s){' (changed)' if result.changed else ''}" if result.ok \
            else f"failed: {result.error} (kept the last known busy times)"
        click.echo(f"calendar {result.calendar_id} {result.name}: {state}")
    click.echo(f"synced {sum(r.ok for r in results)} of {len(results)} calendar(s)")


@click.command("import-uploads")
def import_uploads() -> None:
    """Copy lab files from this host's UPLOAD_FOLDER into shared storage (once per host, after upgrading)."""
    from app.storage import import_folder

    folder = current_app.config["UPLOAD_FOLDER"]
    with db.engine.begin() as connection:
        copied, missing = import_folder(connection, folder)
    click.echo(f"copied {copied} file(s) from {folder}; {missing} listed file(s) are not on this host")
