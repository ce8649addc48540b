"""The words of the report, one dictionary per language (``id`` is the default).

Every fixed string the report shows lives here; numbers and names are filled in with
``str.format``. Methodology labels, sources and assumptions come from the methodology file and
region names from ``region.yml``: they are shown as written there, in either language.
"""

from __future__ import annotations

from .formatting import check_lang

ID = {
    # cover
    "report_kind": "Laporan Hasil",
    "cover_subtitle": "Monitoring dan Evaluasi Keterbukaan Informasi Publik",
    "cover_region_year": "{region} \u2022 Tahun {year}",
    "issuer": "Penerbit",
    "methodology": "Metodologi",
    "report_date": "Tanggal laporan",
    "bodies_assessed_cover": "Badan publik",
    "bodies_cover_value": "{n} badan publik dalam {k} kelompok",
    "data_note": "Catatan data",
    "legal_basis": ("Disusun berdasarkan Undang-Undang Nomor 14 Tahun 2008 tentang Keterbukaan Informasi "
                    "Publik. Nilai, kualifikasi dan peringkat dihitung oleh kiprank {version} dari data masukan "
                    "dan berkas metodologi yang tercantum di bawah, tanpa pengolahan manual."),
    "running_head": "{region} \u2022 Pemeringkatan KIP {year}",
    "footer_line": "kiprank {version} \u2022 metodologi {methodology}",
    "footer_fingerprint": " \u2022 manifest {fingerprint}",
    "page_word": "Halaman",
    "of_word": "dari",
    "contents": "Daftar isi",
    # sections
    "sec_summary": "Ringkasan",
    "sec_methodology": "Metodologi",
    "sec_results": "Hasil Pemeringkatan",
    "sec_charts": "Grafik",
    "sec_not_returned": "Badan Publik yang Tidak Mengembalikan SAQ",
    "sec_annex": "Lampiran: Lembar Nilai per Badan Publik",
    # summary
    "summary_intro": ("Pemeringkatan ini menilai {n} badan publik di {region} pada tahun {year}, dalam {k} "
                      "kelompok yang diperingkat terpisah, menurut metodologi \u201c{methodology}\u201d. "
                      "{returned} badan publik ({pct}) mengembalikan SAQ dan dinilai; {missing} tidak "
                      "mengembalikan SAQ."),
    "participation": "Partisipasi per kelompok",
    "group": "Kelompok",
    "bodies": "Jumlah badan publik",
    "saq_returned": "Mengembalikan SAQ",
    "saq_pct": "Persentase",
    "total": "Jumlah",
    "band_counts": "Jumlah badan publik per kualifikasi",
    "not_assessed_col": "Tidak mengembalikan SAQ",
    "top3": "Tiga peringkat teratas per kelompok",
    "rank": "Peringkat",
    "body": "Badan publik",
    "final": "Nilai akhir",
    "band": "Kualifikasi",
    # methodology
    "meth_intro": ("Metodologi \u201c{name}\u201d (kode {id}{commission}{years}). Semua bobot, kualifikasi dan "
                   "aturan di bawah ini dibaca dari berkas metodologi; berkas yang sama dipakai untuk menghitung nilai."),
    "meth_commission": ", {commission}",
    "meth_years": ", berlaku {years}",
    "stages": "Tahap penilaian dan bobot",
    "stage_no": "No.",
    "stage": "Tahap",
    "weight": "Bobot",
    "source": "Dasar nilai",
    "participation_rule": "Peserta tahap",
    "all_returned": "Semua yang mengembalikan SAQ",
    "src_questionnaire": "Jawaban SAQ sebagaimana diisi badan publik",
    "src_verification": "Jawaban SAQ yang terbukti oleh data dukung (hasil verifikasi)",
    "src_checklist": "Daftar periksa website ({n} butir)",
    "src_score": "Nilai tim penilai (0\u2013100)",
    "gate_min": "Nilai {stage} \u2265 {min}; lainnya {otherwise}",
    "gate_top": "{n} teratas per kelompok pada {stage}; lainnya {otherwise}",
    "gate_carry": "membawa nilai {stage}",
    "gate_value": "mendapat nilai {value}",
    "final_formula": "Nilai akhir = {formula}.",
    "indicators": "Indikator SAQ dan bobot (dalam nilai tahap SAQ dan verifikasi)",
    "indicator": "Indikator",
    "questions": "Jumlah pertanyaan",
    "question_list": "Daftar pertanyaan SAQ",
    "question_id": "Kode",
    "question": "Pertanyaan",
    "answer_type": "Jenis jawaban",
    "type_yesno": "ya / tidak",
    "type_graded": "pilihan: {options}",
    "type_numeric": "angka 0\u2013{max}",
    "checklist": "Butir pemeriksaan website ({stage})",
    "item": "Butir",
    "category": "Kategori",
    "bands": "Kualifikasi",
    "score_range": "Rentang nilai",
    "rules": "Aturan perhitungan",
    "rule_rounding": ("Nilai tahap disimpan tanpa pembulatan; nilai akhir dibulatkan ke {d} angka desimal "
                      "(pembulatan setengah ke atas). Kualifikasi dan peringkat memakai nilai akhir yang dibulatkan."),
    "rule_groups": "Badan publik diperingkat di dalam kelompoknya: {groups}.",
    "rule_ties_dense": ("Nilai akhir yang sama mendapat peringkat yang sama dan peringkat berikutnya tidak "
                        "dilompati (1, 2, 2, 3)."),
    "rule_ties_min": ("Nilai akhir yang sama mendapat peringkat yang sama dan peringkat berikutnya dilompati "
                      "(1, 2, 2, 4)."),
    "rule_gate": "Tahap {stage}: hanya badan publik dengan {rule} yang mengikuti tahap ini; lainnya {otherwise}.",
    "rule_gate_min": "nilai {stage} minimal {min}",
    "rule_gate_top": "{n} nilai {stage} teratas di kelompoknya",
    "rule_no_gate": "Tidak ada ambang batas: setiap badan publik yang mengembalikan SAQ mengikuti semua tahap.",
    "rule_not_returned": ("Badan publik yang tidak mengembalikan SAQ dicatat \u201c{status}\u201d dengan kualifikasi "
                          "\u201c{band}\u201d{ranked}."),
    "rule_not_ranked": " dan tidak diberi peringkat",
    "rule_ranked": " dan diperingkat dengan nilai {score}",
    "rule_verification": ("Verifikasi: jawaban yang sesuai dengan data dukung mendapat nilai jawaban itu, "
                          "yang sesuai sebagian mendapat nilai jawaban yang diakui tim, yang tidak sesuai atau "
                          "tidak diverifikasi mendapat 0."),
    "sources": "Sumber",
    "assumptions": "Asumsi (pilihan metodologi ini, karena tidak dipublikasikan)",
    # results
    "results_intro": ("Tabel berikut memuat seluruh badan publik per kelompok, diurutkan menurut peringkat. "
                      "Nilai tahap ditampilkan dengan {d} angka desimal; bobot tahap dalam kurung."),
    "self_assessed": "SAQ (isian sendiri)",
    "columns": "Kolom",
    "notes": "Catatan",
    "no_rank": "\u2014",
    # charts
    "chart_final": "Nilai akhir per badan publik: {group}",
    "chart_final_caption": "Warna menunjukkan kualifikasi; garis putus-putus adalah batas bawah kualifikasi.",
    "chart_claim": "Nilai SAQ isian sendiri dibanding nilai terverifikasi",
    "chart_claim_caption": ("Titik di bawah garis diagonal: nilai terverifikasi lebih rendah daripada klaim SAQ. "
                            "Makin jauh dari garis, makin besar selisih klaim. Nomor 1\u2013{n} menandai selisih "
                            "terbesar (nomor yang sama dengan tabel di bawah)."),
    "chart_claim_x": "Nilai klaim SAQ",
    "chart_claim_y": "Nilai terverifikasi ({stage})",
    "overclaim_table": "Selisih klaim SAQ terbesar",
    "gap": "Selisih",
    "chart_bands": "Sebaran kualifikasi per kelompok",
    "chart_bands_x": "Jumlah badan publik",
    "chart_missing": "Butir website yang paling sering tidak ada ({stage})",
    "chart_missing_x": "Persentase badan publik yang dinilai tanpa butir ini",
    "chart_missing_caption": "Dihitung atas {n} badan publik yang mengembalikan SAQ.",
    "no_claim_chart": "Metodologi ini tidak memiliki tahap SAQ dan verifikasi, sehingga perbandingan klaim tidak dibuat.",
    "no_checklist_chart": "Metodologi ini tidak memiliki tahap pemeriksaan website.",
    "figure": "Gambar {n}",
    "table": "Tabel {n}",
    # not returned
    "not_returned_intro": ("{n} badan publik tidak mengembalikan SAQ sampai batas waktu. Sesuai metodologi, "
                           "mereka dicatat \u201c{status}\u201d dengan kualifikasi \u201c{band}\u201d."),
    "none_missing": "Semua badan publik mengembalikan SAQ.",
    "no": "No.",
    "status": "Status",
    # annex
    "annex_intro": ("Setiap lembar memuat nilai per tahap dan indikator, sumbangannya pada nilai akhir, dan butir "
                    "yang belum terpenuhi penuh, agar setiap badan publik dapat melihat dasar nilainya."),
    "sheet_rank": "Peringkat {rank} dari {n} di kelompok {group}",
    "sheet_unranked": "Tidak diperingkat (kelompok {group})",
    "contribution": "Sumbangan pada nilai akhir",
    "stage_weight": "Bobot tahap",
    "score": "Nilai",
    "stage_total": "Nilai tahap",
    "shortfalls": "Belum terpenuhi penuh",
    "shortfalls_questions": "Belum bernilai penuh, % nilai yang diperoleh ({stages})",
    "shortfalls_items": "Tidak ada pada {stage}",
    "no_shortfalls": "Semua butir terpenuhi penuh.",
    "sheet_not_returned": "Tidak mengembalikan SAQ: tidak ada nilai yang dapat dirinci.",
    "sheet_notes": "Catatan perhitungan",
    "yes": "ya",
}

