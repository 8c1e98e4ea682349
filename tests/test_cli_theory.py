"""``sgdtails check`` / ``sgdtails size``: exit codes, printed verdicts, output files, real sub-commands."""
import json

import pytest

from sgdtails.cli import main
from sgdtails.cli import theory as cli
from sgdtails.theory import suite
from sgdtails.theory.suite import Case


def test_check_theorem1_writes_files(tmp_path, capsys):
    rc = main(["check", "theorem1", "--alpha", "1.2", "--sizes", "1000", "10000", "100000", "--trials", "20",
               "--out", str(tmp_path)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "verdict: holds" in out and "theory_slope" in out
    meta = json.loads((tmp_path / "theorem1.json").read_text())
    assert meta["verdict"] == "holds" and meta["config"]["alpha"] == [1.2]
    assert {"provenance", "wall_time_s", "summary", "table"} <= set(meta)
    assert {"versions", "command", "machine", "git"} <= set(meta["provenance"])
    header = (tmp_path / "theorem1.csv").read_text().splitlines()[0].split(",")
    assert {"size", "median", "q10", "q90", "p_within", "p_lo", "p_hi"} <= set(header)


def test_check_prop_s1_and_bounds(tmp_path, capsys):
    assert main(["check", "prop-s1", "--alpha", "1.2", "1.8", "--d", "2000", "--trials", "20",
                 "--out", str(tmp_path)]) == 0
    assert main(["check", "bounds", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Theorem 4" in out and (tmp_path / "bounds.csv").exists() and (tmp_path / "prop-s1.json").exists()


@pytest.mark.parametrize(("argv", "names"), [
    (["check", "theorem1", "--alpha", "1.5", "--kappa", "0", "--sizes", "100", "1000", "--trials", "2"], "kappa"),
    (["check", "theorem3", "--sizes", "10", "100"], "--alpha"),
    (["check", "theorem2", "--alpha", "1.0", "1.5"], "unrecognized arguments: 1.5"),
    (["check", "theorem1", "--alpha", "1.5", "--rows", "4"], "--rows"),  # theorem3's option
    (["check", "prop-s1", "--sizes", "10", "100"], "--sizes"),
    (["check", "theorem1", "--alpha", "1.5", "--structure", "layer", "--sizes", "10", "20"], "squares"),  # library
    (["check", "theorem1", "--alpha", "3"], "alpha must be in (0, 2]"),
    (["check", "all", "--jobs", "0"], "--jobs"),
    (["size", "theorem1", "--alpha", "1.5", "--confidence", "2"], "--confidence"),
    (["check", "bogus"], "invalid choice"),
])
def test_bad_input_prints_usage_and_one_error_line_and_exits_2(argv, names, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: sgdtails ") and "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and names in errors[0], err


def test_check_is_a_real_sub_command_per_check(capsys):
    for name in (*suite.CHECKS, "bounds", "all"):
        assert main(["check", name, "--help"]) == 0
        assert capsys.readouterr().out.startswith(f"usage: sgdtails check {name}")
    assert main(["check"]) == 2  # no check named: the usage of ``check``
    assert "usage: sgdtails check" in capsys.readouterr().err


def test_size_prints_method(tmp_path, capsys):
    rc = main(["size", "theorem1", "--alpha", "1.2", "--max-measured", "100000", "--trials", "30",
               "--out", str(tmp_path)])
    assert rc == 0
    assert "(measured)" in capsys.readouterr().out
    assert json.loads((tmp_path / "size-theorem1.json").read_text())["method"] == "measured"


def test_check_all_exit_code_reports_contradictions(tmp_path, monkeypatch, capsys):
    sizes = dict(sizes=(10**3, 10**4, 10**5), trials=20)
    monkeypatch.setattr(suite, "QUICK", dict(suite.QUICK, theorem1=sizes))
    monkeypatch.setattr(cli, "SUITE", (Case("ok", "theorem1", dict(alpha=1.2), "holds"),
                                        Case("gauss", "theorem1", dict(alpha=2.0), "fails")))
    assert main(["check", "all", "--quick", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "all.csv").exists() and (tmp_path / "gauss.json").exists()
    monkeypatch.setattr(cli, "SUITE", (Case("wrong", "theorem1", dict(alpha=2.0), "holds"),))
    assert main(["check", "all", "--quick"]) == 1
    assert "NO" in capsys.readouterr().out
