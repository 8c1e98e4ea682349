r"""Estimates of the peak memory and the time of a request, before any work is done.

The command line asks these functions whether a request can finish on this machine and refuses,
up front and in one line, one that cannot (:func:`refusal`): peak memory above the machine's RAM,
or more than :data:`MAX_SECONDS` of wall time on its cores. They are estimates of the order of
magnitude (a factor of two either way), good for telling "minutes" from "months" and "fits" from
"7 TiB", not for scheduling. Nothing here imports the engine.

Costs. Times come from per-value costs measured on one core of the development machine (AMD EPYC,
2 cores, NumPy 2.4 with OpenBLAS pinned to one thread, Numba to one thread), best of three:

=========================================  ==========================================
:data:`NS_SAMPLE` = 14.5 ns                 one SαS value, i.i.d. (10.5 at α ∈ {1, 2})
:data:`NS_SAMPLE_STRUCTURED` = 5.2 ns       one entry of a ``column`` / ``layer`` matrix
:data:`NS_SELECT` = 5.0 ns                  one value through ``magnitude_error`` / ``min_kappa`` (p = 2; 7.8 at p = 1)
:data:`NS_STREAMED` = 20.5 ns               one value of a streamed vector (sampled and selected, d ≥ 2·10⁷)
:data:`NS_GRAM` = 0.05 ns                   per multiply-add of Wᵀ·W and per n³ of ``eigvalsh`` (Theorem 2)
:data:`NS_NODE` = 20 ns                     one entry of a Theorem 3 matrix (sampled, column norms)
:data:`NS_TAIL` = 44 ns                     one value through ``tail_index`` (MMO)
:data:`S_CELL` = 250 µs                     fixed cost of one Monte-Carlo cell (seeding, thread pinning)
=========================================  ==========================================

Memory: an array of n values of itemsize b takes n·b bytes; ``sample`` holds it three times while
writing it (the array, the ``.npy`` buffer, the bytes written); a pruning or tail-index run on a
loaded array holds it plus two float64 copies; a Theorem 2 cell 8·(2·rows·cols + min²) bytes, a
Theorem 3 cell 24·rows·cols, an in-memory Theorem 1 cell 10 bytes per entry; a streamed vector one
chunk and its selection window (about :data:`STREAM_BYTES`, measured 80–100 MB up to d = 6·10⁷ —
bounded in memory, unbounded in time); a check keeps :data:`BYTES_PER_CELL` per cell in the parent.

Machine: the RAM is the physical memory (``os.sysconf('SC_PHYS_PAGES')``, else
``/proc/meminfo``), lowered to a cgroup v2/v1 memory limit when one is set; unknown RAM refuses
nothing on memory. The cores are those this process may run on (``os.sched_getaffinity``).
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "MAX_SECONDS",
    "Estimate",
    "check_estimate",
    "format_bytes",
    "format_seconds",
    "inequalities_estimate",
    "loaded_array_estimate",
    "machine_cores",
    "machine_memory",
    "prop_s1_estimate",
    "refusal",
    "required_size_estimate",
    "sample_estimate",
    "streamed_min_kappa_estimate",
    "suite_estimate",
    "theorem1_estimate",
    "theorem2_estimate",
    "theorem3_estimate",
]

NS = 1e-9
NS_SAMPLE = 14.5
NS_SAMPLE_STRUCTURED = 5.2
NS_SELECT = 5.0
NS_STREAMED = 20.5
NS_GRAM = 0.05
NS_NODE = 20.0
NS_TAIL = 44.0
NS_INSTANCE = 1.5e6
"""One random instance of ``check_inequalities`` (every inequality): 1.4–1.8 ms measured."""
S_CELL = 250e-6
BYTES_PER_CELL = 200
"""Bookkeeping a check keeps per Monte-Carlo cell in the parent process (result row, seed key)."""
STREAM_MIN = 2 * 10**7
"""As :data:`sgdtails.theory.theorem1.STREAM_MIN`: i.i.d. layers from this size on are streamed."""
STREAM_BYTES = 128 * 2**20
MAX_SECONDS = 24 * 3600.0
"""Longest estimated wall time accepted without ``--force``."""


@dataclass(frozen=True)
class Estimate:
    """Peak memory and time of one request.

    Attributes
    ----------
    what : str
        What is estimated, for the message ("the array", "check theorem1").
    memory : int
        Peak bytes held at once in one process (one cell of a grid, or the parent's bookkeeping).
    seconds : float
        Total compute time on one core.
    threads : bool
        Whether one process spreads the work over every core (the samplers' Numba threads); else
        it runs on one core per process (the cells of a grid pin one thread each).
    parent : int
        Bytes the parent process keeps for the whole run (a grid's per-cell records).
    """

    what: str
    memory: int
    seconds: float
    threads: bool = False
    parent: int = 0

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate(self.what, max(self.memory, other.memory), self.seconds + other.seconds,
                        self.threads and other.threads, self.parent + other.parent)


def format_bytes(n: float) -> str:
    """``7.3 TiB``-style size (binary units)."""
    units = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    x, i = float(n), 0
    while x >= 1024.0 and i < len(units) - 1:
        x, i = x / 1024.0, i + 1
    return f"{int(x)} bytes" if i == 0 else f"{x:.3g} {units[i]}"


def format_seconds(s: float) -> str:
    """``3.2 h``, ``41 days``, ``2.1e+04 years``-style duration."""
    for unit, length in (("years", 365.25 * 86400), ("days", 2 * 86400.0), ("h", 3600.0), ("min", 60.0)):
        if unit == "days" and s >= length:
            return f"{s / 86400.0:.3g} days"
        if s >= length:
            return f"{s / length:.3g} {unit}"
    return f"{s:.3g} s"


def _cgroup_limit() -> int | None:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:
            return int(text)
    return None


def machine_memory() -> int | None:
    """Bytes of RAM this process can use: physical memory, capped by a cgroup limit; None if unknown."""
    total = None
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        try:
            with open("/proc/meminfo") as fh:
                for line in fh:
                    if line.startswith("MemTotal:"):
                        total = int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            total = None
    if total is not None and total <= 0:
        total = None
    limit = _cgroup_limit()
    if limit is not None:
        total = limit if total is None else min(total, limit)
    return total


def machine_cores() -> int:
    """Cores this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _prod(shape: Iterable[int]) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def sample_estimate(shape: Sequence[int], itemsize: int = 8, structure: str = "iid") -> Estimate:
    """``sample --shape …``: the array of ``prod(shape)`` values of ``itemsize`` bytes, held three times.

    Parameters
    ----------
    shape : sequence of int
        Array shape (Python ints: no overflow however large).
    itemsize : int
        Bytes per value (8: float64, 4: float32).
    structure : {"iid", "column", "layer"}
        The weight structure (Section 3.3): i.i.d. SαS values cost :data:`NS_SAMPLE` each, the
        elliptical ones :data:`NS_SAMPLE_STRUCTURED`.
    """
    n = _prod(shape)
    ns = NS_SAMPLE if structure == "iid" else NS_SAMPLE_STRUCTURED
    return Estimate(f"the {format_bytes(n * itemsize)} array", 3 * n * itemsize, n * ns * NS, threads=True)


def loaded_array_estimate(shape: Sequence[int], itemsize: int, command: str = "prune", scheme: str = "magnitude") -> Estimate:
    """``prune`` / ``tail-index`` on a ``.npy`` array: the array plus two float64 working copies.

    The singular-value scheme adds an SVD of the matrix, O(m·n·min(m, n)) (:data:`NS_GRAM` per unit).
    """
    n = _prod(shape)
    dims = [int(s) for s in shape]
    seconds = n * (NS_TAIL if command == "tail-index" else NS_SELECT) * NS
    if command == "prune" and scheme == "singular" and len(dims) >= 2:
        seconds += NS_GRAM * NS * n * min(dims[-2:])
    return Estimate(f"{command} on the {format_bytes(n * itemsize)} array", n * itemsize + 16 * n, seconds)


def _cells(trials: int, n_cases: int, per_cell: float, memory: int, what: str) -> Estimate:
    cells = int(trials) * int(n_cases)
    return Estimate(what, memory, cells * (per_cell + S_CELL), False, cells * BYTES_PER_CELL)


def _theorem1_cell(d: int, structure: str) -> tuple[float, int]:
    if structure == "iid" and d >= STREAM_MIN:
        return d * NS_STREAMED * NS, STREAM_BYTES
    ns = NS_SAMPLE if structure == "iid" else NS_SAMPLE_STRUCTURED
    return d * (ns + NS_SELECT) * NS, 11 * d


def theorem1_estimate(sizes: Sequence[int] | Sequence[Sequence[int]], trials: int, *, n_layers: int = 1,
                      scope: str = "global", structure: str = "iid") -> Estimate:
    """:func:`sgdtails.theory.check_theorem1`: ``trials`` cells per size; a layer of d ≥ 2·10⁷ i.i.d. entries streams.

    Parameters
    ----------
    sizes : sequence
        Grid of layer sizes d (ints, or one per layer).
    trials : int
        Samples per size.
    n_layers : int
        Number of layers (one α each).
    scope, structure : str
        As in :func:`~sgdtails.theory.check_theorem1`; a global run over several layers holds them all.
    """
    costs = []
    for s in sizes:
        row = [int(v) for v in s] if isinstance(s, Sequence) else [int(s)] * n_layers
        if scope == "layer" or len(row) == 1:
            costs += [_theorem1_cell(d, structure) for d in row]
        else:  # the layers concatenated, in memory
            ns = NS_SAMPLE if structure == "iid" else NS_SAMPLE_STRUCTURED
            costs.append((sum(row) * (ns + NS_SELECT) * NS, 11 * sum(row)))
    n = len(costs)
    per = sum(t for t, _ in costs) / max(n, 1)
    memory = max((m for _, m in costs), default=0)
    return _cells(trials, n, per, memory, "check theorem1")


def _theorem2_cell(rows: int, cols: int) -> tuple[float, int]:
    lo = min(rows, cols)
    t = rows * cols * NS_SAMPLE * NS + NS_GRAM * NS * (rows * cols * lo + lo**3)
    return t, 8 * (2 * rows * cols + lo * lo)


def theorem2_estimate(sizes: Sequence[int], trials: int, *, aspects: Sequence[int] = (1, 2),
                      tall: Sequence[int] = (), columns: int | None = None) -> Estimate:
    """:func:`sgdtails.theory.check_theorem2`: per h, one cell per shape h × a·h, a·h × h and h × columns."""
    shapes = []
    for h in sizes:
        h = int(h)
        shapes += [(h, int(a) * h) for a in aspects] + [(int(a) * h, h) for a in tall]
        if columns is not None:
            shapes.append((h, int(columns)))
    costs = [_theorem2_cell(r, c) for r, c in shapes]
    seconds = sum(t for t, _ in costs)
    memory = max((m for _, m in costs), default=0)
    return _cells(trials, len(shapes), seconds / max(len(shapes), 1), memory, "check theorem2")


def theorem3_estimate(sizes: Sequence[int], trials: int, *, rows: int | None = None) -> Estimate:
    """:func:`sgdtails.theory.check_theorem3`: one (rows or h) × h matrix per size and trial."""
    ents = [(int(rows) if rows else int(h)) * int(h) for h in sizes]
    per = sum(ents) * NS_NODE * NS / max(len(ents), 1)
    return _cells(trials, len(ents), per, 24 * max(ents, default=0), "check theorem3")


def dependence_estimate(sizes: Sequence[int], trials: int, *, structures: Sequence[str] = ("column", "layer")) -> Estimate:
    """:func:`sgdtails.theory.check_dependence`: Theorems 1–3 on h × h matrices, per structure."""
    est = Estimate("check dependence", 0, 0.0)
    for _ in structures:
        est = est + theorem1_estimate([int(h) ** 2 for h in sizes], trials, structure="column")
        est = est + theorem2_estimate(sizes, trials, aspects=(1,)) + theorem3_estimate(sizes, trials)
    return Estimate("check dependence", est.memory, est.seconds, False, est.parent)


def prop_s1_estimate(d: int, trials: int, n_alphas: int = 3) -> Estimate:
    """:func:`sgdtails.theory.check_proposition_s1`: ``trials`` vectors of d values per α, in memory."""
    per = int(d) * (NS_SAMPLE + 2 * NS_SELECT) * NS
    return _cells(trials, n_alphas, per, 11 * int(d), "check prop-s1")


def inequalities_estimate(instances: int) -> Estimate:
    """``check bounds``: every inequality on ``instances`` random instances (small networks)."""
    return Estimate("check bounds", 2**20, int(instances) * NS_INSTANCE * NS)


def streamed_min_kappa_estimate(alpha: float, d: int) -> Estimate:
    """:func:`sgdtails.simulator.streamed_min_kappa` of d values: bounded memory, time linear in d.

    ``alpha`` does not change the cost beyond the sampler's few per cent; it is kept for the
    signature's symmetry with the function estimated.
    """
    del alpha
    return Estimate("streamed_min_kappa", STREAM_BYTES, int(d) * NS_STREAMED * NS, threads=True)


_SIZE_START = {"theorem1": 100, "theorem2": 16, "theorem3": 16}
_SIZE_MAX = {"theorem1": 10**7, "theorem2": 512, "theorem3": 2048}


def required_size_estimate(theorem: str, max_measured: int | None, trials: int) -> Estimate:
    """:func:`sgdtails.theory.required_size`, worst case: every doubled size up to ``max_measured``.

    The search stops at the first size that reaches the level, so the run is often much shorter;
    the bisection after it adds at most the cost of the sizes below.
    """
    top = _SIZE_MAX[theorem] if max_measured is None else int(max_measured)
    s, grid = _SIZE_START[theorem], []
    while True:
        grid.append(s)
        if s >= top:
            break
        s = min(2 * s, top)
    if theorem == "theorem1":
        est = theorem1_estimate(grid, trials)
    elif theorem == "theorem2":
        est = theorem2_estimate(grid, trials, aspects=(1,))
    else:
        est = theorem3_estimate(grid, trials)
    return Estimate(f"size {theorem} (every size up to {top})", est.memory, est.seconds, False, est.parent)


def _defaults(name: str) -> dict:
    return {"theorem1": dict(sizes=(10**3, 10**4, 10**5, 10**6), trials=20, scope="global", structure="iid"),
            "theorem2": dict(sizes=(32, 64, 128, 256, 512), trials=30, aspects=(1, 2), tall=(), columns=None),
            "theorem3": dict(sizes=(64, 128, 256, 512, 1024, 2048), trials=30, rows=None),
            "dependence": dict(sizes=(32, 64, 128, 256, 512, 1024), trials=30, structures=("column", "layer")),
            "prop-s1": dict(d=10**4, trials=100, alphas=(1.2, 1.5, 1.8))}[name]


def check_estimate(name: str, kwargs: dict) -> Estimate:
    """One Monte-Carlo check of :mod:`sgdtails.theory` (``check theorem1`` …) with its keyword arguments.

    Arguments not given take the check's defaults; arguments of the wrong type (the check itself
    reports them) give an estimate of zero.
    """
    if name not in ("theorem1", "theorem2", "theorem3", "dependence", "prop-s1"):
        raise ValueError(f"name must be one of theorem1, theorem2, theorem3, dependence, prop-s1, got {name!r}")
    kw = {**_defaults(name), **{k: v for k, v in kwargs.items() if v is not None}}
    try:
        if name == "theorem1":
            alpha = kw.get("alpha", 1.0)
            n_layers = len(alpha) if isinstance(alpha, Sequence) else 1
            return theorem1_estimate(kw["sizes"], kw["trials"], n_layers=n_layers, scope=kw["scope"],
                                     structure=kw["structure"])
        if name == "theorem2":
            return theorem2_estimate(kw["sizes"], kw["trials"], aspects=kw["aspects"], tall=kw["tall"],
                                     columns=kw["columns"])
        if name == "theorem3":
            return theorem3_estimate(kw["sizes"], kw["trials"], rows=kw["rows"])
        if name == "dependence":
            return dependence_estimate(kw["sizes"], kw["trials"], structures=kw["structures"])
        if name == "prop-s1":
            return prop_s1_estimate(kw["d"], kw["trials"], len(kw["alphas"]))
    except (TypeError, ValueError):
        pass
    return Estimate(f"check {name}", 0, 0.0)


def suite_estimate(cases: Iterable[tuple[str, dict]]) -> Estimate:
    """``check all``: the sum of its cases' estimates, given as (check name, keyword arguments)."""
    est = Estimate("check all", 0, 0.0)
    for name, kwargs in cases:
        est = est + check_estimate(name, kwargs)
    return Estimate("check all", est.memory, est.seconds, False, est.parent)


def refusal(est: Estimate, *, processes: int | None = 1, remote: bool = False, memory: int | None = -1,
            cores: int | None = None, max_seconds: float = MAX_SECONDS) -> str | None:
    """Why ``est`` cannot finish on this machine, in one clause, or None when it can.

    Parameters
    ----------
    est : Estimate
        The request.
    processes : int or None
        Local processes running its cells at once, each holding one cell's memory (1: in this
        process; None: one per core, ``--jobs auto``).
    remote : bool
        The cells run on a Dask cluster: only the parent's bookkeeping is held here, and the time
        is not this machine's.
    memory : int or None
        RAM in bytes (default: :func:`machine_memory`; None: unknown, no memory refusal).
    cores : int or None
        Usable cores (default: :func:`machine_cores`).
    max_seconds : float
        Longest wall time accepted.

    Returns
    -------
    str or None
        ``"<what> needs about 7.3 TiB of memory, this machine has 125 GiB"``, ``"<what> would take
        about 41 days on 2 cores of this machine (limit 24 h)"``, or None.
    """
    ram = machine_memory() if memory == -1 else memory
    ncores = machine_cores() if cores is None else max(1, int(cores))
    procs = ncores if processes is None else max(1, int(processes))
    need = est.parent + (0 if remote else est.memory * procs)
    if ram is not None and need > ram:
        return f"{est.what} needs about {format_bytes(need)} of memory, this machine has {format_bytes(ram)}"
    running = ncores if est.threads else min(procs, ncores)
    wall = est.seconds / running
    if not remote and wall > max_seconds:
        cpus = f"{running} core{'s' if running > 1 else ''}"
        return (f"{est.what} would take about {format_seconds(wall)} on {cpus} of this machine "
                f"(limit {format_seconds(max_seconds)})")
    return None
