"""The year-over-year comparison report: sections, charts and words, and its build into a PDF.

``notebooks/year_comparison.ipynb`` calls :func:`prepare` and displays the HTML of each section
(``cover_html``, ``summary_html``, ...). Every number comes from :mod:`kiprank.compare`; this
module only presents (tables, matplotlib SVG charts, sentences in Bahasa Indonesia or English,
numbers in the reader's format). The report uses the ranking report's nbconvert template,
stylesheet and fonts (``kiprank/templates/kiprank_report``); the few styles of its own (alert
box, rise/fall colours, transition matrix) are in :data:`EXTRA_CSS`, emitted with the cover.

:func:`build_comparison` (``kiprank compare``) runs the notebook with papermill, exports HTML and
renders the PDF with the ranking report's steps (:mod:`kiprank.reportbuild`), and publishes
``<outputs_root>/compare/<region>_<first>-<last>/`` atomically: ``comparison.pdf``,
``comparison.html``, ``comparison.ipynb``, ``changes.csv`` and ``decomposition.csv``.
"""

from __future__ import annotations

import io
import re
import textwrap
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, charts
from . import compare as cmp
from .errors import KiprankError, ReportError, UsageError
from .formatting import check_lang, format_date, format_int, format_number, format_weight
from .inputs import check_name, region_folder
from .report import Raw, _caption, _e, resolve_report_date, running_strings_html
from .report import _table as report_table

COMPARE_DIR = "compare"
NOTEBOOK_NAME = "year_comparison.ipynb"
COMPARISON_FILES = ("comparison.pdf", "comparison.html", "comparison.ipynb", "changes.csv", "decomposition.csv")
TOP_MOVERS = 5
WATERFALL_MAX_BARS = 16
SENTENCE_DECIMALS = 1

UP_COLOR = "#1b7f3b"
DOWN_COLOR = "#c62828"
SAME_COLOR = "#8a939e"
NAVY = "#1f3a5f"

EXTRA_CSS = """
.cmp-alert { border: 0.8pt solid #c62828; border-left: 3mm solid #c62828; background: #fdecea;
             padding: 2.6mm 4mm; margin: 0 0 5mm; font-family: "Kiprank Sans"; font-size: 8.6pt; }
.cmp-alert .cmp-box-title { color: #8e1b1b; }
.cmp-info { border: 0.8pt solid #9fb3c8; border-left: 3mm solid #1f3a5f; background: #f1f5f9;
            padding: 2.6mm 4mm; margin: 0 0 5mm; font-family: "Kiprank Sans"; font-size: 8.6pt; }
.cmp-box-title { font: bold 8.2pt "Kiprank Sans"; text-transform: uppercase; letter-spacing: 0.05em;
                 color: #1f3a5f; margin-bottom: 1mm; }
.cmp-alert p, .cmp-info p { margin: 0 0 1.2mm; text-align: left; }
.cover.cmp-cover { padding-top: 4mm; }
.cmp-cover .cover-rule { margin: 5mm 0 9mm; }
.cmp-cover .cover-title { margin-bottom: 4mm; }
.cmp-cover .cover-region { margin-bottom: 8mm; }
.cmp-cover .data-note { margin-bottom: 7mm; padding: 2.4mm 4mm; }
.cmp-cover .data-note p { font-size: 8pt; line-height: 1.32; margin-bottom: 1.6mm; }
.cmp-cover .data-note p:last-child { margin-bottom: 0; }
.cmp-cover table.cover-meta { margin-bottom: 6mm; font-size: 8.6pt; }
.cmp-cover .cover-meta th, .cmp-cover .cover-meta td { padding-top: 1.5mm; padding-bottom: 1.5mm; }
.cover .cmp-alert { margin: 0 0 6mm; font-size: 8.2pt; }
.report-section.cmp-flow { break-before: auto; margin-top: 9mm; }
table.cmp-tight th { font-size: 7pt; padding: 1.4mm 1.2mm; }
table.cmp-tight td { padding-left: 1.2mm; padding-right: 1.2mm; }
.band-from { display: block; font-size: 6.6pt; color: #5f6b7a; white-space: normal; }
table.matrix th { font-size: 6.8pt; text-align: center !important; padding: 1.2mm 0.8mm; }
.cmp-lead { font-size: 9.8pt; border-left: 1mm solid #b8892b; padding: 1mm 0 1mm 3mm; margin: 0 0 4mm; text-align: left; }
.cmp-lead strong { color: #1f3a5f; }
.up { color: #1b7f3b; }
.down { color: #c62828; }
.flat { color: #5f6b7a; }
td.chg, th.chg { text-align: right; font-variant-numeric: tabular-nums; }
td.chg { white-space: nowrap; }
table.data th.chg, table.data th.arrow { text-align: right; }
td.arrow { text-align: right; white-space: nowrap; }
tr.focus td { background: #fff4d6 !important; font-weight: bold; }
tr.stage-row td { font-weight: bold; background: #eef2f7 !important; }
tr.ind-row td.first { padding-left: 5mm; }
tr.muted-row td { color: #5f6b7a; font-style: italic; }
table.matrix td, table.matrix th { text-align: center; }
table.matrix td.rowhead { text-align: left; font-weight: bold; white-space: nowrap; }
table.matrix td.diag { background: #e4e9f0 !important; font-weight: bold; }
table.matrix td.better { background: #dcefe0 !important; color: #1b7f3b; font-weight: bold; }
table.matrix td.worse { background: #fbe3e1 !important; color: #c62828; font-weight: bold; }
table.matrix td.zero { color: #b0b7c0; }
ul.drivers { list-style: none; margin: 0; padding: 0; font-size: 7.8pt; font-family: "Kiprank Sans"; }
ul.drivers li { padding: 1mm 0; border-bottom: 0.3pt solid #e3e7ed; break-inside: avoid; text-align: left; }
ul.drivers .who { font-weight: bold; color: #1f3a5f; }
h3.pair { font-size: 11pt; border-bottom: 0.6pt solid #c9d1db; padding-bottom: 1mm; }
"""

# -- words ---------------------------------------------------------------------------------------

