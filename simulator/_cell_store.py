"""The cell store of a sweep (:mod:`sgdtails.simulator.sweep`): one SQLite file per study folder.

``out_dir/<name>/cells.sqlite`` (standard-library :mod:`sqlite3`, WAL journal, ``synchronous=FULL``)
holds every finished and failed cell of the study and who is computing what:

``cells``
    One finished cell per row: its hash (the primary key), grid index, canonical config JSON, the
    header it was computed under (cell function, study version, study seed, sgdtails version),
    its rows as JSON (key order kept: it orders the CSV columns), a sha256 ``checksum`` of the
    hash and the rows (see :func:`checksum`), its compute time and when it was written.
``failed``
    One failed cell per row: the same header, the error and its traceback (deleted once the cell
    succeeds).
``runs`` and ``claims``
    The runs working on this folder now (id, pid, host, process start time, heartbeat) and the
    cells each of them is computing: a second run on the same folder waits for those cells instead
    of computing them again, and takes over the claims of a run that is gone (on this host: its
    process is gone; elsewhere: its heartbeat is older than :data:`STALE_S`).

Writes go through one writer thread per run in batched transactions (group commit: whatever
arrived while the previous transaction committed goes into the next one), so a record costs a
few microseconds and a killed run loses only the cells in flight. The store never trusts what it
reads: the runner verifies every record (header, checksum, shape) before reusing it.

A store that cannot be used — not a database, malformed (``PRAGMA quick_check``), a directory in
its place, read-only, an unknown schema — is moved aside (``cells.sqlite.damaged-<time>``, with
its ``-wal``/``-shm``) with one :class:`StoreWarning` and a fresh one is started; one locked by
another process for :data:`BUSY_S` seconds is left alone and the run keeps nothing. Later failures
(disk full, …) are reported once; the cells still go to the CSV, and the next run recomputes them.
"""
from __future__ import annotations

import hashlib
import os
import queue
import socket
import sqlite3
import threading
import time
import uuid
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from sgdtails.simulator.messages import one_line

__all__ = [
    "BUSY_S",
    "FILE_NAME",
    "HEARTBEAT_S",
    "STALE_S",
    "CellStore",
    "Claimant",
    "StoreWarning",
    "StoredCell",
    "StoredFailure",
    "checksum",
]

FILE_NAME = "cells.sqlite"
SCHEMA = "1"
BUSY_S = 30.0
"""Seconds a write waits for the lock of another run's transaction before the store is given up."""
HEARTBEAT_S = 2.0
"""Seconds between two heartbeats of a run (its row in ``runs``)."""
STALE_S = 30.0
"""A run whose heartbeat is older than this is gone: its claims are taken over."""
_MAX_BATCH = 2048  # records per write transaction
_CHUNK = 500  # parameters per ``IN (…)`` query
_LIMIT = 160  # longest error text quoted in a warning

_TABLES = {
    "meta": "key TEXT PRIMARY KEY, value TEXT NOT NULL",
    "cells": (
        "hash TEXT PRIMARY KEY, cell INTEGER NOT NULL, config TEXT NOT NULL, func TEXT NOT NULL, "
        "version TEXT NOT NULL, seed INTEGER NOT NULL, sgdtails TEXT NOT NULL, rows TEXT NOT NULL, "
        "checksum TEXT NOT NULL, seconds REAL, written REAL NOT NULL"
    ),
    "failed": (
        "hash TEXT PRIMARY KEY, cell INTEGER NOT NULL, config TEXT NOT NULL, func TEXT NOT NULL, "
        "version TEXT NOT NULL, seed INTEGER NOT NULL, sgdtails TEXT NOT NULL, error TEXT NOT NULL, "
        "traceback TEXT, seconds REAL, written REAL NOT NULL"
    ),
    "runs": ("run TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, token TEXT, started REAL NOT NULL, "
             "heartbeat REAL NOT NULL"),
    "claims": "hash TEXT PRIMARY KEY, run TEXT NOT NULL",
}
_CELL_COLS = "hash, cell, config, func, version, seed, sgdtails, rows, checksum, seconds, written"
_FAIL_COLS = "hash, cell, config, func, version, seed, sgdtails, error, traceback, seconds, written"


class StoreWarning(UserWarning):
    """A stored record, or the store itself, could not be trusted or used; what it held is recomputed."""


