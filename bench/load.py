"""Fixed-duration load against gunicorn with the production configuration on PostgreSQL.

wrk (Debian's package; installed with apt when missing and running as root) drives 50 connections
for --duration seconds at: the home page, GET /api/v1/slots for 30 days, a signed-in patient's
/account, and a bare Flask "hello" served by the same gunicorn settings. Reported: requests per
second, p99 latency, errors, the CPU the gunicorn workers spent per request (from /proc), and the
ratio slots / hello measured in this run (target >= 0.5).

Every endpoint is first warmed for WARMUP_SECONDS (not counted). The machine is shared, so its speed
drifts during a run: slots and hello, the two sides of the ratio, alternate in rounds of
ROUND_SECONDS (their durations stay --duration each), so a slow spell falls on both. Their req/s is
all requests over all rounds, their p99 the median of the rounds' (the worst round's is given too),
and the ratio is given overall, as the median of the round pairs, and as their range.

Then the same two alternate through a caching proxy (Debian's nginx, installed with apt when missing and
running as root): slots cached as its Cache-Control allows (max-age=1, revalidated with If-None-Match,
which the app answers 304), hello passed through. Reported: both rates through the proxy, their ratio,
and how many slots requests reached gunicorn.
Only 127.0.0.1 is ever targeted.
"""
from __future__ import annotations

import os
import re
import secrets
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

from bench.servers import ensure_debian_command, free_port, nginx_main_config, start_nginx

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
CONNECTIONS, THREADS = 50, 2
WORKERS = 4
ROUND_SECONDS = 5
WARMUP_SECONDS = 3
SLOTS, HELLO = "GET /api/v1/slots (30 days)", "bare Flask hello"


NGINX_HTTP = """
    access_log off;
    # A shared cache that obeys the app's Cache-Control (max-age=1 on slots) and revalidates a stale
    # entry with If-None-Match, which the app answers 304; one request per key goes upstream at a time.
    proxy_cache_path {dir}/cache keys_zone=slots:10m max_size=64m;
    log_format cache_status '$upstream_cache_status';
    upstream app {{ server 127.0.0.1:{app_port}; keepalive 16; }}
    upstream hello {{ server 127.0.0.1:{hello_port}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-Proto https;
        location /api/v1/slots {{
            proxy_pass http://app;
            proxy_cache slots;
            proxy_cache_revalidate on;
            proxy_cache_lock on;
            proxy_cache_use_stale updating;
            access_log {dir}/slots.log cache_status;
        }}
        location /hello {{ proxy_pass http://hello; }}
    }}
"""


def start_bench_nginx(binary: str, app_port: int, hello_port: int, directory: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    http = NGINX_HTTP.format(dir=directory, port=port, app_port=app_port, hello_port=hello_port)
    try:
        process = start_nginx(binary, nginx_main_config(directory, http), directory, f"http://127.0.0.1:{port}/hello")
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from exc
    return process, port


def psql(sql: str) -> None:
    subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", sql], check=True,
                   capture_output=True)


def prepare_database(name: str) -> str:
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    env = {**os.environ, "DATABASE_URL": url, "HOMEOSTASIS_ENV": "development", "FLASK_APP": "wsgi"}
    flask = str(VENV_BIN / "flask")
    subprocess.run([flask, "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([flask, "--app", "wsgi", "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    return url


def start_gunicorn(target: str, port: int, env: dict) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--workers", str(WORKERS), "--worker-class", "sync", "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", target],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except urllib.error.HTTPError:
            return process  # it answers (a 404 from the hello app's root is fine)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn for {target} did not start: {process.stderr.read().decode()[-2000:]}")


def session_cookie(port: int) -> str:
    """Log the demo patient in through the real form, as a browser behind the TLS proxy would
    (X-Forwarded-Proto: https, trusted from 127.0.0.1 by gunicorn), and return the session cookie."""
    import http.client

    proxy = {"X-Forwarded-Proto": "https", "Host": f"127.0.0.1:{port}"}

    def request(method: str, path: str, body: str | None = None, cookie: str | None = None, **extra):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {**proxy, **extra, **({"Cookie": cookie} if cookie else {})}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read().decode()
        jar = response.headers.get("Set-Cookie", "")
        connection.close()
        return response.status, data, (jar.split(";")[0] if jar else cookie)

    _, page, cookie = request("GET", "/auth/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"email": "patient@example.com", "password": os.environ.get(
        "DEMO_PASSWORD", "homeostasis-demo"), "csrf_token": token})
    status, _, cookie = request("POST", "/auth/login", form, cookie, Referer=f"https://127.0.0.1:{port}/auth/login",
                                **{"Content-Type": "application/x-www-form-urlencoded"})
    if status != 303:
        raise SystemExit(f"demo patient login failed with {status}")
    return cookie


