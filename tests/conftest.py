"""Shared test settings: a deterministic hypothesis profile (no deadline: Numba compiles on first call)."""
from hypothesis import HealthCheck, settings

settings.register_profile(
    "sgdtails",
    deadline=None,
    derandomize=True,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("sgdtails")