class Header(NamedTuple):
    """What the current grid says a cell's record must carry (everything its hash covers)."""

    hash: str
    cell: int
    config: str  # canonical JSON
    func: str
    version: str
    seed: int
    sgdtails: str


class StoredCell(NamedTuple):
    """A finished cell as read from the store (unverified)."""

    hash: str
    cell: int
    config: str
    func: str
    version: str
    seed: int
    sgdtails: str
    rows: str
    checksum: str
    seconds: float | None
    written: float


class StoredFailure(NamedTuple):
    """A failed cell as read from the store."""

    hash: str
    cell: int
    config: str
    func: str
    version: str
    seed: int
    sgdtails: str
    error: str
    traceback: str | None
    seconds: float | None
    written: float


class Claimant(NamedTuple):
    """The live run that is computing a cell."""

    pid: int
    host: str

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}"


def checksum(cell_hash: str, rows_json: str) -> str:
    """sha256 of the hash, a newline and the rows JSON: binds a record's rows to the cell they belong to."""
    return hashlib.sha256(f"{cell_hash}\n{rows_json}".encode("utf-8", "surrogatepass")).hexdigest()


class _Damaged(Exception):
    """The store file is not a usable store (the message says why, in one line)."""


def _locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def _connect(path: Path) -> sqlite3.Connection:
    """A connection in WAL mode with FULL sync and autocommit (transactions are explicit)."""
    conn = sqlite3.connect(path, timeout=BUSY_S, isolation_level=None)
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()
        if mode is None or str(mode[0]).lower() != "wal":
            raise _Damaged(f"cannot use the WAL journal (journal_mode is {mode and mode[0]!r})")
        conn.execute("PRAGMA synchronous=FULL")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on an exception)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    conn.execute("COMMIT")


def _prepare(conn: sqlite3.Connection) -> None:
    """Check the file's integrity and schema; create the tables of a new store."""
    check = conn.execute("PRAGMA quick_check").fetchone()
    if check is None or check[0] != "ok":
        first = str(check[0]).splitlines()[0] if check else "no answer"
        raise _Damaged(f"integrity check failed: {one_line(Exception(first), limit=_LIMIT)}")
    with _transaction(conn):
        conn.execute(f"CREATE TABLE IF NOT EXISTS meta ({_TABLES['meta']})")
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
        elif row[0] != SCHEMA:
            raise _Damaged(f"unknown schema {row[0]!r} (this sgdtails writes schema {SCHEMA})")
        for table, columns in _TABLES.items():
            conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('opened', ?)", (repr(time.time()),))  # fails if read-only
    for table, columns in _TABLES.items():  # a table of the same name but other columns fails here
        names = ", ".join(c.split()[0] for c in columns.split(", ") if c.split()[0] != "PRIMARY")
        conn.execute(f"SELECT {names} FROM {table} LIMIT 0").fetchall()


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for k in range(0, len(items), _CHUNK):
        yield items[k:k + _CHUNK]


