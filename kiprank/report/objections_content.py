"""Content of the objection round (masa sanggah) in the published documents: the preliminary
marking ("HASIL SEMENTARA" on every page of the PDF, the cover's notice), the report section
"Masa Sanggah" (how to object, in the preliminary report; what the round decided and changed, in
the final one) and the minutes ``sanggah.pdf`` (berita acara: every objection, its decision, the
verifier and its effect). Numbers are formatted and sentences composed here (words in
``kiprank/words/objections.<lang>.yml``), once, as content blocks the renderers only present.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import pandas as pd

from ..analysis.objections import body_effects, objection_minutes, objection_totals
from ..core.answers import parse_number
from ..core.formatting import format_date, format_int, format_number
from ..core.inputs import RegionInputs
from ..core.objections import preliminary_inputs
from ..core.region import ObjectionWindow
from ..core.scoring import ScoreResult, score
from ..core.version import __version__
from ..core.wording import words
from . import blocks as B
from . import parts as P
from .section import Section

ANCHOR = "sanggah"
DASH = "\u2014"


def texts(lang: str) -> dict:
    return words("objections", lang)


@dataclass
class RoundView:
    """What the documents say about a region's objection round: ``stage`` (``preliminary`` or
    ``final``), the ``window``; in the final round the minutes
    (:func:`kiprank.analysis.objections.objection_minutes`), their ``totals``, the per-body
    ``effects`` and the preliminary results (``before``)."""

    stage: str
    window: ObjectionWindow
    minutes: pd.DataFrame | None = None
    totals: dict | None = None
    effects: pd.DataFrame | None = None
    before: ScoreResult | None = None

    @property
    def preliminary(self) -> bool:
        return self.stage == "preliminary"

    def deadline(self, lang: str) -> str:
        return format_date(self.window.last_day(), lang)

    def received(self, when: str, lang: str) -> str:
        """When an objection was received (ISO text of objections.csv) in the round's time zone:
        ``'21 Desember 2022 pukul 10.00 (UTC+07:00)'``; text that is no time is shown as it is."""
        try:
            moment = datetime.fromisoformat(str(when).strip())
        except ValueError:
            return str(when)
        local = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(self.window.zone())
        clock = local.strftime("%H.%M" if lang == "id" else "%H:%M")
        return texts(lang)["received_time"].format(date=format_date(local.date(), lang), time=clock,
                                                   offset=self.window.utc_offset)


def round_view(inputs: RegionInputs, result: ScoreResult) -> RoundView | None:
    """The round of a region's scored inputs (None when its region.yml declares none)."""
    rnd = inputs.objections
    if rnd is None:
        return None
    if rnd.preliminary:
        return RoundView("preliminary", rnd.window)
    before = score(preliminary_inputs(inputs))
    minutes = objection_minutes(rnd, before, result)
    totals = objection_totals(minutes) if not minutes.empty else None
    return RoundView("final", rnd.window, minutes, totals, body_effects(minutes), before)


def stamp(view: RoundView | None, lang: str) -> str:
    """What every page of a preliminary document carries ("HASIL SEMENTARA"); "" otherwise."""
    return texts(lang)["stamp"] if view is not None and view.preliminary else ""


def cover_notice(view: RoundView | None, lang: str) -> dict | None:
    """The cover's notice: the results are preliminary, objections until ...; or final after the round."""
    if view is None:
        return None
    w = texts(lang)
    if view.preliminary:
        return {"kind": "alert", "title": w["stamp"], "paras": [w["preliminary_alert"].format(date=view.deadline(lang))]}
    return {"kind": "info", "title": w["final_note_title"], "paras": [w["final_note"].format(date=view.deadline(lang))]}


def shown(value, lang: str) -> str:
    """A value as documents show it (a number the reader's way: 7,5), '—' when there is none."""
    text = str(value) if value is not None and not (isinstance(value, float) and pd.isna(value)) else ""
    if not text:
        return DASH
    number = parse_number(text) if "." in text else None
    return format_number(number, len(text.split(".", 1)[1]), lang) if number is not None else text


def _rank(value, lang: str, w: dict) -> str:
    return w["no_rank"] if value is None or pd.isna(value) else format_int(value, lang)


