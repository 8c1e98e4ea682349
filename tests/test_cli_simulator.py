"""``sgdtails sample | prune | tail-index`` end to end, and their errors (usage + one line, exit 2)."""
import subprocess
import sys

import numpy as np
import pytest

from sgdtails.cli import main
from sgdtails.simulator import pruning_ratio, sample_weights, tail_index


def test_version_via_console_script():
    out = subprocess.run(["sgdtails", "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("sgdtails ")
    out = subprocess.run([sys.executable, "-m", "sgdtails", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("sgdtails ")


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
    ("argv", "names"),
    [
        (["sample", "--alpha", "2.5", "--shape", "3", "--out", "{tmp}/x.npy"], "alpha"),  # argparse
        (["sample", "--alpha", "1.5", "--shape", "3", "--out", "{tmp}/missing/x.npy"], "missing"),
        (["sample", "--alpha", "1.5", "--shape", "3", "--scale", "0", "--out", "{tmp}/x.npy"], "scale"),
        (["prune", "{tmp}/none.npy"], "none.npy"),
        (["prune", "{tmp}/bad.npy"], "bad.npy"),
        (["prune", "{tmp}/nan.npy"], "NaN"),  # found by the library
        (["prune", "{tmp}/ok.npy", "--eps", "-1"], "eps"),
        (["prune", "{tmp}/ok.npy", "--p", "0"], "p must be > 0"),
        (["prune", "{tmp}/ok.npy", "--scheme", "bogus"], "--scheme"),
        (["tail-index", "{tmp}/ok.npy", "--method", "mmo", "--block", "1"], "block"),
    ],
)
def test_bad_input_prints_usage_and_one_error_line_and_exits_2(tmp_path, argv, names):
    (tmp_path / "bad.npy").write_text("not an array")
    np.save(tmp_path / "nan.npy", np.array([1.0, np.nan]))
    np.save(tmp_path / "ok.npy", np.arange(1.0, 50.0))
    argv = [a.format(tmp=tmp_path) for a in argv]
    proc = subprocess.run(["sgdtails", *argv], capture_output=True, text=True)
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert err.startswith(f"usage: sgdtails {argv[0]}") and "Traceback" not in err, err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith(f"sgdtails {argv[0]}: error: ") and names in errors[0], err


def test_unknown_option_exits_2(capsys):
    assert main(["prune", "w.npy", "--scheme", "bogus"]) == 2
    assert "invalid choice: 'bogus'" in capsys.readouterr().err
