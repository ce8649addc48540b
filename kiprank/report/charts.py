"""Charts of the report, drawn with matplotlib and returned as inline SVG text.

Text in the SVG is kept as text (``svg.fonttype = none``) naming the family "DejaVu Sans", the
bundled font, so Typst draws it with the same font as the rest of the report (and it stays
searchable). Mathtext is off (``text.parse_math``): ``$`` in a body's name is drawn as written. The SVG
carries no date and a fixed id salt, so the same scores give the same bytes.

Only pyplot-free matplotlib objects are used (``Figure`` + the SVG canvas): no GUI backend is
loaded and nothing is shown or kept open.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import re
import threading
import textwrap
import warnings

import numpy as np

from ..core.formatting import format_number

NOT_RETURNED_COLOR = "#9aa0a6"
GRID_COLOR = "#d0d4da"
TEXT_COLOR = "#1f2933"
# From the best band to the worst: green, light green, amber, orange, red.
BAND_PALETTE = ["#1b7f3b", "#7cb342", "#f2b705", "#e8710a", "#c62828"]
GROUP_MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
GROUP_COLORS = ["#1f4e79", "#c0504d", "#4f8a3c", "#7f5fa8", "#d98c1f", "#2a9d8f", "#6b6b6b"]
WIDTH_IN = 6.6  # the text width of an A4 page with the report's margins is 6.77 in
FONT_FAMILY = "DejaVu Sans"  # the family name of the bundled kiprank/fonts/DejaVuSans*.ttf (Typst finds it by name)
# Then the bundled Noto fonts for what DejaVu cannot draw (Arabic script, Hebrew, CJK), in the SVG's
# font-family list: Typst draws each character with the first family that has it, as in the text.
FONT_FAMILIES = [FONT_FAMILY, "Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans CJK SC"]
NOTO_FILES = ("NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf", "NotoSansHebrew-Regular.ttf",
              "NotoSansHebrew-Bold.ttf", "NotoSansCJKsc-Regular.otf")

_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "kiprank",
    "text.parse_math": False,  # a body named "$x$" is drawn as written, never as a formula
    "text.usetex": False,
    "font.family": FONT_FAMILIES,
    "font.size": 7.5,
    "axes.edgecolor": "#8a939e",
    "axes.labelcolor": TEXT_COLOR,
    "axes.linewidth": 0.6,
    "xtick.color": TEXT_COLOR,
    "ytick.color": TEXT_COLOR,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "text.color": TEXT_COLOR,
    "axes.titlesize": 8.5,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "text.parse_math": False,  # data labels are literal: "$" in a body's name is a dollar sign, not mathtext
}


def band_colors(band_labels: list[str]) -> dict[str, str]:
    """A colour per band, from green (best) to red (worst), whatever the number of bands."""
    n = len(band_labels)
    if n <= len(BAND_PALETTE):
        picks = np.linspace(0, len(BAND_PALETTE) - 1, n).round().astype(int) if n > 1 else [0]
        return {label: BAND_PALETTE[i] for label, i in zip(band_labels, picks)}
    from matplotlib import colormaps
    cmap = colormaps["RdYlGn"]
    return {label: _hex(cmap(x)) for label, x in zip(band_labels, np.linspace(0.95, 0.05, n))}


def _hex(rgba) -> str:
    return "#" + "".join(f"{int(round(c * 255)):02x}" for c in rgba[:3])


_registered = False


def use_bundled_fonts() -> None:
    """Make the bundled Noto fonts known to matplotlib (once per process), so that it measures and
    names them for the characters DejaVu Sans lacks."""
    global _registered
    if _registered:
        return
    import logging

    from matplotlib.font_manager import fontManager

    from ..core.resources import FONTS_DIR

    # bold text in a family without a bold face (the CJK font) is drawn with its regular face: not
    # worth a line on the console for every chart
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    for name in NOTO_FILES:
        if (FONTS_DIR / name).is_file():
            fontManager.addfont(str(FONTS_DIR / name))
    _registered = True


def _figure(height_in: float, width: float = WIDTH_IN):
    import matplotlib
    from matplotlib.figure import Figure

    use_bundled_fonts()
    matplotlib.rcParams.update(_RC)
    return Figure(figsize=(width, height_in))


def rows_figure(n: int, top_in: float, bottom_in: float, row_in: float, left: float, *, min_rows: int = 0,
                right: float = 0.97, figure=None):
    """A figure of ``n`` horizontal rows at a fixed height each (``row_in`` inches, at least
    ``min_rows`` rows; margins in inches), so that the charts of all groups line up: (figure, its
    axes, the rows' y positions, the first at the top)."""
    height = top_in + bottom_in + row_in * max(n, min_rows)
    fig = (figure or _figure)(height)
    fig.subplots_adjust(left=left, right=right, top=1 - top_in / height, bottom=bottom_in / height)
    return fig, fig.add_subplot(), np.arange(n)[::-1]

# Text extents measured by the SVG renderer, shared by every chart of the process: matplotlib
# caches them per renderer only, and every savefig makes new renderers (two with a tight bounding
# box), so the same tick labels, legends and names were laid out with FreeType again and again
# (half of the charts' time). The extent of a string depends only on the string, the font
# properties and the fonts known to matplotlib, which are all in the key.
_EXTENTS: dict = {}
_EXTENTS_MAX = 20_000
_extents_lock = threading.Lock()
_extents_users = 0
_svg_original_extent = None


def _cached_extent(renderer, s, prop, ismath):
    from matplotlib.font_manager import fontManager

    key = (s, prop.copy(), ismath, id(fontManager), len(fontManager.ttflist))
    found = _EXTENTS.get(key)
    if found is None:
        found = _svg_original_extent(renderer, s, prop, ismath)
        if len(_EXTENTS) >= _EXTENTS_MAX:
            _EXTENTS.clear()
        _EXTENTS[key] = found
    return found


@contextlib.contextmanager
def _shared_text_extents():
    """While drawing a chart, the SVG renderer measures text through :data:`_EXTENTS` (the same
    figures matplotlib computes, computed once)."""
    global _extents_users, _svg_original_extent
    from matplotlib.backends.backend_svg import RendererSVG

    with _extents_lock:
        if _extents_users == 0:
            _svg_original_extent = RendererSVG.get_text_width_height_descent
            RendererSVG.get_text_width_height_descent = _cached_extent
        _extents_users += 1
    try:
        yield
    finally:
        with _extents_lock:
            _extents_users -= 1
            if _extents_users == 0:
                RendererSVG.get_text_width_height_descent = _svg_original_extent


def svg_text(fig, tight: bool = False) -> str:
    """The figure as inline SVG markup (no XML prolog, no doctype, no date), at its natural size
    in points, with its text in the report's bundled font family."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(fig)
    buf = io.StringIO()
    extra = {"bbox_inches": "tight", "pad_inches": 0.04} if tight else {}
    with warnings.catch_warnings(), _shared_text_extents():
        # a character the bundled font lacks (an emoji in a name): kiprank validate and the PDF
        # step already warn about it, naming the body
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, **extra)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    return _TEXT.sub(_one_font_per_run, text)


_TEXT = re.compile(r"(<text\b[^>]*?)font-family: ?[^;\"]*(;?)([^>]*>)([^<]*)(</text>)")


def _one_font_per_run(m: re.Match) -> str:
    """A chart text in the font that draws it. Typst draws an SVG text with one font (the first
    family of its list), so a text DejaVu Sans cannot draw all of (a name in Arabic script, Hebrew
    or CJK) becomes one text per run, each naming the bundled family that has its characters,
    placed one after the other from the run widths (each run keeps its own direction)."""
    from html import unescape
    from xml.sax.saxutils import escape

    start, semicolon, rest, content, end = m.groups()
    runs = font_runs(unescape(content))
    if len(runs) <= 1:
        family = runs[0][0] if runs else FONT_FAMILY
        return f"{start}font-family: '{family}'{semicolon}{rest}{content}{end}"
    tag = f"{start}font-family: '{FONT_FAMILY}'{semicolon}{rest}"
    size = float(re.search(r"font-size: ?([0-9.]+)px", tag).group(1))
    x = float(re.search(r'\bx="([-0-9.]+)"', tag).group(1))
    anchor = (re.search(r"text-anchor: ?(\w+)", tag) or [None, "start"])[1]
    widths = [text_width_pt(part, size) for _, part in runs]
    left = x - sum(widths) * {"start": 0, "middle": 0.5, "end": 1}.get(anchor, 0)
    out = []
    for (family, part), width in zip(runs, widths):
        one = re.sub(r'\bx="[-0-9.]+"', f'x="{left:.3f}"', tag, count=1)
        one = re.sub(r"text-anchor: ?\w+", "text-anchor: start", one) if "text-anchor" in one else \
            one.replace("style=\"", "style=\"text-anchor: start; ", 1)
        one = one.replace(f"font-family: '{FONT_FAMILY}'", f"font-family: '{family}'", 1)
        one = one.replace("<text ", '<text xml:space="preserve" ', 1)  # the space between two runs stays
        out.append(f"{one}{escape(part)}{end}")
        left += width
    return "".join(out)


def data_uri(svg: str) -> str:
    """An SVG document as a base64 ``data:`` URI, for an ``<img src>``."""
    import base64

    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def short_name(name: str, width: int = 38) -> str:
    """A body's name cut to ``width`` characters for a chart label, keeping a trailing acronym:
    'Dinas Pemberdayaan Masyarakat dan Desa (Dispermasdes)' -> 'Dinas Pemberdayaan… (Dispermasdes)'."""
    name = " ".join(str(name).split())
    if len(name) <= width:
        return name
    acronym = ""
    if name.endswith(")") and "(" in name:
        acronym = name[name.rindex("("):]
        if len(acronym) > width // 2:
            acronym = ""
    head = name[: len(name) - len(acronym)].strip() if acronym else name
    room = width - len(acronym) - (1 if acronym else 0)
    cut = textwrap.shorten(head, width=max(room, 8), placeholder="\u2026")
    if cut == "\u2026" or len(cut) > room:  # one very long word
        cut = head[: max(room - 1, 1)] + "\u2026"
    cut = cut[:-1].rstrip(" ,;:-") + "\u2026" if cut.endswith("\u2026") else cut
    return f"{cut} {acronym}".strip()


_short = short_name


TICK_PAD_PT = 6  # the tick label's distance from the axis, and a little air at the figure's edge


FAMILY_FILES = {FONT_FAMILY: "DejaVuSans.ttf", "Noto Sans Arabic": "NotoSansArabic-Regular.ttf",
                "Noto Sans Hebrew": "NotoSansHebrew-Regular.ttf", "Noto Sans CJK SC": "NotoSansCJKsc-Regular.otf"}


@functools.lru_cache(maxsize=1)
def _coverage() -> dict[str, frozenset]:
    """The characters each chart font family has (its regular face, as bundled)."""
    from fontTools.ttLib import TTFont

    from ..core.resources import FONTS_DIR

    out = {}
    for family, name in FAMILY_FILES.items():
        if (FONTS_DIR / name).is_file():
            font = TTFont(FONTS_DIR / name, lazy=True)
            out[family] = frozenset(font.getBestCmap() or {})
            font.close()
    return out


def font_runs(text: str) -> list[tuple[str, str]]:
    """``text`` cut into runs, each with the first chart font family that has its characters
    (spaces and punctuation stay with the run they are in): [('DejaVu Sans', 'Sinagoge '),
    ('Noto Sans Hebrew', 'בית הכנסת')]. A character no family has goes with DejaVu Sans (it is
    named by ``kiprank validate`` and the PDF step)."""
    cover = _coverage()
    runs: list[list] = []
    for ch in text:
        point = ord(ch)
        if runs and (ch.isspace() or point in cover.get(runs[-1][0], ())):
            runs[-1][1] += ch
            continue
        family = next((f for f, points in cover.items() if point in points), FONT_FAMILY)
        if runs and runs[-1][0] == family:
            runs[-1][1] += ch
        else:
            runs.append([family, ch])
    return [(f, t) for f, t in runs]


def _no_hinting():
    from matplotlib import ft2font

    flags = getattr(ft2font, "LoadFlags", None)  # matplotlib 3.10+; before, module constants
    return flags.NO_HINTING if flags is not None else ft2font.LOAD_NO_HINTING


def text_width_pt(text: str, size: float) -> float:
    """The width in points of ``text`` in the charts' fonts at ``size`` points (FreeType's advance
    widths with kerning, each run of the text in the font that draws it). Unhinted, as Typst and
    browsers draw SVG text: hinted at a label's 7 pixels, 'n' is 3 points wide instead of 4.3, and a
    label measured so ran up to 12 % past the chart's left edge."""
    from matplotlib.font_manager import get_font

    from ..core.resources import FONTS_DIR

    width = 0.0
    for family, part in font_runs(text):
        font = get_font(str(FONTS_DIR / FAMILY_FILES[family]))
        font.set_size(size, 72)
        with warnings.catch_warnings():  # a character no font has: validate and the PDF step name it
            warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
            font.set_text(part, 0.0, flags=_no_hinting())
        width += font.get_width_height()[0] / 64
    return width


