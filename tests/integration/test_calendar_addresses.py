"""The calendar-address guard (SSRF, issue 20 point 2), against real local servers and a resolver the
test controls: the address checked is the address fetched (the parser of the fetching library, one
DNS answer per request, pinned), every special-purpose range is refused, and nothing a server sent
is shown in an error."""
from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from datetime import datetime, time, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from app.calendars import addresses, sync_all, transport
from app.calendars.secrets import CalendarSecret, seal
from app.extensions import db
from app.models.calendars import ExternalCalendar
from tests.conftest import DEFAULT_PASSWORD
from tests.support.calendars import IcsServer, vcalendar
from tests.support.web import post_form

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=timezone.utc)
SECRET = "INTERNAL-ONLY redis-password=hunter2"
EVENT = vcalendar("UID:e\nDTSTART:20270303T100000Z\nDTEND:20270303T110000Z").encode()


@pytest.fixture
def practice(make_practice):
    return make_practice(timezone="Europe/London", hours=[(d, time(0), time(23, 59)) for d in range(7)],
                         granularity_minutes=60, min_notice_minutes=0, horizon_days=60)


@pytest.fixture
def production_addresses(app):
    app.config["CALENDAR_ALLOW_PRIVATE_ADDRESSES"] = False
    yield
    app.config["CALENDAR_ALLOW_PRIVATE_ADDRESSES"] = True


@pytest.fixture
def internal():
    """A service on the server's own network (loopback) that must never be read."""
    with IcsServer("127.0.0.1") as server:
        server.body = SECRET.encode()
        yield server


@pytest.fixture
def public():
    """Stands in for a calendar server on the internet: 127.0.0.2, which `public_addresses` lets
    the guard treat as public (127.0.0.1 stays loopback)."""
    with IcsServer("127.0.0.2") as server:
        server.body = EVENT
        yield server


@pytest.fixture
def public_addresses(monkeypatch):
    real = addresses.is_allowed
    monkeypatch.setattr(addresses, "is_allowed",
                        lambda a: a == ipaddress.ip_address("127.0.0.2") or real(a))


@pytest.fixture
def dns(monkeypatch):
    """A resolver the test controls for names under .example: `answers[name]` is the list of
    answers it gives, one per lookup (the last repeats); `lookups` counts them."""
    real = socket.getaddrinfo
    state = {"answers": {}, "lookups": {}}

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".example"):
            seen = state["lookups"].get(host, 0)
            state["lookups"][host] = seen + 1
            answers = state["answers"][host]
            answer = answers[min(seen, len(answers) - 1)]  # one address, or a list of them
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                    for a in ([answer] if isinstance(answer, str) else answer)]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return state


def add_calendar(client, auth, url, **fields):
    auth.login("dr@example.com", DEFAULT_PASSWORD)
    data = {"name": "Personal", "kind": "ics", "url": url, "username": "", "password": "", **fields}
    return post_form(client, "/practice/calendars", data)


def saved_calendar(url) -> ExternalCalendar:
    """A calendar as if added before the guard (or while private addresses were allowed)."""
    calendar = ExternalCalendar(practitioner_id=profile_id(),
                                name="Personal", kind="ics", secret=seal(CalendarSecret(url, "", "")),
                                address_hint="http://…", store_titles=False, created_at=NOW, last_error="",
                                busy_count=0)
    db.session.add(calendar)
    db.session.commit()
    return calendar


def profile_id():
    from app.models.scheduling import PractitionerProfile

    return db.session.scalar(select(PractitionerProfile.id))


def page_of(client) -> str:
    return client.get("/practice/calendars").get_data(as_text=True)


# --- the backslash form: what requests fetches is what is checked ----------------------------------------

def test_a_backslash_before_an_at_sign_does_not_hide_a_loopback_host(client, auth, practice, internal,
                                                                   production_addresses):
    url = f"http://127.0.0.1:{internal.port}\\@public.example/ics"
    response = add_calendar(client, auth, url)
    assert response.status_code == 422 and "private network" in response.get_data(as_text=True)
    assert db.session.scalar(select(ExternalCalendar.id)) is None

    saved_calendar(url)  # saved while allowed: refused again when fetched
    [result] = sync_all(NOW)
    assert not result.ok and "private network" in result.error
    assert internal.requests == 0
    assert SECRET not in page_of(client) and "hunter2" not in page_of(client)


def test_the_address_is_shown_as_the_fetch_reads_it(client, auth, practice, internal):
    url = f"http://127.0.0.1:{internal.port}\\@public.example/ics"
    assert addresses.hint(url) == f"http://127.0.0.1:{internal.port}/…"


