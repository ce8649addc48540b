"""The objection round in a region verified by several verifiers (issues 23 and 24 together): the
decisions apply over the combined verdicts, the verifiers' agreement is what it was before the
round, and both publications verify."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from intake_support import DEMO, invoke


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_round_on_a_region_with_several_verifiers(tmp_path):
    from kiprank.intake.objection_demo import fill_round

    inputs = tmp_path / "inputs"
    folder = inputs / "2019" / "jateng"
    shutil.copytree(DEMO / "2019" / "jateng", folder)
    with open(folder / "region.yml", "a", encoding="utf-8") as handle:
        handle.write("objections: {until: 2019-12-22}\n")
    verdicts = _rows(folder / "verification.csv")
    assert len({r["verifier"] for r in verdicts}) > 1  # the demo's panel of verifiers
    region = ["--year", 2019, "--region", "jateng", "--inputs-root", inputs, "--outputs-root", tmp_path / "out"]
    published = tmp_path / "out" / "2019" / "jateng"

    code, out = invoke("score", *region, "--preliminary")
    assert code == 0, out
    code, out = invoke("verify", published)
    assert code == 0, out
    before = (published / "agreement.csv").read_bytes()
    for kind, returned in (("sanggah", "sanggah"), ("sanggah-keputusan", "sanggah-keputusan")):
        code, out = invoke("forms", *region, "--kind", kind)
        assert code == 0, out
        fill_round(kind, 2019, "jateng", inputs, published / "forms", tmp_path / "returns" / returned)
        code, out = invoke("collect", "--year", 2019, "--region", "jateng", "--inputs-root", inputs,
                           tmp_path / "returns" / returned)
        assert code == 0, out
    code, out = invoke("score", *region)
    assert code == 0, out

    minutes = {r["decision"]: r for r in _rows(published / "sanggah.csv") if r["considered"] == "ya"}
    accepted, rejected = minutes["diterima"], minutes["ditolak"]
    assert float(accepted["final_after"]) > float(accepted["final_before"])
    assert accepted["final_before"] == _ranking(published / "sementara")[accepted["body_id"]]["final"]
    assert accepted["final_after"] == _ranking(published)[accepted["body_id"]]["final"]
    assert rejected["final_after"] == rejected["final_before"]
    # the round decides over the combined verdict; the verifiers' own agreement is unchanged
    assert (published / "agreement.csv").read_bytes() == before == (published / "sementara" / "agreement.csv").read_bytes()
    code, out = invoke("verify", published)  # the final results and, in sementara/, the preliminary ones
    assert code == 0, out


def _ranking(folder: Path) -> dict[str, dict]:
    return {r["body_id"]: r for r in _rows(folder / "ranking.csv")}
