"""Which calendar addresses the server may fetch (SSRF): http or https only, and in production only
hosts on the public internet, so a calendar address cannot make the server read its own network
(metadata services, databases, admin pages). CALENDAR_ALLOW_PRIVATE_ADDRESSES turns the second check
off (on by default in development and testing, where the calendar server is often 127.0.0.1).

The host is resolved and every address checked just before each request and each redirect hop.
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class AddressRefused(ValueError):
    pass


def check_address(url: str, *, allow_private: bool) -> str:
    """The URL if it may be fetched, else AddressRefused with a message for the practitioner."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AddressRefused("That is not a web address.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("Give an address that starts with https:// (or http://).")
    if allow_private:
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(f"The host {parts.hostname} could not be found.") from None
    for info in infos:
        # sockaddr is (host, port) or (host, port, flowinfo, scope_id); its host is always text here.
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise AddressRefused(f"The host {parts.hostname} is on a private network; only calendars on "
                                 "the public internet can be used.")
    return url


def hint(url: str) -> str:
    """What may be shown of an address: its scheme and host (a private .ics path is a password)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{':%d' % parts.port if parts.port else ''}/…"
