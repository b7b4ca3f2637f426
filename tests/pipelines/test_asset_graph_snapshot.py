"""The asset graph as a reviewed snapshot: every asset's group, owners, pool, kinds, partitions and
parents, every check and whether it blocks, every job's assets and every sensor's job. A change to the
graph fails here until the snapshot is regenerated and the diff read in review:

    SAPNHAP_UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest tests/pipelines/test_asset_graph_snapshot.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipelines.definitions import build_definitions
from resources import ProjectSettings

SNAPSHOT = Path(__file__).with_name("asset_graph.json")


def graph_snapshot(tmp_path: Path) -> dict:
    """The definitions' graph as plain, sorted JSON-able data (no descriptions: prose changes freely)."""
    settings = ProjectSettings.from_env(
        {"SAPNHAP_HOME": str(tmp_path / "home"), "SAPNHAP_INBOX": str(tmp_path)}
    )
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        partitions = node.partitions_def
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "owners": sorted(node.owners),
            "pools": sorted(node.pools or ()),
            "kinds": sorted(node.kinds),
            "partitions": getattr(partitions, "name", None) if partitions else None,
            "parents": sorted(p.to_user_string() for p in node.parent_keys),
            "checks": {
                c.name: {"blocking": graph.get_check_spec(c).blocking}
                for c in sorted(graph.asset_check_keys, key=lambda c: c.name)
                if c.asset_key == key
            },
        }
    jobs = {}
    for job in sorted(defs.resolve_all_job_defs(), key=lambda j: j.name):
        if job.name.startswith("__"):
            continue
        selected = job.asset_layer.executable_asset_keys if job.asset_layer else set()
        jobs[job.name] = {
            "assets": sorted(k.to_user_string() for k in selected),
            "partitions": getattr(job.partitions_def, "name", None),
        }
    sensors = {
        s.name: sorted(j.name for j in s.jobs) for s in sorted(defs.sensors or (), key=lambda s: s.name)
    }
    return {"assets": assets, "jobs": jobs, "sensors": sensors}


def test_the_asset_graph_matches_its_reviewed_snapshot(tmp_path):
    current = graph_snapshot(tmp_path)
    if os.environ.get("SAPNHAP_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert current == expected, "the asset graph changed: regenerate the snapshot (see the module docstring)"
