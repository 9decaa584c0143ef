"""Charts as inline SVG strings, so a report works offline and needs no JavaScript library.

Every chart is an ``<svg data-chart="...">`` whose drawn marks carry ``data-mark``; the report's
own script checks each chart has marks and a non-empty box, which the browser test reads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Final

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE: Final = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#F0E442",
)
WIDTH: Final = 640
MARGIN_LEFT: Final = 170
MARGIN_RIGHT: Final = 20
ROW_HEIGHT: Final = 18


@dataclass(frozen=True)
class Interval:
    """One row of an interval chart: a point estimate with its interval."""

    label: str
    value: float | None
    low: float | None
    high: float | None
    colour: int = 0
    note: str = ""


@dataclass(frozen=True)
class Series:
    """A named set of points, optionally with vertical intervals, drawn as dots or a line."""

    name: str
    points: Sequence[tuple[float, float]]
    intervals: Sequence[tuple[float, float, float]] = field(default_factory=tuple)
    line: bool = True
    dots: bool = True
    colour: int = 0
    width: float = 1.5


def interval_chart(
    name: str, rows: Sequence[Interval], *, title: str, x_label: str, x_max: float = 1.0
) -> str:
    """Draw horizontal dot-and-whisker rows on a 0-``x_max`` axis.

    Parameters
    ----------
    name : str
        Identifier written to ``data-chart``.
    rows : sequence of Interval
        One row each, top to bottom.
    title, x_label : str
        Chart title and axis label.
    x_max : float, default 1.0
        Right end of the axis.

    Returns
    -------
    str
        An SVG element inside a ``<figure>``.
    """
    height = 40 + ROW_HEIGHT * len(rows) + 30
    # Long group names ("native_hawaiian_pacific_islander") must not be clipped: widen the
    # label column to the longest label (about 6.5 px per character at 11 px).
    margin_left = max(MARGIN_LEFT, 12 + int(6.5 * max((len(r.label) for r in rows), default=0)))
    # Notes such as "small group" get their own column right of the axis, clear of the marks.
    note_w = 90 if any(r.note for r in rows) else 0
    width = WIDTH + margin_left - MARGIN_LEFT + note_w
    plot_w = width - margin_left - MARGIN_RIGHT - note_w

    def sx(v: float) -> float:
        return margin_left + plot_w * min(max(v / x_max, 0.0), 1.0)

    parts = [_axis_x(sx, 0.0, x_max, top=30, bottom=height - 30, label=x_label)]
    for i, row in enumerate(rows):
        y = 40 + ROW_HEIGHT * i + ROW_HEIGHT / 2
        colour = PALETTE[row.colour % len(PALETTE)]
        parts.append(
            f'<text x="{margin_left - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="11">{escape(row.label)}</text>'
        )
        if row.value is None or math.isnan(row.value):
            parts.append(
                f'<text data-mark="na" x="{margin_left + 4}" y="{y + 4:.1f}" '
                'font-size="11" fill="#777">undefined</text>'
            )
            continue
        if row.low is not None and row.high is not None:
            parts.append(
                f'<line data-mark="ci" x1="{sx(row.low):.1f}" x2="{sx(row.high):.1f}" '
                f'y1="{y:.1f}" y2="{y:.1f}" stroke="{colour}" stroke-width="2"/>'
            )
        parts.append(
            f'<circle data-mark="point" cx="{sx(row.value):.1f}" cy="{y:.1f}" r="4" '
            f'fill="{colour}"><title>{escape(row.label)}: {row.value:.3f} {escape(row.note)}'
            "</title></circle>"
        )
        if row.note:
            parts.append(
                f'<text x="{width - MARGIN_RIGHT}" y="{y + 4:.1f}" text-anchor="end" '
                f'font-size="11" fill="#b00">{escape(row.note)}</text>'
            )
    return _figure(name, title, height, parts, width=width)


def xy_chart(
    name: str,
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_ticks: Sequence[tuple[float, str]] | None = None,
    vline: float | None = None,
    y_min: float = 0.0,
    y_max: float | None = None,
) -> str:
    """Draw series of points, lines and vertical intervals on x/y axes.

    Parameters
    ----------
    name : str
        Identifier written to ``data-chart``.
    series : sequence of Series
        What to draw; a legend lists their names.
    title, x_label, y_label : str
        Chart title and axis labels.
    x_ticks : sequence of (float, str), optional
        Tick positions and labels; five even ticks when omitted.
    vline : float, optional
        Position of a dashed vertical line (the cutoff).
    y_min : float, default 0.0
        Bottom of the y axis.
    y_max : float, optional
        Top of the y axis; the largest value drawn when omitted.

    Returns
    -------
    str
        An SVG element inside a ``<figure>``.
    """
    xs = [p[0] for s in series for p in s.points] + ([vline] if vline is not None else [])
    ys = [p[1] for s in series for p in s.points] + [i[2] for s in series for i in s.intervals]
    ys = [v for v in ys if math.isfinite(v)]
    x0, x1 = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x1 <= x0:
        x0, x1 = x0 - 0.5, x1 + 0.5
    top = y_max if y_max is not None else (max(ys) * 1.05 if ys and max(ys) > y_min else 1.0)
    height = 300
    plot_top, plot_bottom = 30, height - 60
    left, right = 60, WIDTH - MARGIN_RIGHT

    def sx(v: float) -> float:
        return left + (right - left) * (v - x0) / (x1 - x0)

    def sy(v: float) -> float:
        v = min(max(v, y_min), top)
        return plot_bottom - (plot_bottom - plot_top) * (v - y_min) / (top - y_min)

    parts = [
        f'<line x1="{left}" x2="{left}" y1="{plot_top}" y2="{plot_bottom}" stroke="#999"/>',
        f'<line x1="{left}" x2="{right}" y1="{plot_bottom}" y2="{plot_bottom}" stroke="#999"/>',
        f'<text x="{(left + right) / 2}" y="{plot_bottom + 34}" text-anchor="middle" '
        f'font-size="11">{escape(x_label)}</text>',
        f'<text x="14" y="{(plot_top + plot_bottom) / 2}" text-anchor="middle" font-size="11" '
        f'transform="rotate(-90 14 {(plot_top + plot_bottom) / 2})">{escape(y_label)}</text>',
    ]
    ticks = x_ticks or [(x0 + (x1 - x0) * k / 4, f"{x0 + (x1 - x0) * k / 4:.3g}") for k in range(5)]
    for value, text in ticks:
        parts.append(
            f'<text x="{sx(value):.1f}" y="{plot_bottom + 16}" text-anchor="middle" '
            f'font-size="10">{escape(text)}</text>'
        )
    for k in range(5):
        v = y_min + (top - y_min) * k / 4
        parts.append(
            f'<text x="{left - 6}" y="{sy(v) + 4:.1f}" text-anchor="end" font-size="10">'
            f"{v:.2g}</text>"
        )
    if vline is not None:
        parts.append(
            f'<line data-mark="cutoff" x1="{sx(vline):.1f}" x2="{sx(vline):.1f}" '
            f'y1="{plot_top}" y2="{plot_bottom}" stroke="#444" stroke-dasharray="4 3"/>'
        )
    for k, s in enumerate(series):
        colour = PALETTE[s.colour % len(PALETTE)]
        for x, lo, hi in s.intervals:
            parts.append(
                f'<line data-mark="ci" x1="{sx(x):.1f}" x2="{sx(x):.1f}" y1="{sy(lo):.1f}" '
                f'y2="{sy(hi):.1f}" stroke="{colour}" stroke-opacity="0.5"/>'
            )
        if s.line and len(s.points) > 1:
            path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s.points)
            parts.append(
                f'<polyline data-mark="line" points="{path}" fill="none" stroke="{colour}" '
                f'stroke-width="{s.width}"/>'
            )
        if s.dots:
            for x, y in s.points:
                parts.append(
                    f'<circle data-mark="point" cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" '
                    f'fill="{colour}"><title>{escape(s.name)}: {x:.3g}, {y:.3g}</title></circle>'
                )
        lx = left + 10 + (k % 4) * 140
        ly = height - 14 - 14 * (k // 4)
        parts.append(
            f'<rect x="{lx}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{ly + 1}" font-size="11">{escape(s.name[:22])}</text>'
        )
    return _figure(name, title, height + 14 * ((len(series) - 1) // 4), parts)


def _axis_x(sx: object, lo: float, hi: float, *, top: float, bottom: float, label: str) -> str:
    assert callable(sx)
    out = []
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        x = sx(v)
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}" stroke="#eee"/>'
            f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" font-size="10">'
            f"{v:.2g}</text>"
        )
    # Centre the axis label under the axis itself, wherever the plot starts.
    out.append(
        f'<text x="{(sx(lo) + sx(hi)) / 2:.1f}" y="{bottom + 28}" '
        f'text-anchor="middle" font-size="11">{escape(label)}</text>'
    )
    return "".join(out)


def _figure(name: str, title: str, height: float, parts: list[str], *, width: float = WIDTH) -> str:
    body = "".join(parts)
    return (
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg data-chart="{escape(name)}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif">{body}</svg></figure>'
    )
