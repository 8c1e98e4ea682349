"""Fuzz every ``sgdtails`` command with bad input: no traceback ever reaches the user (issue #11, items 5-6).

Each command of :func:`sgdtails.cli.build_parser` (enumerated, so a new command without cases fails
:func:`test_every_command_is_fuzzed`) is driven in-process with bad values — α outside (0, 2],
κ outside (0, 1], p <= 0, nan/inf, huge and negative ints, missing / empty / corrupted / directory
files, bad --device, --jobs, --scheduler, unknown flags — and requests beyond the machine. Every
call must exit 2 (1 only for a documented run failure) with exactly one ``error:`` line, no
``Traceback``, no ``internal error``, and write nothing. A planted handler that raises a bare
exception shows that the checker catches a bug (:func:`test_checker_flags_a_planted_bug`).
"""
from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgdtails.cli import build_parser, main

pytestmark = pytest.mark.fuzz  # runs by default (CI); alone: pytest -m fuzz

HUGE = "1180591620717411303424"  # 2**70: overflows every C integer
BIG_TRIALS = "1000000000"
NUM_BAD = ["nan", "inf", "-inf", "abc", ""]


def leaf_commands(parser: argparse.ArgumentParser | None = None, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every runnable command path of the parser (``("check", "theorem1")``, ``("sample",)`` …)."""
    parser = parser or build_parser()
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [path]
    out = []
    for name, child in subs[0].choices.items():
        out += leaf_commands(child, (*path, name))
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Bad (and a few good) .npy files, and a directory named like one."""
    return make_files(tmp_path_factory.mktemp("npy"))


def make_files(d):
    """Write the fuzz files into the folder ``d``; return it."""
    np.save(d / "good.npy", np.arange(1.0, 13.0).reshape(3, 4))
    good = (d / "good.npy").read_bytes()
    (d / "empty.npy").write_bytes(b"")
    (d / "header.npy").write_bytes(good[:10] + b"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4" + good[70:])
    (d / "keys.npy").write_bytes(good[:12] + b'"' + good[13:])
    (d / "truncated.npy").write_bytes(good[:140])
    (d / "magic.npy").write_bytes(good[:6])
    (d / "garbage.npy").write_bytes(b"not an array at all \x00\x01")
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    (d / "hugeshape.npy").write_bytes(buf.getvalue() + b"\0" * 64)
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": (2**62, 2**62)})
    (d / "overflow.npy").write_bytes(buf.getvalue() + b"\0" * 64)
    np.save(d / "object.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
    np.save(d / "strings.npy", np.array(["a", "b"]))
    np.save(d / "complex.npy", np.ones(5) + 1j)
    np.save(d / "nan.npy", np.array([1.0, np.nan, 3.0, 4.0]))
    np.save(d / "zeros.npy", np.zeros((4, 4)))
    np.save(d / "empty_array.npy", np.zeros((0,)))
    (d / "dir.npy").mkdir()
    (d / "run_file").write_text("not a run")
    return d


def bad_npy(files) -> list[str]:
    names = ["empty", "header", "keys", "truncated", "magic", "garbage", "hugeshape", "overflow", "object", "strings",
             "complex", "nan", "empty_array", "dir", "missing"]
    return [str(files / f"{n}.npy") for n in names]


def cases(files, tmp) -> dict[tuple[str, ...], list[list[str]]]:
    """Bad argument lists per command (each must end in exit 2, one error line)."""
    out = str(tmp / "o")
    good = str(files / "good.npy")
    a = ["--alpha", "1.5"]
    alpha_bad = [["--alpha", v] for v in ["0", "-1", "2.5", "1e400", *NUM_BAD]]
    run_bad = [["--jobs", "0"], ["--jobs", "-2"], ["--jobs", "x"], ["--jobs", HUGE + "x"], ["--scheduler", ""],
               ["--bogus"], ["--seed", "-1"], ["--seed", "1.5"]]
    c: dict[tuple[str, ...], list[list[str]]] = {}
    c[("sample",)] = ([[*v, "--shape", "3", "--out", out] for v in alpha_bad]
                      + [[*a, "--shape", s, "--out", out] for s in ["-1", "1.5", "x", "nan"]]
                      + [[*a, "--shape", "1000000", "1000000", "--out", out], [*a, "--shape", "100", HUGE, "--out", out],
                         [*a, "--shape", HUGE, HUGE, HUGE, "--out", out],
                         [*a, "--shape", "3", "--out", str(tmp) + "/"], [*a, "--shape", "3", "--out", str(tmp)],
                         [*a, "--shape", "3", "--out", str(files / "dir")], [*a, "--shape", "3", "--out", ""],
                         [*a, "--shape", "3", "--out", str(tmp / "missing" / "x.npy")],
                         [*a, "--shape", "3", "--scale", "0", "--out", out], [*a, "--shape", "3", "--scale", "nan", "--out", out],
                         [*a, "--shape", "3", "--structure", "tree", "--out", out], [*a, "--shape", "3"],
                         [*a, "--shape", "3", "--out", out, "--bogus"], [*a, "--shape", "3", "--seed", "-1", "--out", out]])
    c[("prune",)] = ([[f] for f in bad_npy(files)]
                     + [[good, "--eps", v] for v in ["-1", *NUM_BAD]] + [[good, "--p", v] for v in ["0", "-1", *NUM_BAD]]
                     + [[good, "--scheme", "best"], [good, "--bogus"], [], [str(files / "zeros.npy")]])
    c[("tail-index",)] = ([[f] for f in bad_npy(files)]
                          + [[good, "--method", "best"], [good, "--block", "0"], [good, "--block", HUGE + ".5"],
                             [good, "--bogus"], [], [str(files / "zeros.npy")]])
    for name, sizes in [("theorem1", "d"), ("theorem2", "h"), ("theorem3", "h"), ("dependence", "h"), ("prop-s1", None)]:
        need = a if name in ("theorem1", "theorem2", "theorem3") else []
        bad = [*alpha_bad] if name != "prop-s1" else [["--alpha", v] for v in ["0", "3", "nan"]]
        bad += [[*need, "--kappa", v] for v in ["0", "1.5", "-1", *NUM_BAD]]
        bad += [[*need, "--p", v] for v in ["0", "-2", *NUM_BAD]]
        bad += [[*need, "--eps", v] for v in ["-0.5", "nan", "inf"]]
        bad += [[*need, "--trials", v] for v in ["0", "-1", "2.5", BIG_TRIALS]]
        bad += [[*need, *r] for r in run_bad]
        if sizes is not None:
            bad += [[*need, "--sizes", *s] for s in [["100", HUGE], ["100", "1000000000000"], ["-5", "10"], ["0", "10"],
                                                     ["100.5", "200"], ["nan"], ["64", "64"]]]
        else:
            bad += [["--d", v] for v in ["0", "-3", "1000000000000", HUGE]]
        c[("check", name)] = bad
    c[("check", "theorem1")] += [[*a, "--scope", "both"], [*a, "--structure", "layer", "--sizes", "10", "20"],
                                 [*a, "--structure", "tree"]]
    c[("check", "theorem2")] += [[*a, "--aspects", "0"], [*a, "--tall", "1"], [*a, "--columns", "0"],
                                 [*a, "--sizes", "100", "100000"], [*a, "--columns", HUGE]]
    c[("check", "theorem3")] += [[*a, "--rows", "0"], [*a, "--rows", HUGE]]
    c[("check", "dependence")] += [["--structures", "iid", "tree"]]
    c[("check", "prop-s1")] += [["--alpha", "1.5"], ["--alpha", "1.5", "1.5"], ["--structures", "column"]]
    c[("check", "bounds")] = [["--instances", v] for v in ["0", "-1", "x", BIG_TRIALS, HUGE]] + [["--seed", "-1"], ["--bogus"]]
    c[("check", "all")] = [["--trials", v] for v in ["0", "-1", BIG_TRIALS]] + run_bad
    c[("size",)] = ([["theorem9", *a], ["theorem1"], ["theorem1", *a, "--eps", "0"], ["theorem1", *a, "--confidence", "1"],
                     ["theorem1", *a, "--confidence", "nan"], ["theorem2", *a, "--max-measured", "8"],
                     ["theorem1", *a, "--max-measured", "1000000000000"], ["theorem1", *a, "--max-measured", HUGE],
                     ["theorem2", *a, "--max-measured", "100000"], ["theorem1", *a, "--trials", BIG_TRIALS]]
                    + [["theorem1", *v] for v in alpha_bad] + [["theorem1", *a, *r] for r in run_bad]
                    + [["theorem1", *a, "--p", v] for v in ["0", "nan"]] + [["theorem1", *a, "--kappa", v] for v in ["0", "2"]])
    fig = [["--scale", "huge"], ["--seed", "-1"], ["--seed", "nan"], ["--out", str(files / "good.npy")], *run_bad]
    for name in leaf_commands():
        if name[0] == "figure" and name[1] != "realnets":
            c[name] = [list(x) for x in fig]
    c[("figure", "realnets")] = [[str(tmp / "nowhere")], [], [str(files / "run_file")], ["--bogus", str(tmp)],
                                 [str(tmp / "nowhere"), "--out", str(files / "good.npy")]]
    train = ["--model", "fcn4", "--dataset", "mnist1d", "--lr", "0.1", "--batch-size", "50", "--out", out]
    c[("train",)] = ([[*train, "--device", d] for d in ["foo", "cuda:99", "cpu:0", "tpu", "CUDA"]]
                     + [[*train[:4], "--lr", v, *train[6:]] for v in ["-1", "0", "nan", "inf", "x"]]
                     + [[*train, "--batch-size", "0"], [*train, "--width", "0"], [*train, "--depth", "-1"],
                        [*train, "--max-iters", "0"], [*train, "--stop-nll", "nan"], [*train, "--seed", "-1"],
                        [*train, "--bogus"],
                        ["--model", "resnet", *train[2:]], ["--model", "fcn4", "--dataset", "imagenet", *train[4:]], train[:-2]])
    c[("analyze",)] = [[str(tmp / "nowhere")], [str(files / "run_file")], [str(files)], [], [str(tmp), "--device", "foo"],
                       [str(tmp / "nowhere"), "--synthetic-seeds", "-1"], [str(tmp), "--bogus"]]
    c[("sweep", "realnets")] = ([["--grid", "huge", "--out", out], ["--grid", "cpu"], ["--grid", "cpu", "--out", out, "--bogus"]]
                                + [["--grid", "cpu", "--out", out, *r] for r in run_bad[:5]])
    c[("data", "download")] = [["svhn", "--dir", out], ["mnist"], ["mnist", "--dir", out, "--timeout", "0"],
                               ["mnist", "--dir", out, "--timeout", "nan"], ["mnist", "--dir", out, "--bogus"],
                               ["cifar10", "--dir", out, "--mirror", "not-a-url"]]
    return c


def snapshot(watch: tuple[str, bool]) -> set[str]:
    """Every file under the folder (``deep``: the test's own sandbox), else the names at its top.

    The folder the test started in is watched at its top only: it may be a repository with a
    virtual environment inside (a clean clone under /tmp in CI), far too big to walk per case.
    """
    root, deep = watch
    if deep:
        return {os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs}
    return set(os.listdir(root))


def check_call(argv: list[str], capsys, watched, allowed=(2,)) -> tuple[int, str, str]:
    """Run ``main(argv)``; assert the user sees one clean line (the fuzz contract) and nothing was written."""
    before = [snapshot(w) for w in watched]
    rc = main(argv)
    res = capsys.readouterr()
    text = res.out + res.err
    assert "Traceback" not in text, (argv, text)
    assert "internal error" not in res.err, (argv, res.err)
    assert rc in allowed, (argv, rc, text)
    if rc == 2:
        errors = [line for line in res.err.splitlines() if "error:" in line]
        assert len(errors) == 1, (argv, res.err)
        others = [line for line in res.err.splitlines() if line.strip() and "error:" not in line
                  and not line.startswith(("usage:", " "))]
        assert not others, (argv, res.err)
    after = [snapshot(w) for w in watched]
    assert before == after, (argv, [sorted(a - b) for a, b in zip(after, before)])
    return rc, res.out, res.err


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """An empty working folder; the fuzzed commands must write neither there nor in the folder the test started in."""
    start = os.getcwd()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("SGDTAILS_SCHEDULER", raising=False)
    monkeypatch.delenv("SGDTAILS_DEBUG", raising=False)
    return tmp_path, [(str(tmp_path), True)] + ([(start, False)] if not start.startswith(str(tmp_path)) else [])


def test_every_command_is_fuzzed(files, sandbox):
    tmp, _ = sandbox
    table = cases(files, tmp)
    leaves = set(leaf_commands())
    assert leaves - set(table) == set(), "commands without fuzz cases"
    assert set(table) - leaves == set(), "fuzz cases of a command that does not exist"
    assert all(len(v) >= 5 for v in table.values())


def _ids():
    return [" ".join(c) for c in leaf_commands()]


@pytest.mark.parametrize("command", leaf_commands(), ids=_ids())
def test_bad_input_is_one_line(command, files, sandbox, capsys):
    tmp, watched = sandbox
    for argv in cases(files, tmp)[command]:
        check_call([*command, *argv], capsys, watched)


def test_refusals_give_the_estimate(files, sandbox, capsys):
    tmp, watched = sandbox
    for argv in (["sample", "--alpha", "1.5", "--shape", "1000000", "1000000", "--out", str(tmp / "x.npy")],
                 ["check", "theorem1", "--alpha", "1.5", "--trials", BIG_TRIALS],
                 ["check", "theorem1", "--alpha", "1.5", "--sizes", "100", "1000000000000"],
                 ["size", "theorem1", "--alpha", "1.5", "--max-measured", "1000000000000"]):
        _, _, err = check_call(argv, capsys, watched)
        assert "error: refusing: " in err and "(use --force to try anyway)" in err, err
        assert "usage:" not in err and ("of memory, this machine has" in err or "would take about" in err), err
    _, _, err = check_call(["sample", "--alpha", "1.5", "--shape", "1000000", "1000000", "--out", str(tmp / "x.npy")],
                           capsys, watched)
    assert "the 7.28 TiB array needs about 21.8 TiB of memory" in err


def test_messages_name_the_problem(files, sandbox, capsys):
    tmp, watched = sandbox
    train = ["train", "--model", "fcn4", "--dataset", "mnist1d", "--lr", "0.1", "--batch-size", "50", "--out", str(tmp / "r")]
    for argv, text in [(["prune", str(files / "empty.npy")], "empty.npy is not a readable .npy array (the file is empty)"),
                       (["prune", str(files / "dir.npy")], "dir.npy is a directory, not a .npy file"),
                       (["tail-index", str(files / "header.npy")], "its header cannot be parsed"),
                       (["prune", str(files / "hugeshape.npy")], "hugeshape.npy is not a readable .npy array"),
                       (["sample", "--alpha", "1", "--shape", "2", "--out", str(tmp) + "/"], "--out must name a .npy file"),
                       ([*train, "--device", "foo"], "--device must be 'cpu' or 'cuda[:n]', got 'foo'"),
                       ([*train, "--device", "cuda:99"], "--device 'cuda:99' is not available")]:
        _, _, err = check_call(argv, capsys, watched)
        assert text in err, (argv, err)


def test_force_skips_the_refusal(sandbox, capsys, monkeypatch):
    from sgdtails.simulator import budget

    tmp, _ = sandbox
    monkeypatch.setattr(budget, "machine_memory", lambda: 100)  # a machine of 100 bytes: any array is refused
    argv = ["sample", "--alpha", "1.5", "--shape", "20", "--out", str(tmp / "w.npy")]
    assert main(argv) == 2 and "refusing" in capsys.readouterr().err
    assert main([*argv, "--force"]) == 0 and (tmp / "w.npy").is_file()
    assert main(["prune", str(tmp / "w.npy")]) == 2 and "refusing" in capsys.readouterr().err
    assert main(["prune", str(tmp / "w.npy"), "--force"]) == 0


FUZZ = settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
"""capsys is read after every call, so sharing it between examples is harmless."""


@FUZZ
@given(value=st.one_of(st.floats(max_value=0.0), st.floats(min_value=2.0, exclude_min=True),
                       st.sampled_from(["nan", "inf", "-inf", "1e999", "0x1p3", "1,5", " ", "--", "1.5.5", "٣"])))
def test_hypothesis_alpha_outside_its_range(value, tmp_path_factory, capsys):
    out = tmp_path_factory.getbasetemp() / "hyp"
    out.mkdir(exist_ok=True)
    text = value if isinstance(value, str) else repr(value)
    for argv in (["sample", "--alpha", text, "--shape", "2", "--out", str(out / "x.npy")],
                 ["check", "theorem1", "--alpha", text], ["size", "theorem2", "--alpha", text]):
        check_call(argv, capsys, [(str(out), True)])


@FUZZ
@given(kappa=st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.0, exclude_min=True)),
       p=st.one_of(st.floats(max_value=0.0), st.sampled_from([float("nan"), float("inf")])))
