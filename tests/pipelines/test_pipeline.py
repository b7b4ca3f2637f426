"""End to end: real scans and bad files through the whole Dagster job, on SQLite and PostgreSQL."""

import shutil
import unicodedata
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance
from sqlalchemy import func, select

from sapnhap.db.models import Document, File, FileSource, FormerUnit, Page, ProvenanceEvent, Word
from sapnhap.db.session import make_engine
from sapnhap.text import character_error_rate
from tests import badfiles
from tests.runs import check_evaluations, project

INBOX = Path(__file__).resolve().parents[2] / "samples" / "inbox"
GROUND_TRUTH = Path(__file__).resolve().parents[2] / "samples" / "ground_truth"
UNITS = ["21058", "21064", "21085"]
DISTRICT = "524"  # Huyện Bình Sơn, Tỉnh Quảng Ngãi: the former district of the three sample communes


@pytest.fixture(scope="session")
def inbox(tmp_path_factory) -> dict:
    """A small inbox: real scans in 21064, born-digital and a cross-unit duplicate in 21085, bad files in
    21058, and a former district's archive in 524 (a scan and a born-digital PDF, in a sub-folder)."""
    root = tmp_path_factory.mktemp("inbox")
    real = root / "21064"
    real.mkdir()
    for name in ("tesseract_viet.tif", "vietadmin_1.pdf", "vietocr_vietsample2.tif"):
        shutil.copy(INBOX / "21064" / name, real / name)
    digital = root / "21085"
    (digital / "ho-so").mkdir(parents=True)
    for name in ("qngai_11-TB-2025_born_digital.pdf", "vietocr_vietsample1.pdf"):
        shutil.copy(INBOX / "21085" / name, digital / name)
    shutil.copy(INBOX / "21064" / "vietadmin_1.pdf", digital / "ho-so" / "ban-sao-vietadmin_1.pdf")
    district = root / DISTRICT
    (district / "van-thu").mkdir(parents=True)
    shutil.copy(INBOX / "21064" / "tesseract_viet.tif", district / "tesseract_viet.tif")
    shutil.copy(INBOX / "21085" / "vietocr_vietsample1.pdf", district / "van-thu" / "vietocr_vietsample1.pdf")
    bad = root / "21058"
    bad.mkdir()
    made = {
        fn.__name__: fn(bad)
        for fn in (
            badfiles.zero_byte,
            badfiles.jpeg_named_pdf,
            badfiles.truncated_pdf,
            badfiles.encrypted_empty_password_pdf,
            badfiles.encrypted_password_pdf,
            badfiles.zip_archive,
            badfiles.one_pixel_png,
            badfiles.three_page_tiff,
            badfiles.cmyk_jpeg,
            badfiles.sixteen_bit_png,
            badfiles.rotated_text_layer_pdf,
            badfiles.nfd_text_layer_pdf,
        )
    }
    return {"root": root, "bad": {k: f"21058/{p.name}" for k, p in made.items()}}


@pytest.fixture(scope="session")
def ocr_cache(tmp_path_factory) -> Path:
    """One OCR cache for every run in the session: the second backend reuses the first's pages."""
    return tmp_path_factory.mktemp("ocr-cache")


def _run_all(
    inbox: dict, home: Path, db_url: str, ocr_cache: Path, instance: DagsterInstance, units: list[str] = UNITS
) -> list:
    job = project(home, inbox["root"], db_url, ocr_cache, ocr_workers=2).resolve_job_def("ingest_former_unit")
    instance.add_dynamic_partitions(
        "former_units", [u for u in units if not instance.has_dynamic_partition("former_units", u)]
    )
    return [job.execute_in_process(partition_key=unit, instance=instance) for unit in units]


def _counts(engine) -> dict:
    with engine.connect() as conn:
        return {
            model.__tablename__: conn.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (FormerUnit, File, FileSource, Page, Word, Document, ProvenanceEvent)
        }


