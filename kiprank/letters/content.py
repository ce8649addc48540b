"""What each result letter says: every number and sentence, decided from the scored tables.

Pure functions: they take the scored year (and, when it exists, the scored previous year) and return
plain data (dicts, lists and strings, ready to be handed to Typst as JSON). Nothing here reads files,
lays out a page or knows Typst; :mod:`kiprank.letters.render` does that. Words come from
``kiprank/words/letters.<lang>.yml``, numbers are written with :mod:`kiprank.core.formatting`.

A letter (see :func:`letter_data`) holds, for one body:

- ``body_id``, ``name``, ``number`` (from ``letter_number`` in region.yml, else ""), ``date``;
- ``to`` (address lines), ``subject``, ``salutation``, ``opening``;
- ``result``: ``score``, ``band``, ``band_color``, ``rank`` (text), ``sentence``; ``stages``: one row per
  stage (``label``, ``weight``, ``score``, ``points``) and ``final`` (the final score);
- ``previous``: ``heading`` and ``paras`` (only when the previous year was scored), else None;
- ``not_returned``: ``heading``, ``paras``, ``todo_intro``, ``todo`` (list) for a body that did not
  return the SAQ, else None;
- ``shortfalls``: ``intro`` and ``groups`` (``title``, ``items``: ``code``, ``label``, ``earned``,
  ``advice``), exactly what the body's annex score sheet lists as not fully earned; ``none`` when
  nothing is missing;
- ``notes``: the scoring notes of the body (gates), or "";
- ``certificate``: the certificate page (top band, when asked for), else None.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ..core.version import __version__
from ..report.charts import NOT_RETURNED_COLOR, band_colors
from ..analysis.compare import decompose, match_bodies, rank_changes, same_scoring, short_stage_label, signed
from ..core.formatting import check_lang, format_date, format_int, format_number, format_weight
from ..core.inputs import RegionInputs
from ..core.methodology import Methodology
from ..core.scoring import ScoreResult, body_notes
from ..core.wording import words
from ..report.objections_content import RoundView

EPS = 1e-9


@dataclass
class Scored:
    """One scored year of a region: its validated inputs and its scores."""

    inputs: RegionInputs
    result: ScoreResult

    @property
    def year(self) -> int:
        return int(self.inputs.year)


@dataclass
class LetterSet:
    """What the letters of one region and year are made from.

    ``previous``: the scored previous year (None when ``<inputs>/<year-1>/<region>/`` does not exist);
    ``crosswalk``: renamed ids between the years (see :func:`kiprank.analysis.compare.match_bodies`);
    ``fingerprint``: the published run's manifest fingerprint, printed in the footer.
    """

    current: Scored
    lang: str = "id"
    report_date: date | None = None
    previous: Scored | None = None
    crosswalk: pd.DataFrame | None = None
    fingerprint: str = ""
    certificates: bool = False
    logo: list[int] | None = None
    evidence: pd.DataFrame | None = None  # evidence.csv of the published folder (kiprank evidence), if any
    evidence_settings: dict | None = None
    objections: RoundView | None = None  # the objection round (kiprank.report.objections_content), if any


# -- the region's facts, worked out once -----------------------------------------------------

@dataclass
class _Facts:
    t: dict
    m: Methodology
    ranking: pd.DataFrame
    rows: dict
    order: dict
    ranked_n: dict
    contributions: dict
    colors: dict
    changes: dict
    drivers: dict
    same_method: bool
    position: dict  # body_id -> row of the score matrices
    q_stages: list
    q_matrix: np.ndarray | None  # questionnaire stages x bodies x questions: fraction earned
    prev_rows: dict
    prev_ranked_n: dict
    checklists: dict  # checklist stage id -> bodies x items: fraction earned


def _facts(ls: LetterSet) -> _Facts:
    check_lang(ls.lang)
    res = ls.current.result
    m = res.methodology
    r = res.ranking
    rows = {str(row["body_id"]): row for row in r.to_dict("records")}
    order = {b: i for i, b in enumerate(rows)}  # report order: group, rank, name
    ranked_n = r[r["rank"].notna()].groupby("group").size().to_dict()
    ind = res.indicators
    sums = ind.groupby([ind["body_id"].astype(str), ind["stage"].astype(str)], sort=False, observed=True)["contribution"].sum()
    contributions = {key: float(v) for key, v in sums.items()}
    q_stages = [s for s in m.stages if s.source in ("questionnaire", "verification") and s.id in res.matrices]
    checklists = {s.id: res.matrices[s.id] for s in m.stages_of("checklist") if s.id in res.matrices}
    q_matrix = np.stack([res.matrices[s.id] for s in q_stages]) if q_stages else None
    prev_rows, prev_ranked_n = {}, {}
    changes, drivers, same_method = {}, {}, True
    if ls.previous is not None:
        prev = ls.previous.result
        matches = match_bodies(prev.ranking, r, ls.crosswalk)
        for row in matches.itertuples(index=False):
            if row.body_id_2 is not None:
                changes[str(row.body_id_2)] = {"match": row.match, "link": row.link, "body_id_1": row.body_id_1}
        table = rank_changes(prev, res, matches)
        for row in table.to_dict("records"):
            changes[str(row["body_id_2"])].update(row)
        dec = decompose(prev, res, matches)
        for key, rows_of in dec.groupby("key", sort=False):
            drivers[str(key)] = rows_of
        same_method = same_scoring(prev.methodology, m)
        pr = prev.ranking
        prev_rows = {str(row["body_id"]): row for row in pr.to_dict("records")}
        prev_ranked_n = pr[pr["rank"].notna()].groupby("group").size().to_dict()
    return _Facts(words("letters", ls.lang), m, r, rows, order, ranked_n, contributions,
                  band_colors(m.band_labels), changes, drivers, same_method,
                  {str(b): i for i, b in enumerate(res.body_order)}, q_stages, q_matrix, prev_rows, prev_ranked_n,
                  checklists)


def letter_number(ls: LetterSet, n: int) -> str:
    """The letter's number from the region's ``letter_number`` pattern ('' without one)."""
    pattern = ls.current.inputs.config.letter_number
    return pattern.format(n=n, year=ls.current.year) if pattern else ""


def shorten(text: str, n: int) -> str:
    """``text`` cut to ``n`` characters with an ellipsis (for one-line headers and footers)."""
    text = str(text)
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


def top_band(m: Methodology) -> str:
    return m.bands[0].label


def letters_data(ls: LetterSet, body_ids: list[str] | None = None) -> dict:
    """The data of one document holding the letters of ``body_ids`` (default: every body, in report
    order), as handed to the Typst template ``letter.typ``."""
    f = _facts(ls)
    wanted = list(f.rows) if body_ids is None else list(body_ids)
    unknown = [b for b in wanted if b not in f.rows]
    if unknown:
        raise KeyError(", ".join(unknown))
    wanted.sort(key=f.order.__getitem__)
    letters = [_letter(ls, f, b) for b in wanted]
    return document_data(ls, letters)


def document_data(ls: LetterSet, letters: list[dict]) -> dict:
    """The document around ``letters`` (from :func:`letters_data` or a subset of its letters)."""
    t, cfg = words("letters", ls.lang), ls.current.inputs.config
    year = ls.current.year
    if len(letters) == 1:
        title = t["doc_title"].format(year=year, name=letters[0]["name"])
    else:
        title = t["doc_title_all"].format(year=year, region=cfg.region, n=format_int(len(letters), ls.lang))
    footer = t["footer"].format(version=__version__, issuer=shorten(cfg.issuer, 70))
    if ls.fingerprint:
        footer += t["footer_fingerprint"].format(fingerprint=ls.fingerprint)
    return {
        "meta": {"title": title, "author": cfg.issuer, "lang": ls.lang,
                 "keywords": [k for k in (f"manifest {ls.fingerprint}" if ls.fingerprint else "", "kiprank") if k]},
        "letterhead": {"issuer": cfg.issuer, "region": cfg.region, "logo": ls.logo},
        "labels": {**{k: t[k] for k in ("number_label", "attachment_label", "subject_label", "final_score", "band",
                                        "rank", "stage", "weight", "stage_score", "points", "regards", "page",
                                        "certificate_title", "certificate_given", "certificate_reason")},
                   "logo_alt": t["logo_alt"].format(issuer=cfg.issuer)},
        "footer": footer,
        "letters": letters,
    }


def letter_data(ls: LetterSet, body_id: str) -> dict:
    """The letter of one body (see the module docstring for its fields)."""
    f = _facts(ls)
    if body_id not in f.rows:
        raise KeyError(body_id)
    return _letter(ls, f, body_id)


def _letter(ls: LetterSet, f: _Facts, body_id: str) -> dict:
    """One body's letter (the fields of the module docstring), its parts in the letter's order."""
    t, m, lang = f.t, f.m, ls.lang
    cfg = ls.current.inputs.config
    year = ls.current.year
    body = f.rows[body_id]
    name = str(body["name"])
    returned = bool(body["returned"])
    num = lambda v, d=None: format_number(v, m.decimals if d is None else d, lang)  # noqa: E731
    ranked = not pd.isna(body["rank"])
    n_group = int(f.ranked_n.get(body["group"], 0))
    rank_text = (t["rank_value"].format(rank=format_int(body["rank"], lang), n=format_int(n_group, lang),
                                        group=body["group_label"]) if ranked else t["no_rank"])
    color = f.colors.get(body["band"], NOT_RETURNED_COLOR) if returned else NOT_RETURNED_COLOR
    score_text = num(body["final"]) if returned or m.not_returned.ranked else "\u2014"
    certificate_due = ls.certificates and returned and body["band"] == top_band(m)

    letter = {
        "body_id": body_id,
        "name": name,
        "running": shorten(name, 60),  # the header of the letter's later pages: one line
        "number": letter_number(ls, f.order[body_id] + 1),
        "date": format_date(ls.report_date, lang) if ls.report_date else "",
        "attachment": t["attachment_certificate"] if certificate_due else t["attachment_none"],
        "subject": t["subject"].format(year=year),
        "to": [line for line in (t["to_line"].format(name=name), t["to_place"]) if line],
        "salutation": t["salutation"],
        "opening": t["opening"].format(title=cfg.title, issuer=cfg.issuer, methodology=m.name),
        "result_heading": t["result_heading"],
        "result": {"score": score_text, "band": str(body["band"]), "band_color": color, "rank": rank_text},
        "stages": [],
        "final": score_text,
        "stage_note": "",
        "previous": None,
        "not_returned": None,
        "shortfalls": None,
        "notes": "",
        "notes_heading": t["notes_heading"],
        "closing": t["closing"],
        "signatory": _signatory(ls),
        "certificate": _certificate(ls, f, body, score_text) if certificate_due else None,
    }
    if returned:
        key = "result_sentence" if ranked else "result_sentence_unranked"
        letter["result"]["sentence"] = t[key].format(
            name=name, score=score_text, band=body["band"], rank=format_int(body["rank"], lang),
            n=format_int(n_group, lang), group=body["group_label"])
        letter["stages"] = _stage_rows(f, body, lang)
        letter["stage_note"] = t["stage_table_note"]
        letter["shortfalls"] = _shortfalls(ls, f, body_id)
    else:
        letter["result"]["sentence"] = ""
        letter["not_returned"] = _not_returned(ls, f, body, score_text, n_group)
    letter["notes"] = body_notes(ls.current.result, body_id, lang) or ""
    if ls.previous is not None:
        letter["previous"] = _previous(ls, f, body)
    if ls.objections is not None:  # preliminary results, or final ones after the objection round
        _add_round(ls, f, letter, returned)
    if ls.evidence is not None:
        letter["evidence"] = _evidence(ls, body_id)
    return letter


def _add_round(ls: LetterSet, f: _Facts, letter: dict, returned: bool) -> None:
    """The objection round in a letter: the stamp of preliminary results, the subject, how to object
    (preliminary) or what became of the body's objections (final), and no certificate before the
    results are final."""
    from .objections import letter_round, letter_stamp, letter_subject

    lang = ls.lang
    letter["stamp"] = letter_stamp(ls.objections, lang)
    letter["subject"] = letter_subject(ls.objections, lang, ls.current.year) or letter["subject"]
    letter["round"] = letter_round(ls.objections, letter["body_id"], letter["name"], ls.current.inputs.config.issuer,
                                   f.m.decimals, lang) if returned else None
    if ls.objections.preliminary and letter["certificate"] is not None:  # no award on preliminary results
        letter["certificate"], letter["attachment"] = None, f.t["attachment_none"]


def _evidence(ls: LetterSet, body_id: str) -> dict:
    """What ``kiprank evidence`` found wrong with the body's cited links and files, and when."""
    from ..report.evidence import letter_evidence

    es = ls.evidence_settings or {}
    checked = str(es.get("started", ""))[:10]
    return letter_evidence(ls.evidence, body_id, format_date(date.fromisoformat(checked), ls.lang) if checked else "",
                           ls.lang, format_number(es.get("max_mb", 2), 1, ls.lang))


