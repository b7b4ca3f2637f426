"""The Definitions load, and the asset graph is the one the pipeline promises."""

import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance, build_sensor_context, materialize

from assets.partitions import new_units
from pipelines.definitions import build_definitions
from pipelines.partitions import former_units, partition_requests
from pipelines.sensors import inbox_sensor
from resources import DossierStore, ProjectSettings, UnifiedDatabase


def _settings(tmp_path, inbox):
    return ProjectSettings.from_env({"SAPNHAP_HOME": str(tmp_path / "home"), "SAPNHAP_INBOX": str(inbox)})


def test_every_asset_and_check_says_what_it_is(tmp_path):
    """Keys, parents, groups, owners, pools and checks are in the reviewed snapshot
    (`test_asset_graph_snapshot.py`); here, what a reader of the UI needs beyond them."""
    defs = build_definitions(_settings(tmp_path, tmp_path / "inbox"))
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        assert graph.get(key).description, key
    for check in graph.asset_check_keys:
        assert graph.get_check_spec(check).description, check
    entities = graph.get(AssetKey("entities"))
    assert entities.partitions_def == new_units and "golden record" in entities.description
    assert defs.resolve_job_def("link_new_unit").partitions_def == new_units
    job = defs.resolve_job_def("ingest_former_unit")
    assert job.partitions_def == former_units
    units = graph.get(AssetKey("admin_units"))
    assert units.partitions_def is None and units.group_name == "reference" and units.description


@pytest.mark.slow
def test_admin_units_materializes_the_official_mapping_with_its_crosscheck(tmp_path):
    defs = build_definitions(_settings(tmp_path, tmp_path / "inbox"))
    result = materialize([defs.resolve_assets_def("admin_units")])
    assert result.success
    metadata = result.asset_materializations_for_node("admin_units")[0].metadata
    assert metadata["former_communes"].value == 10_035 and metadata["new_communes"].value == 3_321
    assert metadata["mapping_rows"].value == 10_565 and metadata["split_former_communes"].value == 440
    # Measured: the package agrees on every former commune but one (Xã Phú Tân, Hậu Giang: its default
    # choice is not one of the official targets).
    assert metadata["vietnamadminunits_disagreements"].value <= 5
    assert "31379" in metadata["disagreements"].value
    stored = pd.read_parquet(tmp_path / "home" / "warehouse" / "admin_units" / "all.parquet")
    assert stored["old_ward_code"].str.len().eq(5).all() and len(stored) == 10_565


def test_partitions_added_in_batches():
    requests = list(partition_requests(former_units, [f"{i:05d}" for i in range(1201)], batch=500))
    assert [len(r.partition_keys) for r in requests] == [500, 500, 201]
    assert all(r.partitions_def_name == "former_units" for r in requests)


def test_add_partitions_adds_only_new_keys_in_batches():
    from dagster import DagsterInstance

    from pipelines.partitions import PARTITION_BATCH, add_partitions, new_units

    keys = [f"{i:05d}" for i in range(PARTITION_BATCH + 7)]
    with DagsterInstance.ephemeral() as instance:
        assert add_partitions(instance, new_units, keys[:3]) == keys[:3]
        assert add_partitions(instance, new_units, reversed(keys)) == keys[3:]
        assert add_partitions(instance, new_units, keys) == []
        assert sorted(instance.get_dynamic_partitions("new_units")) == keys
        assert instance.get_dynamic_partitions("former_units") == []


def test_sensor_adds_new_units_and_runs_only_changed_folders(tmp_path):
    inbox = tmp_path / "inbox"
    for unit in ("21058", "21064"):
        (inbox / unit).mkdir(parents=True)
        (inbox / unit / "a.pdf").write_bytes(b"%PDF-1.4 " + unit.encode())
    (inbox / "21085").mkdir()  # empty folder: a partition, but nothing to run yet
    (inbox / "not-a-unit").mkdir()
    store = DossierStore(inbox_dir=str(inbox), archive_dir=str(tmp_path / "archive"))
    with DagsterInstance.ephemeral() as instance:
        ctx = build_sensor_context(instance=instance, resources={"store": store})
        first = inbox_sensor(ctx)
        added = [k for r in first.dynamic_partitions_requests for k in r.partition_keys]
        assert added == ["21058", "21064", "21085"]
        assert sorted(r.partition_key for r in first.run_requests) == ["21058", "21064"]
        instance.add_dynamic_partitions("former_units", added)

        ctx = build_sensor_context(instance=instance, resources={"store": store}, cursor=first.cursor)
        second = inbox_sensor(ctx)
        assert second.run_requests == [] and second.dynamic_partitions_requests == []

        (inbox / "21064" / "b.jpg").write_bytes(b"\xff\xd8\xff new file")
        ctx = build_sensor_context(instance=instance, resources={"store": store}, cursor=second.cursor)
        third = inbox_sensor(ctx)
        assert [r.partition_key for r in third.run_requests] == ["21064"]


