"""Real calendar servers for the calendar-sync tests: Radicale (a CalDAV server from PyPI) in its own
process on a free port of 127.0.0.1, with a temporary storage folder and htpasswd users; and a plain
HTTP server in a thread serving an .ics file that a test can swap or break."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import caldav

USER, PASSWORD = "maya", "radicale-app-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Radicale:
    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process: subprocess.Popen | None = None

    def start(self) -> Radicale:
        users = self.folder / "users"
        users.write_text(f"{USER}:{PASSWORD}\n")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{self.port}",
             "--storage-filesystem-folder", str(self.folder / "collections"), "--auth-type", "htpasswd",
             "--auth-htpasswd-filename", str(users), "--auth-htpasswd-encryption", "plain",
             "--logging-level", "error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("Radicale did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def new_calendar(self, cal_id: str, events: list[str]) -> str:
        """A calendar holding `events` (each one VCALENDAR text); returns its CalDAV address."""
        with caldav.DAVClient(self.url, username=USER, password=PASSWORD) as client:
            calendar = client.principal().make_calendar(name=cal_id, cal_id=cal_id)
            for text in events:
                calendar.save_event(text)
            return str(calendar.url)


class IcsServer:
    """Serves `body` at any path with `status`; both can be changed while it runs. `seen` keeps each
    request's Host header; `reason` is the status line's phrase; `tls` (an ssl.SSLContext) serves https."""

    def __init__(self, host: str = "127.0.0.1", tls=None, port: int = 0):
        self.body = b""
        self.status = 200
        self.reason: str | None = None
        self.error_body = b"unavailable"  # what a status other than 200 comes with
        self.requests = 0
        self.seen: list[str] = []
        self.redirect: str | None = None  # when set, every request is answered 302 to it
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                server.requests += 1
                server.seen.append(self.headers.get("Host", ""))
                if server.redirect and self.path != "/moved.ics":
                    self.send_response(302)
                    self.send_header("Location", server.redirect)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(server.status, server.reason)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                body = server.body if server.status == 200 else server.error_body
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://{host}:{self.port}/private/basic.ics"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> IcsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


LONDON_TZ = """BEGIN:VTIMEZONE
TZID:Europe/London
BEGIN:DAYLIGHT
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
TZNAME:BST
DTSTART:19700329T010000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
TZNAME:GMT
DTSTART:19701025T020000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""
# A zone known only by its VTIMEZONE: the name is no IANA zone, so only the definition gives +09:00.
OWN_TZ = """BEGIN:VTIMEZONE
TZID:My Tokyo Office
BEGIN:STANDARD
TZOFFSETFROM:+0900
TZOFFSETTO:+0900
TZNAME:JST
DTSTART:19700101T000000
END:STANDARD
END:VTIMEZONE
"""


def vcalendar(*events: str, timezones: str = LONDON_TZ + OWN_TZ) -> str:
    body = "".join(f"BEGIN:VEVENT\nDTSTAMP:20270101T000000Z\n{e.strip()}\nEND:VEVENT\n" for e in events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Homeostasis tests//EN\n{timezones}{body}END:VCALENDAR\n"


class TrickleServer:
    """A calendar server that sends one byte every `every` seconds, in the body (`mode="body"`: the
    status line and headers at once, then a 10,000-byte body a byte at a time), in the headers
    (`mode="headers"`) or in the TLS handshake (`mode="tls"`, for an https:// address). `requests`
    counts connections; `closed` is set when the client hung up."""

    def __init__(self, mode: str = "body", every: float = 0.2):
        self.mode, self.every = mode, every
        self.requests = 0
        self.closed = threading.Event()
        self._stop = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"{'https' if mode == 'tls' else 'http'}://127.0.0.1:{self.port}/slow.ics"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> TrickleServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.requests += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b"" if self.mode != "tls" else b"\r\n\r\n"  # a TLS client speaks first, in binary
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            if self.mode == "body":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: 10000\r\n\r\n")
                trickle = b"B" * 10000
            elif self.mode == "headers":
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                trickle = b"X-Slow: " + b"a" * 10000
            else:  # the start of a TLS handshake record of 16 KB, its bytes one at a time
                conn.sendall(b"\x16\x03\x03\x40\x00")
                trickle = b"\x00" * 10000
            for byte in trickle:
                if self._stop.wait(self.every):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    self.closed.set()
                    return