ID = {
    "report_kind": "Laporan Perbandingan Antartahun",
    "cover_title": "Perbandingan Hasil Pemeringkatan Keterbukaan Informasi Publik",
    "cover_subtitle": "Monitoring dan Evaluasi Keterbukaan Informasi Publik",
    "cover_region_years": "{region} \u2022 Tahun {years}",
    "issuer": "Penerbit",
    "years": "Tahun yang dibandingkan",
    "methodology": "Metodologi",
    "methodology_same": "{id} (sama untuk semua tahun)",
    "bodies": "Badan publik",
    "bodies_value": "{n} pada {year}",
    "focus": "Fokus",
    "report_date": "Tanggal laporan",
    "data_note": "Catatan data {year}",
    "legal": ("Semua nilai dihitung ulang oleh kiprank {version} dari data masukan dan berkas metodologi setiap "
              "tahun, tanpa pengolahan manual. Perubahan nilai akhir diuraikan per tahap dan indikator; "
              "uraian itu berjumlah tepat sama dengan perubahan nilai akhir sebelum pembulatan."),
    "running_head": "{region} \u2022 Perbandingan KIP {years}",
    "footer_line": "kiprank {version} \u2022 perbandingan {region} {years}",
    "page_word": "Halaman",
    "of_word": "dari",
    "contents": "Daftar isi",
    "sec_summary": "Ringkasan",
    "sec_method": "Metodologi dan Keterbandingan",
    "sec_changes": "Perubahan Peringkat dan Kualifikasi",
    "sec_charts": "Grafik",
    "sec_focus": "Fokus: {name}",
    "sec_annex": "Lampiran: Uraian Perubahan per Badan Publik",
    "pair_heading": "{y1} \u2192 {y2}",
    # methodology notice
    "box_same": "Metodologi tidak berubah",
    "method_same": ("Semua tahun yang dibandingkan memakai metodologi yang sama ({ids}): tahap, bobot, pertanyaan, "
                    "kualifikasi dan aturan tidak berubah, sehingga perubahan nilai berasal dari jawaban dan hasil "
                    "penilaian badan publik."),
    "method_labels_only": ("Metodologi {y1} ({m1}) dan {y2} ({m2}) hanya berbeda pada nama atau teks, tidak pada cara "
                           "menilai; nilai kedua tahun dapat dibandingkan langsung."),
    "box_changed": "Perhatian: metodologi berubah",
    "method_changed": ("Metodologi {y1} ({m1}) dan {y2} ({m2}) berbeda: {what} (rincian di bagian "
                       "\u201c{section}\u201d). Sebagian perubahan nilai antara kedua tahun dapat berasal dari "
                       "perubahan metode, bukan dari badan publik."),
    "comparable": ("Jawaban {y1} dapat dinilai ulang dengan metodologi {y2}, sehingga setiap perubahan nilai "
                   "dipisahkan menjadi efek metode dan efek jawaban."),
    "not_comparable": ("Jawaban {y1} tidak dapat dinilai ulang dengan metodologi {y2} ({reasons}). Karena itu kedua "
                       "tahun tidak sepenuhnya dapat dibandingkan: perubahan nilai tidak dapat dipisahkan menjadi "
                       "efek metode dan efek jawaban."),
    "what_weight": "bobot",
    "what_question": "pertanyaan",
    "what_band": "kualifikasi",
    "what_stage": "tahap",
    "what_item": "butir pemeriksaan website",
    "what_rule": "aturan perhitungan",
    "what_indicator": "indikator",
    # summary
    "pair_summary": ("Antara {y1} dan {y2}, {n} badan publik dinilai pada kedua tahun: {up} naik peringkat, {down} "
                     "turun dan {same} tetap; {band_up} naik kualifikasi, {band_down} turun kualifikasi dan "
                     "{band_same} tetap."),
    "pair_not_assessed": " {k} badan publik lainnya tidak mengembalikan SAQ pada salah satu tahun, sehingga perubahan nilainya tidak dihitung.",
    "pair_identity": " Perubahan identitas badan publik: {parts}.",
    "identity_entered": "{n} baru",
    "identity_left": "{n} tidak ada lagi",
    "identity_renamed": "{n} berganti kode (dicocokkan)",
    "identity_merged": "{n} digabung atau dipecah",
    "pair_all_same": " Semua badan publik ada pada kedua tahun dengan kode yang sama.",
    "movers": "Kenaikan dan penurunan nilai akhir terbesar, {y1} \u2192 {y2}",
    "focus_lead": "{name}, {y1} \u2192 {y2}: {rank}, nilai akhir {f1} \u2192 {f2} ({change} poin), kualifikasi {bands}.",
    "rank_up": "naik {n} peringkat ({r1} \u2192 {r2})",
    "rank_down": "turun {n} peringkat ({r1} \u2192 {r2})",
    "rank_same": "peringkat tetap ({r1})",
    "rank_na": "peringkat {r1} \u2192 {r2}",
    "band_same": "tetap {b}",
    "drivers_intro": "Perubahan per tahap, dalam poin nilai akhir: ",
    "drivers_intro_answers": "Efek jawaban per tahap, dalam poin nilai akhir: ",
    "method_part": "Dari perubahan {total} poin, {method} poin berasal dari perubahan metode dan {answers} poin dari jawaban badan publik.",
    # method section
    "methods_used": "Metodologi per tahun",
    "year": "Tahun",
    "method_id": "Kode",
    "method_name": "Nama",
    "stages_weights": "Tahap (bobot)",
    "differences": "Perbedaan metodologi {y1} \u2192 {y2}",
    "part": "Bagian",
    "what": "Yang berubah",
    "no_differences": "Tidak ada perbedaan metodologi antara {y1} dan {y2}.",
    "absent": "(tidak ada)",
    "split_title": "Efek metode dan efek jawaban per badan publik, {y1} \u2192 {y2}",
    "split_intro": ("Nilai {y1} dihitung ulang dengan metodologi {y2}. Efek metode = nilai {y1} dengan metodologi "
                    "{y2} \u2212 nilai {y1}; efek jawaban = nilai {y2} \u2212 nilai {y1} dengan metodologi {y2}. "
                    "Keduanya berjumlah sama dengan perubahan total (nilai sebelum pembulatan)."),
    "exact_1": "Nilai {y1}",
    "exact_1_under_2": "Nilai {y1} dengan metode {y2}",
    "exact_2": "Nilai {y2}",
    "method_effect": "Efek metode",
    "answers_effect": "Efek jawaban",
    "total_change": "Perubahan total",
    "reasons_title": "Alasan tidak dapat dinilai ulang",
    "parts": {"methodology": "metodologi", "stage": "tahap", "indicator": "indikator", "question": "pertanyaan",
              "item": "butir website", "band": "kualifikasi", "rule": "aturan", "questionnaire": "kuesioner"},
    "attributes": {"id": "kode", "name": "nama", "decimals": "jumlah desimal", "label": "label", "weight": "bobot",
                   "source": "dasar nilai", "gate": "ambang batas", "presence": "ada / tidak ada",
                   "indicator": "indikator", "type": "jenis jawaban", "options": "pilihan jawaban",
                   "max": "nilai maksimum", "text": "teks pertanyaan", "min": "batas bawah", "order": "urutan",
                   "ties": "aturan nilai sama", "status": "status", "band": "kualifikasi", "ranked": "diperingkat",
                   "score": "nilai", "category": "kategori"},
    # changes section
    "changes_intro": ("Tabel berikut memuat setiap badan publik yang ada pada {y1} dan {y2}, diurutkan menurut "
                      "peringkat {y2}. \u25b2 naik, \u25bc turun. Perubahan nilai adalah selisih nilai akhir yang "
                      "dipublikasikan (dibulatkan); uraiannya ada di lampiran."),
    "changes_table": "Peringkat, nilai akhir dan kualifikasi, {y1} dan {y2}",
    "body": "Badan publik",
    "rank_y": "Peringkat {y}",
    "score_y": "Nilai {y}",
    "change": "Perubahan",
    "band_y": "Kualifikasi {y}",
    "band_from": "dari {band} ({y})",
    "matrix": "Perpindahan kualifikasi {y1} \u2192 {y2} (jumlah badan publik)",
    "matrix_note": ("Baris: kualifikasi {y1}; kolom: kualifikasi {y2}. Diagonal: tetap; kanan atas (merah): turun; "
                    "kiri bawah (hijau): naik."),
    "matrix_corner": "{y1} \u2193 / {y2} \u2192",
    "identity_title": "Badan publik yang berganti kode, baru, tidak ada lagi, digabung atau dipecah, {y1} \u2192 {y2}",
    "identity_intro": ("Badan publik dicocokkan menurut kode (body_id) dan berkas padanan inputs/crosswalk.csv. "
                       "Badan publik yang digabung atau dipecah tidak dibandingkan satu lawan satu."),
    "match": "Keterangan",
    "id_y": "Kode {y}",
    "name_y": "Nama {y}",
    "note": "Catatan",
    "matches": {"same": "sama", "renamed": "berganti kode", "merged": "digabung", "split": "dipecah",
                "restructured": "ditata ulang", "entered": "baru pada {y2}", "left": "tidak ada pada {y2}"},
    # charts
    "dumbbell": "Nilai akhir {y1} dan {y2} per badan publik",
    "dumbbell_caption": ("Lingkaran kosong: {y1}; titik: {y2} (hijau naik, merah turun, abu-abu tetap). Diurutkan "
                         "menurut nilai {y2}; garis putus-putus: batas bawah kualifikasi {y2}.{missing}"),
    "dumbbell_missing": " Tidak digambar (tidak dinilai pada salah satu tahun): {names}.",
    "trajectory": "Lintasan nilai akhir {years}",
    "trajectory_caption": "Setiap garis adalah satu badan publik{focus}; garis putus-putus: batas bawah kualifikasi {year}.",
    "trajectory_focus": "; {name} ditebalkan",
    "trajectory_table": "Nilai akhir dan kualifikasi per tahun",
    "score_axis": "Nilai akhir",
    "legend_up": "{y} (naik)",
    "legend_down": "{y} (turun)",
    "legend_same": "{y} (tetap)",
    # focus
    "focus_not_in_pair": "{name} tidak dapat dibandingkan antara {y1} dan {y2}: {why}.",
    "why_absent": "tidak ada pada {y}",
    "why_not_returned": "tidak mengembalikan SAQ pada {y}",
    "why_unmatched": "{match}",
    "waterfall": "Uraian perubahan nilai akhir {name}, {y1} \u2192 {y2}",
    "waterfall_caption": ("Setiap batang adalah perubahan sumbangan satu indikator atau butir pada nilai akhir (poin). "
                          "Jumlahnya sama dengan perubahan nilai akhir sebelum pembulatan ({exact} poin); perubahan "
                          "nilai yang dipublikasikan adalah {published} poin (selisih pembulatan {residual})."),
    "waterfall_others": "{n} lainnya",
    "waterfall_method_note": ("Batang \u201cPerubahan metode\u201d adalah efek metode (nilai {y1} dengan metodologi "
                              "{y2} dikurangi nilai {y1}); batang lainnya adalah efek jawaban per indikator."),
    "method_bar": "Perubahan metode",
    "focus_table": "Sumbangan per tahap dan indikator, {y1} dan {y2}",
    "stage_indicator": "Tahap / indikator",
    "contribution_y": "Sumbangan {y}",
    "unchanged_indicators": "{n} indikator lainnya tidak berubah",
    "unchanged_items": "{n} butir lainnya tidak berubah",
    "exact_final": "Nilai akhir sebelum pembulatan",
    "published_final": "Nilai akhir dipublikasikan (dibulatkan)",
    "residual": "Selisih pembulatan (dipublikasikan \u2212 sebelum pembulatan)",
    "focus_split": "Efek metode dan efek jawaban, {name}",
    "focus_table_method": ("Setiap tahun dinilai dengan metodologinya sendiri, sehingga kolom perubahan mencakup efek "
                           "metode dan efek jawaban; grafik di atas memisahkan keduanya."),
    "focus_trajectory": "{name} per tahun",
    "rank": "Peringkat",
    "score": "Nilai",
    "band": "Kualifikasi",
    # annex
    "annex_intro": ("Untuk setiap badan publik yang dinilai pada kedua tahun: perubahan sumbangan setiap tahap pada "
                    "nilai akhir (poin), jumlahnya (perubahan nilai akhir sebelum pembulatan), perubahan yang "
                    "dipublikasikan dan selisih pembulatan. Di bawah tabel, pendorong terbesar setiap badan publik."),
    "annex_table": "Perubahan sumbangan per tahap, {y1} \u2192 {y2} (poin nilai akhir)",
    "sum": "Jumlah",
    "published": "Publikasi",
    "rounding": "Pembulatan",
    "drivers_title": "Pendorong perubahan per badan publik, {y1} \u2192 {y2}",
    "figure": "Gambar {n}",
    "table": "Tabel {n}",
    "total": "Jumlah",
}

