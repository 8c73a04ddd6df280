"""What a fit reports about its optimisation: the result record, the errors and the boundary warning."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BoundaryFitWarning", "Convergence", "ConvergenceError", "DegenerateDataError"]


class ConvergenceError(RuntimeError):
    """The optimiser did not find a maximum; the message says what to try."""


class DegenerateDataError(ConvergenceError):
    """The data cannot identify the model (seen in the data before any optimisation).

    For example no customer ever made a repeat purchase (BG/NBD), nobody
    churned (sBG) or every customer's mean spend is identical (Gamma-Gamma).
    A subclass of :class:`ConvergenceError`, because the optimiser would
    otherwise wander towards a bound; the message says what the data lack.
    """


class BoundaryFitWarning(UserWarning):
    """A fit ended at the edge of the parameter space or with parameters the data do not identify.

    The estimates may still be the maximum likelihood (a boundary optimum,
    e.g. no dropout detected, where BG/NBD reduces to the NBD), but some
    parameters have no finite standard error and predictions that depend on
    them (P(alive), CLV) inherit that. ``model.boundary`` lists the
    parameters and ``model.summary()`` marks them.
    """


@dataclass(frozen=True)
class Convergence:
    """The optimiser's report for one fit."""

    success: bool
    message: str
    iterations: int
    function_evaluations: int
    gradient_norm: float
    at_bound: tuple[str, ...]
    #: parameters at a bound or without a finite standard error (see BaseModel.boundary)
    not_identified: tuple[str, ...] = ()

    def __str__(self) -> str:  # pragma: no cover - display only
        state = "converged" if self.success else "NOT converged"
        bound = f"; at bound: {', '.join(self.at_bound)}" if self.at_bound else ""
        if self.not_identified:
            bound += f"; not identified: {', '.join(self.not_identified)}"
        return (
            f"{state} after {self.iterations} iterations ({self.function_evaluations} evaluations), "
            f"|gradient| = {self.gradient_norm:.2e}: {self.message}{bound}"
        )