def _stage_rows(f: _Facts, body: dict, lang: str) -> list[dict]:
    m = f.m
    dec = max(2, m.decimals)
    body_id = str(body["body_id"])
    return [{"label": s.label, "weight": format_weight(s.weight, lang) + "%",
             "score": format_number(body[s.id], m.decimals, lang),
             "points": format_number(f.contributions.get((body_id, s.id), 0.0), dec, lang)} for s in m.stages]


# -- what was not fully earned ---------------------------------------------------------------

UNMET_COLUMNS = ["kind", "stage", "group", "code", "label", "earned", "fractions"]


def unmet_items(ls: LetterSet, body_id: str) -> pd.DataFrame:
    """What the body's annex score sheet lists as not fully earned (as
    :func:`kiprank.core.scoring.shortfalls` finds it), one row per question or checklist item: columns kind
    (``question`` / ``item``), stage (the checklist stage id, or the questionnaire stages joined with
    '/'), group (indicator id or checklist stage id), code (question id or item id), label, earned (text
    per stage, e.g. 'SAQ 100% / Verifikasi 0%'), fractions (the fraction earned per stage, in stage
    order)."""
    f = _facts(ls)
    return pd.DataFrame(_unmet(f, body_id, ls.lang), columns=UNMET_COLUMNS)


