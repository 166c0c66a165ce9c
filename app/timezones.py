"""IANA time-zone names: below the services and the web layer, which both check them."""
from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_zone_name(name: str | None) -> bool:
    return bool(name) and name in _zones()


def zone_names() -> list[str]:
    return sorted(_zones())