EN = {
    "report_kind": "Year-over-Year Comparison Report",
    "cover_title": "Comparison of Public Information Openness Rankings",
    "cover_subtitle": "Monitoring and Evaluation of Public Information Openness",
    "cover_region_years": "{region} \u2022 Years {years}",
    "issuer": "Issued by",
    "years": "Years compared",
    "methodology": "Methodology",
    "methodology_same": "{id} (the same in every year)",
    "bodies": "Public bodies",
    "bodies_value": "{n} in {year}",
    "focus": "Focus",
    "report_date": "Report date",
    "data_note": "Data note {year}",
    "legal": ("Every score was recomputed by kiprank {version} from each year's input data and methodology file, "
              "with no manual processing. Changes of final scores are broken down by stage and indicator; the "
              "parts add up exactly to the change of the final score before rounding."),
    "running_head": "{region} \u2022 KIP comparison {years}",
    "footer_line": "kiprank {version} \u2022 comparison {region} {years}",
    "page_word": "Page",
    "of_word": "of",
    "contents": "Contents",
    "sec_summary": "Summary",
    "sec_method": "Methodology and Comparability",
    "sec_changes": "Changes of Rank and Qualification",
    "sec_charts": "Charts",
    "sec_focus": "Focus: {name}",
    "sec_annex": "Annex: Changes per Public Body",
    "pair_heading": "{y1} \u2192 {y2}",
    "box_same": "The methodology did not change",
    "method_same": ("Every year compared uses the same methodology ({ids}): stages, weights, questions, "
                    "qualifications and rules did not change, so changes of scores come from the bodies' answers "
                    "and assessments."),
    "method_labels_only": ("The methodologies of {y1} ({m1}) and {y2} ({m2}) differ only in names or texts, not in "
                           "how they score; the scores of both years can be compared directly."),
    "box_changed": "Note: the methodology changed",
    "method_changed": ("The methodologies of {y1} ({m1}) and {y2} ({m2}) differ: {what} (details in "
                       "\u201c{section}\u201d). Part of a change between the two years may come from the change of "
                       "method, not from the body."),
    "comparable": ("The {y1} answers can be re-scored under the {y2} methodology, so each change is split into a "
                   "method effect and an answers effect."),
    "not_comparable": ("The {y1} answers cannot be re-scored under the {y2} methodology ({reasons}). The two years "
                       "are therefore not strictly comparable: changes cannot be split into a method effect and an "
                       "answers effect."),
    "what_weight": "weights",
    "what_question": "questions",
    "what_band": "qualifications",
    "what_stage": "stages",
    "what_item": "website check items",
    "what_rule": "calculation rules",
    "what_indicator": "indicators",
    "pair_summary": ("Between {y1} and {y2}, {n} public bodies were assessed in both years: {up} moved up, {down} "
                     "moved down and {same} kept their rank; {band_up} moved to a better qualification, {band_down} "
                     "to a worse one and {band_same} kept theirs."),
    "pair_not_assessed": " {k} other bodies did not return the SAQ in one of the years, so their change is not computed.",
    "pair_identity": " Changes of identity: {parts}.",
    "identity_entered": "{n} new",
    "identity_left": "{n} no longer present",
    "identity_renamed": "{n} with a new id (matched)",
    "identity_merged": "{n} merged or split",
    "pair_all_same": " Every body is present in both years with the same id.",
    "movers": "Largest rises and falls of the final score, {y1} \u2192 {y2}",
    "focus_lead": "{name}, {y1} \u2192 {y2}: {rank}, final score {f1} \u2192 {f2} ({change} points), qualification {bands}.",
    "rank_up": "up {n} places ({r1} \u2192 {r2})",
    "rank_down": "down {n} places ({r1} \u2192 {r2})",
    "rank_same": "same rank ({r1})",
    "rank_na": "rank {r1} \u2192 {r2}",
    "band_same": "unchanged ({b})",
    "drivers_intro": "Change per stage, in points of the final score: ",
    "drivers_intro_answers": "Answers effect per stage, in points of the final score: ",
    "method_part": "Of the change of {total} points, {method} points come from the change of method and {answers} points from the body's answers.",
    "methods_used": "Methodology per year",
    "year": "Year",
    "method_id": "Id",
    "method_name": "Name",
    "stages_weights": "Stages (weight)",
    "differences": "Methodology differences {y1} \u2192 {y2}",
    "part": "Part",
    "what": "What changed",
    "no_differences": "The methodology did not change between {y1} and {y2}.",
    "absent": "(absent)",
    "split_title": "Method effect and answers effect per public body, {y1} \u2192 {y2}",
    "split_intro": ("The {y1} answers were re-scored under the {y2} methodology. Method effect = {y1} score under "
                    "the {y2} method \u2212 {y1} score; answers effect = {y2} score \u2212 {y1} score under the {y2} "
                    "method. The two add up to the total change (scores before rounding)."),
    "exact_1": "Score {y1}",
    "exact_1_under_2": "{y1} under {y2} method",
    "exact_2": "Score {y2}",
    "method_effect": "Method effect",
    "answers_effect": "Answers effect",
    "total_change": "Total change",
    "reasons_title": "Why the answers cannot be re-scored",
    "parts": {"methodology": "methodology", "stage": "stage", "indicator": "indicator", "question": "question",
              "item": "website item", "band": "qualification", "rule": "rule", "questionnaire": "questionnaire"},
    "attributes": {"id": "id", "name": "name", "decimals": "decimals", "label": "label", "weight": "weight",
                   "source": "scored from", "gate": "threshold", "presence": "present / absent",
                   "indicator": "indicator", "type": "answer type", "options": "answer options", "max": "maximum",
                   "text": "question text", "min": "lower bound", "order": "order", "ties": "tie rule",
                   "status": "status", "band": "qualification", "ranked": "ranked", "score": "score",
                   "category": "category"},
    "changes_intro": ("The table lists every public body present in {y1} and {y2}, in {y2} rank order. \u25b2 up, "
                      "\u25bc down. The change of score is the difference of the published (rounded) final scores; "
                      "the annex breaks it down."),
    "changes_table": "Rank, final score and qualification, {y1} and {y2}",
    "body": "Public body",
    "rank_y": "Rank {y}",
    "score_y": "Score {y}",
    "change": "Change",
    "band_y": "Qualification {y}",
    "band_from": "from {band} ({y})",
    "matrix": "Qualification transitions {y1} \u2192 {y2} (number of public bodies)",
    "matrix_note": ("Rows: qualification in {y1}; columns: qualification in {y2}. Diagonal: unchanged; upper right "
                    "(red): worse; lower left (green): better."),
    "matrix_corner": "{y1} \u2193 / {y2} \u2192",
    "identity_title": "Bodies with a new id, new, gone, merged or split, {y1} \u2192 {y2}",
    "identity_intro": ("Bodies are matched by id (body_id) and by the crosswalk file inputs/crosswalk.csv. Merged or "
                       "split bodies are not compared one to one."),
    "match": "Status",
    "id_y": "Id {y}",
    "name_y": "Name {y}",
    "note": "Note",
    "matches": {"same": "same", "renamed": "new id", "merged": "merged", "split": "split",
                "restructured": "restructured", "entered": "new in {y2}", "left": "not in {y2}"},
    "dumbbell": "Final score in {y1} and {y2} per public body",
    "dumbbell_caption": ("Open circle: {y1}; dot: {y2} (green up, red down, grey unchanged). Ordered by the {y2} "
                         "score; dashed lines: lower bounds of the {y2} qualifications.{missing}"),
    "dumbbell_missing": " Not drawn (not assessed in one of the years): {names}.",
    "trajectory": "Final score trajectories {years}",
    "trajectory_caption": "Each line is one public body{focus}; dashed lines: lower bounds of the {year} qualifications.",
    "trajectory_focus": "; {name} in bold",
    "trajectory_table": "Final score and qualification per year",
    "score_axis": "Final score",
    "legend_up": "{y} (up)",
    "legend_down": "{y} (down)",
    "legend_same": "{y} (unchanged)",
    "focus_not_in_pair": "{name} cannot be compared between {y1} and {y2}: {why}.",
    "why_absent": "not present in {y}",
    "why_not_returned": "did not return the SAQ in {y}",
    "why_unmatched": "{match}",
    "waterfall": "Change of the final score of {name}, {y1} \u2192 {y2}",
    "waterfall_caption": ("Each bar is the change of what one indicator or item adds to the final score (points). The "
                          "bars add up to the change of the final score before rounding ({exact} points); the "
                          "published change is {published} points (rounding residual {residual})."),
    "waterfall_others": "{n} others",
    "waterfall_method_note": ("The \u201cChange of method\u201d bar is the method effect (the {y1} score under the "
                              "{y2} methodology minus the {y1} score); the other bars are the answers effect per "
                              "indicator."),
    "method_bar": "Change of method",
    "focus_table": "Contribution per stage and indicator, {y1} and {y2}",
    "stage_indicator": "Stage / indicator",
    "contribution_y": "Contribution {y}",
    "unchanged_indicators": "{n} other indicators unchanged",
    "unchanged_items": "{n} other items unchanged",
    "exact_final": "Final score before rounding",
    "published_final": "Published final score (rounded)",
    "residual": "Rounding residual (published \u2212 before rounding)",
    "focus_split": "Method effect and answers effect, {name}",
    "focus_table_method": ("Each year is scored under its own methodology, so the change column includes both the "
                           "method effect and the answers effect; the chart above separates them."),
    "focus_trajectory": "{name} per year",
    "rank": "Rank",
    "score": "Score",
    "band": "Qualification",
    "annex_intro": ("For each body assessed in both years: the change of what each stage adds to the final score "
                    "(points), their sum (the change of the final score before rounding), the published change and "
                    "the rounding residual. Below the table, the largest drivers of each body."),
    "annex_table": "Change per stage, {y1} \u2192 {y2} (points of the final score)",
    "sum": "Sum",
    "published": "Published",
    "rounding": "Rounding",
    "drivers_title": "Drivers of the change per public body, {y1} \u2192 {y2}",
    "figure": "Figure {n}",
    "table": "Table {n}",
    "total": "Total",
}

TEXTS = {"id": ID, "en": EN}


def texts(lang: str = "id") -> dict:
    return TEXTS[check_lang(lang)]


# -- the report object -------------------------------------------------------------------------

@dataclass
class CompareReport:
    """Everything the comparison report shows, in one language."""

    comp: cmp.Comparison
    lang: str
    report_date: date
    focus: str | None  # trajectory key of the focus body
    t: dict
    version: str = __version__
    _counters: dict[str, int] = field(default_factory=lambda: {"table": 0, "figure": 0})

    @property
    def years(self) -> list[int]:
        return self.comp.years

    @property
    def years_text(self) -> str:
        ys = self.years
        return f"{ys[0]}\u2013{ys[-1]}" if len(ys) > 2 else f"{ys[0]} dan {ys[1]}" if self.lang == "id" else \
            f"{ys[0]} and {ys[1]}"

    @property
    def span(self) -> str:
        return f"{self.years[0]}\u2013{self.years[-1]}"

    @property
    def latest(self) -> cmp.YearRun:
        return self.comp.runs[-1]

    @property
    def decimals(self) -> int:
        return max(r.methodology.decimals for r in self.comp.runs)

    @property
    def focus_name(self) -> str | None:
        if self.focus is None:
            return None
        t = self.comp.trajectories
        return str(t.loc[t["key"] == self.focus, "name"].iloc[0])

    def num(self, value, decimals: int | None = None) -> str:
        return format_number(value, self.decimals if decimals is None else decimals, self.lang)

    def chg(self, value, decimals: int | None = None) -> str:
        if value is None or pd.isna(value):
            return "\u2014"
        return cmp.signed(float(value), self.decimals if decimals is None else decimals, self.lang)

    def next(self, kind: str) -> str:
        self._counters[kind] += 1
        return self.t[kind].format(n=self._counters[kind])

    def sections(self) -> list[tuple[int | None, str, str]]:
        """(number, title, anchor) of the sections in display order."""
        out = [("sec_summary", "ringkasan"), ("sec_method", "metodologi"), ("sec_changes", "perubahan"),
               ("sec_charts", "grafik")]
        if self.focus is not None:
            out.append(("sec_focus", "fokus"))
        numbered = [(i, self.t[k].format(name=self.focus_name), a) for i, (k, a) in enumerate(out, 1)]
        return numbered + [(None, self.t["sec_annex"], "lampiran")]


