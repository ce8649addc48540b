"""Demo returns of the objection round (masa sanggah): the objection forms and the decision workbook
of ``kiprank forms --kind sanggah / sanggah-keputusan`` filled in as four bodies and the verifiers
would send them back (used by the README's walk-through of the round, the tests and the benchmark):

1. a body objects to a question verified "tidak sesuai" that it answered "ya" (chosen so that,
   where possible, accepting it moves the body into a better band): the objection is **accepted**;
2. another body objects to a numeric or graded question verified "sebagian", asking for its SAQ
   answer: **partly accepted**, with a value in between;
3. a third body objects to a question verified "tidak sesuai": **rejected**;
4. a fourth body objects too, but its form was saved the day after the deadline: **late**.

    python -m kiprank.intake.demo --year 2022 --region klaten --kind sanggah
    python -m kiprank.intake.demo --year 2022 --region klaten --kind sanggah-keputusan
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

from openpyxl import load_workbook

from ..core.objections import EPS, value_text
from . import layout as L
from .objection_forms import DECISION_FILE, OBJECTION_DIR, RoundTables, assessed_bodies, round_tables
from .workbook import file_names

MARKER = ".kiprank-demo-returns"


@dataclass(frozen=True)
class DemoObjection:
    """One objection of the demo: who, on what, asking for what, decided how (``final``: the value of
    a partly accepted one), and whether it comes late."""

    body: str
    stage: str
    code: str
    claimed: str
    decision: str
    final: str = ""
    late: bool = False
    reason: str = ""


def _candidates(tables: RoundTables, body: str, kind: str) -> list[tuple[str, str, str, str]]:
    """(stage, code, claimed, final) of the questions of ``body`` a demo objection of ``kind`` can take."""
    out = []
    for (stage, code), t in tables.targets.items():
        q = t.question
        answer, verdict, _, earned = tables.verified.values[(body, stage, code)]
        if q is None or earned is None:
            continue
        claim = tables.verified.claims.get((body, code), 0.0)
        if kind in ("accepted", "rejected", "late") and q.type == "yesno" and verdict == "tidak sesuai" and answer == "ya":
            out.append((stage, code, "ya", ""))
        elif kind == "partial" and q.type != "yesno" and verdict == "sebagian" and claim > earned + EPS:
            middle = _between(t, earned, claim)
            if middle:
                out.append((stage, code, answer, middle))
    return out


def _between(target, low: float, high: float) -> str:
    """A value of the question strictly between two fractions earned ('' when there is none)."""
    q = target.question
    if q.type == "numeric":
        for step in (1.0, 0.5):
            value = (int(low * q.max / step) + 1) * step
            if low * q.max + EPS < value < high * q.max - EPS:
                return value_text(target, value / q.max)
        return ""
    best = max(q.options.values())
    for option, points in q.options.items():
        if low + EPS < points / best < high - EPS:
            return str(option)
    return ""


def demo_scenario(tables: RoundTables) -> list[DemoObjection]:
    """The demo's four objections, chosen from the region's preliminary results in report order."""
    ranking = tables.result.ranking
    order = [b for b in ranking["body_id"].astype(str) if b in set(assessed_bodies(tables))]
    finals = dict(zip(ranking["body_id"].astype(str), ranking["final"].astype(float)))
    m = tables.inputs.methodology
    limits = [b.min for b in m.bands if b.min > 0]
    used: set[str] = set()

    def gain(body: str, stage: str, code: str) -> float:  # how far a yes/no question moves the final score
        q_weights = [q.weight for q in m.questionnaire.questions if q.indicator == tables.targets[(stage, code)]
                     .question.indicator]
        indicator = next(i for i in m.questionnaire.indicators if i.id == tables.targets[(stage, code)].question.indicator)
        return m.stage(stage).weight / 100 * indicator.weight * tables.targets[(stage, code)].question.weight / sum(q_weights)

    def crosses(body: str, c) -> bool:
        return any(finals[body] < limit <= finals[body] + gain(body, c[0], c[1]) for limit in limits)

    def pick(kind: str, prefer=None) -> DemoObjection | None:
        for body in order:
            options = [c for c in _candidates(tables, body, kind) if body not in used]
            if prefer is not None:
                options = [c for c in options if prefer(body, c)]
            if options:
                used.add(body)
                stage, code, claimed, final = options[0]
                return DemoObjection(body, stage, code, claimed, "ditolak" if kind == "rejected" else
                                     "diterima sebagian" if kind == "partial" else "diterima", final, kind == "late",
                                     f"Demo: {kind}")
        return None

    chosen = [pick("accepted", crosses) or pick("accepted"), pick("partial"), pick("rejected"), pick("late")]
    return [c for c in chosen if c is not None]


def fresh_folder(out: Path) -> None:
    """Make ``out`` an empty folder of demo returns (refused when it holds anything else)."""
    if out.exists():
        if not (out / MARKER).exists():
            raise SystemExit(f"{out} exists and holds no demo returns: choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("demo returns written by python -m kiprank.intake.demo\n", encoding="utf-8")


def save_workbook(wb, path: Path, modified: datetime | None) -> None:
    """Save a filled-in form as a person's spreadsheet would, with its saved time ``modified`` (UTC;
    default: now), which collect reads as when it was returned."""
    import io

    from ..core.export import normalise_zip

    buffer = io.BytesIO()
    wb.save(buffer)
    when = (modified or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(normalise_zip(buffer.getvalue(), when))


def received_times(tables: RoundTables) -> tuple[datetime, datetime]:
    """(in time, late): the day before the deadline at 10:00 and the day after, in the round's zone."""
    window = tables.inputs.config.objections
    day = window.last_day()
    on_time = datetime.combine(day - timedelta(days=1), time(10, 0), tzinfo=window.zone())
    return on_time.astimezone(timezone.utc), (on_time + timedelta(days=2)).astimezone(timezone.utc)


