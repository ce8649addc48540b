#!/usr/bin/env python3
"""Write kiprank's demo inputs from a fixed seed: synthetic answers, calibrated to published facts.

Usage, from the repository root::

    python inputs/generate.py             # (re)write every demo file under inputs/
    python inputs/generate.py --check     # regenerate into a temporary folder and compare with
                                          # inputs/; exit 1 on any difference
    python inputs/generate.py --out DIR   # write under DIR instead of inputs/

What it writes (see inputs/README.md):

- ``2022/klaten/``       Diskominfo Klaten internal ranking 2022 (methodology ``klaten-2022``)
- ``2022/klaten-xlsx/``  the same data as one ``inputs.xlsx`` workbook (exercises the Excel reader)
- ``2018/jateng/``, ``2019/jateng/``  KI Jawa Tengah, 35 kabupaten/kota (methodology ``perki-5-2016``)

Per-question answers of a real ranking are never published, so every answer, verdict, website
item and presentation score here is synthetic. They are drawn from the seed (a body has an
openness level; its answers, its over-claims and the verifier's verdicts follow from it) and then
calibrated by search: a few answers, website items or a presentation score are moved until the
score computed by kiprank's own scoring code (``kiprank.core.scoring.score``) hits the published
headline facts. Candidates are scored in batches with the real code; the written files are then
read back with ``kiprank.core.inputs.load_region``, scored again, and every calibrated fact is checked
before the generator reports success.

Determinism: only ``random.Random(<text seed>).random()`` is used (its sequence is guaranteed
stable across Python versions); each body has its own stream; CSV/YAML/README text is written by
hand; the workbook has fixed timestamps (``--check`` compares it by content, see ``_same_workbook``).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import filecmp
import io
import math
import random
import re
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

try:
    import kiprank  # noqa: F401
except ImportError:  # run from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiprank.core.answers import answer_fractions
from kiprank.core.inputs import RegionInputs, load_region
from kiprank.core.region import RegionConfig
from kiprank.core.methodology import Methodology, load_methodology
from kiprank.core.scoring import score

SEED = "kiprank-demo-v1"
HERE = Path(__file__).resolve().parent
REGEN = "python inputs/generate.py"


# ==============================================================================================
# Randomness: only Random.random(), whose sequence Python guarantees for a given seed.
# ==============================================================================================

class Rng:
    def __init__(self, *key: object):
        self._r = random.Random("/".join([SEED, *map(str, key)]))

    def random(self) -> float:
        return self._r.random()

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.random()

    def below(self, n: int) -> int:
        return min(int(self.random() * n), n - 1)

    def chance(self, p: float) -> bool:
        return self.random() < p

    def normal(self, mu: float = 0.0, sd: float = 1.0) -> float:
        u1, u2 = 1.0 - self.random(), self.random()
        return mu + sd * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def pick(self, seq):
        return seq[self.below(len(seq))]

    def sample(self, seq, k: int) -> list:
        pool = list(seq)
        for i in range(min(k, len(pool))):
            j = i + self.below(len(pool) - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]


def clip(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return lo if x < lo else hi if x > hi else x


# ==============================================================================================
# One body's answers, as levels. A question's answers are ordered from earning least to most;
# ``truth`` is what the evidence supports, ``claim`` what the body answered (truth <= claim).
# The verifier's verdict follows: sesuai when the evidence supports the claim, sebagian (granted =
# the supported answer) when it supports less but not nothing, tidak sesuai when it supports nothing.
# ==============================================================================================

@dataclass(frozen=True)
class State:
    returned: bool
    truth: tuple[int, ...] = ()
    claim: tuple[int, ...] = ()
    web: tuple[int, ...] = ()
    extra: tuple[int, ...] = ()  # score stages, in hundredths (9082 = 90.82)


@dataclass
class Spec:
    """What a body's final score must be: inside [lo, hi]; exactly ``goal`` when set."""

    aim: float
    lo: float = 0.0
    hi: float = 100.0
    goal: float | None = None
    tol: float = 0.0
    questions: tuple[int, ...] | None = None   # question indexes that calibration may move (None: all)
    web: bool = True                           # may calibration toggle website items
    extra: bool = False                        # may calibration move the presentation score
    check: Callable[["Result"], bool] | None = None
    detail: bool = False                        # does ``check`` need indicator scores


@dataclass
class Result:
    final: float                      # as published (rounded by kiprank)
    exact: float                      # unrounded (sum of kiprank's indicator contributions)
    stages: dict[str, float]          # stage scores as published
    indicators: dict[tuple[str, str], float]


class Questions:
    """Answer levels of a methodology's questions, website items and score stages."""

    def __init__(self, m: Methodology):
        self.m = m
        self.qs = m.questionnaire.questions
        self.levels: list[list[str]] = []
        self.fracs: list[list[float]] = []
        for q in self.qs:
            if q.type == "yesno":
                labels, fr = ["tidak", "ya"], [0.0, 1.0]
            elif q.type == "graded":
                best = max(q.options.values())
                opts = sorted(q.options.items(), key=lambda kv: kv[1])
                labels, fr = [k for k, _ in opts], [v / best for _, v in opts]
            else:
                n = int(q.max)
                assert n == q.max, f"numeric question {q.id} needs an integral max"
                labels, fr = [str(i) for i in range(n + 1)], [i / n for i in range(n + 1)]
            self.levels.append(labels)
            self.fracs.append(fr)
        checklist = m.stages_of("checklist")
        self.items = [i.id for i in checklist[0].items] if checklist else []
        self.extra = [s.id for s in m.stages_of("score")]
        self.q_stage = m.stages_of("questionnaire")[0].id
        self.v_stage = m.stages_of("verification")[0].id
        self.numeric = [i for i, q in enumerate(self.qs) if q.type == "numeric"]

    def index(self, indicator: str) -> tuple[int, ...]:
        return tuple(i for i, q in enumerate(self.qs) if q.indicator == indicator)

    def level_for(self, i: int, frac: float) -> int:
        fr = self.fracs[i]
        return min(range(len(fr)), key=lambda k: (abs(fr[k] - frac), k))

    def verdict(self, i: int, truth: int, claim: int) -> tuple[str, str]:
        if truth >= claim:
            return "sesuai", ""
        if self.fracs[i][truth] == 0:
            return "tidak sesuai", ""
        return "sebagian", self.levels[i][truth]


# ==============================================================================================
# Scoring candidates with kiprank's own code, many at once (one body per candidate).
# ==============================================================================================

class Scorer:
    def __init__(self, qs: Questions):
        self.qs = qs
        self.m = qs.m
        self.config = RegionConfig(region="calibration", issuer="-", title="-", methodology=self.m.id,
                                   groups={"g": "g"})

    def run(self, states: list[State], detail: list[bool] | bool = False) -> list[Result]:
        """kiprank's scores of each state (as one body each); indicator scores where ``detail``."""
        qs = self.qs
        ids = [f"c{i}" for i in range(len(states))]
        saq, ver, web, extra = [], [], [], {s: [] for s in qs.extra}
        for cid, st in zip(ids, states):
            for j, item in enumerate(qs.items):
                web.append((cid, item, float(st.web[j])))
            if not st.returned:
                continue
            for i, q in enumerate(qs.qs):
                saq.append((cid, q.id, qs.levels[i][st.claim[i]]))
                verdict, granted = qs.verdict(i, st.truth[i], st.claim[i])
                ver.append((cid, q.id, verdict, granted))
            for k, s in enumerate(qs.extra):
                extra[s].append((cid, st.extra[k] / 100))
        saq = pd.DataFrame(saq, columns=["body_id", "question_id", "answer"])
        saq["earned"] = answer_fractions(saq["question_id"], saq["answer"], self.m)
        ver = pd.DataFrame(ver, columns=["body_id", "question_id", "verdict", "granted"])
        partial = ver["verdict"] == "sebagian"
        ge = np.full(len(ver), np.nan)
        ge[partial.to_numpy()] = answer_fractions(ver["question_id"][partial], ver["granted"][partial], self.m)
        ver["verdict"] = ver["verdict"].map({"sesuai": "verified", "sebagian": "partial", "tidak sesuai": "unverified"})
        ver["granted_earned"] = ge
        inputs = RegionInputs(
            year=0, region_id="calibration", folder=Path("."), config=self.config, methodology=self.m,
            methodology_path=Path("."),
            bodies=pd.DataFrame({"body_id": ids, "name": ids, "group": "g", "website": ""}),
            saq=saq, verification=ver,
            website=pd.DataFrame(web, columns=["body_id", "item_id", "present"]),
            scores={s: pd.DataFrame(v, columns=["body_id", "score"]) for s, v in extra.items()},
        )
        result = score(inputs)
        if isinstance(detail, bool):
            detail = [detail] * len(ids)
        return _results(result, ids, {cid for cid, d in zip(ids, detail) if d})


