"""Synthetic transaction logs with known truth (parameters, per-customer latent values, stages).

Every simulator takes a ``seed`` (for ``np.random.default_rng``) and returns
one :class:`Simulation`: the data a firm would see (``transactions`` and/or
``summary``) together with the truth (``params``, per-customer ``truth`` and,
for the lifecycle simulator, the true ``stages``), so models and classifiers
can be checked against what generated the data.
"""

__all__: list[str] = []

from .result import Simulation  # noqa: E402

__all__ += ["Simulation"]

from .discrete import simulate_bgbb, simulate_gamma_gamma, simulate_sbg  # noqa: E402

__all__ += ["simulate_bgbb", "simulate_gamma_gamma", "simulate_sbg"]

from .btyd import simulate_bgnbd, simulate_mbgnbd, simulate_paretonbd  # noqa: E402

__all__ += ["simulate_bgnbd", "simulate_mbgnbd", "simulate_paretonbd"]

from .lifecycle import simulate_lifecycle  # noqa: E402

__all__ += ["simulate_lifecycle"]

from .hmm import simulate_poisson_hmm  # noqa: E402

__all__ += ["simulate_poisson_hmm"]