def _unmet(f: _Facts, body_id: str, lang: str) -> list[tuple]:
    m = f.m
    i = f.position[body_id]
    rows = []
    if f.q_matrix is not None:
        vals = f.q_matrix[:, i, :]
        lacking = np.flatnonzero((vals < 1 - 1e-9).any(axis=0))
        stage_ids = "/".join(s.id for s in f.q_stages)
        shorts = [short_stage_label(s) for s in f.q_stages]
        questions = m.questionnaire.questions
        for j in lacking:
            q = questions[j]
            fractions = [float(v) if v < 1 - 1e-9 else 1.0 for v in vals[:, j]]
            rows.append(("question", stage_ids, q.indicator, q.id, q.text,
                         " / ".join(f"{sh} {_pct(v, lang)}" for sh, v in zip(shorts, fractions)), fractions))
    for stage in m.stages_of("checklist"):
        matrix = f.checklists.get(stage.id)
        if matrix is None:
            continue
        short = short_stage_label(stage)
        for j in np.flatnonzero(matrix[i] < 1 - 1e-9):
            item = stage.items[j]
            v = float(matrix[i, j])
            rows.append(("item", stage.id, stage.id, item.id, item.label, f"{short} {_pct(v, lang)}", [v]))
    return rows


def _pct(value: float, lang: str) -> str:
    return format_number(100 * value, 0, lang) + "%"


