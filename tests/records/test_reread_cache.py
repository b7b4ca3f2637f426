"""The crop re-reading cache: a crop read again from its page is cached by the page's cache key, the box
and the crop's Tesseract settings (real Tesseract on a shipped scan)."""

from pathlib import Path

import pytest

from sapnhap.ocr import OcrSettings, PageTask, process_page
from sapnhap.ocr.page import PageResult
from sapnhap.ocr.pages import page_cache_key
from sapnhap.records import reread
from sapnhap.records.reread import CROP_CACHE_VERSION, CropCache, PageImageCropReader, crop_cache_key

SCAN = Path(__file__).resolve().parents[2] / "samples" / "inbox" / "21064" / "tesseract_viet.tif"


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[PageTask, PageResult]:
    """The shipped scan OCR'd once (its page result names its image hash)."""
    task = PageTask("0" * 64, str(SCAN), "tiff", 0)
    result = process_page(task, OcrSettings(), tmp_path_factory.mktemp("pages"))
    assert result.method == "ocr" and result.image_sha256
    return task, result


def _box(result: PageResult, index: int = 0) -> tuple[float, float, float, float]:
    word = [w for w in result.words if len(w.text) >= 4][index]
    return (word.left, word.top, word.width, word.height)


def _reader(page: tuple[PageTask, PageResult], cache: Path) -> PageImageCropReader:
    task, result = page
    return PageImageCropReader({1: task}, {1: result}, cache_dir=cache)


def _crop_files(cache: Path) -> list[Path]:
    return sorted((cache / "crops").glob("*/*.json"))


@pytest.mark.slow
def test_second_read_comes_from_the_cache_with_the_same_text(page, tmp_path, monkeypatch):
    box = _box(page[1])
    first = _reader(page, tmp_path)
    text, confidence = first(1, box)
    assert text.strip() and confidence is not None
    assert (first.calls, first.from_cache) == (1, 0)
    (stored,) = _crop_files(tmp_path)
    key = crop_cache_key(page_cache_key(page[1].image_sha256, OcrSettings()), box, "vie")
    assert stored == tmp_path / "crops" / key[:2] / f"{key}.json"
    assert not list((tmp_path / "crops").glob("*/*.tmp"))  # written atomically, no leftovers

    # A new reader (a new run) neither rebuilds the page image nor runs Tesseract.
    def no_ocr(*args, **kwargs):
        raise AssertionError("the page was rebuilt or read although its crop is cached")

    monkeypatch.setattr(reread, "page_image", no_ocr)
    monkeypatch.setattr(reread, "recognise", no_ocr)
    second = _reader(page, tmp_path)
    assert second(1, box) == (text, confidence)
    assert (second.calls, second.from_cache) == (1, 1)


@pytest.mark.slow
def test_a_changed_box_misses(page, tmp_path):
    left, top, width, height = _box(page[1])
    reader = _reader(page, tmp_path)
    reader(1, (left, top, width, height))
    reader(1, (left, top, width + 40, height))
    assert (reader.calls, reader.from_cache) == (2, 0)
    assert len(_crop_files(tmp_path)) == 2
    reader(1, (left, top, width, height))
    assert reader.from_cache == 1


@pytest.mark.slow
def test_a_corrupt_cache_file_is_a_miss_and_is_rewritten(page, tmp_path):
    box = _box(page[1])
    expected = _reader(page, tmp_path)(1, box)
    (stored,) = _crop_files(tmp_path)
    for damage in ('{"text": "half a fi', "", '{"confidence": 3}', "[1, 2]", '{"text": 5, "confidence": 1}'):
        stored.write_text(damage, encoding="utf-8")
        reader = _reader(page, tmp_path)
        assert reader(1, box) == expected  # read again from the page, not a crash
        assert (reader.calls, reader.from_cache) == (1, 0)
    stored.write_bytes(b"\xff\xfe\x00garbage")
    assert _reader(page, tmp_path)(1, box) == expected
    reader = _reader(page, tmp_path)  # the damaged entry was replaced by a good one
    assert reader(1, box) == expected and reader.from_cache == 1


def test_key_covers_page_box_settings_and_version(tmp_path):
    page = page_cache_key("a" * 64, OcrSettings())
    key = crop_cache_key(page, (10.0, 20.0, 30.0, 12.0), "vie")
    assert len(key) == 64 and CROP_CACHE_VERSION == "1"
    assert key == crop_cache_key(page, (10, 20, 30, 12), "vie")
    assert key != crop_cache_key(page_cache_key("b" * 64, OcrSettings()), (10, 20, 30, 12), "vie")
    assert key != crop_cache_key(page_cache_key("a" * 64, OcrSettings(dpi=400)), (10, 20, 30, 12), "vie")
    assert key != crop_cache_key(page, (10, 20, 30, 13), "vie")
    assert key != crop_cache_key(page, (10, 20, 30, 12), "vie+eng")
    assert key != crop_cache_key(page, (10, 20, 30, 12), "vie", psm=6)
    cache = CropCache(tmp_path / "crops")
    assert cache.get(key) is None
    cache.put(key, "Đặng", None)
    assert cache.get(key) == ("Đặng", None)


def test_no_cache_without_an_image_hash_or_with_a_custom_reader(tmp_path):
    task = PageTask("0" * 64, str(SCAN), "tiff", 0)
    result = PageResult(file_sha256="0" * 64, page_number=1, method="ocr", reason="", image_sha256=None)
    calls = []

    def fake(image, bbox):
        calls.append(bbox)
        return "x", 90.0

    custom = PageImageCropReader({1: task}, {1: result}, reader=fake, cache_dir=tmp_path)
    assert custom.cache is None
    reader = PageImageCropReader({1: task}, {1: result}, cache_dir=tmp_path)
    reader.reader = fake  # no image hash: read every time, nothing stored
    reader(1, (1, 1, 5, 5))
    reader(1, (1, 1, 5, 5))
    assert len(calls) == 2 and reader.from_cache == 0 and not (tmp_path / "crops").exists()


@pytest.mark.slow
def test_a_crop_tesseract_refuses_is_refused_again_from_the_cache(page, tmp_path, monkeypatch):
    """Tesseract's refusal of a crop ("Image too small to scale") is cached and replayed as the same
    error; a failure without Tesseract's message (a killed engine) is not cached."""
    from sapnhap.ocr.engine import OcrEngineError

    box = _box(page[1])
    message = "tesseract failed on crop.png: Image too small to scale!! (2x36 vs min width of 3)"

    def refuse(*args, **kwargs):
        raise OcrEngineError(message)

    monkeypatch.setattr(reread, "recognise", refuse)
    first = _reader(page, tmp_path)
    with pytest.raises(OcrEngineError):
        first(1, box)
    assert (first.calls, first.from_cache) == (1, 0) and len(_crop_files(tmp_path)) == 1

    def no_ocr(*args, **kwargs):
        raise AssertionError("Tesseract ran on a crop it refused before")

    monkeypatch.setattr(reread, "recognise", no_ocr)
    second = _reader(page, tmp_path)
    with pytest.raises(OcrEngineError, match="Image too small"):
        second(1, box)
    assert (second.calls, second.from_cache) == (1, 1)

    def killed(*args, **kwargs):
        raise OcrEngineError("tesseract failed on crop.png: ")

    monkeypatch.setattr(reread, "recognise", killed)
    other = (box[0], box[1], box[2] + 7, box[3])
    with pytest.raises(OcrEngineError):
        _reader(page, tmp_path)(1, other)
    assert len(_crop_files(tmp_path)) == 1
