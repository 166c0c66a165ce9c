"""Starting local servers for the benchmarks and the tests that need real ones (bench/load.py,
tests/integration/test_deploy_kit.py): a free loopback port, Debian's commands installed on demand,
nginx from a configuration text, and waiting until a server answers. Only 127.0.0.1 is ever used."""
from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_debian_command(command: str, package: str | None = None) -> str | None:
    """The path of `command` (wrk, nginx, logrotate), installing Debian's package of that name with apt when
    it is missing and this runs as root; None when it cannot be had."""
    def found() -> str | None:
        return shutil.which(command) or next(
            (str(p) for p in (Path("/usr/sbin") / command, Path("/usr/bin") / command) if p.exists()), None)

    if found() or os.geteuid() != 0:
        return found()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", package or command]
    subprocess.run(install, check=False, capture_output=True, env=env)
    if not found():
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True, env=env)
        subprocess.run(install, check=False, capture_output=True, env=env)
    return found()


def wait_until_answering(url: str, process: subprocess.Popen, what: str, timeout: float = 30) -> None:
    """Until `url` gives any HTTP answer (a 404 or 503 counts: the server is up). Fails with the
    process's output if it exits or does not answer in time."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # up, not trusted: that is for the test
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            urllib.request.urlopen(url, timeout=1, context=context if url.startswith("https") else None)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    process.kill()
    output = process.communicate(timeout=10)[1] if process.stderr else b""
    raise RuntimeError(f"{what} did not answer {url}: {(output or b'').decode(errors='replace')[-2000:]}")


NGINX_TEMP_DIRECTORIES = ("cache", "body", "proxy", "fastcgi", "uwsgi", "scgi")


def nginx_main_config(directory: Path, http_body: str, *, workers: int = 2) -> str:
    """A whole nginx.conf around `http_body` that keeps every file (pid, logs, temp) in `directory`."""
    return f"""daemon off;
worker_processes {workers};
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
{http_body}
}}
"""


def start_nginx(binary: str, config_text: str, directory: Path, probe_url: str) -> subprocess.Popen:
    """nginx in the foreground with `config_text` as its nginx.conf (files under `directory`), once it
    answers `probe_url`."""
    directory.chmod(0o755)  # nginx's workers run as an unprivileged user
    for sub in NGINX_TEMP_DIRECTORIES:
        (directory / sub).mkdir(parents=True, exist_ok=True)
        (directory / sub).chmod(0o777)
    config = directory / "nginx.conf"
    config.write_text(config_text)
    process = subprocess.Popen([binary, "-c", str(config), "-p", str(directory)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    wait_until_answering(probe_url, process, "nginx", timeout=10)
    return process
