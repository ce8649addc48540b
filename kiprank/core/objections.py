"""The objection round (masa sanggah): what bodies objected to in their verified results, what the
verifiers decided, and the final values those decisions make.

A region declares the round in ``region.yml`` (``objections: {until: 2022-12-22}``,
:class:`~kiprank.core.region.ObjectionWindow`). Its preliminary results are scored from the input
tables as they are; ``kiprank collect`` writes what the bodies returned and what the verifiers
decided into two more tables of the region folder:

- ``objections.csv`` (:data:`OBJECTION_COLUMNS`): one row per objection: ``body_id``, ``stage``
  (a verification stage, for a question, or a checklist stage, for an item), ``code`` (the question
  or item id), ``claimed`` (the value the body asks for), ``reason``, ``evidence`` (new evidence, a
  link), ``received`` (ISO time), ``late`` (ya/tidak: received after the deadline), ``considered``
  (ya/tidak: not late, or accepted late with ``collect --accept-late``) and ``source`` (the file);
- ``objection_decisions.csv`` (:data:`DECISION_COLUMNS`): one row per decided objection:
  ``body_id``, ``stage``, ``code``, ``decision`` (diterima / diterima sebagian / ditolak),
  ``final_value`` (required for diterima sebagian), ``note``, ``verifier``, ``source``.

:func:`read_round` validates both against the region's validated tables (every problem with file,
row and column); in the final round every considered objection needs a decision. The decisions
are an **overlay**: :func:`apply_decisions` is a pure function returning the region's inputs with
each accepted value in place of the verified one (``verification`` for a question, ``website`` for
an item); the input files are never edited, and the preliminary tables stay in
:class:`ObjectionRound` (:func:`preliminary_inputs`). The overlay works on the one verified value of
a (body, question) the tables give, so it applies after anything that combines several verdicts.

An objection asks for more than the verified value and, for a question, at most what the body
answered in its SAQ (verification never grants more than the claim).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .answers import allowed_text, canonical_answer, canonical_present, fraction, key
from .errors import InputProblem, InputValidationError, ProblemList, UsageError
from .formulas import unguard
from .limits import limit
from .methodology import Methodology, Question, Stage
from .region import ObjectionWindow

if TYPE_CHECKING:  # (RegionInputs, of kiprank.core.inputs, which reads this module: named in annotations only)
    from .tables import TableReader

OBJECTIONS = "objections"                 # objections.csv
DECISIONS = "objection_decisions"         # objection_decisions.csv
ROUND_FILES = (f"{OBJECTIONS}.csv", f"{DECISIONS}.csv")  # the round's tables, as files of the region folder
OBJECTION_COLUMNS = ["body_id", "stage", "code", "claimed", "reason", "evidence", "received", "late",
                     "considered", "source"]
DECISION_COLUMNS = ["body_id", "stage", "code", "decision", "final_value", "note", "verifier", "source"]
#: a decision as written (any case) -> accepted / partial / rejected
DECISION_SPELLINGS = {
    "diterima": "accepted", "accepted": "accepted", "terima": "accepted",
    "diterima sebagian": "partial", "sebagian diterima": "partial", "diterima sebagian (parsial)": "partial",
    "partly accepted": "partial", "partially accepted": "partial", "partial": "partial",
    "ditolak": "rejected", "rejected": "rejected", "tolak": "rejected",
}
CANONICAL_DECISION = {"accepted": "diterima", "partial": "diterima sebagian", "rejected": "ditolak"}
DECISION_ORDER = ("accepted", "partial", "rejected")
EPS = 1e-9
#: the columns of the tables of :class:`ObjectionRound`, beyond those of the files
OBJECTION_TABLE = [*OBJECTION_COLUMNS, "label", "before", "before_earned", "claimed_earned", "row"]
DECISION_TABLE = [*DECISION_COLUMNS, "meaning", "after", "after_earned", "row"]


@dataclass(frozen=True)
class Target:
    """What an objection can be about: a question of a verification stage, or an item of a
    checklist stage."""

    stage: Stage
    code: str
    label: str
    question: Question | None = None

    @property
    def kind(self) -> str:
        return "question" if self.question is not None else "item"

    @property
    def table(self) -> str:
        """The input table whose value the objection is about."""
        return "verification" if self.question is not None else "website"


def targets(m: Methodology) -> dict[tuple[str, str], Target]:
    """Every (stage id, code) an objection may name, in methodology order: the questions of each
    verification stage, then the items of each checklist stage."""
    out: dict[tuple[str, str], Target] = {}
    for stage in m.stages:
        if stage.source == "verification" and m.questionnaire is not None:
            for q in m.questionnaire.questions:
                out[(stage.id, q.id)] = Target(stage, q.id, q.text or q.id, q)
        elif stage.source == "checklist":
            for item in stage.items:
                out[(stage.id, item.id)] = Target(stage, item.id, item.label)
    return out


def canonical_decision(value) -> tuple[str | None, str | None]:
    """``(accepted | partial | rejected, None)``, ``(None, why)``, or ``(None, None)`` when empty."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()
    if not text:
        return None, None
    meaning = DECISION_SPELLINGS.get(key(text))
    if meaning is None:
        return None, f"decision '{text}' is not one of diterima, diterima sebagian, ditolak"
    return meaning, None