def _change(before: str, after: str, w: dict):
    return before if before == after else B.bold(w["change"].format(before=before, after=after))


def _effects_rows(view: RoundView, rep_num, band_run, lang: str, w: dict) -> list[list]:
    rows = []
    for e in view.effects.itertuples(index=False):
        delta = float(e.final_after) - float(e.final_before)
        rows.append([e.name, format_int(e.objections, lang), format_int(e.accepted, lang),
                     _change(rep_num(e.final_before), rep_num(e.final_after), w),
                     B.tone(("+" if delta > 0 else "") + rep_num(delta), "up" if delta > 1e-9 else "down" if delta < -1e-9
                            else "flat"),
                     [band_run(e.band_before), " \u2192 ", band_run(e.band_after)] if e.band_before != e.band_after
                     else band_run(e.band_after),
                     _change(_rank(e.rank_before, lang, w), _rank(e.rank_after, lang, w), w)])
    return rows


def round_section(rep, number: int) -> Section:
    """The report section "Masa Sanggah" of a prepared report whose ``objections`` is set."""
    view: RoundView = rep.objections
    lang, w = rep.lang, texts(rep.lang)
    day = view.deadline(lang)
    if view.preliminary:
        blocks = [B.notice("alert", w["stamp"], [w["preliminary_alert"].format(date=day)]),
                  B.para(w["round_preliminary_intro"].format(date=day)), B.item_list(list(w["round_rules"]))]
        return P.section(number, w["sec_round"], ANCHOR, blocks)
    if view.totals is None:
        return P.section(number, w["sec_round"], ANCHOR, [B.para(w["round_final_none"].format(date=day))])
    n = {k: format_int(v, lang) for k, v in view.totals.items()}
    blocks = [B.para(w["round_final_intro"].format(date=day, **n)),
              B.para(w["round_final_effect"].format(changed=n["bodies_changed"], band_changed=n["band_changed"]))]
    band_run = lambda band: P.band_run(rep.methodology.band_labels, band)  # noqa: E731
    rows = _effects_rows(view, rep.num, band_run, lang, w)
    blocks.append(B.table([w["col_body"], w["col_objections"], w["col_accepted"], w["col_score"], w["col_change"],
                           w["col_band"], w["col_rank"]], rows, caption=P.caption(rep, "table", w["effects_table"]),
                          cols=["name", "num", "num", "num", "num", "band", "center"],
                          widths=[None, "17mm", "16mm", "26mm", "14mm", "40mm", "20mm"], compact=True))
    blocks.append(B.para(w["effects_note"], "small"))
    return P.section(number, w["sec_round"], ANCHOR, blocks)


def contents_entry(number: int, lang: str) -> tuple[str, str]:
    return ANCHOR, f"{number}. {texts(lang)['sec_round']}"


# -- the minutes (sanggah.pdf) ------------------------------------------------------------------

@dataclass
class Decree:
    """A publication the minutes name: its date and manifest fingerprint."""

    day: date | None
    fingerprint: str


class _Numbers(P.Numbering):
    def __init__(self, t: dict):
        self.t, self._counters = t, {"table": 0, "figure": 0}


