"""Every figure rendered at its smallest config: PDF and PNG written, ≥ 8 pt text, no overlapping text.

Also: no text cut off at the figure's edge, and no legend or annotation box over data.

Item 7 of the figures issue: matplotlib's renderer gives each text artist's extent
(:func:`sgdtails.figures._common.text_overlaps`); a figure passes when no two visible texts
(titles, labels, tick labels, legend entries, annotations) overlap, at both paper widths, and
every text is at least :data:`~sgdtails.figures._common.MIN_FONT_PT` points.
"""
import pytest
from matplotlib.figure import Figure

from sgdtails.figures import convergence, figure_s1, figure_s4, figure_s5, pruning_study
from sgdtails.figures._common import boxes_over_data, paper_style, small_text, text_outside, text_overlaps
from sgdtails.figures.run import run_figure

SMALLEST = {
    "s1": (figure_s1, dict(n_alpha=6, size=30)),
    "pruning-study": (pruning_study, dict(width=8, depth=2, n_inputs=100, repetitions=2, alphas=(1.5, 2.0),
                                          pruning_ratios=(0.0, 0.5), device="cpu")),
    "s4": (figure_s4, dict(n_kappa=11)),
    "s5": (figure_s5, dict(n=200)),
    "convergence": (convergence, dict(alphas=(1.5,), sizes1=(10**2, 20**2, 30**2), sizes2=(8, 16, 24),
                                      sizes3=(8, 16, 24), trials=3, d0_alphas=(1.2, 1.8), d0_trials=4,
                                      d0_max=(400, 32, 32))),
}


@pytest.fixture(scope="module")
def tables():
    out = {}
    for name, (module, fields) in SMALLEST.items():
        config = module.config_for_scale("cpu", 0).__class__(**fields)
        out[name] = module.compute(config)
    return out


@pytest.mark.parametrize("width", ["single", "double"])
@pytest.mark.parametrize("name", list(SMALLEST))
def test_no_text_overlaps_and_readable_text(name, width, tables):
    module = SMALLEST[name][0]
    fig = module.plot(tables[name], width=width)
    assert isinstance(fig, Figure)
    assert fig.get_figwidth() == pytest.approx({"single": 3.5, "double": 7.0}[width])
    assert text_overlaps(fig) == []
    assert small_text(fig) == []
    assert text_outside(fig) == []
    assert boxes_over_data(fig) == []
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    assert not suptitle.startswith("Figure")


@pytest.mark.parametrize("name", list(SMALLEST))
def test_pdf_and_png_are_written(name, tmp_path):
    module, fields = SMALLEST[name]
    paths = run_figure(name, tmp_path, overrides=fields, formats=("pdf", "png"), dpi=80)
    assert paths["pdf"].read_bytes().startswith(b"%PDF")
    assert paths["png"].read_bytes().startswith(b"\x89PNG")
    assert paths["toml"].is_file() and paths["csv"].is_file() and paths["json"].is_file()


def test_the_overlap_check_catches_overlapping_text():
    # Negative control of the check itself: two texts at one place, and a 6 pt text.
    with paper_style():
        fig = Figure(figsize=(3.5, 2.5))
        ax = fig.subplots()
        ax.text(0.5, 0.5, "first label")
        ax.text(0.52, 0.5, "second label")
        ax.text(0.1, 0.1, "tiny", fontsize=6)
    assert text_overlaps(fig) == [("first label", "second label")]
    assert small_text(fig) == ["tiny"]
    ax.text(1.5, 0.5, "past the edge")
    assert text_outside(fig) == ["past the edge"]


def test_saving_a_figure_twice_gives_the_same_bytes(tables, tmp_path):
    # Constrained layout shifts axes by sub-pixels on every draw; save_figure freezes the layout at
    # the first save, so the PNG does not depend on how often the figure was drawn or saved before.
    from sgdtails.figures._common import save_figure

    fig = SMALLEST["s4"][0].plot(tables["s4"])
    first = save_figure(fig, tmp_path / "a.png", fmt="png", dpi=80).read_bytes()
    text_overlaps(fig)  # draws the figure once more
    assert save_figure(fig, tmp_path / "b.png", fmt="png", dpi=80).read_bytes() == first
