"""A cell function whose module imports PyTorch (like the real-network sweep's), for the runner tests."""
from __future__ import annotations

import numpy as np
import torch


def torch_threads_cell(cfg: dict, seed: np.random.SeedSequence) -> dict:
    """The size of PyTorch's intra-op thread pool inside the cell."""
    return {"torch_threads": torch.get_num_threads()}
