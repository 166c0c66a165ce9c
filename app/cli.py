"""flask commands: create-practitioner, seed-demo, seed-load, import-uploads, and one per periodic job
(send-outbox, send-reminders, purge, ...), made from app/jobs.py's table."""
from __future__ import annotations

import inspect
import sys
import time

import click
from flask import Flask, current_app

from app.accounts import service
from app.demo import seed
from app.extensions import db
from app.jobs import PERIODIC, Job
from app.models.accounts import ROLE_PRACTITIONER
from app.notify.mail import deliver_committed
from app.storage import import_folder
from app.timezones import zone_names


def init_app(app: Flask) -> None:
    app.cli.add_command(create_practitioner)
    app.cli.add_command(seed_demo)
    app.cli.add_command(seed_load)
    app.cli.add_command(import_uploads)
    for job in PERIODIC:
        app.cli.add_command(job_command(job))


@click.command("create-practitioner")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--timezone", "zone", default="America/New_York", show_default=True, help="IANA time zone")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_practitioner(email: str, full_name: str, zone: str, password_stdin: bool) -> None:
    """Create the practitioner's account."""
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
    created = seed()
    db.session.commit()
    click.echo("Demo data ready." if created else "Demo data already present; nothing changed.")


@click.command("seed-load")
@click.option("--appointments", "count", type=click.IntRange(min=0), required=True,
              help="Number of confirmed appointments to create.")
@click.option("--patients", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--reset", is_flag=True, help="Delete earlier load-test data first.")
def seed_load(count: int, patients: int, reset: bool) -> None:
    """Create a load-test practitioner (slug load-30) with N appointments (development only)."""
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


def job_command(job: Job) -> click.Command:
    """The flask command of one periodic job (app/jobs.py's table): one run now, then its report. The
    job function's keyword parameters with defaults are its options (send-outbox --limit 200)."""
    def run(**options) -> None:
        try:
            result = job.function(**options)
        except job.busy as running:
            raise click.ClickException(f"{running} Try again when it has finished.") from None
        sent = deliver_committed() if job.delivers else 0
        click.echo(job.report(result, sent))

    params: list[click.Parameter] = [
        click.Option([f"--{name.replace('_', '-')}", name], default=parameter.default, show_default=True)
        for name, parameter in inspect.signature(job.function).parameters.items()
        if parameter.default is not inspect.Parameter.empty]
    return click.Command(job.name, callback=run, params=params,
                         help=f"{job.description} The worker runs it {job.when}.")


@click.command("import-uploads")
def import_uploads() -> None:
    """Copy lab files from this host's UPLOAD_FOLDER into shared storage (once per host, after upgrading)."""
    folder = current_app.config["UPLOAD_FOLDER"]
    with db.engine.begin() as connection:
        copied, missing = import_folder(connection, folder)
    click.echo(f"copied {copied} file(s) from {folder}; {missing} listed file(s) are not on this host")