def value_of(target: Target, value) -> tuple[str | None, float | None, str | None]:
    """(canonical text, fraction earned, why it is refused) of a value asked for or decided."""
    if target.question is not None:
        text, why = canonical_answer(target.question, value)
        return text, (None if text is None else fraction(target.question, text)), why
    text, why = canonical_present(value)
    if why:
        why = f"{why} (a website item is ya or tidak)"
    return text, (None if text is None else (1.0 if text == "ya" else 0.0)), why


def value_text(target: Target, earned: float | None) -> str:
    """The value a fraction earned stands for, as the forms print it ('' when there is none)."""
    if earned is None or (isinstance(earned, float) and math.isnan(earned)):
        return ""
    q = target.question
    if q is None or q.type == "yesno":
        return "ya" if earned >= 1 - EPS else "tidak"
    if q.type == "numeric":
        from .answers import format_number

        return format_number(round(earned * q.max, 9))
    best = max(q.options.values())
    for option, points in q.options.items():
        if abs(points / best - earned) < EPS:
            return str(option)
    return f"{round(100 * earned):g}%"


def allowed(target: Target) -> str:
    """What a value of ``target`` may be, for messages."""
    return allowed_text(target.question) if target.question is not None else "ya or tidak"


# -- the preliminary verified values ------------------------------------------------------------

@dataclass
class Verified:
    """Per body: the values an objection is about, as the preliminary tables give them.

    ``values``: (body, stage, code) -> (answer claimed in the SAQ or '', verdict or '', verified
    value text or '', fraction earned or None); ``claims``: (body, question) -> fraction claimed."""

    values: dict[tuple[str, str, str], tuple[str, str, str, float | None]]
    claims: dict[tuple[str, str], float]
    returned: set[str]


def verified_values(inputs: "RegionInputs") -> Verified:
    """What each body's questions and items were verified at (the preliminary values)."""
    from .answers import CANONICAL_VERDICT

    m = inputs.methodology
    saq = inputs.saq
    answers = dict(zip(zip(saq["body_id"].astype(str), saq["question_id"].astype(str)), saq["answer"].astype(str)))
    claims = dict(zip(zip(saq["body_id"].astype(str), saq["question_id"].astype(str)),
                      saq["earned"].astype(float)))
    ver = inputs.verification
    verdicts = {}
    for body, qid, verdict, granted in zip(ver["body_id"].astype(str), ver["question_id"].astype(str),
                                           ver["verdict"].astype(str), ver["granted_earned"].astype(float)):
        verdicts[(body, qid)] = (verdict, granted)
    web = dict(zip(zip(inputs.website["body_id"].astype(str), inputs.website["item_id"].astype(str)),
                   inputs.website["present"].astype(float)))
    returned = set(saq["body_id"].astype(str)) if m.questionnaire is not None else set(inputs.bodies["body_id"].astype(str))
    values = {}
    every = targets(m)
    for body in inputs.bodies["body_id"].astype(str):
        for (stage_id, code), t in every.items():
            if t.question is not None:
                claim = claims.get((body, code))
                verdict, granted = verdicts.get((body, code), ("", float("nan")))
                if claim is None or not verdict:
                    earned = None
                elif verdict == "verified":
                    earned = claim
                elif verdict == "partial":
                    earned = min(granted, claim)
                else:
                    earned = 0.0
                values[(body, stage_id, code)] = (answers.get((body, code), ""), CANONICAL_VERDICT.get(verdict, ""),
                                                  value_text(t, earned), earned)
            else:
                present = web.get((body, code))
                earned = None if present is None else float(present)
                values[(body, stage_id, code)] = ("", "", value_text(t, earned), earned)
    return Verified(values, claims, returned)


