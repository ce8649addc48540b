"""Fonts for the names people have (issue #22): the bundled Noto fonts draw Arabic script (names in
Aceh, of religious bodies), Hebrew and Chinese/Japanese/Korean, so a report holding such names is
still PDF/A-2b with PDF/UA-1, with the names printed; what no bundled font covers (an emoji) is still
named in a warning, and the PDF falls back to plain PDF 1.7."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from kiprank.core.glyphs import undrawable
from kiprank.core.resources import FONTS_DIR
from kiprank.report import prepare, report_content
from kiprank.report.pdf import choose_standard, typeset_document

from pdf_checks import conformance, open_pdf, outside_text_area, overlapping

FIXTURE = Path(__file__).parent / "fixtures" / "report_region"
DAY = date(2022, 12, 15)
NAMES = ["Dayah Darul Ihsan دايه دار الإحسان", "Klenteng 福德庙 Tua", "Sinagoge בית הכנסת", "사랑 교회 Manado",
         "Masjid Raya Baiturrahman مسجد راي بيت الرحمن", "お寺 Kuil"]


def test_the_bundled_fonts_cover_latin_arabic_hebrew_and_cjk():
    families = {}
    for path in sorted([*FONTS_DIR.glob("*.ttf"), *FONTS_DIR.glob("*.otf")]):
        font = TTFont(path, lazy=True)
        families.setdefault(font["name"].getDebugName(1), set()).update(font.getBestCmap())
        font.close()
    assert {"DejaVu Sans", "DejaVu Serif", "Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans CJK SC"} <= set(families)
    assert 0x0627 in families["Noto Sans Arabic"] and 0x06A0 in families["Noto Sans Arabic"]  # alef; Jawi ain with 3 dots
    assert 0x05D1 in families["Noto Sans Hebrew"]
    assert {0x798F, 0x5FB7, 0x5E99, 0x3042, 0xAC00} <= families["Noto Sans CJK SC"]  # 福 德 庙, あ, 가
    for name in NAMES:
        assert undrawable(name) == "", name
    assert undrawable("Badan 😀") == "😀"  # what no bundled font has is still found
    assert (FONTS_DIR / "LICENSE-Noto-OFL.txt").read_text(encoding="utf-8").count("SIL OPEN FONT LICENSE") == 1


@pytest.fixture(scope="module")
def named():
    rep = prepare(2022, "uji", FIXTURE, report_date="2022-12-15")
    names = rep.result.ranking["name"].astype(str).tolist()
    for i, name in enumerate(NAMES):
        names[i] = name
    rep.result.ranking["name"] = names
    return report_content(rep)


def test_names_in_other_scripts_keep_pdfa_and_pdfua_and_print(named):
    standard, messages = choose_standard(named, None)
    assert (standard, messages) == ("a-2b", [])
    pdf, messages = typeset_document(named, DAY)
    assert messages == []
    claimed = conformance(pdf)
    assert claimed["pdfa"] == "2B" and claimed["pdfua"] == "1"
    with open_pdf(pdf) as doc:
        fonts = {f[3].split("+")[-1] for page in doc for f in page.get_fonts()}
        text = " ".join(page.get_text() for page in doc)
    for family in ("NotoSansArabic", "NotoSansHebrew", "NotoSansCJKsc"):
        assert any(family in f for f in fonts), (family, fonts)
    assert "福德庙" in text and "사랑" in text and "お寺" in text
    assert outside_text_area(pdf) == [] and overlapping(pdf) == []
    again, _ = typeset_document(named, DAY)
    assert again == pdf  # the same bytes on every build


def test_an_emoji_still_falls_back_with_a_warning(named):
    data = __import__("copy").deepcopy(named)
    data["sections"][-1]["blocks"][1]["name"] = "Badan 😀 Senyum"
    standard, messages = choose_standard(data, None)
    assert standard == "1.7" and "U+1F600" in messages[0] and "PDF/UA-1" in messages[0]
