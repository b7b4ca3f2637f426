"""PostgreSQL goes away in the middle of a run (the connection cut at the register load, the server
unreachable until it is back): the run fails with a message naming the database and what to do, and
once the server is back the same run completes; the database then equals an uninterrupted run's, so
nothing was recorded as loaded that was not.

The server is reached through a TCP relay the test owns (the machine's PostgreSQL serves the other
tests, so it is not stopped): closing the relay and its connections is, for the run, the server going
away; opening it again on the same port is the server coming back."""

from __future__ import annotations

import socket
import subprocess
import threading

import pytest
from sqlalchemy.engine import make_url

from sapnhap.db.session import make_engine
from tests.faults import database_rows
from tests.pipelines.test_concurrent_runs import _empty
from tests.pipelines.test_kill import _command, _run, _run_and_kill
from tests.reliability import record
from tests.runs import project


class Relay:
    """A TCP relay from 127.0.0.1:`port` to `target`; `close()` cuts every connection and stops
    listening, `open()` listens again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.lock = threading.Lock()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        self.port = listener.getsockname()[1]
        listener.listen(16)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed
            server = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        if self.listener is not None:
            try:
                self.listener.shutdown(
                    socket.SHUT_RDWR
                )  # wakes the accepting thread (a close alone does not)
            except OSError:
                pass
            self.listener.close()
            self.listener = None
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.sockets = []


@pytest.mark.slow
@pytest.mark.postgres
def test_the_database_going_away_mid_run_fails_clearly_and_a_re_run_completes(
    scanned_inbox, pg_database_url, tmp_path
):
    url = make_url(pg_database_url)
    relay = Relay((url.host or "127.0.0.1", url.port or 5432))
    relay.open()
    through = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    home, cache = tmp_path / "home", tmp_path / "ocr-cache"
    _empty(pg_database_url, home)
    project(home, scanned_inbox, through, cache)  # migrated through the relay
    units = sorted(p.name for p in scanned_inbox.iterdir() if p.is_dir())
    target = units[0]
    # The server goes away as the register load starts, and stays away: the run must fail, clearly.
    process_log: list[str] = []
    killed_in = _run_and_kill(
        _command(home, scanned_inbox, through, target, cache, "ingest_former_unit"),
        "record_register",
        0.0,
        act=relay.close,
        log=process_log,
    )
    assert killed_in == "record_register"
    text = "".join(process_log)
    assert (
        f"the unified database at {url.set(host='127.0.0.1', port=relay.port).render_as_string(hide_password=True)} cannot be reached"
        in text
    )
    assert "Run the job again once the database is back" in text
    # Back again: the same run completes, then the other units and the linkage.
    relay.open()
    for unit in units:
        _run(_command(home, scanned_inbox, through, unit, cache, "ingest_former_unit"))
    _run(_command(home, scanned_inbox, through, "14488", cache, "link_new_unit"))
    engine = make_engine(pg_database_url)
    after_outage = database_rows(engine)
    engine.dispose()
    relay.close()
    _empty(pg_database_url, home)
    project(home, scanned_inbox, pg_database_url, cache)
    for unit in units:
        _run(_command(home, scanned_inbox, pg_database_url, unit, cache, "ingest_former_unit"))
    _run(_command(home, scanned_inbox, pg_database_url, "14488", cache, "link_new_unit"))
    engine = make_engine(pg_database_url)
    uninterrupted = database_rows(engine)
    engine.dispose()
    for table in uninterrupted:
        extra = set(after_outage[table]) - set(uninterrupted[table])
        missing = set(uninterrupted[table]) - set(after_outage[table])
        assert not extra and not missing, (table, len(extra), len(missing))
    subprocess.run(["true"], check=True)
    record(
        "PostgreSQL unreachable from the start of the register load until after the run (connections cut, port closed)",
        "the run fails naming the database (password hidden) and what to do; once back, the run again completes; every table row for row against an uninterrupted run",
        "clear failure; identical after the re-run",
        0,
    )
