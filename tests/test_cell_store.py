"""The sweep's cell store: records verified before reuse, damage recovered, two runs share work, faults.

Every tampering test checks that the tampered record would have changed the result (a negative
control), then that the rerun warns, recomputes only what it must and writes the CSV of an
untampered run byte for byte.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from sweep_cells import s1_study

from sgdtails.simulator import RunOptions, sweep
from sgdtails.simulator import _cell_store as cellstore
from sgdtails.simulator import _sweep_store as store
from sgdtails.simulator.provenance import package_version
from sgdtails.simulator.sweep import BackendLost, StoreWarning, Study, run_study

TESTS = Path(__file__).resolve().parent
LOG_VAR = "SGDTAILS_TEST_COUNT_LOG"


def count_cell(cfg: dict, seed: np.random.SeedSequence) -> dict:
    """Appends its ``k`` to the file ``$SGDTAILS_TEST_COUNT_LOG`` (one line per computation), sleeps, draws."""
    with open(os.environ[LOG_VAR], "a", encoding="utf-8") as fh:
        fh.write(f"{cfg['k']}\n")
    time.sleep(cfg["sleep"])
    return {"u": float(np.random.default_rng(seed).random()), "k2": cfg["k"] ** 2}


def interrupt_cell(cfg: dict, seed: np.random.SeedSequence) -> dict:
    """Raises KeyboardInterrupt at ``k == 3`` (as Ctrl-C would)."""
    if cfg["k"] == 3:
        raise KeyboardInterrupt
    return {"u": float(np.random.default_rng(seed).random())}


def count_study(n: int = 12, sleep: float = 0.0, name: str = "count") -> Study:
    return Study(name, count_cell, [{"k": k, "sleep": sleep} for k in range(n)], seed=11)


def _run(study: Study, cache: Path, **kw) -> sweep.StudyResult:
    return run_study(study, run=RunOptions(cache_dir=cache, jobs=kw.pop("jobs", 1), progress=False, **kw))


def _db(study_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(study_dir / cellstore.FILE_NAME, isolation_level=None)


def _cells(study_dir: Path) -> dict[int, dict]:
    """The ``cells`` table by grid index (read as a user would)."""
    conn = _db(study_dir)
    conn.row_factory = sqlite3.Row
    try:
        return {r["cell"]: dict(r) for r in conn.execute("SELECT * FROM cells")}
    finally:
        conn.close()


def _execute(study_dir: Path, sql: str, params: tuple = ()) -> None:
    conn = _db(study_dir)
    try:
        assert conn.execute(sql, params).rowcount == 1
    finally:
        conn.close()


def _set(study_dir: Path, index: int, /, *, resum: bool = False, **fields: object) -> None:
    """Overwrite fields of cell ``index``'s record; ``resum``: recompute its checksum (a careful forger)."""
    h = _cells(study_dir)[index]["hash"]
    sets = ", ".join(f"{k} = ?" for k in fields)
    _execute(study_dir, f"UPDATE cells SET {sets} WHERE hash = ?", (*fields.values(), h))
    if resum:
        rows = [r for r in _cells(study_dir).values() if r["hash"] == h][0]["rows"]
        _execute(study_dir, "UPDATE cells SET checksum = ? WHERE hash = ?", (cellstore.checksum(h, rows), h))


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Study, bytes, Path]:
    """A 6-cell Figure S1 study, its untampered CSV bytes and the folder of that run."""
    study = s1_study(n_alpha=2, size=20)
    folder = tmp_path_factory.mktemp("clean")
    return study, _run(study, folder).csv_path.read_bytes(), folder


def _fresh(clean, tmp_path: Path) -> tuple[Study, bytes, Path]:
    """A finished copy of the clean run in ``tmp_path`` (its store written by a real run)."""
    study, reference, _ = clean
    result = _run(study, tmp_path)
    assert result.csv_path.read_bytes() == reference
    return study, reference, tmp_path / study.name


def _rerun(study: Study, cache: Path, match: str, computed: int) -> sweep.StudyResult:
    with pytest.warns(StoreWarning, match=match) as caught:
        result = _run(study, cache)
    assert len([w for w in caught if issubclass(w.category, StoreWarning)]) == 1  # one line, not one per cell
    assert (result.n_computed, result.failed) == (computed, [])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the damage is repaired: a third run is silent and reuses all
        again = _run(study, cache)
    assert (again.n_computed, again.n_reused) == (0, len(study.grid))
    return result


