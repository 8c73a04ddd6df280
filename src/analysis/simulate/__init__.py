"""Synthetic transaction logs with known truth (parameters, per-customer latent values, stages).

Every simulator takes a ``seed`` (for ``np.random.default_rng``) and returns
the log together with the truth, so models and classifiers can be checked
against what generated the data.
"""

__all__: list[str] = []