def test_hypothesis_kappa_and_p_outside_their_ranges(kappa, p, tmp_path_factory, capsys):
    out = tmp_path_factory.getbasetemp() / "hyp"
    out.mkdir(exist_ok=True)
    check_call(["check", "theorem3", "--alpha", "1", "--kappa", repr(kappa)], capsys, [(str(out), True)])
    check_call(["check", "theorem3", "--alpha", "1", "--p", repr(p)], capsys, [(str(out), True)])
    check_call(["size", "theorem1", "--alpha", "1", "--kappa", repr(kappa)], capsys, [(str(out), True)])


def test_checker_flags_a_planted_bug(files, sandbox, capsys, monkeypatch):
    """Negative control: a handler raising a bare exception is an internal error (exit 1), which the checker rejects."""
    from sgdtails.cli import simulator as cli_simulator

    tmp, watched = sandbox
    for exc in (ZeroDivisionError("float division by zero"), RuntimeError("boom"), KeyError("x"), EOFError()):
        def planted(args, exc=exc):
            raise exc

        monkeypatch.setattr(cli_simulator, "_prune", planted)
        with pytest.raises(AssertionError, match="internal error"):
            check_call(["prune", str(files / "good.npy")], capsys, watched)
    capsys.readouterr()
    monkeypatch.setenv("SGDTAILS_DEBUG", "1")  # the traceback on request
    with pytest.raises(EOFError):
        main(["prune", str(files / "good.npy")])


