"""The OCRmyPDF benchmark's own parts that need neither OCRmyPDF nor Tesseract: CER aggregation,
the cheap-win figures and the report it writes."""

from __future__ import annotations

import json
from pathlib import Path

from sapnhap.ocr import OcrSettings
from sapnhap.ocr.page import PageResult
from scripts.bench_ocr_peer import (
    BenchFile,
    PageScore,
    cer_summary,
    cheap_wins,
    conclusions,
    profile_summary,
    score_pages,
    write_report,
)


def _files() -> list[BenchFile]:
    generated = BenchFile(
        "generated", Path("g.png"), "png", "g" * 64, [0], {0: "Giấy khai sinh"}, {0: 1.0}, {0: 0}
    )
    real = BenchFile("real", Path("r.tif"), "tiff", "r" * 64, [0, 1], {0: "tiếng"})
    return [generated, real]


def test_score_pages_and_cer_summary_by_source() -> None:
    texts = {("g" * 64, 0): "Giấy khai sinh", ("r" * 64, 0): "tieng", ("r" * 64, 1): "no truth"}
    scores = score_pages(_files(), texts)
    assert [(s.source, s.edits, s.chars) for s in scores] == [("generated", 0, 14), ("real", 1, 5)]
    summary = cer_summary(scores)
    assert summary["generated"] == {"pages": 1, "chars": 14, "cer": 0.0}
    assert summary["real"] == {"pages": 1, "chars": 5, "cer": 0.2}
    assert summary["all"]["cer"] == round(1 / 19, 4)
    # a page with no output counts as empty, and an empty group has no CER
    missing = cer_summary(score_pages(_files()[:1], {}))
    assert missing["generated"]["cer"] == 1.0 and missing["real"]["cer"] is None


def test_cheap_wins_and_profile_from_rows() -> None:
    files = _files()
    page = PageResult(file_sha256="g" * 64, page_number=1, method="ocr", reason="", text="Giấy khai sinh")
    state = {
        "total": 10.0,
        "first": ("Giấy khai xinh", 90.0, 0.8),
        "second_s": 0.5,
        "osd_s": 0.5,
        "skew": {"1200": (-1.0, 0.3), "800": (-1.2, 0.2), "600": (-1.5, 0.1)},
        "pgm_s": 0.01,
        "png_s": 0.2,
    }
    rows = [(page, {"tesseract_first": 8.0, "render": 2.0}, state)]
    wins = cheap_wins(files, rows, OcrSettings())
    reuse = wins["reuse_sideways_reading"]
    assert reuse["confident_sideways_pages"] == 1 and reuse["time_saved_percent"] == 10.0
    assert reuse["cer_now"] == 0.0 and reuse["cer_reusing_first_reading"] > 0
    skew = wins["lighter_skew"]
    assert skew["1200"]["mean_abs_error_deg"] == 0.0 and skew["600"]["error_ratio"] > 1
    assert wins["page_file"] == {"pgm_write_percent": 0.1, "png_encode_would_be_percent": 2.0}
    assert profile_summary(rows)["share_percent"]["tesseract_first"] == 80.0


def test_write_report(tmp_path: Path) -> None:
    scores = [PageScore("generated", "g.png", 1, 1, 100), PageScore("real", "r.tif", 1, 10, 100)]
    worse = [PageScore("generated", "g.png", 1, 5, 100), PageScore("real", "r.tif", 1, 8, 100)]
    report = {
        "date": "2026-01-01T00:00:00+00:00", "machine": "x86_64, 2 cores", "tesseract": "5.3.0",
        "ocrmypdf": "17.13.0", "workers": 2, "seed": 1, "pages": {"real": 1, "generated": 1, "with_truth": 2},
        "throughput": {"pages": 2, "runs": [{"order": "sapnhap → ocrmypdf", "sapnhap_s": 2.0, "ocrmypdf_s": 5.0}],
                       "sapnhap_pages_per_s": 1.0, "ocrmypdf_pages_per_s": 0.4, "ratio": 2.5, "target_ratio": 1.2},
        "cer": {"sapnhap": cer_summary(scores), "ocrmypdf": cer_summary(worse)},
    }  # fmt: skip
    write_report(report, tmp_path)
    assert json.loads((tmp_path / "benchmarks_ocr.json").read_text(encoding="utf-8")) == report
    text = (tmp_path / "benchmarks_ocr.md").read_text(encoding="utf-8")
    assert "| **ratio sapnhap / OCRmyPDF** | **2.5** (target ≥ 1.2: met) |" in text
    assert "| real | 1 | 0.1000 | 0.0800 |" in text
    lines = conclusions(report)
    assert any(
        "real (1 pages): **sapnhap is worse here**, 0.1000 against OCRmyPDF's 0.0800" in x for x in lines
    )
    assert any(x.startswith("- CER, generated") and "equal or lower" in x for x in lines)
