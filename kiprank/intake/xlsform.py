"""The SAQ as an XLSForm (sheets ``survey``, ``choices``, ``settings``) for KoboToolbox or ODK
Collect. The body is chosen from the region's bodies; questions are grouped by indicator and named
by their code, so an export has one column per question code (prefixed by the group path). A hidden
``kiprank_form`` field records year, region, methodology and its hash, which collect checks."""

from __future__ import annotations

import re

from openpyxl import Workbook

from ..core.inputs import RegionSetup
from ..core.wording import words
from . import layout as L
from .cells import clean, put

SURVEY_COLUMNS = ["type", "name", "label", "hint", "required", "constraint", "constraint_message", "calculation"]
BODY_FIELD = "body_id"
STAMP_FIELD = "kiprank_form"


def xlsform_rows(setup: RegionSetup, year: int, region: str, lang: str, sha256: str):
    """(survey rows, choices rows, settings rows) as lists of dicts."""
    w = words("forms", lang)
    m = setup.methodology
    qs = m.questionnaire
    names = L.xml_names([q.id for q in qs.questions])
    groups = L.xml_names([i.id for i in qs.indicators], prefix="g_")
    survey = [
        {"type": "calculate", "name": STAMP_FIELD,
         "calculation": f"'{L.form_stamp(year, region, m.id, sha256)}'"},
        {"type": f"select_one {BODY_FIELD}", "name": BODY_FIELD, "label": w["xlsform_body"], "required": "yes"},
    ]
    choices = [{"list_name": BODY_FIELD, "name": L.body_choice(str(b.body_id)), "label": clean(b.name)}
               for b in setup.bodies.itertuples(index=False)]
    choices += [{"list_name": "yesno", "name": "ya", "label": w["answer_yes"]},
                {"list_name": "yesno", "name": "tidak", "label": w["answer_no"]}]
    for ind in qs.indicators:
        survey.append({"type": "begin_group", "name": groups[ind.id], "label": clean(ind.label)})
        for q in (q for q in qs.questions if q.indicator == ind.id):
            row = {"name": names[q.id], "label": clean(f"{q.id}. {q.text}" if q.text else q.id)}
            if q.type == "yesno":
                row["type"] = "select_one yesno"
            elif q.type == "graded":
                row["type"] = f"select_one opt_{names[q.id]}"
                choices += [{"list_name": f"opt_{names[q.id]}", "name": L.option_choice(str(o), i), "label": clean(o)}
                            for i, o in enumerate(q.options)]
            else:
                row.update(type="decimal", hint=w["xlsform_numeric_hint"].format(max=L.format_number(q.max)),
                           constraint=f". >= 0 and . <= {L.format_number(q.max)}",
                           constraint_message=w["xlsform_numeric_hint"].format(max=L.format_number(q.max)))
            survey.append(row)
        survey.append({"type": "end_group", "name": groups[ind.id]})
    form_id = re.sub(r"[^A-Za-z0-9_]", "_", f"kiprank_saq_{region}_{year}")
    settings = [{"form_title": clean(w["xlsform_title"].format(ranking=setup.config.title))[:200],
                 "form_id": form_id, "version": f"{L.FORM_VERSION}.{sha256[:12]}",
                 "default_language": "Indonesian (id)" if lang == "id" else "English (en)"}]
    return survey, choices, settings


def xlsform_workbook(setup: RegionSetup, year: int, region: str, lang: str, sha256: str) -> Workbook:
    survey, choices, settings = xlsform_rows(setup, year, region, lang, sha256)
    wb = Workbook()
    wb.remove(wb.active)
    for title, columns, rows in (("survey", SURVEY_COLUMNS, survey),
                                 ("choices", ["list_name", "name", "label"], choices),
                                 ("settings", list(settings[0]), settings)):
        ws = wb.create_sheet(title)
        for col, name in enumerate(columns, start=1):
            put(ws, 1, col, name)
        for r, row in enumerate(rows, start=2):
            for col, name in enumerate(columns, start=1):
                if row.get(name):
                    put(ws, r, col, row[name])
    return wb
