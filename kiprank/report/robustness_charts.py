"""The rank-interval chart of the report section "Ketahanan peringkat", as SVG (the style of
:mod:`kiprank.report.charts`: bundled font, no mathtext, fixed bytes)."""

from __future__ import annotations

import numpy as np

from .charts import GRID_COLOR, TEXT_COLOR, band_colors, clean_axes, fit_labels, rows_figure, svg_text

INTERVAL_COLOR = "#1f4e79"


def rank_interval_chart(names: list[str], published: list[int], median: list[int], p05: list[int],
                        p95: list[int], bands: list[str], band_labels: list[str], x_label: str,
                        legend: tuple[str, str, str]) -> str:
    """One row per body (best published rank at the top): a line from the 5th to the 95th
    percentile rank, a vertical stroke at the median and a dot (coloured by the published band) at
    the published rank. Rank 1 is on the left; ``legend`` names the dot, the stroke and the line."""
    colors = band_colors(band_labels)
    n = len(names)
    fig, ax, y = rows_figure(n, 0.30, 0.34, 0.152, left=0.36, min_rows=2)
    lo, hi = np.asarray(p05, dtype=float), np.asarray(p95, dtype=float)
    ax.hlines(y, lo - 0.18, hi + 0.18, color=INTERVAL_COLOR, linewidth=2.2, alpha=0.35, zorder=2)
    ax.scatter(median, y, marker="|", s=46, color=INTERVAL_COLOR, linewidths=1.3, zorder=3)
    ax.scatter(published, y, s=16, color=[colors.get(b, TEXT_COLOR) for b in bands], edgecolors=TEXT_COLOR,
               linewidths=0.4, zorder=4)
    ax.set_yticks(y, fit_labels(names, 0.36, 6.8), fontsize=6.8)
    ax.tick_params(axis="y", length=0)
    top = int(max([*p95, *published, 1]))
    ax.set_xlim(0.4, top + 0.6)
    step = max(1, int(np.ceil(top / 12)))
    ax.set_xticks(range(1, top + 1, step))
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlabel(x_label)
    clean_axes(ax)
    ax.grid(axis="x", color=GRID_COLOR, linewidth=0.5)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", linestyle="", markersize=4, markerfacecolor="#ffffff",
                      markeredgecolor=TEXT_COLOR, markeredgewidth=0.6),
               Line2D([], [], marker="|", linestyle="", markersize=7, color=INTERVAL_COLOR, markeredgewidth=1.3),
               Line2D([], [], color=INTERVAL_COLOR, linewidth=2.2, alpha=0.35)]
    fig.legend(handles, list(legend), loc="upper center", bbox_to_anchor=(0.66, 1.0), ncols=3, handlelength=1.6,
               columnspacing=1.4)
    return svg_text(fig)
