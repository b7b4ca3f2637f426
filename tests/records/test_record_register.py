"""Records into the unified database through the job: loaded, quarantined, gated by the blocking check."""

import dataclasses
import json
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance, MarkdownMetadataValue
from sqlalchemy import func, select, text

import assets.records
from sapnhap.db.models import PersonRecord, QuarantinedRecord, RecordField
from sapnhap.db.session import make_engine
from sapnhap.evaluation.office import score_backlog, score_staffing
from sapnhap.linkage.model import DEFAULT_THRESHOLDS
from sapnhap.samples.generator import PROFILES, GeneratorConfig, generate
from sapnhap.staffing.picture import placement_of
from sapnhap.staffing.positions import load_population
from sapnhap.staffing.quota import staffing_quota
from tests.runs import check_evaluations, project

T0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
UNIT = "14503"  # Xã Gia Tân: split between two new units, so some records need the villages to route


@pytest.fixture(scope="module")
def digital_sample(tmp_path_factory):
    """A small generated batch of born-digital PDFs (text layers: no OCR, so the test is quick)."""
    root = tmp_path_factory.mktemp("records-sample")
    profile = {
        **dataclasses.asdict(PROFILES["clean"]),
        "name": "digital",
        "format_weights": {"pdf_digital": 1.0},
    }
    (root / "digital.json").write_text(json.dumps(profile), encoding="utf-8")
    config = GeneratorConfig(
        dossiers=24,
        seed=11,
        profile=str(root / "digital.json"),
        exact_duplicates=0,
        broken_files=0,
        workers=1,
    )
    generate(config, root / "sample")
    return root / "sample"


def _job(sample, home, db_url):
    return project(home, sample / "inbox", db_url).resolve_job_def("ingest_former_unit")


def _materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def _rows(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            m.__tablename__: conn.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (PersonRecord, RecordField, QuarantinedRecord)
        }


@pytest.mark.slow
def test_failed_blocking_check_stops_the_load_and_a_good_run_loads_every_record(
    digital_sample, db_url, tmp_path, monkeypatch
):
    home = tmp_path / "home"
    job = _job(digital_sample, home, db_url)
    engine = make_engine(db_url)
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("former_units", [UNIT])
        # A validator that loses a record (a bug): the blocking check fails and nothing is loaded.
        real = assets.records.validate_records
        monkeypatch.setattr(assets.records, "validate_records", lambda *a, **k: real(*a, **k).iloc[1:])
        broken = job.execute_in_process(partition_key=UNIT, instance=instance, raise_on_error=False)
        checks = check_evaluations(broken)
        assert checks["every_record_accounted"].passed is False
        assert checks["every_record_accounted"].severity.value == "ERROR"
        assert (
            "1 person records extracted but not validated"
            in checks["every_record_accounted"].metadata["problems"].value
        )
        assert "validated_records" in _materialized(broken)
        assert "record_register" not in _materialized(broken)
        assert "unified_register" in _materialized(broken)  # files and pages are loaded all the same
        assert _rows(engine) == {"person_records": 0, "record_fields": 0, "quarantined_records": 0}

        monkeypatch.setattr(assets.records, "validate_records", real)
        good = job.execute_in_process(partition_key=UNIT, instance=instance)
        assert good.success and "record_register" in _materialized(good)
        checks = check_evaluations(good)
        assert checks["every_record_accounted"].passed and checks["records_reconciled"].passed
        validated = good.output_for_node("validated_records")
        statuses = validated["status"].value_counts().to_dict()
        rows = _rows(engine)
        assert rows["person_records"] == statuses.get("valid", 0) + statuses.get("warning", 0) > 0
        assert rows["quarantined_records"] == statuses.get("quarantined", 0)
        # Every loaded record's fields come with their page: none is without lineage.
        with engine.connect() as conn:
            found = conn.execute(
                select(func.count()).select_from(RecordField).where(RecordField.status == "found")
            ).scalar_one()
            unpaged = conn.execute(
                select(func.count())
                .select_from(RecordField)
                .where(RecordField.status == "found", RecordField.page.is_(None))
            ).scalar_one()
            ids = pd.read_sql(select(PersonRecord.record_id, PersonRecord.new_unit_code), conn)
        assert found > rows["person_records"] and unpaged == 0
        assert set(ids["record_id"]) == set(validated.loc[validated["status"] != "quarantined", "record_id"])
        # The metadata an archivist reads shows names as initials, never in full.
        quarantine_check = checks["no_quarantined_records"]
        listed = quarantine_check.metadata["records"]
        assert len(listed.records) == int((validated["status"] == "quarantined").sum())
        shown = str([row.data for row in listed.records])
        source = good.output_for_node("source_records")
        names = source.loc[(source["field"] == "full_name") & source["value"].notna(), "value"]
        assert not any(name in shown for name in names if len(name.split()) > 1)

        # Loading the same unit again changes nothing.
        again = job.execute_in_process(partition_key=UNIT, instance=instance)
        register = next(
            e.materialization.metadata
            for e in again.get_asset_materialization_events()
            if e.asset_key == AssetKey("record_register")
        )
        assert register["rows_changed"].value == 0
        assert _rows(engine) == rows

        # A file taken out of the hand-over: its records stay as history and the unit still reconciles.
        doomed = sorted((digital_sample / "inbox" / UNIT).glob("KS_*.pdf"))[0]
        held = doomed.read_bytes()
        doomed.unlink()
        try:
            after = job.execute_in_process(partition_key=UNIT, instance=instance)
        finally:
            doomed.write_bytes(held)
        reconciled = check_evaluations(after)["records_reconciled"]
        assert after.success and reconciled.passed
        assert reconciled.metadata["earlier_records_kept_as_history"].value > 0
        assert _rows(engine) == rows
    engine.dispose()


