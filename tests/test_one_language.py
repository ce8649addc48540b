"""One language per document (issue #22): an Indonesian document holds no English sentence of
kiprank's own words (kiprank/words/*.en.yml) or of the presets' sources and assumptions, and an
English document no Indonesian one.

The sentences are the words files' and presets' texts cut at their placeholders into pieces of
three words or more that the other language does not also use; each piece is looked for in the
text of the typeset PDFs (ranking report with its robustness section, comparison, corrections
list, letters with a certificate) and of the report's HTML.

The methodology's own wording (stage labels, question texts, band names) is the commission's
instrument and prints as written in both languages; it is not kiprank's sentence.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from kiprank.core.methodology import load_methodology
from kiprank.core.resources import PRESET_DIR, WORDS_DIR
from kiprank.core.yamlfile import load_yaml

from pdf_checks import open_pdf

ROOT = Path(__file__).resolve().parent.parent
DAY = date(2022, 12, 15)
KINDS = ("report", "compare", "corrections", "letters", "robustness")


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)


def _pieces(text: str) -> list[str]:
    """The literal pieces of a sentence between its placeholders, of three words or more."""
    out = []
    for part in re.split(r"\{[^}]*\}", text):
        part = " ".join(part.split()).strip(" ,.;:()\u2013\u2014-")
        if len(re.findall(r"[^\W\d_]{2,}", part)) >= 3:
            out.append(part)
    return out


def _texts(lang: str) -> list[str]:
    out = []
    for kind in KINDS:
        out += list(_strings(load_yaml(WORDS_DIR / f"{kind}.{lang}.yml")))
    for path in sorted(PRESET_DIR.glob("*.yml")):
        m = load_methodology(path)
        for field in ("sources", "assumptions"):
            items, own = m.written_in(field, lang)
            assert own, f"{path.name}: {field} has no {lang} list"
            out += items
    return out


def _instrument() -> str:
    """The presets' own wording (labels, questions, statuses, bands): data, printed as written."""
    texts = []
    for path in sorted(PRESET_DIR.glob("*.yml")):
        data = load_yaml(path)
        texts += list(_strings({k: v for k, v in data.items() if k not in ("sources", "assumptions")}))
    return " \u0000 ".join(" ".join(t.split()) for t in texts)


def sentences(lang: str) -> set[str]:
    """kiprank's own sentence pieces in ``lang`` that the other language does not use (and that
    are not the instrument's own wording, which both languages print as written)."""
    other = "en" if lang == "id" else "id"
    theirs = " \u0000 ".join(" ".join(t.split()) for t in _texts(other)) + _instrument()
    return {p for t in _texts(lang) for p in _pieces(t) if p not in theirs}


def _flat(text: str) -> str:
    return " ".join(text.split())


def _pdf_text(pdf: bytes) -> str:
    with open_pdf(pdf) as doc:
        return _flat(" ".join(page.get_text() for page in doc))


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, dict[str, str]]:
    """lang -> document name -> its text."""
    import pandas as pd

    from kiprank.analysis.corrections import DIFF_COLUMNS, Published
    from kiprank.letters.content import LetterSet, Scored, letters_data
    from kiprank.letters.render import render
    from kiprank.report import comparison, full_html, prepare, report_content
    from kiprank.report.corrections import corrections_content
    from kiprank.report.pdf import typeset_document

    out = {}
    for lang in ("id", "en"):
        docs = {}
        rep = prepare(2019, "jateng", ROOT / "inputs", lang=lang, report_date="2022-12-15", robustness=True)
        docs["report.pdf"] = _pdf_text(typeset_document(report_content(rep), DAY)[0])
        docs["report.html"] = _flat(re.sub(r"<[^>]+>", " ", re.sub(r"<img[^>]*>", " ", full_html(rep))))
        crep = comparison.prepare("jateng", [2018, 2019], "kudus", ROOT / "inputs", lang=lang)
        docs["comparison.pdf"] = _pdf_text(typeset_document(comparison.comparison_content(crep), DAY)[0])
        row = {"group": "kabkota", "body_id": "b1", "name": "Kabupaten Kudus", "final_old": 80.0, "final_new": 91.25,
               "final_change": 11.25, "band_old": "Menuju Informatif", "band_new": "Informatif", "rank_old": 3,
               "rank_new": 1, "what_changed": "score, band, rank"}
        table = pd.DataFrame([row], columns=DIFF_COLUMNS)
        facts = Published(year=2019, region_id="jateng", region="Provinsi Jawa Tengah", issuer="Komisi Informasi",
                          date=DAY, fingerprint="0123456789ab", decimals=2)
        docs["corrections.pdf"] = _pdf_text(typeset_document(corrections_content(table, facts, facts, lang), DAY)[0])
        ls = LetterSet(Scored(rep.inputs, rep.result), lang=lang, report_date=DAY, certificates=True)
        ranking = rep.result.ranking
        ids = [ranking.iloc[0]["body_id"], ranking[~ranking["returned"]].iloc[0]["body_id"]] \
            if (~ranking["returned"]).any() else [ranking.iloc[0]["body_id"], ranking.iloc[-1]["body_id"]]
        docs["letters.pdf"] = _pdf_text(render(letters_data(ls, [str(i) for i in ids]), report_date=DAY).pdf)
        out[lang] = docs
    return out


@pytest.mark.parametrize("lang", ["id", "en"])
def test_no_sentence_of_the_other_language(documents, lang):
    other = "en" if lang == "id" else "id"
    foreign = sentences(other)
    assert len(foreign) > 100  # the check has something to look for
    found = {name: sorted(p for p in foreign if p in text) for name, text in documents[lang].items()}
    assert {name: hits for name, hits in found.items() if hits} == {}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_check_finds_a_sentence_of_the_other_language(documents, lang):
    """The same check on a document of the other language finds its sentences (it can fail)."""
    other = "en" if lang == "id" else "id"
    hits = [p for p in sentences(other) if p in documents[other]["report.pdf"]]
    assert len(hits) > 20


def test_sources_in_one_language_only_are_shown_as_written(tmp_path):
    """A methodology whose sources are one list (not one per language) shows them under
    'Sumber (bahasa asli)' / 'Sources (original language)'."""
    from kiprank.report import methodology, prepare

    import shutil

    root = tmp_path / "inputs"
    shutil.copytree(ROOT / "inputs" / "2022" / "klaten", root / "2022" / "klaten")
    preset = load_yaml(PRESET_DIR / "klaten-2022.yml")
    preset["sources"] = ["Keputusan Komisi Informasi Nomor 1 Tahun 2022."]
    preset["assumptions"] = {"id": ["Bobot indikator sama."], "en": ["Indicators weigh the same."]}
    import yaml

    (root / "m.yml").write_text(yaml.safe_dump(preset, allow_unicode=True, sort_keys=False), encoding="utf-8")
    region = root / "2022" / "klaten" / "region.yml"
    region.write_text(region.read_text(encoding="utf-8").replace("methodology: klaten-2022", "methodology: ../../m.yml"),
                      encoding="utf-8")
    for lang, heading, own in (("id", "Sumber (bahasa asli)", "Bobot indikator sama."),
                               ("en", "Sources (original language)", "Indicators weigh the same.")):
        section = methodology(prepare(2022, "klaten", root, lang=lang, report_date="2022-12-15")).data
        heads = [b["text"] for b in section["blocks"] if b["t"] == "h3"]
        assert heading in heads
        items = [i for b in section["blocks"] if b["t"] == "list" for i in b["items"]]
        assert "Keputusan Komisi Informasi Nomor 1 Tahun 2022." in items and own in items
