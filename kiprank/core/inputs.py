"""A region's validated inputs: ``inputs/<year>/<region>/`` read, checked and normalised.

The folder holds ``region.yml`` (:mod:`kiprank.core.region`) and the tables ``bodies``, ``saq``,
``verification``, ``website`` and one per ``score`` stage (named after the stage id), each read
from ``<name>.csv`` or the sheet ``<name>`` of ``inputs.xlsx`` (:mod:`kiprank.core.tables`).
Answers, verdicts and checklist marks are read by the one answer rule of
:mod:`kiprank.core.answers`. Every problem (file, row, column, what was expected) is collected and
raised together as :class:`~kiprank.core.errors.InputValidationError`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .answers import allowed_text, answer_fractions, number_values, present_values, verdict_codes
from .checks import known_body, nonempty, required_columns, run_schema, unique_rows
from .errors import InputProblem, InputValidationError, ProblemList, UsageError
from .limits import limit
from .methodology import Methodology, load_methodology, resolve_methodology_path
from .region import RegionConfig, load_config, region_folder
from .tables import TableReader, empty_table
from .verifiers import VERIFIER, Panel, adjudication_problems, combine_verdicts, panel_problems, verifier_problems

if TYPE_CHECKING:
    from .objections import ObjectionRound
    from .snapshot import Snapshot


@dataclass
class RegionInputs:
    """A region's validated inputs: normalised tables plus where they came from.

    Tables (all with string ``body_id``):
    - ``bodies``: body_id, name, group, website
    - ``saq``: body_id, question_id, answer, earned (fraction 0-1 of the question earned as claimed)
    - ``verification``: body_id, question_id, verdict (verified/partial/unverified), granted,
      granted_earned (fraction earned by the granted answer; NaN unless partial); one verdict per
      answer: with a ``verifier`` column, the verifiers' verdicts as combined (``panel``)
    - ``website``: body_id, item_id, present (0/1)
    - ``scores[stage_id]``: body_id, score (0-100; NaN for an empty cell, a missing score); index:
      the row number in the file
    """

    year: int
    region_id: str
    folder: Path
    config: RegionConfig
    methodology: Methodology
    methodology_path: Path
    bodies: pd.DataFrame
    saq: pd.DataFrame
    verification: pd.DataFrame
    website: pd.DataFrame
    scores: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # table -> how problems name it (file, or workbook sheet)
    snapshot: Snapshot | None = None  # when read from a snapshot (kiprank.core.snapshot): where it came from
    panel: Panel | None = None  # several verifiers (a verifier column): their verdicts (kiprank.core.verifiers)
    objections: ObjectionRound | None = None  # the objection round, when region.yml declares one

    @property
    def origin(self) -> Path:
        """The real region folder (``folder`` is in the snapshot when the inputs were read from one)."""
        return self.snapshot.real(self.folder) if self.snapshot else Path(self.folder)

    @property
    def methodology_origin(self) -> Path:
        """The real methodology file."""
        return self.snapshot.real(self.methodology_path) if self.snapshot else Path(self.methodology_path)

    def file_hashes(self) -> dict[str, str]:
        """SHA-256 of every input file used (the tables, ``region.yml`` and the logo it names), by
        path relative to the region folder."""
        out = {}
        paths = {*self.files.values(), self.folder / "region.yml"}
        logo = self.config.logo_path(self.folder)
        if logo is not None and logo.is_file():
            paths.add(logo)
        for path in sorted(paths):
            out[_rel(path, self.folder)] = hashlib.sha256(path.read_bytes()).hexdigest()
        return out


def _open_region(year: int | str, region: str, inputs_root: Path | str):
    """A region's folder (refused when it does not exist), ``region.yml``, the methodology file and
    its path, and a reader of its tables: what :func:`load_region` and :func:`load_setup` start from."""
    folder = region_folder(Path(inputs_root), year, region)
    if not folder.is_dir():
        raise UsageError(f"no input folder {folder}")
    config = load_config(folder)
    methodology_path = resolve_methodology_path(config.methodology, folder)
    methodology = load_methodology(methodology_path)
    reader = TableReader(folder)
    return folder, config, methodology_path, methodology, reader


def load_region(year: int | str, region: str, inputs_root: Path | str = "inputs",
                preliminary: bool = False) -> RegionInputs:
    """Read and validate ``<inputs_root>/<year>/<region>/``; raise with every problem found.

    A region whose ``region.yml`` declares an objection round (``objections:``) gives its final
    results: the verifiers' decisions on the objections applied over the verified tables
    (:mod:`kiprank.core.objections`); with ``preliminary``, the results before the round (refused,
    exit 2, for a region without a round)."""
    folder, config, methodology_path, methodology, reader = _open_region(year, region, inputs_root)
    problems = ProblemList(int(limit("max_problems")))

    raw_bodies = reader.read("bodies", problems)
    bodies = _validate_bodies(raw_bodies, reader, config, problems)
    if bodies is not None:
        body_ids = set(bodies["body_id"])
    elif raw_bodies is not None and "body_id" in raw_bodies.columns:
        body_ids = set(raw_bodies["body_id"])  # bodies.csv has other problems: its ids are still known
    else:
        body_ids = None  # no usable bodies table: do not flag every row as an unknown body

    saq = verification = website = None
    if methodology.questionnaire is not None:
        saq = _validate_answers(reader.read("saq", problems), reader, methodology, body_ids, problems)
        if methodology.stages_of("verification"):
            verification = _validate_verification(
                reader.read("verification", problems), reader, methodology, body_ids, problems
            )
    panel = None
    if verification is not None and saq is not None:
        verification, panel = _combine_step(verification, saq, reader, methodology, body_ids, problems)
    for stage in methodology.stages_of("checklist"):
        website = _validate_checklist(reader.read("website", problems), reader, stage, body_ids, problems)
    scores = {}
    for stage in methodology.stages_of("score"):
        scores[stage.id] = _validate_scores(reader.read(stage.id, problems), reader, stage.id, body_ids, problems)

    if problems:
        raise InputValidationError(problems)
    inputs = RegionInputs(
        year=int(year), region_id=region, folder=folder, config=config, methodology=methodology,
        methodology_path=methodology_path, bodies=bodies,
        saq=saq if saq is not None else empty_table(["body_id", "question_id", "answer", "earned"]),
        verification=verification if verification is not None
        else empty_table(["body_id", "question_id", "verdict", "granted", "granted_earned"]),
        website=website if website is not None else empty_table(["body_id", "item_id", "present"]),
        scores=scores, files=dict(reader.used), labels={name: reader.label(name) for name in reader.used},
        panel=panel,
    )
    if config.objections is None:
        if preliminary:
            from .objections import require_round

            require_round(inputs)
        return inputs
    from .objections import apply_decisions, read_round

    rnd = read_round(inputs, reader, preliminary)  # objections and decisions of the final round
    inputs.files, inputs.labels = dict(reader.used), {name: reader.label(name) for name in reader.used}
    inputs.objections = rnd
    return inputs if preliminary else apply_decisions(inputs, rnd)


def _combine_step(verification: pd.DataFrame, saq: pd.DataFrame, reader, methodology: Methodology,
                  body_ids: set | None, problems, undecided_ok: bool = False) -> tuple[pd.DataFrame, Panel | None]:
    """Several verifiers' verdicts -> one per answer (:func:`kiprank.core.verifiers.combine_verdicts`),
    with ``adjudication.csv`` (when present) applied over the combination; the bodies verified by too
    few verifiers and the undecided answers of a consensus are problems. Without a ``verifier``
    column the table is returned as it is."""
    label = reader.label("verification")
    decided = None
    if _has_table(reader, "adjudication"):
        decided = _validate_verification(reader.read("adjudication", problems), reader, methodology, body_ids,
                                         problems, table="adjudication")
        if decided is not None and VERIFIER not in verification.columns:
            problems.append(InputProblem(reader.label("adjudication"), None, None, "verification has no verifier "
                                         "column, so no answer has verdicts to decide between: remove the file"))
            decided = None
    if VERIFIER not in verification.columns:
        panel_problems(None, verification, methodology, label, problems)
        return verification, None
    combined, panel = combine_verdicts(verification, saq, methodology.verification)
    if decided is not None and len(decided):
        refused = adjudication_problems(panel, decided, reader.label("adjudication"))
        problems.extend(refused)
        if not refused:
            combined, panel = combine_verdicts(verification, saq, methodology.verification, decided)
    panel_problems(None if undecided_ok else panel, verification, methodology, label, problems)
    return combined, panel


def _has_table(reader: TableReader, name: str) -> bool:
    """Whether the optional table ``name`` is there (``<name>.csv``, or a sheet of ``inputs.xlsx``)."""
    if (reader.folder / f"{name}.csv").exists():
        return True
    return reader.xlsx.is_file() and name in pd.ExcelFile(reader.xlsx, engine="openpyxl").sheet_names


def _validate_bodies(df, reader, config: RegionConfig, problems) -> pd.DataFrame | None:
    label = reader.label("bodies")
    if df is None or not required_columns(df, label, ["body_id", "name", "group"], problems):
        return None
    groups = list(config.groups)
    if "website" not in df.columns:
        df["website"] = ""
    schema = pa.DataFrameSchema({
        "body_id": pa.Column(None, [nonempty("body_id")], unique=True),
        "name": pa.Column(None, [nonempty("name")]),
        "group": pa.Column(None, pa.Check.isin(groups, name="group_declared")),
    })
    msgs = {
        "body_id_nonempty": ("body_id", "body_id is empty"),
        "name_nonempty": ("name", "name is empty"),
        "group_declared": ("group", f"group '{{value}}' is not declared in region.yml (groups: {', '.join(groups)})"),
    }
    ok = run_schema(df, schema, label, problems, msgs)
    ok &= _ids_differ_by_more_than_case(df, label, problems)
    return df[["body_id", "name", "group", "website"]].copy() if ok else None


def _ids_differ_by_more_than_case(df: pd.DataFrame, label: str, problems) -> bool:
    """``Damkar`` and ``damkar`` are refused: exports match bodies case-insensitively and file names
    (letters, forms) are one on Windows and macOS, so a row could land with either body."""
    ids = df["body_id"].astype(str)
    folded = ids.str.casefold()
    clash = folded.duplicated(keep=False) & ~ids.duplicated(keep=False)
    if not clash.any():
        return True
    first: dict[str, tuple[int, str]] = {}
    for row, body, key in zip(df.index[clash], ids[clash], folded[clash]):
        if key in first and first[key][1] != body:
            problems.append(InputProblem(label, int(row), "body_id", f"body_id '{body}' differs from '{first[key][1]}' "
                                         f"(row {first[key][0]}) only by upper/lower case: give the bodies ids that "
                                         "differ by more than case"))
        first.setdefault(key, (int(row), body))
    return False


def _answer_problems(df: pd.DataFrame, bad: np.ndarray, label: str, column: str,
                     methodology: Methodology, problems: list[InputProblem]) -> None:
    questions = {q.id: q for q in methodology.questionnaire.questions}
    room = max(getattr(problems, "cap", len(bad)) - len(problems), 0)
    rows = np.flatnonzero(bad)
    if len(rows) > room and hasattr(problems, "count_more"):
        problems.count_more(len(rows) - room)
        bad = np.zeros(len(bad), dtype=bool)
        bad[rows[:room]] = True
    for row, qid, answer in df.loc[bad, ["question_id", column]].itertuples():
        empty = "an empty cell; " if str(answer).strip() == "" else ""
        problems.append(InputProblem(label, int(row), column, f"answer '{answer}' to {qid} is not allowed "
                                                              f"({empty}expected {allowed_text(questions[qid])})"))


def _validate_answers(df, reader, methodology: Methodology, body_ids: set | None, problems) -> pd.DataFrame | None:
    label = reader.label("saq")
    if df is None or not required_columns(df, label, ["body_id", "question_id", "answer"], problems):
        return None
    qids = methodology.question_ids
    schema = pa.DataFrameSchema(
        {
            "body_id": pa.Column(None, known_body(body_ids)),
            "question_id": pa.Column(None, pa.Check.isin(qids, name="known_question")),
            "answer": pa.Column(None),
        },
        checks=[unique_rows(["body_id", "question_id"])],
    )
    msgs = {
        "known_body": ("body_id", "body '{value}' is not in bodies.csv"),
        "known_question": ("question_id", f"question '{{value}}' is not in methodology {methodology.id}"),
    }
    ok = run_schema(df, schema, label, problems, msgs)
    earned = answer_fractions(df["question_id"], df["answer"], methodology)
    bad = np.isnan(earned) & df["question_id"].isin(qids).to_numpy()
    if bad.any():
        _answer_problems(df, bad, label, "answer", methodology, problems)
        ok = False
    if not ok:
        return None
    out = df[["body_id", "question_id", "answer"]].copy()
    out["earned"] = earned
    return out


def _validate_verification(df, reader, methodology: Methodology, body_ids: set, problems,
                           table: str = "verification") -> pd.DataFrame | None:
    """``verification`` (with an optional ``verifier`` column: one row per verifier and answer), or
    ``adjudication`` (the same columns, one decided verdict per answer)."""
    label = reader.label(table)
    if df is None or not required_columns(df, label, ["body_id", "question_id", "verdict"], problems):
        return None
    if "granted" not in df.columns:
        df["granted"] = ""
    several = table == "verification" and VERIFIER in df.columns
    verdict = verdict_codes(df["verdict"])
    schema = pa.DataFrameSchema(
        {
            "body_id": pa.Column(None, known_body(body_ids)),
            "question_id": pa.Column(None, pa.Check.isin(methodology.question_ids, name="known_question")),
            "verdict": pa.Column(None, pa.Check(lambda s: verdict_codes(s) != "", name="known_verdict",
                                                error="known_verdict")),
        },
        checks=[unique_rows(["body_id", "question_id", VERIFIER] if several else ["body_id", "question_id"])],
    )
    msgs = {
        "known_body": ("body_id", "body '{value}' is not in bodies.csv"),
        "known_question": ("question_id", f"question '{{value}}' is not in methodology {methodology.id}"),
        "known_verdict": ("verdict", "verdict '{value}' is not one of sesuai, sebagian, tidak sesuai"),
    }
    ok = run_schema(df, schema, label, problems, msgs)
    if several:
        ok &= verifier_problems(df[VERIFIER], label, problems)
    partial = (verdict == "partial").to_numpy()
    granted_earned = np.full(len(df), np.nan)
    if partial.any():
        granted_earned[partial] = answer_fractions(df["question_id"][partial], df["granted"][partial], methodology)
        bad = partial & np.isnan(granted_earned) & df["question_id"].isin(methodology.question_ids).to_numpy()
        if bad.any():
            _answer_problems(df, bad, label, "granted", methodology, problems)
            ok = False
    if not ok:
        return None
    out = df[["body_id", "question_id", "granted"]].copy()
    out.insert(2, "verdict", verdict)
    out["granted_earned"] = granted_earned
    if several:
        out.insert(2, VERIFIER, df[VERIFIER].astype(str).str.strip())
    return out


def _validate_checklist(df, reader, stage, body_ids: set, problems) -> pd.DataFrame | None:
    label = reader.label("website")
    if df is None or not required_columns(df, label, ["body_id", "item_id", "present"], problems):
        return None
    items = [i.id for i in stage.items]
    present = present_values(df["present"])
    schema = pa.DataFrameSchema(
        {
            "body_id": pa.Column(None, known_body(body_ids)),
            "item_id": pa.Column(None, pa.Check.isin(items, name="known_item")),
            "present": pa.Column(None, pa.Check(lambda s: pd.Series(~np.isnan(present_values(s)), index=s.index),
                                                name="yes_no", error="yes_no")),
        },
        checks=[unique_rows(["body_id", "item_id"])],
    )
    msgs = {
        "known_body": ("body_id", "body '{value}' is not in bodies.csv"),
        "known_item": ("item_id", f"item '{{value}}' is not in the checklist of stage {stage.id}"),
        "yes_no": ("present", "value '{value}' is not ya/tidak (or 1/0)"),
    }
    if not run_schema(df, schema, label, problems, msgs):
        return None
    return pd.DataFrame({"body_id": df["body_id"], "item_id": df["item_id"], "present": present})


def _validate_scores(df, reader, stage_id: str, body_ids: set, problems) -> pd.DataFrame | None:
    label = reader.label(stage_id)
    if df is None or not required_columns(df, label, ["body_id", "score"], problems):
        return None
    number = pd.Series(number_values(df["score"]), index=df.index)
    checked = df.assign(score=number)
    schema = pa.DataFrameSchema({
        "body_id": pa.Column(None, known_body(body_ids), unique=True),
        "score": pa.Column(float, pa.Check.in_range(0, 100, name="score_range"), nullable=True),
    })
    msgs = {
        "known_body": ("body_id", "body '{value}' is not in bodies.csv"),
        "score_range": ("score", "score {value} is outside 0-100"),
    }
    ok = run_schema(checked, schema, label, problems, msgs)
    bad = number.isna() & (df["score"].astype(str) != "")  # an empty cell is a missing score (see scoring)
    for n, (row, raw) in enumerate(df.loc[bad, "score"].items()):
        if getattr(problems, "full", False):
            problems.count_more(int(bad.sum()) - n)
            ok = False
            break
        problems.append(InputProblem(label, int(row), "score", f"'{raw}' is not a number (expected 0-100)"))
        ok = False
    return pd.DataFrame({"body_id": df["body_id"], "score": number}) if ok else None


def _rel(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return Path(os.path.relpath(path, folder)).as_posix()


@dataclass
class RegionSetup:
    """What the forms need before any answer exists: ``region.yml``, the methodology, the
    validated ``bodies`` table and, when a ``saq`` table is present and valid, the claimed answers
    (``saq``: body_id, question_id, answer, earned; None when there is no saq table yet)."""

    folder: Path
    config: RegionConfig
    methodology: Methodology
    methodology_path: Path
    bodies: pd.DataFrame
    saq: pd.DataFrame | None = None


def load_panel(year: int | str, region: str, inputs_root: Path | str = "inputs") -> tuple[RegionSetup, Panel]:
    """What the adjudication forms need: the setup with the claims, and the verifiers' verdicts
    (``verification`` with a ``verifier`` column) combined, with ``adjudication.csv`` when present.
    Unlike :func:`load_region`, answers a consensus has not decided yet are not an error (deciding
    them is what the forms are for), and the other stages' tables need not exist yet."""
    setup = load_setup(year, region, inputs_root)
    reader = TableReader(setup.folder)
    problems = ProblemList(int(limit("max_problems")))
    m = setup.methodology
    if not m.stages_of("verification"):
        raise UsageError(f"methodology {m.id} has no verification stage: there is nothing to adjudicate")
    if setup.saq is None:
        raise UsageError(f"{setup.folder}: no saq table yet: the answers must be collected and verified first")
    body_ids = set(setup.bodies["body_id"])
    verification = _validate_verification(reader.read("verification", problems), reader, m, body_ids, problems)
    panel = None
    if verification is not None:
        _, panel = _combine_step(verification, setup.saq, reader, m, body_ids, problems, undecided_ok=True)
    if problems:
        raise InputValidationError(problems)
    if panel is None:
        raise UsageError(f"{reader.label('verification')} has no verifier column: with one verifier per answer "
                         "there is nothing to adjudicate")
    return setup, panel


def load_setup(year: int | str, region: str, inputs_root: Path | str = "inputs", with_saq: bool = True) -> RegionSetup:
    """Read and validate ``region.yml``, the methodology and ``bodies`` (and ``saq`` if present);
    the other tables may not exist yet. Raises with every problem found, like :func:`load_region`."""
    folder, config, methodology_path, methodology, reader = _open_region(year, region, inputs_root)
    problems: list[InputProblem] = []
    bodies = _validate_bodies(reader.read("bodies", problems), reader, config, problems)
    saq = None
    has_saq = with_saq and ((folder / "saq.csv").is_file() or (
        reader.xlsx.is_file() and "saq" in pd.ExcelFile(reader.xlsx, engine="openpyxl").sheet_names))
    if bodies is not None and methodology.questionnaire is not None and has_saq:
        saq = _validate_answers(reader.read("saq", problems), reader, methodology, set(bodies["body_id"]), problems)
    if problems:
        raise InputValidationError(problems)
    return RegionSetup(folder, config, methodology, methodology_path, bodies, saq)
