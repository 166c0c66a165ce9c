"""Showing instants in the viewer's time zone."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

from app.money import format_amount


def to_zone(value: datetime, zone: str) -> datetime:
    try:
        return value.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return value.astimezone(ZoneInfo("UTC"))


def format_datetime(value: datetime | None, zone: str, style: str = "full") -> str:
    if value is None:
        return ""
    local = to_zone(value, zone)
    if style == "time":
        return local.strftime("%H:%M")
    if style == "date":
        return local.strftime("%A %-d %B %Y")
    if style == "short":
        return local.strftime("%a %-d %b, %H:%M")
    return local.strftime("%A %-d %B %Y, %H:%M ") + (local.tzname() or "")


def format_money(minor: int, currency: str) -> str:
    symbols = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$"}
    amount = format_amount(minor, currency, grouped=True)
    symbol = symbols.get(currency.lower())
    return f"{symbol}{amount}" if symbol else f"{amount} {currency.upper()}"


def iso_utc(value: datetime) -> str:
    return value.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def init_app(app: Flask) -> None:
    app.add_template_filter(iso_utc, "isoz")
    from app.clock import utcnow

    app.add_template_global(utcnow, "now_utc")
    app.add_template_filter(format_datetime, "when")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(lambda value, zone: to_zone(value, zone).tzname() or zone, "zone_abbr")