def _results(result, ids: list[str], detail: set[str]) -> list[Result]:
    ranking = result.ranking.set_index("body_id").reindex(ids)
    stage_ids = [s.id for s in result.methodology.stages]
    frame = result.indicators
    exact = frame.groupby("body_id", sort=False)["contribution"].sum().reindex(ids).to_numpy()
    ind: dict[str, dict] = {}
    if detail:
        sub = frame[frame["body_id"].isin(detail)]
        for b, s, i, v in zip(sub["body_id"], sub["stage"], sub["indicator"], sub["score"]):
            ind.setdefault(b, {})[(s, i)] = float(v)
    finals = ranking["final"].to_numpy(dtype=float).tolist()
    stages = {s: ranking[s].to_numpy(dtype=float).tolist() for s in stage_ids}
    return [Result(final=finals[n], exact=float(exact[n]), stages={s: stages[s][n] for s in stage_ids},
                   indicators=ind.get(cid, {})) for n, cid in enumerate(ids)]


# ==============================================================================================
# Drawing answers, and calibrating them.
# ==============================================================================================

def draw(qs: Questions, rng: Rng, level: float, *, overclaim: bool = False, web_level: float | None = None,
         bias: dict[str, float] | None = None) -> State:
    """A body's answers for an openness ``level`` (0-1). Honest bodies over-claim now and then
    (more often when weak); an over-claimer answers the best option almost everywhere."""
    bias = bias or {}
    truth, claim = [], []
    for i, q in enumerate(qs.qs):
        p = clip(level + bias.get(q.indicator, 0.0) + rng.normal(0, 0.10), 0.02, 0.99)
        top = len(qs.levels[i]) - 1
        if q.type == "yesno":
            t = 1 if rng.chance(p) else 0
        else:
            t = qs.level_for(i, clip(p + rng.normal(0, 0.10)))
        if overclaim:
            c = top if rng.chance(0.92) else t
        elif t < top and rng.chance(0.10 + 0.30 * (1 - level)):
            c = min(top, t + 1 + (rng.below(3) if q.type == "numeric" else 0))
        else:
            c = t
        truth.append(min(t, c))
        claim.append(c)
    wl = level if web_level is None else web_level
    web = tuple(1 if rng.chance(clip(wl + 0.05 + rng.normal(0, 0.08), 0.02, 0.99)) else 0 for _ in qs.items)
    extra = tuple(int(round(clip(52 + 44 * level + rng.normal(0, 3.5), 30, 99) * 100)) for _ in qs.extra)
    return State(returned=True, truth=tuple(truth), claim=tuple(claim), web=web, extra=extra)


def draw_website_only(qs: Questions, rng: Rng, level: float) -> State:
    web = tuple(1 if rng.chance(clip(level + rng.normal(0, 0.08), 0.02, 0.99)) else 0 for _ in qs.items)
    return State(returned=False, web=web)


def drift(qs: Questions, rng: Rng, st: State, p: float = 0.12, direction: int = 0) -> State:
    """Next year's answers: mostly the same; each answer moves a level with probability ``p``
    (up or down at random, or in ``direction``), and a website item changes with probability p/2."""
    truth, claim = list(st.truth), list(st.claim)
    for i in range(len(truth)):
        if rng.chance(p):
            top = len(qs.levels[i]) - 1
            step = direction or (1 if rng.chance(0.5) else -1)
            truth[i] = max(0, min(top, truth[i] + step))
            if step > 0:
                claim[i] = max(claim[i], truth[i])
            else:  # a decline is mostly answered honestly, sometimes still claimed
                claim[i] = truth[i] if rng.chance(0.7) else max(truth[i], min(claim[i], truth[i] + 1))
    web = []
    for w in st.web:
        flip = rng.chance(p / 2)
        if flip and (direction == 0 or (direction > 0) != bool(w)):
            w = 1 - w
        web.append(w)
    extra = tuple(int(round(clip(e / 100 + direction * p * 10 + rng.normal(0, 2.5), 30, 99) * 100)) for e in st.extra)
    return dataclasses.replace(st, truth=tuple(truth), claim=tuple(claim), web=tuple(web), extra=extra)


def drifts(qs: Questions, rng: Rng, st: State) -> list[State]:
    """Candidate next-year answers, from nearly unchanged to clearly better or worse."""
    return [drift(qs, rng, st, p, d) for p in (0.06, 0.15, 0.3, 0.45, 0.6, 0.8) for d in (-1, 0, 1)]


def keyed_moves(qs: Questions, st: State, spec: Spec) -> list[tuple[tuple[str, int], State]]:
    """Every one-step change calibration may make to a body's answers, each with what it changes:
    ("q", question index), ("w", website item index) or ("x", score stage index)."""
    out = []
    allowed = range(len(qs.qs)) if spec.questions is None else spec.questions
    for i in allowed:
        top = len(qs.levels[i]) - 1
        t, c = st.truth[i], st.claim[i]
        options = []
        if t < top:
            options.append((t + 1, max(c, t + 1)))      # better evidence (and the answer to match)
        if t > 0:
            options.append((t - 1, c))                  # the evidence supports less than claimed
        if c < top:
            options.append((t, c + 1))                  # claims more than it can show
        if c > 0:
            options.append((min(t, c - 1), c - 1))      # answers lower
        for nt, nc in options:
            truth, claim = list(st.truth), list(st.claim)
            truth[i], claim[i] = nt, nc
            out.append((("q", i), dataclasses.replace(st, truth=tuple(truth), claim=tuple(claim))))
    if spec.web:
        for j in range(len(st.web)):
            web = list(st.web)
            web[j] = 1 - web[j]
            out.append((("w", j), dataclasses.replace(st, web=tuple(web))))
    if spec.extra:
        for k in range(len(st.extra)):
            for d in (-250, 250):
                extra = list(st.extra)
                extra[k] = max(0, min(10000, extra[k] + d))
                out.append((("x", k), dataclasses.replace(st, extra=tuple(extra))))
    return out


def moves(qs: Questions, st: State, spec: Spec) -> list[State]:
    return [c for _, c in keyed_moves(qs, st, spec)]


def _distance(x: float, lo: float, hi: float) -> float:
    return round(lo - x if x < lo else x - hi if x > hi else 0.0, 9)


@dataclass
class Job:
    key: str
    rng: Rng
    spec: Spec
    drafts: list[State]
    state: State | None = None
    result: Result | None = None
    window: tuple[float, float] = (0.0, 100.0)
    hit: bool = False