# --- DNS rebinding: one answer per request, and the connection goes to it -----------------------------------

def test_a_name_that_resolves_elsewhere_the_second_time_is_fetched_from_the_first_answer(
        client, auth, practice, public, public_addresses, production_addresses, dns):
    url = f"http://cal.rebind.example:{public.port}/private/basic.ics"
    dns["answers"]["cal.rebind.example"] = ["127.0.0.2"]
    assert add_calendar(client, auth, url).status_code == 303
    # An internal service on the same port of loopback, and a DNS server that answers the public
    # address once, then loopback (the rebinding).
    with IcsServer("127.0.0.1", port=public.port) as internal:
        internal.body = SECRET.encode()
        dns["lookups"].clear()
        dns["answers"]["cal.rebind.example"] = ["127.0.0.2", "127.0.0.1"]
        [result] = sync_all(NOW)
    assert result.ok and result.busy == 1
    assert internal.requests == 0
    assert public.requests == 1 and public.seen == [f"cal.rebind.example:{public.port}"]  # the Host it named
    assert dns["lookups"]["cal.rebind.example"] == 1  # one answer, checked and connected to


def test_a_name_that_resolves_to_loopback_is_refused_without_a_connection(
        client, auth, practice, internal, production_addresses, dns):
    dns["answers"]["cal.inside.example"] = ["127.0.0.1"]
    url = f"http://cal.inside.example:{internal.port}/ics"
    assert add_calendar(client, auth, url).status_code == 422
    saved_calendar(url)
    [result] = sync_all(NOW)
    assert not result.ok and "private network" in result.error and internal.requests == 0


def test_each_redirect_is_resolved_checked_and_pinned_like_the_address(
        client, auth, practice, public, internal, public_addresses, production_addresses, dns):
    dns["answers"]["cal.rebind.example"] = ["127.0.0.2"]
    add_calendar(client, auth, f"http://cal.rebind.example:{public.port}/private/basic.ics")
    public.redirect = f"http://127.0.0.1:{internal.port}/admin"
    [result] = sync_all(NOW)
    assert not result.ok and "private network" in result.error and internal.requests == 0


# --- special-purpose ranges ---------------------------------------------------------------------------------

def test_the_nat64_form_of_loopback_is_refused(client, auth, practice, internal, production_addresses):
    url = f"http://[64:ff9b::7f00:1]:{internal.port}/ics"
    response = add_calendar(client, auth, url)
    assert response.status_code == 422 and "private network" in response.get_data(as_text=True)
    saved_calendar(url)
    [result] = sync_all(NOW)
    assert not result.ok and "private network" in result.error and internal.requests == 0


