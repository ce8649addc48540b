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
    rows = positions(items["body_id"], ids)
    open_ = (items["verifiers"].to_numpy() > 1) & (items["adjudicated"].to_numpy(dtype=object) == "") & \
        (items["high"].to_numpy(dtype=float) - items["low"].to_numpy(dtype=float) > 1e-9) & (rows >= 0)
    chosen = np.flatnonzero(open_)
    if not len(chosen):
        return None
    # an answer's verdicts are next to each other in panel.verdicts, by verifier name: its first row
    # and how many there are give the verdict of the verifier at any position
    of_verdict = panel.item_of_verdict
    first = np.empty(len(items), dtype=np.int64)
    first[of_verdict[::-1]] = np.arange(len(of_verdict))[::-1]
    start, count = first[chosen], items["verifiers"].to_numpy()[chosen]
    value_of = panel.verdicts["value"].to_numpy(dtype=float)
    partial_of = (panel.verdicts["verdict"] == "partial").to_numpy()
    sizes = sorted({int(k) for k in count})
    size_of = np.searchsorted(np.array(sizes), count)  # each answer's number of verifiers, as a position in sizes
    cuts = sorted({Fraction(j, k) for k in sizes for j in range(1, k)})
    mids = [(lo + hi) / 2 for lo, hi in zip([Fraction(0)] + cuts, cuts + [Fraction(1)])]
    r = rows[chosen]
    c = positions(items["question_id"].iloc[chosen], inputs.methodology.question_ids)
    claim = claimed[r, c]
    base, ups, downs = [], [], []
    for mid in mids:
        at = start + np.array([int(mid * k) for k in sizes], dtype=np.int64)[size_of]
        value, partial = value_of[at], partial_of[at]
        v, u_, d_ = verified.copy(), up.copy(), down.copy()
        v[r, c] = value
        u_[r, c] = np.where(partial, claim - value, 0.0)
        d_[r, c] = np.where(partial, value, 0.0)
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