def workers_cpu_seconds(master: subprocess.Popen) -> float:
    """CPU time (user + system) used so far by the gunicorn master's worker processes, from /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == master.pid:  # its parent
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def wrk(binary: str, url: str, seconds: int, headers: list[str] = (), server: subprocess.Popen | None = None) -> dict:
    """One wrk run; with `server`, also the CPU its workers spent per request (ms), a figure the
    machine's other load disturbs much less than requests per second."""
    args = [binary, "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency", "--timeout", "10s"]
    for header in headers:
        args += ["-H", header]
    cpu_before = workers_cpu_seconds(server) if server else 0.0
    out = subprocess.run(args + [url], check=True, capture_output=True, text=True).stdout
    cpu = workers_cpu_seconds(server) - cpu_before if server else 0.0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p99_ms": p99, "errors": non2xx + socket_errors, "requests": requests,
            "cpu_seconds": cpu}


def _ms(text: str) -> float:
    value, unit = float(re.match(r"[\d.]+", text).group()), re.search(r"[a-z]+", text).group()
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run(seconds: int = 60, progress=sys.stderr) -> str:
    binary = ensure_debian_command("wrk")
    if binary is None:
        raise SystemExit("The load benchmark needs wrk: sudo apt-get install wrk")
    database = f"homeostasis_load_{secrets.token_hex(4)}"
    url = prepare_database(database)
    env = {**os.environ, "DATABASE_URL": url, "HOMEOSTASIS_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(32),
           "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/15"),
           # What production refuses to start without (app/__init__.py). No mail is sent here: no worker runs.
           "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "BASE_URL": "https://127.0.0.1",
           "HUEY_URL": os.environ.get("HUEY_URL", "redis://127.0.0.1:6379/14")}
    app_port, hello_port = free_port(), free_port()
    servers = [start_gunicorn("wsgi:app", app_port, env), start_gunicorn("bench.hello:app", hello_port, env)]
    try:
        base = f"http://127.0.0.1:{app_port}"
        start = date.today() + timedelta(days=2)
        slots = f"{base}/api/v1/slots?type=initial-consultation&start={start}&end={start + timedelta(days=29)}&tz=Europe/London"
        cookie = session_cookie(app_port)
        https = "X-Forwarded-Proto: https"
        hello = f"http://127.0.0.1:{hello_port}/hello"
        # Warm every worker on every endpoint first (imports, connections, compiled queries, caches):
        # the figures are for a running service, not for its first requests.
        print(f"load: warming up for {WARMUP_SECONDS}s per endpoint ...", file=progress, flush=True)
        for target, headers in [(f"{base}/", [https]), (f"{base}/account", [https, f"Cookie: {cookie}"]),
                                (slots, [https]), (hello, [])]:
            wrk(binary, target, WARMUP_SECONDS, headers)
        results = {}
        for label, target, headers in [("home page /", f"{base}/", [https]),
                                       ("signed-in /account", f"{base}/account", [https, f"Cookie: {cookie}"])]:
            print(f"load: {label} for {seconds}s ...", file=progress, flush=True)
            results[label] = wrk(binary, target, seconds, headers, servers[0])
        rounds = max(1, round(seconds / ROUND_SECONDS))
        each = max(1, round(seconds / rounds))
        pairs = []
        for number in range(1, rounds + 1):
            print(f"load: slots and hello, round {number}/{rounds}, {each}s each ...", file=progress, flush=True)
            pairs.append((wrk(binary, slots, each, [https], servers[0]), wrk(binary, hello, each, [], servers[1])))
        for index, label in ((0, SLOTS), (1, HELLO)):
            runs = [pair[index] for pair in pairs]
            results[label] = {"rps": sum(r["requests"] for r in runs) / (each * rounds),
                              "p99_ms": statistics.median(r["p99_ms"] for r in runs),
                              "worst_p99_ms": max(r["p99_ms"] for r in runs),
                              "errors": sum(r["errors"] for r in runs), "requests": sum(r["requests"] for r in runs),
                              "cpu_seconds": sum(r["cpu_seconds"] for r in runs)}
        round_ratios = sorted(a["rps"] / b["rps"] for a, b in pairs)
        proxied = proxied_rounds(binary, app_port, hello_port, slots, rounds, each, progress)
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
            server.stderr.close()
        psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    lines = [f"Load: gunicorn {WORKERS} sync workers, production config, PostgreSQL; wrk {CONNECTIONS} connections, "
             f"{seconds} s per endpoint, 127.0.0.1",
             f"{'endpoint':32} {'req/s':>9} {'p99 ms':>9} {'errors':>7} {'requests':>9} {'CPU ms/req':>11}"]
    for label, r in results.items():
        cpu_ms = 1000 * r["cpu_seconds"] / max(r["requests"], 1)
        lines.append(f"{label:32} {r['rps']:9.1f} {r['p99_ms']:9.1f} {r['errors']:7d} {r['requests']:9d} "
                     f"{cpu_ms:11.3f}")
    ratio = results[SLOTS]["rps"] / results[HELLO]["rps"]
    lines.append(f"slots / hello throughput = {ratio:.2f}   target >= 0.5   {'met' if ratio >= 0.5 else 'NOT met'}   "
                 f"({len(round_ratios)} alternating rounds of {each} s: median {statistics.median(round_ratios):.2f}, "
                 f"{round_ratios[0]:.2f} to {round_ratios[-1]:.2f})")
    cpu = {label: results[label]["cpu_seconds"] / max(results[label]["requests"], 1) for label in (SLOTS, HELLO)}
    lines.append(f"CPU per request, hello / slots = {cpu[HELLO] / cpu[SLOTS]:.2f}   (the gunicorn workers' own CPU, "
                 f"from /proc: less disturbed by the machine's other load than req/s)")
    lines.append(f"slots and hello p99 above: the median over rounds; worst round: slots "
                 f"{results[SLOTS]['worst_p99_ms']:.1f} ms, hello {results[HELLO]['worst_p99_ms']:.1f} ms")
    errors = sum(r["errors"] for r in results.values())
    if proxied:
        pairs, statuses = proxied
        # MISS, EXPIRED and REVALIDATED (the app's 304) went to gunicorn; HIT and UPDATING did not.
        upstream = sum(n for status, n in statuses.items() if status in ("MISS", "EXPIRED", "REVALIDATED", "BYPASS"))
        upstream_share = upstream / max(sum(statuses.values()), 1)
        slots_rps = sum(a["requests"] for a, _ in pairs) / (each * len(pairs))
        hello_rps = sum(b["requests"] for _, b in pairs) / (each * len(pairs))
        ratios = sorted(a["rps"] / b["rps"] for a, b in pairs)
        errors += sum(a["errors"] + b["errors"] for a, b in pairs)
        lines.append(f"behind a caching proxy (nginx, obeying Cache-Control: max-age=1, revalidating with "
                     f"If-None-Match): slots {slots_rps:.1f} req/s, hello {hello_rps:.1f} req/s through the same "
                     f"nginx, slots / hello = {slots_rps / hello_rps:.2f} (rounds {ratios[0]:.2f} to "
                     f"{ratios[-1]:.2f}); {upstream_share:.3%} of the slots requests reached gunicorn "
                     f"({statuses.get('REVALIDATED', 0)} of them answered 304)")
    else:
        lines.append("behind a caching proxy: not measured (nginx not available)")
    lines.append(f"errors in all runs: {errors}   target 0")
    return "\n".join(lines)


