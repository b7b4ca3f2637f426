"""The production deployment profile, started on one machine (issue 16): the Dagster instance on
PostgreSQL (`deploy/dagster.yaml`), the queued run coordinator with the `ocr` and `database_writes`
pool limits, the daemon, the webserver on loopback and N Celery workers (`deploy/celery.yaml`) taking
the steps of every run from RabbitMQ. The same files serve several machines: each worker machine runs
only `dagster-celery worker start` with the same environment and shared folders (README, "Scaling
out").

    python -m pipelines.profile start [--workers 2] [--port 3000]   # make profile
    python -m pipelines.profile status
    python -m pipelines.profile launch 21058 21061 …               # ingest runs through the queue
    python -m pipelines.profile stop                                # make profile-stop

Settings come from the environment (`profile_from_env`); processes, their logs and `pids.json` live in
the profile's state folder (SAPNHAP_PROFILE_DIR, default `$SAPNHAP_HOME/profile`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from resources.settings import REPO_ROOT, ProjectSettings

DEPLOY_DIR = REPO_ROOT / "deploy"
DEFAULT_DAGSTER_PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/sapnhap_dagster"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/sapnhap"
LOCATION = "sapnhap"


@dataclass(frozen=True)
class Profile:
    """One running (or to be started) profile.

    Attributes:
        state_dir: its folder: `dagster_home/` (the instance's `dagster.yaml`, compute logs),
            `logs/<service>.log`, `pids.json`.
        env: the environment of every service: DAGSTER_HOME, SAPNHAP_DAGSTER_PG_URL,
            SAPNHAP_EXECUTOR=celery, SAPNHAP_CELERY_BROKER/QUEUE and the SAPNHAP_* settings.
        workers: Celery workers started (each takes one step at a time, `--pool=solo`).
        host, port: where the webserver listens (loopback by default).
        pools: pool → limit set on the instance at start.
    """

    state_dir: Path
    env: dict[str, str]
    workers: int = 2
    host: str = "127.0.0.1"
    port: int = 3000
    pools: dict[str, int] = field(default_factory=dict)

    @property
    def dagster_home(self) -> Path:
        """The instance folder (DAGSTER_HOME of every service)."""
        return self.state_dir / "dagster_home"

    @property
    def url(self) -> str:
        """The webserver's address."""
        return f"http://{self.host}:{self.port}"


def profile_from_env(
    environ: dict[str, str] | None = None,
    state_dir: Path | None = None,
    workers: int = 2,
    port: int | None = None,
) -> Profile:
    """The profile for this environment. Defaults: the instance database
    `sapnhap_dagster` and the unified database `sapnhap` on the local PostgreSQL
    (SAPNHAP_DAGSTER_PG_URL, SAPNHAP_DATABASE_URL), RabbitMQ on loopback (SAPNHAP_CELERY_BROKER),
    one Tesseract process per worker (SAPNHAP_OCR_WORKERS=1: a worker is one core; raise it on
    bigger worker machines), pool limits `ocr` = workers and `database_writes` = 4.

    Raises:
        ValueError: workers < 1, or a SAPNHAP_* setting that `ProjectSettings.from_env` refuses.
    """
    if workers < 1:
        raise ValueError(f"a profile needs at least one worker, not {workers}")
    base = dict(os.environ if environ is None else environ)
    env = {
        **base,
        "SAPNHAP_EXECUTOR": "celery",
        "SAPNHAP_DAGSTER_PG_URL": instance_url(base.get("SAPNHAP_DAGSTER_PG_URL") or DEFAULT_DAGSTER_PG_URL),
        "SAPNHAP_DATABASE_URL": base.get("SAPNHAP_DATABASE_URL") or DEFAULT_DATABASE_URL,
        "SAPNHAP_OCR_WORKERS": base.get("SAPNHAP_OCR_WORKERS") or "1",
    }
    settings = ProjectSettings.from_env(env)
    env["SAPNHAP_CELERY_BROKER"] = settings.celery_broker
    env["SAPNHAP_CELERY_QUEUE"] = settings.celery_queue
    env["SAPNHAP_HOME"] = str(settings.home)
    state = (state_dir or Path(base.get("SAPNHAP_PROFILE_DIR") or settings.home / "profile")).resolve()
    env["DAGSTER_HOME"] = str(state / "dagster_home")
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + base.get("PATH", "")
    if port is None:  # the port the running profile was started on (profile.json), else 3000
        saved = state / "profile.json"
        port = json.loads(saved.read_text(encoding="utf-8"))["port"] if saved.exists() else 3000
    return Profile(state, env, workers, port=port, pools={"ocr": workers, "database_writes": 4})


def instance_url(url: str) -> str:
    """The Dagster instance's URL with the psycopg2 driver dagster-postgres is written for: a bare
    `postgresql://` (which SQLAlchemy 2.1 gives to psycopg 3, with which dagster-postgres loses its
    connection on the first query) or `postgresql+psycopg://` becomes `postgresql+psycopg2://`.

    Raises:
        ValueError: `url` is not a PostgreSQL URL (the profile's instance lives on PostgreSQL).
    """
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(
            f"SAPNHAP_DAGSTER_PG_URL must name a PostgreSQL database, not {parsed.get_backend_name()}"
        )
    return parsed.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


def ensure_database(url: str, role: str = "unified") -> bool:
    """Create the PostgreSQL database named in `url` when it does not exist (connecting to the
    server's `postgres` database). Returns True when it was created. `role` names the database in
    messages ("unified", "Dagster instance").

    Raises:
        RuntimeError: the server cannot be reached (the message names the database, password hidden).
    """
    from sqlalchemy import text

    from sapnhap.db.session import DatabaseUnreachable, make_engine, normalise_url

    target = normalise_url(url)
    if target.drivername == "postgresql+psycopg2":
        target = target.set(drivername="postgresql+psycopg")
    admin = make_engine(
        target.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    try:
        try:
            conn = admin.connect()
        except DatabaseUnreachable as exc:
            first = str(exc.__cause__ or exc).strip().splitlines()[0]
            raise RuntimeError(
                f"the {role} database {target.render_as_string(hide_password=True)}: its server cannot be "
                f"reached ({first})"
            ) from None
        with conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            return not exists
    finally:
        admin.dispose()


def _service_commands(profile: Profile) -> dict[str, list[str]]:
    workspace = str(REPO_ROOT / "workspace.yaml")
    queue = profile.env["SAPNHAP_CELERY_QUEUE"]
    commands = {
        "daemon": ["dagster-daemon", "run", "-w", workspace],
        "webserver": ["dagster-webserver", "-h", profile.host, "-p", str(profile.port), "-w", workspace],
    }
    for n in range(1, profile.workers + 1):
        commands[f"worker{n}"] = [
            "dagster-celery", "worker", "start", "-A", "dagster_celery.app",
            "-y", str(DEPLOY_DIR / "celery.yaml"), "-q", queue, "-n", f"{queue}-w{n}", "--",
            "--pool=solo",
        ]  # fmt: skip
    return commands


def start(profile: Profile, timeout: float = 120.0) -> dict[str, int]:
    """Start the profile: create the instance and unified databases when missing, write the
    instance's `dagster.yaml`, bring the unified database to this code's schema, set the pool limits,
    then start the daemon, the webserver and the workers, each in a process group of its own, and wait
    until the webserver answers and every worker is ready. Returns service → pid (also in `pids.json`).

    Raises:
        RuntimeError: the profile is running already, or a service exited or was not ready within
            `timeout` seconds (its log's last lines are in the message; the others are stopped).
    """
    if _read_pids(profile):
        raise RuntimeError(f"a profile is running from {profile.state_dir}: stop it first")
    from pipelines.migrate import migrate_database

    _port_free(profile.host, profile.port)
    ensure_database(profile.env["SAPNHAP_DAGSTER_PG_URL"], "Dagster instance")
    if profile.env["SAPNHAP_DATABASE_URL"].startswith("postgresql"):
        ensure_database(profile.env["SAPNHAP_DATABASE_URL"])
    migrate_database(ProjectSettings.from_env(profile.env))
    profile.dagster_home.mkdir(parents=True, exist_ok=True)
    (profile.state_dir / "logs").mkdir(exist_ok=True)
    shutil.copyfile(DEPLOY_DIR / "dagster.yaml", profile.dagster_home / "dagster.yaml")
    for pool, limit in profile.pools.items():
        done = subprocess.run(
            ["dagster", "instance", "concurrency", "set", pool, str(limit)],
            env=profile.env, capture_output=True, text=True, cwd=REPO_ROOT,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"pool limit {pool}={limit} not set:\n{done.stderr[-2000:]}")
    pids: dict[str, int] = {}
    _purge_queue(profile)
    for name, command in _service_commands(profile).items():
        log = open(profile.state_dir / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        process = subprocess.Popen(
            command,
            env=profile.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            start_new_session=True,
        )
        log.close()
        pids[name] = process.pid
    (profile.state_dir / "pids.json").write_text(json.dumps(pids), encoding="utf-8")
    (profile.state_dir / "profile.json").write_text(
        json.dumps({"host": profile.host, "port": profile.port, "workers": profile.workers}), encoding="utf-8"
    )
    try:
        _wait_ready(profile, pids, timeout)
    except RuntimeError:
        stop(profile)
        raise
    return pids


def _purge_queue(profile: Profile) -> int:
    """Drop the steps left in the profile's Celery queue by runs that are no longer running (no run
    can be in progress before the profile starts: `stop` cancels them): a worker would otherwise
    execute them first. Returns the number dropped (0 when the queue does not exist yet).

    Raises:
        RuntimeError: the broker cannot be reached (named, password hidden).
    """
    from kombu import Connection

    broker = profile.env["SAPNHAP_CELERY_BROKER"]
    try:
        with Connection(broker, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
            try:
                return connection.default_channel.queue_purge(profile.env["SAPNHAP_CELERY_QUEUE"]) or 0
            except Exception:  # noqa: BLE001 - amqp's NOT_FOUND: nothing was ever queued there
                return 0
    except OSError as exc:
        raise RuntimeError(
            f"the Celery broker {Connection(broker).as_uri()} cannot be reached ({exc})"
        ) from None


def _port_free(host: str, port: int) -> None:
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the webserver binds: TIME_WAIT is free
        try:
            s.bind((host, port))
        except OSError:
            raise RuntimeError(
                f"{host}:{port} is taken (another webserver?): choose another port (PROFILE_PORT=…, --port)"
            ) from None


def _wait_ready(profile: Profile, pids: dict[str, int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    waiting = set(pids)
    while waiting:
        for name in sorted(waiting):
            if not _alive(pids[name]):
                raise RuntimeError(f"{name} exited at start:\n{_tail(profile, name)}")
            if _ready(profile, name):
                waiting.discard(name)
        if waiting and time.monotonic() > deadline:
            raise RuntimeError(
                f"not ready after {timeout:.0f} s: {', '.join(sorted(waiting))}\n"
                + "\n".join(_tail(profile, name) for name in sorted(waiting))
            )
        time.sleep(0.5)


def _ready(profile: Profile, name: str) -> bool:
    if name == "webserver":
        try:
            with urllib.request.urlopen(profile.url + "/server_info", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False
    log = (profile.state_dir / "logs" / f"{name}.log").read_text(encoding="utf-8", errors="replace")
    if name == "daemon":
        return "Instance is configured with the following daemons" in log
    return " ready." in log


def _tail(profile: Profile, name: str, lines: int = 15) -> str:
    path = profile.state_dir / "logs" / f"{name}.log"
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return f"--- {path}\n" + "\n".join(text.splitlines()[-lines:])


def _alive(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished:
            return False
    except ChildProcessError:  # not our child (started by another command): ask the kernel
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _read_pids(profile: Profile) -> dict[str, int]:
    path = profile.state_dir / "pids.json"
    if not path.exists():
        return {}
    pids = json.loads(path.read_text(encoding="utf-8"))
    return {name: pid for name, pid in pids.items() if _alive(pid)}


def status(profile: Profile) -> dict[str, bool]:
    """Service → running, for the services `start` recorded (empty when none was started)."""
    path = profile.state_dir / "pids.json"
    if not path.exists():
        return {}
    return {name: _alive(pid) for name, pid in json.loads(path.read_text(encoding="utf-8")).items()}


def stop(profile: Profile, grace: float = 30.0) -> list[str]:
    """Stop every service `start` recorded: SIGTERM to its process group (a worker finishes the
    Celery task it runs only if that takes less than `grace` seconds), SIGKILL after `grace`.
    Returns the services that were still running."""
    path = profile.state_dir / "pids.json"
    if not path.exists():
        return []
    pids = json.loads(path.read_text(encoding="utf-8"))
    running = [name for name, pid in pids.items() if _alive(pid)]
    if "webserver" in running:
        cancel_unfinished(profile)
    for name in running:
        _signal_group(pids[name], signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(_alive(pids[name]) for name in running) and time.monotonic() < deadline:
        time.sleep(0.3)
    for name in running:
        _signal_group(pids[name], signal.SIGKILL)
        if _alive(pids[name]):
            time.sleep(0.2)
            _alive(pids[name])  # reap
    path.unlink()
    return running


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


_UNFINISHED = """
query Unfinished {
  runsOrError(filter: {statuses: [QUEUED, NOT_STARTED, STARTING, STARTED, CANCELING]}) {
    ... on Runs { results { runId tags { key value } } }
  }
}
"""

_CANCEL = """
mutation Cancel($runId: String!) {
  terminateRun(runId: $runId, terminatePolicy: MARK_AS_CANCELED_IMMEDIATELY) { __typename }
  freeConcurrencySlotsForRun(runId: $runId)
}
"""


def cancel_unfinished(profile: Profile) -> list[str]:
    """Mark every run not finished yet as canceled (their processes stop with the services) and
    free the pool slots its steps held, so that after a restart they neither hold the
    one-run-per-partition slot or an `ocr` slot nor look alive; what they
    committed stays, and running them again completes them. Returns the canceled run ids (printed by
    `stop` with their partitions). An unreachable webserver cancels nothing."""
    try:
        graphql = client(profile)
        runs = graphql._execute(_UNFINISHED)["runsOrError"].get("results", [])  # noqa: SLF001
        for run in runs:
            graphql._execute(_CANCEL, {"runId": run["runId"]})  # noqa: SLF001
    except Exception:  # noqa: BLE001 - the webserver is going away anyway
        return []
    for run in runs:
        partition = next((t["value"] for t in run["tags"] if t["key"] == "dagster/partition"), "")
        print(f"canceled run {run['runId']} ({partition}): launch it again after the next start")
    return [run["runId"] for run in runs]


def client(profile: Profile):  # noqa: ANN201 - dagster_graphql is imported lazily
    """A `dagster_graphql.DagsterGraphQLClient` on the profile's webserver."""
    from dagster_graphql import DagsterGraphQLClient

    return DagsterGraphQLClient(profile.host, port_number=profile.port, timeout=60)


_ADD_PARTITION = """
mutation Add($selector: RepositorySelector!, $name: String!, $key: String!) {
  addDynamicPartition(repositorySelector: $selector, partitionsDefName: $name, partitionKey: $key) {
    __typename
    ... on PythonError { message }
    ... on UnauthorizedError { message }
  }
}
"""


def launch(profile: Profile, partitions: list[str], job: str = "ingest_former_unit") -> list[str]:
    """Submit one run of `job` per partition key through the webserver (added to the job's dynamic
    partitions first); they wait in the instance's queue until the daemon launches them. Returns the
    run ids in the order of `partitions`.

    Raises:
        dagster_graphql.DagsterGraphQLClientError: the webserver refused a submission.
        RuntimeError: a partition could not be added.
    """
    if not partitions:
        raise ValueError("name at least one former unit (new unit for link_new_unit) to launch")
    if job == "ingest_former_unit":
        inbox = ProjectSettings.from_env(profile.env).inbox
        missing = [key for key in partitions if not _is_unit_folder(inbox, key)]
        if missing:
            raise ValueError(
                f"no folder in the inbox {inbox} for: {', '.join(missing)} (a former unit's folder is named by "
                "its official 3- or 5-digit code; set SAPNHAP_INBOX before `make profile`)"
            )
    graphql = client(profile)
    name = "former_units" if job == "ingest_former_unit" else "new_units"
    selector = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__"}
    for key in partitions:
        answer = graphql._execute(_ADD_PARTITION, {"selector": selector, "name": name, "key": key})  # noqa: SLF001
        kind = answer["addDynamicPartition"]["__typename"]
        if kind not in ("AddDynamicPartitionSuccess", "DuplicateDynamicPartitionError"):
            raise RuntimeError(f"partition {key} of {name} not added: {answer['addDynamicPartition']}")
    return [
        graphql.submit_job_execution(job, repository_location_name=LOCATION, tags={"dagster/partition": key})
        for key in partitions
    ]


def _is_unit_folder(inbox: Path, key: str) -> bool:
    return key.isdigit() and len(key) in (3, 5) and (inbox / key).is_dir()


FINISHED = ("SUCCESS", "FAILURE", "CANCELED")


def wait_for_runs(profile: Profile, run_ids: list[str], timeout: float = 1800.0) -> dict[str, str]:
    """Poll until every run has finished (SUCCESS, FAILURE or CANCELED). Returns run id → status.

    Raises:
        TimeoutError: some run had not finished after `timeout` seconds (their statuses named).
    """
    graphql = client(profile)
    deadline = time.monotonic() + timeout
    statuses: dict[str, str] = {}
    while True:
        statuses = {run_id: graphql.get_run_status(run_id).value for run_id in run_ids}
        if all(value in FINISHED for value in statuses.values()):
            return statuses
        if time.monotonic() > deadline:
            raise TimeoutError(f"runs not finished after {timeout:.0f} s: {statuses}")
        time.sleep(2)


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status", "launch"])
    parser.add_argument("partitions", nargs="*", help="launch: former-unit codes")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=None, help="default: the running profile's, else 3000")
    parser.add_argument("--job", default="ingest_former_unit")
    args = parser.parse_args(argv)
    try:
        return _command(args)
    except (RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _command(args: argparse.Namespace) -> int:
    profile = profile_from_env(workers=args.workers, port=args.port)
    if args.command == "start":
        pids = start(profile)
        print(f"profile running from {profile.state_dir}: {', '.join(pids)}; UI at {profile.url}")
        print(f"logs: {profile.state_dir / 'logs'}; stop with: make profile-stop")
    elif args.command == "stop":
        stopped = stop(profile)
        print(f"stopped: {', '.join(stopped) or 'nothing was running'}")
    elif args.command == "status":
        states = status(profile)
        for name, alive in states.items():
            print(f"{name:10} {'running' if alive else 'stopped'}")
        if not states:
            print(f"no profile started from {profile.state_dir}")
    else:
        run_ids = launch(profile, args.partitions, args.job)
        for key, run_id in zip(args.partitions, run_ids, strict=True):
            print(f"{key}: run {run_id} queued ({profile.url}/runs/{run_id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
