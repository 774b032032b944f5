"""Small server-rendered SVG charts for the back office (no script, no CDN): a line of
monthly values and bars of daily counts, with a text alternative for screen readers."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 240, 56, 4


def _points(values: Sequence[float]) -> list[tuple[float, float]]:
    top = max(max(values, default=0), 1)
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    return [(PAD + i * step, HEIGHT - PAD - (value / top) * (HEIGHT - 2 * PAD))
            for i, value in enumerate(values)]


def line(values: Sequence[float], label: str) -> Markup:
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in _points(values))
    return Markup(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-label="{label}"><polyline fill="none" stroke="currentColor" stroke-width="2" '
        'points="{points}"/></svg>').format(w=WIDTH, h=HEIGHT, label=escape(label),
                                             points=points)


def bars(values: Sequence[float], label: str) -> Markup:
    top = max(max(values, default=0), 1)
    width = (WIDTH - 2 * PAD) / max(len(values), 1)
    rect = Markup('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}"/>')
    rects = Markup("").join(
        rect.format(PAD + i * width, HEIGHT - PAD - (value / top) * (HEIGHT - 2 * PAD),
                    max(width - 1, 1), (value / top) * (HEIGHT - 2 * PAD))
        for i, value in enumerate(values))
    return Markup(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-label="{label}"><g fill="currentColor">{rects}</g></svg>').format(
        w=WIDTH, h=HEIGHT, label=escape(label), rects=rects)
