"""Whose verdict counts: the "verifier" source of uncertainty of :mod:`kiprank.analysis.robustness`.

Where several verifiers judged an answer, disagreed and nobody adjudicated, the published score
counts their combination (:mod:`kiprank.core.verifiers`). A draw instead lets one of them decide:
each body gets a uniform number u per draw, and on each such answer the verdict of the verifier at
position floor(u x k) among its k verifiers (by name) counts. With the same u for all of a body's
answers, a body that two verifiers judged throughout is scored as either of them, whole; one whose
band depends on who verified it shows it in its band chances.

The choice changes only where u crosses some j / k, so a body's verification stage takes one of a
few values: the cut points split [0, 1) into *segments*, and each segment's verified matrix (and
its partly verified parts, for the "sebagian" source) is computed once (:class:`Alternatives`).
A draw then picks, per body, the segment its u falls in (:func:`pick`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..core.inputs import RegionInputs
from ..core.scoring import positions
from ..core.verifiers import VERIFIER


@dataclass
class Alternatives:
    """Per segment of u (``cuts``: the segments' upper bounds but the last, ascending), the
    verification stage's parts of the assessed bodies (segments x bodies x indicators): ``base``
    (as verified), ``up`` and ``down`` (what a fully lenient or strict call on a partly verified
    answer adds or removes)."""

    cuts: np.ndarray
    base: np.ndarray
    up: np.ndarray
    down: np.ndarray

    def segment(self, u: np.ndarray) -> np.ndarray:
        """The segment of each uniform (any shape)."""
        return np.searchsorted(self.cuts, u, side="right")


def alternatives(inputs: RegionInputs, ids: list[str], claimed: np.ndarray, verified: np.ndarray, up: np.ndarray,
                 down: np.ndarray, w: np.ndarray) -> Alternatives | None:
    """The segments of the assessed bodies ``ids`` (their claimed, verified and partly verified
    matrices as the combination gives them; ``w``: questions x indicators), or None when no answer
    of theirs has verifiers who disagree undecided."""
    panel = inputs.panel
    if panel is None:
        return None
    items = panel.items
    open_ = (items["verifiers"] > 1) & (items["adjudicated"] == "") & \
        (items["high"].to_numpy(dtype=float) - items["low"].to_numpy(dtype=float) > 1e-9)
    items = items[open_]
    rows = positions(items["body_id"], ids)
    items = items[rows >= 0]
    if not len(items):
        return None
    qids = inputs.methodology.question_ids
    verdicts = panel.verdicts.set_index(["body_id", "question_id"]).sort_index()
    per_item = [verdicts.loc[[(b, q)]].sort_values(VERIFIER, kind="mergesort")
                for b, q in zip(items["body_id"], items["question_id"])]
    sizes = sorted({len(v) for v in per_item})
    cuts = sorted({Fraction(j, k) for k in sizes for j in range(1, k)})
    mids = [(lo + hi) / 2 for lo, hi in zip([Fraction(0)] + cuts, cuts + [Fraction(1)])]
    r = positions(items["body_id"], ids)
    c = positions(items["question_id"], qids)
    base, ups, downs = [], [], []
    for mid in mids:
        v, u_, d_ = verified.copy(), up.copy(), down.copy()
        for i, (row, col, rows_) in enumerate(zip(r, c, per_item)):
            chosen = rows_.iloc[int(mid * len(rows_))]
            claim = claimed[row, col]
            value = float(chosen["value"])
            v[row, col] = value
            partial = chosen["verdict"] == "partial"
            u_[row, col] = claim - value if partial else 0.0
            d_[row, col] = value if partial else 0.0
        base.append(v @ w)
        ups.append(u_ @ w)
        downs.append(d_ @ w)
    return Alternatives(np.array([float(x) for x in cuts]), np.stack(base), np.stack(ups), np.stack(downs))


def pick(parts: np.ndarray, w: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Per body and draw, the stage parts of the body's segment times the drawn weights:
    ``parts`` segments x bodies x indicators, ``w`` indicators x draws, ``segment`` bodies x draws."""
    scored = np.einsum("sbi,id->sbd", parts, w)
    return np.take_along_axis(scored, segment[None], axis=0)[0]


def varied(alt: Alternatives | None) -> bool:
    return alt is not None and len(alt.cuts) > 0


__all__ = ["Alternatives", "alternatives", "pick", "varied"]