def test_sensor_adds_a_former_district_folder_as_a_partition(tmp_path):
    inbox = tmp_path / "inbox"
    for unit in ("14503", "373"):  # Xã Gia Tân and its former district, Huyện Gia Viễn
        (inbox / unit / "ho-so").mkdir(parents=True)
        (inbox / unit / "ho-so" / "a.pdf").write_bytes(b"%PDF-1.4 " + unit.encode())
    for name in ("3730", "373730"):  # neither a commune nor a district code: reported, not added
        (inbox / name).mkdir()
    store = DossierStore(inbox_dir=str(inbox), archive_dir=str(tmp_path / "archive"))
    with DagsterInstance.ephemeral() as instance:
        result = inbox_sensor(build_sensor_context(instance=instance, resources={"store": store}))
        assert [k for r in result.dynamic_partitions_requests for k in r.partition_keys] == ["14503", "373"]
        assert sorted(r.partition_key for r in result.run_requests) == ["14503", "373"]
        assert [name for name, _ in store.ignored_entries()] == ["3730", "373730"]


def test_the_sensors_that_only_act_on_what_arrives_run_by_default():
    from dagster import DefaultSensorStatus

    from pipelines.sensors import entities_sensor, reviews_sensor

    # The inbox sensor starts runs over every folder on its first tick: a data engineer turns it on.
    assert inbox_sensor.default_status == DefaultSensorStatus.STOPPED
    # A dropped review sheet and a loaded former unit are taken in without anyone turning them on.
    assert entities_sensor.default_status == DefaultSensorStatus.RUNNING
    assert reviews_sensor.default_status == DefaultSensorStatus.RUNNING


def test_the_database_resource_checks_the_schema_and_takes_its_secrets_from_env_vars(
    tmp_path, monkeypatch, capsys
):
    """Read from the environment, the URL and password are EnvVars (the UI shows their names); a run's
    resource refuses a database whose schema is not current, naming `make migrate`, which fixes it."""
    from dagster import EnvVar

    from pipelines.definitions import database_resource
    from pipelines.migrate import main as migrate_main
    from sapnhap.db.session import SchemaNotCurrent, head_revision

    url = f"sqlite:///{tmp_path / 'db' / 'sapnhap.db'}"
    monkeypatch.setenv("SAPNHAP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SAPNHAP_DATABASE_URL", url)
    monkeypatch.setenv("SAPNHAP_DATABASE_PASSWORD", "s3cret-pw")
    database = database_resource()
    assert isinstance(database.url, EnvVar) and database.url.env_var_name == "SAPNHAP_DATABASE_URL"
    assert (
        isinstance(database.password, EnvVar)
        and database.password.env_var_name == "SAPNHAP_DATABASE_PASSWORD"
    )
    assert "s3cret-pw" not in repr(database) and database.display_url() == url
    with pytest.raises(SchemaNotCurrent, match=r"is empty \(no schema\).*run `make migrate`"):
        database.engine  # noqa: B018
    with pytest.raises(SystemExit) as helped:
        migrate_main(["--help"])
    assert helped.value.code == 0 and "Takes no arguments" in capsys.readouterr().out
    with pytest.raises(SchemaNotCurrent):  # --help migrated nothing
        database_resource().engine  # noqa: B018
    assert migrate_main() == 0
    assert capsys.readouterr().out.strip() == f"database {url} is at revision {head_revision()}"
    assert database_resource().engine.url.database.endswith("sapnhap.db")
    # A password given apart goes into the engine's URL only.
    remote = UnifiedDatabase(url="postgresql+psycopg://sapnhap@db.example:5432/sapnhap", password="s3cret-pw")
    assert remote.full_url() == "postgresql+psycopg://sapnhap:s3cret-pw@db.example:5432/sapnhap"
    assert "s3cret-pw" not in remote.display_url()