def check_claim(target: Target, verified: Verified, body: str, claimed_value) -> tuple[str | None, float | None, str | None]:
    """(canonical claimed value, its fraction, why it is refused) of what a body asks for: allowed for
    the question or item, more than the verified value and, for a question, at most the body's SAQ
    answer."""
    text, earned, why = value_of(target, claimed_value)
    if why or text is None:
        return None, None, why or f"no value asked for (expected {allowed(target)})"
    answer, _, before_text, before = verified.values[(body, target.stage.id, target.code)]
    if target.question is not None:
        if (body, target.code) not in verified.claims:
            return None, None, f"{body} did not answer {target.code} in its SAQ: there is no verified value to object to"
        if earned > verified.claims[(body, target.code)] + EPS:
            return None, None, (f"asks for '{text}', more than the body's own SAQ answer '{answer}' to {target.code}: "
                                "verification never grants more than the answer claimed")
    if before is not None and earned <= before + EPS:
        return None, None, (f"asks for '{text}', which is not more than the verified value '{before_text}' of "
                            f"{target.code}: there is nothing to object to")
    return text, earned, None


# -- the round ------------------------------------------------------------------------------------

@dataclass
class ObjectionRound:
    """A region's objection round as read for one run.

    ``stage``: ``preliminary`` (the decisions are not read) or ``final``. ``objections``: every
    objection (:data:`OBJECTION_COLUMNS` plus ``label``, ``before`` (the verified value's text),
    ``before_earned``, ``claimed_earned``; ``late`` and ``considered`` as booleans, ``received`` as
    text), in file order; ``decisions``: one row per decision (:data:`DECISION_COLUMNS` plus
    ``meaning`` (accepted / partial / rejected), ``after`` (the final value's text) and
    ``after_earned``); ``verification`` and ``website``: the preliminary tables, as validated."""

    window: ObjectionWindow
    stage: str
    objections: pd.DataFrame
    decisions: pd.DataFrame
    verification: pd.DataFrame
    website: pd.DataFrame
    files: dict[str, str] = field(default_factory=dict)  # table name -> how problems name it

    @property
    def preliminary(self) -> bool:
        return self.stage == "preliminary"


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _table_present(reader: "TableReader", name: str) -> bool:
    if (reader.folder / f"{name}.csv").exists():
        return True
    if reader.xlsx.is_file():
        try:
            return name in pd.ExcelFile(reader.xlsx, engine="openpyxl").sheet_names
        except Exception:  # the workbook's own problems are named when its tables are read
            return False
    return False