def _rows(values: list[dict]) -> str:
    return store.rows_json(values)


# -- records tampered with in the store --------------------------------------------------------------
def _other_cell(study_dir: Path, cell: int, source: int, *, header: bool) -> None:
    """Copy cell ``source``'s record over cell ``cell``'s: everything but the key, or only rows + checksum."""
    src = _cells(study_dir)[source]
    if header:
        fields = {k: src[k] for k in ("cell", "config", "rows", "checksum")}
    else:
        fields = {k: src[k] for k in ("rows", "checksum")}
    _set(study_dir, cell, **fields)


TAMPERS = {
    "rows=[]": (lambda d: _set(d, 2, rows="[]"), "cell 2 \\(its checksum does not match its rows\\)"),
    "rows=[] resummed": (lambda d: _set(d, 2, rows="[]", resum=True), "cell 2 \\(its rows are not a non-empty list\\)"),
    "value 0.999": (lambda d: _set(d, 2, rows=_rows([{"pruning_ratio": 0.999}])), "cell 2 \\(its checksum does not match"),
    "value NaN": (lambda d: _set(d, 2, rows=_rows([{"pruning_ratio": float("nan")}])), "cell 2 \\(its checksum does not"),
    "copied from cell 4": (lambda d: _other_cell(d, 2, 4, header=True), "cell 2 \\(it says it is cell 4\\)"),
    "rows copied from cell 4": (lambda d: _other_cell(d, 2, 4, header=False), "cell 2 \\(its checksum does not match"),
    "wrong hash": (lambda d: _set(d, 2, hash="0" * 64), "cell 2 \\(it is filed under hash 000000000000…"),
    "wrong cell": (lambda d: _set(d, 2, cell=5), "cell 2 \\(it says it is cell 5\\)"),
    "wrong config": (lambda d: _set(d, 2, config='{"alpha":1.75,"m":20,"n":20,"structure":"iid"}'),
                     "cell 2 \\(its config is not the grid's\\)"),
    "wrong version": (lambda d: _set(d, 2, version="old"), "cell 2 \\(its version 'old' is not the study's 'test'\\)"),
    "wrong func": (lambda d: _set(d, 2, func="sweep_cells:other"), "cell 2 \\(its func 'sweep_cells:other'"),
    "wrong seed": (lambda d: _set(d, 2, seed=7), "cell 2 \\(its seed 7 is not the study's 2021\\)"),
    "wrong sgdtails": (lambda d: _set(d, 2, sgdtails="0.0.1"), "cell 2 \\(its sgdtails '0.0.1'"),
    "rows [1]": (lambda d: _set(d, 2, rows="[1]", resum=True), "cell 2 \\(its row 0 is not a dict but int\\)"),
    "rows not JSON": (lambda d: _set(d, 2, rows="[{", resum=True), "cell 2 \\(its rows are not JSON\\)"),
    "nested value": (lambda d: _set(d, 2, rows=_rows([{"pruning_ratio": [0.5]}]), resum=True),
                     "cell 2 \\(its row 0 field 'pruning_ratio' is not a scalar but list\\)"),
    "reserved field": (lambda d: _set(d, 2, rows=_rows([{"pruning_ratio": 0.5, "alpha": 1.0}]), resum=True),
                       "cell 2 \\(its row 0 has the reserved field 'alpha'"),
    "row missing a field": (lambda d: _set(d, 2, rows=_rows([{"ratio": 0.5}])), "cell 2 \\(its checksum does not match"),
}


@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_a_tampered_record_is_discarded_and_recomputed(clean, tmp_path, tamper):
    study, reference, study_dir = _fresh(clean, tmp_path)
    edit, match = TAMPERS[tamper]
    edit(study_dir)
    rerun = _rerun(study, tmp_path, match, computed=1)
    assert rerun.csv_path.read_bytes() == reference
    assert rerun.rows[2] == _run(study, tmp_path).rows[2]