def fit_label(text: str, width_pt: float, size: float) -> str:
    """``text`` as a chart label at most ``width_pt`` wide: whole if it fits, else shortened
    (:func:`short_name`, then cut letter by letter) with an ellipsis. A label never runs off the
    chart's edge, whatever the name (a 300-letter word, a long URL, wide letters)."""
    text = " ".join(str(text).split())
    if text_width_pt(text, size) <= width_pt:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with its ellipsis
        mid = (lo + hi + 1) // 2
        if text_width_pt(text[:mid].rstrip() + "\u2026", size) <= width_pt:
            lo = mid
        else:
            hi = mid - 1
    by_letter = text[:lo].rstrip() + "\u2026"
    for n in range(min(len(text), lo + 12), 7, -1):  # cut at a word, keeping a trailing acronym, if that loses little
        cut = short_name(text, n)
        if text_width_pt(cut, size) <= width_pt:
            keeps_acronym = text.endswith(")") and cut.endswith(")")
            return cut if keeps_acronym or len(cut) >= 0.8 * len(by_letter) else by_letter
    return by_letter


def fit_labels(labels, left: float, size: float, width_in: float = WIDTH_IN) -> list[str]:
    """Labels of a chart's left axis, each fitted to the margin ``left`` (a fraction of the figure
    width ``width_in``); names that differ only past the cut keep the words that tell them apart."""
    room = left * width_in * 72 - TICK_PAD_PT
    fitted = [fit_label(label, room, size) for label in labels]
    texts = [" ".join(str(label).split()) for label in labels]
    alike: dict[str, set[str]] = {}
    for text, label in zip(texts, fitted):
        alike.setdefault(label, set()).add(text)
    distinct: dict[str, str] = {}
    for names in alike.values():
        if len(names) > 1:
            distinct.update(_distinct_labels(names, room, size))
    return [distinct.get(text, label) for text, label in zip(texts, fitted)]


