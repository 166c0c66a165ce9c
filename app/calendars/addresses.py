"""Which calendar addresses the server may fetch (SSRF): http or https only, and in production only
hosts on the public internet, so a calendar address cannot make the server read its own network
(metadata services, databases, admin pages). CALENDAR_ALLOW_PRIVATE_ADDRESSES turns the second check
off (on by default in development and testing, where the calendar server is often 127.0.0.1).

The address is read by the parser of the library that fetches it (requests, then urllib3's
`parse_url`), so the host checked is the host connected to: `http://127.0.0.1:8080\\@example.com/`
is 127.0.0.1 to both. The host is resolved once per request (`resolve`); every address it resolves
to is checked and the connection goes to the first of them (app/calendars/transport.py pins it), so
a name that resolves elsewhere a second time (DNS rebinding) changes nothing.

Refused in production: every address that is not globally reachable by the IANA special-purpose
registries (Python's `is_global`), multicast, and every IPv6 address outside global unicast 2000::/3;
6to4 (2002::/16) and Teredo (2001::/32), which tunnel to an IPv4 address of their own; local-use
NAT64 64:ff9b:1::/48; and IPv4-mapped (::ffff:0:0/96) and well-known NAT64 (64:ff9b::/96)
addresses unless the IPv4 address they carry is itself allowed.
"""
from __future__ import annotations

import ipaddress
import socket

import requests
from urllib3.exceptions import LocationParseError
from urllib3.util import Url, parse_url

GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address
# The IANA special-purpose registries' entries that are not globally reachable (or N/A), listed here
# as well as Python's is_global, whose table depends on the Python release (3.11.7 misses several).
# IPv4: https://www.iana.org/assignments/iana-ipv4-special-registry (192.0.0.9 and .10 are global but
# no calendar server; refused with their /24). IPv6 outside 2000::/3 is refused as a whole.
SPECIAL = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    # IPv6 inside 2000::/3: https://www.iana.org/assignments/iana-ipv6-special-registry
    "2001::/23",  # IETF protocol assignments, Teredo 2001::/32 (RFC 4380) among them
    "2001:db8::/32", "3fff::/20",  # documentation
    "2002::/16",  # 6to4 (RFC 3056): tunnels to the IPv4 address it carries
))
DEFAULT_PORTS = {"http": 80, "https": 443}


class AddressRefused(ValueError):
    pass


def parse(url: str) -> Url:
    """The address as requests will fetch it (requests prepares it, urllib3 parses it)."""
    try:
        prepared = requests.Request("GET", url).prepare().url or ""
        parts = parse_url(prepared)
    except (requests.RequestException, LocationParseError, ValueError, UnicodeError):
        raise AddressRefused("That is not a web address.") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.host:
        raise AddressRefused("Give an address that starts with https:// (or http://).")
    return parts


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (a test replaces this to play a rebinding DNS server)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # sockaddr is (host, port) or (host, port, flowinfo, scope_id); its host is always text here.
    return [str(info[4][0]) for info in infos]


def is_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether a calendar server may be at `address` in production (see the module's doc)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_allowed(address.ipv4_mapped)
        if address in NAT64:
            return is_allowed(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
        if address not in GLOBAL_UNICAST:  # also local-use NAT64 64:ff9b:1::/48 (RFC 8215)
            return False
    if any(address in network for network in SPECIAL if network.version == address.version):
        return False
    return address.is_global and not address.is_multicast


def checked_address(host: str, port: int, *, allow_private: bool) -> str:
    """The IP address to connect to for `host`: the first it resolves to, once every one of them
    was checked. AddressRefused when any is refused or the name is unknown."""
    literal = host[1:-1] if host.startswith("[") else host
    try:
        addresses = [literal.split("%")[0]] if _is_ip(literal) else resolve(literal, port)
    except (OSError, UnicodeError):
        raise AddressRefused(f"The host {literal} could not be found.") from None
    if not addresses:
        raise AddressRefused(f"The host {literal} could not be found.")
    if not allow_private and not all(is_allowed(ipaddress.ip_address(a.split("%")[0])) for a in addresses):
        raise AddressRefused(f"The host {literal} is on a private network; only calendars on "
                             "the public internet can be used.")
    return addresses[0]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True


def check_address(url: str, *, allow_private: bool) -> str:
    """The URL if it may be fetched, else AddressRefused with a message for the practitioner."""
    parts = parse(url)
    if not allow_private:  # (allowed: any host; a name that does not resolve fails at the fetch)
        checked_address(parts.host or "", parts.port or DEFAULT_PORTS[parts.scheme or "https"],
                        allow_private=False)
    return url


def hint(url: str) -> str:
    """What may be shown of an address: its scheme and host (a private .ics path is a password),
    read as the fetch reads it."""
    try:
        parts = parse(url)
    except AddressRefused:
        return "…"
    return f"{parts.scheme}://{parts.host or ''}{':%d' % parts.port if parts.port else ''}/…"
