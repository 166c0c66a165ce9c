"""What a payment buys, and what happens when it is paid or lapses. Packages that sell something
register here, so billing never imports them: `register("course", on_paid=..., on_lapsed=...)`."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.models.billing import Payment


@dataclass(frozen=True)
class Purpose:
    # on_paid(payment, now) -> None, or a refund reason when the purchase can no longer be honoured.
    on_paid: Callable[[Payment, datetime], str | None]
    on_lapsed: Callable[[Payment, datetime], None]
    # Where the patient lands after paying.
    landing: Callable[[Payment], str]


_registry: dict[str, Purpose] = {}


def register(name: str, *, on_paid, on_lapsed, landing) -> None:
    _registry[name] = Purpose(on_paid=on_paid, on_lapsed=on_lapsed, landing=landing)


def purpose(name: str) -> Purpose:
    return _registry[name]
