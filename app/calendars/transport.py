"""The one way the server talks to a calendar server: a requests Session whose transport adapter

- parses each request's address with urllib3 (what requests itself uses), checks every address the
  host resolves to (app/calendars/addresses.py) and connects to the checked one: the request goes to
  that IP literal with the original Host header, and for https the TLS SNI and certificate check
  use the original host name (urllib3's `server_hostname` / `assert_hostname` pool keys), so a
  second DNS answer is never asked for;
- never uses a proxy (HTTP(S)_PROXY would resolve the name again), and
- holds every fetch to a total deadline and a size cap: the whole body is read here, in chunks, and
  a watchdog shuts the fetch's sockets when the deadline passes, so a server that trickles a byte
  at a time (in the headers, the TLS handshake or the body) is cut off on time, not after each
  read's timeout.

Both the .ics fetch and CalDAV (the caldav client's own requests Session gets this adapter mounted)
go through it. No well-kept library does this for requests today (advocate, the one that did, was
last released in 2020 for requests 2.2x), so it is written here on requests' and urllib3's public
extension points: HTTPAdapter.send / build_connection_pool_key_attributes, PoolManager pool classes
and a pool's ConnectionCls.
"""
from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPResponse, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError
from urllib3.util import parse_url

from app.calendars.addresses import DEFAULT_PORTS, AddressRefused, checked_address

# The certificates https calendar servers are checked against: requests' (certifi's). A test points
# this at its own authority.
CA_BUNDLE: str | bool = True


class DeadlinePassed(Exception):
    pass


class TooLarge(Exception):
    pass


class Deadline:
    """A total time limit for one fetch. Connections opened while it runs register themselves;
    when it passes, their sockets are shut down, which ends any read blocked on them."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._connections: list[HTTPConnection] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        _current.deadline = self
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        _current.deadline = None

    def remaining(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0 or self.expired:
            raise DeadlinePassed()
        return left

    def watch(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connections.append(connection)
        self.remaining()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            connections = list(self._connections)
        for connection in connections:
            sock = connection.sock
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


_current = threading.local()


def _watched(connection: HTTPConnection) -> None:
    deadline = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.watch(connection)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        _watched(self)
        super().connect()


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        _watched(self)
        super().connect()


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """See the module's doc. `max_bytes` caps each response body."""

    def __init__(self, *, allow_private: bool, max_bytes: int):
        self.allow_private = allow_private
        self.max_bytes = max_bytes
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Mapping[str, str] | None = None) -> requests.Response:
        original = parse_url(request.url or "")
        if original.scheme not in DEFAULT_PORTS or not original.host:
            raise AddressRefused("Give an address that starts with https:// (or http://).")
        port = original.port or DEFAULT_PORTS[original.scheme]
        address = checked_address(original.host, port, allow_private=self.allow_private)
        if verify is True:
            verify = CA_BUNDLE
        pinned = request.copy()
        pinned.url = original._replace(host=f"[{address}]" if ":" in address else address).url
        pinned.headers["Host"] = original.netloc or ""
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
            left = deadline.remaining()
            timeout = (min(connect or left, left), min(read or left, left))
        try:
            response = super().send(pinned, stream=True, timeout=timeout, verify=verify, cert=cert, proxies=None)
        except requests.RequestException:
            if deadline is not None:
                deadline.remaining()  # DeadlinePassed when the watchdog cut it
            raise
        # What the caller sees is what it asked for (caldav and redirects read these).
        response.url, response.request = request.url or "", request
        try:
            body = self._read(response, deadline)
        except (OSError, HTTPError) as error:
            response.close()
            if deadline is not None:
                deadline.remaining()
            raise requests.ConnectionError(type(error).__name__, request=request) from None
        except BaseException:
            response.close()
            raise
        response.raw.release_conn()
        if deadline is not None:
            deadline.remaining()  # a cut-off can look like an ordinary end (headers, or a body read to EOF)
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() not in ("content-encoding", "transfer-encoding", "content-length")}
        response.raw = HTTPResponse(body=io.BytesIO(body), headers=headers, status=response.status_code,
                                    reason=response.reason, preload_content=False, decode_content=False)
        return response

    def build_connection_pool_key_attributes(self, request: requests.PreparedRequest, verify: Any,
                                             cert: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params.get("scheme") == "https":
            name = parse_url("//" + str(request.headers["Host"])).host or ""
            name = name[1:-1] if name.startswith("[") else name
            pool_kwargs["server_hostname"] = name
            pool_kwargs["assert_hostname"] = name
        return host_params, pool_kwargs

    def _read(self, response: requests.Response, deadline: Deadline | None) -> bytes:
        body = bytearray()
        for chunk in response.raw.stream(64 * 1024, decode_content=True):
            body += chunk
            if len(body) > self.max_bytes:
                raise TooLarge()
            if deadline is not None:
                deadline.remaining()
        return bytes(body)


def session(*, allow_private: bool, max_bytes: int) -> requests.Session:
    """A Session that fetches only through PinnedAdapter (no proxies from the environment)."""
    s = requests.Session()
    mount(s, allow_private=allow_private, max_bytes=max_bytes)
    return s


def mount(s: requests.Session, *, allow_private: bool, max_bytes: int) -> None:
    """Put PinnedAdapter in place of a Session's own (the caldav client's)."""
    s.trust_env = False
    adapter = PinnedAdapter(allow_private=allow_private, max_bytes=max_bytes)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
