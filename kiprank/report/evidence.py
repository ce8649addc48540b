"""The evidence check's documents: the region summary (``evidence.html`` and ``evidence.pdf``, from
one content, as the corrections list is made) and the table of each body's workbook.

The content is decided here from the check's table (:data:`kiprank.intake.evidence.COLUMNS`, as
``kiprank evidence`` computed it or as ``evidence.csv`` holds it): counts per status, per body with
the worst first, and the list of problems. Words in ``kiprank/words/evidence.<lang>.yml``; every
string of a body or a link is data (escaped in HTML, JSON for Typst).
"""

from __future__ import annotations

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ..core.formatting import format_int, format_number, format_percent
from ..core.version import __version__
from ..core.wording import words
from ..intake.evidence import FINE, STATUSES
from . import blocks as B
from .html import section_html

PROBLEM_ROWS = 600       # rows of the problem list in the summary (all are in evidence.csv)
SHOWN_EVIDENCE = 90      # characters of a link shown in the summary's list


def _short(text, n: int) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def _breakable(text: str, every: int = 24) -> str:
    """A long link with a break opportunity (zero-width space) every ``every`` characters of an
    unbroken run, so that a table cell can wrap it (shown text only; evidence.csv keeps the link)."""
    return " ".join(w if len(w) <= every else "\u200b".join(w[i:i + every] for i in range(0, len(w), every))
                    for w in text.split(" "))


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _size(value, lang: str) -> str:
    if _blank(value):
        return ""
    n = float(value)
    if n >= 1024 * 1024:
        return format_number(n / 1048576, 1, lang) + " MB"
    return format_number(n / 1024, 1, lang) + " KB"


def status_order(statuses) -> list[str]:
    """The statuses of ``statuses`` in the check's order (problems first, ``ok`` last)."""
    rank = {s: i for i, s in enumerate(STATUSES)}
    return sorted(dict.fromkeys(statuses), key=lambda s: rank.get(s, len(rank)))


def body_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per body: body_id, name, group, items, problems, ok, worst (its most frequent problem, the
    worse status first on a tie); most problems first, then by name."""
    columns = ["body_id", "name", "group", "items", "problems", "ok", "worst"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    bad = ~table["status"].isin(FINE)
    g = table.assign(_bad=bad, _ok=table["status"] == "ok").groupby("body_id", sort=False)
    out = pd.DataFrame({"name": g["name"].first().astype(str), "group": g["group"].first().astype(str),
                        "items": g.size(), "problems": g["_bad"].sum().astype(int), "ok": g["_ok"].sum().astype(int)})
    rank = {s: i for i, s in enumerate(STATUSES)}
    counts = table[bad].groupby(["body_id", "status"], sort=False).size().reset_index(name="n")
    counts["_rank"] = counts["status"].map(lambda s: rank.get(s, len(rank)))
    worst = counts.sort_values(["n", "_rank"], ascending=[False, True], kind="stable").drop_duplicates("body_id")
    out["worst"] = worst.set_index("body_id")["status"].reindex(out.index).fillna("")
    out = out.reset_index()[columns]
    return out.sort_values(["problems", "name", "body_id"], ascending=[False, True, True], kind="stable")


def evidence_content(table: pd.DataFrame, *, region: str, year: int, issuer: str, settings: dict, started: str,
                     notes: list[str] | None = None, lang: str = "id") -> dict:
    """The summary's content data (``meta`` and one section) for the HTML page and the PDF."""
    t = words("evidence", lang)
    label = t["status"]
    n = len(table)
    bad = table[~table["status"].isin(FINE)]
    mode = (t["mode_offline"] if settings.get("offline") else
            t["mode_online"].format(concurrency=settings.get("concurrency", ""), per_host=settings.get("per_host", "")))
    blocks = [B.para(t["lead"]),
              B.para(t["when"].format(start=started.replace("T", " ").rstrip("Z"), mode=mode,
                                      max_mb=format_number(settings.get("max_mb", 0), 1, lang),
                                      timeout=format_number(settings.get("timeout", 0), 0, lang)), "muted")]
    if settings.get("archive"):
        kept = len({a for a in table["archived"] if a})
        blocks.append(B.para(t["archive_on"].format(n=format_int(kept, lang)), "muted"))
    if n == 0:
        blocks.append(B.para(t["none_cited"]))
    else:
        blocks.append(B.para(B.bold(t["totals"].format(
            items=format_int(n, lang), bodies=format_int(table["body_id"].nunique(), lang),
            problems=format_int(len(bad), lang), ok=format_int(int((table["status"] == "ok").sum()), lang)))))
    if notes:
        blocks.append(B.notice("info", t["notes_title"], list(notes)))
    if n:
        counts = table["status"].value_counts()
        rows = [[B.tone(label.get(s, s), "flat" if s in FINE else "down"), s, format_int(int(counts[s]), lang),
                 format_percent(int(counts[s]), n, 1, lang), t["meaning"].get(s, "")]
                for s in status_order(counts.index)]
        blocks.append(B.table([t["col_status"], t["col_code"], t["col_count"], t["col_share"], t["col_meaning"]], rows,
                              caption=B.caption(t["status_table"], t["status_title"]), compact=True,
                              cols=["", "code", "num", "num", ""], widths=["48mm", "34mm", "18mm", "20mm", None]))
        per_body = body_summary(table)
        rows = [[B.with_sub(r.name, r.group) if r.group else r.name, format_int(r.items, lang),
                 B.tone(format_int(r.problems, lang), "down") if r.problems else format_int(0, lang),
                 format_int(r.ok, lang), label.get(r.worst, r.worst)] for r in per_body.itertuples(index=False)]
        blocks.append(B.table([t["col_body"], t["col_items"], t["col_problems"], t["col_ok"], t["col_worst"]], rows,
                              caption=B.caption(t["body_table"], t["body_title"]), compact=True,
                              cols=["name", "num", "num", "num", ""], widths=[None, "22mm", "24mm", "18mm", "60mm"]))
    if len(bad):
        order = {b: i for i, b in enumerate(body_summary(table)["body_id"])}
        listed = bad.assign(_o=bad["body_id"].map(order)).sort_values("_o", kind="stable").head(PROBLEM_ROWS)
        rows = [[B.with_sub(str(r["name"]), str(r["body_id"])), str(r["question_id"]),
                 _breakable(_short(r["evidence"], SHOWN_EVIDENCE)) or "\u2014", label.get(r["status"], r["status"]),
                 _short(r["detail"], 160)] for _, r in listed.iterrows()]
        blocks.append(B.table([t["col_body"], t["col_question"], t["col_evidence"], t["col_status"], t["col_detail"]],
                              rows, caption=B.caption(t["problem_table"], t["problem_title"]), compact=True,
                              cols=["name", "code", "", "", ""], widths=["48mm", "24mm", "72mm", "36mm", None]))
        if len(bad) > PROBLEM_ROWS:
            blocks.append(B.para(t["problems_cut"].format(shown=format_int(PROBLEM_ROWS, lang), n=format_int(len(bad), lang)),
                                 "muted"))
    title = t["doc_title"].format(region=region, year=year)
    meta = {"title": title, "author": issuer, "keywords": [f"kiprank {__version__}", "evidence"],
            "description": t["when"].format(start=started, mode=mode, max_mb=settings.get("max_mb", ""),
                                            timeout=settings.get("timeout", "")),
            "running": t["running"], "footer": t["footer"].format(version=__version__), "page-word": t["page_word"],
            "of-word": t["of_word"], "lang": lang, "landscape": True}
    return {"meta": meta, "sections": [B.section(None, title, "bukti", blocks, newpage=False)]}


