"""simulator.records: atomic writes leave whole files with the mode a plain open() gives."""
import os
import stat
import subprocess
import sys

from sgdtails.simulator.records import TMP_SUFFIX, write_bytes, write_csv, write_json

WRITER = """
import os, sys
os.umask(int(sys.argv[2], 8))
from sgdtails.simulator.records import write_bytes, write_json
write_bytes(sys.argv[1] + "/a.bin", b"x")
write_json(sys.argv[1] + "/b.json", {"k": 1})
open(sys.argv[1] + "/c.txt", "w").close()
"""


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_written_files_get_the_umask_mode_not_mkstemps_0600(tmp_path):
    # in a child process, so that setting the umask does not touch this one
    for umask, expected in (("022", 0o644), ("002", 0o664), ("077", 0o600)):
        folder = tmp_path / umask
        folder.mkdir()
        subprocess.run([sys.executable, "-c", WRITER, str(folder), umask], check=True)
        assert _mode(folder / "c.txt") == expected  # what a plain open() gives
        assert (_mode(folder / "a.bin"), _mode(folder / "b.json")) == (expected, expected), umask


def test_atomic_write_replaces_the_whole_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "t.csv"
    write_csv(target, [{"a": 1, "b": 2}])
    first = target.read_text()
    write_csv(target, [{"a": 3, "b": 4}])
    assert target.read_text() != first and "3,4" in target.read_text()
    write_bytes(tmp_path / "u.bin", b"")
    assert not list(tmp_path.glob(f"*{TMP_SUFFIX}"))
    write_json(tmp_path / "v.json", {"x": [1, 2]})
    assert (tmp_path / "v.json").read_text().strip().startswith("{")