def test_backend_lost_is_one_line_exit_1(sandbox, capsys, monkeypatch):
    from sgdtails.realnets import sweep as realnets_sweep
    from sgdtails.simulator.sweep import BackendLost

    tmp, watched = sandbox

    def lost(*args, **kwargs):
        raise BackendLost("realnets_cpu: 3 of 28 cells finished and kept; every Dask worker is gone; rerun to resume")

    monkeypatch.setattr(realnets_sweep, "run_realnets", lost)
    rc, out, err = check_call(["sweep", "realnets", "--grid", "cpu", "--out", str(tmp / "o")], capsys, watched, allowed=(1,))
    assert err == "sgdtails sweep realnets: realnets_cpu: 3 of 28 cells finished and kept; every Dask worker is gone; " \
                  "rerun to resume\n" and out == ""


def test_warnings_print_as_one_line(sandbox, capsys, monkeypatch):
    from sgdtails.cli import simulator as cli_simulator
    from sgdtails.simulator.sweep import StoreWarning

    def warns(args):
        warnings.warn("study: discarded 2 stored records\nthat failed verification", StoreWarning, stacklevel=2)
        warnings.warn("overflow in x", RuntimeWarning, stacklevel=2)
        return 0

    monkeypatch.setattr(cli_simulator, "_prune", warns)
    with warnings.catch_warnings():  # (restores showwarning itself on exit: check inside)
        warnings.simplefilter("always")
        hook = warnings.showwarning
        assert main(["prune", "x.npy"]) == 0
        assert warnings.showwarning is hook  # restored by main: no global state left behind
    assert capsys.readouterr().err.splitlines() == [
        "sgdtails prune: warning: study: discarded 2 stored records that failed verification",
        "sgdtails prune: warning: RuntimeWarning: overflow in x"]


