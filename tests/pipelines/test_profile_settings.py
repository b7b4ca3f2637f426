"""The deployment profile's settings and the checks made before anything starts or is submitted
(no service needed)."""

from __future__ import annotations

import json

import pytest

from pipelines.profile import instance_url, launch, profile_from_env


def test_the_instance_url_gets_the_driver_dagster_postgres_needs():
    assert instance_url("postgresql://postgres@db:5432/x") == "postgresql+psycopg2://postgres@db:5432/x"
    assert instance_url("postgresql+psycopg://u:pw@db/x") == "postgresql+psycopg2://u:pw@db/x"
    with pytest.raises(ValueError, match="SAPNHAP_DAGSTER_PG_URL must name a PostgreSQL database"):
        instance_url("sqlite:///x.db")


def test_profile_defaults_and_the_running_profiles_port(tmp_path):
    env = {"SAPNHAP_HOME": str(tmp_path), "SAPNHAP_DAGSTER_PG_URL": "postgresql://postgres@127.0.0.1/d"}
    profile = profile_from_env(env)
    assert profile.port == 3000 and profile.workers == 2 and profile.host == "127.0.0.1"
    assert profile.env["SAPNHAP_EXECUTOR"] == "celery" and profile.env["SAPNHAP_OCR_WORKERS"] == "1"
    assert profile.env["SAPNHAP_DAGSTER_PG_URL"].startswith("postgresql+psycopg2://")
    assert profile.pools == {"ocr": 2, "database_writes": 4}
    assert profile.dagster_home == tmp_path / "profile" / "dagster_home"
    (tmp_path / "profile").mkdir()
    (tmp_path / "profile" / "profile.json").write_text(json.dumps({"host": "127.0.0.1", "port": 3456}))
    assert profile_from_env(env).port == 3456 and profile_from_env(env, port=3001).port == 3001
    with pytest.raises(ValueError, match="at least one worker"):
        profile_from_env(env, workers=0)


def test_launch_refuses_units_without_a_folder_before_submitting(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "21058").mkdir(parents=True)
    profile = profile_from_env({"SAPNHAP_HOME": str(tmp_path), "SAPNHAP_INBOX": str(inbox)}, port=1)
    with pytest.raises(ValueError, match=r"no folder in the inbox .* for: 99999, \.\./etc, 2105"):
        launch(profile, ["21058", "99999", "../etc", "2105"])
    with pytest.raises(ValueError, match="name at least one former unit"):
        launch(profile, [])
