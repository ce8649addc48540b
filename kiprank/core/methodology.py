"""Methodology files: the rules of one ranking (stages, weights, questions, bands, ties), kept as data.

A methodology is a YAML file validated by the pydantic models below. Built-in presets live in
``kiprank/methodologies/``; a region may point to its own file instead. Nothing about weights,
bands or rules is hard-coded elsewhere in kiprank: change the file, not the code.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import MethodologyError
from .wording import words

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
from .resources import PRESET_DIR, methodology_location  # noqa: E402
WEIGHT_TOLERANCE = 1e-6
# How large a method can be: scoring holds (questions x indicators) and (bodies x questions) matrices,
# and every report lists each indicator; a file beyond these is refused with its place, not read
# until the machine runs out of memory.
MAX_QUESTIONS, MAX_INDICATORS, MAX_ITEMS, MAX_STAGES, MAX_BANDS = 5000, 1000, 1000, 50, 50


class _Model(BaseModel):
    # no infinite or NaN number anywhere (a weight or max of .inf would score everyone 0)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


#: What a value that is missing for a body taking part means (``missing:`` of the questionnaire and
#: of each stage): ``error`` (the default: an input error naming the file, the body and the stage),
#: ``zero`` (it earns 0) or ``not-assessed`` (it is left out: the weights of what was assessed are
#: rescaled to their full total, for that body only).
MissingRule = Literal["error", "zero", "not-assessed"]


class Indicator(_Model):
    """A group of questions with a weight inside its stage (weights of a stage sum to 100)."""

    id: str
    label: str
    weight: Annotated[float, Field(gt=0)]


class Question(_Model):
    """One SAQ question. ``type`` decides which answers are allowed and what they earn.

    - ``yesno``: ya/tidak (the spellings of :mod:`kiprank.core.answers`) earns 1 or 0;
    - ``graded``: one of ``options`` (label -> points), earns points / best points;
    - ``numeric``: a number from 0 to ``max``, earns answer / max.
    ``weight`` is the question's weight inside its indicator (default 1: all questions equal).
    ``advice`` (optional): what a body that did not fully earn the question should do, as written in
    its letter (a text, or ``{id: ..., en: ...}`` per language).
    """

    id: str
    indicator: str
    text: str = ""
    type: Literal["yesno", "graded", "numeric"]
    options: dict[str, float] | None = None
    max: Annotated[float, Field(gt=0, le=1e9)] | None = None
    weight: Annotated[float, Field(gt=0, le=1e9)] = 1.0
    advice: str | dict[str, str] | None = None
    evidence: Literal["pdf", "any"] = "pdf"  # what `kiprank evidence` expects the cited document to be

    @model_validator(mode="after")
    def _check_type_fields(self) -> "Question":
        if self.type == "graded":
            if not self.options or len(self.options) < 2:
                raise ValueError(f"question {self.id}: a graded question needs at least two options")
            if any(p < 0 for p in self.options.values()) or max(self.options.values()) <= 0:
                raise ValueError(f"question {self.id}: option points must be >= 0 with a positive best")
        if self.type == "numeric" and self.max is None:
            raise ValueError(f"question {self.id}: a numeric question needs 'max'")
        return self


class Questionnaire(_Model):
    """The SAQ: indicators and questions. ``missing`` says what a question a body left unanswered
    (no row in ``saq.csv``) means, in the questionnaire and the verification stage alike
    (:data:`MissingRule`)."""

    indicators: Annotated[list[Indicator], Field(max_length=MAX_INDICATORS)]
    questions: Annotated[list[Question], Field(max_length=MAX_QUESTIONS)]
    missing: MissingRule = "error"

    @model_validator(mode="after")
    def _check(self) -> "Questionnaire":
        _unique([i.id for i in self.indicators], "indicator id")
        _unique([q.id for q in self.questions], "question id")
        _sums_to_100([i.weight for i in self.indicators], "questionnaire indicator weights")
        known = {i.id for i in self.indicators}
        for q in self.questions:
            if q.indicator not in known:
                raise ValueError(f"question {q.id}: unknown indicator '{q.indicator}' (declared: {sorted(known)})")
        empty = known - {q.indicator for q in self.questions}
        if empty:
            raise ValueError(f"indicators without questions: {sorted(empty)}")
        return self


class ChecklistItem(_Model):
    """One website check item (e.g. 'DIP published'); weights of a checklist sum to 100.
    ``advice``: as for :class:`Question`."""

    id: str
    label: str
    weight: Annotated[float, Field(gt=0)]
    category: str = ""
    advice: str | dict[str, str] | None = None


class Gate(_Model):
    """Who takes part in a stage: those whose score on an earlier stage reaches ``min_score``,
    or the ``top_n`` of each group on that stage. The others get ``otherwise`` on this stage:
    a number (usually 0) or ``carry`` (the gating stage's score is carried over)."""

    stage: str
    min_score: Annotated[float, Field(ge=0, le=100)] | None = None
    top_n: Annotated[int, Field(gt=0)] | None = None
    otherwise: float | Literal["carry"] = 0.0

    @model_validator(mode="after")
    def _one_rule(self) -> "Gate":
        if (self.min_score is None) == (self.top_n is None):
            raise ValueError("a gate needs exactly one of 'min_score' or 'top_n'")
        if isinstance(self.otherwise, float) and not 0 <= self.otherwise <= 100:
            raise ValueError("gate 'otherwise' must be between 0 and 100, or 'carry'")
        return self


class Stage(_Model):
    """A stage of the assessment and its weight in the final score (stage weights sum to 100).

    ``missing`` (:data:`MissingRule`) says what a missing value of a body taking part in the stage
    (it returned the SAQ and passed the stage's gate) means: for a ``score`` stage, no score; for a
    ``checklist``, an item without a row; for ``verification``, an answered question without a
    verdict. Unanswered questions follow ``questionnaire.missing``.
    """

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: str
    weight: Annotated[float, Field(gt=0)]
    source: Literal["questionnaire", "verification", "checklist", "score"]
    items: Annotated[list[ChecklistItem], Field(max_length=MAX_ITEMS)] | None = None
    gate: Gate | None = None
    missing: MissingRule | None = None

    @property
    def missing_rule(self) -> str:
        return self.missing or "error"

    @model_validator(mode="after")
    def _check_items(self) -> "Stage":
        if self.source == "questionnaire" and self.missing is not None:
            raise ValueError(f"stage {self.id}: an unanswered question follows 'questionnaire.missing', "
                             "not the questionnaire stage's 'missing'")
        if self.source == "checklist":
            if not self.items:
                raise ValueError(f"stage {self.id}: a checklist stage needs 'items'")
            _unique([i.id for i in self.items], f"stage {self.id} item id")
            _sums_to_100([i.weight for i in self.items], f"stage {self.id} item weights")
        elif self.items:
            raise ValueError(f"stage {self.id}: 'items' only belong to a checklist stage")
        return self


def short_stage_label(stage: "Stage | None", fallback: str = "") -> str:
    """A stage's short name, for narrow table columns and for sentences (:func:`short_label` of its
    label). ``fallback`` when there is no stage (one missing from a methodology)."""
    if stage is None:
        return fallback
    return short_label(stage.label, stage.id)


def short_label(label: str, fallback: str = "") -> str:
    """The short form of a stage label (the one rule kiprank uses, in the reports and on the site):
    the acronym in trailing brackets ('Self Assessment Questionnaire (SAQ)' -> 'SAQ'); else the label
    up to a bracket, ' dan ', ' and ' or ' / ' ('Visitasi (verifikasi SAQ)' -> 'Visitasi',
    'Pemeriksaan website dan media sosial' -> 'Pemeriksaan website'), when that is at most two
    words and 22 characters, else its first word ('Verifikasi data dukung dan visitasi' ->
    'Verifikasi'); ``fallback`` (the stage id) for an empty label."""
    label = str(label).strip()
    if label.endswith(")") and "(" in label:
        inner = label[label.rindex("(") + 1:-1].strip()
        if 0 < len(inner) <= 12 and " " not in inner:
            return inner
    head = re.split(r"\s+\(|\s+dan\s+|\s+and\s+|\s*/\s*", label)[0].strip()
    words = head.split()
    if not words:
        return fallback
    return head if len(words) <= 2 and len(head) <= 22 else words[0]


class Band(_Model):
    """A qualification band: scores from ``min`` (inclusive) up to the next band's min.
    ``max`` is optional and only checked, to catch lists with gaps or overlaps."""

    label: str
    min: Annotated[float, Field(ge=0, le=100)]
    max: Annotated[float, Field(ge=0, le=100)] | None = None


class Ranking(_Model):
    """``dense``: 1, 2, 2, 3; ``min``: 1, 2, 2, 4 (competition ranking). Ranked within each group."""

    ties: Literal["dense", "min"] = "dense"


def _default_label(key: str):
    """A label a methodology file did not set, from ``kiprank/words/methodology.id.yml`` (a
    methodology's labels are in its own language, Indonesian; only that file is read)."""
    return lambda: words("methodology", "id")[key]


class NotReturned(_Model):
    """How a body that did not return the SAQ is reported."""

    status: str = Field(default_factory=_default_label("not_returned_status"))
    band: str = Field(default_factory=_default_label("not_returned_band"))
    ranked: bool = False
    score: Annotated[float, Field(ge=0, le=100)] | None = None


class WeightNoise(_Model):
    """How one set of weights (stage, indicator or checklist item weights) varies between draws.

    ``uniform``: each weight is multiplied by a number drawn uniformly in [1 - spread, 1 + spread]
    (``spread`` 0 keeps the weights as they are; at most 1, so no weight turns negative).
    ``dirichlet``: the weights, as shares, are drawn from a Dirichlet distribution centred on the
    nominal shares; ``concentration`` says how tightly (higher: closer to nominal).
    Either way the drawn weights are rescaled to their nominal total (100).
    """

    distribution: Literal["uniform", "dirichlet"] = "uniform"
    spread: float = 0.2
    concentration: Annotated[float, Field(gt=0, le=1e9)] = 100.0

    @field_validator("spread")
    @classmethod
    def _spread(cls, value: float) -> float:
        if not 0 <= value <= 1:
            raise ValueError(f"spread must be between 0 and 1 (a share of the nominal weight; {value:g} could make "
                             "a weight negative)")
        return value

    @property
    def varied(self) -> bool:
        return self.distribution == "dirichlet" or self.spread > 0


class SebagianNoise(_Model):
    """How much of a partly verified ("sebagian") answer the verifier might have granted.

    In each draw the granted share moves towards nothing or towards the full claim by a share drawn
    uniformly in [-spread, +spread] of the way: with spread 0.5 an answer granted half of a claim
    earns between a quarter and three quarters of it. ``per: body`` draws one such verifier's call per
    body (the same call for all its partly verified answers); ``per: region``, one for the whole region.
    """

    spread: float = 0.5
    per: Literal["body", "region"] = "body"

    @field_validator("spread")
    @classmethod
    def _spread(cls, value: float) -> float:
        if not 0 <= value <= 1:
            raise ValueError(f"spread must be between 0 and 1 (a share of the way to nothing or to the full claim), "
                             f"not {value:g}")
        return value


class Robustness(_Model):
    """What varies in the uncertainty analysis of ranks and bands (``kiprank robustness``).

    ``draws`` random variants of the ranking are scored with the random generator seeded by ``seed``;
    ``sensitivity_samples`` (a power of two) base samples of the Sobol' design give the sensitivity
    indices (``sensitivity_samples x (inputs + 2)`` more variants). ``item_weights`` defaults to
    ``indicator_weights``. ``report: true`` adds the section to the ranking report.
    """

    draws: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] = 1000
    seed: Annotated[int, Field(strict=True, ge=0, le=2**32 - 1)] = 1
    stage_weights: WeightNoise = WeightNoise()
    indicator_weights: WeightNoise = WeightNoise()
    item_weights: WeightNoise | None = None
    sebagian: SebagianNoise = SebagianNoise()
    sensitivity_samples: Annotated[int, Field(strict=True, ge=16, le=65536)] = 256
    report: bool = False

    @field_validator("sensitivity_samples")
    @classmethod
    def _power_of_two(cls, value: int) -> int:
        if value & (value - 1):
            raise ValueError(f"sensitivity_samples must be a power of two (Sobol' sequence), e.g. 256, not {value}")
        return value

    @property
    def items(self) -> WeightNoise:
        return self.item_weights if self.item_weights is not None else self.indicator_weights


