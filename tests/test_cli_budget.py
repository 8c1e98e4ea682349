"""``sgdtails.simulator.budget``: the estimates behind the command line's up-front refusals."""
import pytest

from sgdtails.simulator import budget
from sgdtails.theory.suite import SUITE, suite_arguments

GIB = 2**30


def test_formats():
    assert budget.format_bytes(512) == "512 bytes"
    assert budget.format_bytes(8 * 10**12) == "7.28 TiB"
    assert budget.format_bytes(125 * GIB) == "125 GiB"
    assert budget.format_seconds(30) == "30 s"
    assert budget.format_seconds(86400) == "24 h"
    assert budget.format_seconds(41 * 86400) == "41 days"
    assert budget.format_seconds(3e9).endswith("years")


def test_machine():
    ram = budget.machine_memory()
    assert ram is None or (isinstance(ram, int) and ram > 2**26)
    assert budget.machine_cores() >= 1


def test_sample_of_the_issue_is_refused_on_memory():
    est = budget.sample_estimate((10**6, 10**6), 8)
    assert est.memory == 3 * 8 * 10**12
    why = budget.refusal(est, memory=125 * GIB, cores=16)
    assert why == "the 7.28 TiB array needs about 21.8 TiB of memory, this machine has 125 GiB"
    assert budget.refusal(budget.sample_estimate((500, 500)), memory=125 * GIB, cores=16) is None
    assert budget.refusal(est, memory=None, cores=16) is None  # unknown RAM: no memory refusal (time: 1.4e4 s / 16)


def test_time_refusal_uses_the_cores_and_the_limit():
    est = budget.Estimate("job", 0, 3 * 86400.0)
    assert budget.refusal(est, memory=GIB, cores=4) == "job would take about 3 days on 1 core of this machine (limit 24 h)"
    assert budget.refusal(est, processes=4, memory=GIB, cores=4) is None  # 18 h on 4 processes
    assert budget.refusal(est, processes=None, memory=GIB, cores=2) is not None  # 36 h on 2
    assert budget.refusal(est, remote=True, memory=GIB, cores=1) is None  # a Dask cluster's time is not ours
    threaded = budget.Estimate("job", 0, 3 * 86400.0, threads=True)
    assert budget.refusal(threaded, memory=GIB, cores=4) is None


def test_cell_memory_counts_once_per_process_and_parent_always():
    est = budget.Estimate("grid", GIB, 1.0, parent=GIB // 2)
    assert budget.refusal(est, processes=1, memory=2 * GIB, cores=8) is None
    assert "needs about 4.5 GiB" in budget.refusal(est, processes=4, memory=2 * GIB, cores=8)
    assert budget.refusal(est, processes=4, remote=True, memory=2 * GIB, cores=8) is None


def test_checks_of_the_issue():
    ram, cores = 125 * GIB, 16
    trials = budget.check_estimate("theorem1", {"trials": 10**9})
    assert "needs about" in budget.refusal(trials, memory=ram, cores=cores)
    huge = budget.check_estimate("theorem1", {"sizes": (100, 10**12)})
    assert huge.memory == budget.STREAM_BYTES  # streamed: memory-bounded …
    assert "would take about" in budget.refusal(huge, memory=ram, cores=cores)  # … time-unbounded
    assert budget.streamed_min_kappa_estimate(1.5, 10**12).seconds == pytest.approx(10**12 * budget.NS_STREAMED * 1e-9)
    assert "would take" in budget.refusal(budget.required_size_estimate("theorem1", 10**12, 50), memory=ram, cores=cores)
    assert "needs about" in budget.refusal(budget.prop_s1_estimate(10**12, 100), memory=ram, cores=cores)
    assert budget.refusal(budget.inequalities_estimate(10**9), memory=ram, cores=cores) is not None


def test_ordinary_requests_are_not_refused_on_a_small_machine():
    small = dict(memory=4 * GIB, cores=2)
    for name in ("theorem1", "theorem2", "theorem3", "dependence", "prop-s1"):
        assert budget.refusal(budget.check_estimate(name, {}), **small) is None, name
    for quick in (False, True):
        est = budget.suite_estimate([(c.check, suite_arguments(c, quick=quick, seed=0)) for c in SUITE])
        assert 1.0 < est.seconds < 3600.0 and budget.refusal(est, **small) is None
    for theorem in ("theorem1", "theorem2", "theorem3"):
        assert budget.refusal(budget.required_size_estimate(theorem, None, 50), **small) is None
    assert budget.refusal(budget.loaded_array_estimate((2000, 2000), 8, "prune", "singular"), **small) is None
    assert budget.refusal(budget.inequalities_estimate(200), **small) is None


def test_estimates_grow_with_the_request():
    t2 = [budget.theorem2_estimate((h, 2 * h), 10) for h in (64, 128)]
    assert t2[1].seconds > 3 * t2[0].seconds and t2[1].memory == 4 * t2[0].memory
    layers = budget.check_estimate("theorem1", {"alpha": (1.1, 1.3), "scope": "layer"})
    one = budget.check_estimate("theorem1", {"alpha": 1.1})
    assert layers.seconds == pytest.approx(2 * one.seconds) and layers.parent == 2 * one.parent
    assert budget.check_estimate("theorem1", {"sizes": "not a grid"}).seconds == 0.0  # the check reports it
    with pytest.raises(ValueError, match="name must be one of"):
        budget.check_estimate("theorem9", {})