def proxied_rounds(binary, app_port, hello_port, slots, rounds, each, progress):
    """Slots and hello through one nginx, slots cached by it as far as the app's headers allow. Returns
    the (slots, hello) round pairs and nginx's cache statuses for the counted slots requests."""
    import tempfile
    from collections import Counter

    nginx = ensure_debian_command("nginx")  # without it, the proxied figures are left out
    if not nginx:
        return None
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as directory:
        process, port = start_bench_nginx(nginx, app_port, hello_port, Path(directory))
        log = Path(directory) / "slots.log"
        try:
            proxied_slots = slots.replace(f"127.0.0.1:{app_port}", f"127.0.0.1:{port}")
            proxied_hello = f"http://127.0.0.1:{port}/hello"
            wrk(binary, proxied_slots, WARMUP_SECONDS)
            wrk(binary, proxied_hello, WARMUP_SECONDS)
            log.write_text("")  # count only the measured rounds (nginx appends, unbuffered)
            pairs = []
            for number in range(1, rounds + 1):
                print(f"load: through nginx, slots and hello, round {number}/{rounds}, {each}s each ...",
                      file=progress, flush=True)
                pairs.append((wrk(binary, proxied_slots, each), wrk(binary, proxied_hello, each)))
        finally:
            process.terminate()
            process.wait(10)
            process.stderr.close()
        statuses = Counter(log.read_text().split())
    return pairs, statuses