def test_the_tampered_records_would_change_the_csv(clean, tmp_path):
    # negative control: with verification skipped (reading the table directly) the tampered
    # record gives another CSV, so the byte equality above is not vacuous
    study, reference, study_dir = _fresh(clean, tmp_path)
    _set(study_dir, 2, rows=_rows([{"pruning_ratio": 0.999}]), resum=True)
    assert json.loads(_cells(study_dir)[2]["rows"]) == [{"pruning_ratio": 0.999}]
    result = _run(study, tmp_path)  # a forged checksum is not detectable: the documented limit
    assert result.n_reused == 6 and result.csv_path.read_bytes() != reference
    assert "0.999" in result.csv_path.read_text().splitlines()[3]


def test_a_row_missing_a_declared_field_is_recomputed(clean, tmp_path):
    study, reference, _ = clean
    declared = dataclasses.replace(study, columns=("pruning_ratio",))
    assert _run(declared, tmp_path).csv_path.read_bytes() == reference  # columns are not part of the hash
    _set(tmp_path / study.name, 2, rows=_rows([{"ratio": 0.5}]), resum=True)
    assert _run(study, tmp_path).n_reused == 6  # undeclared, a forged shape with a good checksum passes
    rerun = _rerun(declared, tmp_path, "cell 2 \\(its row 0 lacks the field 'pruning_ratio'\\)", computed=1)
    assert rerun.csv_path.read_bytes() == reference


def test_a_computed_cell_lacking_a_declared_field_fails(tmp_path):
    study = dataclasses.replace(count_study(3), columns=("u", "missing"))
    os.environ[LOG_VAR] = str(tmp_path / "log")
    result = _run(study, tmp_path)
    assert [f["cell"] for f in result.failed] == [0, 1, 2]
    assert result.failed[0]["error"] == ("ValueError: the cell's result does not fit the study: its row 0 lacks "
                                         "the field 'missing'")
    with pytest.raises(ValueError, match="columns must be None or a sequence of field names"):
        dataclasses.replace(study, columns="u")


def test_several_bad_records_give_one_warning(clean, tmp_path):
    study, reference, study_dir = _fresh(clean, tmp_path)
    for cell in range(5):
        _set(study_dir, cell, rows="[]")
    rerun = _rerun(study, tmp_path, "discarded 5 stored records that failed verification: cell 0 .*, cell 1 .*, "
                   "cell 2 .*, …; cells without a valid record are recomputed", computed=5)
    assert rerun.csv_path.read_bytes() == reference


# -- the store file damaged ----------------------------------------------------------------------
def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(np.random.default_rng(0).bytes(path.stat().st_size))


def _directory(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "x").write_text("not a store")


def _header_garbage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[:16] = b"not sqlite at al"
    path.write_bytes(bytes(data))