def _distinct_labels(names: set[str], room: float, size: float) -> dict[str, str]:
    """Names whose fitted labels are the same, each as its start, an ellipsis and its last
    words, with as few last words as tell it from the others: names that differ only near their
    end ('Dinas Pemberdayaan Masyarakat dan Desa Nomor 0010 Kabupaten') would otherwise all be
    drawn as the same 'Dinas Pemberdayaan Masyarakat dan Desa…'. A name no such label fits
    keeps the label :func:`fit_label` gave it."""
    heads: dict[tuple[str, float], str] = {}  # names alike share their start: fit it once
    least = text_width_pt("Dinas\u2026", size)

    def label(name: str, k: int) -> str | None:
        words = name.split()
        if k >= len(words):
            return None
        tail = " ".join(words[-k:])
        head_room = math.floor(2 * (room - text_width_pt(" " + tail, size))) / 2  # in half points, shared
        if head_room < least:
            return None
        key = (" ".join(words[:-k]), head_room)
        if key not in heads:
            heads[key] = fit_label(key[0], head_room, size)
        return f"{heads[key]} {tail}"

    tails: dict[str, int] = {}  # each name's fewest last words that no other name ends with
    longest = max(len(name.split()) for name in names)
    for k in range(1, longest):
        ends: dict[str, int] = {}
        for name in names:
            end = " ".join(name.split()[-k:])
            ends[end] = ends.get(end, 0) + 1
        for name in names:
            if name not in tails and len(name.split()) > k and ends[" ".join(name.split()[-k:])] == 1:
                tails[name] = k
    labels = {name: label(name, k) for name, k in tails.items()}
    counts: dict[str | None, int] = {}
    for one in labels.values():
        counts[one] = counts.get(one, 0) + 1
    return {name: one for name, one in labels.items() if one is not None and counts[one] == 1}


