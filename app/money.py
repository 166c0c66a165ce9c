"""Money as people type it and read it, and as it is stored: integer minor units of an ISO currency
(cents, yen, fils). The one parser of typed amounts and the one formatter, for every form, page, message
and export. Pure: no Flask, no database.

A currency's minor unit is what Stripe counts in: most have two decimals, the zero-decimal ones none
(JPY: 1500 is 1,500 yen) and five have three (KWD: 1500 is 1.500 dinars). Unknown codes count as two.
"""
from __future__ import annotations

import re
from decimal import Decimal

from app.refusals import Refusal

# Stripe's zero-decimal and three-decimal currencies (stripe.com/docs/currencies).
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())
# The one cap on a typed amount, in major units: far above any consultation or course, far below the
# integer limits of every database and of Stripe.
MAX_MAJOR = 1_000_000
# Digits, optionally grouped in thousands by commas (1,500.00), then optionally a decimal part.
_AMOUNT = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,12})(?:\.([0-9]+))?")
_DECIMAL_WORDS = {2: "two", 3: "three"}


class AmountError(Refusal, ValueError):
    """A typed amount that is not one: `message` says what to type instead (a 422)."""


def decimals(currency: str) -> int:
    """Digits after the point in `currency`'s amounts (its minor unit): 0, 2 or 3."""
    code = (currency or "").lower()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def format_amount(minor: int, currency: str, *, grouped: bool = False) -> str:
    """`minor` units as the amount a person types: 15000 usd -> "150.00", 1500 jpy -> "1500",
    1500 kwd -> "1.500". `grouped` adds thousands commas (1,500.00), for reading rather than typing."""
    places = decimals(currency)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10 ** places)
    text = f"{whole:,}" if grouped else str(whole)
    return f"{sign}{text}.{part:0{places}d}" if places else f"{sign}{text}"


def parse_amount(text: str, currency: str) -> int:
    """A typed amount in `currency` ("150", "150.00", "1,500.5") as minor units, from 0 up to MAX_MAJOR.
    Raises AmountError with a message for the person typing: not a number, negative, more decimals than
    the currency has, or above the cap."""
    places = decimals(currency)
    example = format_amount(150 * 10 ** places, currency)
    raw = (text or "").strip()
    if raw.startswith("-"):
        raise AmountError(f"An amount can't be negative: enter one like {example}.")
    match = _AMOUNT.fullmatch(raw)
    if match is None:
        raise AmountError(f"Enter an amount like {example}{_decimals_hint(places, currency)}.")
    whole, part = match[1].replace(",", ""), match[2] or ""
    if len(part) > places:
        raise AmountError(f"Enter an amount like {example}{_decimals_hint(places, currency)}.")
    value = Decimal(f"{whole}.{part or 0}")
    if value > MAX_MAJOR:
        cap = format_amount(MAX_MAJOR * 10 ** places, currency, grouped=True)
        raise AmountError(f"Enter an amount of at most {cap}.")
    return int(value.scaleb(places))


def _decimals_hint(places: int, currency: str) -> str:
    if places == 0:
        return f": {currency.upper()} amounts have no decimal places"
    return f", with at most {_DECIMAL_WORDS[places]} decimal places"