EN = {
    "report_kind": "Results Report",
    "cover_subtitle": "Monitoring and Evaluation of Public Information Openness",
    "cover_region_year": "{region} \u2022 Year {year}",
    "issuer": "Issued by",
    "methodology": "Methodology",
    "report_date": "Report date",
    "bodies_assessed_cover": "Public bodies",
    "bodies_cover_value": "{n} public bodies in {k} groups",
    "data_note": "Data note",
    "legal_basis": ("Prepared under Law No. 14 of 2008 on Public Information Openness (Keterbukaan Informasi "
                    "Publik). Scores, qualifications and ranks were computed by kiprank {version} from the input "
                    "data and the methodology file listed below, with no manual processing."),
    "running_head": "{region} \u2022 KIP ranking {year}",
    "footer_line": "kiprank {version} \u2022 methodology {methodology}",
    "footer_fingerprint": " \u2022 manifest {fingerprint}",
    "page_word": "Page",
    "of_word": "of",
    "contents": "Contents",
    "sec_summary": "Summary",
    "sec_methodology": "Methodology",
    "sec_results": "Ranking Results",
    "sec_charts": "Charts",
    "sec_not_returned": "Public Bodies That Did Not Return the SAQ",
    "sec_annex": "Annex: Score Sheet per Public Body",
    "summary_intro": ("This ranking assesses {n} public bodies of {region} in {year}, in {k} groups ranked "
                      "separately, under the methodology \u201c{methodology}\u201d. {returned} bodies ({pct}) "
                      "returned the SAQ and were assessed; {missing} did not return it."),
    "participation": "Participation per group",
    "group": "Group",
    "bodies": "Public bodies",
    "saq_returned": "Returned the SAQ",
    "saq_pct": "Share",
    "total": "Total",
    "band_counts": "Public bodies per qualification",
    "not_assessed_col": "Did not return the SAQ",
    "top3": "Top three of each group",
    "rank": "Rank",
    "body": "Public body",
    "final": "Final score",
    "band": "Qualification",
    "meth_intro": ("Methodology \u201c{name}\u201d (id {id}{commission}{years}). Every weight, qualification and "
                   "rule below is read from the methodology file; the same file was used to compute the scores."),
    "meth_commission": ", {commission}",
    "meth_years": ", for {years}",
    "stages": "Assessment stages and weights",
    "stage_no": "No.",
    "stage": "Stage",
    "weight": "Weight",
    "source": "Scored from",
    "participation_rule": "Who takes part",
    "all_returned": "All bodies that returned the SAQ",
    "src_questionnaire": "SAQ answers as given by the body",
    "src_verification": "SAQ answers supported by evidence (verification)",
    "src_checklist": "Website checklist ({n} items)",
    "src_score": "Assessors' score (0\u2013100)",
    "gate_min": "{stage} score \u2265 {min}; others {otherwise}",
    "gate_top": "Top {n} per group on {stage}; others {otherwise}",
    "gate_carry": "carry their {stage} score",
    "gate_value": "get {value}",
    "final_formula": "Final score = {formula}.",
    "indicators": "SAQ indicators and weights (within the SAQ and verification stage scores)",
    "indicator": "Indicator",
    "questions": "Questions",
    "question_list": "SAQ questions",
    "question_id": "Code",
    "question": "Question",
    "answer_type": "Answer",
    "type_yesno": "yes / no",
    "type_graded": "one of: {options}",
    "type_numeric": "number 0\u2013{max}",
    "checklist": "Website check items ({stage})",
    "item": "Item",
    "category": "Category",
    "bands": "Qualifications",
    "score_range": "Score range",
    "rules": "Calculation rules",
    "rule_rounding": ("Stage scores are kept unrounded; the final score is rounded to {d} decimals (half up). "
                      "Qualifications and ranks use the rounded final score."),
    "rule_groups": "Bodies are ranked within their group: {groups}.",
    "rule_ties_dense": "Equal final scores share a rank and the next rank is not skipped (1, 2, 2, 3).",
    "rule_ties_min": "Equal final scores share a rank and the next rank is skipped (1, 2, 2, 4).",
    "rule_gate": "Stage {stage}: only bodies with {rule} take part; the others {otherwise}.",
    "rule_gate_min": "a {stage} score of at least {min}",
    "rule_gate_top": "one of the top {n} {stage} scores of their group",
    "rule_no_gate": "No threshold: every body that returned the SAQ takes part in every stage.",
    "rule_not_returned": ("Bodies that did not return the SAQ are listed as \u201c{status}\u201d with the "
                          "qualification \u201c{band}\u201d{ranked}."),
    "rule_not_ranked": " and are not ranked",
    "rule_ranked": " and are ranked with a score of {score}",
    "rule_verification": ("Verification: an answer supported by evidence earns its value, a partly supported one "
                          "earns the value of the answer the assessors accept, and an unsupported or unchecked "
                          "answer earns 0."),
    "sources": "Sources",
    "assumptions": "Assumptions (choices of this methodology, where nothing was published)",
    "results_intro": ("The tables list every public body by group, in rank order. Stage scores are shown with "
                      "{d} decimals; stage weights in brackets."),
    "self_assessed": "SAQ (self-assessed)",
    "columns": "Columns",
    "notes": "Notes",
    "no_rank": "\u2014",
    "chart_final": "Final score per public body: {group}",
    "chart_final_caption": "Colour shows the qualification; dashed lines are the lower bounds of the qualifications.",
    "chart_claim": "Self-assessed SAQ score against verified score",
    "chart_claim_caption": ("Points below the diagonal: the verified score is lower than the SAQ claim. The farther "
                            "from the line, the larger the over-claim. Numbers 1\u2013{n} mark the largest gaps "
                            "(the same numbers as in the table below)."),
    "chart_claim_x": "SAQ claim score",
    "chart_claim_y": "Verified score ({stage})",
    "overclaim_table": "Largest SAQ over-claims",
    "gap": "Gap",
    "chart_bands": "Qualifications per group",
    "chart_bands_x": "Public bodies",
    "chart_missing": "Website items most often missing ({stage})",
    "chart_missing_x": "Share of assessed bodies without the item",
    "chart_missing_caption": "Out of {n} public bodies that returned the SAQ.",
    "no_claim_chart": "This methodology has no SAQ and verification stages, so claims are not compared.",
    "no_checklist_chart": "This methodology has no website check stage.",
    "figure": "Figure {n}",
    "table": "Table {n}",
    "not_returned_intro": ("{n} public bodies did not return the SAQ by the deadline. Under the methodology they "
                           "are listed as \u201c{status}\u201d with the qualification \u201c{band}\u201d."),
    "none_missing": "Every public body returned the SAQ.",
    "no": "No.",
    "status": "Status",
    "annex_intro": ("Each sheet shows the score of every stage and indicator, what it adds to the final score, and "
                    "the items not fully met, so that each body can see why it got its score."),
    "sheet_rank": "Rank {rank} of {n} in group {group}",
    "sheet_unranked": "Not ranked (group {group})",
    "contribution": "Adds to final score",
    "stage_weight": "Stage weight",
    "score": "Score",
    "stage_total": "Stage score",
    "shortfalls": "Not fully met",
    "shortfalls_questions": "Not earning full marks, % of the question earned ({stages})",
    "shortfalls_items": "Missing in {stage}",
    "no_shortfalls": "Every item fully met.",
    "sheet_not_returned": "Did not return the SAQ: no score to break down.",
    "sheet_notes": "Calculation notes",
    "yes": "yes",
}

TEXTS = {"id": ID, "en": EN}


def texts(lang: str = "id") -> dict[str, str]:
    """The report strings of a language (``id`` or ``en``)."""
    return TEXTS[check_lang(lang)]


__all__ = ["TEXTS", "texts", "ID", "EN"]