def _check_results(result) -> dict:
    return {name: evaluation.passed for name, evaluation in check_evaluations(result).items()}


@pytest.mark.slow
def test_whole_job_on_real_scans_and_bad_files(inbox, ocr_cache, db_url, tmp_path):
    home = tmp_path / "home"
    with DagsterInstance.ephemeral() as instance:
        results = _run_all(inbox, home, db_url, ocr_cache, instance)
        assert all(r.success for r in results)
        for result in results:
            assert _check_results(result)["balanced"] is True
        engine = make_engine(db_url)
        first = _counts(engine)

        with engine.connect() as conn:
            sources = {
                s.original_path: s
                for s in conn.execute(
                    select(
                        FileSource.original_path, FileSource.status, FileSource.note, FileSource.file_sha256
                    )
                )
            }
            files = {f.sha256: f for f in conn.execute(select(File))}
            pages = conn.execute(select(Page)).all()
            docs = conn.execute(select(Document)).all()
            units = conn.execute(select(FormerUnit.code, FormerUnit.vintage, FormerUnit.name)).all()

        # Every file found is accounted for: 3 + 3 + 12.
        assert len(sources) == 18
        bad = inbox["bad"]
        expected_quarantine = {
            "zero_byte": "empty_file",
            "truncated_pdf": "pdf_damaged",
            "encrypted_password_pdf": "password_required",
            "zip_archive": "unsupported_type",
            "one_pixel_png": "image_too_small",
        }
        for maker, reason in expected_quarantine.items():
            source = sources[bad[maker]]
            assert source.status == "quarantined", maker
            assert files[source.file_sha256].quarantine_reason == reason
            assert source.note
        for maker in (
            "jpeg_named_pdf",
            "encrypted_empty_password_pdf",
            "three_page_tiff",
            "cmyk_jpeg",
            "sixteen_bit_png",
            "rotated_text_layer_pdf",
            "nfd_text_layer_pdf",
        ):
            assert sources[bad[maker]].status == "archived", maker
        assert files[sources[bad["jpeg_named_pdf"]].file_sha256].kind == "jpeg"

        duplicate = sources["21085/ho-so/ban-sao-vietadmin_1.pdf"]
        assert duplicate.status == "duplicate"
        assert "21064/vietadmin_1.pdf" in duplicate.note
        assert duplicate.file_sha256 == sources["21064/vietadmin_1.pdf"].file_sha256

        by_file = {}
        for page in pages:
            by_file.setdefault(page.file_sha256, {})[page.page_number] = page
            assert page.text == unicodedata.normalize("NFC", page.text)

        def pages_of(path):
            return by_file[sources[path].file_sha256]

        # Born-digital pages used their text layer; the junk prior OCR layer was re-OCR'd.
        assert {p.method for p in pages_of("21085/qngai_11-TB-2025_born_digital.pdf").values()} == {
            "text_layer"
        }
        assert "Quảng Ngãi" in pages_of("21085/qngai_11-TB-2025_born_digital.pdf")[1].text
        encrypted = pages_of("21085/vietocr_vietsample1.pdf")
        assert {p.method for p in encrypted.values()} == {"text_layer"} and len(encrypted) == 2
        prior = pages_of("21064/vietadmin_1.pdf")
        assert {(p.method, p.reason) for p in prior.values()} == {("ocr", "image_page_prior_text_layer")}
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in prior[1].text.replace("HOÀ", "HÒA")
        # Every frame of the TIFF, the page turned 90°, and the odd colour modes were read.
        tiff = pages_of(bad["three_page_tiff"])
        assert [("một" in tiff[1].text), ("hai" in tiff[2].text), ("ba" in tiff[3].text)] == [True] * 3
        turned = pages_of("21064/vietocr_vietsample2.tif")[1]
        assert turned.rotation in (90, 270) and turned.mean_confidence > 80
        for maker in ("cmyk_jpeg", "sixteen_bit_png", "jpeg_named_pdf"):
            assert "Bình Minh" in pages_of(bad[maker])[1].text, maker
        word = pages_of("21064/tesseract_viet.tif")[1]
        assert character_error_rate((GROUND_TRUTH / "tesseract_viet.gt.txt").read_text(), word.text) == 0.0
        # Text layers: NFD stored NFC, /Rotate 90 reads as the upright page.
        assert "Độc lập - Tự do - Hạnh phúc" in pages_of(bad["nfd_text_layer_pdf"])[1].text
        rotated = pages_of(bad["rotated_text_layer_pdf"])[1].text.splitlines()
        assert rotated[0] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
        assert pages_of(bad["encrypted_empty_password_pdf"])[1].method == "text_layer"

        # Pages expected = pages stored; documents cover every page; units stored with vintage.
        archived = {s.file_sha256 for s in sources.values() if s.status == "archived"}
        assert sum(files[sha].page_count for sha in archived) == len(pages)
        assert sum(d.last_page - d.first_page + 1 for d in docs) == len(pages)
        assert sorted(units) == [
            ("21058", "pre2025", "Xã Bình Khương"),
            ("21064", "pre2025", "Xã Bình An"),
            ("21085", "pre2025", "Xã Bình Minh"),
        ]
        assert first["words"] > 1000
        doc_types = {(d.file_sha256, d.first_page): (d.doc_type, d.title) for d in docs}
        born_digital = sources["21085/qngai_11-TB-2025_born_digital.pdf"].file_sha256
        assert doc_types[(born_digital, 1)] == ("notice", "THÔNG BÁO")
        assert doc_types[(sources["21064/vietadmin_1.pdf"].file_sha256, 1)][0] == "official_letter"
        assert doc_types[(sources["21064/vietocr_vietsample2.tif"].file_sha256, 1)] == ("unknown", None)

        # A second run adds nothing and changes nothing; OCR and the crops read again come from the cache.
        crops_first = [
            r.asset_materializations_for_node("source_records")[0].metadata["crops_read_again"].value
            for r in results
        ]
        again = _run_all(inbox, home, db_url, ocr_cache, instance)
        assert all(r.success for r in again)
        assert _counts(engine) == first
        crops_again = []
        for result in again:
            mats = result.asset_materializations_for_node("unified_register")
            assert mats[0].metadata["new_rows"].value == 0
            ocr = result.asset_materializations_for_node("ocr_pages")[0].metadata
            assert ocr["pages_from_cache"].value == ocr["pages_ocr"].value
            records = result.asset_materializations_for_node("source_records")[0].metadata
            assert records["crops_from_cache"].value == records["crops_read_again"].value
            crops_again.append(records["crops_read_again"].value)
        assert crops_again == crops_first and sum(crops_again) > 0
        engine.dispose()


