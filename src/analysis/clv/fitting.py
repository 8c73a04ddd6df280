"""Several count models fitted side by side, each on its own: one that cannot be fitted is named.

The CLV report compares BG/NBD, Pareto/NBD and MBG/NBD on the same summary.
A model that cannot be fitted on a log (its data are degenerate for it, or its
optimiser does not converge) must not take the others down with it:
:func:`fit_models` fits each, keeps those that fit and says why the others did
not. The model of the per-customer views is the valuation's
(:mod:`.choice`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from ..errors import NotComputable
from ..models.convergence import ConvergenceError

__all__ = ["fit_models", "not_fitted_note", "refit_note"]


def fit_models(
    factories: Mapping[str, Callable[[], object]], summary: pd.DataFrame
) -> tuple[dict[str, object], dict[str, str]]:
    """Fit every model of ``factories`` on ``summary``, each on its own.

    Parameters
    ----------
    factories : mapping of str to callable
        Display name -> a model class (or any callable returning an unfitted
        model with ``fit(summary)``).
    summary : DataFrame
        :func:`analysis.rfm.summarize`.

    Returns
    -------
    (fitted, not_fitted)
        The fitted models by name, in the order given, and for each model that
        could not be fitted (a ``ConvergenceError``, ``DegenerateDataError``
        included, or :class:`~analysis.errors.NotComputable`) its reason.

    Raises
    ------
    NotComputable
        When no model could be fitted, with every model's reason.
    """
    fitted, not_fitted = {}, {}
    for name, make in factories.items():
        try:
            fitted[name] = make().fit(summary)
        except (ConvergenceError, NotComputable) as err:  # DegenerateDataError included
            not_fitted[name] = str(err).strip().rstrip(".")
    if not fitted:
        reasons = "; ".join(f"{name}: {why}" for name, why in not_fitted.items())
        raise NotComputable(f"none of the models could be fitted on this log ({reasons})")
    return fitted, not_fitted


def not_fitted_note(not_fitted: Mapping[str, str], fitted: Mapping[str, object]) -> str:
    """Markdown: which models could not be fitted and why, and which the report goes on with.

    Empty when every model was fitted.
    """
    if not not_fitted:
        return ""
    names = list(not_fitted)
    lines = [
        f"**Not fitted on this log: {' and '.join(names) if len(names) < 3 else ', '.join(names)}.** "
        f"The report goes on with {', '.join(fitted)}."
    ]
    lines += [f"- {name}: {why}." for name, why in not_fitted.items()]
    return "\n".join(lines)


def refit_note(fitted: Mapping[str, object], spend: Mapping[str, object], chosen: str) -> str:
    """One sentence: the models fitted again on the whole log, and the one the views use."""
    names = [*fitted, *spend]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Fitted again on the whole log: {listed}. The per-customer views use {chosen}."
