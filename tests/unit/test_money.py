"""app/money.py: the one parser of typed amounts and the one formatter, as tables (typed text and currency ->
minor units or the refusal's message; minor units and currency -> text)."""
from __future__ import annotations

import pytest

from app.money import MAX_MAJOR, AmountError, decimals, format_amount, parse_amount


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("150", "usd", 15000),
    ("150.00", "USD", 15000),
    ("150.5", "eur", 15050),
    (" 0.01 ", "gbp", 1),
    ("0", "usd", 0),
    ("0.00", "usd", 0),
    ("1,500.25", "usd", 150025),
    ("1,000,000.00", "usd", 100_000_000),  # the cap itself
    ("1500", "jpy", 1500),  # no minor unit: a yen is a yen
    ("1,000,000", "JPY", 1_000_000),
    ("1.500", "kwd", 1500),  # three decimals: a fils is a thousandth
    ("12.3", "kwd", 12300),
    ("12", "kwd", 12000),
    ("1,000,000.000", "kwd", 1_000_000_000),
    ("150.00", "xyz", 15000),  # an unknown code counts as two decimals
])
def test_parse_amount(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(("text", "currency", "message"), [
    ("", "usd", "Enter an amount like 150.00, with at most two decimal places."),
    ("abc", "usd", "Enter an amount like 150.00, with at most two decimal places."),
    ("12.345", "usd", "Enter an amount like 150.00, with at most two decimal places."),
    ("12.", "usd", "Enter an amount like 150.00, with at most two decimal places."),
    (".5", "usd", "Enter an amount like 150.00, with at most two decimal places."),
    ("1,5", "eur", "Enter an amount like 150.00, with at most two decimal places."),  # not a decimal comma
    ("1e3", "usd", "Enter an amount like 150.00, with at most two decimal places."),
    ("NaN", "usd", "Enter an amount like 150.00, with at most two decimal places."),
    ("١٢", "usd", "Enter an amount like 150.00, with at most two decimal places."),  # digits, not ASCII ones
    ("-5", "usd", "An amount can't be negative: enter one like 150.00."),
    ("1000000.01", "usd", "Enter an amount of at most 1,000,000.00."),
    ("99999999999999999999", "usd", "Enter an amount like 150.00, with at most two decimal places."),
    ("150.5", "jpy", "Enter an amount like 150: JPY amounts have no decimal places."),
    ("1000001", "jpy", "Enter an amount of at most 1,000,000."),
    ("1.2345", "kwd", "Enter an amount like 150.000, with at most three decimal places."),
    ("1000000.001", "kwd", "Enter an amount of at most 1,000,000.000."),
])
def test_parse_amount_refuses_what_is_not_an_amount_saying_what_to_type(text, currency, message):
    with pytest.raises(AmountError) as refused:
        parse_amount(text, currency)
    assert refused.value.message == message


@pytest.mark.parametrize(("minor", "currency", "grouped", "text"), [
    (15000, "usd", False, "150.00"),
    (5, "usd", False, "0.05"),
    (0, "eur", False, "0.00"),
    (-150, "usd", False, "-1.50"),
    (12345678, "usd", False, "123456.78"),
    (12345678, "usd", True, "123,456.78"),
    (1500, "jpy", False, "1500"),
    (150000, "JPY", True, "150,000"),
    (1500, "kwd", False, "1.500"),
    (1234567, "kwd", True, "1,234.567"),
])
def test_format_amount(minor, currency, grouped, text):
    assert format_amount(minor, currency, grouped=grouped) == text
    assert parse_amount(text.lstrip("-"), currency) == abs(minor)  # what is shown can be typed back


def test_decimals_and_the_one_cap():
    assert [decimals(c) for c in ("usd", "EUR", "jpy", "krw", "kwd", "bhd", "")] == [2, 2, 0, 0, 3, 3, 2]
    assert MAX_MAJOR == 1_000_000
