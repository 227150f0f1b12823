"""Charts drawn on the server as SVG: no script, nothing fetched, readable without JavaScript, and every
mark carries its figure (`data-key`, `data-value`) so tests read what a person sees.

Three shapes cover the dashboards: columns over time (stacked by series), horizontal bars (a funnel,
reasons), and one bar split into parts (met / missed / pending).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from mostrador.dashboards import numbers

WIDTH = 640
BLUE, GREEN, RED, AMBER, GREY = "#2f6fde", "#2e9d5b", "#d64545", "#e0a100", "#9aa3ad"


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    color: str


@dataclass(frozen=True)
class Part:
    key: str
    label: str
    value: int
    color: str


def _svg(height: int, title: str, body: list[str]) -> Markup:
    label = escape(title)
    return Markup(  # noqa: S704 - every text inside is escaped, every number formatted here
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="{label}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{label}</title>{"".join(body)}</svg>'
    )


def _number(value: float) -> str:
    return numbers.count(value)


def columns(title: str, points: Sequence[tuple[str, dict[str, int]]], series: Sequence[Series]) -> Markup:
    """Stacked columns, one per period (`points`: label → value per series key)."""
    height, top, bottom, left = 220, 12, 40, 44
    inner_h, inner_w = height - top - bottom, WIDTH - left - 8
    peak = max([sum(values.values()) for _, values in points] + [1])
    body = [
        f'<line x1="{left}" y1="{top + inner_h}" x2="{WIDTH - 8}" y2="{top + inner_h}" stroke="#ccd"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11">{_number(peak)}</text>',
        f'<text x="{left - 6}" y="{top + inner_h}" text-anchor="end" font-size="11">0</text>',
    ]
    n = max(len(points), 1)
    step = inner_w / n
    width = min(max(step * 0.8, 1), 48)
    every = max(1, round(n / 8))  # at most about eight labels under the axis
    for i, (label, values) in enumerate(points):
        x = left + i * step + (step - width) / 2
        y: float = top + inner_h
        for s in series:
            value = values.get(s.key, 0)
            h = inner_h * value / peak
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" fill="{s.color}" '
                f'data-key="{escape(label)}|{escape(s.key)}" data-value="{value}">'
                f"<title>{escape(label)} · {escape(s.label)}: {_number(value)}</title></rect>"
            )
        if i % every == 0:
            body.append(
                f'<text x="{x + width / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'font-size="11">{escape(label)}</text>'
            )
    legend, lines = _legend(series, height - 10, left)
    return _svg(height + LEGEND_LINE * (lines - 1), title, body + legend)


def bars(
    title: str, items: Sequence[tuple[str, str, int]], of: int | None = None, color: str = BLUE
) -> Markup:
    """Horizontal bars (`items`: key, label, value), each with its value and, with `of`, its share."""
    row, label_w = 28, 300
    height = max(row * len(items), row) + 4
    peak = max([v for _, _, v in items] + [of or 0, 1])
    bar_w = WIDTH - label_w - 110
    body = []
    for i, (key, label, value) in enumerate(items):
        y = 4 + i * row
        w = bar_w * value / peak
        share = f" ({numbers.share(value, of)})" if of else ""
        body.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="11">'
            f"{escape(_short(label))}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row - 10}" fill="{color}" '
            f'data-key="{escape(key)}" data-value="{value}">'
            f"<title>{escape(label)}: {_number(value)}</title></rect>"
            f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" font-size="12">{_number(value)}{share}</text>'
        )
    return _svg(height, title, body)


def split(title: str, parts: Sequence[Part]) -> Markup:
    """One bar split into parts of a whole, with a legend of each part's count and share."""
    height, bar_h = 60, 26
    total = sum(p.value for p in parts)
    body, x = [], 0.0
    for p in parts:
        w = WIDTH * p.value / total if total else 0
        body.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{bar_h}" fill="{p.color}" '
            f'data-key="{escape(p.key)}" data-value="{p.value}"><title>{escape(p.label)}: {_number(p.value)}'
            "</title></rect>"
        )
        x += w
    if not total:
        body.append(f'<rect x="0" y="0" width="{WIDTH}" height="{bar_h}" fill="#eef"/>')
    entries = [
        Series(p.key, f"{p.label}: {_number(p.value)}{_share(p.value, total)}", p.color) for p in parts
    ]
    legend, lines = _legend(entries, height - 22, 0)
    return _svg(height + LEGEND_LINE * (lines - 1), title, body + legend)


def _short(label: str, most: int = 48) -> str:
    """A label that fits beside its bar (the whole one is in the bar's tooltip)."""
    return label if len(label) <= most else label[: most - 1] + "…"


def _share(value: int, total: int) -> str:
    return f" ({numbers.share(value, total, digits=0)})" if total else ""


LEGEND_LINE = 16


def _legend(series: Sequence[Series], y: int, x0: int) -> tuple[list[str], int]:
    """Legend entries from (x0, y) on, wrapping before the right edge; and how many lines it took."""
    out, x, lines = [], float(x0), 1
    for s in series:
        width = 24 + 6 * len(s.label)
        if x > x0 and x + width > WIDTH:
            x, y, lines = float(x0), y + LEGEND_LINE, lines + 1
        out.append(
            f'<rect x="{x:.0f}" y="{y - 9}" width="10" height="10" fill="{s.color}"/>'
            f'<text x="{x + 14:.0f}" y="{y}" font-size="11">{escape(s.label)}</text>'
        )
        x += width
    return out, lines
