"""The end-to-end benchmark (`scripts.bench_end_to_end`) on a tiny batch: every stage timed from the
event log in every phase, the warm run's crops from the cache, the report written."""

import json
import os

import pytest

from scripts import bench_end_to_end

INGEST = {
    "dossier_files",
    "ocr_pages",
    "documents",
    "source_records",
    "validated_records",
    "unified_register",
    "record_register",
    "reconciliation",
}
LINKAGE = {"entities", "review_queue"}


@pytest.mark.slow
def test_bench_end_to_end_on_three_dossiers(tmp_path, monkeypatch):
    # main() points SAPNHAP_HOME, DAGSTER_HOME and SAPNHAP_INBOX at its folder: restored after the test.
    for name in ("SAPNHAP_HOME", "DAGSTER_HOME", "SAPNHAP_INBOX", "SAPNHAP_DATABASE_URL", "SAPNHAP_ARCHIVE"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    report_path = tmp_path / "report" / "e2e.md"
    assert (
        bench_end_to_end.main(
            ["--dossiers", "3", "--home", str(tmp_path / "home"), "--report", str(report_path)]
        )
        == 0
    )

    report = json.loads(report_path.with_suffix(".json").read_text(encoding="utf-8"))
    phases = {p["phase"]: p for p in report["phases"]}
    assert list(phases) == list(bench_end_to_end.PHASES)
    for phase in phases.values():
        assert INGEST | LINKAGE <= set(phase["stages"]), phase["phase"]
        assert all(s["seconds"] > 0 for s in phase["stages"].values())
        assert phase["failed_units"] == [] and phase["pages"] > 0
        # The stages were read from the event log: together they fit inside the wall time.
        assert 0 < phase["seconds_in_steps"] <= phase["wall_seconds"]
        assert phase["slowest_stage"] == max(phase["stages"], key=lambda k: phase["stages"][k]["seconds"])
        ocr = phase["stages"]["ocr_pages"]
        assert ocr["pages_per_second"] == pytest.approx(phase["pages"] / ocr["seconds"], rel=0.01)

    cold, warm, bare = phases["cold"], phases["warm"], phases["warm_without_crop_cache"]
    assert cold["pages_from_cache"] == 0 and cold["crops_from_cache"] == 0
    assert cold["crops_read_again"] > 0
    # Warm: every OCR'd page and every crop from the caches; without the crop cache, none of the crops.
    assert warm["pages_from_cache"] == warm["pages_ocr"] == cold["pages_ocr"]
    assert warm["crops_from_cache"] == warm["crops_read_again"] == cold["crops_read_again"]
    assert bare["crops_from_cache"] == 0 and bare["crops_read_again"] == cold["crops_read_again"]
    # Reading from the caches changes nothing that is scored.
    assert report["scores"]["cold"] == report["scores"]["warm"] == report["scores"]["warm_without_crop_cache"]
    assert report["scores"]["cold"]["all"]["n"] > 0

    markdown = report_path.read_text(encoding="utf-8")
    assert f"**Slowest stage (measured): `{cold['slowest_stage']}`**" in markdown
    assert "Extrapolation to 2,000 dossiers (not measured)" in markdown
    assert f"read {warm['crops_read_again']} of {warm['crops_read_again']} crops from the cache" in markdown


def test_render_with_cold_and_warm_only_names_the_missing_phase():
    """`--phases cold,warm` (a 2,000-dossier run that skips the third phase): the report renders the
    two phases it has and says the phase without the crop cache was not run."""
    from pathlib import Path

    shipped = Path(bench_end_to_end.DOCS) / "benchmarks_end_to_end.json"
    report = json.loads(shipped.read_text(encoding="utf-8"))
    report["phases"] = [p for p in report["phases"] if p["phase"] in ("cold", "warm")]
    markdown = bench_end_to_end.render_markdown(report)
    warm = report["phases"][1]
    assert "## Warm (same page and crop caches, same database):" in markdown
    assert "crop cache deleted" not in markdown
    assert "the phase without the crop cache was not run (`--phases`)" in markdown
    assert f"took {warm['wall_seconds']:.0f} s" in markdown


def test_phases_must_start_cold(capsys):
    with pytest.raises(SystemExit) as exc:
        bench_end_to_end.main(["--phases", "warm"])
    assert exc.value.code == 2
    assert "--phases 'warm': a comma-separated subset" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench_end_to_end.main(["--phases", "cold,bogus"])
    assert "(bogus is not a phase)" in capsys.readouterr().err


def test_a_home_with_files_it_did_not_make_is_refused(tmp_path, capsys):
    home = tmp_path / "var"
    (home / "sapnhap.db").parent.mkdir(parents=True)
    (home / "sapnhap.db").write_bytes(b"the user's demo database")
    with pytest.raises(SystemExit) as exc:
        bench_end_to_end.main(["--dossiers", "3", "--home", str(home)])
    assert exc.value.code == 2
    assert "holds files this benchmark did not make" in capsys.readouterr().err
    assert (home / "sapnhap.db").read_bytes() == b"the user's demo database"
