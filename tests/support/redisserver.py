"""A real redis-server of the test's own, on a free loopback port, that a test can stop and start again
(the same port, so the app's settings stay right): Redis going away and coming back, as in production."""
from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.support.mailbox import free_port


class RedisServer:
    def __init__(self, *, config_file: str | Path | None = None, extra: tuple[str, ...] = ()):
        binary = shutil.which("redis-server")
        if binary is None:  # .ci/run installs Debian's redis-server; a test never passes without it
            raise RuntimeError("redis-server is not installed: apt-get install redis-server")
        self.binary = binary
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="homeostasis-redis-"))
        self.config_file = str(config_file) if config_file else None
        # Without a config file: nothing written to disk, so a restart starts empty.
        self.extra = extra if config_file else ("--save", "", "--appendonly", "no", *extra)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=2)

    def start(self) -> "RedisServer":
        args = [self.binary] + ([self.config_file] if self.config_file else [])
        args += ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
                 "--daemonize", "no", *self.extra]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
            if self.process.poll() is not None:
                break
        output = self.output()
        self.stop()
        raise RuntimeError(f"redis-server did not start: {output[-2000:]}")

    def freeze(self) -> None:
        """SIGSTOP: the port still takes connections (the kernel's backlog) but nothing answers, as with a
        hung server or a lost network path. stop() still kills it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def stop(self) -> None:
        """Kill it (SIGKILL: a crash, not a polite shutdown) and wait until the port refuses."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait(10)
        if self.process.stdout:
            self.process.stdout.close()
        self.process = None

    def output(self) -> str:
        if self.process is None or self.process.stdout is None:
            return ""
        if self.process.poll() is None:
            return ""
        return self.process.stdout.read().decode(errors="replace")

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