def resolve_root(path: str | Path, probe: str | None = None) -> Path:
    """A folder given absolute, or relative to the working folder; a relative path that does not
    exist there is also looked for by its last name in the working folder and its parents (so
    ``'../inputs'`` works from ``notebooks/`` and from the repository root)."""
    root = Path(path)
    if root.is_absolute():
        return root
    cwd = Path.cwd()
    candidates = [cwd / root] + [base / root.name for base in (cwd, *list(cwd.parents)[:2])]
    for c in candidates:
        if (c / probe).exists() if probe else c.is_dir():
            return c.resolve()
    return root


def prepare(region: str, years, focus: str | None = None, inputs_root: str | Path = "inputs", lang: str = "id",
            report_date: str | date | None = None) -> CompareReport:
    """Load, score and compare ``region`` over ``years`` and hold what the report shows."""
    check_lang(lang)
    ys = cmp.check_years(years)
    root = resolve_root(inputs_root, f"{ys[0]}/{region}")
    comp = cmp.load_comparison(region, ys, root)
    key = cmp.focus_key(comp, focus) if focus else None
    return CompareReport(comp=comp, lang=lang, report_date=resolve_report_date(report_date), focus=key, t=texts(lang))


# -- HTML helpers ------------------------------------------------------------------------------

def _table(headers, rows, cls="data", caption="", col_classes=None, row_classes=None, widths=None) -> str:
    """The ranking report's table (header repeated on every page), class ``data`` by default."""
    return report_table(headers, rows, cls, caption, col_classes=col_classes, row_classes=row_classes, widths=widths)


def _section(rep: CompareReport, anchor: str, body: str, cls: str = "") -> str:
    number, title = next((n, ti) for n, ti, a in rep.sections() if a == anchor)
    heading = f"{number}. {title}" if number is not None else title
    return (f'<section class="report-section {cls}" id="{anchor}">'
            f'<h2 data-title="{_e(title)}">{_e(heading)}</h2>{body}</section>')


def _figure(rep: CompareReport, svg: str, title: str, caption: str = "") -> str:
    note = f'<div class="figure-note">{_e(caption)}</div>' if caption else ""
    return (f'<figure class="chart"><figcaption>{_caption(rep, "figure", title)}</figcaption>'
            f'<div class="svg-box"><img alt="{_e(title)}" src="{charts.data_uri(svg)}"></div>{note}</figure>')


def _pair_heading(rep: CompareReport, pair: cmp.PairComparison) -> str:
    if len(rep.comp.pairs) == 1:
        return ""
    return f'<h3 class="pair">{_e(rep.t["pair_heading"].format(y1=pair.before.year, y2=pair.after.year))}</h3>'


def _chip(color: str) -> str:
    return f'<span class="chip" style="background:{color}"></span>'


def _band_html(rep: CompareReport, band: str, m) -> str:
    colors = charts.band_colors(m.band_labels)
    color = colors.get(band, charts.NOT_RETURNED_COLOR)
    return _chip(color) + _e(band)


def _arrow(value) -> str:
    if value is None or pd.isna(value):
        return '<span class="flat">\u2014</span>'
    if value > 0:
        return f'<span class="up">\u25b2 {int(value)}</span>'
    if value < 0:
        return f'<span class="down">\u25bc {int(-value)}</span>'
    return '<span class="flat">=</span>'


def _band_mark(change) -> str:
    """'▲ ' (better band) or '▼ ' (worse band); '' when unknown (different band lists)."""
    if change is None or pd.isna(change) or change == 0:
        return ""
    return '<span class="up">\u25b2</span> ' if change > 0 else '<span class="down">\u25bc</span> '


def _chg_html(rep: CompareReport, value, decimals=None) -> str:
    text = _e(rep.chg(value, decimals))
    if value is None or pd.isna(value) or abs(value) < 0.5 * 10 ** -(rep.decimals if decimals is None else decimals):
        return f'<span class="flat">{text}</span>'
    return f'<span class="{"up" if value > 0 else "down"}">{text}</span>'


def _rank_text(rep: CompareReport, value) -> str:
    return "\u2014" if value is None or pd.isna(value) else format_int(value, rep.lang)


# -- sections ----------------------------------------------------------------------------------

def _method_notice(rep: CompareReport, in_cover: bool = False) -> str:
    """The methodology box: an alert when a pair changed method, else a short note."""
    t = rep.t
    changed = [p for p in rep.comp.pairs if p.method_changed]
    section_title = next(ti for _, ti, a in rep.sections() if a == "metodologi")
    if not changed:
        ids = sorted({r.methodology.id for r in rep.comp.runs})
        labels_only = [p for p in rep.comp.pairs if len(p.differences)]
        paras = [t["method_same"].format(ids=", ".join(ids))] if not labels_only else [
            t["method_labels_only"].format(y1=p.before.year, y2=p.after.year, m1=p.before.methodology.id,
                                           m2=p.after.methodology.id) for p in labels_only]
        if in_cover:
            return ""
        return (f'<div class="cmp-info"><div class="cmp-box-title">{_e(t["box_same"])}</div>'
                + "".join(f"<p>{_e(x)}</p>" for x in paras) + "</div>")
    paras = []
    for p in changed:
        y1, y2 = p.before.year, p.after.year
        paras.append(t["method_changed"].format(y1=y1, y2=y2, m1=p.before.methodology.id, m2=p.after.methodology.id,
                                                what=_what_changed(rep, p.differences), section=section_title))
        if p.split.comparable:
            paras.append(t["comparable"].format(y1=y1, y2=y2))
        else:
            paras.append(t["not_comparable"].format(y1=y1, y2=y2, reasons="; ".join(_reasons(rep, p))))
    return (f'<div class="cmp-alert"><div class="cmp-box-title">{_e(t["box_changed"])}</div>'
            + "".join(f"<p>{_e(x)}</p>" for x in paras) + "</div>")


def _reasons(rep: CompareReport, pair: cmp.PairComparison) -> list[str]:
    return [cmp.reason_text(i, rep.lang) for i in pair.split.issues] or pair.split.reasons


def _what_changed(rep: CompareReport, diff: pd.DataFrame) -> str:
    d = diff[diff["affects_scores"]]
    kinds = []
    if (d["attribute"] == "weight").any():
        kinds.append("what_weight")
    if (d["part"] == "stage").any() and (d[d["part"] == "stage"]["attribute"] != "weight").any():
        kinds.append("what_stage")
    if (d["part"] == "indicator").any() and (d[d["part"] == "indicator"]["attribute"] != "weight").any():
        kinds.append("what_indicator")
    if (d["part"].isin(["question", "questionnaire"])).any():
        kinds.append("what_question")
    if (d["part"] == "item").any() and (d[d["part"] == "item"]["attribute"] != "weight").any():
        kinds.append("what_item")
    if (d["part"] == "band").any():
        kinds.append("what_band")
    if (d["part"] == "rule").any():
        kinds.append("what_rule")
    return ", ".join(rep.t[k] for k in kinds)


def cover_html(rep: CompareReport) -> str:
    """Cover page (with the methodology alert when the method changed), the running header and
    footer strings, and the report's extra styles."""
    t, comp = rep.t, rep.comp
    cfg = rep.latest.inputs.config
    ids = [r.methodology.id for r in comp.runs]
    method = t["methodology_same"].format(id=ids[0]) if len(set(ids)) == 1 else \
        "; ".join(f"{r.year}: {r.methodology.id}" for r in comp.runs)
    bodies = ", ".join(t["bodies_value"].format(n=format_int(len(r.result.ranking), rep.lang), year=r.year)
                       for r in comp.runs)
    meta = [(t["issuer"], cfg.issuer), (t["years"], ", ".join(map(str, rep.years))), (t["methodology"], method),
            (t["bodies"], bodies)]
    if rep.focus is not None:
        meta.append((t["focus"], rep.focus_name))
    meta.append((t["report_date"], format_date(rep.report_date, rep.lang)))
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in meta)
    notes = []
    seen = set()
    for r in comp.runs:
        note = r.inputs.config.note(rep.lang)
        if note and note not in seen:
            seen.add(note)
            notes.append(f'<div class="data-note-title">{_e(t["data_note"].format(year=r.year))}</div><p>{_e(note)}</p>')
    note_html = f'<div class="data-note">{"".join(notes)}</div>' if notes else ""
    running = t["running_head"].format(region=cfg.region, years=rep.span)
    footer = t["footer_line"].format(version=rep.version, region=cfg.region, years=rep.span)
    return (
        f"<style>{EXTRA_CSS}</style>"
        '<section class="cover cmp-cover">'
        f"{running_strings_html(running, footer, t)}"
        f'<div class="cover-issuer">{_e(cfg.issuer)}</div>'
        '<div class="cover-rule"></div>'
        f'<div class="cover-kind">{_e(t["report_kind"])}</div>'
        f'<h1 class="cover-title">{_e(t["cover_title"])}</h1>'
        f'<div class="cover-subtitle">{_e(t["cover_subtitle"])}</div>'
        f'<div class="cover-region">{_e(t["cover_region_years"].format(region=cfg.region, years=rep.years_text))}</div>'
        f"{_method_notice(rep, in_cover=True)}{note_html}"
        f'<table class="cover-meta">{rows}</table>'
        f'<p class="cover-legal">{_e(t["legal"].format(version=rep.version))}</p>'
        "</section>"
    )


def contents_html(rep: CompareReport) -> str:
    items = "".join(f'<li><a href="#{a}">{_e(f"{n}. " if n else "")}{_e(title)}</a></li>'
                    for n, title, a in rep.sections())
    return f'<nav class="toc"><h2 class="toc-title">{_e(rep.t["contents"])}</h2><ul>{items}</ul></nav>'


def pair_summary_text(rep: CompareReport, pair: cmp.PairComparison) -> str:
    """One paragraph: how many bodies rose and fell in rank and band, and who could not be compared."""
    t, lang = rep.t, rep.lang
    ch = pair.changes
    assessed = ch[ch["returned_1"] & ch["returned_2"]]
    counts = cmp.movement_counts(assessed)
    text = t["pair_summary"].format(
        y1=pair.before.year, y2=pair.after.year, n=format_int(len(assessed), lang),
        up=format_int(counts["up"], lang), down=format_int(counts["down"], lang),
        same=format_int(counts["same"], lang), band_up=format_int(counts["band_up"], lang),
        band_down=format_int(counts["band_down"], lang), band_same=format_int(counts["band_same"], lang))
    k = len(ch) - len(assessed)
    if k:
        text += t["pair_not_assessed"].format(k=format_int(k, lang))
    m = pair.matches["match"]
    parts = []
    for kind, key in ((cmp.ENTERED, "identity_entered"), (cmp.LEFT, "identity_left"),
                      (cmp.RENAMED, "identity_renamed")):
        n = int((m == kind).sum())
        if n:
            parts.append(t[key].format(n=format_int(n, lang)))
    joined = pair.matches[m.isin([cmp.MERGED, cmp.SPLIT, cmp.RESTRUCTURED])]
    if len(joined):
        n = len(set(joined["body_id_1"]) | set(joined["body_id_2"]))
        parts.append(t["identity_merged"].format(n=format_int(n, lang)))
    text += t["pair_identity"].format(parts="; ".join(parts)) if parts else t["pair_all_same"]
    return text