class Calibrator:
    """Picks, for each body, the draft closest to its aim, then moves answers (batch-scored with
    kiprank) until the body's score is inside its window, then fine-tunes exact goals."""

    MOVES_PER_ROUND = 20

    def __init__(self, qs: Questions):
        self.qs = qs
        self.scorer = Scorer(qs)

    def _ok(self, job: Job, r: Result) -> bool:
        return job.spec.check is None or job.spec.check(r)

    def _score(self, pairs: list[tuple[Job, State]]) -> list[Result]:
        return self.scorer.run([s for _, s in pairs], [j.spec.detail for j, _ in pairs])

    def _settled(self, job: Job) -> bool:
        return _distance(job.result.exact, *job.window) == 0 and self._ok(job, job.result)

    def run(self, jobs: list[Job]) -> dict[str, tuple[State, Result]]:
        # phase 0: the draft whose score is nearest the aim (and passes the body's check)
        flat = [(job, d) for job in jobs for d in job.drafts]
        best: dict[str, tuple] = {}
        for (job, d), r in zip(flat, self._score(flat)):
            key = (0 if self._ok(job, r) else 1, round(abs(r.exact - job.spec.aim), 9))
            if job.key not in best or key < best[job.key][0]:
                best[job.key] = (key, d, r)
        for job in jobs:
            _, job.state, job.result = best[job.key]
            s = job.spec
            if s.goal is not None:
                job.window = (s.goal - 0.3, s.goal + 0.3)
            elif s.lo <= job.result.exact <= s.hi and self._ok(job, job.result):
                job.window = (s.lo, s.hi)
            else:
                job.window = (max(s.lo, s.aim - 2.0), min(s.hi, s.aim + 2.0))
        # phase 1: one-step moves into the window; phase 2: exact goals
        self._settle(jobs)
        exact = [j for j in jobs if j.spec.goal is not None]
        for _attempt in range(40):
            if not exact:
                break
            self._fine(exact)
            missed = [j for j in exact if not j.hit]
            for job in missed:  # no combination hits the goal from here: change one other answer at
                job.state = job.rng.pick(moves(self.qs, job.state, job.spec))  # random, come back, retry
            if missed:
                for job, r in zip(missed, self._score([(j, j.state) for j in missed])):
                    job.result = r
                self._settle(missed)
            exact = missed
        else:
            raise RuntimeError(f"could not hit the published score exactly for {[j.key for j in exact]}")
        return {j.key: (j.state, j.result) for j in jobs}

    def _settle(self, jobs: list[Job]) -> None:
        """Phase 1: random improving one-step moves, every unsettled body scored together each round."""
        for _ in range(150):
            todo = [j for j in jobs if not self._settled(j)]
            if not todo:
                return
            # a sample of each body's moves; all of them once few bodies are left (a round costs
            # far more than a candidate)
            per_body = self.MOVES_PER_ROUND if len(todo) > 4 else 1000
            batch = [(job, c) for job in todo
                     for c in job.rng.sample(moves(self.qs, job.state, job.spec), per_body)]
            by_job: dict[str, list] = {}
            for (job, c), r in zip(batch, self._score(batch)):
                by_job.setdefault(job.key, []).append((c, r))
            for job in todo:
                now = (0 if self._ok(job, job.result) else 1, _distance(job.result.exact, *job.window))
                scored = [((0 if self._ok(job, r) else 1, _distance(r.exact, *job.window)), c, r)
                          for c, r in by_job[job.key]]
                better = [x for x in scored if x[0] < now]
                if not better:
                    continue  # another random sample of moves next round
                top = min(x[0] for x in better)
                near = [x for x in better if x[0][0] == top[0] and x[0][1] <= top[1] + 0.5]
                _, job.state, job.result = job.rng.pick(near)
        left = [j.key for j in jobs if not self._settled(j)]
        raise RuntimeError(f"calibration did not converge for {left}")

    def _fine(self, jobs: list[Job]) -> None:
        """Phase 2. Every one-step move of a body is scored with kiprank; combinations of up to four
        moves on different questions/items whose measured effects add up to the missing points are
        then scored with kiprank again, and the first real hit with the fewest moves is kept. Where
        the presentation score may move, it is the only fine lever (its effect is measured the same way)."""
        qs = self.qs
        probes: list[tuple[Job, State]] = []
        plans = []
        for job in jobs:
            st = job.state
            if job.spec.extra and qs.extra:
                steps = [(("x", 0), dataclasses.replace(st, extra=(e, *st.extra[1:])))
                         for e in (st.extra[0] - 100, st.extra[0] + 100) if 0 <= e <= 10000]
            else:
                steps = keyed_moves(qs, st, dataclasses.replace(job.spec, extra=False))
            plans.append((job, steps))
            probes.extend((job, c) for _, c in steps)
        results = iter(self._score(probes))
        verify: list[tuple[Job, State]] = []
        for job, steps in plans:
            deltas = [next(results).exact - job.result.exact for _ in steps]
            need = job.spec.goal - job.result.exact
            if steps and steps[0][0][0] == "x":
                verify.extend((job, c) for c in _extra_candidates(job.state, steps, deltas, need))
            else:
                verify.extend((job, c) for c in _move_combinations(job.state, steps, deltas, need)[:12])
        for job in jobs:
            job.hit = False
        for (job, c), r in zip(verify, self._score(verify)):
            spec = job.spec
            if not job.hit and r.final == spec.goal and abs(r.exact - spec.goal) <= spec.tol and self._ok(job, r):
                job.state, job.result, job.hit = c, r, True


def _extra_candidates(st: State, steps, deltas, need: float) -> list[State]:
    """Presentation scores (in hundredths) predicted to land on the goal, nearest first."""
    per_unit = float(np.mean([d / ((c.extra[0] - st.extra[0])) for (_, c), d in zip(steps, deltas)]))
    k = int(round(need / per_unit)) if per_unit else 0
    out = []
    for d in sorted(range(k - 3, k + 4), key=lambda d: (abs(d - k), d)):
        e = st.extra[0] + d
        if 0 <= e <= 10000:
            out.append(dataclasses.replace(st, extra=(e, *st.extra[1:])))
    return out


def _move_combinations(st: State, steps, deltas, need: float, want: int = 12) -> list[State]:
    """Up to four one-step moves on different questions/items whose measured effects add up to
    ``need``; fewest moves first (pairs of pairs are matched through a table of pair sums)."""
    key = lambda v: round(v, 6)  # noqa: E731
    n = len(steps)
    singles: dict[float, list[int]] = {}
    for i, d in enumerate(deltas):
        singles.setdefault(key(d), []).append(i)
    pairs: dict[float, list[tuple[int, int]]] = {}
    for i in range(n):
        for j in range(i + 1, n):
            if steps[i][0] != steps[j][0]:
                pairs.setdefault(key(deltas[i] + deltas[j]), []).append((i, j))
    distinct = lambda combo: len({steps[i][0] for i in combo}) == len(combo)  # noqa: E731
    found: list[tuple[int, ...]] = [(i,) for i in singles.get(key(need), [])]
    found += pairs.get(key(need), [])
    if len(found) < want:
        for (i, j) in [p for ps in pairs.values() for p in ps]:
            for k in singles.get(key(need - deltas[i] - deltas[j]), []):
                if k > j and distinct((i, j, k)):
                    found.append((i, j, k))
    if len(found) < want:
        for total, ps in pairs.items():
            if len(found) >= 4 * want:
                break
            for (i, j) in ps:
                for (k, m) in pairs.get(key(need - total), []):
                    if distinct((i, j, k, m)):
                        found.append(tuple(sorted((i, j, k, m))))
    found = sorted(set(found), key=lambda combo: (len(combo), combo))
    return [combine(st, [steps[i] for i in combo]) for combo in found]


def combine(st: State, steps) -> State:
    truth, claim, web = list(st.truth), list(st.claim), list(st.web)
    for (kind, i), c in steps:
        if kind == "q":
            truth[i], claim[i] = c.truth[i], c.claim[i]
        elif kind == "w":
            web[i] = c.web[i]
    return dataclasses.replace(st, truth=tuple(truth), claim=tuple(claim), web=tuple(web))


def drafts_around(qs: Questions, rng: Rng, aim: float, n: int = 10, **kw) -> list[State]:
    return [draw(qs, rng, clip(aim / 100 + rng.uniform(-0.14, 0.06), 0.05, 0.99), **kw) for _ in range(n)]


# ==============================================================================================
# Region data and the files written for it.
# ==============================================================================================

@dataclass
class Body:
    body_id: str
    name: str
    group: str
    website: str


@dataclass
class Region:
    year: int
    folder: str
    methodology: str
    region: str
    issuer: str
    title: str
    groups: dict[str, str]
    data_note: dict[str, str]  # per report language
    report_date: str  # publication date printed on the report (a demo choice, for reproducible builds)
    bodies: list[Body]
    states: dict[str, State]
    readme: str = ""
    xlsx_only: bool = False
    letter_number: str = ""  # letterhead of `kiprank letters` (a demo choice)
    signatory: tuple[str, str] | None = None  # (name, title)
    second_verifier: int | None = None  # a panel of verifiers, some bodies verified twice (the attempt's seed)


