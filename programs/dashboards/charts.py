"""Plotly figure specifications (plain dicts) for the dashboards' charts.

A chart goes to the page as JSON (``json_script``) and ``dashboards/charts.js`` draws it with the
Plotly.js bundle served by the app. Every chart's numbers are also in a table on the page, so
these specs only decide how the figures look.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


@dataclass
class Chart:
    #: The chart div's id; the JSON goes in ``<id>-spec``.
    id: str
    title: str
    #: What the chart shows, read out by screen readers (the table has the numbers).
    summary: str
    data: list[dict]
    layout: dict = field(default_factory=dict)
    height: int = 360

    @property
    def spec_id(self) -> str:
        return f"{self.id}-spec"

    @property
    def spec(self) -> dict:
        layout = {
            "font": {"family": FONT, "size": 13, "color": "#1f2933"},
            "margin": {"l": 60, "r": 20, "t": 16, "b": 56},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "#ffffff",
            "height": self.height,
            "legend": {"orientation": "h", "y": -0.2, "x": 0},
            "hoverlabel": {"font": {"family": FONT}},
            **self.layout,
        }
        return {"data": self.data, "layout": layout}


def axis(title: str, **extra) -> dict:
    return {
        "title": {"text": title},
        "gridcolor": "#e4e7eb",
        "zerolinecolor": "#9aa5b1",
        "automargin": True,
        **extra,
    }


def reference_line(y: float) -> dict:
    """A dashed horizontal line across the plot at ``y`` (e.g. a fair return of 1.0)."""
    return {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "y0": y,
        "y1": y,
        "line": {"color": "#323f4b", "dash": "dash", "width": 1.5},
    }


def grouped_bars(
    chart_id: str,
    title: str,
    summary: str,
    categories: list[str],
    series: list[tuple[str, list[float | None], str]],
    y_title: str,
    *,
    y_suffix: str = "",
    reference: float | None = None,
) -> Chart:
    """One bar trace per series (name, values, colour) over the categories."""
    data = [
        {
            "type": "bar",
            "name": name,
            "x": categories,
            "y": values,
            "marker": {"color": colour},
            "hovertemplate": f"%{{x}}<br>{name}: %{{y}}{y_suffix}<extra></extra>",
        }
        for name, values, colour in series
    ]
    layout: dict = {
        "barmode": "group",
        "xaxis": axis(""),
        "yaxis": axis(y_title, ticksuffix=y_suffix),
    }
    if reference is not None:
        layout["shapes"] = [reference_line(reference)]
    return Chart(chart_id, title, summary, data, layout)


def heatmap(
    chart_id: str,
    title: str,
    summary: str,
    x: list[str],
    y: list[str],
    z: list[list[float | None]],
    text: list[list[str]],
    *,
    colourscale: list | str,
    zmin: float,
    zmax: float,
    zmid: float | None = None,
    colourbar_title: str = "",
    x_title: str = "",
    y_title: str = "",
) -> Chart:
    trace = {
        "type": "heatmap",
        "x": x,
        "y": y,
        "z": z,
        "text": text,
        "texttemplate": "%{text}",
        "textfont": {"size": 14},
        "hovertemplate": "%{y} / %{x}: %{text}<extra></extra>",
        "colorscale": colourscale,
        "zmin": zmin,
        "zmax": zmax,
        "xgap": 3,
        "ygap": 3,
        "hoverongaps": False,
        "colorbar": {"title": {"text": colourbar_title}, "thickness": 14},
    }
    if zmid is not None:
        trace["zmid"] = zmid
    layout = {
        "xaxis": axis(x_title, side="top", showgrid=False, type="category"),
        "yaxis": axis(y_title, autorange="reversed", showgrid=False, type="category"),
        "margin": {"l": 110, "r": 20, "t": 56, "b": 20},
    }
    height = max(220, 70 * len(y) + 110)
    return Chart(chart_id, title, summary, [trace], layout, height=height)


def lines(
    chart_id: str,
    title: str,
    summary: str,
    series: list[tuple[str, list[str], list[float | None], str]],
    y_title: str,
    *,
    reference: float | None = None,
) -> Chart:
    """One line per series (name, x dates, y values, colour)."""
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": xs,
            "y": ys,
            "line": {"color": colour, "width": 2.5},
            "marker": {"size": 8},
            "connectgaps": False,
            "hovertemplate": f"{name}<br>%{{x}}: %{{y}}<extra></extra>",
        }
        for name, xs, ys, colour in series
    ]
    layout: dict = {"xaxis": axis("", type="date"), "yaxis": axis(y_title)}
    if reference is not None:
        layout["shapes"] = [reference_line(reference)]
    return Chart(chart_id, title, summary, data, layout)


def stacked_bars(
    chart_id: str,
    title: str,
    summary: str,
    categories: list[str],
    series: list[tuple[str, list[int], str]],
    x_title: str,
) -> Chart:
    """Horizontal stacked bars: one trace per series (name, values, colour) over categories."""
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": name,
            "y": categories,
            "x": values,
            "marker": {"color": colour},
            "hovertemplate": f"%{{y}}<br>{name}: %{{x}}<extra></extra>",
        }
        for name, values, colour in series
    ]
    layout = {
        "barmode": "stack",
        "xaxis": axis(x_title),
        "yaxis": axis("", autorange="reversed"),
        "margin": {"l": 150, "r": 20, "t": 16, "b": 56},
    }
    return Chart(
        chart_id, title, summary, data, layout, height=max(240, 34 * len(categories) + 120)
    )
