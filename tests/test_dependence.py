"""Section 3.3 check: Theorem 3 holds on column matrices; all three statements fail on layer."""
import pytest

from sgdtails.theory.dependence import EXPECTED, check_dependence


def test_section_3_3_claims():
    res = check_dependence(0.8, p=2.0, sizes=(32, 64, 128, 256, 512), trials=30, seed=0)
    verdicts = {(st, sc): r.verdict for st, sc, _, r in res.parts}
    assert verdicts[("theorem3", "column")] == "holds"
    assert [verdicts[(st, "layer")] for st in ("theorem1", "theorem2", "theorem3")] == ["fails"] * 3
    assert res.verdict == "holds"
    assert [(r["label"], r["expected"]) for r in res.summary_rows()][:3] == [
        ("theorem1 on column", None), ("theorem2 on column", None), ("theorem3 on column", "holds")]
    assert {r["structure"] for r in res.to_rows()} == {"column", "layer"}
    assert set(EXPECTED) <= set(verdicts)


def test_no_claim_run_is_inconclusive():
    res = check_dependence(0.8, sizes=(16, 32), trials=3, structures=("iid",), seed=0)
    assert res.verdict == "inconclusive"
    assert all(ex is None for _, _, ex, _ in res.parts)


@pytest.mark.parametrize("kwargs", [dict(structures=()), dict(structures=("rows",)), dict(sizes=(16,))])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        check_dependence(1.0, trials=2, **{"sizes": (16, 32), **kwargs})
