"""Charts of the comparison report (matplotlib, SVG text in the bundled DejaVu Sans, no mathtext):
dumbbell of the final scores in two years, waterfall of a body's change, trajectories."""

from __future__ import annotations

import numpy as np

from ..analysis import compare as cmp
from ..core.formatting import format_number, format_weight
from . import charts

UP_COLOR = "#1b7f3b"
DOWN_COLOR = "#c62828"
SAME_COLOR = "#8a939e"
NAVY = "#1f3a5f"

_RC = {
    "svg.fonttype": "none", "svg.hashsalt": "kiprank", "font.family": charts.FONT_FAMILIES, "font.size": 7.5,
    "text.parse_math": False, "text.usetex": False,
    "axes.edgecolor": "#8a939e", "axes.labelcolor": charts.TEXT_COLOR, "axes.linewidth": 0.6,
    "xtick.color": charts.TEXT_COLOR, "ytick.color": charts.TEXT_COLOR, "xtick.major.width": 0.6,
    "ytick.major.width": 0.6, "text.color": charts.TEXT_COLOR, "legend.fontsize": 7, "legend.frameon": False,
}


def _new_figure(height_in: float, width_in: float = charts.WIDTH_IN):
    import matplotlib
    from matplotlib.figure import Figure

    charts.use_bundled_fonts()
    matplotlib.rcParams.update(_RC)
    return Figure(figsize=(width_in, height_in))


def _score_limits(values, band_mins) -> tuple[float, float]:
    lo = float(np.nanmin(values)) if len(values) else 0.0
    lo = max(0.0, np.floor((lo - 3) / 10) * 10)
    return lo, 100.0


def dumbbell_chart(names: list[str], before: list[float], after: list[float], y1: str, y2: str,
                   band_mins: list[float], lang: str, highlight: str | None, words: dict) -> str:
    """One row per body (best year-2 score at the top): an open circle at the year-1 score, a dot at
    the year-2 score, joined by a green (rise), red (fall) or grey line."""
    from matplotlib.lines import Line2D

    n = len(names)
    fig, ax, y = charts.rows_figure(n, 0.42, 0.42, 0.168, left=0.3, min_rows=2, figure=_new_figure)
    b, a = np.asarray(before, float), np.asarray(after, float)
    eps = 1e-9
    colors = np.where(a > b + eps, UP_COLOR, np.where(a < b - eps, DOWN_COLOR, SAME_COLOR))
    for yi, x0, x1, c in zip(y, b, a, colors):
        ax.plot([x0, x1], [yi, yi], color=c, linewidth=1.7, solid_capstyle="butt", zorder=2, alpha=0.85)
    ax.scatter(b, y, s=15, facecolors="white", edgecolors="#5f6b7a", linewidths=0.8, zorder=3)
    ax.scatter(a, y, s=17, c=list(colors), zorder=4, edgecolors="white", linewidths=0.3)
    lo, hi = _score_limits(np.concatenate([a, b]), band_mins)
    for m in band_mins:
        if lo < m < 100:
            ax.axvline(m, color="#5f6b7a", linewidth=0.6, linestyle=(0, (3, 2)), zorder=1)
    ax.set_xlim(lo, hi + 1)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_yticks(y, charts.fit_labels(names, 0.3, _RC["font.size"]))
    for label, nm in zip(ax.get_yticklabels(), names):
        if highlight and nm == highlight:
            label.set_fontweight("bold")
            label.set_color(NAVY)
    if highlight and highlight in names:
        yi = y[names.index(highlight)]
        ax.axhspan(yi - 0.5, yi + 0.5, color="#fff4d6", zorder=0, linewidth=0)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(words["score_axis"])
    charts.clean_axes(ax)
    handles = [Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor="#5f6b7a",
                      markersize=4.5, label=y1)]
    for key, color in (("legend_up", UP_COLOR), ("legend_down", DOWN_COLOR), ("legend_same", SAME_COLOR)):
        handles.append(Line2D([], [], marker="o", color=color, linewidth=1.5, markersize=4.5,
                              label=words[key].format(y=y2)))
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.635, 1.0), ncols=4, handlelength=1.6)
    return charts.svg_text(fig)


