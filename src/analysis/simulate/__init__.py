"""Synthetic transaction logs with known truth (parameters, per-customer latent values, stages).

Every simulator takes a ``seed`` (for ``np.random.default_rng``) and returns
the log together with the truth, so models and classifiers can be checked
against what generated the data.
"""

__all__: list[str] = []

from .discrete import Simulation, simulate_bgbb, simulate_gamma_gamma, simulate_sbg  # noqa: E402

__all__ += ["Simulation", "simulate_bgbb", "simulate_gamma_gamma", "simulate_sbg"]

from .btyd import BTYDSimulation, simulate_bgnbd, simulate_mbgnbd, simulate_paretonbd  # noqa: E402

__all__ += ["BTYDSimulation", "simulate_bgnbd", "simulate_mbgnbd", "simulate_paretonbd"]

from .lifecycle import SimulatedLifecycle, simulate_lifecycle  # noqa: E402

__all__ += ["SimulatedLifecycle", "simulate_lifecycle"]