def minutes_content(view: RoundView, inputs: RegionInputs, lang: str, preliminary: Decree, final: Decree) -> dict:
    """The minutes of a final round as a document's content data (``meta`` and one landscape
    section), typeset with the reports' look into ``sanggah.pdf``."""
    w, cfg, m = texts(lang), inputs.config, inputs.methodology
    num = lambda v: format_number(v, m.decimals, lang)  # noqa: E731
    band_run = lambda band: P.band_run(m.band_labels, band)  # noqa: E731
    doc = _Numbers(w)

    def decree(d: Decree) -> str:
        return w["decree_value"].format(date=format_date(d.day, lang) if d.day else w["not_recorded"],
                                        fingerprint=d.fingerprint or w["not_recorded"])

    facts = [[w["region"], cfg.region], [w["year"], str(inputs.year)], [w["issuer"], cfg.issuer],
             [w["deadline"], view.deadline(lang)], [w["preliminary_decree"], decree(preliminary)],
             [w["final_decree"], decree(final)]]
    blocks = [B.table([w["fact"], w["value"]], facts, cols=["", ""], widths=["55mm", None], compact=True)]
    if view.totals is None:
        blocks.append(B.para(w["none_received"]))
    else:
        totals = [[w["total"][k], format_int(v, lang)] for k, v in view.totals.items()]
        blocks.append(B.table([w["totals_title"], w["count"]], totals, caption=P.caption(doc, "table", w["totals_title"]),
                              cols=["", "num"], narrow=True, compact=True))
        blocks.append(B.table(
            [w["col_body"], w["col_code"], w["col_question"], w["col_before"], w["col_claimed"], w["col_decision"],
             w["col_after"], w["col_verifier"], w["col_score"], w["col_band"], w["col_rank"]],
            [_minutes_row(o, view, lang, w, num, band_run) for o in view.minutes.itertuples(index=False)],
            caption=P.caption(doc, "table", w["objections_title"]),
            cols=["name", "code", "", "center", "center", "", "center", "", "num", "band", "center"],
            widths=["34mm", "13mm", None, "17mm", "16mm", "22mm", "15mm", "22mm", "22mm", "36mm", "17mm"],
            compact=True, tight=True, size=7.2))
        blocks.append(B.table([w["col_body"], w["col_objections"], w["col_accepted"], w["col_score"], w["col_change"],
                               w["col_band"], w["col_rank"]], _effects_rows(view, num, band_run, lang, w),
                              caption=P.caption(doc, "table", w["effects_table"]),
                              cols=["name", "num", "num", "num", "num", "band", "center"],
                              widths=[None, "20mm", "18mm", "32mm", "16mm", "60mm", "30mm"], compact=True))
        blocks.append(B.para(w["effects_note"], "small"))
    blocks.append(B.para(w["minutes_closing"], "small"))
    title = w["minutes_doc_title"].format(region=cfg.region, year=inputs.year)
    meta = {"title": title, "author": cfg.issuer, "lang": lang, "landscape": True,
            "keywords": [f"kiprank {__version__}", "objections", *[f"manifest {d.fingerprint}" for d in
                                                                    (preliminary, final) if d.fingerprint]],
            "description": w["minutes_description"].format(preliminary=preliminary.fingerprint or DASH,
                                                           final=final.fingerprint or DASH),
            "running": w["minutes_running"].format(region=cfg.region, year=inputs.year),
            "footer": w["minutes_footer"].format(version=__version__), "page-word": w["page_word"],
            "of-word": w["of_word"]}
    return {"meta": meta, "sections": [B.section(None, w["minutes_title"], ANCHOR, blocks, newpage=False)]}


def _minutes_row(o, view: RoundView, lang: str, w: dict, num, band_run) -> list:
    """One objection of the minutes: the question with the reason, evidence and note under it."""
    under = [f"{w['reason_label']}: {o.reason}" if o.reason else "",
             f"{w['evidence_label']}: {o.evidence}" if o.evidence else "",
             f"{w['note_label']}: {o.note}" if o.note else "",
             f"{w['received_label']}: {view.received(o.received, lang)}" if o.received else ""]
    label = B.with_sub(o.label, " \u2022 ".join(u for u in under if u)) if any(under) else o.label
    decision = w["decision"]["late"] if o.considered != "ya" else _decision_word(o.decision, w)
    return [o.name, o.code, label, shown(o.before, lang), shown(o.claimed, lang),
            B.bold(decision) if o.considered == "ya" else B.tone(decision, "muted"),
            shown(o.after, lang) if o.considered == "ya" else DASH, o.verifier or DASH,
            _change(num(o.final_before), num(o.final_after), w),
            [band_run(o.band_before), " \u2192 ", band_run(o.band_after)] if o.band_before != o.band_after
            else band_run(o.band_after),
            _change(_rank(o.rank_before, lang, w), _rank(o.rank_after, lang, w), w)]


def _decision_word(decision: str, w: dict) -> str:
    from ..core.objections import canonical_decision

    meaning, _ = canonical_decision(decision)
    return w["decision"].get(meaning, decision) if meaning else decision


__all__ = ["RoundView", "round_view", "stamp", "cover_notice", "shown", "round_section", "contents_entry", "Decree",
           "minutes_content", "texts", "ANCHOR"]
