"""figures: the paper's synthetic figures (see README.md)."""