class Methodology(_Model):
    """A complete, validated methodology. See ``docs`` in README for the file format."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
    name: str
    commission: str = ""
    years: str = ""
    decimals: Annotated[int, Field(ge=0, le=4)] = 2
    stages: Annotated[list[Stage], Field(max_length=MAX_STAGES)]
    questionnaire: Questionnaire | None = None
    bands: Annotated[list[Band], Field(max_length=MAX_BANDS)]
    ranking: Ranking = Ranking()
    not_returned: NotReturned = NotReturned()
    # Where the method comes from and what it assumes: one list in the language it was written in,
    # or one list per language ({id: [...], en: [...]}), so that each report shows its own
    # language (see :meth:`written_in`).
    sources: list[str] | dict[Literal["id", "en"], list[str]] = []
    assumptions: list[str] | dict[Literal["id", "en"], list[str]] = []
    robustness: Robustness = Robustness()

    def written_in(self, field: Literal["sources", "assumptions"], lang: str) -> tuple[list[str], bool]:
        """The ``sources`` or ``assumptions`` for a document in ``lang``, and whether they are in
        that language: the list of ``lang`` when the file gives one per language; else the list as
        written (a single list, or another language's), which a document shows under a heading
        that says it is in its original language."""
        value = getattr(self, field)
        if isinstance(value, dict):
            if value.get(lang):
                return list(value[lang]), True
            other = next((v for v in value.values() if v), [])
            return list(other), False
        return list(value), False

    @model_validator(mode="after")
    def _check(self) -> "Methodology":
        ids = [s.id for s in self.stages]
        _unique(ids, "stage id")
        _sums_to_100([s.weight for s in self.stages], "stage weights")
        sources = [s.source for s in self.stages]
        if {"questionnaire", "verification"} & set(sources) and self.questionnaire is None:
            raise ValueError("a questionnaire or verification stage needs a 'questionnaire' section")
        for src in ("questionnaire", "verification", "checklist"):
            if sources.count(src) > 1:
                raise ValueError(f"only one stage may have source '{src}'")
        for pos, stage in enumerate(self.stages):
            if stage.gate and stage.gate.stage not in ids[:pos]:
                raise ValueError(
                    f"stage {stage.id}: gate refers to '{stage.gate.stage}', which is not an earlier stage"
                )
        self._check_bands()
        return self

    def _check_bands(self) -> None:
        bands = self.bands
        if not bands:
            raise ValueError("at least one band is needed")
        _unique([b.label for b in bands], "band label")
        mins = [b.min for b in bands]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise ValueError(f"bands must be listed from the highest lower bound down, each different: {mins}")
        if bands[-1].min != 0:
            raise ValueError(f"the lowest band must start at 0 (it starts at {bands[-1].min}): scores below it would have no band")
        step = 10 ** -self.decimals
        for higher, lower in zip(bands, bands[1:]):
            if lower.max is None:
                continue
            if lower.max >= higher.min:
                raise ValueError(f"bands overlap: '{lower.label}' goes up to {lower.max} but '{higher.label}' starts at {higher.min}")
            if higher.min - lower.max > step + 1e-9:
                gap = round(lower.max + step, self.decimals)
                raise ValueError(
                    f"gap between bands: '{lower.label}' ends at {lower.max} and '{higher.label}' starts at "
                    f"{higher.min}, so a score of {gap} (at {self.decimals} decimals) has no band"
                )
        if bands[0].max is not None and bands[0].max < 100:
            raise ValueError(f"the top band '{bands[0].label}' must reach 100")

    # -- helpers used by scoring and the report --------------------------------------------
    def stage(self, stage_id: str) -> Stage:
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise KeyError(stage_id)

    def stages_of(self, source: str) -> list[Stage]:
        return [s for s in self.stages if s.source == source]

    @property
    def question_ids(self) -> list[str]:
        return [q.id for q in self.questionnaire.questions] if self.questionnaire else []

    @property
    def band_labels(self) -> list[str]:
        return [b.label for b in self.bands]

    def band_for(self, score: float) -> str:
        """The band of an already rounded score."""
        for band in self.bands:
            if score >= band.min - 1e-9:
                return band.label
        return self.bands[-1].label

    def bands_for(self, scores) -> np.ndarray:
        """Band labels of an array of rounded scores (NaN gets the lowest band)."""
        mins = np.array([b.min for b in self.bands]) - 1e-9
        labels = np.array(self.band_labels + [self.bands[-1].label], dtype=object)
        # index of the first band (highest first) whose lower bound the score reaches
        idx = np.argmax(np.asarray(scores, dtype=float)[:, None] >= mins[None, :], axis=1)
        reached = (np.asarray(scores, dtype=float)[:, None] >= mins[None, :]).any(axis=1)
        return np.where(reached, labels[idx], labels[-1])

    def round(self, value: float) -> float:
        """Round half-up (as a person would: 89.995 -> 90.00 at 2 decimals), not banker's rounding."""
        return round_half_up(value, self.decimals)


def round_half_up(value, decimals: int):
    """Half-up rounding as a person does it (89.995 -> 90.00, 2.675 -> 2.68), not banker's rounding.

    Works on a number or an array. The scaled value is first cleaned of binary representation
    noise (2.675 * 100 = 267.49999999999997 -> 267.5) and then rounded half up.
    """
    scale = 10.0 ** decimals
    scaled = np.round(np.asarray(value, dtype=float) * scale, 6)
    rounded = np.floor(scaled + 0.5) / scale
    return float(rounded) if np.ndim(rounded) == 0 else rounded


def _unique(values: list[str], what: str) -> None:
    seen, dup = set(), []
    for v in values:
        if v in seen:
            dup.append(v)
        seen.add(v)
    if dup:
        raise ValueError(f"duplicate {what}: {sorted(set(dup))}")


def _sums_to_100(weights: list[float], what: str) -> None:
    total = sum(weights)
    if abs(total - 100) > WEIGHT_TOLERANCE:
        raise ValueError(f"{what} must sum to 100, they sum to {total:g} ({' + '.join(f'{w:g}' for w in weights)})")


def list_presets() -> list[Methodology]:
    """All built-in methodology presets, sorted by id."""
    return sorted((load_methodology(p) for p in PRESET_DIR.glob("*.yml")), key=lambda m: m.id)


def resolve_methodology_path(ref: str, base_dir: Path | None = None) -> Path:
    """A preset id (e.g. ``klaten-2022``) or a path to a YAML file, relative to ``base_dir``."""
    if "\x00" in ref:
        raise MethodologyError(repr(ref), "a methodology reference cannot contain a NUL character")
    path = methodology_location(ref, base_dir)
    if path.is_file():
        return path
    known = ", ".join(sorted(p.stem for p in PRESET_DIR.glob("*.yml")))
    raise MethodologyError(str(path), f"methodology '{ref}' is neither a preset ({known}) nor a file")


def load_methodology(ref: str | Path, base_dir: Path | None = None) -> Methodology:
    """Load and validate a methodology from a preset id or a YAML path."""
    from .yamlfile import YamlFileError, load_yaml

    path = resolve_methodology_path(str(ref), base_dir)
    try:
        data = load_yaml(path)
    except YamlFileError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        raise MethodologyError(str(path), where + exc.reason) from None
    if not isinstance(data, dict):
        raise MethodologyError(str(path), "expected a mapping at the top level")
    try:
        return Methodology.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {msg}")
        raise MethodologyError(str(path), "; ".join(problems)) from exc


def methodology_sha256(ref: str | Path, base_dir: Path | None = None) -> str:
    return hashlib.sha256(resolve_methodology_path(str(ref), base_dir).read_bytes()).hexdigest()