def clean_axes(ax, grid_axis: str = "x") -> None:
    """The axes as every chart of the report draws them: no top or right spine, a light grid."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis=grid_axis, color=GRID_COLOR, linewidth=0.5)
    ax.set_axisbelow(True)


def final_scores_chart(names: list[str], scores: list[float], bands: list[str], band_labels: list[str],
                       band_mins: list[float], decimals: int, lang: str) -> str:
    """Horizontal bars of the final score of each body (best at the top), coloured by band.

    The layout is fixed (not fitted to the labels), so the charts of all groups line up."""
    colors = band_colors(band_labels)
    n = len(names)
    fig, ax, y = rows_figure(n, 0.27, 0.27, 0.152, left=0.36, min_rows=2)
    ax.barh(y, scores, color=[colors[b] for b in bands], height=0.72, zorder=2)
    for yi, s in zip(y, scores):
        ax.text(s + 0.8, yi, format_number(s, decimals, lang), va="center", ha="left", fontsize=6.2)
    for m in band_mins:
        if 0 < m < 100:
            ax.axvline(m, color="#5f6b7a", linewidth=0.6, linestyle=(0, (3, 2)), zorder=3)
    ax.set_yticks(y, fit_labels(names, 0.36, 6.8), fontsize=6.8)
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(0, 108)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xticks(range(0, 101, 10))
    clean_axes(ax)
    present = [b for b in band_labels if b in set(bands)]
    fig.legend([_patch(colors[b]) for b in present], present, loc="upper center",
               bbox_to_anchor=(0.66 if len(present) <= 3 else 0.55, 1.0), ncols=min(5, len(present)),
               handlelength=1.2, columnspacing=1.2)
    return svg_text(fig)


def score_histogram_chart(scores: list[float], bands: list[str], band_labels: list[str], band_mins: list[float],
                          x_label: str, y_label: str) -> str:
    """How many bodies score in each 5-point step from 0 to 100, each step's bar stacked by band (for
    a group too large for one bar per body; the table lists every body)."""
    colors = band_colors(band_labels)
    fig = _figure(2.6)
    fig.subplots_adjust(left=0.09, right=0.97, top=0.86, bottom=0.2)
    ax = fig.add_subplot()
    edges = np.arange(0, 105, 5)
    values = np.clip(np.asarray(scores, dtype=float), 0, 99.999)
    bottom = np.zeros(len(edges) - 1)
    present = [b for b in band_labels if b in set(bands)]
    for band in present:
        counts, _ = np.histogram(values[np.asarray(bands) == band], bins=edges)
        ax.bar(edges[:-1], counts, width=5, bottom=bottom, align="edge", color=colors[band], edgecolor="white",
               linewidth=0.4, zorder=2)
        bottom += counts
    for m in band_mins:
        if 0 < m < 100:
            ax.axvline(m, color="#5f6b7a", linewidth=0.6, linestyle=(0, (3, 2)), zorder=3)
    ax.set_xlim(0, 100)
    ax.set_xticks(range(0, 101, 10))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    clean_axes(ax, "y")
    fig.legend([_patch(colors[b]) for b in present], present, loc="upper center", bbox_to_anchor=(0.53, 1.0),
               ncols=min(5, len(present)), handlelength=1.2)
    return svg_text(fig)


def _patch(color: str):
    from matplotlib.patches import Patch

    return Patch(facecolor=color, edgecolor="none")


def claims_chart(points: list[tuple[str, str, float, float]], groups: list[str], labelled: dict[str, int],
                 x_label: str, y_label: str) -> str:
    """Scatter of the self-assessed SAQ score (x) against the verified score (y), one marker per group.

    ``points``: (name, group label, claimed, verified). Bodies in ``labelled`` (name -> number) get
    their number next to the point (the numbers of the table under the chart). The area under the
    diagonal (verified < claimed) is shaded.
    """
    fig = _figure(3.7, width=4.6)
    ax = fig.add_subplot()
    ax.fill_between([0, 100], [0, 100], [0, 0], color="#fbe3e1", zorder=0, linewidth=0)
    ax.plot([0, 100], [0, 100], color="#8a939e", linewidth=0.7, zorder=1)
    for gi, group in enumerate(groups):
        pts = [(c, v) for _, g, c, v in points if g == group]
        if not pts:
            continue
        xs, ys = zip(*pts)
        ax.scatter(xs, ys, s=16, marker=GROUP_MARKERS[gi % len(GROUP_MARKERS)],
                   color=GROUP_COLORS[gi % len(GROUP_COLORS)], label=group, zorder=3,
                   edgecolors="white", linewidths=0.4)
    ax.set_xlim(0, 102)
    ax.set_ylim(0, 102)
    ax.set_aspect("equal")
    placed: list[tuple[float, float, float, float]] = []
    for name, _, c, v in points:
        if name in labelled:
            dx, dy = _free_spot(fig, ax, (c, v), str(labelled[name]), placed)
            ax.annotate(str(labelled[name]), (c, v), xytext=(dx, dy), textcoords="offset points",
                        fontsize=6.5, fontweight="bold", color="#7a1f1a", ha="left", va="top")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    clean_axes(ax, "both")
    ax.legend(loc="upper left")
    return svg_text(fig, tight=True)


LABEL_SPOTS = [(3.5, -1), (3.5, 8), (-9, -1), (-9, 8), (3.5, -9), (-9, -9), (10, -1), (10, 8), (3.5, 16),
               (3.5, -17)]


def _free_spot(fig, ax, point, label: str, placed: list) -> tuple[float, float]:
    """An offset (points) for a number next to ``point`` where it covers no number placed before
    (the boxes in ``placed``, which gets this one): two close points never print their numbers
    over each other."""
    ax.apply_aspect()
    x, y = ax.transData.transform(point) * 72 / fig.dpi
    width, height = 4.2 * len(label) + 1, 7.0
    for dx, dy in LABEL_SPOTS:
        box = (x + dx, y + dy - height, x + dx + width, y + dy)  # text hangs below its anchor (va top)
        if all(box[2] <= b[0] or box[0] >= b[2] or box[3] <= b[1] or box[1] >= b[3] for b in placed):
            placed.append(box)
            return dx, dy
    placed.append((x + 3.5, y - 1 - height, x + 3.5 + width, y - 1))
    return 3.5, -1


def band_distribution_chart(group_labels: list[str], counts: list[list[int]], categories: list[str],
                            colors: list[str], x_label: str) -> str:
    """Stacked horizontal bars: for each group, how many bodies fall in each category (band)."""
    n = len(group_labels)
    fig, ax, y = rows_figure(n, 0.5, 0.45, 0.34, left=0.2)
    left = np.zeros(n)
    data = np.array(counts, dtype=float).reshape(n, len(categories))
    for ci, (cat, color) in enumerate(zip(categories, colors)):
        widths = data[:, ci]
        ax.barh(y, widths, left=left, color=color, height=0.62, label=cat, zorder=2,
                edgecolor="white", linewidth=0.6)
        for yi, lft, w in zip(y, left, widths):
            if w > 0:
                ax.text(lft + w / 2, yi, str(int(w)), ha="center", va="center", fontsize=6.5,
                        color=TEXT_COLOR if color in ("#f2b705", "#7cb342") else "white")
        left += widths
    ax.set_yticks(y, fit_labels(group_labels, 0.2, _RC["font.size"]))
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlim(0, max(left.max(), 1))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(x_label)
    clean_axes(ax)
    fig.legend(loc="upper center", bbox_to_anchor=(0.585, 1.0), ncols=min(3, len(categories)), handlelength=1.2)
    return svg_text(fig)


def missing_items_chart(labels: list[str], shares: list[float], x_label: str, lang: str) -> str:
    """Horizontal bars: share (%) of assessed bodies missing each website item, most missed at the top."""
    n = len(labels)
    fig, ax, y = rows_figure(n, 0.08, 0.42, 0.2, left=0.35, min_rows=2)
    ax.barh(y, shares, color="#1f4e79", height=0.68, zorder=2)
    for yi, s in zip(y, shares):
        ax.text(s + 0.8, yi, format_number(s, 0, lang) + "%", va="center", ha="left", fontsize=6.5)
    ax.set_yticks(y, fit_labels(labels, 0.35, _RC["font.size"]))
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(0, 108)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel(x_label)
    clean_axes(ax)
    return svg_text(fig)


__all__ = ["band_colors", "final_scores_chart", "score_histogram_chart", "fit_label", "fit_labels", "text_width_pt",
           "claims_chart", "band_distribution_chart", "missing_items_chart", "NOT_RETURNED_COLOR", "svg_text",
           "clean_axes"]