# (address, may a calendar server be there in production). Sources: the IANA IPv4 and IPv6
# Special-Purpose Address Registries; RFC 6052 (NAT64 64:ff9b::/96), RFC 8215 (64:ff9b:1::/48),
# RFC 3056 (6to4), RFC 4380 (Teredo), RFC 4291 (IPv4-mapped, IPv4-compatible).
ADDRESSES = [
    ("8.8.8.8", True), ("1.1.1.1", True), ("2606:4700:4700::1111", True),
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("192.0.0.8", False),
    ("192.0.2.1", False), ("198.18.0.1", False), ("224.0.0.1", False), ("240.0.0.1", False),
    ("255.255.255.255", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fd00::1", False), ("ff02::1", False),
    ("2001:db8::1", False), ("100::1", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("::ffff:8.8.8.8", True),
    ("::7f00:1", False),  # IPv4-compatible, deprecated
    ("64:ff9b::7f00:1", False), ("64:ff9b::a9fe:a9fe", False), ("64:ff9b::808:808", True),
    ("64:ff9b:1::7f00:1", False), ("64:ff9b:1::808:808", False),
    ("2002:7f00:1::1", False), ("2002:808:808::1", False),  # 6to4
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
]


@pytest.mark.parametrize("address, allowed", ADDRESSES)
def test_special_purpose_addresses_are_refused(address, allowed):
    assert addresses.is_allowed(ipaddress.ip_address(address)) is allowed


def test_a_name_with_one_private_answer_among_public_ones_is_refused(dns):
    dns["answers"]["mixed.example"] = [["8.8.8.8", "1.1.1.1"]]
    assert addresses.checked_address("mixed.example", 443, allow_private=False) == "8.8.8.8"
    dns["answers"]["mixed.example"] = [["8.8.8.8", "10.0.0.5"]]
    with pytest.raises(addresses.AddressRefused):
        addresses.checked_address("mixed.example", 443, allow_private=False)
    dns["answers"]["mixed.example"] = [["8.8.8.8", "64:ff9b::7f00:1"]]
    with pytest.raises(addresses.AddressRefused):
        addresses.checked_address("mixed.example", 443, allow_private=False)


def test_a_caldav_address_is_guarded_at_every_request_too(client, auth, practice, internal, production_addresses,
                                                         dns):
    dns["answers"]["dav.inside.example"] = ["127.0.0.1"]
    calendar = saved_calendar(f"http://dav.inside.example:{internal.port}/dav/cal/")
    calendar.kind, calendar.secret = "caldav", seal(CalendarSecret(
        f"http://dav.inside.example:{internal.port}/dav/cal/", "maya", "pw"))
    db.session.commit()
    [result] = sync_all(NOW)
    assert not result.ok and "private network" in result.error and internal.requests == 0


def test_a_proxy_from_the_environment_is_not_used(client, auth, practice, public, public_addresses,
                                                  production_addresses, dns, monkeypatch):
    """A proxy would resolve the name again (and could reach anything): calendar fetches connect
    directly to the checked address."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    dns["answers"]["cal.direct.example"] = ["127.0.0.2"]
    add_calendar(client, auth, f"http://cal.direct.example:{public.port}/private/basic.ics")
    [result] = sync_all(NOW)
    assert result.ok and public.requests == 1


# --- nothing a server sent is shown ---------------------------------------------------------------------

def test_an_error_shows_the_status_code_and_nothing_the_server_sent(client, auth, practice, internal):
    internal.status, internal.reason, internal.error_body = 500, SECRET, SECRET.encode()
    add_calendar(client, auth, internal.url)
    [result] = sync_all(NOW)
    assert result.error == "The calendar server answered 500."
    page = page_of(client)
    assert "answered 500" in page and "hunter2" not in page


@pytest.mark.parametrize("body", [SECRET, f"<html><body>Admin {SECRET}</body></html>",
                                  f"BEGIN:VCALENDAR\r\n{SECRET}\r\nEND:VCALENDAR\r\n"])
def test_an_answer_that_is_not_a_calendar_is_not_quoted(client, auth, practice, internal, body):
    internal.body = body.encode()
    add_calendar(client, auth, internal.url)
    [result] = sync_all(NOW)
    assert result.error == "The calendar is not valid iCalendar data."
    assert "hunter2" not in page_of(client)


class _NotHttp:
    """A service that is not a web server: it writes one line (like Redis or SMTP would) and closes."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(f"-ERR {SECRET}\r\n".encode())


def test_a_service_that_is_not_a_web_server_shows_no_line_of_its_answer(client, auth, practice):
    service = _NotHttp()
    try:
        add_calendar(client, auth, f"http://127.0.0.1:{service.port}/")
        [result] = sync_all(NOW)
    finally:
        service.sock.close()
    assert not result.ok and "hunter2" not in result.error and "ERR" not in result.error
    assert "hunter2" not in page_of(client)


# --- https: connecting to the pinned address still checks the certificate for the name ----------------------

def _authority(tmp_path, name: str):
    """A certificate authority and a server certificate for `name` signed by it."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    names = []
    context.sni_callback = lambda sock, server_name, ctx: names.append(server_name)
    return str(tmp_path / "ca.pem"), context, names


def test_https_to_the_pinned_address_sends_the_name_and_checks_its_certificate(
        client, auth, practice, public_addresses, production_addresses, dns, tmp_path, monkeypatch):
    ca, context, sni = _authority(tmp_path, "cal.tls.example")
    monkeypatch.setattr(transport, "CA_BUNDLE", ca)
    with IcsServer("127.0.0.2", tls=context) as server:
        server.body = EVENT
        dns["answers"]["cal.tls.example"] = ["127.0.0.2"]
        dns["answers"]["other.tls.example"] = ["127.0.0.2"]
        add_calendar(client, auth, f"https://cal.tls.example:{server.port}/private/basic.ics")
        [result] = sync_all(NOW)
        assert result.ok and result.busy == 1
        assert sni == ["cal.tls.example"] and server.seen == [f"cal.tls.example:{server.port}"]

        # The same server under a name its certificate does not carry: refused by the TLS check.
        calendar = db.session.scalar(select(ExternalCalendar))
        calendar.secret = seal(CalendarSecret(f"https://other.tls.example:{server.port}/x.ics", "", ""))
        db.session.commit()
        [result] = sync_all(NOW)
        assert not result.ok and "SSLError" in result.error and server.requests == 1