def _foreign_schema(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    conn.close()


DAMAGE = {
    "truncated": (_truncate, "unusable \\(.*malformed.*\\); moved aside to cells.sqlite.damaged-"),
    "garbage": (_garbage, "unusable \\(file is not a database\\); moved aside"),
    "garbage header": (_header_garbage, "unusable \\(file is not a database\\); moved aside"),
    "directory": (_directory, "unusable \\(not a regular file \\(a directory\\?\\)\\); moved aside"),
    "foreign schema": (_foreign_schema, "unusable \\(unknown schema '99'"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_store_is_moved_aside_and_recomputed(clean, tmp_path, damage):
    study, reference, study_dir = _fresh(clean, tmp_path)
    path = study_dir / cellstore.FILE_NAME
    assert not (study_dir / "cells.sqlite-wal").exists()  # a finished run leaves one whole file
    spoil, match = DAMAGE[damage]
    spoil(path)
    rerun = _rerun(study, tmp_path, match, computed=6)
    assert rerun.csv_path.read_bytes() == reference
    assert len(list(study_dir.glob("cells.sqlite.damaged-*"))) == 1  # kept, not deleted
    assert path.is_file()


def test_garbage_inside_a_record_is_caught_by_its_checksum(clean, tmp_path):
    study, reference, study_dir = _fresh(clean, tmp_path)
    path = study_dir / cellstore.FILE_NAME
    data = path.read_bytes()
    cell, text = next((i, r["rows"].encode()) for i, r in sorted(_cells(study_dir).items())
                      if data.count(r["rows"].encode()) == 1)
    at = data.index(text) + len('[{"pruning_ratio":0.')  # only digits change: the page stays well-formed
    spoilt = bytes(b"0123456789"[(b - 47) % 10] for b in data[at:at + 2])
    path.write_bytes(data[:at] + spoilt + data[at + 2:])
    assert json.loads(_cells(study_dir)[cell]["rows"]) != json.loads(text)
    rerun = _rerun(study, tmp_path, f"cell {cell} \\(its checksum does not match its rows\\)", computed=1)
    assert rerun.csv_path.read_bytes() == reference


def test_a_locked_store_is_left_alone_and_the_run_completes(clean, tmp_path, monkeypatch):
    study, reference, study_dir = _fresh(clean, tmp_path)
    monkeypatch.setattr(cellstore, "BUSY_S", 0.2)
    holder = _db(study_dir)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.warns(StoreWarning, match="is locked by another process \\(waited 0.2 s\\); this run keeps no records"):
            result = _run(study, tmp_path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.n_computed == 6 and result.csv_path.read_bytes() == reference
    assert not list(study_dir.glob("cells.sqlite.damaged-*"))
    assert _run(study, tmp_path).n_reused == 6  # the store was not touched


def test_a_lock_met_at_once_while_opening_is_waited_out(tmp_path, monkeypatch):
    # SQLite answers "database is locked" at once (no busy timeout) when two connections create
    # the same store together; the opening must retry instead of giving the store up.
    real, calls = cellstore._connect, []

    def flaky(path):
        calls.append(path)
        if len(calls) <= 3:
            raise sqlite3.OperationalError("database is locked")
        return real(path)

    monkeypatch.setattr(cellstore, "_connect", flaky)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opened = cellstore.CellStore(tmp_path, "race")
    assert opened.usable and len(calls) == 4
    opened.close()
    monkeypatch.setattr(cellstore, "BUSY_S", 0.05)  # a lock that outlasts BUSY_S still gives the store up

    def locked(path):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(cellstore, "_connect", locked)
    with pytest.warns(StoreWarning, match="is locked by another process"):
        assert not cellstore.CellStore(tmp_path / "other", "race").usable


OPENER = textwrap.dedent(
    """
    import sys, time, warnings
    from pathlib import Path
    from sgdtails.simulator import _cell_store as cellstore
    start = float(sys.argv[2])
    while time.time() < start:
        pass
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opened = cellstore.CellStore(Path(sys.argv[1]), "race")
    print(int(opened.usable), len(caught))
    opened.close()
    """
)


def test_runs_that_create_one_store_together_all_keep_records(tmp_path):
    # Before the opening retried, 14 of 120 such openers (4 at a time) gave the store up at once.
    results = []
    for trial in range(6):
        folder = tmp_path / str(trial)
        folder.mkdir()
        start = time.time() + 0.5
        procs = [subprocess.Popen([sys.executable, "-c", OPENER, str(folder), repr(start)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
        results += [p.communicate(timeout=60) for p in procs]
    assert all(out.split() == ["1", "0"] for out, _ in results), results


READ_ONLY = textwrap.dedent(
    """
    import os, sys, warnings
    from sgdtails.simulator import RunOptions
    from sgdtails.simulator.sweep import run_study
    from sweep_cells import s1_study
    warnings.simplefilter("error")
    study, run = s1_study(n_alpha=2, size=20), RunOptions(cache_dir=sys.argv[1], progress=False)
    first = run_study(study, run=run)
    os.chmod(first.csv_path.parent / "cells.sqlite", 0o444)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        second = run_study(study, run=run)
    for w in caught:
        print("warned:", w.message)
    print(second.summary, second.csv_path.read_bytes() == first.csv_path.read_bytes())
    os.chmod(first.csv_path.parent, 0o555)
    try:
        run_study(study, run=run)
    except PermissionError as exc:
        print("refused:", exc)
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="file permissions as on Linux")
@pytest.mark.skipif(sys.platform == "linux" and os.geteuid() == 0 and shutil.which("setpriv") is None,
                    reason="root ignores file permissions, and setpriv (to drop that power) is missing")
def test_a_read_only_store_is_moved_aside_and_a_read_only_folder_refused(tmp_path):
    # root ignores file permissions: run the scenario without the capabilities that override them
    prefix = []
    if os.geteuid() == 0:
        caps = "-dac_override,-dac_read_search,-fowner"
        prefix = ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([*prefix, sys.executable, "-c", READ_ONLY, str(tmp_path)], cwd=TESTS, env=env,
                         capture_output=True, text=True, timeout=120)
    (tmp_path / "s1").chmod(0o755)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert re.fullmatch(r"warned: s1: the cell store .*cells.sqlite is unusable \(attempt to write a readonly database\); "
                        r"moved aside to cells.sqlite.damaged-\S+; its cells are recomputed", lines[0]), lines
    assert lines[1] == "6 computed, 0 reused, 0 failed True"
    assert lines[2] == f"refused: [Errno 13] cannot write to the study folder {tmp_path / 's1'}: Permission denied"


# -- JSON stores of earlier versions ---------------------------------------------------------------
def _legacy(study: Study, result: sweep.StudyResult, study_dir: Path, version: str | None = None) -> dict[int, Path]:
    """Write ``result``'s cells as the per-cell JSON records of earlier versions; their paths by index."""
    func, package = sweep.func_name(study.func), package_version()
    version = study.version if version is None else version
    (study_dir / "cells").mkdir(parents=True, exist_ok=True)
    paths = {}
    for i, config in enumerate(study.grid):
        h = store.cell_hash(config, index=i, func=func, version=version, package=package, seed=study.seed)
        rows = [{k: v for k, v in r.items() if k not in {"cell", *store.flatten_config(config)}}
                for r in result.rows if r["cell"] == i]
        record = {"hash": h, "cell": i, "config": store.canonical_config(config), "func": func, "version": version,
                  "seed": study.seed, "sgdtails": package, "seconds": 0.25, "rows": rows}
        paths[i] = study_dir / "cells" / f"{h}.json"
        paths[i].write_text(json.dumps(record) + "\n", encoding="utf-8")
    return paths


def test_json_records_are_migrated_once(clean, tmp_path):
    study, reference, clean_dir = clean
    result = _run(study, clean_dir)
    study_dir = tmp_path / study.name
    _legacy(study, result, study_dir)
    (study_dir / "failed").mkdir()
    (study_dir / "cells" / "leftover.json.abc.tmp").write_text("{")  # a killed writer's temporary file
    migrated = _run(study, tmp_path)
    assert (migrated.n_reused, migrated.n_computed) == (6, 0)
    assert migrated.csv_path.read_bytes() == reference
    assert not (study_dir / "cells").exists() and not (study_dir / "failed").exists()
    assert {i: json.loads(r["rows"]) for i, r in _cells(study_dir).items()} == {
        i: [{"pruning_ratio": r["pruning_ratio"]}] for i, r in enumerate(result.rows)}
    assert all(r["seconds"] == 0.25 for r in _cells(study_dir).values())
    assert _run(study, tmp_path).n_reused == 6  # now from the store


def test_json_records_of_another_grid_are_left_alone(clean, tmp_path):
    study, reference, clean_dir = clean
    result = _run(study, clean_dir)
    study_dir = tmp_path / study.name
    others = _legacy(study, result, study_dir, version="old")
    fresh = _run(study, tmp_path)
    assert (fresh.n_reused, fresh.n_computed) == (0, 6)
    assert all(p.is_file() for p in others.values())  # read by a run of that grid only
    old = _run(dataclasses.replace(study, version="old"), tmp_path)
    assert (old.n_reused, old.n_computed) == (6, 0) and not (study_dir / "cells").exists()


def _edit_json(path: Path, **fields: object) -> None:
    record = json.loads(path.read_text())
    record.update(fields)
    path.write_text(json.dumps(record))


LEGACY_TAMPERS = {
    "rows=[]": (lambda p: _edit_json(p, rows=[]), "its rows are not a non-empty list"),
    "rows [1]": (lambda p: _edit_json(p, rows=[1]), "its row 0 is not a dict but int"),
    "row missing a field": (lambda p: _edit_json(p, rows=[{"ratio": 0.5}]),
                            "a row lacks the field 'pruning_ratio' that 5 of 6 records have"),
    "wrong hash": (lambda p: _edit_json(p, hash="0" * 64), "its hash field is not its file name"),
    "wrong cell": (lambda p: _edit_json(p, cell=4), "it says it is cell 4"),
    "cell true": (lambda p: _edit_json(p, cell=True), "it says it is cell True"),
    "wrong config": (lambda p: _edit_json(p, config={"alpha": 1.0}), "its config is not the grid's"),
    "wrong version": (lambda p: _edit_json(p, version="v0"), "its version 'v0' is not the study's 'test'"),
    "not JSON": (lambda p: p.write_text('{"rows": '), "it cannot be read \\(JSONDecodeError"),
    "a list": (lambda p: p.write_text("[]"), "it is not a JSON object"),
    "a directory": (lambda p: (p.unlink(), p.mkdir()), "it cannot be read \\(IsADirectoryError"),
}


@pytest.mark.parametrize("tamper", list(LEGACY_TAMPERS))
def test_a_tampered_json_record_is_not_imported(clean, tmp_path, tamper):
    study, reference, clean_dir = clean
    study_dir = tmp_path / study.name
    paths = _legacy(study, _run(study, clean_dir), study_dir)
    edit, match = LEGACY_TAMPERS[tamper]
    edit(paths[1])
    with pytest.warns(StoreWarning, match=f"discarded 1 stored record that failed verification: cell 1 \\(cells/"
                                          f"{paths[1].name[:12]}…: {match}"):
        migrated = _run(study, tmp_path)
    assert (migrated.n_reused, migrated.n_computed) == (5, 1)
    assert migrated.csv_path.read_bytes() == reference
    assert (study_dir / "cells").exists() == paths[1].is_dir()  # a directory in a record's place is not deleted
    assert _run(study, tmp_path).n_reused == 6


def test_a_json_record_copied_from_another_cell_is_not_imported(clean, tmp_path):
    study, reference, clean_dir = clean
    paths = _legacy(study, _run(study, clean_dir), tmp_path / study.name)
    paths[1].write_text(paths[4].read_text())
    with pytest.warns(StoreWarning, match="cell 1 \\(cells/.*: its hash field is not its file name\\)"):
        migrated = _run(study, tmp_path)
    assert migrated.n_computed == 1 and migrated.csv_path.read_bytes() == reference


def test_json_failures_are_imported_and_retried(tmp_path):
    os.environ[LOG_VAR] = str(tmp_path / "log")
    study = count_study(3)
    func, package = sweep.func_name(study.func), package_version()
    failed = tmp_path / study.name / "failed"
    failed.mkdir(parents=True)
    h = store.cell_hash(study.grid[1], index=1, func=func, version="", package=package, seed=study.seed)
    (failed / f"{h}.json").write_text(json.dumps({"hash": h, "cell": 1, "config": study.grid[1], "func": func,
                                                  "version": "", "seed": 11, "sgdtails": package, "seconds": 0.1,
                                                  "error": "RuntimeError: old", "traceback": "Traceback …"}))
    result = _run(study, tmp_path)
    assert (result.n_computed, result.failed) == (3, [])  # retried, and it succeeds now
    assert not failed.exists()
    conn = _db(tmp_path / study.name)
    assert conn.execute("SELECT count(*) FROM failed").fetchone()[0] == 0
    conn.close()


# -- two runs on one folder ------------------------------------------------------------------------
def _log_counts(path: Path) -> dict[int, int]:
    counts: dict[int, int] = {}
    for line in path.read_text().split():
        counts[int(line)] = counts.get(int(line), 0) + 1
    return counts


def test_two_threads_on_one_folder_compute_each_cell_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sweep, "POLL_S", 0.02)
    study = count_study(12, sleep=0.02)
    monkeypatch.setenv(LOG_VAR, str(tmp_path / "reference.log"))
    reference = _run(study, tmp_path / "reference").csv_path.read_bytes()
    monkeypatch.setenv(LOG_VAR, str(tmp_path / "count.log"))
    results: dict[str, sweep.StudyResult] = {}
    errors: list[BaseException] = []

    def go(name: str) -> None:
        try:
            results[name] = _run(study, tmp_path / "shared")
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(name,)) for name in ("a", "b")]
    threads[0].start()
    time.sleep(0.05)
    threads[1].start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert _log_counts(tmp_path / "count.log") == dict.fromkeys(range(12), 1)
    assert sorted(r.n_computed for r in results.values()) == [0, 12]
    assert all(r.csv_path.read_bytes() == reference for r in results.values())
    err = capsys.readouterr().err
    assert re.fullmatch(r"count: \d+ cells? (is|are) being computed by another run \(pid \d+ on .+\); waiting to "
                        r"reuse (it|them)\n", err), err


RUNNER = textwrap.dedent(
    """
    import sys
    from sgdtails.simulator import RunOptions
    from sgdtails.simulator.sweep import run_study
    from test_cell_store import count_study
    r = run_study(count_study(int(sys.argv[2]), float(sys.argv[3])),
                  run=RunOptions(cache_dir=sys.argv[1], jobs=int(sys.argv[4]), progress=False))
    print(r.n_computed, r.n_reused, len(r.failed))
    """
)


def _runner(cache: Path, log: Path, n: int, sleep: float, jobs: int = 1) -> subprocess.Popen:
    env = {**os.environ, LOG_VAR: str(log),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-c", RUNNER, str(cache), str(n), str(sleep), str(jobs)], cwd=TESTS, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_processes_on_one_folder_compute_each_cell_once(tmp_path, monkeypatch):
    n = 16
    monkeypatch.setenv(LOG_VAR, str(tmp_path / "reference.log"))
    reference = _run(count_study(n, 0.05), tmp_path / "reference").csv_path.read_bytes()
    procs = [_runner(tmp_path / "shared", tmp_path / "count.log", n, 0.05, jobs) for jobs in (1, 2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    counts = [tuple(map(int, out.split())) for out, _ in outs]
    assert sum(c[0] for c in counts) == n and all(c[0] + c[1] == n and c[2] == 0 for c in counts), outs
    assert _log_counts(tmp_path / "count.log") == dict.fromkeys(range(n), 1)
    assert (tmp_path / "shared" / "count" / "count.csv").read_bytes() == reference


def test_a_stale_claim_is_taken_over(tmp_path, monkeypatch):
    monkeypatch.setenv(LOG_VAR, str(tmp_path / "count.log"))
    study = count_study(4)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _run(study, tmp_path)  # creates the store
    hashes = [r["hash"] for _, r in sorted(_cells(tmp_path / study.name).items())]
    conn = _db(tmp_path / study.name)
    now = time.time()
    conn.execute("DELETE FROM cells")
    conn.execute("INSERT INTO runs VALUES ('dead', ?, ?, NULL, ?, ?)", (dead.pid, socket.gethostname(), now, now))
    conn.execute("INSERT INTO runs VALUES ('silent', ?, 'elsewhere', NULL, ?, ?)", (os.getpid(), now - 999, now - 999))
    # a live pid that is another process than the one that claimed (the pid was reused)
    conn.execute("INSERT INTO runs VALUES ('reused', ?, ?, 'another start', ?, ?)", (os.getpid(), socket.gethostname(),
                                                                                      now, now))
    owners = ("dead", "silent", "reused")
    conn.executemany("INSERT INTO claims VALUES (?, ?)", [(h, owners[i % 3]) for i, h in enumerate(hashes)])
    conn.close()
    result = _run(study, tmp_path)
    assert (result.n_computed, result.n_reused) == (4, 0)
    conn = _db(tmp_path / study.name)
    assert conn.execute("SELECT count(*) FROM claims").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
    conn.close()


def test_a_waiting_run_takes_over_when_the_other_is_killed(tmp_path, monkeypatch):
    monkeypatch.setattr(sweep, "POLL_S", 0.02)
    n = 30
    log = tmp_path / "count.log"
    monkeypatch.setenv(LOG_VAR, str(tmp_path / "reference.log"))
    reference = _run(count_study(n, 0.05), tmp_path / "reference").csv_path.read_bytes()
    first = _runner(tmp_path / "shared", log, n, 0.05)
    study_dir = tmp_path / "shared" / "count"
    try:
        deadline = time.monotonic() + 60
        while not (log.is_file() and len(log.read_text().split()) >= 3):
            assert time.monotonic() < deadline and first.poll() is None, first.communicate()
            time.sleep(0.01)
        monkeypatch.setenv(LOG_VAR, str(log))
        holder: dict = {}
        second = threading.Thread(target=lambda: holder.update(r=_run(count_study(n, 0.05), tmp_path / "shared")))
        second.start()
        time.sleep(0.3)  # the second run has claimed nothing and waits
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        second.join(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate()
    result = holder["r"]
    assert result.n_reused + result.n_computed == n and result.n_reused >= 3 and result.failed == []
    assert result.csv_path.read_bytes() == reference
    counts = _log_counts(log)
    # twice at most: the cell in flight at the kill and one delivered but not yet committed
    assert set(counts) == set(range(n)) and sum(counts.values()) <= n + 2 and max(counts.values()) <= 2
    assert len(_cells(study_dir)) == n


# -- faults: a kill, a lost backend, Ctrl-C --------------------------------------------------------
def test_resume_after_sigkill_recomputes_nothing_finished(tmp_path, monkeypatch):
    n = 30
    log = tmp_path / "count.log"
    monkeypatch.setenv(LOG_VAR, str(tmp_path / "reference.log"))
    reference = _run(count_study(n, 0.03), tmp_path / "reference").csv_path.read_bytes()
    proc = _runner(tmp_path / "killed", log, n, 0.03)
    study_dir = tmp_path / "killed" / "count"
    try:
        deadline = time.monotonic() + 60
        while len(_cells_or_none(study_dir)) < 6:
            assert time.monotonic() < deadline and proc.poll() is None, "the runner never stored 6 cells"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    finished = set(_cells(study_dir))
    before = _log_counts(log)
    assert 6 <= len(finished) < n
    monkeypatch.setenv(LOG_VAR, str(log))
    resumed = _run(count_study(n, 0.03), tmp_path / "killed")
    assert (resumed.n_reused, resumed.n_computed) == (len(finished), n - len(finished))
    assert resumed.csv_path.read_bytes() == reference
    after = _log_counts(log)
    assert all(after[k] == 1 for k in finished)  # finished cells were not recomputed
    assert set(after) == set(range(n)) and sum(after.values()) - sum(before.values()) == n - len(finished)


def _cells_or_none(study_dir: Path) -> dict:
    try:
        return _cells(study_dir)
    except sqlite3.Error:
        return {}


def test_a_lost_backend_keeps_what_it_delivered(tmp_path, monkeypatch):
    monkeypatch.setenv(LOG_VAR, str(tmp_path / "count.log"))
    study = count_study(6)
    reference = _run(study, tmp_path / "reference").csv_path.read_bytes()
    real = sweep._backend

    def losing(study, todo, run, batch):
        what, outcomes = real(study, todo, run, batch)

        def gen():
            for k, outcome in enumerate(outcomes):
                if k == 3:
                    raise BackendLost("every Dask worker is gone (waited 5 s)")
                yield outcome

        return what, gen()

    monkeypatch.setattr(sweep, "_backend", losing)
    with pytest.raises(BackendLost) as info:
        _run(study, tmp_path)
    message = str(info.value)
    assert message == "count: 3 of 6 cells finished and kept; every Dask worker is gone (waited 5 s); rerun to resume"
    assert "\n" not in message and isinstance(info.value, RuntimeError)
    study_dir = tmp_path / study.name
    assert sorted(_cells(study_dir)) == [0, 1, 2]
    assert (study_dir / "count.csv").read_text().count("\n") == 1 + 3
    manifest = json.loads((study_dir / "manifest.json").read_text())
    assert (manifest["n_computed"], manifest["n_pending"]) == (3, 3)
    monkeypatch.setattr(sweep, "_backend", real)
    resumed = _run(study, tmp_path)
    assert (resumed.n_reused, resumed.n_computed) == (3, 3) and resumed.csv_path.read_bytes() == reference
    monkeypatch.setattr(sweep, "_backend", losing)
    with pytest.raises(BackendLost, match="^count: 3 of 6 cells finished but not kept \\(no cache_dir\\); every Dask"):
        run_study(study, run=RunOptions(progress=False))


def test_keyboard_interrupt_keeps_finished_cells(tmp_path):
    study = Study("ctrl_c", interrupt_cell, [{"k": k} for k in range(6)], seed=3)
    with pytest.raises(KeyboardInterrupt):
        _run(study, tmp_path)
    study_dir = tmp_path / study.name
    assert sorted(_cells(study_dir)) == [0, 1, 2]
    assert (study_dir / "ctrl_c.csv").read_text().count("\n") == 1 + 3
    conn = _db(study_dir)
    assert conn.execute("SELECT count(*) FROM claims").fetchone()[0] == 0  # released on the way out
    conn.close()
