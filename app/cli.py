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
    app.cli.add_command(purge)
    app.cli.add_command(import_uploads)


@click.command("create-practitioner")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--timezone", "zone", default="America/New_York", show_default=True, help="IANA time zone")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_practitioner(email: str, full_name: str, zone: str, password_stdin: bool) -> None:
    """Create the practitioner's account."""
    from app.timezones import zone_names

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
    """Deliver due emails from the outbox, retrying failures with backoff (the worker: every minute)."""
    from app import jobs

    sent, failed = jobs.send_outbox(limit)
    click.echo(f"sent {sent}, failed {failed}")


@click.command("seed-load")
@click.option("--appointments", "count", type=click.IntRange(min=0), required=True,
              help="Number of confirmed appointments to create.")
@click.option("--patients", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--reset", is_flag=True, help="Delete earlier load-test data first.")
def seed_load(count: int, patients: int, reset: bool) -> None:
    """Create a load-test practitioner (slug load-30) with N appointments (development only)."""
    import time

    if not current_app.config.get("SEED_DEMO_ALLOWED"):
        raise click.ClickException("seed-load refuses to run in production.")
    from bench import loadgen  # development-only code, beside the benchmarks that use it
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
    """Release holds whose time ran out and expire their Checkout Sessions (the worker: every minute)."""
    from app import jobs
    from app.notify.mail import deliver_committed

    released, offered = jobs.expire_holds()
    deliver_committed()
    click.echo(f"released {released} hold(s), offered {offered} time(s) from the waitlist")


@click.command("process-waitlist")
def process_waitlist() -> None:
    """Offer open times to waiting patients, one at a time, each held for WAITLIST_HOLD_MINUTES
    (the worker: every 5 minutes; also run after cancellations and by expire-holds)."""
    from app import jobs
    from app.notify.mail import deliver_committed

    offered = jobs.process_waitlist()
    sent = deliver_committed()
    click.echo(f"offered {offered} time(s), sent {sent} email(s)")


@click.command("retry-refunds")
def retry_refunds() -> None:
    """Send refunds that Stripe has not confirmed yet (the worker: every 5 minutes)."""
    from app import jobs

    result = jobs.retry_refunds()
    if result is None:
        click.echo("Stripe is not configured; nothing to send.")
        return
    sent, failed = result
    click.echo(f"sent {sent}, still pending {failed}")


@click.command("send-reminders")
def send_reminders() -> None:
    """Queue and send due appointment and intake reminders, each once (the worker: every 5 minutes)."""
    from app import jobs
    from app.notify.mail import deliver_committed

    queued = jobs.send_reminders()
    sent = deliver_committed()
    click.echo(f"queued {queued} reminder(s), sent {sent}")


@click.command("send-daily-agenda")
def send_daily_agenda() -> None:
    """Email each practitioner who asked for it her day's agenda at 07:00 her time (the worker: every 15 minutes)."""
    from app import jobs
    from app.notify.mail import deliver_committed

    queued = jobs.send_daily_agenda()
    deliver_committed()
    click.echo(f"queued {queued} agenda(s)")


@click.command("send-diary-reminders")
def send_diary_reminders() -> None:
    """Queue and send the opt-in evening diary nudges and the baseline tryptase reminders, each once
    (the worker: every 15 minutes)."""
    from app import jobs
    from app.notify.mail import deliver_committed

    queued = jobs.send_diary_reminders()
    deliver_committed()
    click.echo(f"queued {queued} diary reminder(s)")


@click.command("sync-calendars")
def sync_calendars() -> None:
    """Fetch the practitioner's own calendars and replace their busy times (the worker: every 15 minutes)."""
    from app import jobs
    from app.calendars import SyncRunning

    try:
        results = jobs.sync_calendars()
    except SyncRunning as running:
        raise click.ClickException(f"{running} Try again when it has finished.") from None
    for result in results:
        state = f"{result.busy} busy time(s){' (changed)' if result.changed else ''}" if result.ok \
            else f"failed: {result.error} (kept the last known busy times)"
        click.echo(f"calendar {result.calendar_id} {result.name}: {state}")
    click.echo(f"synced {sum(r.ok for r in results)} of {len(results)} calendar(s)")



@click.command("purge")
def purge() -> None:
    """Delete expired sessions, old delivered email bodies, old Stripe event ids and retained clinical records
    past their retention period (the worker: daily)."""
    from app import jobs

    done = jobs.purge()
    click.echo(f"purged {done['sessions']} session(s), {done['outbox_bodies']} email body(ies), "
               f"{done['stripe_events']} Stripe event id(s), {done['retained_records']} retained record(s)")


@click.command("import-uploads")
def import_uploads() -> None:
    """Copy lab files from this host's UPLOAD_FOLDER into shared storage (once per host, after upgrading)."""
    from app.storage import import_folder

    folder = current_app.config["UPLOAD_FOLDER"]
    with db.engine.begin() as connection:
        copied, missing = import_folder(connection, folder)
    click.echo(f"copied {copied} file(s) from {folder}; {missing} listed file(s) are not on this host")
