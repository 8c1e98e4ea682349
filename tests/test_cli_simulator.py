"""``heavytails sample | prune | tail-index`` end to end, and their one-line errors (exit 2)."""
import subprocess
import sys

import numpy as np
import pytest

from heavytails.cli import main
from simulator import pruning_ratio, sample_weights, tail_index


def test_version_via_console_script():
    out = subprocess.run(["heavytails", "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("heavytails ")
    out = subprocess.run([sys.executable, "-m", "heavytails", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("heavytails ")


def test_sample_prune_tail_index_roundtrip(tmp_path, capsys):
    path = tmp_path / "w.npy"
    args = ["sample", "--alpha", "1.7", "--shape", "300", "200", "--structure", "column", "--seed", "0"]
    assert main([*args, "--out", str(path)]) == 0
    w = np.load(path)
    np.testing.assert_array_equal(w, sample_weights(1.7, (300, 200), structure="column", seed=0))
    capsys.readouterr()
    assert main(["prune", str(path), "--eps", "0.1"]) == 0
    assert float(capsys.readouterr().out) == pytest.approx(pruning_ratio(w, 0.1), abs=1e-6)
    assert main(["prune", str(path), "--eps", "0.2", "--p", "1", "--scheme", "nodes"]) == 0
    assert float(capsys.readouterr().out) == pytest.approx(pruning_ratio(w, 0.2, p=1, scheme="nodes"), abs=1e-6)
    assert main(["tail-index", str(path)]) == 0
    assert float(capsys.readouterr().out) == pytest.approx(tail_index(w).alpha, abs=1e-6)


@pytest.mark.parametrize(
    "argv",
    [
        ["sample", "--alpha", "2.5", "--shape", "3", "--out", "{tmp}/x.npy"],
        ["sample", "--alpha", "1.5", "--shape", "3", "--out", "{tmp}/missing/x.npy"],
        ["prune", "{tmp}/none.npy"],
        ["prune", "{tmp}/bad.npy"],
        ["prune", "{tmp}/nan.npy"],
        ["prune", "{tmp}/ok.npy", "--eps", "-1"],
        ["tail-index", "{tmp}/ok.npy", "--method", "mmo", "--block", "1"],
    ],
)
def test_bad_input_prints_one_line_and_exits_2(tmp_path, argv):
    (tmp_path / "bad.npy").write_text("not an array")
    np.save(tmp_path / "nan.npy", np.array([1.0, np.nan]))
    np.save(tmp_path / "ok.npy", np.arange(1.0, 50.0))
    argv = [a.format(tmp=tmp_path) for a in argv]
    proc = subprocess.run(["heavytails", *argv], capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0], proc.stderr


def test_unknown_option_exits_2():
    with pytest.raises(SystemExit) as exc:
        main(["prune", "w.npy", "--scheme", "bogus"])
    assert exc.value.code == 2
