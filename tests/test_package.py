"""The package as installed: one import root, one-way layering, a light facade and CLI, no cache inside.

These tests read the installed ``sgdtails`` (its files, found through the import system), not the
source tree, and run fresh interpreters where what is imported matters.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import sgdtails

SUBPACKAGES = ("simulator", "theory", "realnets", "figures", "cli")
ALLOWED = {  # what each subpackage may import from sgdtails (imports flow one way)
    "simulator": {"simulator"},
    "theory": {"simulator", "theory"},
    "realnets": {"simulator", "realnets"},
    "figures": {"simulator", "theory", "realnets", "figures"},
    "cli": {"simulator", "theory", "realnets", "figures", "cli", ""},
}
BARE = {"simulator", "theory", "realnets", "figures", "heavytails"}
HEAVY = ("numba", "torch", "matplotlib")


def _package_dir(name: str) -> Path:
    module = __import__(f"sgdtails.{name}", fromlist=["_"])
    return Path(next(iter(module.__path__)))


def _modules() -> list[tuple[str, Path]]:
    out = []
    for sub in SUBPACKAGES:
        out += [(sub, path) for path in sorted(_package_dir(sub).rglob("*.py"))]
    return out


def _imports(path: Path, package: str) -> list[tuple[str, int]]:
    """Absolute names of every module ``path`` imports (relative imports resolved), with line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.append((".".join([*base, node.module] if node.module else base), node.lineno))
            else:
                found.append((node.module or "", node.lineno))
    return found


def _layer_of(name: str) -> str | None:
    """The sgdtails subpackage ``name`` belongs to ('' for the root), None outside sgdtails."""
    parts = name.split(".")
    if parts[0] != "sgdtails":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in SUBPACKAGES else ""


def _violations(modules: list[tuple[str, Path]]) -> list[str]:
    bad = []
    for sub, path in modules:
        for name, line in _imports(path, f"sgdtails.{sub}"):
            layer = _layer_of(name)
            if name.split(".")[0] in BARE:
                bad.append(f"{path.name}:{line} imports the bare top-level {name!r}")
            elif layer is not None and layer not in ALLOWED[sub]:
                bad.append(f"{sub}/{path.name}:{line} imports {name} (a {sub} module may import {sorted(ALLOWED[sub])})")
    return bad


def test_imports_flow_one_way():
    modules = _modules()
    assert len(modules) > 60
    assert _violations(modules) == []


def test_the_layering_check_catches_an_upward_import(tmp_path):
    """Negative control: an engine module importing the figures (or a bare top-level name) is reported."""
    rogue = tmp_path / "rogue.py"
    rogue.write_text("from sgdtails.figures import figure_s1\nimport simulator\nfrom ..theory import verdict\n")
    bad = _violations([("simulator", rogue)])
    assert len(bad) == 3, bad


def test_tests_import_only_the_sgdtails_root():
    tests = Path(__file__).resolve().parent
    bad = []
    for path in sorted(tests.glob("*.py")):
        for name, line in [*_imports(path, "tests"), *_imported_by_name(path)]:
            if name.split(".")[0] in BARE:  # would load a second copy of a module from the source tree
                bad.append(f"{path.name}:{line} {name}")
    assert bad == []


def _imported_by_name(path: Path) -> list[tuple[str, int]]:
    """Modules named by a string in ``importlib.import_module("…")`` calls."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.args[0].value, node.lineno) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]


def _python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "EAGER_IMPORT")}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env={**clean, **env}, capture_output=True,
                          text=True, timeout=300)


DECOYS = {
    "simulator.py": "raise ImportError('the decoy simulator.py was imported')\n",
    "theory.py": "raise ImportError('the decoy theory.py was imported')\n",
    "heavytails.py": "raise ImportError('the decoy heavytails.py was imported')\n",
    "figures/__init__.py": "raise ImportError('the decoy figures/ was imported')\n",
    "realnets/__init__.py": "raise ImportError('the decoy realnets/ was imported')\n",
}

SHADOW_CODE = """
import json, sys
import sgdtails as st
import sgdtails.figures.figure_s1, sgdtails.figures.run, sgdtails.theory.theorem1, sgdtails.realnets.adapt
import sgdtails.cli
w = st.sample_weights(1.7, (20, 10), structure="column", seed=0)
r = st.check_theorem1(1.2, sizes=(100, 400), trials=2)
print(json.dumps({"bare": sorted(m for m in ("simulator", "theory", "realnets", "figures", "heavytails")
                                 if m in sys.modules),
                  "files": [m.__file__ for m in (st, st.simulator, st.figures, st.realnets, st.theory)],
                  "ratio": st.pruning_ratio(w, 0.1), "verdict": r.verdict}))