def _strings(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for col in columns:
        out[col] = df[col].astype(object).fillna("").astype(str).map(unguard) if col in df.columns else ""
    return out


YES_NO = {"ya": True, "tidak": False}


def read_round(inputs: "RegionInputs", reader: "TableReader", preliminary: bool) -> ObjectionRound:
    """The region's objection round (``inputs`` are its validated preliminary tables). In the final
    round ``objections.csv`` and ``objection_decisions.csv`` are read (each only when present: no
    objections file means no objection was received) and checked; every problem is raised together
    as :class:`~kiprank.core.errors.InputValidationError` (exit 2), including each considered
    objection that has no decision."""
    window = inputs.config.objections
    base = ObjectionRound(window, "preliminary" if preliminary else "final",
                          _empty(OBJECTION_TABLE), _empty(DECISION_TABLE), inputs.verification, inputs.website)
    if preliminary:
        return base
    problems = ProblemList(int(limit("max_problems")))
    verified = verified_values(inputs)
    every = targets(inputs.methodology)
    body_ids = set(inputs.bodies["body_id"].astype(str))
    if _table_present(reader, OBJECTIONS):
        base.files[OBJECTIONS] = reader.label(OBJECTIONS)
        raw = reader.read(OBJECTIONS, problems)
        if raw is not None:
            base.objections = _objections(raw, reader.label(OBJECTIONS), inputs, every, verified, body_ids, problems)
    if _table_present(reader, DECISIONS):
        base.files[DECISIONS] = reader.label(DECISIONS)
        raw = reader.read(DECISIONS, problems)
        if raw is not None:
            base.decisions = _decisions(raw, reader.label(DECISIONS), base.objections, every, problems,
                                        OBJECTIONS in base.files)
    if not problems:
        _undecided(base, problems)
    if problems:
        raise InputValidationError(problems)
    return base


def _objections(raw: pd.DataFrame, label: str, inputs, every, verified: Verified, body_ids: set,
                problems: list[InputProblem]) -> pd.DataFrame:
    missing = [c for c in ("body_id", "stage", "code", "claimed") if c not in raw.columns]
    if missing:
        problems.append(InputProblem(label, 1, None, f"column(s) {', '.join(missing)} missing (expected "
                                                     f"{', '.join(OBJECTION_COLUMNS)})"))
        return _empty(OBJECTION_TABLE)
    df = _strings(raw, OBJECTION_COLUMNS)
    rows, seen = [], {}
    for row, r in zip(df.index, df.itertuples(index=False)):
        where = lambda col, msg: problems.append(InputProblem(label, int(row), col, msg))  # noqa: E731
        if r.body_id not in body_ids:
            where("body_id", f"body '{r.body_id}' is not in bodies.csv")
            continue
        if r.body_id not in verified.returned:
            where("body_id", f"body '{r.body_id}' did not return the SAQ: it has no verified result to object to")
            continue
        t = every.get((r.stage, r.code))
        if t is None:
            stages = sorted({s for s, _ in every})
            where("code" if r.stage in stages else "stage",
                  f"'{r.code}' is not a question or item of stage '{r.stage}'" if r.stage in stages else
                  f"stage '{r.stage}' is not a verification or website stage of methodology "
                  f"{inputs.methodology.id} (objections are about {', '.join(stages) or 'none'})")
            continue
        k = (r.body_id, r.stage, r.code)
        if k in seen:
            where("code", f"a second objection of {r.body_id} to {r.code} (also row {seen[k]}): keep one")
            continue
        seen[k] = int(row)
        claimed, earned, why = check_claim(t, verified, r.body_id, r.claimed)
        if why:
            where("claimed", why)
            continue
        flags = {}
        for col in ("late", "considered"):
            flag = YES_NO.get(key(getattr(r, col)) or "tidak")
            if flag is None:
                where(col, f"'{getattr(r, col)}' is not ya or tidak")
            flags[col] = flag
        if None in flags.values():
            continue
        if not flags["late"] and not flags["considered"]:
            where("considered", "an objection received in time is considered (considered: ya)")
            continue
        received = r.received.strip()
        if received:
            try:
                datetime.fromisoformat(received.replace("Z", "+00:00"))
            except ValueError:
                where("received", f"'{received}' is not a time (expected e.g. 2022-12-20T09:30:00+00:00)")
                continue
        _, _, before_text, before = verified.values[k]
        rows.append({**r._asdict(), "claimed": claimed, "late": flags["late"], "considered": flags["considered"],
                     "received": received, "label": t.label, "before": before_text,
                     "before_earned": 0.0 if before is None else before, "claimed_earned": earned,
                     "row": int(row)})
    return pd.DataFrame(rows, columns=OBJECTION_TABLE)


def _decisions(raw: pd.DataFrame, label: str, objections: pd.DataFrame, every, problems: list[InputProblem],
               have_objections: bool) -> pd.DataFrame:
    missing = [c for c in ("body_id", "stage", "code", "decision", "verifier") if c not in raw.columns]
    if missing:
        problems.append(InputProblem(label, 1, None, f"column(s) {', '.join(missing)} missing (expected "
                                                     f"{', '.join(DECISION_COLUMNS)})"))
        return _empty(DECISION_TABLE)
    df = _strings(raw, DECISION_COLUMNS)
    by_key = {(r.body_id, r.stage, r.code): r for r in objections.itertuples(index=False)}
    rows, seen = [], {}
    for row, r in zip(df.index, df.itertuples(index=False)):
        where = lambda col, msg: problems.append(InputProblem(label, int(row), col, msg))  # noqa: E731
        k = (r.body_id, r.stage, r.code)
        o = by_key.get(k)
        if o is None:
            where("code", f"a decision for an objection that does not exist: {r.body_id} did not object to "
                          f"{r.code} ({r.stage})" + ("" if have_objections else " (there is no objections.csv)"))
            continue
        if not o.considered:
            where("code", f"the objection of {r.body_id} to {r.code} came late and is not considered (kiprank "
                          "collect --accept-late considers late objections)")
            continue
        if k in seen:
            where("code", f"a second decision on the objection of {r.body_id} to {r.code} (also row {seen[k]}): "
                          "keep one")
            continue
        seen[k] = int(row)
        meaning, why = canonical_decision(r.decision)
        if why or meaning is None:
            where("decision", why or "no decision (diterima, diterima sebagian or ditolak)")
            continue
        if not r.verifier.strip():
            where("verifier", "the verifier who decided is not named")
            continue
        t = every[(o.stage, o.code)]
        after, after_earned, why = decided_value(t, o, meaning, r.final_value)
        if why:
            where("final_value", why)
            continue
        rows.append({**r._asdict(), "decision": CANONICAL_DECISION[meaning], "final_value": after if
                     r.final_value.strip() else "", "meaning": meaning, "after": after,
                     "after_earned": after_earned, "row": int(row)})
    return pd.DataFrame(rows, columns=DECISION_TABLE)


def decided_value(t: Target, o, meaning: str, given: str) -> tuple[str | None, float | None, str | None]:
    """(final value text, its fraction, why refused) of a decision on objection ``o``."""
    text = earned = None
    if given.strip():
        text, earned, why = value_of(t, given)
        if why:
            return None, None, why + f" (the question allows {allowed(t)})" if t.question is None else why
    if meaning == "accepted":
        if text is not None and abs(earned - o.claimed_earned) > EPS:
            return None, None, (f"'diterima' gives the value asked for ('{o.claimed}'), not '{text}': write "
                                "'diterima sebagian' for another value")
        return o.claimed, o.claimed_earned, None
    if meaning == "rejected":
        if text is not None and abs(earned - o.before_earned) > EPS:
            return None, None, (f"'ditolak' keeps the verified value ('{o.before or '-'}'), not '{text}': write "
                                "'diterima sebagian' for another value")
        return o.before, o.before_earned, None
    if text is None:
        return None, None, f"'diterima sebagian' needs the final value (expected {allowed(t)})"
    if not (o.before_earned + EPS < earned < o.claimed_earned - EPS):
        return None, None, (f"'diterima sebagian' needs a value between the verified value '{o.before or '-'}' and "
                            f"the value asked for '{o.claimed}' (got '{text}')")
    return text, earned, None


def read_objections(inputs: "RegionInputs", reader: "TableReader") -> pd.DataFrame:
    """``objections.csv`` of a region, checked against its validated preliminary tables as the final
    round checks it (columns as :attr:`ObjectionRound.objections`; empty when there is none); every
    problem raised together (exit 2). What the verifiers' decision workbook is made from."""
    problems = ProblemList(int(limit("max_problems")))
    out = _empty(OBJECTION_TABLE)
    if _table_present(reader, OBJECTIONS):
        raw = reader.read(OBJECTIONS, problems)
        if raw is not None:
            out = _objections(raw, reader.label(OBJECTIONS), inputs, targets(inputs.methodology),
                              verified_values(inputs), set(inputs.bodies["body_id"].astype(str)), problems)
    if problems:
        raise InputValidationError(problems)
    return out


def _undecided(rnd: ObjectionRound, problems: list[InputProblem]) -> None:
    decided = set(zip(rnd.decisions["body_id"], rnd.decisions["stage"], rnd.decisions["code"]))
    label = rnd.files.get(OBJECTIONS, OBJECTIONS + ".csv")
    for o in rnd.objections.itertuples(index=False):
        if o.considered and (o.body_id, o.stage, o.code) not in decided:
            problems.append(InputProblem(label, int(o.row), "code", (
                f"the objection of {o.body_id} to {o.code} ({o.stage}) has no decision in "
                f"{rnd.files.get(DECISIONS, DECISIONS + '.csv')}: the final results need a decision on every "
                "objection (kiprank forms --kind sanggah-keputusan, then kiprank collect)")))


# -- the overlay ----------------------------------------------------------------------------------

def changed(rnd: ObjectionRound) -> pd.DataFrame:
    """The decisions that change a value (accepted, or partly accepted), with their objection's
    columns: body_id, stage, code, after, after_earned, verifier."""
    d = rnd.decisions
    return d[d["meaning"].isin(["accepted", "partial"])]


def apply_decisions(inputs: "RegionInputs", rnd: ObjectionRound) -> "RegionInputs":
    """The inputs with every accepted (or partly accepted) decision's final value in place of the
    verified value: a pure function (the inputs given are not changed). For a question, the
    verification row of the (body, question) becomes ``sesuai`` when the final value is the SAQ
    answer, ``sebagian`` with the final value as the answer accepted, or ``tidak sesuai`` for
    nothing; for a website item, its check becomes ``ya``."""
    every = targets(inputs.methodology)
    todo = changed(rnd)
    if todo.empty:
        return dataclasses.replace(inputs, objections=rnd)
    claims = dict(zip(zip(inputs.saq["body_id"].astype(str), inputs.saq["question_id"].astype(str)),
                      inputs.saq["earned"].astype(float)))
    ver_rows, web_rows = [], []
    for d in todo.itertuples(index=False):
        t = every[(d.stage, d.code)]
        if t.question is not None:
            claim = claims[(d.body_id, d.code)]
            if d.after_earned >= claim - EPS:
                verdict, granted, granted_earned = "verified", "", np.nan
            elif d.after_earned <= EPS:
                verdict, granted, granted_earned = "unverified", "", np.nan
            else:
                verdict, granted, granted_earned = "partial", d.after, float(d.after_earned)
            ver_rows.append({"body_id": d.body_id, "question_id": d.code, "verdict": verdict, "granted": granted,
                             "granted_earned": granted_earned, "verifier": d.verifier})
        else:
            web_rows.append({"body_id": d.body_id, "item_id": d.code, "present": float(d.after_earned)})
    return dataclasses.replace(
        inputs, verification=_replace_rows(inputs.verification, ver_rows, ["body_id", "question_id"]),
        website=_replace_rows(inputs.website, web_rows, ["body_id", "item_id"]), objections=rnd)


def _replace_rows(table: pd.DataFrame, rows: list[dict], keys: list[str]) -> pd.DataFrame:
    """``table`` (as plain objects) with the rows of the same keys dropped and ``rows`` added."""
    if not rows:
        return table
    new = pd.DataFrame(rows)
    new = new[[c for c in new.columns if c in table.columns]]
    plain = table.astype({c: object for c in table.columns if isinstance(table[c].dtype, pd.CategoricalDtype)})
    drop = pd.MultiIndex.from_frame(new[keys].astype(str))
    mine = pd.MultiIndex.from_frame(plain[keys].astype(str)) if len(plain) else drop[:0]
    kept = plain[~mine.isin(drop)] if len(plain) else plain
    out = pd.concat([kept, new.reindex(columns=plain.columns)], ignore_index=True)
    for col in out.columns:
        if col not in ("granted_earned", "present"):
            out[col] = out[col].astype(object).where(out[col].notna(), "")
    if "granted_earned" in out.columns:
        out["granted_earned"] = out["granted_earned"].astype(float)
    if "present" in out.columns:
        out["present"] = out["present"].astype(float)
    return out


def preliminary_inputs(inputs: "RegionInputs") -> "RegionInputs":
    """The inputs of the preliminary results: the verified tables before any decision."""
    rnd = inputs.objections
    if rnd is None:
        return inputs
    return dataclasses.replace(inputs, verification=rnd.verification, website=rnd.website,
                               objections=dataclasses.replace(rnd, stage="preliminary"))


def window_open(window: ObjectionWindow, now: datetime | None = None) -> bool:
    """Whether objections are still being received (the final results wait until it closes)."""
    return (now or datetime.now(timezone.utc)) < window.closes()


def require_round(inputs: "RegionInputs") -> None:
    """Refuse (exit 2) preliminary results of a region that declares no objection round."""
    if inputs.config.objections is None:
        raise UsageError(f"{inputs.origin / 'region.yml'} declares no objection round: add "
                         "'objections: {until: YYYY-MM-DD}' (the last day objections are received) for "
                         "preliminary results")


__all__ = ["OBJECTIONS", "DECISIONS", "ROUND_FILES", "OBJECTION_COLUMNS", "DECISION_COLUMNS", "CANONICAL_DECISION", "DECISION_ORDER",
           "Target", "targets", "canonical_decision", "value_of", "value_text", "allowed", "Verified",
           "verified_values", "check_claim", "ObjectionRound", "read_round", "read_objections", "decided_value", "changed", "apply_decisions",
           "preliminary_inputs", "window_open", "require_round"]