def waterfall_chart(steps: list[tuple[str, float]], start: float, end: float, start_label: str, end_label: str,
                    decimals: int, lang: str) -> str:
    """Horizontal waterfall: the year-1 final score, one floating bar per change (green up, red
    down), the year-2 final score. The score axis does not start at 0 (the changes are small)."""
    labels = [start_label, *[s[0] for s in steps], end_label]
    n = len(labels)
    fig, ax, y = charts.rows_figure(n, 0.12, 0.42, 0.27, left=0.42, right=0.96, figure=_new_figure)
    levels = np.cumsum([start, *[s[1] for s in steps]])
    span = max(levels.max(), end) - min(levels.min(), end)
    pad = max(span * 0.25, 1.0)
    lo = np.floor((min(levels.min(), end) - pad) / 2) * 2
    hi = max(levels.max(), end) + pad
    ax.barh(y[0], start - lo, left=lo, color=NAVY, height=0.62, zorder=2)
    ax.text(start + span * 0.015 + 0.05, y[0], format_number(start, decimals, lang), va="center", ha="left",
            fontsize=7, fontweight="bold")
    running = start
    for i, (label, change) in enumerate(steps, 1):
        color = UP_COLOR if change > 0 else DOWN_COLOR if change < 0 else SAME_COLOR
        left = min(running, running + change)
        ax.barh(y[i], abs(change), left=left, color=color, height=0.62, zorder=2)
        ax.plot([running, running], [y[i - 1] - 0.31, y[i] + 0.31], color="#8a939e", linewidth=0.5,
                linestyle=(0, (2, 1.5)), zorder=1)
        ax.text(max(running, running + change) + span * 0.015 + 0.05, y[i],
                cmp.signed(change, decimals, lang), va="center", ha="left", fontsize=6.8, color=color)
        running += change
    ax.plot([running, running], [y[-2] - 0.31, y[-1] + 0.31], color="#8a939e", linewidth=0.5,
            linestyle=(0, (2, 1.5)), zorder=1)
    ax.barh(y[-1], end - lo, left=lo, color=NAVY, height=0.62, zorder=2)
    ax.text(end + span * 0.015 + 0.05, y[-1], format_number(end, decimals, lang), va="center", ha="left",
            fontsize=7, fontweight="bold")
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_yticks(y, charts.fit_labels(labels, 0.42, _RC["font.size"]))
    for tick in (ax.get_yticklabels()[0], ax.get_yticklabels()[-1]):
        tick.set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.xaxis.set_major_formatter(_number_formatter(lang))
    charts.clean_axes(ax)
    return charts.svg_text(fig)


def _number_formatter(lang: str):
    from matplotlib.ticker import FuncFormatter

    def fmt(x, _pos):
        return format_weight(round(x, 4), lang)

    return FuncFormatter(fmt)


def trajectory_chart(years: list[int], series: dict[str, list[float]], names: dict[str, str], focus: str | None,
                     band_mins: list[float], lang: str, y_label: str) -> str:
    """Final score per year, one grey line per body; the focus body in navy and labelled."""
    fig = _new_figure(3.6)
    fig.subplots_adjust(left=0.09, right=0.78, top=0.96, bottom=0.1)
    ax = fig.add_subplot()
    values = np.array([v for vs in series.values() for v in vs], dtype=float)
    lo, hi = _score_limits(values[~np.isnan(values)], band_mins)
    for m in band_mins:
        if lo < m < 100:
            ax.axhline(m, color="#5f6b7a", linewidth=0.6, linestyle=(0, (3, 2)), zorder=1)
    for key, vs in series.items():
        if key == focus:
            continue
        ax.plot(years, vs, color="#b3bcc6", linewidth=0.8, marker="o", markersize=2, zorder=2)
    if focus in series:
        vs = series[focus]
        ax.plot(years, vs, color=NAVY, linewidth=2.0, marker="o", markersize=4, zorder=4)
        for x, v in zip(years, vs):
            if not np.isnan(v):
                ax.annotate(format_number(v, 2, lang), (x, v), xytext=(0, 6), textcoords="offset points",
                            ha="center", fontsize=6.5, color=NAVY, zorder=5)
        last = next((v for v in reversed(vs) if not np.isnan(v)), None)
        if last is not None:
            ax.annotate(charts.fit_label(names[focus], 0.22 * charts.WIDTH_IN * 72 - 14, 7.6), (years[-1], last), xytext=(8, 0), textcoords="offset points",
                        va="center", fontsize=7, fontweight="bold", color=NAVY, annotation_clip=False)
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlim(years[0] - 0.15, years[-1] + 0.15)
    ax.set_ylim(lo, hi + 2)
    ax.set_ylabel(y_label)
    charts.clean_axes(ax, "y")
    return charts.svg_text(fig)


# -- publishing --------------------------------------------------------------------------------


__all__ = ["dumbbell_chart", "waterfall_chart", "trajectory_chart"]