@pytest.mark.slow
def test_linkage_job_builds_each_new_units_persons_from_its_former_units(
    digital_sample, db_url, tmp_path, linkage_model
):
    """Every former unit of the batch loaded, then the linkage job per new unit (requested by the
    entities sensor): each routed record in one person, the ID rule held, names masked, and a second
    run changing nothing."""
    from dagster import build_sensor_context

    from pipelines.sensors import entities_sensor
    from sapnhap.db.models import Person, PersonMember

    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    (home / "models" / "linkage_model.json").write_bytes(linkage_model.read_bytes())
    defs = project(home, digital_sample / "inbox", db_url)
    ingest, link = defs.resolve_job_def("ingest_former_unit"), defs.resolve_job_def("link_new_unit")
    units = sorted(p.name for p in (digital_sample / "inbox").iterdir() if p.is_dir())
    engine = make_engine(db_url)
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("former_units", units)
        for unit in units:
            ran = ingest.execute_in_process(partition_key=unit, instance=instance)
            assert ran.success
            # Every materialization carries a Markdown summary an archivist can read.
            for event in ran.get_asset_materialization_events():
                summary = event.materialization.metadata.get("summary")
                assert isinstance(summary, MarkdownMetadataValue), event.asset_key
                assert unit in summary.value  # names the former unit it is about
        with engine.connect() as conn:
            routed = pd.read_sql(
                select(PersonRecord.record_id, PersonRecord.new_unit_code).where(
                    PersonRecord.new_unit_code.is_not(None)
                ),
                conn,
            )
        new_units = sorted(routed["new_unit_code"].unique())
        # record_register added a partition per new unit; the sensor asks for one run each.
        assert set(new_units) <= set(instance.get_dynamic_partitions("new_units"))
        tick = entities_sensor(build_sensor_context(instance=instance, definitions=defs))
        assert sorted(r.partition_key for r in tick.run_requests) == new_units
        again_tick = entities_sensor(
            build_sensor_context(instance=instance, cursor=tick.cursor, definitions=defs)
        )
        assert again_tick.run_requests == []  # nothing loaded since: nothing to link

        for code in new_units:
            result = link.execute_in_process(partition_key=code, instance=instance)
            assert result.success
            for event in result.get_asset_materialization_events():
                assert isinstance(event.materialization.metadata.get("summary"), MarkdownMetadataValue)
            checks = check_evaluations(result)
            assert checks["one_id_number_per_person"].passed and checks["every_record_in_one_person"].passed
            meta = result.asset_materializations_for_node("entities")[0].metadata
            n = int((routed["new_unit_code"] == code).sum())
            assert meta["records"].value == meta["new_records"].value == n
            assert 0 < meta["persons"].value <= n
            assert f"auto-merge ≥ {DEFAULT_THRESHOLDS.auto_merge}" in meta["thresholds"].value
            shown = meta["merged_persons"].value + meta["pairs_waiting_for_review"].value
            with engine.connect() as conn:
                names = conn.execute(
                    select(Person.full_name).where(
                        Person.new_unit_code == code, Person.full_name.is_not(None)
                    )
                ).scalars()
                assert not any(name in shown for name in names if len(name.split()) > 1)
            # The review sheet of the unit is written with the job, as XLSX and CSV.
            sheet = result.asset_materializations_for_node("review_queue")[0].metadata
            with engine.connect() as conn:
                kinds = dict(
                    conn.execute(
                        text(
                            "SELECT kind, COUNT(*) FROM review_queue WHERE new_unit_code = :u AND status = 'open' "
                            "GROUP BY kind"
                        ),
                        {"u": code},
                    ).all()
                )
            assert sheet["open_items"].value == sum(kinds.values())
            assert kinds.get("merge_candidate", 0) == meta["pairs_waiting"].value
            assert (home / "review_queue" / f"{code}.xlsx").exists() and (
                home / "review_queue" / f"{code}.csv"
            ).exists()
            # The staffing picture and the procedure backlog of the unit come with the job.
            with engine.connect() as conn:
                # Staff belong to the new unit their employer (the former unit handing over the CV) was
                # merged whole into, wherever they live.
                staff = [
                    (rid, pid)
                    for rid, pid, former in conn.execute(
                        text(
                            "SELECT r.record_id, m.person_id, r.former_unit_code FROM person_records r "
                            "LEFT JOIN person_members m ON m.record_id = r.record_id "
                            "WHERE r.doc_type IN ('staff_cv', 'staff_list', 'appointment_decision')"
                        )
                    ).all()
                    if placement_of(former) == (code,)
                ]
                receipt_numbers = conn.execute(
                    text(
                        "SELECT r.record_id, f.value FROM person_records r LEFT JOIN record_fields f "
                        "ON f.record_id = r.record_id AND f.field = 'receipt_number' "
                        "WHERE r.new_unit_code = :u AND r.doc_type = 'procedure_receipt'"
                    ),
                    {"u": code},
                ).all()
            # One dossier per receipt number; a receipt without one counts alone.
            dossiers = len({n for _, n in receipt_numbers if n}) + sum(1 for _, n in receipt_numbers if not n)
            staffing = result.asset_materializations_for_node("staffing")[0].metadata
            assert staffing["staff_records"].value == len(staff)
            # Each person once (a record not linked yet counts alone).
            assert staffing["headcount"].value == len({pid or rid for rid, pid in staff})
            # The generated batch's made-up population of its new unit (reference/population.csv beside
            # the inbox) gives a quota; another unit has no figure: unknown, never a guess.
            population = load_population(digital_sample / "reference" / "population.csv").get(code)
            expected = (
                staffing_quota(population.population, "commune", population.mountain).positions
                if population
                else "unknown"
            )
            assert staffing["quota"].value == str(expected)
            assert (home / "reports" / code / "staffing.xlsx").exists()
            assert (home / "reports" / code / "staffing.png").exists()
            backlog = result.asset_materializations_for_node("procedure_backlog")[0].metadata
            assert backlog["dossiers"].value == dossiers
            stalled = checks["no_stalled_dossiers"]
            assert stalled.severity.value == "WARN" and stalled.passed == (
                backlog["overdue_today"].value == 0
            )
            second = link.execute_in_process(partition_key=code, instance=instance)
            meta2 = second.asset_materializations_for_node("entities")[0].metadata
            assert (meta2["new_records"].value, meta2["persons_created"].value) == (0, 0)
            assert (
                meta2["golden_values_written"].value == 0 and meta2["persons"].value == meta["persons"].value
            )
        with engine.connect() as conn:
            members = conn.execute(select(func.count()).select_from(PersonMember)).scalar_one()
        assert members == len(routed)  # every routed record in exactly one person
    # The office's figures against the batch's truth (its staff lists and CVs, its receipts): every
    # headcount exact, every position mapped as the truth's title maps, the backlog classified right.
    truth = {
        name: pd.read_csv(digital_sample / "ground_truth" / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("documents", "fields", "records")
    }
    staffing = score_staffing(engine, truth["documents"], truth["fields"], truth["records"], date.today())
    assert staffing["headcount_exact_units"] == staffing["headcount_units"] >= 1
    assert staffing["position_mapping_accuracy"] == 1.0 and staffing["position_mapping_scored"] >= 10
    backlog = score_backlog(engine, truth["documents"], truth["fields"], truth["records"], date.today())
    assert backlog["status"] == "scored" and backlog["fp"] == backlog["fn"] == 0
    engine.dispose()


@pytest.mark.slow
def test_an_archivists_correction_and_release_are_taken_in_by_the_next_run(digital_sample, db_url, tmp_path):
    """Through the job: a corrected value replaces the reading (method archivist, the reading kept)
    and is validated like any other (a date of birth corrected into the future quarantines the
    record); releasing that record loads it again with its broken rule as a warning."""
    from sqlalchemy import insert

    from sapnhap.db.models import FieldCorrection, RecordRelease

    home = tmp_path / "home"
    job = _job(digital_sample, home, db_url)
    engine = make_engine(db_url)
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("former_units", [UNIT])
        first = job.execute_in_process(partition_key=UNIT, instance=instance)
        source = first.output_for_node("source_records")
        dated = source[
            (source["field"] == "birth_date") & (source["status"] == "found") & (source["role"] != "")
        ]
        record = dated["record_id"].iloc[0]
        who = {"reviewer": "Lê Thị Thu", "note": "sổ gốc", "decided_at": T0}
        with engine.begin() as conn:
            conn.execute(
                insert(FieldCorrection).values(
                    record_id=record,
                    scope="person",
                    field="birth_date",
                    value="2099-01-01",
                    item_id="field:x",
                    **who,
                )
            )
        second = job.execute_in_process(partition_key=UNIT, instance=instance)
        assert second.success and check_evaluations(second)["every_record_accounted"].passed
        with engine.connect() as conn:
            held = conn.execute(
                select(QuarantinedRecord.reasons).where(QuarantinedRecord.record_id == record)
            ).scalar_one()
            fields = json.loads(
                conn.execute(
                    select(QuarantinedRecord.fields).where(QuarantinedRecord.record_id == record)
                ).scalar_one()
            )
        assert "future" in held and fields["birth_date"]["value"] == "2099-01-01"
        assert fields["birth_date"]["raw"] != "2099-01-01"  # the reading is kept beside the correction
        assert (
            second.asset_materializations_for_node("source_records")[0]
            .metadata["fields_corrected_by_archivists"]
            .value
            == 1
        )

        with engine.begin() as conn:
            conn.execute(insert(RecordRelease).values(record_id=record, item_id="record:x", **who))
        third = job.execute_in_process(partition_key=UNIT, instance=instance)
        assert third.success and check_evaluations(third)["every_record_accounted"].passed
        with engine.connect() as conn:
            warnings = conn.execute(
                select(PersonRecord.warnings).where(PersonRecord.record_id == record)
            ).scalar_one()
            field = conn.execute(
                select(RecordField.value, RecordField.method, RecordField.note).where(
                    RecordField.record_id == record, RecordField.field == "birth_date"
                )
            ).one()
            still_held = conn.execute(
                select(QuarantinedRecord.record_id).where(QuarantinedRecord.record_id == record)
            ).all()
        assert "released_by_archivist" in warnings and still_held == []
        assert tuple(field) == ("2099-01-01", "archivist", "corrected by Lê Thị Thu: sổ gốc")
    engine.dispose()