def fill_objections(tables: RoundTables, forms: Path, out: Path, scenario: list[DemoObjection]) -> list[Path]:
    """Each objection of ``scenario`` written into a copy of its body's objection form."""
    fresh_folder(out)
    stems = file_names([str(b) for b in tables.inputs.bodies["body_id"]])
    on_time, late = received_times(tables)
    keys = list(tables.targets)
    written = []
    for o in scenario:
        wb = load_workbook(forms / OBJECTION_DIR / f"{stems[o.body]}.xlsx")
        ws = wb[wb.sheetnames[1]]
        row = L.FIRST_ROW + keys.index((o.stage, o.code))
        meta = {r[0].value: r[1].value for r in wb[L.META_SHEET].iter_rows(max_col=2)}
        yes = "ya" if meta.get("lang") != "en" else "yes"
        for col, value in ((8, yes), (9, o.claimed), (10, o.reason), (11, f"https://example.org/bukti/{o.body}.pdf")):
            ws.cell(row, col).value = value
        dest = out / f"{stems[o.body]}.xlsx"
        save_workbook(wb, dest, late if o.late else on_time)
        written.append(dest)
    return written


def fill_decisions(tables: RoundTables, form: Path, out: Path, scenario: list[DemoObjection]) -> list[Path]:
    """The decision workbook with the scenario's decision on each objection it lists."""
    fresh_folder(out)
    wb = load_workbook(form)
    ws = wb[wb.sheetnames[1]]
    by_key = {(o.body, o.code): o for o in scenario}
    for row in range(L.FIRST_ROW, ws.max_row + 1):
        o = by_key.get((ws.cell(row, 1).value, ws.cell(row, 4).value))
        if o is None:
            continue
        ws.cell(row, 11).value = o.decision
        ws.cell(row, 12).value = o.final or None
        ws.cell(row, 13).value = f"Demo: {o.decision}"
        ws.cell(row, 14).value = "Verifikator Demo"
    dest = out / DECISION_FILE
    save_workbook(wb, dest, received_times(tables)[1] + timedelta(days=1))
    return [dest]


def fill_round(kind: str, year: int, region: str, inputs_root: Path | str, forms: Path, out: Path) -> list[Path]:
    """The demo returns of one kind of the round's forms (``sanggah`` or ``sanggah-keputusan``)."""
    tables = round_tables(year, region, inputs_root)
    scenario = demo_scenario(tables)
    if kind == "sanggah":
        return fill_objections(tables, forms, out, scenario)
    return fill_decisions(tables, forms / DECISION_FILE, out, scenario)


__all__ = ["MARKER", "fresh_folder", "save_workbook", "DemoObjection", "demo_scenario", "received_times", "fill_objections", "fill_decisions", "fill_round"]