def focus_lead_text(rep: CompareReport, pair: cmp.PairComparison) -> str | None:
    """'Kabupaten Kudus: turun 11 peringkat (3 → 14), nilai akhir 88,63 → 77,92 (−10,71 poin), ...'
    followed by the drivers sentence; None when the focus body is not compared in this pair."""
    key = cmp.pair_key(pair, rep.comp, rep.focus) if rep.focus else None
    if key is None:
        return None
    t, lang = rep.t, rep.lang
    row = pair.changes.set_index("key").loc[key]
    if not (row["returned_1"] and row["returned_2"]):
        return None
    r1, r2 = _rank_text(rep, row["rank_1"]), _rank_text(rep, row["rank_2"])
    rc = row["rank_change"]
    if pd.isna(rc):
        rank = t["rank_na"].format(r1=r1, r2=r2)
    elif rc > 0:
        rank = t["rank_up"].format(n=format_int(rc, lang), r1=r1, r2=r2)
    elif rc < 0:
        rank = t["rank_down"].format(n=format_int(-rc, lang), r1=r1, r2=r2)
    else:
        rank = t["rank_same"].format(r1=r1)
    bands = t["band_same"].format(b=row["band_1"]) if row["band_1"] == row["band_2"] else \
        f"{row['band_1']} \u2192 {row['band_2']}"
    lead = t["focus_lead"].format(name=row["name"], y1=pair.before.year, y2=pair.after.year, rank=rank, f1=rep.num(row["final_1"]), f2=rep.num(row["final_2"]),
                                  change=rep.chg(row["final_change"]), bands=bands)
    decomp = pair.decomposition if not (pair.method_changed and pair.split.comparable) else pair.split.answers_decomposition
    split_used = pair.method_changed and pair.split.comparable
    intro = t["drivers_intro_answers"] if split_used else t["drivers_intro"]
    sentence = intro + cmp.drivers_sentence(decomp, key, pair.after.methodology, lang, SENTENCE_DECIMALS)
    if split_used:
        s = pair.split.table.set_index("key").loc[key]
        sentence = t["method_part"].format(total=rep.chg(s["total_change"]), method=rep.chg(s["method_effect"]),
                                           answers=rep.chg(s["answers_effect"])) + " " + sentence
    return f"{lead} {sentence}"


def summary_html(rep: CompareReport) -> str:
    t, lang = rep.t, rep.lang
    parts = [_method_notice(rep)]
    for pair in rep.comp.pairs:
        lead = focus_lead_text(rep, pair)
        if lead:
            name = rep.focus_name
            body = _e(lead).replace(_e(name), f"<strong>{_e(name)}</strong>", 1)
            parts.append(f'<p class="cmp-lead">{Raw(body)}</p>')
    for pair in rep.comp.pairs:
        parts.append(f"<p>{_e(pair_summary_text(rep, pair))}</p>")
    for pair in rep.comp.pairs:
        ch = pair.changes[pair.changes["returned_1"] & pair.changes["returned_2"]]
        ch = ch.assign(_c=ch["exact_change"]).sort_values(["_c", "name"], ascending=[False, True], kind="mergesort")
        ups = ch[ch["_c"] > 0].head(TOP_MOVERS)
        downs = ch[ch["_c"] < 0].sort_values(["_c", "name"], kind="mergesort").head(TOP_MOVERS)
        rows, classes = [], []
        for r in pd.concat([ups, downs]).itertuples():
            rows.append([r.name, rep.num(r.final_1), rep.num(r.final_2), Raw(_chg_html(rep, r.final_change)),
                         Raw(_arrow(r.rank_change)), Raw(_band_html(rep, r.band_2, pair.after.methodology))])
            classes.append("focus" if rep.focus and r.key == cmp.pair_key(pair, rep.comp, rep.focus) else "")
        if rows:
            y1, y2 = pair.before.year, pair.after.year
            parts.append(_table([t["body"], t["score_y"].format(y=y1), t["score_y"].format(y=y2), t["change"],
                                 t["rank"], t["band_y"].format(y=y2)], rows, "data compact cmp-tight",
                                _caption(rep, "table", t["movers"].format(y1=y1, y2=y2)),
                                ["name", "num", "num", "chg", "arrow", "band"], classes,
                                widths=["", "16mm", "16mm", "18mm", "17mm", "40mm"]))
    return _section(rep, "ringkasan", "".join(parts))


def methodology_html(rep: CompareReport) -> str:
    t, lang = rep.t, rep.lang
    parts = []
    rows = [[str(r.year), r.methodology.id, r.methodology.name,
             ", ".join(f"{s.id} {format_weight(s.weight, lang)}" for s in r.methodology.stages)] for r in rep.comp.runs]
    parts.append(_table([t["year"], t["method_id"], t["method_name"], t["stages_weights"]], rows, "data compact",
                        _caption(rep, "table", t["methods_used"]), ["", "code", "", ""],
                        widths=["12mm", "26mm", "", "52mm"]))
    if any(p.method_changed for p in rep.comp.pairs):
        parts.append(_method_notice(rep))
    for pair in rep.comp.pairs:
        y1, y2 = pair.before.year, pair.after.year
        block = [_pair_heading(rep, pair)]
        d = pair.differences
        if d.empty:
            block.append(f'<p>{_e(t["no_differences"].format(y1=y1, y2=y2))}</p>')
        else:
            rows = [[t["parts"].get(r.part, r.part), r.id, t["attributes"].get(r.attribute, r.attribute),
                     t["absent"] if r.value_1 is None or pd.isna(r.value_1) else r.value_1,
                     t["absent"] if r.value_2 is None or pd.isna(r.value_2) else r.value_2] for r in d.itertuples()]
            block.append(_table([t["part"], t["method_id"], t["what"], str(y1), str(y2)], rows, "data compact",
                                _caption(rep, "table", t["differences"].format(y1=y1, y2=y2)),
                                ["", "code", "", "", ""], widths=["22mm", "26mm", "26mm", "", ""]))
        if pair.method_changed:
            if pair.split.comparable:
                block.append(f'<p>{_e(t["split_intro"].format(y1=y1, y2=y2))}</p>')
                order = {k: i for i, k in enumerate(pair.changes["key"])}
                s = pair.split.table.sort_values("key", key=lambda k: k.map(order), kind="mergesort")
                rows, classes = [], []
                for r in s.itertuples():
                    rows.append([r.name, rep.num(r.exact_1), rep.num(r.exact_1_under_2), rep.num(r.exact_2),
                                 Raw(_chg_html(rep, r.method_effect)), Raw(_chg_html(rep, r.answers_effect)),
                                 Raw(_chg_html(rep, r.total_change))])
                    classes.append("focus" if rep.focus and r.key == cmp.pair_key(pair, rep.comp, rep.focus) else "")
                block.append(_table(
                    [t["body"], t["exact_1"].format(y1=y1), t["exact_1_under_2"].format(y1=y1, y2=y2),
                     t["exact_2"].format(y2=y2), t["method_effect"], t["answers_effect"], t["total_change"]],
                    rows, "data compact cmp-tight", _caption(rep, "table", t["split_title"].format(y1=y1, y2=y2)),
                    ["name", "num", "num", "num", "chg", "chg", "chg"], classes,
                    widths=["", "15mm", "24mm", "15mm", "17mm", "17mm", "19mm"]))
            else:
                block.append(f'<h3>{_e(t["reasons_title"])}</h3><ul class="rules">'
                             + "".join(f"<li>{_e(x)}</li>" for x in _reasons(rep, pair)) + "</ul>")
        parts.append("".join(block))
    flow = "" if any(p.method_changed for p in rep.comp.pairs) else "cmp-flow"
    return _section(rep, "metodologi", "".join(parts), flow)


def changes_html(rep: CompareReport) -> str:
    """Every matched body's rank, score and band in both years; the band transition matrix; the
    bodies that changed id, entered, left, merged or split."""
    t, lang = rep.t, rep.lang
    parts = []
    for pair in rep.comp.pairs:
        y1, y2 = pair.before.year, pair.after.year
        m1, m2 = pair.before.methodology, pair.after.methodology
        block = [_pair_heading(rep, pair), f'<p>{_e(t["changes_intro"].format(y1=y1, y2=y2))}</p>']
        focus_key = cmp.pair_key(pair, rep.comp, rep.focus) if rep.focus else None
        for group, g in pair.changes.groupby("group_2", sort=False):
            rows, classes = [], []
            for r in g.itertuples():
                band = _band_html(rep, r.band_2, m2)
                if r.band_2 != r.band_1:
                    mark = _band_mark(r.band_change)
                    band += f'<span class="band-from">{mark}{_e(t["band_from"].format(y=y1, band=r.band_1))}</span>'

                rows.append([r.name, _rank_text(rep, r.rank_1), _rank_text(rep, r.rank_2), Raw(_arrow(r.rank_change)),
                             rep.num(r.final_1), rep.num(r.final_2), Raw(_chg_html(rep, r.final_change)), Raw(band)])
                classes.append("focus" if r.key == focus_key else "")
            title = t["changes_table"].format(y1=y1, y2=y2)
            if pair.changes["group_2"].nunique() > 1:
                title += f" \u2014 {group}"
            block.append(_table([t["body"], t["rank_y"].format(y=y1), t["rank_y"].format(y=y2), t["change"],
                                 t["score_y"].format(y=y1), t["score_y"].format(y=y2), t["change"],
                                 t["band_y"].format(y=y2)], rows, "data compact cmp-tight",
                                _caption(rep, "table", title),
                                ["name", "num", "num", "arrow", "num", "num", "chg", "band"], classes,
                                widths=["", "15mm", "15mm", "16mm", "14mm", "14mm", "17mm", "44mm"]))
        block.append(_matrix_html(rep, pair))
        block.append(_identity_html(rep, pair))
        parts.append("".join(block))
    flow = "" if any(p.method_changed for p in rep.comp.pairs) else "cmp-flow"
    return _section(rep, "perubahan", "".join(parts), flow)