def _process_token(pid: int) -> str | None:
    """The start time of process ``pid`` (Linux ``/proc``), which tells a reused pid apart; None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(run: tuple[str, int, str, str | None, float], me: str, now: float) -> bool:
    """Whether the run ``(id, pid, host, token, heartbeat)`` is still computing.

    On this host a run lives as long as its process does (the pid exists and, where ``/proc``
    tells, is the same process), whatever its heartbeat: a cell holding the GIL for minutes
    does not make it stale. Elsewhere the heartbeat decides (older than :data:`STALE_S`: gone).
    """
    run_id, pid, host, token, heartbeat = run
    if run_id == me:
        return True
    if host != socket.gethostname():
        return now - heartbeat <= STALE_S
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: someone else's live process
        pass
    current = _process_token(pid)
    if token is not None and current is not None:
        return token == current
    return now - heartbeat <= STALE_S


class CellStore:
    """The SQLite store of one study folder (see the module docstring), owned by one run.

    Parameters
    ----------
    root : Path
        The study folder (``out_dir/<name>/``).
    label : str
        Name in the warnings (the study name).

    Every method may be called after the store has become unusable: it then does nothing (reads
    find nothing) and the first failure has been reported by one :class:`StoreWarning`.
    """

    def __init__(self, root: Path, label: str) -> None:
        self.path = root / FILE_NAME
        self.label = label
        self.run_id = uuid.uuid4().hex
        self._conn: sqlite3.Connection | None = None
        self._broken = False
        self._open()

    # -- opening and recovery ---------------------------------------------------------------
    def _open(self) -> None:
        try:
            self._conn = self._try_open_waiting()
            return
        except (sqlite3.Error, OSError, _Damaged) as exc:
            reason = one_line(exc, limit=_LIMIT)
            if _locked(exc):
                self._give_up(f"is locked by another process (waited {BUSY_S:g} s)")
                return
        try:
            aside = self._move_aside()
        except OSError as exc:
            self._give_up(f"is unusable ({reason}) and cannot be moved aside ({one_line(exc, limit=_LIMIT)})")
            return
        try:
            self._conn = self._try_open_waiting()
        except (sqlite3.Error, OSError, _Damaged) as exc:
            self._give_up(f"is unusable ({reason}); moved aside to {aside.name}, but a new one cannot be "
                          f"created ({one_line(exc, limit=_LIMIT)})")
            return
        self._warn(f"{self.label}: the cell store {self.path} is unusable ({reason}); moved aside to "
                   f"{aside.name}; its cells are recomputed")

    def _try_open_waiting(self) -> sqlite3.Connection:
        """:meth:`_try_open`, retried for up to :data:`BUSY_S` seconds while the file is locked.

        SQLite's busy timeout does not cover every lock met while a store is being created: the
        switch to the WAL journal, or a read of a WAL index another connection is building,
        answers "database is locked" at once. Two runs that start together on a new folder meet
        exactly that, so the opening waits here as the busy timeout would.
        """
        deadline = time.monotonic() + BUSY_S
        pause = 0.005
        while True:
            try:
                return self._try_open()
            except sqlite3.Error as exc:
                if not _locked(exc) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(2 * pause, 0.25)

    def _try_open(self) -> sqlite3.Connection:
        if os.path.lexists(self.path) and not self.path.is_file():
            raise _Damaged("not a regular file (a directory?)")
        conn = _connect(self.path)
        try:
            _prepare(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _move_aside(self) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}-{os.getpid()}")
        if os.path.lexists(self.path):
            os.replace(self.path, aside)
        for suffix in ("-wal", "-shm", "-journal"):
            side = self.path.with_name(self.path.name + suffix)
            if os.path.lexists(side):
                os.replace(side, aside.with_name(aside.name + suffix))
        return aside

    def _give_up(self, why: str) -> None:
        self._conn = None
        self._broken = True
        self._warn(f"{self.label}: the cell store {self.path} {why}; this run keeps no records (its cells "
                   "still go to the CSV)")

    def _warn(self, message: str) -> None:
        warnings.warn(message, StoreWarning, stacklevel=4)

    def _failed(self, exc: BaseException, doing: str) -> None:
        """A later error: report it once, close the store, keep going without it."""
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
        self._conn = None
        if not self._broken:
            self._broken = True
            self._warn(f"{self.label}: the cell store {self.path} failed while {doing} ({one_line(exc, limit=_LIMIT)}); "
                       "the cells not yet stored are not kept (the next run recomputes them)")

    @property
    def usable(self) -> bool:
        """Whether records are being kept."""
        return self._conn is not None

    @property
    def broken(self) -> bool:
        """Whether the store was given up (at opening or later)."""
        return self._broken

    def close(self) -> None:
        """Release this run's claims and close the connection."""
        if self._conn is None:
            return
        try:
            with _transaction(self._conn) as c:
                c.execute("DELETE FROM claims WHERE run = ?", (self.run_id,))
                c.execute("DELETE FROM runs WHERE run = ?", (self.run_id,))
        except sqlite3.Error:
            pass  # a dead run's claims are taken over once its pid is gone
        finally:
            self._conn.close()
            self._conn = None

    # -- reading -----------------------------------------------------------------------------
    def finished(self, hashes: Sequence[str]) -> dict[str, StoredCell]:
        """The stored records of the cells ``hashes`` (unverified), by hash."""
        return self._rows("cells", _CELL_COLS, StoredCell, hashes, "reading the finished cells")

    def failures(self, hashes: Sequence[str]) -> dict[str, StoredFailure]:
        """The stored failures of the cells ``hashes``, by hash."""
        return self._rows("failed", _FAIL_COLS, StoredFailure, hashes, "reading the failed cells")

    def _rows(self, table: str, columns: str, make: type, hashes: Sequence[str], doing: str) -> dict:
        """The rows of ``table`` whose hash is in ``hashes``, as ``make(*row)`` by hash ({} if unusable)."""
        out: dict = {}
        if self._conn is None:
            return out
        try:
            for chunk in _chunks(hashes):
                marks = ",".join("?" * len(chunk))
                for row in self._conn.execute(f"SELECT {columns} FROM {table} WHERE hash IN ({marks})", chunk):
                    out[row[0]] = make(*row)
        except sqlite3.Error as exc:
            self._failed(exc, doing)
            return {}
        return out

    def headers(self) -> list[Header]:
        """The header of every finished record (to find records filed under a hash their header does not give)."""
        if self._conn is None:
            return []
        try:
            return [Header(*r) for r in self._conn.execute("SELECT hash, cell, config, func, version, seed, sgdtails "
                                                            "FROM cells")]
        except sqlite3.Error as exc:
            self._failed(exc, "reading the records' headers")
            return []

    # -- writing from the main thread --------------------------------------------------------
    def discard(self, hashes: Iterable[str]) -> None:
        """Delete the finished records ``hashes`` (records that failed verification)."""
        todo = [(h,) for h in hashes]
        if self._conn is None or not todo:
            return
        try:
            with _transaction(self._conn) as c:
                c.executemany("DELETE FROM cells WHERE hash = ?", todo)
        except sqlite3.Error as exc:
            self._failed(exc, "discarding bad records")

    def import_records(self, cells: Sequence[tuple[Header, str, float | None]],
                       failures: Sequence[tuple[Header, str, str | None, float | None]]) -> bool:
        """Store verified records ``(header, rows JSON, seconds)`` and failures in one transaction; success."""
        if self._conn is None:
            return False
        now = time.time()
        try:
            with _transaction(self._conn) as c:
                c.executemany(f"INSERT OR REPLACE INTO cells ({_CELL_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                              [(*h, rows, checksum(h.hash, rows), s, now) for h, rows, s in cells])
                c.executemany(f"INSERT OR REPLACE INTO failed ({_FAIL_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                              [(*h, e, tb, s, now) for h, e, tb, s in failures])
        except sqlite3.Error as exc:
            self._failed(exc, "importing the JSON records")
            return False
        return True

    def claim(self, hashes: Sequence[str], *, skip_finished: bool = True) -> tuple[dict[str, Claimant], set[str]]:
        """Claim the cells ``hashes`` for this run, in one transaction.

        Returns the cells another live run is computing (hash → who) and, with ``skip_finished``,
        those that have a finished record by now (written since the caller looked): neither is
        claimed. The claims of runs that are gone (see :func:`_alive`) are taken over.
        """
        if self._conn is None:
            return {}, set()
        me, now = self.run_id, time.time()
        try:
            with _transaction(self._conn) as c:
                c.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, COALESCE((SELECT started FROM runs "
                          "WHERE run = ?), ?), ?)",
                          (me, os.getpid(), socket.gethostname(), _process_token(os.getpid()), me, now, now))
                runs = {r[0]: r for r in c.execute("SELECT run, pid, host, token, heartbeat FROM runs")}
                gone = [(r,) for r, row in runs.items() if not _alive(row, me, now)]
                c.executemany("DELETE FROM runs WHERE run = ?", gone)
                c.executemany("DELETE FROM claims WHERE run = ?", gone)
                c.execute("DELETE FROM claims WHERE run NOT IN (SELECT run FROM runs)")
                held = dict(c.execute("SELECT hash, run FROM claims WHERE run != ?", (me,)).fetchall())
                others = {h: Claimant(runs[held[h]][1], runs[held[h]][2]) for h in hashes if h in held}
                finished: set[str] = set()
                if skip_finished:
                    for chunk in _chunks(hashes):
                        marks = ",".join("?" * len(chunk))
                        finished.update(r[0] for r in c.execute(f"SELECT hash FROM cells WHERE hash IN ({marks})", chunk))
                    finished -= set(others)
                c.executemany("INSERT OR REPLACE INTO claims VALUES (?, ?)",
                              [(h, me) for h in hashes if h not in others and h not in finished])
        except sqlite3.Error as exc:
            self._failed(exc, "claiming cells")
            return {}, set()
        return others, finished

    def claimed(self, hashes: Sequence[str]) -> dict[str, Claimant]:
        """Which of the cells ``hashes`` another live run still holds (stale claims are not counted)."""
        if self._conn is None:
            return {}
        now = time.time()
        try:
            runs = {r[0]: r for r in self._conn.execute("SELECT run, pid, host, token, heartbeat FROM runs")}
            held = dict(self._conn.execute("SELECT hash, run FROM claims WHERE run != ?", (self.run_id,)).fetchall())
        except sqlite3.Error as exc:
            self._failed(exc, "reading the claims")
            return {}
        live = {r for r, row in runs.items() if _alive(row, self.run_id, now)}
        return {h: Claimant(runs[held[h]][1], runs[held[h]][2]) for h in hashes if held.get(h) in live}

    def writer(self) -> StoreWriter:
        """A writer thread of this run's records (heartbeats included); close it when done."""
        return StoreWriter(self)


class StoreWriter:
    """The writer thread of one run: batched transactions of finished and failed cells, heartbeats.

    :meth:`finished` and :meth:`failed` only queue (the JSON encoding and the checksum happen on
    the thread); :meth:`close` waits for everything queued. An error on the thread stops the
    writing; the owner reports it (:meth:`check`).
    """

    _STOP = object()

    def __init__(self, store: CellStore) -> None:
        self.store = store
        self.error: BaseException | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        if store.usable:
            self._thread = threading.Thread(target=self._loop, name="sweep-store-writer", daemon=True)
            self._thread.start()

    def finished(self, header: Header, rows_json: str, seconds: float | None) -> None:
        """Queue a finished cell (``rows_json``: the canonical JSON of its rows)."""
        if self._thread is not None:
            self._queue.put(("cell", header, rows_json, seconds))

    def failed(self, header: Header, error: str, tb: str | None, seconds: float | None) -> None:
        """Queue a failed cell."""
        if self._thread is not None:
            self._queue.put(("fail", header, error, tb, seconds))

    def check(self) -> None:
        """Report (once, as a :class:`StoreWarning`) an error of the thread; stop queueing after it."""
        if self.error is not None and self._thread is not None and not self._thread.is_alive():
            self._thread = None
            self.store._failed(self.error, "writing records")

    def close(self) -> None:
        """Write everything queued, stop the thread, report an error."""
        if self._thread is not None:
            self._queue.put(self._STOP)
            self._thread.join()
            if self.error is not None:
                self._thread = None
                self.store._failed(self.error, "writing records")
            self._thread = None

    def _loop(self) -> None:
        path, me = self.store.path, self.store.run_id
        try:
            conn = _connect(path)
        except (sqlite3.Error, OSError, _Damaged) as exc:
            self.error = exc
            return
        try:
            beat = 0.0
            while True:
                try:
                    first = self._queue.get(timeout=HEARTBEAT_S)
                except queue.Empty:
                    first = None
                items = [] if first is None else [first]
                while len(items) < _MAX_BATCH:
                    try:
                        items.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                stop = any(item is self._STOP for item in items)
                now = time.time()
                cells = [(*h, rows, checksum(h.hash, rows), s, now) for kind, h, rows, s in
                         (i for i in items if i is not self._STOP and i[0] == "cell")]
                fails = [(*h, e, tb, s, now) for kind, h, e, tb, s in
                         (i for i in items if i is not self._STOP and i[0] == "fail")]
                if cells or fails or now - beat >= HEARTBEAT_S:
                    with _transaction(conn) as c:
                        if cells:
                            c.executemany(f"INSERT OR REPLACE INTO cells ({_CELL_COLS}) "
                                          "VALUES (?,?,?,?,?,?,?,?,?,?,?)", cells)
                            c.executemany("DELETE FROM failed WHERE hash = ?", [(r[0],) for r in cells])
                        if fails:
                            c.executemany(f"INSERT OR REPLACE INTO failed ({_FAIL_COLS}) "
                                          "VALUES (?,?,?,?,?,?,?,?,?,?,?)", fails)
                        done = [(r[0], me) for r in cells] + [(r[0], me) for r in fails]
                        c.executemany("DELETE FROM claims WHERE hash = ? AND run = ?", done)
                        c.execute("UPDATE runs SET heartbeat = ? WHERE run = ?", (now, me))
                    beat = now
                if stop:
                    return
        except (sqlite3.Error, OSError) as exc:
            self.error = exc
        finally:
            conn.close()
