"""The chart of the report section "Konsistensi Verifikasi": each verifier's mean difference from
the others, as SVG (the style of :mod:`kiprank.report.charts`: bundled font, no mathtext, fixed bytes)."""

from __future__ import annotations

from ..core.formatting import format_int, format_number
from .charts import GRID_COLOR, TEXT_COLOR, clean_axes, fit_labels, rows_figure, svg_text

LENIENT_COLOR = "#1f4e79"
STRICT_COLOR = "#c0504d"


def verifier_difference_chart(names: list[str], differences: list[float], answers: list[int], x_label: str,
                              lang: str) -> str:
    """One horizontal bar per verifier (in the order given) from 0 to its mean difference in points:
    to the right (navy) a verifier who granted more than the others, to the left (red) one who
    granted less; the bar's value and the answers judged together are written beside it."""
    n = len(names)
    fig, ax, y = rows_figure(n, 0.1, 0.46, 0.26, left=0.3, right=0.86, min_rows=2)
    colors = [LENIENT_COLOR if d >= 0 else STRICT_COLOR for d in differences]
    ax.barh(y, differences, color=colors, height=0.6, zorder=2)
    reach = max([abs(d) for d in differences] + [1.0]) * 1.25
    for yi, d, k in zip(y, differences, answers):
        sign = "+" if d > 0.005 else ""
        ax.text(d + (reach * 0.03 if d >= 0 else -reach * 0.03), yi, sign + format_number(d, 1, lang),
                va="center", ha="left" if d >= 0 else "right", fontsize=6.8, color=TEXT_COLOR)
        ax.text(1.02, yi, format_int(k, lang), va="center", ha="left", fontsize=6.8, color=TEXT_COLOR,
                transform=ax.get_yaxis_transform())
    ax.axvline(0, color=TEXT_COLOR, linewidth=0.7, zorder=3)
    ax.set_xlim(-reach, reach)
    from matplotlib.ticker import MaxNLocator

    ticks = [v for v in MaxNLocator(7, symmetric=True).tick_values(-reach, reach) if -reach <= v <= reach]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    ax.set_xticks(ticks, [format_number(v, 0 if step >= 1 else 1, lang) for v in ticks])  # 0,5 in Indonesian
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_yticks(y, fit_labels(names, 0.3, 7.0))
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(x_label)
    clean_axes(ax)
    ax.grid(axis="x", color=GRID_COLOR, linewidth=0.5)
    return svg_text(fig)


__all__ = ["verifier_difference_chart"]
