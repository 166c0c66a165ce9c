"""The diary's daily symptom trend with medication starts, dose changes and stops drawn on it.

Pure: entries and changes in, values and accessible SVG out (a <title>, a <desc> that reads the same
figures, no inline style or script). A day's burden is the sum over organ systems of the highest rating
she gave that system that day (0-3 each); a day without symptom entries is a gap, never a zero.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from app.diary.medication import Change
from app.intake.questionnaire import SYSTEMS

WIDTH, HEIGHT = 340, 160
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 12, 30
MAX_BURDEN = 3 * len(SYSTEMS)


@dataclass(frozen=True)
class Day:
    on: date
    burden: int | None


@dataclass(frozen=True)
class Trend:
    days: tuple[Day, ...]
    changes: tuple[Change, ...]

    @property
    def has_data(self) -> bool:
        return any(d.burden is not None for d in self.days) or bool(self.changes)


def daily(ratings: Iterable[tuple[datetime, dict]], zone: ZoneInfo, first: date, last: date,
          changes: Sequence[Change]) -> Trend:
    highest: dict[date, dict[str, int]] = {}
    for at, values in ratings:
        day = at.astimezone(zone).date()
        per = highest.setdefault(day, {})
        for system, value in values.items():
            per[system] = max(per.get(system, 0), int(value))
    days = []
    day = first
    while day <= last:
        days.append(Day(day, sum(highest[day].values()) if day in highest else None))
        day += timedelta(days=1)
    return Trend(tuple(days), tuple(c for c in changes if first <= c.on <= last))


def _x(index: int, count: int) -> float:
    inner = WIDTH - LEFT - RIGHT
    return LEFT + (inner / 2 if count <= 1 else inner * index / (count - 1))


def _y(value: float) -> float:
    inner = HEIGHT - TOP - BOTTOM
    return TOP + inner * (1 - min(value, MAX_BURDEN) / MAX_BURDEN)


def describe(trend: Trend) -> str:
    rated = [d for d in trend.days if d.burden is not None]
    parts = [f"Daily symptom burden (0 to {MAX_BURDEN}) over {len(trend.days)} days, {len(rated)} with entries"]
    if rated:
        parts.append("highest " + str(max(d.burden or 0 for d in rated)) + f", latest {rated[-1].burden}")
    if trend.changes:
        parts.append("medication changes: " + "; ".join(f"{c.on:%-d %b} {c.text}" for c in trend.changes))
    return ", ".join(parts) + "."


def svg(trend: Trend, chart_id: str) -> Markup:
    count = len(trend.days)
    index = {d.on: n for n, d in enumerate(trend.days)}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart diary-trend" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
           f'focusable="false"><title id="{chart_id}-title">Symptoms and medication changes</title>'
           f'<desc id="{chart_id}-desc">{escape(describe(trend))}</desc>']
    for level in (0, MAX_BURDEN // 2, MAX_BURDEN):
        y = _y(level)
        out.append(f'<line class="trend-grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                   f'stroke-width="1"/><text class="trend-label" x="{LEFT - 5}" y="{y + 4:.1f}" '
                   f'text-anchor="end" font-size="11">{level}</text>')
    for change in trend.changes:
        x = _x(index[change.on], count)
        out.append(f'<line class="trend-change" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" '
                   f'stroke-width="2" stroke-dasharray="4 3"/>')
    points = [(_x(n, count), _y(d.burden)) for n, d in enumerate(trend.days) if d.burden is not None]
    if len(points) > 1:
        out.append('<polyline class="trend-line" fill="none" stroke-width="2.5" points="'
                   + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>')
    out.extend(f'<circle class="trend-point" cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in points)
    if trend.days:
        out.append(f'<text class="trend-label" x="{LEFT}" y="{HEIGHT - 10}" font-size="11">'
                   f'{trend.days[0].on:%-d %b}</text><text class="trend-label" x="{WIDTH - RIGHT}" '
                   f'y="{HEIGHT - 10}" text-anchor="end" font-size="11">{trend.days[-1].on:%-d %b}</text>')
    out.append("</svg>")
    return Markup("".join(out))
