"""`python -m bench.mail_blackhole`: how long POST /auth/forgot-password takes while the mail server
accepts connections and never answers (issue 12). Before the worker the request itself waited for
SMTP (about MAIL_TIMEOUT); with it the request only writes the outbox row and enqueues a task."""
from __future__ import annotations

import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path


def run(timeouts=(3.0, 10.0), repeats: int = 3) -> str:
    workdir = Path(tempfile.mkdtemp(prefix="homeostasis-bench-mail-"))
    os.environ.setdefault("HUEY_URL", f"sqlite:///{workdir / 'huey.sqlite3'}")
    from flask_migrate import upgrade

    from app import create_app
    from app.accounts import service
    from app.extensions import db

    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)  # accepts (the kernel's backlog), never answers
    lines = ["POST /auth/forgot-password with a black-hole SMTP server (median of %d)" % repeats]
    for timeout in timeouts:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / f'db{timeout}.sqlite3'}",
                          "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": hole.getsockname()[1],
                          "MAIL_TIMEOUT": timeout, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                          "SECRET_KEY": "bench-" * 8})
        with app.app_context():
            upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
            service.create_user(email="ada@example.com", full_name="Ada", password="correct horse battery",
                                timezone="UTC", role="patient")
            db.session.commit()
        client = app.test_client()
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.post("/auth/forgot-password", data={"email": "ada@example.com"})
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        lines.append(f"  MAIL_TIMEOUT={timeout:g}: {statistics.median(times):.3f} s")
    hole.close()
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
    sys.exit(0)
