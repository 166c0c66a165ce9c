"""Every file in deploy/ at work: the kit is run as an operator would on the README's two hosts, here on
loopback. Only the site-specific values are replaced (the example name, addresses, certificate and
/srv/homeostasis paths, ports); everything else is the file as shipped:

- deploy/homeostasis.env: the environment of every process below (production settings);
- deploy/systemd/*.service: `systemd-analyze verify`, their keys, and their ExecStart lines are what
  starts the two gunicorns ("web-1", "web-2") and the worker;
- deploy/nginx/homeostasis.conf: `nginx -t`, then TLS, pages from both web hosts, static files from
  disk, the client's address passed on, a sign-in, the redirect to https and unknown names refused;
- deploy/redis/homeostasis.conf: the Redis all of them use (append-only, no eviction);
- deploy/logrotate/homeostasis: `logrotate -d`, then a real rotation that gunicorn follows (USR1);
- deploy/backup.sh and deploy/restore.sh: one pg_dump, lab files included, into a new database.
"""
from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select, text

from app.extensions import db
from app.models.audit import AuditEvent
from bench.servers import ensure_debian_command, free_port, nginx_main_config, start_nginx, wait_until_answering
from tests.support.mailbox import text_of
from tests.support.redisserver import RedisServer
from tests.support.web import csrf_from

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent
SITE = "book.example-practice.com"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
UNITS = {"homeostasis-web.service", "homeostasis-worker.service", "homeostasis-calendar-worker.service"}
CLIENT_ADDRESS = "127.0.0.2"  # the browser's address, as nginx sees it; gunicorn sees nginx's 127.0.0.1


def localised(text: str, replacements: dict[str, str] | None = None) -> str:
    """A kit file as it would be on this machine: the /srv/homeostasis install is this checkout and its
    virtualenv, and `replacements` (example host names, addresses, paths) in the given order."""
    for old, new in {"/srv/homeostasis/.venv/bin": str(VENV_BIN), "/srv/homeostasis": str(ROOT),
                     **(replacements or {})}.items():
        text = text.replace(old, new)
    return text