@pytest.mark.slow
def test_former_district_archive_runs_as_a_former_unit(inbox, ocr_cache, db_url, tmp_path):
    """A folder named by a former district's 3-digit code goes through the whole job like a commune's."""
    with DagsterInstance.ephemeral() as instance:
        (result,) = _run_all(inbox, tmp_path / "home", db_url, ocr_cache, instance, units=[DISTRICT])
        assert result.success
        assert _check_results(result)["balanced"] is True
        register = result.asset_materializations_for_node("unified_register")[0].metadata
        assert register["former_unit"].value == "former district 524 Huyện Bình Sơn, Tỉnh Quảng Ngãi"
        assert register["level"].value == "district"
        engine = make_engine(db_url)
        with engine.connect() as conn:
            units = conn.execute(
                select(
                    FormerUnit.vintage,
                    FormerUnit.code,
                    FormerUnit.level,
                    FormerUnit.name,
                    FormerUnit.district_name,
                    FormerUnit.province_name,
                )
            ).all()
            sources = sorted(
                conn.execute(
                    select(FileSource.former_unit_code, FileSource.original_path, FileSource.status)
                ).all()
            )
            pages = conn.execute(select(func.count()).select_from(Page)).scalar_one()
        engine.dispose()
    assert units == [("pre2025", "524", "district", "Huyện Bình Sơn", None, "Tỉnh Quảng Ngãi")]
    assert sources == [
        ("524", "524/tesseract_viet.tif", "archived"),
        ("524", "524/van-thu/vietocr_vietsample1.pdf", "archived"),
    ]
    assert pages == 3  # one scanned page and two text-layer pages