"""


def test_modules_in_the_working_directory_do_not_change_what_sgdtails_imports(tmp_path):
    for name, text in DECOYS.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    proc = _python(SHADOW_CODE, tmp_path)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["bare"] == []
    assert all(not f.startswith(str(tmp_path)) for f in seen["files"]), seen["files"]
    import sgdtails.simulator as sim

    assert seen["ratio"] == sim.pruning_ratio(sim.sample_weights(1.7, (20, 10), structure="column", seed=0), 0.1)
    cli = subprocess.run(["sgdtails", "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0 and cli.stdout.strip() == f"sgdtails {version('sgdtails')}"


def test_the_decoys_would_be_caught(tmp_path):
    """Negative control: a bare ``import simulator`` from that folder does hit the decoy."""
    (tmp_path / "simulator.py").write_text(DECOYS["simulator.py"])
    proc = _python("import simulator", tmp_path)
    assert proc.returncode != 0 and "decoy simulator.py" in proc.stderr


LIGHT_CODE = """
import json, sys
from sgdtails.cli import main
codes = [main(argv) for argv in {argv!r}]
print(json.dumps({{"codes": codes, "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
"""


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["check", "theorem1", "--help"],
                                  ["figure", "s1", "--help"], ["train", "--help"], ["sweep", "realnets", "--help"],
                                  ["sample", "--alpha", "3", "--shape", "2", "--out", "x.npy"]])
def test_help_version_and_argument_errors_load_no_engine(tmp_path, argv):
    proc = _python(LIGHT_CODE.format(argv=[argv], heavy=HEAVY), tmp_path)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["heavy"] == []
    assert seen["codes"] == [2 if argv[0] == "sample" else 0]


def test_the_light_check_sees_a_heavy_import(tmp_path):
    """Negative control: a command that runs the engine does load Numba."""
    proc = _python(LIGHT_CODE.format(argv=[["prune", "missing.npy"]], heavy=HEAVY), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["heavy"] == []  # a missing file stops before numba
    proc = _python("import sys, sgdtails as st; st.sample_sas(1.5, 3, seed=0); print('numba' in sys.modules)", tmp_path)
    assert proc.stdout.strip() == "True"


FACADE_CODE = """
import json, sys
import sgdtails as st
light = [m for m in {heavy!r} if m in sys.modules]
names = list(st.__all__)
missing = [n for n in names if getattr(st, n, None) is None]
print(json.dumps({{"light": light, "names": names, "missing": missing, "version": st.__version__}}))
"""


def test_facade_is_curated_lazy_and_complete(tmp_path):
    proc = _python(FACADE_CODE.format(heavy=HEAVY), tmp_path)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["light"] == []  # import sgdtails alone loads no engine
    assert seen["missing"] == []  # every advertised name resolves
    assert {"sample_sas", "sample_weights", "min_kappa", "pruning_ratio", "tail_index", "check_theorem1",
            "RunOptions", "STRUCTURES", "SCHEMES", "__version__", "CITATION"} <= set(seen["names"])
    assert seen["version"] == version("sgdtails") == sgdtails.__version__
    assert sgdtails.sample_sas is sgdtails.simulator.sample_sas
    assert set(dir(sgdtails)) == set(sgdtails.__all__)
    assert sgdtails.STRUCTURES == ("iid", "column", "layer") and sgdtails.SCHEMES == ("magnitude", "singular", "nodes")


def test_every_subpackage_lists_resolvable_names():
    for sub in ("simulator", "theory", "realnets", "figures"):
        module = __import__(f"sgdtails.{sub}", fromlist=["_"])
        assert module.__all__ and all(getattr(module, name) is not None for name in module.__all__), sub
    with pytest.raises(AttributeError):
        sgdtails.simulator.no_such_name  # noqa: B018


def test_numba_cache_never_lands_inside_the_package(tmp_path):
    cache = tmp_path / "user-cache"
    code = ("import sgdtails as st\nst.sample_sas(1.5, 10, seed=0)\nst.min_kappa(st.sample_sas(1.3, 50, seed=1), 0.1)\n"
            "from sgdtails.simulator import _jit\nprint(_jit.cache_folder())")
    proc = _python(code, tmp_path, XDG_CACHE_HOME=str(cache))
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).is_relative_to(cache)
    assert list(cache.rglob("*.nbi")), "the kernels were not cached in the user cache folder"
    inside = [p for sub in SUBPACKAGES for p in _package_dir(sub).rglob("*.nb[ic]")]
    assert inside == [], inside


def test_installed_distribution_is_the_one_imported():
    from importlib.metadata import distribution

    dist = distribution("sgdtails")
    assert dist.metadata["Name"] == "sgdtails" and dist.version == sgdtails.__version__
    assert dist.entry_points.select(group="console_scripts", name="sgdtails")
    assert Path(sgdtails.__file__).name == "__init__.py" and (Path(sgdtails.__file__).parent / "py.typed").is_file()


def test_a_kernel_cache_entry_goes_stale_when_a_sibling_module_changes(tmp_path):
    # Kernels inline helpers from sibling modules (Philox, sin/cos, log/exp); Numba alone would
    # keep a cached kernel whose inlined helper changed. The stamp covers the whole folder.
    from sgdtails.simulator import _jit

    (tmp_path / "kernel.py").write_text("x = 1\n")
    (tmp_path / "helper.py").write_text("y = 1\n")
    before = _jit._folder_stamp(str(tmp_path / "kernel.py"))
    (tmp_path / "helper.py").write_text("y = 2  # changed\n")
    assert _jit._folder_stamp(str(tmp_path / "kernel.py")) != before
    (tmp_path / "notes.txt").write_text("not source")
    names = [os.path.relpath(path, tmp_path) for path, _ in _jit._folder_stamp(str(tmp_path / "kernel.py"))]
    assert names[:2] == ["helper.py", "kernel.py"]
    assert os.path.join(os.pardir, "_philox.py") not in names  # tmp_path is not the engine's folder …
    assert any(path.endswith("_explog.py") for path in names)  # … whose helpers are stamped as well


TWINS = """import numba
from sgdtails.simulator._jit import jit


def _total(x):
    s = 0.0
    for i in numba.prange(x.shape[0]):
        s += x[i]
    return s


serial = jit(_total)
parallel = jit(parallel=True)(_total)
"""
_RUN_TWIN = """import numba, numpy as np, twins
kernel = twins.{which}
assert kernel(np.ones(5000)) == 5000.0
try:
    layer = numba.threading_layer()
except ValueError:  # no parallel code ran in this process
    layer = None
print(len(kernel.stats.cache_hits), layer is not None)
"""


@pytest.mark.parametrize(("first", "then"), [("parallel", "serial"), ("serial", "parallel")])
def test_serial_and_parallel_twins_never_load_each_others_cached_code(tmp_path, first, then):
    # Numba names a cache entry by qualname and keys it by signature, not by parallel=True: the
    # twin compiled second used to load the first one's code (a cache hit) in a fresh process.
    (tmp_path / "twins.py").write_text(TWINS)
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(tmp_path)}
    runs = []
    for which in (first, then, then):
        proc = subprocess.run([sys.executable, "-c", _RUN_TWIN.format(which=which)], cwd=tmp_path,
                              env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        runs.append(proc.stdout.split())
    then_parallel = then == "parallel"
    assert runs[0] == ["0", str(not then_parallel)]  # the first twin compiled (a miss) and cached
    assert runs[1] == ["0", str(then_parallel)]  # the second is a miss too: it has its own entry …
    assert runs[2] == ["1", str(then_parallel)]  # … which its next process loads


def test_every_engine_kernel_pair_has_two_cache_entries():
    from sgdtails.simulator import _select, elliptical, stable

    pairs = [stable._SAS_KERNELS, stable._POSITIVE_KERNELS, elliptical._NORMAL_KERNELS,
             (_select._histogram_serial, _select.histogram), (_select._histogram_window_serial, _select.histogram_window),
             (_select._gather_serial, _select.gather), (_select._abs_max_serial, _select._abs_max_parallel)]
    for serial, parallel in pairs:
        assert not serial.targetoptions.get("parallel") and parallel.targetoptions.get("parallel")
        assert serial._cache._cache_file._index_path != parallel._cache._cache_file._index_path
