"""The data of a comparison: a scored year (:class:`YearRun`), two consecutive years compared
(:class:`PairComparison`) and a region over several years (:class:`Comparison`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ...core.inputs import RegionInputs
from ...core.methodology import Methodology
from ...core.scoring import ScoreResult
from .matching import ONE_TO_ONE
from .rescoring import MethodSplit


@dataclass
class YearRun:
    """One scored year of a region."""

    year: int
    inputs: RegionInputs
    result: ScoreResult

    @property
    def methodology(self) -> Methodology:
        return self.result.methodology


@dataclass
class PairComparison:
    """Two consecutive years compared (see the functions above for each table's columns)."""

    before: YearRun
    after: YearRun
    matches: pd.DataFrame
    changes: pd.DataFrame
    transitions: pd.DataFrame
    decomposition: pd.DataFrame
    differences: pd.DataFrame
    split: MethodSplit

    @property
    def label(self) -> str:
        return f"{self.before.year}\u2013{self.after.year}"

    @property
    def method_changed(self) -> bool:
        return not self.split.same_method

    @property
    def unmatched(self) -> pd.DataFrame:
        """Bodies not compared one to one: entered, left, merged, split, restructured."""
        return self.matches[~self.matches["match"].isin(ONE_TO_ONE)].reset_index(drop=True)


@dataclass
class Comparison:
    """A region compared over two or more years."""

    region_id: str
    runs: list[YearRun]
    crosswalk: pd.DataFrame
    pairs: list[PairComparison]
    trajectories: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def years(self) -> list[int]:
        return [r.year for r in self.runs]

    @property
    def name(self) -> str:
        """``<region>_<first>-<last>``: the output folder name."""
        return f"{self.region_id}_{self.years[0]}-{self.years[-1]}"
