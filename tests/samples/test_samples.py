"""The shipped sample under samples/ matches its README: every file listed with its real sha256.

The "## Files" section of samples/README.md has one Markdown table row per file: the first cell is
the path relative to samples/ in backticks, and one cell is the full sha256 in backticks. These
tests keep the README and the files in step, keep the folder small enough to ship, and check the
invariants the pipeline relies on (inbox folders named by 5-digit former-unit codes, ground truth
in NFC UTF-8).
"""

import hashlib
import re
import unicodedata
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
README = SAMPLES / "README.md"
LISTED_FOLDERS = ("inbox", "ground_truth")
MAX_TOTAL_BYTES = 15_000_000
FILES_HEADING = "## Files"

_ROW = re.compile(r"^\|\s*`(?P<path>(?:inbox|ground_truth)/[^`]+)`\s*\|(?P<rest>.*)\|\s*$")
_SHA256 = re.compile(r"`([0-9a-f]{64})`")


def _readme_table() -> dict[str, str]:
    """Map each path listed in the README's file table to the sha256 given in its row."""
    table: dict[str, str] = {}
    in_files_section = False
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("## "):
            in_files_section = line.strip() == FILES_HEADING
            continue
        row = _ROW.match(line) if in_files_section else None
        if row is None:
            continue
        path = row["path"]
        digests = _SHA256.findall(row["rest"])
        assert len(digests) == 1, f"README.md line {number}: expected one sha256 for {path}, got {digests}"
        assert path not in table, f"README.md line {number}: {path} is listed twice"
        table[path] = digests[0]
    return table


def _sample_files() -> list[str]:
    return sorted(
        path.relative_to(SAMPLES).as_posix()
        for folder in LISTED_FOLDERS
        for path in (SAMPLES / folder).rglob("*")
        if path.is_file()
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def test_readme_lists_exactly_the_sample_files():
    listed = set(_readme_table())
    present = set(_sample_files())
    assert present, f"no files under {SAMPLES}/inbox or {SAMPLES}/ground_truth"
    assert sorted(present - listed) == [], "files missing from the table in samples/README.md"
    assert sorted(listed - present) == [], "samples/README.md lists files that do not exist"


@pytest.mark.parametrize("relative_path", _sample_files())
def test_file_has_the_sha256_listed_in_readme(relative_path):
    table = _readme_table()
    assert relative_path in table, f"samples/{relative_path} is not listed in samples/README.md"
    assert _sha256(SAMPLES / relative_path) == table[relative_path], (
        f"samples/{relative_path}: sha256 differs from samples/README.md"
    )


def test_samples_folder_is_under_15_mb():
    total = sum(path.stat().st_size for path in SAMPLES.rglob("*") if path.is_file())
    assert total < MAX_TOTAL_BYTES, f"samples/ holds {total:,} bytes, limit {MAX_TOTAL_BYTES:,}"


def test_inbox_folders_are_five_digit_unit_codes():
    folders = [path for path in (SAMPLES / "inbox").iterdir() if path.is_dir()]
    assert folders, "samples/inbox has no unit folders"
    bad = [path.name for path in folders if re.fullmatch(r"[0-9]{5}", path.name) is None]
    assert bad == [], f"samples/inbox folders not named by a 5-digit former-unit code: {bad}"
    loose = [path.name for path in (SAMPLES / "inbox").iterdir() if path.is_file()]
    assert loose == [], f"files directly in samples/inbox, outside any unit folder: {loose}"


@pytest.mark.parametrize(
    "ground_truth",
    sorted((SAMPLES / "ground_truth").glob("*.gt.txt")),
    ids=lambda path: path.name,
)
def test_ground_truth_is_nfc_utf8(ground_truth):
    raw = ground_truth.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), f"{ground_truth.name}: starts with a UTF-8 BOM"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        pytest.fail(f"{ground_truth.name}: not UTF-8 at byte {error.start}")
    assert text.strip(), f"{ground_truth.name}: empty"
    assert unicodedata.is_normalized("NFC", text), f"{ground_truth.name}: not Unicode NFC"


def test_ground_truth_folder_holds_only_gt_files():
    others = [path.name for path in (SAMPLES / "ground_truth").iterdir() if not path.name.endswith(".gt.txt")]
    assert others == [], f"samples/ground_truth holds files not named *.gt.txt: {others}"
