"""Symptom trend charts drawn on the server as accessible SVG: one small chart per organ system and one
for the total burden, each with a <title> and a <desc> that say what it shows (the page also gives the
same figures as a table).

Pure: scores in, markup out. No inline style or script (the Content-Security-Policy forbids both):
presentation attributes and the ``trend-*`` classes from static/css/app.css do the styling.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from markupsafe import Markup, escape

from app.intake.questionnaire import SYSTEMS
from app.intake.scoring import IntakeScore

WIDTH, HEIGHT = 320, 150
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 30
TOTAL = "total"


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    values: tuple[float, ...]  # percent of the maximum, 0-100, one per point


def percent(value: float) -> str:
    return f"{value:.0f}%" if value == int(value) else f"{value:.1f}%"


def trend_series(scores: Sequence[IntakeScore]) -> list[Series]:
    """Per organ system (normalised score as a percentage) and the total burden, in report order."""
    series = []
    for key, label in SYSTEMS.items():
        values = []
        for s in scores:
            found = next((x for x in s.systems if x.system == key), None)
            values.append(round(100 * found.normalised, 1) if found else 0.0)
        series.append(Series(key, label, tuple(values)))
    series.append(Series(TOTAL, "Total symptom burden", tuple(s.percentage for s in scores)))
    return series


def _x(n: int, count: int) -> float:
    inner = WIDTH - LEFT - RIGHT
    return LEFT + (inner / 2 if count == 1 else inner * n / (count - 1))


def _y(value: float) -> float:
    inner = HEIGHT - TOP - BOTTOM
    return TOP + inner * (1 - max(0.0, min(value, 100.0)) / 100)


def describe(series: Series, dates: Sequence[str], markers: Sequence[bool] = ()) -> str:
    if not series.values:
        return f"{series.label}: no check-ins yet."
    figures = ", ".join(f"{d} {percent(v)}" for d, v in zip(dates, series.values, strict=False))
    changed = [d for d, m in zip(dates, markers, strict=False) if m]
    note = f" Medicine changes reported on {', '.join(changed)}." if changed else ""
    return (f"{series.label}, as a percentage of the highest possible score, over {len(series.values)} "
            f"check-in{'s' if len(series.values) != 1 else ''}: {figures}. "
            f"Highest {percent(max(series.values))}, latest {percent(series.values[-1])}.{note}")


def chart_svg(series: Series, dates: Sequence[str], chart_id: str, markers: Sequence[bool] = ()) -> Markup:
    """One line chart; ``dates`` label the points (first and last are printed on the axis); a dashed
    vertical line marks each point where ``markers`` is true (a medicine change reported then)."""
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart trend-{escape(series.key)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}" focusable="false">',
        f'<title id="{escape(title_id)}">{escape(series.label)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(describe(series, dates, markers))}</desc>',
    ]
    for level in (0, 50, 100):
        y = _y(level)
        parts.append(f'<line class="trend-grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                     f'stroke-width="1"/>')
        parts.append(f'<text class="trend-label" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="11">{level}%</text>')
    count = len(series.values)
    points = [(_x(n, count), _y(v)) for n, v in enumerate(series.values)]
    for (x, _), marked in zip(points, markers, strict=False):
        if marked:
            parts.append(f'<line class="trend-marker" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" '
                         f'stroke-width="1.5" stroke-dasharray="4 3"/>')
    if count > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline class="trend-line" points="{path}" fill="none" stroke-width="2.5" '
                     f'stroke-linejoin="round" stroke-linecap="round"/>')
    for (x, y) in points:
        parts.append(f'<circle class="trend-point" cx="{x:.1f}" cy="{y:.1f}" r="3.5"/>')
    if count:
        baseline = HEIGHT - 10
        parts.append(f'<text class="trend-label" x="{points[0][0]:.1f}" y="{baseline}" '
                     f'text-anchor="{"middle" if count == 1 else "start"}" font-size="11">{escape(dates[0])}</text>')
        if count > 1:
            parts.append(f'<text class="trend-label" x="{points[-1][0]:.1f}" y="{baseline}" text-anchor="end" '
                         f'font-size="11">{escape(dates[-1])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
