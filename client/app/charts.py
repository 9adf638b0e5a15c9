"""Charts drawn on the server as SVG geometry: no chart library, nothing fetched at run time.

`line` turns a balance history into a path and axis ticks in a fixed viewBox that the template
scales to the page's width; a narrower canvas for phones keeps the labels readable there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 640.0, 220.0
NARROW = 360.0  # a phone's chart: the same text size on a narrower canvas
LEFT, RIGHT, TOP, BOTTOM = 64.0, 12.0, 12.0, 28.0


@dataclass(frozen=True)
class LineChart:
    """A line and its area, y ticks (position, label) and x ticks (position, label)."""

    line: str
    area: str
    y_ticks: list[tuple[float, Decimal]]
    x_ticks: list[tuple[float, str]]
    low: Decimal
    high: Decimal
    first: tuple[dt.date, Decimal]
    last: tuple[dt.date, Decimal]
    width: float = WIDTH
    height: float = HEIGHT


def line(
    points: list[tuple[dt.date, Decimal]], width: float = WIDTH, ticks: int = 4
) -> LineChart | None:
    """The chart of (day, value) points on a `width`-wide canvas, or None with fewer than two."""
    if len(points) < 2:
        return None
    values = [v for _, v in points]
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    span_x, span_y = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return round(LEFT + span_x * i / (len(points) - 1), 1)

    def y(value: Decimal) -> float:
        return round(TOP + span_y * float((high - value) / (high - low)), 1)

    coords = [f"{x(i)},{y(v)}" for i, (_, v) in enumerate(points)]
    path = "M" + " L".join(coords)
    base = HEIGHT - BOTTOM
    area = f"{path} L{x(len(points) - 1)},{base} L{LEFT},{base} Z"
    step = (high - low) / ticks
    y_ticks = [(y(low + step * k), (low + step * k).quantize(Decimal(1))) for k in range(ticks + 1)]
    marks = sorted({0, len(points) // 2, len(points) - 1})
    x_ticks = [(x(i), points[i][0].strftime("%-d %b")) for i in marks]
    return LineChart(path, area, y_ticks, x_ticks, low, high, points[0], points[-1], width)


def shares(rows: list[dict[str, object]], key: str = "total") -> list[dict[str, object]]:
    """Each row with `share`: its percentage of the largest (bar lengths)."""
    top = max((Decimal(str(r[key])) for r in rows), default=Decimal(0))
    return [{**r, "share": float(Decimal(str(r[key])) / top * 100) if top else 0.0} for r in rows]