def _advice(given, lang: str) -> str:
    if isinstance(given, dict):
        return given.get(lang) or given.get("id") or next(iter(given.values()), "")
    return given or ""


def _question_advice(t: dict, m: Methodology, question, fractions: list[float], lang: str) -> str:
    own = _advice(question.advice, lang)
    if own:
        return own
    q_stages = [s for s in m.stages if s.source in ("questionnaire", "verification")]
    by_source = {s.source: v for s, v in zip(q_stages, fractions)}
    claimed, verified = by_source.get("questionnaire"), by_source.get("verification")
    text = question.text or question.id
    if claimed is not None and claimed >= 1 - EPS and verified is not None and verified < 1 - EPS:
        return t["advice_unverified"].format(text=text)
    best = claimed if claimed is not None else verified
    if best is not None and best > EPS:
        return t["advice_partial"].format(text=text)
    return t["advice_unmet"].format(text=text)


def _score_stages_below_full(f: _Facts, body_id: str) -> list:
    """The stages scored directly (a presentation, a visit) where the body scored below 100."""
    body = f.rows[body_id]
    return [s for s in f.m.stages if s.source == "score" and not pd.isna(body[s.id]) and float(body[s.id]) < 100 - EPS]


def _shortfalls(ls: LetterSet, f: _Facts, body_id: str) -> dict:
    t, m, lang = f.t, f.m, ls.lang
    items = _unmet(f, body_id, lang)
    scored = _score_stages_below_full(f, body_id)
    out = {"heading": t["shortfalls_heading"], "intro": t["shortfalls_intro"].format(next_year=ls.current.year + 1),
           "none": "", "groups": []}
    body = f.rows[body_id]
    direct = {"title": t["shortfalls_scores"], "items": [
        {"code": "", "label": s.label, "earned": t["stage_earned"].format(score=format_number(body[s.id], m.decimals, lang)),
         "advice": t["advice_score_stage"].format(stage=s.label)} for s in scored]}
    if not items:
        if scored:
            out["groups"].append(direct)
        else:
            out["none"] = t["shortfalls_none"]
        return out
    questions = {q.id: q for q in m.questionnaire.questions} if m.questionnaire else {}
    stages_text = " / ".join(short_stage_label(s) for s in f.q_stages)
    by_group: dict[tuple[str, str], list[dict]] = {}
    for kind, stage, group, code, label, earned, fractions in items:
        if kind == "question":
            entry = {"code": code, "label": label, "earned": earned,
                     "advice": _question_advice(t, m, questions[code], fractions, lang)}
        else:
            item = next(i for i in m.stage(stage).items if i.id == code)
            entry = {"code": "", "label": label, "earned": earned,
                     "advice": _advice(item.advice, lang) or t["advice_item"].format(label=label, stage=m.stage(stage).label)}
        by_group.setdefault((kind, group), []).append(entry)
    if m.questionnaire:
        for ind in m.questionnaire.indicators:
            if ("question", ind.id) in by_group:
                out["groups"].append({"title": t["shortfalls_questions"].format(stages=stages_text, indicator=ind.label),
                                      "items": by_group[("question", ind.id)]})
    for stage in m.stages_of("checklist"):
        if ("item", stage.id) in by_group:
            out["groups"].append({"title": t["shortfalls_items"].format(stage=stage.label),
                                  "items": by_group[("item", stage.id)]})
    if scored:
        out["groups"].append(direct)
    return out


