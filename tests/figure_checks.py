"""A check shared by the figure tests (the others live in sgdtails.figures._common)."""
from matplotlib.figure import Figure

from sgdtails.figures._common import text_overlaps, too_little_notes


def says_too_little(fig: Figure) -> bool:
    """The figure shows one visible "too little data" note per reason, clear of every other text."""
    notes = too_little_notes(fig)
    return len(notes) > 0 and len(notes) == len(set(notes)) and text_overlaps(fig) == []


def readability(fig: Figure) -> dict[str, list]:
    """Every layout defect the figure tests look for; all lists empty for a readable figure."""
    from sgdtails.figures._common import boxes_over_data, small_text, text_outside

    return {"overlapping text": text_overlaps(fig), "text under 8 pt": small_text(fig),
            "text cut off": text_outside(fig), "boxes over data": boxes_over_data(fig)}


READABLE = {"overlapping text": [], "text under 8 pt": [], "text cut off": [], "boxes over data": []}


def png_from_table_and_csv(plot, table, tmp_path, name: str, dpi: int = 80) -> tuple[bytes, bytes]:
    """PNG bytes of ``plot(table)`` and of ``plot(pandas.read_csv(csv of table))`` (fresh figures each)."""
    import pandas

    from sgdtails.figures._common import save_figure
    from sgdtails.simulator.records import csv_text

    path = tmp_path / f"{name}.csv"
    path.write_text(csv_text(table))
    out = []
    for t in (table, pandas.read_csv(path)):  # fresh figures: constrained layout moves axes by sub-pixels on a redraw
        save_figure(plot(t), tmp_path / "f.png", fmt="png", dpi=dpi)
        out.append((tmp_path / "f.png").read_bytes())
    return out[0], out[1]
