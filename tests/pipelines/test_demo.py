"""The demo's staged inbox: real scans plus a generated batch, made once and reused."""

from pipelines.demo import stage_demo_inbox
from resources.settings import REPO_ROOT
from sapnhap.samples.generator import GeneratorConfig


def test_demo_inbox_holds_real_scans_and_a_generated_batch_made_once(tmp_path):
    config = GeneratorConfig(dossiers=3, seed=9, exact_duplicates=0, broken_files=1, workers=1)
    inbox = stage_demo_inbox(tmp_path / "sample", config)
    folders = sorted(p.name for p in inbox.iterdir())
    real = sorted(p.name for p in (REPO_ROOT / "samples" / "inbox").iterdir() if p.is_dir())
    assert set(real) <= set(folders) and "373" in folders and "14503" in folders
    for path in (REPO_ROOT / "samples" / "inbox").rglob("*"):
        if path.is_file():
            copied = inbox / path.relative_to(REPO_ROOT / "samples" / "inbox")
            assert copied.read_bytes() == path.read_bytes()
    manifest = tmp_path / "sample" / "ground_truth" / "manifest.json"
    stamp = manifest.stat().st_mtime_ns
    stage_demo_inbox(tmp_path / "sample", config)
    assert manifest.stat().st_mtime_ns == stamp  # same configuration: not generated again
    stage_demo_inbox(
        tmp_path / "sample", GeneratorConfig(dossiers=4, seed=9, exact_duplicates=0, broken_files=1)
    )
    assert manifest.stat().st_mtime_ns != stamp  # another configuration: generated afresh
    assert set(real) <= {p.name for p in inbox.iterdir()}


def test_a_bad_setting_stops_the_demo_with_one_line(monkeypatch, capsys):
    from pipelines import demo

    monkeypatch.setenv("SAPNHAP_OCR_WORKERS", "0")
    assert demo.main() == 2
    err = capsys.readouterr().err
    assert err == "sapnhap demo: cannot start: SAPNHAP_OCR_WORKERS='0' must be positive\n"