def _matrix_html(rep: CompareReport, pair: cmp.PairComparison) -> str:
    """The band transition matrix: rows year-1 bands, columns year-2 bands; the diagonal (same
    band), better (green) and worse (red) cells are shaded when both years use the same bands."""
    t, lang = rep.t, rep.lang
    y1, y2 = pair.before.year, pair.after.year
    m1, m2 = pair.before.methodology, pair.after.methodology
    mat = pair.transitions
    same_labels = list(mat.index) == list(mat.columns)
    head = "".join(f"<th>{_band_html(rep, c, m2)}</th>" for c in mat.columns).replace("mengembalikan", "meng\u00adembalikan")
    body = []
    for i, (band, row) in enumerate(mat.iterrows()):
        cells = [f'<td class="rowhead">{_band_html(rep, band, m1)}</td>']
        for j, v in enumerate(row.to_numpy()):
            cls = ("diag" if i == j else "better" if j < i else "worse") if same_labels else ""
            if v == 0:
                cls = "diag zero" if cls == "diag" else "zero"
            cells.append(f'<td class="{cls}">{format_int(v, lang)}</td>')
        cells.append(f"<td>{format_int(int(row.sum()), lang)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    totals = "".join(f"<td>{format_int(int(v), lang)}</td>" for v in mat.sum(axis=0))
    body.append(f'<tr class="total"><td class="rowhead">{_e(t["total"])}</td>{totals}'
                f"<td>{format_int(int(mat.to_numpy().sum()), lang)}</td></tr>")
    cols = '<col style="width:45mm">' + "<col>" * len(mat.columns) + '<col style="width:13mm">'
    return (f'<div class="table-caption">{_caption(rep, "table", t["matrix"].format(y1=y1, y2=y2))}</div>'
            f'<table class="data compact matrix" style="table-layout: fixed"><colgroup>{cols}</colgroup>'
            f'<thead><tr><th>{_e(t["matrix_corner"].format(y1=y1, y2=y2))}</th>{head}<th>{_e(t["total"])}</th></tr>'
            f'</thead><tbody>{"".join(body)}</tbody></table>'
            f'<div class="figure-note" style="margin:-3mm 0 5mm">{_e(t["matrix_note"].format(y1=y1, y2=y2))}</div>')


def _identity_html(rep: CompareReport, pair: cmp.PairComparison) -> str:
    t = rep.t
    y1, y2 = pair.before.year, pair.after.year
    rows = pair.matches[pair.matches["match"] != cmp.SAME]
    if rows.empty:
        return ""
    body = [[t["matches"][r.match].format(y2=y2), r.body_id_1 or "\u2014", r.name_1 or "\u2014",
             r.body_id_2 or "\u2014", r.name_2 or "\u2014", " ".join(x for x in (r.link, r.note) if x)]
            for r in rows.itertuples()]
    return (f'<p>{_e(t["identity_intro"])}</p>'
            + _table([t["match"], t["id_y"].format(y=y1), t["name_y"].format(y=y1), t["id_y"].format(y=y2),
                      t["name_y"].format(y=y2), t["note"]], body, "data compact",
                     _caption(rep, "table", t["identity_title"].format(y1=y1, y2=y2)),
                     ["", "code", "", "code", "", ""], widths=["22mm", "24mm", "", "24mm", "", "30mm"]))


def charts_html(rep: CompareReport) -> str:
    t, lang = rep.t, rep.lang
    parts = []
    if len(rep.comp.runs) > 2:
        parts.append(_trajectory_html(rep))
    for pair in rep.comp.pairs:
        y1, y2 = pair.before.year, pair.after.year
        ch = pair.changes
        ok = ch[ch["returned_1"] & ch["returned_2"]].sort_values(["final_2", "name"], ascending=[False, True],
                                                                   kind="mergesort")
        missing = ch[~(ch["returned_1"] & ch["returned_2"])]["name"].tolist()
        focus_name = None
        if rep.focus:
            key = cmp.pair_key(pair, rep.comp, rep.focus)
            focus_name = ch.set_index("key")["name"].get(key) if key else None
        m2 = pair.after.methodology
        svg = dumbbell_chart(ok["name"].tolist(), ok["final_1"].tolist(), ok["final_2"].tolist(), str(y1), str(y2),
                             [b.min for b in m2.bands], lang, focus_name,
                             {k: t[k] for k in ("legend_up", "legend_down", "legend_same", "score_axis")})
        miss = t["dumbbell_missing"].format(names=", ".join(missing)) if missing else ""
        parts.append(_figure(rep, svg, t["dumbbell"].format(y1=y1, y2=y2),
                             t["dumbbell_caption"].format(y1=y1, y2=y2, missing=miss)))
    return _section(rep, "grafik", "".join(parts))


def _trajectory_html(rep: CompareReport) -> str:
    t, lang = rep.t, rep.lang
    tr = rep.comp.trajectories
    wide = cmp.trajectory_table(tr, "final")
    bands = cmp.trajectory_table(tr, "band")
    years = rep.years
    series = {row.Index: [getattr(row, f"_{i + 2}") for i in range(len(years))] for row in wide.itertuples()}
    names = wide["name"].to_dict()
    m = rep.latest.methodology
    svg = trajectory_chart(years, series, names, rep.focus, [b.min for b in m.bands], lang, t["score_axis"])
    focus = t["trajectory_focus"].format(name=rep.focus_name) if rep.focus else ""
    parts = [_figure(rep, svg, t["trajectory"].format(years=rep.span),
                     t["trajectory_caption"].format(focus=focus, year=years[-1]))]
    rows, classes = [], []
    for key, row in wide.iterrows():
        cells = [row["name"]]
        for y in years:
            v = row[y]
            b = bands.at[key, y]
            cells.append(Raw(f"{_e(rep.num(v))}&nbsp;&nbsp;{_band_html(rep, b, _run_of(rep, y).methodology)}")
                         if isinstance(b, str) else "\u2014")
        rows.append(cells)
        classes.append("focus" if key == rep.focus else "")
    parts.append(_table([t["body"], *map(str, years)], rows, "data compact cmp-tight",
                        _caption(rep, "table", t["trajectory_table"]), ["name", *["num"] * len(years)], classes,
                        widths=["46mm", *[""] * len(years)]))
    return "".join(parts)


def _run_of(rep: CompareReport, year: int) -> cmp.YearRun:
    return next(r for r in rep.comp.runs if r.year == year)


def focus_html(rep: CompareReport) -> str:
    """The focus body: lead sentence, waterfall of its change, stage and indicator table, and the
    method/answers split when the method changed."""
    if rep.focus is None:
        return ""
    t, lang = rep.t, rep.lang
    name = rep.focus_name
    parts = []
    if len(rep.comp.runs) > 2:
        tr = rep.comp.trajectories
        mine = tr[tr["key"] == rep.focus]
        rows = [[str(r.year), _rank_text(rep, r.rank), rep.num(r.final),
                 Raw(_band_html(rep, r.band, _run_of(rep, r.year).methodology))] for r in mine.itertuples()]
        parts.append(_table([t["year"], t["rank"], t["score"], t["band"]], rows, "data compact narrow",
                            _caption(rep, "table", t["focus_trajectory"].format(name=name)), ["", "num", "num", "band"]))
    for pair in rep.comp.pairs:
        parts.append(_pair_heading(rep, pair))
        parts.append(_focus_pair_html(rep, pair))
    return _section(rep, "fokus", "".join(parts))


def _focus_pair_html(rep: CompareReport, pair: cmp.PairComparison) -> str:
    t, lang = rep.t, rep.lang
    y1, y2 = pair.before.year, pair.after.year
    name = rep.focus_name
    key = cmp.pair_key(pair, rep.comp, rep.focus)
    tr = rep.comp.trajectories
    if key is None:
        in2 = not tr[(tr["key"] == rep.focus) & (tr["year"] == y2)].empty
        why = t["why_absent"].format(y=y1 if in2 else y2)
        return f'<p>{_e(t["focus_not_in_pair"].format(name=name, y1=y1, y2=y2, why=why))}</p>'
    row = pair.changes.set_index("key").loc[key]
    if not (row["returned_1"] and row["returned_2"]):
        why = t["why_not_returned"].format(y=y1 if not row["returned_1"] else y2)
        return f'<p>{_e(t["focus_not_in_pair"].format(name=name, y1=y1, y2=y2, why=why))}</p>'
    parts = [f'<p class="cmp-lead">{_e(focus_lead_text(rep, pair))}</p>']
    m1, m2 = pair.before.methodology, pair.after.methodology
    split_used = pair.method_changed and pair.split.comparable
    decomp = pair.split.answers_decomposition if split_used else pair.decomposition
    d = decomp[decomp["key"] == key]
    steps = []
    if split_used:
        s = pair.split.table.set_index("key").loc[key]
        steps.append((t["method_bar"], float(s["method_effect"])))
    steps += _waterfall_steps(rep, d, m2)
    svg = waterfall_chart(steps, float(row["exact_1"]), float(row["exact_2"]), t["score_y"].format(y=y1),
                          t["score_y"].format(y=y2), rep.decimals, lang)
    caption = t["waterfall_caption"].format(exact=rep.chg(row["exact_change"], rep.decimals + 2),
                                            published=rep.chg(row["final_change"]),
                                            residual=rep.chg(row["rounding_residual"], rep.decimals + 2))
    if split_used:
        caption += " " + t["waterfall_method_note"].format(y1=y1, y2=y2)
    parts.append(_figure(rep, svg, t["waterfall"].format(name=name, y1=y1, y2=y2), caption))
    parts.append(_focus_table(rep, pair, key, row))
    if split_used:
        s = pair.split.table.set_index("key").loc[key]
        rows = [[rep.num(s["exact_1"]), rep.num(s["exact_1_under_2"]), rep.num(s["exact_2"]),
                 Raw(_chg_html(rep, s["method_effect"])), Raw(_chg_html(rep, s["answers_effect"])),
                 Raw(_chg_html(rep, s["total_change"]))]]
        parts.append(_table([t["exact_1"].format(y1=y1), t["exact_1_under_2"].format(y1=y1, y2=y2),
                             t["exact_2"].format(y2=y2), t["method_effect"], t["answers_effect"], t["total_change"]],
                            rows, "data compact", _caption(rep, "table", t["focus_split"].format(name=name)),
                            ["num", "num", "num", "chg", "chg", "chg"]))
    return "".join(parts)


def _waterfall_steps(rep: CompareReport, d: pd.DataFrame, m) -> list[tuple[str, float]]:
    """(label, change) per indicator that moved, in stage order; beyond WATERFALL_MAX_BARS the
    smallest are merged per stage into 'n others'."""
    eps = 0.5 * 10 ** -(rep.decimals + 2)
    moved = d[d["change"].abs() >= eps]
    keep = set(moved["change"].abs().sort_values(ascending=False).index[:WATERFALL_MAX_BARS])
    steps = []
    for stage, g in moved.groupby("stage", sort=False):
        short = cmp.short_stage_label(_stage_or_none(m, stage), g["stage_label"].iloc[0] or stage)
        rest = g[~g.index.isin(keep)]
        for r in g[g.index.isin(keep)].itertuples():
            label = short if r.indicator == stage else f"{short}: {r.label}"
            steps.append((label, float(r.change)))
        if len(rest):
            steps.append((f"{short}: {rep.t['waterfall_others'].format(n=len(rest))}", float(rest["change"].sum())))
    return steps


def _stage_or_none(m, stage_id):
    try:
        return m.stage(stage_id)
    except KeyError:
        return None


def _focus_table(rep: CompareReport, pair: cmp.PairComparison, key: str, row) -> str:
    t = rep.t
    y1, y2 = pair.before.year, pair.after.year
    d = pair.decomposition[pair.decomposition["key"] == key]
    r1 = pair.before.result.ranking.set_index("body_id").loc[row["body_id_1"]]
    r2 = pair.after.result.ranking.set_index("body_id").loc[row["body_id_2"]]
    eps = 0.5 * 10 ** -(rep.decimals + 2)
    rows, classes = [], []
    for stage, g in d.groupby("stage", sort=False):
        c1, c2 = g["contribution_1"].sum(), g["contribution_2"].sum()
        s1 = r1.get(stage, np.nan) if stage in r1.index else np.nan
        s2 = r2.get(stage, np.nan) if stage in r2.index else np.nan
        rows.append([g["stage_label"].iloc[0] or stage, rep.num(s1), rep.num(s2), rep.num(c1), rep.num(c2),
                     Raw(_chg_html(rep, c2 - c1))])
        classes.append("stage-row")
        inner = g[g["indicator"] != stage]
        moved = inner[inner["change"].abs() >= eps]
        for r in moved.itertuples():
            rows.append([r.label, rep.num(r.score_1), rep.num(r.score_2), rep.num(r.contribution_1),
                         rep.num(r.contribution_2), Raw(_chg_html(rep, r.change))])
            classes.append("ind-row")
        if len(inner) > len(moved):
            stage_obj = _stage_or_none(pair.after.methodology, stage) or _stage_or_none(pair.before.methodology, stage)
            which = "unchanged_items" if stage_obj is not None and stage_obj.source == "checklist" else "unchanged_indicators"
            rows.append([t[which].format(n=len(inner) - len(moved)), "", "", "", "", ""])
            classes.append("ind-row muted-row")
    rows.append([t["exact_final"], "", "", rep.num(row["exact_1"], rep.decimals + 2),
                 rep.num(row["exact_2"], rep.decimals + 2), Raw(_chg_html(rep, row["exact_change"], rep.decimals + 2))])
    classes.append("total")
    rows.append([t["published_final"], "", "", rep.num(row["final_1"]), rep.num(row["final_2"]),
                 Raw(_chg_html(rep, row["final_change"]))])
    classes.append("")
    rows.append([t["residual"], "", "", "", "", rep.chg(row["rounding_residual"], rep.decimals + 2)])
    classes.append("muted-row")
    table = _table([t["stage_indicator"], t["score_y"].format(y=y1), t["score_y"].format(y=y2),
                    t["contribution_y"].format(y=y1), t["contribution_y"].format(y=y2), t["change"]], rows,
                   "data compact cmp-tight", _caption(rep, "table", t["focus_table"].format(y1=y1, y2=y2)),
                   ["first", "num", "num", "num", "num", "chg"], classes,
                   widths=["", "15mm", "15mm", "20mm", "20mm", "20mm"])
    if pair.method_changed:
        table += f'<div class="figure-note" style="margin:-3mm 0 5mm">{_e(t["focus_table_method"].format(y1=y1, y2=y2))}</div>'
    return table


def annex_html(rep: CompareReport) -> str:
    """Per body: the change of each stage's contribution, its sum, the published change and the
    rounding residual; then the drivers sentence of every body."""
    t, lang = rep.t, rep.lang
    parts = [f'<p>{_e(t["annex_intro"])}</p>']
    for pair in rep.comp.pairs:
        y1, y2 = pair.before.year, pair.after.year
        m2 = pair.after.methodology
        parts.append(_pair_heading(rep, pair))
        wide = cmp.stage_change_table(pair.decomposition)
        stages = [c for c in wide.columns if c != "total"]
        labels = {s.id: cmp.short_stage_label(s) for s in [*pair.before.methodology.stages, *m2.stages]}
        ch = pair.changes.set_index("key")
        focus_key = cmp.pair_key(pair, rep.comp, rep.focus) if rep.focus else None
        order = [k for k in pair.changes["key"] if k in wide.index]
        rows, classes = [], []
        for key in order:
            w, c = wide.loc[key], ch.loc[key]
            rows.append([c["name"], *[Raw(_chg_html(rep, w[s])) for s in stages], Raw(_chg_html(rep, w["total"])),
                         Raw(_chg_html(rep, c["final_change"])), rep.chg(c["rounding_residual"], rep.decimals + 2)])
            classes.append("focus" if key == focus_key else "")
        parts.append(_table([t["body"], *[labels.get(s, s) for s in stages], t["sum"], t["published"], t["rounding"]],
                            rows, "data compact cmp-tight", _caption(rep, "table", t["annex_table"].format(y1=y1, y2=y2)),
                            ["name", *["chg"] * len(stages), "chg", "chg", "chg"], classes,
                            widths=["", *["18mm"] * len(stages), "16mm", "16mm", "19mm"]))
        decomp = pair.split.answers_decomposition if (pair.method_changed and pair.split.comparable) else pair.decomposition
        items = []
        for key in order:
            c = ch.loc[key]
            sentence = cmp.drivers_sentence(decomp, key, m2, lang, SENTENCE_DECIMALS)
            items.append(f'<li><span class="who">{_e(c["name"])}</span> ({_e(rep.chg(c["final_change"]))}): '
                         f'{_e(sentence)}</li>')
        parts.append(f'<div class="table-caption">{_caption(rep, "table", t["drivers_title"].format(y1=y1, y2=y2))}</div>'
                     f'<ul class="drivers">{"".join(items)}</ul>')
    return _section(rep, "lampiran", "".join(parts), "annex")


def full_html(rep: CompareReport) -> str:
    return "".join(f(rep) for f in (cover_html, contents_html, summary_html, methodology_html, changes_html,
                                    charts_html, focus_html, annex_html))


# -- charts ------------------------------------------------------------------------------------

_RC = {
    "svg.fonttype": "none", "svg.hashsalt": "kiprank", "font.family": "DejaVu Sans", "font.size": 7.5,
    "axes.edgecolor": "#8a939e", "axes.labelcolor": charts.TEXT_COLOR, "axes.linewidth": 0.6,
    "xtick.color": charts.TEXT_COLOR, "ytick.color": charts.TEXT_COLOR, "xtick.major.width": 0.6,
    "ytick.major.width": 0.6, "text.color": charts.TEXT_COLOR, "legend.fontsize": 7, "legend.frameon": False,
}


def _new_figure(height_in: float, width_in: float = charts.WIDTH_IN):
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(_RC)
    return Figure(figsize=(width_in, height_in))


def _svg(fig) -> str:
    """The figure as SVG text (no date, fixed ids), its text in the report's bundled font."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(fig)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    return text.replace("'DejaVu Sans'", f"'{charts.FONT_FAMILY}'").replace('"DejaVu Sans"', f'"{charts.FONT_FAMILY}"')


def _short(name: str, width: int = 40) -> str:
    return textwrap.shorten(str(name), width=width, placeholder="\u2026")


def _clean(ax, grid_axis="x"):
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis=grid_axis, color=charts.GRID_COLOR, linewidth=0.5)
    ax.set_axisbelow(True)


def _score_limits(values, band_mins) -> tuple[float, float]:
    lo = float(np.nanmin(values)) if len(values) else 0.0
    lo = max(0.0, np.floor((lo - 3) / 10) * 10)
    return lo, 100.0


def dumbbell_chart(names: list[str], before: list[float], after: list[float], y1: str, y2: str,
                   band_mins: list[float], lang: str, highlight: str | None, words: dict) -> str:
    """One row per body (best year-2 score at the top): an open circle at the year-1 score, a dot at
    the year-2 score, joined by a green (rise), red (fall) or grey line."""
    from matplotlib.lines import Line2D

    n = len(names)
    top_in, bottom_in, row_in = 0.42, 0.42, 0.168
    height = top_in + bottom_in + row_in * max(n, 2)
    fig = _new_figure(height)
    fig.subplots_adjust(left=0.3, right=0.97, top=1 - top_in / height, bottom=bottom_in / height)
    ax = fig.add_subplot()
    y = np.arange(n)[::-1]
    b, a = np.asarray(before, float), np.asarray(after, float)
    eps = 1e-9
    colors = np.where(a > b + eps, UP_COLOR, np.where(a < b - eps, DOWN_COLOR, SAME_COLOR))
    for yi, x0, x1, c in zip(y, b, a, colors):
        ax.plot([x0, x1], [yi, yi], color=c, linewidth=1.7, solid_capstyle="butt", zorder=2, alpha=0.85)
    ax.scatter(b, y, s=15, facecolors="white", edgecolors="#5f6b7a", linewidths=0.8, zorder=3)
    ax.scatter(a, y, s=17, c=list(colors), zorder=4, edgecolors="white", linewidths=0.3)
    lo, hi = _score_limits(np.concatenate([a, b]), band_mins)
    for m in band_mins:
        if lo < m < 100:
            ax.axvline(m, color="#5f6b7a", linewidth=0.6, linestyle=(0, (3, 2)), zorder=1)
    ax.set_xlim(lo, hi + 1)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_yticks(y, [_short(nm, 34) for nm in names])
    for label, nm in zip(ax.get_yticklabels(), names):
        if highlight and nm == highlight:
            label.set_fontweight("bold")
            label.set_color(NAVY)
    if highlight and highlight in names:
        yi = y[names.index(highlight)]
        ax.axhspan(yi - 0.5, yi + 0.5, color="#fff4d6", zorder=0, linewidth=0)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(words["score_axis"])
    _clean(ax)
    handles = [Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor="#5f6b7a",
                      markersize=4.5, label=y1)]
    for key, color in (("legend_up", UP_COLOR), ("legend_down", DOWN_COLOR), ("legend_same", SAME_COLOR)):
        handles.append(Line2D([], [], marker="o", color=color, linewidth=1.5, markersize=4.5,
                              label=words[key].format(y=y2)))
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.635, 1.0), ncols=4, handlelength=1.6)
    return _svg(fig)


def waterfall_chart(steps: list[tuple[str, float]], start: float, end: float, start_label: str, end_label: str,
                    decimals: int, lang: str) -> str:
    """Horizontal waterfall: the year-1 final score, one floating bar per change (green up, red
    down), the year-2 final score. The score axis does not start at 0 (the changes are small)."""
    labels = [start_label, *[s[0] for s in steps], end_label]
    n = len(labels)
    top_in, bottom_in, row_in = 0.12, 0.42, 0.27
    height = top_in + bottom_in + row_in * n
    fig = _new_figure(height)
    fig.subplots_adjust(left=0.42, right=0.96, top=1 - top_in / height, bottom=bottom_in / height)
    ax = fig.add_subplot()
    levels = np.cumsum([start, *[s[1] for s in steps]])
    span = max(levels.max(), end) - min(levels.min(), end)
    pad = max(span * 0.25, 1.0)
    lo = np.floor((min(levels.min(), end) - pad) / 2) * 2
    hi = max(levels.max(), end) + pad
    y = np.arange(n)[::-1]
    ax.barh(y[0], start - lo, left=lo, color=NAVY, height=0.62, zorder=2)
    ax.text(start + span * 0.015 + 0.05, y[0], format_number(start, decimals, lang), va="center", ha="left",
            fontsize=7, fontweight="bold")
    running = start
    for i, (label, change) in enumerate(steps, 1):
        color = UP_COLOR if change > 0 else DOWN_COLOR if change < 0 else SAME_COLOR
        left = min(running, running + change)
        ax.barh(y[i], abs(change), left=left, color=color, height=0.62, zorder=2)
        ax.plot([running, running], [y[i - 1] - 0.31, y[i] + 0.31], color="#8a939e", linewidth=0.5,
                linestyle=(0, (2, 1.5)), zorder=1)
        ax.text(max(running, running + change) + span * 0.015 + 0.05, y[i],
                cmp.signed(change, decimals, lang), va="center", ha="left", fontsize=6.8, color=color)
        running += change
    ax.plot([running, running], [y[-2] - 0.31, y[-1] + 0.31], color="#8a939e", linewidth=0.5,
            linestyle=(0, (2, 1.5)), zorder=1)
    ax.barh(y[-1], end - lo, left=lo, color=NAVY, height=0.62, zorder=2)
    ax.text(end + span * 0.015 + 0.05, y[-1], format_number(end, decimals, lang), va="center", ha="left",
            fontsize=7, fontweight="bold")
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_yticks(y, [_short(lb, 52) for lb in labels])
    for tick in (ax.get_yticklabels()[0], ax.get_yticklabels()[-1]):
        tick.set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.xaxis.set_major_formatter(_number_formatter(lang))
    _clean(ax)
    return _svg(fig)


def _number_formatter(lang: str):
    from matplotlib.ticker import FuncFormatter

    def fmt(x, _pos):
        return format_weight(round(x, 4), lang)

    return FuncFormatter(fmt)


def trajectory_chart(years: list[int], series: dict[str, list[float]], names: dict[str, str], focus: str | None,
                     band_mins: list[float], lang: str, y_label: str) -> str:
    """Final score per year, one grey line per body; the focus body in navy and labelled."""
    fig = _new_figure(3.6)
    fig.subplots_adjust(left=0.09, right=0.78, top=0.96, bottom=0.1)
    ax = fig.add_subplot()
    values = np.array([v for vs in series.values() for v in vs], dtype=float)
    lo, hi = _score_limits(values[~np.isnan(values)], band_mins)
    for m in band_mins:
        if lo < m < 100:
            ax.axhline(m, color="#5f6b7a", linewidth=0.6, linestyle=(0, (3, 2)), zorder=1)
    for key, vs in series.items():
        if key == focus:
            continue
        ax.plot(years, vs, color="#b3bcc6", linewidth=0.8, marker="o", markersize=2, zorder=2)
    if focus in series:
        vs = series[focus]
        ax.plot(years, vs, color=NAVY, linewidth=2.0, marker="o", markersize=4, zorder=4)
        for x, v in zip(years, vs):
            if not np.isnan(v):
                ax.annotate(format_number(v, 2, lang), (x, v), xytext=(0, 6), textcoords="offset points",
                            ha="center", fontsize=6.5, color=NAVY, zorder=5)
        last = next((v for v in reversed(vs) if not np.isnan(v)), None)
        if last is not None:
            ax.annotate(_short(names[focus], 26), (years[-1], last), xytext=(8, 0), textcoords="offset points",
                        va="center", fontsize=7, fontweight="bold", color=NAVY, annotation_clip=False)
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlim(years[0] - 0.15, years[-1] + 0.15)
    ax.set_ylim(lo, hi + 2)
    ax.set_ylabel(y_label)
    _clean(ax, "y")
    return _svg(fig)


# -- publishing --------------------------------------------------------------------------------

def output_folder(outputs_root: Path | str, region: str, years) -> Path:
    """``<outputs_root>/compare/<region>_<first>-<last>``."""
    ys = cmp.check_years(years)
    return Path(outputs_root) / COMPARE_DIR / f"{check_name(region, 'region')}_{ys[0]}-{ys[-1]}"


def write_tables(comp: cmp.Comparison, folder: Path) -> list[Path]:
    """``changes.csv`` (:func:`kiprank.compare.changes_table`) and ``decomposition.csv``
    (:func:`kiprank.compare.decomposition_table`) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    cmp.write_changes_csv(comp, folder / "changes.csv")
    cmp.decomposition_table(comp).to_csv(folder / "decomposition.csv", index=False, float_format="%.6f",
                                         lineterminator="\n")
    return [folder / "changes.csv", folder / "decomposition.csv"]


def publish_tables(rep: CompareReport, outputs_root: str | Path) -> Path:
    """Write the tables of a notebook run into ``<outputs_root>/compare/<name>/`` (atomically;
    other files there are kept)."""
    from .publish import staged_folder

    root = resolve_root(outputs_root)
    target = output_folder(root, rep.comp.region_id, rep.years)
    with staged_folder(target, keep_existing=True) as stage:
        write_tables(rep.comp, stage)
    return target


def build_comparison(region: str, years, focus: str | None = None, inputs_root: Path | str = "inputs",
                     outputs_root: Path | str = "outputs", lang: str = "id", report_date: str | date | None = None,
                     notebook: Path | str | None = None) -> ReportBuild:
    """Build the comparison report and publish it atomically in ``<outputs_root>/compare/<name>/``.

    Inputs (and ``focus``) are checked in this process first (while the notebook's kernel starts),
    so bad inputs fail with their own message and nothing is written, not even the folder; then the
    notebook runs (papermill), is exported to HTML with the ranking report's template and rendered
    to PDF (the steps of :mod:`kiprank.reportbuild`), and the tables are written. Nothing is
    published unless every step succeeds.
    """
    from .publish import staged_folder
    from .pdf import render_pdf
    from .reportbuild import FONTS_DIR, _export_html, _Kernel, _run_notebook, default_notebook, ReportBuild, StepClock

    try:
        check_lang(lang)
        day = resolve_report_date(report_date)
    except ValueError as exc:
        raise ReportError("parameters", str(exc)) from exc
    ys = cmp.check_years(years)
    inputs_root = Path(inputs_root).resolve()
    target = output_folder(outputs_root, region, ys)
    nb_path = Path(notebook) if notebook else default_notebook(NOTEBOOK_NAME)
    clock = StepClock()
    timings, lap = clock.timings, clock.lap

    for year in ys:  # checked before a kernel is started for nothing
        folder = region_folder(inputs_root, year, region)
        if not folder.is_dir():
            raise UsageError(f"no input folder {folder}")
    build = ReportBuild(folder=target, timings=timings, pdf_name="comparison.pdf")
    # The ranking report's kernel, started (quietly) while the inputs and the focus are checked here;
    # nothing is written, not even the outputs folder, until they are known to be good.
    kernel = _Kernel(Path.cwd())
    kernel.start()
    try:
        comp = cmp.load_comparison(region, ys, inputs_root)
        if focus:
            cmp.focus_key(comp, focus)  # an unknown or ambiguous focus fails here, with the candidates
        lap("inputs")
        km = kernel.ready()
    except BaseException:
        kernel.cancel()
        raise
    with staged_folder(target) as stage:
        try:
            executed = _run_notebook(nb_path, stage / "comparison.ipynb", {
                "region": region, "years": ys, "focus": focus, "inputs_root": str(inputs_root),
                "outputs_root": None, "lang": lang, "report_date": day.isoformat(),
            }, km)
        finally:
            kernel.cancel()
        lap("notebook")
        cfg = comp.runs[-1].inputs.config
        meta = {
            "lang": lang, "title": f"{texts(lang)['cover_title']} \u2014 {cfg.region} {ys[0]}\u2013{ys[-1]}",
            "issuer": cfg.issuer, "version": __version__,
            "created": datetime(day.year, day.month, day.day, tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "fonts_url": FONTS_DIR.as_uri(),
        }
        html = _export_html(executed, meta)
        (stage / "comparison.html").write_text(html, encoding="utf-8")
        lap("html")
        build.renderer_messages = render_pdf(html, stage / "comparison.pdf", day)
        lap("pdf")
        try:
            write_tables(comp, stage)
        except KiprankError:
            raise
        except Exception as exc:
            raise ReportError("tables", f"{type(exc).__name__}: {exc}") from exc
        lap("tables")
    lap("publish")
    return build


__all__ = ["CompareReport", "prepare", "resolve_root", "cover_html", "contents_html", "summary_html",
           "methodology_html", "changes_html", "charts_html", "focus_html", "annex_html", "full_html",
           "pair_summary_text", "focus_lead_text", "dumbbell_chart", "waterfall_chart", "trajectory_chart",
           "output_folder", "write_tables", "publish_tables", "build_comparison",
           "COMPARISON_FILES", "texts"]
