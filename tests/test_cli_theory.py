"""``heavytails check`` / ``heavytails size``: exit codes, printed verdicts, output files."""
import json

import pytest

from heavytails.cli import main
from theory import cli


def test_check_theorem1_writes_files(tmp_path, capsys):
    rc = main(["check", "theorem1", "--alpha", "1.2", "--sizes", "1000", "10000", "100000", "--trials", "20",
               "--out", str(tmp_path)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "verdict: holds" in out and "theory_slope" in out
    meta = json.loads((tmp_path / "theorem1.json").read_text())
    assert meta["verdict"] == "holds" and meta["config"]["alpha"] == [1.2]
    assert {"versions", "wall_time_s", "summary", "table"} <= set(meta)
    header = (tmp_path / "theorem1.csv").read_text().splitlines()[0].split(",")
    assert {"size", "median", "q10", "q90", "p_within", "p_lo", "p_hi"} <= set(header)


def test_check_prop_s1_and_bounds(tmp_path, capsys):
    assert main(["check", "prop-s1", "--alpha", "1.2", "1.8", "--d", "2000", "--trials", "20",
                 "--out", str(tmp_path)]) == 0
    assert main(["check", "bounds", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Theorem 4" in out and (tmp_path / "bounds.csv").exists() and (tmp_path / "prop-s1.json").exists()


@pytest.mark.parametrize("argv", [
    ["check", "theorem1", "--alpha", "1.5", "--kappa", "0", "--sizes", "100", "1000", "--trials", "2"],
    ["check", "theorem3", "--sizes", "10", "100"],
    ["check", "theorem2", "--alpha", "1.0", "1.5"],
    ["check", "theorem1", "--rows", "4"],
    ["check", "prop-s1", "--sizes", "10", "100"],
    ["size", "theorem1", "--alpha", "1.5", "--confidence", "2"],
])
def test_bad_input_exits_2(argv, capsys):
    assert main(argv) == 2
    assert "error:" in capsys.readouterr().err


def test_size_prints_method(tmp_path, capsys):
    rc = main(["size", "theorem1", "--alpha", "1.2", "--max-measured", "100000", "--trials", "30",
               "--out", str(tmp_path)])
    assert rc == 0
    assert "(measured)" in capsys.readouterr().out
    assert json.loads((tmp_path / "size-theorem1.json").read_text())["method"] == "measured"


def test_check_all_exit_code_reports_contradictions(tmp_path, monkeypatch, capsys):
    sizes = dict(sizes=(10**3, 10**4, 10**5), trials=20)
    monkeypatch.setattr(cli, "QUICK", dict(cli.QUICK, theorem1=sizes))
    monkeypatch.setattr(cli, "SUITE", (("ok", "theorem1", dict(alpha=1.2), "holds"),
                                        ("gauss", "theorem1", dict(alpha=2.0), "fails")))
    assert main(["check", "all", "--quick", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "all.csv").exists() and (tmp_path / "gauss.json").exists()
    monkeypatch.setattr(cli, "SUITE", (("wrong", "theorem1", dict(alpha=2.0), "holds"),))
    assert main(["check", "all", "--quick"]) == 1
    assert "NO" in capsys.readouterr().out
