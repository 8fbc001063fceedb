"""Server-side SVG charts: horizontal bars, one group per row of a ``Table``.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that
says what it shows, referenced by ``aria-labelledby``; its numbers are in the
data table printed beside it. No inline styles (the CSP forbids them): colours
come from classes in app.css, geometry from SVG presentation attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from app.analytics.services import Table

ROW_HEIGHT = 14
GROUP_GAP = 10
LABEL_WIDTH = 220
BAR_WIDTH = 420
VALUE_WIDTH = 70


@dataclass(frozen=True)
class Series:
    column: str  # a column key of the table
    css_class: str  # chart-bar--a, chart-bar--b, ...


def _truncate(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def bar_chart(chart_id: str, table: Table, *, label: str, series: list[Series], title: str, desc: str,
              max_value: float | None = None) -> Markup:
    """Grouped horizontal bars: one group per row of ``table`` (labelled by column ``label``),
    one bar per series. Shares (``pct`` columns) are drawn as 0..100 %."""
    rows = [row for row in table.rows if any(row.get(s.column) is not None for s in series)]
    columns = [table.column(s.column) for s in series]
    scale_max = max_value
    if scale_max is None:
        values = [float(row[s.column]) for row in rows for s in series if row.get(s.column) is not None]
        scale_max = max(values, default=0) or 1.0
    group = ROW_HEIGHT * len(series) + GROUP_GAP
    height = max(group * len(rows), group) + 24
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(desc)}</desc>',
    ]
    if not rows:
        parts.append(f'<text class="chart-label" x="0" y="16">No data for these filters.</text>')
    for index, row in enumerate(rows):
        top = index * group
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{top + ROW_HEIGHT * len(series) / 2 + 4:.0f}" '
            f'text-anchor="end">{escape(_truncate(str(row[label])))}</text>'
        )
        for n, (s, column) in enumerate(zip(series, columns, strict=True)):
            value = row.get(s.column)
            if value is None:
                continue
            length = BAR_WIDTH * min(float(value) / scale_max, 1.0)
            y = top + n * ROW_HEIGHT
            shown = column.format(value) + (" %" if column.kind == "pct" else "")
            parts.append(
                f'<rect class="chart-bar {s.css_class}" x="{LABEL_WIDTH}" y="{y + 1}" '
                f'width="{max(length, 1):.1f}" height="{ROW_HEIGHT - 2}"></rect>'
                f'<text class="chart-value" x="{LABEL_WIDTH + length + 4:.1f}" y="{y + ROW_HEIGHT - 3}">'
                f'{escape(shown)}</text>'
            )
    axis_y = height - 18
    parts.append(f'<line class="chart-axis" x1="{LABEL_WIDTH}" y1="0" x2="{LABEL_WIDTH}" y2="{axis_y}"></line>')
    legend_x = LABEL_WIDTH
    for s, column in zip(series, columns, strict=True):
        parts.append(
            f'<rect class="chart-bar {s.css_class}" x="{legend_x}" y="{axis_y + 6}" width="10" height="10"></rect>'
            f'<text class="chart-legend" x="{legend_x + 14}" y="{axis_y + 15}">{escape(column.label)}</text>'
        )
        legend_x += 14 + 7 * len(column.label) + 16
    parts.append("</svg>")
    return Markup("".join(parts))


# Which tables get a chart, and how it is drawn.
_CHARTS: dict[str, dict] = {
    "outcomes": dict(label="credential", series=[Series("first_attempt_pass", "chart-bar--a"),
                                                 Series("eventual_pass", "chart-bar--b")], max_value=1.0,
                     title="Pass rates per microcredential",
                     desc="First-attempt and eventual pass rates, as percentages; the table beside gives every figure."),
    "attempts": dict(label="attempts", series=[Series("teachers", "chart-bar--a")],
                     title="Attempts needed to pass",
                     desc="Teachers who passed, by the number of decided attempts they needed."),
    "criteria": dict(label="criterion", series=[Series("share", "chart-bar--c")], max_value=1.0,
                     title="Criteria most often below the pass level",
                     desc="Share of scores below the pass level, per criterion, highest first."),
    "turnaround": dict(label="credential", series=[Series("median_days", "chart-bar--a"),
                                                   Series("p90_days", "chart-bar--b")],
                       title="Review turnaround in days",
                       desc="Median and 90th-percentile days from assignment to a completed review."),
    "load": dict(label="reviewer", series=[Series("assigned", "chart-bar--a"), Series("overdue", "chart-bar--c")],
                 title="Load per reviewer", desc="Assignments and overdue assignments of the busiest reviewers."),
    "agreement": dict(label="criterion", series=[Series("exact_rate", "chart-bar--a"),
                                                 Series("adjacent_rate", "chart-bar--b")], max_value=1.0,
                      title="Peer agreement per criterion",
                      desc="Share of peer score pairs at the same level, and within one level."),
    "calibration": dict(label="credential", series=[Series("pass_rate", "chart-bar--a"),
                                                    Series("peer_pass_rate", "chart-bar--b")], max_value=1.0,
                        title="Calibration pass rates",
                        desc="Share of calibration attempts passed, and of peers who passed."),
    "impact": dict(label="credential", series=[Series("improved", "chart-bar--b"), Series("worse", "chart-bar--c")],
                   max_value=1.0, title="Classroom measures that improved",
                   desc="Share of reported measures that improved and that got worse, per microcredential."),
    "schools": dict(label="school", series=[Series("earning_share", "chart-bar--b"),
                                            Series("not_started_share", "chart-bar--c")], max_value=1.0,
                    title="Participation by school",
                    desc="Share of each school's teachers earning a credential, and share not started."),
}


def chart_for(table: Table) -> Markup | None:
    """The chart drawn beside ``table``, or None for tables shown only as numbers."""
    spec = _CHARTS.get(table.key)
    if spec is None:
        return None
    return bar_chart(f"chart-{table.key}", table, **spec)