def evidence_html(data: dict, lang: str = "id") -> str:
    """The summary's HTML page from its content data (:func:`evidence_content`)."""
    env = Environment(loader=PackageLoader("kiprank", "templates"), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("evidence.html.j2").render(
        title=data["meta"]["title"], lang=lang, version=__version__,
        body=Markup("".join(section_html(s) for s in data["sections"])))


def body_sheet(table: pd.DataFrame, lang: str = "id") -> pd.DataFrame:
    """One body's rows for its workbook, with the words' headers and status labels (the status
    code is kept beside its label)."""
    t = words("evidence", lang)
    out = pd.DataFrame({
        t["col_question"]: table["question_id"].astype(str),
        t["col_cited_in"]: table["cited_in"].map(lambda c: t["cited_in"].get(c, c)),
        t["col_evidence"]: table["evidence"].astype(str),
        t["col_status"]: table["status"].map(lambda s: t["status"].get(s, s)),
        t["col_code"]: table["status"].astype(str),
        t["col_detail"]: table["detail"].astype(str),
        t["col_http"]: table["http_status"].map(lambda v: "" if _blank(v) else str(int(float(v)))),
        t["col_type"]: table["content_type"].astype(str),
        t["col_size"]: table["size"].map(lambda v: _size(v, lang)),
        t["col_sha256"]: table["sha256"].astype(str),
        t["col_archived"]: table["archived"].astype(str),
        t["col_checked"]: table["checked_at"].astype(str),
    })
    return out.fillna("")


def letter_evidence(table: pd.DataFrame | None, body_id: str, checked: str, lang: str = "id",
                    max_mb: float | str = 2, limit: int = 40) -> dict | None:
    """A letter's list of the body's evidence problems (the shape of the letter's shortfall list:
    ``heading``, ``intro``, ``none``, ``groups`` of ``items`` with ``code``, ``label``, ``earned``,
    ``advice``), or None when no evidence check was published."""
    if table is None:
        return None
    t = words("evidence", lang)
    mine = table[table["body_id"].astype(str) == str(body_id)]
    bad = mine[~mine["status"].isin(FINE)]
    out = {"heading": t["letter_heading"], "intro": t["letter_intro"].format(date=checked), "none": "", "groups": []}
    if bad.empty:
        out["none"] = t["letter_none"]
        return out
    items = []
    for _, r in bad.head(limit).iterrows():
        status = str(r["status"])
        items.append({"code": str(r["question_id"]), "label": _short(r["evidence"], 160) or "\u2014",
                      "earned": t["status"].get(status, status),
                      "advice": t["advice"].get(status, "").format(max_mb=max_mb)})
    if len(bad) > limit:
        items.append({"code": "", "label": t["letter_more"].format(n=format_int(len(bad) - limit, lang)), "earned": "",
                      "advice": ""})
    out["groups"].append({"title": t["letter_group"].format(label=t["sheet"]), "items": items})
    return out


__all__ = ["evidence_content", "evidence_html", "body_sheet", "body_summary", "letter_evidence", "status_order"]