def test_helper_a_inputs_have_clean_answers(files, sandbox, capsys):
    """The numerics of issue #11 at the command line: a finite answer (exit 0) or one error line (exit 2)."""
    tmp, watched = sandbox
    np.save(tmp / "ties.npy", np.ones((20, 20)))
    np.save(tmp / "sub.npy", np.full((10, 10), 5e-324))
    np.save(tmp / "maxed.npy", np.array([[1e308, -1e308], [1e308, 1e308]]))
    w = np.random.default_rng(0).standard_cauchy((50, 40))
    np.save(tmp / "cauchy.npy", w)
    watched = [w for w in watched if w[0] != str(tmp)]
    argvs = [["tail-index", "--method", "hill", str(tmp / "ties.npy")], ["tail-index", str(tmp / "ties.npy")],
             ["tail-index", str(tmp / "sub.npy")], ["tail-index", str(tmp / "maxed.npy")],
             ["prune", str(tmp / "sub.npy")], ["prune", str(files / "good.npy"), "--p", "1e-300"],
             ["prune", str(tmp / "maxed.npy")], ["prune", str(tmp / "maxed.npy"), "--scheme", "singular"],
             ["prune", str(files / "good.npy"), "--eps", "0"], ["prune", str(tmp / "cauchy.npy"), "--p", "3000"],
             ["check", "theorem1", "--alpha", "1.5", "--sizes", "100", HUGE, "--force", "--trials", "1"],
             ["size", "theorem2", "--alpha", "1.5", "--max-measured", "16", "--trials", "2"]]
    for argv in argvs:
        rc, out, err = check_call(argv, capsys, watched, allowed=(0, 2))
        assert "warning" not in err, (argv, err)
        if rc == 0:
            assert "nan" not in out.lower() and "inf" not in out.lower(), (argv, out)
        if argv[:2] == ["prune", str(tmp / "cauchy.npy")] and rc == 0:
            assert abs(float(out) - (1 - 0.007)) < 0.002, out  # the truth: κ ≈ 0.007


def test_no_traceback_in_a_real_process(files, tmp_path):
    """One subprocess: the console entry point on a 0-byte and a corrupted .npy file."""
    for name in ("empty.npy", "header.npy"):
        res = subprocess.run([sys.executable, "-c", "import sys; from sgdtails.cli import main; sys.exit(main())",
                              "prune", str(files / name)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
        assert len([line for line in res.stderr.splitlines() if "error:" in line]) == 1