# -- a body that did not return the SAQ ------------------------------------------------------

def _not_returned(ls: LetterSet, f: _Facts, body: dict, score_text: str, n_group: int) -> dict:
    t, m, lang = f.t, f.m, ls.lang
    nr = m.not_returned
    name = str(body["name"])
    if nr.ranked and not pd.isna(body["rank"]):
        meaning = t["not_returned_meaning_ranked"].format(
            name=name, status=nr.status, score=score_text, band=body["band"], rank=format_int(body["rank"], lang),
            n=format_int(n_group, lang), group=body["group_label"])
    else:
        meaning = t["not_returned_meaning"].format(name=name, status=nr.status, band=body["band"])
    paras = [meaning]
    if m.questionnaire:
        inds = "; ".join(f"{i.label} ({format_weight(i.weight, lang)}%)" for i in m.questionnaire.indicators)
        paras.append(t["not_returned_scope"].format(questions=format_int(len(m.questionnaire.questions), lang),
                                                    k=format_int(len(m.questionnaire.indicators), lang),
                                                    indicators=inds))
    return {"heading": t["not_returned_heading"], "paras": paras,
            "todo_intro": t["not_returned_todo_intro"].format(next_year=ls.current.year + 1),
            "todo": [line.strip() for line in t["not_returned_todo"].splitlines() if line.strip()]}


# -- the previous year -----------------------------------------------------------------------

