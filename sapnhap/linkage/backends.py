"""Where Splink runs the linkage SQL: DuckDB in this process (the default) or Spark.

`db_api(backend)` gives Splink's database API for a backend named by `SAPNHAP_LINKAGE_BACKEND`
(`BACKENDS`): `duckdb`, a new in-memory DuckDB per linker, held to `duckdb_memory_limit()` (it
spills to a temporary folder past it); `spark`, Splink's `SparkAPI` on one
SparkSession shared by the process (`spark_session`). pyspark is imported only here and only when
the Spark backend is asked for: `import sapnhap` never loads it, and a DuckDB-only install does
without it (`pip install 'sapnhap[spark]'` adds it).

The Spark session, created on first use and then reused:

- master `SAPNHAP_SPARK_MASTER` (default `local[*]`: every core of this machine);
- Splink's similarity UDF jar (`splink.backends.spark.similarity_jar_location()`) on the driver's
  and executors' classpath (`spark.jars`): Splink registers `jaro_winkler` and
  `damerau_levenshtein` from it, the comparisons' Jaro-Winkler and Damerau-Levenshtein levels;
- `SPARK_SHUFFLE_PARTITIONS` shuffle partitions (a unit's batch is small: Spark's default of 200
  spends its time on empty tasks), the web UI off, UTC session time zone;
- scratch space and Splink's checkpoints (its intermediate tables are written as Parquet) under a
  fresh `sapnhap-spark-*` folder in the system temp folder (`TMPDIR`), removed when the process
  exits (the session is stopped first).

On a cluster set `SAPNHAP_SPARK_MASTER` to its master URL (`spark://host:7077`, `yarn`,
`k8s://https://host:443`) before the first linkage: the jar is shipped to the executors by
`spark.jars`, the checkpoint folder must then be on storage every executor reaches (set
`spark.checkpoint.dir` in `spark-defaults.conf`, it is kept), and the shuffle partition count is
best raised to a few per executor core there. A Spark Connect server (`SPARK_REMOTE`, `sc://host`)
is not enough: Splink's `SparkAPI` registers its UDFs and finds its checkpoint folder through the
JVM of a classic session, which a Connect client does not have.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from splink.internals.database_api import DatabaseAPI

BACKENDS = ("duckdb", "spark")
"""Linkage backends, the first the default."""

SPARK_MASTER_DEFAULT = "local[*]"
SPARK_SHUFFLE_PARTITIONS = 4

_lock = threading.Lock()
_session: Any = None


def check_backend(backend: str) -> str:
    """`backend` when it is one of `BACKENDS`.

    Raises:
        ValueError: for any other name.
    """
    if backend not in BACKENDS:
        raise ValueError(f"linkage backend {backend!r} is not one of {', '.join(BACKENDS)}")
    return backend


def spark_session(master: str | None = None) -> Any:
    """The process's SparkSession for linkage (a `pyspark.sql.SparkSession`), created on the first
    call with the configuration in the module docstring and returned again afterwards (a later
    `master` is then ignored). master: the Spark master URL; default `SAPNHAP_SPARK_MASTER`, else
    `local[*]`.

    Raises:
        ImportError: when pyspark is not installed (`pip install 'sapnhap[spark]'`).
    """
    global _session
    with _lock:
        if _session is not None:
            return _session
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location

        master = master or os.environ.get("SAPNHAP_SPARK_MASTER") or SPARK_MASTER_DEFAULT
        scratch = tempfile.mkdtemp(prefix="sapnhap-spark-")
        session = (
            SparkSession.builder.master(master)
            .appName("sapnhap-linkage")
            .config("spark.jars", similarity_jar_location())
            .config("spark.sql.shuffle.partitions", str(SPARK_SHUFFLE_PARTITIONS))
            .config("spark.default.parallelism", str(SPARK_SHUFFLE_PARTITIONS))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.local.dir", os.path.join(scratch, "local"))
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        checkpoint = session.conf.get("spark.checkpoint.dir", None) or os.path.join(scratch, "checkpoints")
        session.sparkContext.setCheckpointDir(checkpoint)
        _session = session
        atexit.register(_clean_up, scratch)
        return session


def _clean_up(scratch: str) -> None:
    stop_spark()
    shutil.rmtree(scratch, ignore_errors=True)


def stop_spark() -> None:
    """Stop the linkage SparkSession if one was started (a later `spark_session` starts a new one)."""
    global _session
    with _lock:
        if _session is not None:
            _session.stop()
            _session = None


def db_api(backend: str = "duckdb") -> DatabaseAPI:
    """A Splink database API for `backend` (one of `BACKENDS`): a new in-memory `DuckDBAPI` (memory
    limit `duckdb_memory_limit()`, spilling to a temporary folder past it), or a `SparkAPI` on
    `spark_session()` (Splink registers its similarity UDFs on it).

    Raises:
        ValueError: for a backend not in `BACKENDS`.
        ImportError: for `spark` without pyspark installed.
    """
    if check_backend(backend) == "spark":
        from splink.backends.spark import SparkAPI

        return SparkAPI(spark_session=spark_session())
    import duckdb
    from splink.backends.duckdb import DuckDBAPI

    config = {"memory_limit": duckdb_memory_limit(), "temp_directory": _duckdb_scratch()}
    return DuckDBAPI(connection=duckdb.connect(config=config))


DUCKDB_MEMORY_LIMIT = "4GB"
"""DuckDB's memory limit for linkage (`SAPNHAP_DUCKDB_MEMORY_LIMIT` overrides it; DuckDB's own default
is 80% of the machine's memory). Past it DuckDB spills joins and aggregates to its temporary folder
instead of growing. Measured at a million records (Arrow-backed features, the process's peak during
Splink's prediction): 4.8 GiB without a limit, 4.6 GiB with 4 GB in the same time (70.6 s and
69.8 s), 3.1 GiB with 2 GB, which spilled 0.37 GB; a smaller limit keeps a process smaller at the
cost of disk writes (docs/benchmarks_linkage.md)."""

_scratch: str | None = None


_MEMORY_SIZE = re.compile(r"(\d+(\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB|%)", re.IGNORECASE)


def duckdb_memory_limit(environ: Mapping[str, str] | None = None) -> str:
    """The DuckDB memory limit for linkage: `SAPNHAP_DUCKDB_MEMORY_LIMIT` in `environ` (default
    `os.environ`), else `DUCKDB_MEMORY_LIMIT`. A size is a positive number and a unit DuckDB reads:
    `B`, `KB`, `MB`, `GB`, `TB` (powers of 1000), `KiB` … `TiB` (powers of 1024), or `%` of the
    machine's memory (at most 100): `4GB`, `512MB`, `1.5GiB`, `75%`.

    Raises:
        ValueError: for any other value, naming the variable (checked when the settings are read,
            `resources.ProjectSettings.from_env`, so a run does not start with it).
    """
    env = os.environ if environ is None else environ
    raw = (env.get("SAPNHAP_DUCKDB_MEMORY_LIMIT") or "").strip()
    if not raw:
        return DUCKDB_MEMORY_LIMIT
    match = _MEMORY_SIZE.fullmatch(raw)
    if not match or float(match.group(1)) <= 0 or (match.group(3) == "%" and float(match.group(1)) > 100):
        raise ValueError(
            f"SAPNHAP_DUCKDB_MEMORY_LIMIT={raw!r} is not a memory size: a positive number and a unit "
            "(B, KB, MB, GB, TB, KiB, MiB, GiB, TiB) or a percentage up to 100%, e.g. 4GB or 75%"
        )
    return raw


def _duckdb_scratch() -> str:
    """The process's folder for DuckDB's spills (`sapnhap-duckdb-*` in the system temp folder,
    `TMPDIR`), created on first use and removed when the process exits."""
    global _scratch
    with _lock:
        if _scratch is None:
            _scratch = tempfile.mkdtemp(prefix="sapnhap-duckdb-")
            atexit.register(shutil.rmtree, _scratch, ignore_errors=True)
        return _scratch