def environment_file(path: Path) -> dict[str, str]:
    """KEY=value lines, as systemd's EnvironmentFile= reads them (comments and blank lines skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            value = value.strip()
            values[key.strip()] = value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value
    return values


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


def exec_start(path: Path, environment: dict[str, str], replacements: dict[str, str]) -> list[str]:
    """The unit's ExecStart as systemd runs it: continuation lines joined, ${VAR} from the environment
    file, %% unescaped."""
    raw = unit(path)["Service"]["ExecStart"]
    line = " ".join(part.rstrip("\\").strip() for part in localised(raw, replacements).splitlines())
    line = re.sub(r"\$\{(\w+)\}", lambda m: environment[m.group(1)], line).replace("%%", "%")
    return shlex.split(line)


# --- the units and the Redis settings, each on its own ------------------------------------------------

def test_the_systemd_units_are_complete_and_systemd_accepts_them(tmp_path):
    assert {p.name for p in (DEPLOY / "systemd").iterdir()} == UNITS
    for name in sorted(UNITS):
        parsed = unit(DEPLOY / "systemd" / name)
        assert parsed["Unit"]["Description"] and "network-online.target" in parsed["Unit"]["After"]
        service = parsed["Service"]
        assert service["User"] == service["Group"] == "homeostasis"
        assert service["EnvironmentFile"] == "/etc/homeostasis/homeostasis.env"
        assert service["WorkingDirectory"] == "/srv/homeostasis" and service["Restart"]
        assert service["ExecStart"].startswith("/srv/homeostasis/.venv/bin/")
        assert parsed["Install"]["WantedBy"] == "multi-user.target"
    for name in ("homeostasis-worker.service", "homeostasis-calendar-worker.service"):
        assert unit(DEPLOY / "systemd" / name)["Service"]["KillSignal"] == "SIGINT"  # huey's graceful stop
    # One consumer unit for each huey queue that app/tasks.py defines.
    from huey import Huey

    from app import tasks
    queues = {f"app.tasks.{name}" for name, value in vars(tasks).items() if isinstance(value, Huey)}
    consumed = {unit(DEPLOY / "systemd" / name)["Service"]["ExecStart"].split()[1] for name in sorted(UNITS)
                if "worker" in name}
    assert consumed == queues == {"app.tasks.huey", "app.tasks.calendar_huey"}
    # systemd's own check (Debian's systemd package ships it; .ci/run installs it): unknown keys, bad
    # specifiers, a missing executable all print something. On the checkout's paths.
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: apt-get install systemd"
    for name in sorted(UNITS):
        (tmp_path / name).write_text(localised((DEPLOY / "systemd" / name).read_text()))
    verify = subprocess.run([analyze, "verify", *(str(tmp_path / name) for name in sorted(UNITS))],
                            capture_output=True, text=True)
    assert verify.returncode == 0 and verify.stdout + verify.stderr == "", verify.stdout + verify.stderr


def test_the_unedited_environment_file_is_refused_by_production_naming_what_to_change():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "MAIL_", "RATELIMIT_"))}
    env.update(environment_file(DEPLOY / "homeostasis.env"))
    started = subprocess.run([sys.executable, "-c", "from app import create_app; create_app()"], cwd=ROOT, env=env,
                             capture_output=True, text=True)
    assert started.returncode != 0 and "Refusing to start in production" in started.stderr
    assert "SECRET_KEY must be at least 32 bytes" in started.stderr


def test_the_environment_file_reads_the_same_in_a_shell_as_in_systemd():
    """The recipe sources it for flask commands and backups; the units read it with EnvironmentFile=."""
    shell = subprocess.run(["sh", "-c", f"set -a; . {DEPLOY / 'homeostasis.env'}; set +a; env -0"],
                           env={"PATH": os.environ["PATH"]}, capture_output=True, text=True, check=True)
    sourced = dict(item.split("=", 1) for item in shell.stdout.split("\0") if "=" in item)
    expected = environment_file(DEPLOY / "homeostasis.env")
    assert expected["MAIL_DEFAULT_SENDER"] == "Homeostasis <no-reply@example-practice.com>"
    assert {key: sourced.get(key) for key in expected} == expected


def test_redis_with_the_kits_settings_keeps_the_queue_on_disk_and_never_evicts(tmp_path):
    server = RedisServer(config_file=DEPLOY / "redis" / "homeostasis.conf").start()
    try:
        client = server.client()
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        assert int(client.config_get("maxmemory")["maxmemory"]) == 512 * 1024 * 1024
        client.rpush("huey.redis.homeostasis", b"a task")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(server.directory.rglob("*.aof")):
            time.sleep(0.1)
        assert any(server.directory.rglob("*.aof"))  # the append-only file, written as tasks arrive
    finally:
        server.cleanup()


# --- the site: Redis, two web hosts, the worker and nginx, from the kit ----------------------------------

@dataclass
class Site:
    https: str
    http_port: int
    cert: Path
    directory: Path
    web: list[subprocess.Popen]
    web_logs: list[Path]
    web_commands: list[tuple[list[str], dict, int]]
    nginx_config: Path
    nginx: str

    def session(self, source: str | None = None) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment overrides `verify`
        session.verify = str(self.cert)
        if source:
            session.mount("https://", FromAddress(source))
        return session


class FromAddress(requests.adapters.HTTPAdapter):
    """Connections from another loopback address (a different client than the proxy)."""

    def __init__(self, source: str):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def _certificate(directory: Path) -> Path:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(directory / "privkey.pem"),
                    "-out", str(directory / "fullchain.pem")], check=True, capture_output=True)
    return directory / "fullchain.pem"


def _stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    for stream in (process.stdout, process.stderr):
        if stream:
            stream.close()


@pytest.fixture(scope="module")
def site(migrated, mailbox):
    nginx = ensure_debian_command("nginx")
    assert nginx, "nginx is missing: apt-get install nginx (.ci/run installs it)"
    directory = Path(tempfile.mkdtemp(prefix="homeostasis-site-"))
    directory.chmod(0o755)
    redis_server = RedisServer(config_file=DEPLOY / "redis" / "homeostasis.conf").start()
    https_port, http_port = free_port(), free_port()
    web_ports = [free_port(), free_port()]
    processes: list[subprocess.Popen] = []
    worker = calendar_worker = None
    try:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("STRIPE_", "MAIL_", "RATELIMIT_", "HUEY_", "DATABASE_", "TEST_"))}
        kit_env = environment_file(DEPLOY / "homeostasis.env")
        local_redis = f"127.0.0.1:{redis_server.port}"
        kit_env.update(SECRET_KEY="s" * 48, DATABASE_URL=migrated,
                       RATELIMIT_STORAGE_URI=kit_env["RATELIMIT_STORAGE_URI"].replace("10.0.0.11:6379", local_redis),
                       HUEY_URL=kit_env["HUEY_URL"].replace("10.0.0.11:6379", local_redis),
                       BASE_URL=f"https://localhost:{https_port}", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(mailbox.port),
                       MAIL_USE_TLS="false", MAIL_USERNAME="", MAIL_PASSWORD="")
        assert kit_env["HOMEOSTASIS_ENV"] == "production" and kit_env["TRUSTED_PROXIES"] == "1"
        env.update(kit_env)
        web_logs, web_commands = [], []
        for number, port in enumerate(web_ports, start=1):
            logs = directory / f"web-{number}"
            logs.mkdir()
            command = exec_start(DEPLOY / "systemd" / "homeostasis-web.service",
                                 {**env, "HOMEOSTASIS_BIND": f"127.0.0.1:{port}"},
                                 {"/var/log/homeostasis": str(logs), "--workers 4": "--workers 1"})
            processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.PIPE))
            web_logs.append(logs)
            web_commands.append((command, env, port))
        for process, port, logs in zip(processes, web_ports, web_logs, strict=False):
            try:
                wait_until_answering(f"http://127.0.0.1:{port}/healthz", process, "gunicorn (the web unit's ExecStart)",
                                     timeout=90)
            except RuntimeError as exc:  # its own log says why
                raise RuntimeError(f"{exc}\n{(logs / 'error.log').read_text(errors='replace')[-3000:]}") from exc
        worker_log = open(directory / "worker.log", "wb")
        worker = subprocess.Popen(exec_start(DEPLOY / "systemd" / "homeostasis-worker.service", env, {}),
                                  cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT)
        processes.append(worker)
        calendar_log = open(directory / "calendar-worker.log", "wb")
        calendar_worker = subprocess.Popen(
            exec_start(DEPLOY / "systemd" / "homeostasis-calendar-worker.service", env, {}),
            cwd=ROOT, env=env, stdout=calendar_log, stderr=subprocess.STDOUT)
        processes.append(calendar_worker)
        calendar_log.close()
        worker_log.close()

        certificates = directory / "tls"
        certificates.mkdir()
        cert = _certificate(certificates)
        config = localised((DEPLOY / "nginx" / "homeostasis.conf").read_text(), {
            f"/etc/letsencrypt/live/{SITE}/": f"{certificates}/", SITE: "localhost",
            "listen 443": f"listen 127.0.0.1:{https_port}", "listen [::]:443": f"listen [::1]:{https_port}",
            "listen 80": f"listen 127.0.0.1:{http_port}", "listen [::]:80": f"listen [::1]:{http_port}",
            "10.0.0.11:8000": f"127.0.0.1:{web_ports[0]}", "10.0.0.12:8000": f"127.0.0.1:{web_ports[1]}",
            "/var/log/nginx/": f"{directory}/"})
        site_config = directory / "homeostasis.conf"
        site_config.write_text(config)
        # As Debian's /etc/nginx/nginx.conf does: MIME types, then the sites, inside its http block.
        main = nginx_main_config(directory, f"    include /etc/nginx/mime.types;\n    include {site_config};")
        nginx_process = start_nginx(nginx, main, directory, f"https://localhost:{https_port}/healthz")
        processes.append(nginx_process)
        site = Site(f"https://localhost:{https_port}", http_port, cert, directory, processes[:2], web_logs,
                    web_commands, directory / "nginx.conf", nginx)
        yield site
        processes[:2] = site.web  # a test may have restarted one
    finally:
        for process in reversed(processes):
            _stop(process, signal.SIGINT if process in (worker, calendar_worker) else signal.SIGTERM)  # as the units do
        redis_server.cleanup()
        shutil.rmtree(directory, ignore_errors=True)


def access_lines(site: Site) -> list[list[str]]:
    time.sleep(0.3)  # gunicorn writes its access line after the answer
    return [(logs / "access.log").read_text().splitlines() for logs in site.web_logs]


def test_nginx_accepts_the_kits_config(site):
    check = subprocess.run([site.nginx, "-t", "-c", str(site.nginx_config), "-p", str(site.directory)],
                           capture_output=True, text=True)
    assert check.returncode == 0 and "test is successful" in check.stderr, check.stderr


def test_pages_come_over_tls_from_both_web_hosts_with_the_readmes_access_log(site):
    browser = site.session()
    answers = [browser.get(f"{site.https}/") for _ in range(6)]
    assert all(a.status_code == 200 and "<html" in a.text for a in answers)
    assert answers[0].headers["Strict-Transport-Security"]  # the app, in production, behind TLS
    logs = access_lines(site)
    assert all(any('"GET / HTTP/1.1" 200' in line for line in lines) for lines in logs)  # web-1 and web-2
    request_ids = {a.headers["X-Request-ID"] for a in answers}
    assert request_ids <= {line.rsplit(" ", 1)[1] for lines in logs for line in lines}  # nginx's $request_id


def test_while_one_web_host_restarts_the_other_answers_every_request(site):
    """The upgrade's rolling restart: web-2 down, then back (the unit's ExecStart again)."""
    _stop(site.web[1])
    browser = site.session()
    assert [browser.get(f"{site.https}/").status_code for _ in range(8)] == [200] * 8
    command, env, port = site.web_commands[1]
    site.web[1] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_until_answering(f"http://127.0.0.1:{port}/healthz", site.web[1], "gunicorn (restarted)")


def test_static_files_come_from_disk_through_nginx_not_from_gunicorn(site):
    before = sum(len(lines) for lines in access_lines(site))
    css = site.session().get(f"{site.https}/static/css/app.css")
    assert css.status_code == 200 and css.headers["Content-Type"] == "text/css"
    assert css.content == (ROOT / "static" / "css" / "app.css").read_bytes()
    assert css.headers["X-Content-Type-Options"] == "nosniff" and "Cache-Control" in css.headers
    assert css.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert sum(len(lines) for lines in access_lines(site)) == before


def test_nginx_and_gunicorn_keep_reset_and_feed_tokens_out_of_their_access_logs(site):
    secret = uuid.uuid4().hex
    browser = site.session()
    assert browser.get(f"{site.https}/auth/reset/{secret}").status_code == 400  # unknown token: the app's 400
    assert browser.get(f"{site.https}/practice/calendar/{secret}.ics").status_code == 404
    time.sleep(0.3)
    logged = (site.directory / "homeostasis.access.log").read_text()
    assert "/auth/reset/[token]" in logged and "/practice/calendar/[token].ics" in logged
    assert secret not in logged
    assert all(secret not in line for lines in access_lines(site) for line in lines)  # nor gunicorn's
    assert any("/auth/reset/" in line for lines in access_lines(site) for line in lines)


def test_nginx_refuses_an_upload_over_11_mb_itself(site):
    browser = site.session()
    refused = browser.post(f"{site.https}/account/labs", data=b"x" * (12 * 1024 * 1024),
                           headers={"Content-Type": "application/octet-stream"})
    assert refused.status_code == 413 and "nginx" in refused.text


def test_plain_http_is_sent_to_https_and_other_names_are_refused(site):
    plain = requests.get(f"http://localhost:{site.http_port}/account?x=1", allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"] == "https://localhost/account?x=1"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{site.http_port}/", headers={"Host": "evil.example"}, timeout=10)
    with pytest.raises(requests.exceptions.SSLError):  # no certificate for a name that is not the site's
        requests.get(site.https.replace("localhost", "127.0.0.1"), verify=False, timeout=10)


def test_a_patient_registers_and_signs_in_through_the_proxy_and_her_address_is_recorded(site, app):
    browser = site.session(source=CLIENT_ADDRESS)
    page = browser.get(f"{site.https}/auth/register")
    form = {"csrf_token": csrf_from(page.text), "email": "ada@example.com", "password": "correct horse battery",
            "full_name": "Ada Patient", "timezone": "Europe/London", "consent": "y"}
    registered = browser.post(f"{site.https}/auth/register", data=form, allow_redirects=False,
                              headers={"Referer": f"{site.https}/auth/register"})
    assert registered.status_code == 303, registered.text[:500]
    cookie = next(c for c in browser.cookies if c.name == "homeostasis_session")
    assert cookie.secure  # production cookies, over the proxy's TLS
    assert browser.get(f"{site.https}/account").status_code == 200
    db.session.commit()
    consent = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consent"))
    assert consent.ip == CLIENT_ADDRESS  # X-Forwarded-For from nginx, trusted for one hop


def test_the_worker_unit_sends_what_a_request_through_the_proxy_queued(site, app, make_user, mailbox):
    make_user("bea@example.com")
    browser = site.session()
    page = browser.get(f"{site.https}/auth/forgot-password")
    sent = browser.post(f"{site.https}/auth/forgot-password", data={"csrf_token": csrf_from(page.text),
                        "email": "bea@example.com"}, headers={"Referer": f"{site.https}/auth/forgot-password"})
    assert sent.status_code == 200
    [message] = mailbox.wait_for("bea@example.com", timeout=30)  # Redis queue -> huey_consumer -> SMTP
    assert f"{site.https}/auth/reset/" in text_of(message)


def test_the_calendar_worker_unit_consumes_the_calendar_queue_on_the_same_redis(site):
    log = site.directory / "calendar-worker.log"
    deadline = time.monotonic() + 20
    while "sync-calendars" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    started = log.read_text()
    assert "Huey consumer started" in started and "sync-calendars" in started, started[-2000:]
    assert "send-outbox" not in started  # mail is the other consumer's


def test_logrotate_reads_the_kits_file_and_gunicorn_writes_to_the_new_log_after_rotation(site):
    logrotate = ensure_debian_command("logrotate")
    assert logrotate, "logrotate is missing: apt-get install logrotate (.ci/run installs it)"
    # The file as shipped, but for its user: this machine has no `homeostasis` account (the recipe's
    # first step makes it on a real host), and logrotate refuses a `su` to a user that does not exist.
    shipped = (DEPLOY / "logrotate" / "homeostasis").read_text()
    assert "su homeostasis homeostasis" in shipped and "create 0640 homeostasis homeostasis" in shipped
    here = site.directory / "logrotate-as-shipped"
    here.write_text(shipped.replace("homeostasis homeostasis", "root root"))
    here.chmod(0o644)
    dry = subprocess.run([logrotate, "-d", "-s", str(site.directory / "dry.state"), str(here)],
                         capture_output=True, text=True)
    assert dry.returncode == 0 and "error" not in dry.stdout + dry.stderr, dry.stdout + dry.stderr
    assert "rotating pattern: /var/log/homeostasis/*.log" in dry.stdout + dry.stderr

    # For real, on web-1's logs: the same file, with this machine's user and signal instead of systemctl's.
    logs, gunicorn = site.web_logs[0], site.web[0]
    config = localised((DEPLOY / "logrotate" / "homeostasis").read_text(), {
        "/var/log/homeostasis": str(logs), "su homeostasis homeostasis": "su root root",
        "create 0640 homeostasis homeostasis": "create 0640 root root",
        "systemctl kill --kill-whom=main --signal=USR1 homeostasis-web.service": f"kill -USR1 {gunicorn.pid}"})
    rotate = site.directory / "logrotate.conf"
    rotate.write_text(config)
    rotate.chmod(0o644)
    logs.chmod(0o755)
    site.session().get(f"{site.https}/")
    forced = subprocess.run([logrotate, "-f", "-s", str(site.directory / "logrotate.state"), str(rotate)],
                            capture_output=True, text=True)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert (logs / "access.log.1").exists() and (logs / "access.log.1").read_text()
    marker = uuid.uuid4().hex
    deadline = time.monotonic() + 10
    while marker not in (logs / "access.log").read_text() and time.monotonic() < deadline:
        site.session().get(f"{site.https}/?{marker}")
        time.sleep(0.3)
    assert marker in (logs / "access.log").read_text()
    assert marker not in (logs / "access.log.1").read_text()


# --- backup and restore ------------------------------------------------------------------------------

def test_one_backup_holds_the_lab_files_and_restores_into_a_new_database_only(app_config, tmp_path):
    from flask_migrate import upgrade

    from app import create_app
    from app.accounts.passwords import hash_password
    from app.models.accounts import User
    from app.storage import files

    names = [f"homeostasis_backup_{uuid.uuid4().hex[:8]}", f"homeostasis_restore_{uuid.uuid4().hex[:8]}"]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    source, target = (f"postgresql://postgres@127.0.0.1:5432/{name}" for name in names)
    lab = os.urandom(300_000)
    try:
        original = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": source.replace("postgresql://", "postgresql+psycopg://")})
        with original.app_context():
            upgrade()
            db.session.add(User(email="ada@example.com", full_name="Ada", password_hash=hash_password("x" * 12),
                                role="patient", timezone="Europe/London"))
            files().put("labs/ada/tryptase.pdf", lab)
            db.session.commit()
            db.engine.dispose()
        env = {**os.environ, "DATABASE_URL": source}
        backup = subprocess.run([str(DEPLOY / "backup.sh"), str(tmp_path)], env=env, capture_output=True, text=True)
        assert backup.returncode == 0, backup.stderr
        dump = Path(backup.stdout.strip())
        assert dump.parent == tmp_path and dump.stat().st_size > 0 and oct(dump.stat().st_mode)[-3:] == "600"

        restore = [str(DEPLOY / "restore.sh"), str(dump)]
        restored = subprocess.run(restore, env={**os.environ, "DATABASE_URL": target}, capture_output=True, text=True)
        assert restored.returncode == 0, restored.stderr
        copy = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": target.replace("postgresql://", "postgresql+psycopg://")})
        with copy.app_context():
            assert files().get("labs/ada/tryptase.pdf") == lab
            assert db.session.scalar(select(User.email)) == "ada@example.com"
            db.session.remove()
            db.engine.dispose()
        again = subprocess.run(restore, env={**os.environ, "DATABASE_URL": target}, capture_output=True, text=True)
        assert again.returncode != 0 and "restore into a new, empty database" in again.stderr
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