def write_region(reg: Region, qs: Questions, root: Path) -> None:
    folder = root / str(reg.year) / reg.folder
    folder.mkdir(parents=True, exist_ok=True)
    tables = region_tables(reg, qs)
    (folder / "region.yml").write_text(region_yaml(reg), encoding="utf-8", newline="\n")
    if reg.xlsx_only:
        (folder / "inputs.xlsx").write_bytes(workbook_bytes(tables))
    else:
        for name, (header, rows) in tables.items():
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
            (folder / f"{name}.csv").write_text(buf.getvalue(), encoding="utf-8", newline="\n")
    if reg.readme:
        (folder / "README.md").write_text(reg.readme, encoding="utf-8", newline="\n")


def region_tables(reg: Region, qs: Questions) -> dict[str, tuple[list[str], list[list[str]]]]:
    bodies = [[b.body_id, b.name, b.group, b.website] for b in reg.bodies]
    saq, ver, web = [], [], []
    extra = {s: [] for s in qs.extra}
    for b in reg.bodies:
        st = reg.states[b.body_id]
        for j, item in enumerate(qs.items):
            web.append([b.body_id, item, "ya" if st.web[j] else "tidak"])
        if not st.returned:
            continue
        for i, q in enumerate(qs.qs):
            saq.append([b.body_id, q.id, qs.levels[i][st.claim[i]]])
            verdict, granted = qs.verdict(i, st.truth[i], st.claim[i])
            ver.append([b.body_id, q.id, verdict, granted])
        for k, s in enumerate(qs.extra):
            v = st.extra[k]
            extra[s].append([b.body_id, f"{v // 100}.{v % 100:02d}"])
    tables = {
        "bodies": (["body_id", "name", "group", "website"], bodies),
        "saq": (["body_id", "question_id", "answer"], saq),
        "verification": (["body_id", "question_id", "verdict", "granted"], ver),
        "website": (["body_id", "item_id", "present"], web),
    }
    if reg.second_verifier is not None:
        tables["verification"], tables["adjudication"] = second_verifier(reg, qs, ver)
    for s, rows in extra.items():
        tables[s] = (["body_id", "score"], rows)
    return tables


# -- a panel of verifiers, some bodies verified twice (Jawa Tengah 2019; kiprank issue 24) ------------------

VERIFIERS = ("Verifikator A", "Verifikator B", "Verifikator C")
TWICE = 12             # bodies that a second member of the panel verified again, every answer
SMALL_SHARE = 0.15     # of their graded and numeric answers: the second verifier one level apart
BIG = 6                # deliberate disagreements: a yes/no answer 'sesuai' for one, 'tidak sesuai' for the other
DECIDED = 4            # of them decided by the lead verifier (adjudication.csv): the rest are averaged
KEEP_EXACT = {"kab-batang", "kota-pekalongan", "kab-karanganyar", "kab-kudus"}  # calibrated to published facts


def second_verifier(reg: Region, qs: Questions, ver: list[list[str]]):
    """The verification table with a verifier column (each body's first verifier in turn from the
    panel; ``TWICE`` bodies verified again by the next member, with small and deliberate
    differences) and the adjudication table (the lead verifier's decisions)."""
    rng = Rng("second-verifier", reg.year, reg.second_verifier)
    order = [b.body_id for b in reg.bodies]
    first = {b: VERIFIERS[i % len(VERIFIERS)] for i, b in enumerate(order)}
    second = {b: VERIFIERS[(i + 1) % len(VERIFIERS)] for i, b in enumerate(order)}
    returned = [b for b in order if reg.states[b].returned and b not in KEEP_EXACT]
    twice = set(rng.sample(returned, TWICE))
    index = {q.id: i for i, q in enumerate(qs.qs)}
    rows, again = [], []
    for body, qid, verdict, granted in ver:
        rows.append([body, qid, first[body], verdict, granted])
        if body in twice:
            again.append([body, qid, second[body], verdict, granted])
    yesno = [k for k, r in enumerate(again) if qs.qs[index[r[1]]].type == "yesno" and reg.states[r[0]].claim[index[r[1]]] == 1]
    big = set(rng.sample(yesno, BIG))
    decisions = []
    for k, r in enumerate(again):
        i = index[r[1]]
        st = reg.states[r[0]]
        claim, truth = st.claim[i], st.truth[i]
        if k in big:
            r[3], r[4] = ("tidak sesuai", "") if r[3] == "sesuai" else ("sesuai", "")
            if len(decisions) < DECIDED:  # the lead verifier mostly confirms the first verdict
                keep = len(decisions) != DECIDED - 1
                decisions.append([r[0], r[1], first_verdict(ver, r[0], r[1]) if keep else r[3], ""])
        elif qs.qs[i].type != "yesno" and rng.chance(SMALL_SHARE):
            other = truth - 1 if truth > 0 and rng.chance(0.6) else min(truth + 1, claim)
            r[3], r[4] = qs.verdict(i, other, claim)
    rows += again
    position = {b: i for i, b in enumerate(order)}
    rows.sort(key=lambda r: (position[r[0]], r[2]))  # per body, verifier by verifier (as kiprank collect writes it)
    return (["body_id", "question_id", "verifier", "verdict", "granted"], rows), \
        (["body_id", "question_id", "verdict", "granted"], decisions)


def first_verdict(ver: list[list[str]], body: str, qid: str) -> str:
    return next(v for b, q, v, _ in ver if b == body and q == qid)


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def region_yaml(reg: Region) -> str:
    lines = [
        f"# Demo inputs written by {REGEN} (synthetic per-question data; see README.md).",
        f"region: {_yaml_str(reg.region)}",
        f"issuer: {_yaml_str(reg.issuer)}",
        f"title: {_yaml_str(reg.title)}",
        f"methodology: {reg.methodology}",
        "groups:",
        *[f"  {gid}: {_yaml_str(label)}" for gid, label in reg.groups.items()],
        "data_note:",
        *[f"  {lang}: {_yaml_str(text)}" for lang, text in reg.data_note.items()],
        f"report_date: {reg.report_date}",
        "license: CC-BY-4.0  # of the published tables (datapackage.json); a demo choice",
    ]
    if reg.letter_number:
        lines.append(f"letter_number: {_yaml_str(reg.letter_number)}")
    if reg.signatory:
        lines += ["signatory:", f"  name: {_yaml_str(reg.signatory[0])}", f"  title: {_yaml_str(reg.signatory[1])}"]
    return "\n".join(lines) + "\n"


FIXED_TIME = (2022, 1, 1, 0, 0, 0)


def workbook_bytes(tables: dict) -> bytes:
    """The tables as one workbook, reproducible byte for byte (fixed timestamps and entry order).
    Whole numbers go in as number cells, as Excel would keep them."""
    import datetime

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, (header, rows) in tables.items():
        ws = wb.create_sheet(name)
        ws.append(header)
        for row in rows:
            ws.append([int(v) if re.fullmatch(r"\d+", v) and name != "bodies" else v for v in row])
    stamp = datetime.datetime(*FIXED_TIME)
    wb.properties.creator = "kiprank inputs/generate.py"
    wb.properties.created = stamp
    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>2022-01-01T00:00:00Z\g<2>", data)
            z = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            z.compress_type = zipfile.ZIP_DEFLATED
            z.external_attr = 0o644 << 16
            dst.writestr(z, data)
    return out.getvalue()


# ==============================================================================================
# Kabupaten Klaten 2022 (Diskominfo Klaten internal ranking, methodology klaten-2022).
# ==============================================================================================

KECAMATAN = ["Bayat", "Cawas", "Ceper", "Delanggu", "Gantiwarno", "Jatinom", "Jogonalan", "Juwiring",
             "Kalikotes", "Karanganom", "Karangdowo", "Karangnongko", "Kebonarum", "Kemalang",
             "Klaten Selatan", "Klaten Tengah", "Klaten Utara", "Manisrenggo", "Ngawen", "Pedan",
             "Polanharjo", "Prambanan", "Trucuk", "Tulung", "Wedi", "Wonosari"]