@pytest.mark.slow
def test_reconciliation_check_fails_when_a_page_is_missing(inbox, ocr_cache, tmp_path):
    """The blocking ERROR check really fails when the database lost a page."""
    db_url = f"sqlite:///{tmp_path / 'home' / 'sapnhap.db'}"
    with DagsterInstance.ephemeral() as instance:
        results = _run_all(inbox, tmp_path / "home", db_url, ocr_cache, instance)
        assert all(_check_results(r)["balanced"] for r in results)
        engine = make_engine(db_url)
        with engine.begin() as conn:
            victim = conn.execute(
                select(Page.id, Page.file_sha256)
                .join(FileSource, FileSource.file_sha256 == Page.file_sha256)
                .where(FileSource.former_unit_code == "21064")
                .limit(1)
            ).one()
            conn.execute(Word.__table__.delete().where(Word.page_id == victim.id))
            conn.execute(Page.__table__.delete().where(Page.id == victim.id))
        engine.dispose()
        job = project(tmp_path / "home", inbox["root"], db_url, ocr_cache).resolve_job_def(
            "ingest_former_unit"
        )
        result = job.execute_in_process(
            partition_key="21064",
            instance=instance,
            asset_selection=[AssetKey("reconciliation")],
            raise_on_error=False,
        )
        (evaluation,) = check_evaluations(result).values()
        assert evaluation.check_name == "balanced" and evaluation.passed is False
        assert evaluation.severity.value == "ERROR"
        assert "pages expected but" in evaluation.metadata["problems"].value


@pytest.mark.slow
def test_renamed_and_replaced_files_keep_the_balance(tmp_path, ocr_cache):
    """A file renamed in the inbox, and a quarantined file replaced by a good copy, still balance."""
    inbox = tmp_path / "inbox"
    unit = inbox / "21064"
    unit.mkdir(parents=True)
    shutil.copy(INBOX / "21064" / "tesseract_viet.tif", unit / "tieng.tif")
    broken = badfiles.truncated_pdf(unit)
    home = tmp_path / "home"
    db_url = f"sqlite:///{home / 'sapnhap.db'}"
    job = project(home, inbox, db_url, ocr_cache).resolve_job_def("ingest_former_unit")
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("former_units", ["21064"])
        first = job.execute_in_process(partition_key="21064", instance=instance)
        assert _check_results(first)["balanced"] is True

        (unit / "tieng.tif").rename(unit / "tieng-renamed.tif")
        shutil.copy(INBOX / "21085" / "qngai_11-TB-2025_born_digital.pdf", broken)  # the complete copy
        second = job.execute_in_process(partition_key="21064", instance=instance)
        assert _check_results(second)["balanced"] is True
        table = second.asset_materializations_for_node("reconciliation")[0]
        assert "kept as history" in table.metadata["summary"].value
        engine = make_engine(db_url)
        with engine.connect() as conn:
            rows = sorted(conn.execute(select(FileSource.original_path, FileSource.status)).all())
        engine.dispose()
        # The old records stay as history; the renamed copy is the same bytes, the replacement is read.
        assert rows == [
            ("21064/tieng-renamed.tif", "duplicate"),
            ("21064/tieng.tif", "archived"),
            ("21064/truncated.pdf", "archived"),
            ("21064/truncated.pdf", "quarantined"),
        ]