def _previous(ls: LetterSet, f: _Facts, body: dict) -> dict:
    t, lang = f.t, ls.lang
    prev = ls.previous
    py = prev.year
    body_id = str(body["body_id"])
    name = str(body["name"])
    heading = t["previous_heading"].format(year=py)
    ch = f.changes.get(body_id)
    if ch is None or ch["match"] == "entered":
        return {"heading": heading, "paras": [t["previous_absent"].format(name=name, year=py)]}
    if ch["match"] not in ("same", "renamed"):
        return {"heading": heading, "paras": [t["previous_restructured"].format(name=name, year=py, link=ch["link"])]}
    pm = prev.result.methodology
    dec = max(pm.decimals, f.m.decimals)
    prev_row = f.prev_rows[str(ch["body_id_1"])]
    prev_n = int(f.prev_ranked_n.get(prev_row["group"], 0))
    prev_rank = (t["rank_of"].format(rank=format_int(prev_row["rank"], lang), n=format_int(prev_n, lang))
                 if not pd.isna(prev_row["rank"]) else t["no_rank"])
    r1, r2 = bool(ch["returned_1"]), bool(ch["returned_2"])
    prev_score = format_number(ch["final_1"], pm.decimals, lang)
    if not r1 and not r2:
        return {"heading": heading, "paras": [t["previous_not_returned_both"].format(name=name, year=py)]}
    if not r1:
        return {"heading": heading, "paras": [t["previous_not_returned_then"].format(
            name=name, year=py, status=pm.not_returned.status)]}
    if not r2:
        return {"heading": heading, "paras": [t["previous_not_returned_now"].format(
            name=name, year=py, score=prev_score, band=ch["band_1"], rank=prev_rank)]}
    change = float(ch["final_change"])
    now = format_number(ch["final_2"], f.m.decimals, lang)
    delta = format_number(abs(change), dec, lang)
    if abs(change) < 0.5 * 10 ** -dec:
        score_move = t["previous_score_same"].format(now=now)
    else:
        score_move = t["previous_score_up" if change > 0 else "previous_score_down"].format(delta=delta, now=now)
    rank_now = format_int(body["rank"], lang) if not pd.isna(body["rank"]) else t["no_rank"]
    if pd.isna(ch["rank_change"]):
        rank_move = t["previous_rank_na"].format(now=rank_now)
    elif ch["rank_change"] > 0:
        rank_move = t["previous_rank_up"].format(before=format_int(prev_row["rank"], lang), now=rank_now)
    elif ch["rank_change"] < 0:
        rank_move = t["previous_rank_down"].format(before=format_int(prev_row["rank"], lang), now=rank_now)
    else:
        rank_move = t["previous_rank_same"].format(now=rank_now)
    paras = [t["previous_both"].format(year=py, name=name, score=prev_score, band=ch["band_1"], rank=prev_rank,
                                       score_move=score_move, rank_move=rank_move)]
    named = largest_drivers(f.drivers.get(str(ch["key"])), f.m, pm, dec, lang, t)
    if len(named) >= 2:
        paras.append(t["previous_drivers"].format(first=named[0], second=named[1]))
    elif named:
        paras.append(t["previous_driver_one"].format(first=named[0]))
    if not f.same_method:
        paras.append(t["previous_method_changed"].format(year=py))
    return {"heading": heading, "paras": paras}


def largest_drivers(rows: pd.DataFrame | None, m: Methodology, m_prev: Methodology, decimals: int, lang: str,
                    t: dict | None = None, n: int = 2) -> list[str]:
    """The ``n`` rows of a body's decomposition (:func:`kiprank.analysis.compare.decompose`) with the
    largest absolute change, largest first, as 'Stage – indicator (−1,23 poin)'; changes smaller
    than half a unit of the last decimal shown are left out."""
    if rows is None or rows.empty:
        return []
    t = t or words("letters", lang)
    eps = 0.5 * 10 ** -decimals
    d = rows.assign(size=rows["change"].abs().round(12))
    d = d[d["size"] >= eps].sort_values("size", ascending=False, kind="mergesort").head(n)
    out = []
    for row in d.itertuples():
        stage = _stage_or_none(m, row.stage) or _stage_or_none(m_prev, row.stage)
        short = short_stage_label(stage, row.stage_label or row.stage)
        change = signed(row.change, decimals, lang)
        if row.indicator == row.stage:  # a score stage, or a body gated out of the stage
            out.append(t["previous_driver_stage"].format(stage=short, change=change))
        else:
            out.append(t["previous_driver"].format(stage=short, label=row.label, change=change))
    return out


def _stage_or_none(m: Methodology, stage_id: str):
    try:
        return m.stage(stage_id)
    except KeyError:
        return None


# -- signature and certificate ---------------------------------------------------------------

def _signatory(ls: LetterSet) -> dict:
    cfg = ls.current.inputs.config
    if cfg.signatory is None:
        return {"title": cfg.issuer, "name": ""}
    return {"title": cfg.signatory.title, "name": cfg.signatory.name}


def _certificate(ls: LetterSet, f: _Facts, body: dict, score_text: str) -> dict:
    t = f.t
    cfg = ls.current.inputs.config
    return {
        "issuer": cfg.issuer,
        "name": str(body["name"]),
        "band": str(body["band"]),
        "detail": t["certificate_detail"].format(title=cfg.title, score=score_text),
        "date": t["certificate_place_date"].format(
            date=format_date(ls.report_date, ls.lang) if ls.report_date else ""),
    }


__all__ = ["Scored", "LetterSet", "letters_data", "letter_data", "document_data", "unmet_items",
           "largest_drivers", "letter_number", "top_band"]