BADAN_DINAS = [  # body_id, name
    ("bappeda", "Badan Perencanaan Pembangunan Daerah (Bappeda)"),
    ("bpkpad", "Badan Pengelolaan Keuangan, Pendapatan dan Aset Daerah (BPKPAD)"),
    ("bkpsdm", "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia (BKPSDM)"),
    ("bpbd", "Badan Penanggulangan Bencana Daerah (BPBD)"),
    ("kesbangpol", "Badan Kesatuan Bangsa dan Politik (Kesbangpol)"),
    ("disdik", "Dinas Pendidikan"),
    ("dinkes", "Dinas Kesehatan"),
    ("dpupr", "Dinas Pekerjaan Umum dan Penataan Ruang (DPUPR)"),
    ("disperkim", "Dinas Perumahan dan Kawasan Permukiman (Disperkim)"),
    ("dinsos", "Dinas Sosial"),
    ("dppkbp3a", "Dinas Pengendalian Penduduk, Keluarga Berencana, Pemberdayaan Perempuan dan Perlindungan Anak"),
    ("dispermasdes", "Dinas Pemberdayaan Masyarakat dan Desa (Dispermasdes)"),
    ("disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil (Disdukcapil)"),
    ("dishub", "Dinas Perhubungan"),
    ("diskominfo", "Dinas Komunikasi dan Informatika (Diskominfo)"),
    ("disdag", "Dinas Perdagangan"),
    ("diskopukm", "Dinas Koperasi dan Usaha Kecil Menengah"),
    ("disperinaker", "Dinas Perindustrian dan Tenaga Kerja (Disperinaker)"),
    ("dpmptsp", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu (DPMPTSP)"),
    ("disparbudpora", "Dinas Pariwisata, Kebudayaan, Pemuda dan Olahraga (Disparbudpora)"),
    ("disarpus", "Dinas Kearsipan dan Perpustakaan"),
    ("dpkpp", "Dinas Pertanian, Ketahanan Pangan dan Perikanan"),
    ("dlh", "Dinas Lingkungan Hidup"),
    ("damkar", "Dinas Pemadam Kebakaran"),
]

KLATEN_TOP = {  # published top 3 per group (krjogja.com, kasihinfo.com)
    "kecamatan": [("kec-ngawen", 93.3), ("kec-karangdowo", 84.3), ("kec-klaten-utara", 83.0)],
    "badan_dinas": [("bpkpad", 90.3), ("dinkes", 90.2), ("dishub", 89.3)],
}
KLATEN_NOT_RETURNED = ["kec-gantiwarno", "kec-karangnongko", "kec-kebonarum", "kec-kemalang",
                       "kec-manisrenggo", "kec-tulung", "damkar"]
KLATEN_LOW_WEBSITE = ["kec-jogonalan", "kec-juwiring", "kec-wonosari"]
KLATEN_OVERCLAIM = ["kec-cawas", "kec-trucuk", "disdag"]

OVERCLAIM_GAP = 30.0   # SAQ minus verification, in points, for a heavy over-claimer
HONEST_GAP = 25.0      # every other body stays below this gap ...
CLEAN_SHARE = 0.12     # ... and above 1 point, except this share whose every claim is verified


def honest_min_gap(rng: Rng) -> float:
    return 0.0 if rng.chance(CLEAN_SHARE) else 1.0


def claims_ok(qs: Questions, r: Result, over: bool, min_gap: float) -> bool:
    gap = r.stages[qs.q_stage] - r.stages[qs.v_stage]
    return gap >= OVERCLAIM_GAP if over else min_gap <= gap < HONEST_GAP


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def klaten_bodies() -> list[Body]:
    out = [Body(f"kec-{slug(k)}", f"Kecamatan {k}", "kecamatan", f"https://kec-{slug(k).replace('-', '')}.klatenkab.go.id")
           for k in KECAMATAN]
    out += [Body(bid, name, "badan_dinas", f"https://{bid}.klatenkab.go.id") for bid, name in BADAN_DINAS]
    return out


def klaten_states(qs: Questions) -> dict[str, State]:
    year, region = 2022, "klaten"
    top = {bid: goal for group in KLATEN_TOP.values() for bid, goal in group}
    jobs, states = [], {}
    for b in klaten_bodies():
        rng = Rng(year, region, b.body_id)
        kec = b.group == "kecamatan"
        if b.body_id in KLATEN_NOT_RETURNED:
            states[b.body_id] = draw_website_only(qs, rng, rng.uniform(0.45, 0.7) if kec else rng.uniform(0.7, 0.85))
            continue
        over = b.body_id in KLATEN_OVERCLAIM
        low_web = b.body_id in KLATEN_LOW_WEBSITE
        web_min = 60.0 if not kec else 56.0
        min_gap = honest_min_gap(rng)

        def check(r: Result, over=over, low_web=low_web, web_min=web_min, min_gap=min_gap) -> bool:
            web = r.stages["website"]
            return claims_ok(qs, r, over, min_gap) and ((web <= 40.0) if low_web else (web >= web_min))

        if b.body_id in top:
            goal = top[b.body_id]
            spec = Spec(aim=goal, goal=goal, tol=0.01, check=check)
        elif over:
            spec = Spec(aim=rng.uniform(56, 70), lo=45, hi=75, check=check)
        elif kec:
            spec = Spec(aim=rng.uniform(50, 80), lo=40, hi=82.7, check=check)
        else:
            spec = Spec(aim=rng.uniform(66, 88), lo=55, hi=89.0, check=check)
        kw = {"overclaim": over}
        if low_web:
            kw["web_level"] = 0.22
        if over:
            drafts = [draw(qs, rng, clip(spec.aim / 100 - rng.uniform(0.05, 0.25), 0.05, 0.9), **kw,
                           web_level=clip(spec.aim / 100 + 0.1)) for _ in range(10)]
        else:
            drafts = drafts_around(qs, rng, spec.aim, **kw)
        jobs.append(Job(b.body_id, rng, spec, drafts))
    done = Calibrator(qs).run(jobs)
    states.update({k: v[0] for k, v in done.items()})
    return states


# ==============================================================================================
# Kabupaten/kota of Jawa Tengah, KI Jawa Tengah 2018 and 2019 (methodology perki-5-2016).
# ==============================================================================================

KABUPATEN = ["Banjarnegara", "Banyumas", "Batang", "Blora", "Boyolali", "Brebes", "Cilacap", "Demak",
             "Grobogan", "Jepara", "Karanganyar", "Kebumen", "Kendal", "Klaten", "Kudus", "Magelang",
             "Pati", "Pekalongan", "Pemalang", "Purbalingga", "Purworejo", "Rembang", "Semarang",
             "Sragen", "Sukoharjo", "Tegal", "Temanggung", "Wonogiri", "Wonosobo"]
KOTA = ["Magelang", "Pekalongan", "Salatiga", "Semarang", "Surakarta", "Tegal"]
KOTA_SITES = {"Surakarta": "surakarta.go.id", "Salatiga": "salatiga.go.id"}

MENUJU_2018 = ["kab-kudus", "kota-magelang", "kab-karanganyar", "kab-wonosobo", "kab-temanggung",
               "kab-wonogiri", "kab-brebes", "kab-pemalang", "kab-purbalingga", "kab-banyumas"]

# Band of every body per year. Published: 2018 Pekalongan first, Batang Informatif, the ten
# Menuju Informatif; 2019 Batang, Pekalongan, Karanganyar (90.82) and the counts 3 / 10 / 12.
# The rest is kiprank's choice (see inputs/README.md). "-" = did not return the SAQ.
JATENG_BANDS = {
    2018: {
        "Informatif": ["kota-pekalongan", "kab-batang"],
        "Menuju Informatif": MENUJU_2018,
        "Cukup Informatif": ["kota-semarang", "kota-surakarta", "kota-salatiga", "kab-klaten", "kab-sragen",
                             "kab-boyolali", "kab-kendal", "kab-jepara", "kab-pati", "kab-demak"],
        "Kurang Informatif": ["kab-banjarnegara", "kab-cilacap", "kab-kebumen", "kab-purworejo", "kab-magelang",
                              "kab-sukoharjo", "kab-grobogan", "kab-rembang"],
        "Tidak Informatif": ["kab-blora", "kab-tegal"],
        "-": ["kab-pekalongan", "kota-tegal", "kab-semarang"],
    },
    2019: {
        "Informatif": ["kab-batang", "kota-pekalongan", "kab-karanganyar"],
        "Menuju Informatif": ["kota-magelang", "kab-wonosobo", "kab-temanggung", "kab-wonogiri", "kab-brebes",
                              "kab-pemalang", "kab-purbalingga", "kab-banyumas", "kab-demak", "kota-surakarta"],
        "Cukup Informatif": ["kab-kudus", "kota-semarang", "kota-salatiga", "kab-klaten", "kab-kendal",
                             "kab-sragen", "kab-boyolali"],
        "Kurang Informatif": ["kab-jepara", "kab-pati", "kab-banjarnegara", "kab-cilacap", "kab-kebumen",
                              "kab-purworejo", "kab-magelang", "kab-sukoharjo", "kab-grobogan", "kab-rembang",
                              "kab-tegal", "kab-semarang"],
        "Tidak Informatif": ["kab-blora"],
        "-": ["kab-pekalongan", "kota-tegal"],
    },
}
BAND_WINDOWS = {  # unrounded final: hard window (lo, hi) and where aims are drawn (a, b)
    "Informatif": ((90.05, 99.0), (90.5, 93.0)),
    "Menuju Informatif": ((80.05, 89.9), (80.6, 89.3)),
    "Cukup Informatif": ((60.05, 79.9), (61.0, 79.0)),
    "Kurang Informatif": ((40.05, 59.9), (41.5, 58.5)),
    "Tidak Informatif": ((15.0, 39.9), (27.0, 38.0)),
}
JATENG_SPECIAL = {  # (year, body) -> (lo, hi): published order at the top
    (2018, "kota-pekalongan"): (94.0, 96.5),
    (2018, "kab-batang"): (91.0, 93.5),
    (2018, "kab-kudus"): (88.3, 89.6),     # high in Menuju Informatif in 2018, so its 2019 fall shows
    (2019, "kab-batang"): (94.5, 96.5),
    (2019, "kota-pekalongan"): (92.0, 94.0),
    (2019, "kab-kudus"): (70.0, 78.0),
}
JATENG_GOAL = {(2019, "kab-karanganyar"): 90.82}
JATENG_OVERCLAIM = ["kab-sragen", "kab-grobogan"]
KUDUS_DROP = ("pengumuman", "penyediaan")   # the indicators behind Kudus's 2019 fall


def jateng_bodies() -> list[Body]:
    out = [Body(f"kab-{slug(k)}", f"Kabupaten {k}", "kabkota", f"https://{slug(k).replace('-', '')}kab.go.id")
           for k in KABUPATEN]
    out += [Body(f"kota-{slug(k)}", f"Kota {k}", "kabkota",
                 "https://" + KOTA_SITES.get(k, f"{slug(k).replace('-', '')}kota.go.id")) for k in KOTA]
    return sorted(out, key=lambda b: b.name)


def band_of(year: int, body_id: str) -> str:
    for band, ids in JATENG_BANDS[year].items():
        if body_id in ids:
            return band
    raise KeyError(body_id)


def jateng_states(qs: Questions, year: int, before: dict[str, State] | None) -> dict[str, State]:
    jobs, states = [], {}
    cal = Calibrator(qs)
    for b in jateng_bodies():
        rng = Rng(year, "jateng", b.body_id)
        band = band_of(year, b.body_id)
        if band == "-":
            prior = before.get(b.body_id) if before else None
            states[b.body_id] = (dataclasses.replace(prior, returned=False, truth=(), claim=(), extra=())
                                 if prior else draw_website_only(qs, rng, rng.uniform(0.3, 0.6)))
            continue
        (lo, hi), (a, z) = BAND_WINDOWS[band]
        lo, hi = JATENG_SPECIAL.get((year, b.body_id), (lo, hi))
        if (year, b.body_id) in JATENG_SPECIAL:
            a, z = lo + 0.2, hi - 0.2
        over = b.body_id in JATENG_OVERCLAIM
        goal = JATENG_GOAL.get((year, b.body_id))

        min_gap = honest_min_gap(rng)

        def check(r: Result, over=over, min_gap=min_gap) -> bool:
            return claims_ok(qs, r, over, min_gap)

        spec = Spec(aim=goal if goal is not None else rng.uniform(a, z), lo=lo, hi=hi, goal=goal,
                    tol=0.001, extra=goal is not None, check=check)
        prior = before.get(b.body_id) if before else None
        if b.body_id == "kab-kudus" and year == 2019:
            spec, drafts = kudus_2019(qs, rng, spec, prior)
        elif prior is not None and prior.returned and not over:
            drafts = drifts(qs, rng, prior)
        elif over:
            drafts = [draw(qs, rng, clip(spec.aim / 100 - rng.uniform(0.1, 0.3), 0.05, 0.9), overclaim=True,
                           web_level=clip(spec.aim / 100 + 0.1)) for _ in range(10)]
        else:
            bias = {k: 0.08 for k in KUDUS_DROP} if b.body_id == "kab-kudus" else None
            drafts = drafts_around(qs, rng, spec.aim, bias=bias)
        jobs.append(Job(b.body_id, rng, spec, drafts))
    done = cal.run(jobs)
    states.update({k: v[0] for k, v in done.items()})
    return states


def kudus_2019(qs: Questions, rng: Rng, spec: Spec, prior: State) -> tuple[Spec, list[State]]:
    """Kudus in 2019: the same answers as in 2018, except that announcements (pengumuman) and
    information provision (penyediaan) fall clearly; only those questions are calibrated."""
    drop = tuple(i for ind in KUDUS_DROP for i in qs.index(ind))
    prior_result = Scorer(qs).run([prior], detail=True)[0]
    ind18 = prior_result.indicators
    saq18 = prior_result.stages[qs.q_stage]

    def check(r: Result) -> bool:
        saq_ok = r.stages[qs.q_stage] <= saq18 - 10
        fell = all(r.indicators[(s, k)] <= ind18[(s, k)] - 20 for s in (qs.q_stage, qs.v_stage) for k in KUDUS_DROP)
        return saq_ok and fell and r.stages[qs.q_stage] - r.stages[qs.v_stage] < HONEST_GAP

    drafts = []
    for _ in range(8):
        truth, claim = list(prior.truth), list(prior.claim)
        for ind in KUDUS_DROP:
            idx = qs.index(ind)
            for i in rng.sample(idx, 2 + rng.below(2)):
                top = len(qs.levels[i]) - 1
                new = max(0, claim[i] - max(1, int(round(top * rng.uniform(0.4, 0.7)))))
                claim[i], truth[i] = new, min(truth[i], new)
        extra = tuple(int(round(clip(e / 100 + rng.normal(0, 1.5), 30, 99) * 100)) for e in prior.extra)
        drafts.append(dataclasses.replace(prior, truth=tuple(truth), claim=tuple(claim), extra=extra))
    return dataclasses.replace(spec, questions=drop, web=False, check=check, detail=True), drafts


# ==============================================================================================
# READMEs, fact checks, main.
# ==============================================================================================

def _fmt(v: float, decimals: int) -> str:
    return f"{v:.{decimals}f}"


def klaten_readme(ranking: pd.DataFrame, xlsx: bool = False) -> str:
    r = ranking.set_index("body_id")
    lines = ["# Demo inputs: Kabupaten Klaten 2022 (internal ranking by Diskominfo Klaten)", ""]
    if xlsx:
        lines += ["The same data as `../klaten/`, as one workbook `inputs.xlsx` (sheets bodies, saq,",
                  "verification, website) instead of CSV files, so that kiprank's Excel reader is exercised",
                  "by a real file. It scores identically to `klaten` (checked by tests/test_demo_data.py).", ""]
    lines += [
        "Methodology: preset `klaten-2022` (SAQ 30, verification 50, website 20; one decimal).",
        "",
        "## Published facts this data reproduces",
        "- Top 3 per group and their scores: kecamatan Ngawen 93.3, Karangdowo 84.3, Klaten Utara 83.0;",
        "  badan/dinas BPKPAD 90.3, Dinas Kesehatan 90.2, Dinas Perhubungan 89.3 (krjogja.com, kasihinfo.com).",
        "- Kecamatan and badan/dinas are ranked separately; stages SAQ -> verification -> factual visit",
        "  (jateng.antaranews.com).",
        "- 6 of 26 kecamatan and 1 of 24 badan/dinas did not return the SAQ; all 24 badan/dinas websites run,",
        "  3 of 26 kecamatan websites are \"not optimal\" (as summarised in kiprank's domain notes from public",
        "  reporting on the 2022 ranking; the notes name no outlet for these counts).",
        "",
        "## Synthetic (kiprank's choice, not published)",
        "- Every SAQ answer, verification verdict, website item, and every score outside the top 3.",
        "- Which bodies did not return the SAQ: " + ", ".join(r.loc[b, "name"] for b in KLATEN_NOT_RETURNED) + ".",
        "- Which kecamatan websites fall short: " + ", ".join(r.loc[b, "name"] for b in KLATEN_LOW_WEBSITE)
        + f" (website score {', '.join(_fmt(r.loc[b, 'website'], 1) for b in KLATEN_LOW_WEBSITE)}).",
        "- Heavy over-claimers (high SAQ, much lower verification): "
        + ", ".join(f"{r.loc[b, 'name']} (SAQ {_fmt(r.loc[b, 'saq'], 1)}, verifikasi {_fmt(r.loc[b, 'verifikasi'], 1)})"
                    for b in KLATEN_OVERCLAIM) + ".",
        "- The list of 24 badan/dinas: real names of a kabupaten government's badan/dinas after Klaten's",
        "  organisation; the exact 2022 list was not published (assumption). Website addresses are illustrative.",
        "",
        "## As scored by kiprank",
        "",
        "| group | rank | body | final |",
        "|---|---|---|---|",
    ]
    for group, top in KLATEN_TOP.items():
        for bid, _ in top:
            lines.append(f"| {r.loc[bid, 'group_label']} | {r.loc[bid, 'rank']} | {r.loc[bid, 'name']} | "
                         f"{_fmt(r.loc[bid, 'final'], 1)} |")
    lines += ["", "## Regenerate", "", "```", REGEN, "```", ""]
    return "\n".join(lines)


def jateng_readme(year: int, ranking: pd.DataFrame) -> str:
    r = ranking.set_index("body_id")
    counts = ranking[ranking["returned"]]["band"].value_counts()
    not_returned = ranking[~ranking["returned"]]["name"].tolist()
    lines = [f"# Demo inputs: KI Jawa Tengah {year}, 35 kabupaten/kota", "",
             "Methodology: preset `perki-5-2016` (website 20, SAQ 20, visitasi 45, presentasi 15; two decimals).", "",
             "## Published facts this data reproduces"]
    if year == 2018:
        lines += ["- Kota Pekalongan is best; Kabupaten Batang is Informatif; Menuju Informatif: Kudus, Kota Magelang,",
                  "  Karanganyar, Wonosobo, Temanggung, Wonogiri, Brebes, Pemalang, Purbalingga, Banyumas",
                  "  (public reporting on KIP Jateng Award 2018, as summarised in kiprank's domain notes)."]
    else:
        lines += ["- Batang 1st, Kota Pekalongan 2nd, Karanganyar 3rd with 90.82; 3 Informatif, 10 Menuju Informatif,",
                  "  12 Kurang Informatif (public reporting on KIP Jateng Award 2019, as summarised in kiprank's domain notes).",
                  "- Kudus fell in rank and in its SAQ score compared with 2018 (Diskominfo Kudus, December 2019; no number",
                  "  was published). Here the fall comes from its `pengumuman` and `penyediaan` indicators; its other",
                  "  answers are those of 2018."]
    lines += ["", "## Synthetic (kiprank's choice, not published)",
              "- Every SAQ answer, verification verdict, website item, presentation score, and every score not quoted above.",
              "- The band of every body not named above, and who did not return the SAQ: "
              + ", ".join(not_returned) + " (see inputs/README.md for the reasoning).",
              "- Heavy over-claimers (high SAQ, much lower verification): "
              + ", ".join(f"{r.loc[b, 'name']} (SAQ {_fmt(r.loc[b, 'saq'], 2)}, visitasi {_fmt(r.loc[b, 'verifikasi'], 2)})"
                          for b in JATENG_OVERCLAIM) + ".",
              "- Website addresses follow the usual `<name>kab.go.id` / `<name>kota.go.id` pattern and are illustrative.",
              *([] if year == 2018 else [
                  f"- A panel of {len(VERIFIERS)} verifiers ({', '.join(VERIFIERS)}; names illustrative) shares the bodies "
                  f"in turn; {TWICE} bodies were verified",
                  "  again, every answer, by the next member of the panel (`verifier` column of verification.csv), with",
                  f"  small differences on some graded and numeric answers and {BIG} deliberate disagreements on yes/no "
                  f"answers, {DECIDED} of",
                  "  them decided by the lead verifier (adjudication.csv); the others count as the mean of the two "
                  "verdicts.",
                  "  The calibrated bodies above were verified once, so the published facts still hold."]),
              "", "## As scored by kiprank", "",
              "| band (bodies that returned the SAQ) | bodies |", "|---|---|"]
    for band in BAND_WINDOWS:
        lines.append(f"| {band} | {int(counts.get(band, 0))} |")
    lines.append(f"| did not return the SAQ (kiprank lists them as Tidak Informatif, unranked) | {len(not_returned)} |")
    lines += ["", "| rank | body | final | band |", "|---|---|---|---|"]
    for row in ranking[ranking["rank"].notna()].head(3).itertuples():
        lines.append(f"| {row.rank} | {row.name} | {_fmt(row.final, 2)} | {row.band} |")
    k = r.loc["kab-kudus"]
    lines += ["", f"Kabupaten Kudus: rank {k['rank']}, final {_fmt(k['final'], 2)}, SAQ {_fmt(k['saq'], 2)} ({k['band']}).",
              "", "## Regenerate", "", "```", REGEN, "```", ""]
    return "\n".join(lines)


KLATEN_NOTE = {
    "id": ("Data per pertanyaan (jawaban SAQ, hasil verifikasi, butir website) adalah data sintetis yang dibuat "
           "oleh inputs/generate.py dan dikalibrasi pada fakta yang dipublikasikan: tiga peringkat teratas tiap "
           "kelompok beserta nilainya (krjogja.com, kasihinfo.com), 6 dari 26 kecamatan dan 1 dari 24 badan/dinas "
           "tidak mengembalikan SAQ, dan 3 website kecamatan belum optimal; nilai lainnya hanya ilustrasi."),
    "en": ("Per-question data (SAQ answers, verification verdicts, website items) is synthetic, generated by "
           "inputs/generate.py and calibrated to published facts: the top 3 per group and their scores "
           "(krjogja.com, kasihinfo.com), 6 of 26 kecamatan and 1 of 24 badan/dinas not returning the SAQ, "
           "and 3 kecamatan websites falling short; all other scores are illustrative."),
}


def jateng_note(year: int) -> dict[str, str]:
    facts_en = ("Kota Pekalongan best, Batang Informatif and the ten Menuju Informatif kabupaten/kota" if year == 2018
                else "Batang 1st, Kota Pekalongan 2nd, Karanganyar 3rd with 90.82, 3 Informatif / 10 Menuju "
                     "Informatif / 12 Kurang Informatif, and Kudus lower in rank and SAQ score than in 2018 "
                     "(Diskominfo Kudus)")
    facts_id = ("Kota Pekalongan terbaik, Batang Informatif, dan sepuluh kabupaten/kota Menuju Informatif"
                if year == 2018 else
                "Batang peringkat 1, Kota Pekalongan 2, Karanganyar 3 dengan nilai 90,82; 3 Informatif, "
                "10 Menuju Informatif, 12 Kurang Informatif; Kudus turun peringkat dan nilai SAQ dibanding 2018 "
                "(Diskominfo Kudus)")
    return {
        "id": ("Data per pertanyaan (jawaban SAQ, hasil verifikasi, butir website, nilai presentasi) adalah data "
               f"sintetis yang dibuat oleh inputs/generate.py dan dikalibrasi pada hasil KI Jawa Tengah {year} yang "
               f"dipublikasikan: {facts_id}; nilai dan kualifikasi lainnya hanya ilustrasi."),
        "en": ("Per-question data (SAQ answers, verification verdicts, website items, presentation scores) is "
               f"synthetic, generated by inputs/generate.py and calibrated to the published KI Jawa Tengah {year} "
               f"results: {facts_en}; all other scores and bands are illustrative."),
    }


def build(root: Path) -> dict[str, pd.DataFrame]:
    """Write every demo region under ``root``; return the kiprank rankings read back from the files."""
    root = Path(root)
    # -- Klaten
    mk = load_methodology("klaten-2022")
    qk = Questions(mk)
    kl = Region(2022, "klaten", "klaten-2022", "Kabupaten Klaten", "Dinas Komunikasi dan Informatika Kabupaten Klaten",
                "Pemeringkatan Keterbukaan Informasi Publik Badan Publik di Lingkungan Pemerintah Kabupaten Klaten 2022",
                {"kecamatan": "Kecamatan", "badan_dinas": "Badan/Dinas"}, KLATEN_NOTE, "2022-12-15",
                klaten_bodies(), klaten_states(qk), letter_number="489/{n:03d}/KIP/{year}",
                signatory=("(contoh) Nama Kepala Dinas", "Kepala Dinas Komunikasi dan Informatika Kabupaten Klaten"))
    # -- Jateng
    mj = load_methodology("perki-5-2016")
    qj = Questions(mj)
    s18 = jateng_states(qj, 2018, None)
    s19 = jateng_states(qj, 2019, s18)
    regions = []
    for year, states in ((2018, s18), (2019, s19)):
        regions.append(Region(
            year, "jateng", "perki-5-2016", "Provinsi Jawa Tengah", "Komisi Informasi Provinsi Jawa Tengah",
            f"Pemeringkatan Keterbukaan Informasi Publik Badan Publik Kabupaten/Kota se-Jawa Tengah {year}",
            {"kabkota": "Kabupaten/Kota"}, jateng_note(year), f"{year}-12-10", jateng_bodies(), states,
            letter_number="480/{n:03d}/KI-Jtg/{year}",
            signatory=("(contoh) Nama Ketua Komisi", "Ketua Komisi Informasi Provinsi Jawa Tengah")))
    kx = dataclasses.replace(kl, folder="klaten-xlsx", xlsx_only=True)

    rankings = {}
    for reg, qs in ((kl, qk), (kx, qk), (regions[0], qj), (regions[1], qj)):
        for attempt in range(40) if reg is regions[1] else [None]:  # 2019: a second verifier that keeps the facts
            reg.second_verifier = attempt
            write_region(reg, qs, root)  # its README is written once the ranking is known
            if reg.xlsx_only:  # same data as klaten; tests/test_demo_data.py checks it scores the same
                ranking = rankings["2022/klaten"]
            else:
                ranking = score(load_region(reg.year, reg.folder, root)).ranking
                rankings[f"{reg.year}/{reg.folder}"] = ranking
            if attempt is None or not check_facts(rankings):
                break
        if reg.methodology == "klaten-2022":
            reg.readme = klaten_readme(ranking, xlsx=reg.xlsx_only)
        else:
            reg.readme = jateng_readme(reg.year, ranking)
        (root / str(reg.year) / reg.folder / "README.md").write_text(reg.readme, encoding="utf-8", newline="\n")
    problems = check_facts(rankings)
    if problems:
        raise RuntimeError("calibrated facts not met:\n  " + "\n  ".join(problems))
    return rankings


def check_facts(rankings: dict[str, pd.DataFrame]) -> list[str]:
    """Every calibrated fact, checked on kiprank's scoring of the written files."""
    bad = []

    def need(ok: bool, what: str) -> None:
        if not ok:
            bad.append(what)

    k = rankings["2022/klaten"]
    for group, top in KLATEN_TOP.items():
        g = k[(k["group"] == group) & k["returned"]].sort_values(["rank", "body_id"])
        need([(b, f) for b, f in zip(g["body_id"].head(3), g["final"].head(3))] == top, f"Klaten top 3 of {group}")
        need((g["final"].iloc[3:] < top[-1][1]).all(), f"Klaten {group}: someone else reaches the 3rd")
    need(sorted(k.loc[~k["returned"], "body_id"]) == sorted(KLATEN_NOT_RETURNED), "Klaten non-returners")
    kec = k[(k["group"] == "kecamatan") & k["returned"]]
    need(sorted(kec.loc[kec["website"] < 50, "body_id"]) == sorted(KLATEN_LOW_WEBSITE), "Klaten low websites")
    j18, j19 = rankings["2018/jateng"].set_index("body_id"), rankings["2019/jateng"].set_index("body_id")
    for year, j in ((2018, j18), (2019, j19)):
        for band, ids in JATENG_BANDS[year].items():
            if band == "-":
                need(sorted(j.index[~j["returned"]]) == sorted(ids), f"Jateng {year} non-returners")
            else:
                got = sorted(j.index[j["returned"] & (j["band"] == band)])
                need(got == sorted(ids), f"Jateng {year} band {band}: {got}")
    need(j18.loc["kota-pekalongan", "rank"] == 1 and (j18["rank"] == 1).sum() == 1, "2018 Pekalongan first")
    need([j19.index[j19["rank"] == n].tolist() for n in (1, 2, 3)]
         == [["kab-batang"], ["kota-pekalongan"], ["kab-karanganyar"]], "2019 top 3")
    need(j19.loc["kab-karanganyar", "final"] == 90.82, "2019 Karanganyar 90.82")
    need(j19.loc["kab-kudus", "rank"] > j18.loc["kab-kudus", "rank"], "Kudus rank 2019 worse")
    need(j19.loc["kab-kudus", "saq"] < j18.loc["kab-kudus", "saq"], "Kudus SAQ 2019 lower")
    return bad


# -- comparing a regeneration with the committed files ----------------------------------------

REGION_DIRS = ["2022/klaten", "2022/klaten-xlsx", "2018/jateng", "2019/jateng"]


def compare(generated: Path, reference: Path) -> list[str]:
    """Files that differ, are missing or are extra in ``reference``'s demo folders."""
    diffs = []
    for rel in REGION_DIRS:
        a, b = Path(generated) / rel, Path(reference) / rel
        names_a = sorted(p.name for p in a.iterdir() if p.is_file()) if a.is_dir() else []
        names_b = sorted(p.name for p in b.iterdir() if p.is_file()) if b.is_dir() else []
        for name in sorted(set(names_a) | set(names_b)):
            if name not in names_b:
                diffs.append(f"{rel}/{name}: missing")
            elif name not in names_a:
                diffs.append(f"{rel}/{name}: not written by the generator")
            elif not filecmp.cmp(a / name, b / name, shallow=False) and not _same_workbook(a / name, b / name):
                diffs.append(f"{rel}/{name}: differs")
    return diffs


def _same_workbook(a: Path, b: Path) -> bool:
    """Two .xlsx files with the same entries and contents. Deflate output may differ between zlib
    builds (e.g. zlib-ng), so a workbook is compared by content; every other file byte for byte."""
    if a.suffix != ".xlsx":
        return False
    try:
        with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
            return za.namelist() == zb.namelist() and all(za.read(n) == zb.read(n) for n in za.namelist())
    except zipfile.BadZipFile:
        return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=HERE, help="root to write <year>/<region>/ into (default: inputs/)")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary folder and compare with --out; exit 1 on a difference")
    args = ap.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory(prefix="kiprank-demo-") as tmp:
            build(Path(tmp))
            diffs = compare(Path(tmp), args.out)
        if diffs:
            print("demo inputs differ from a fresh regeneration:\n  " + "\n  ".join(diffs), file=sys.stderr)
            print(f"run `{REGEN}` to rewrite them", file=sys.stderr)
            return 1
        print(f"OK: demo inputs under {args.out} match a fresh regeneration")
        return 0
    build(args.out)
    for rel in REGION_DIRS:
        print(f"written: {args.out / rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
