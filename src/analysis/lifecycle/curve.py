"""The lifecycle curve: mean purchases, revenue and profit per customer along the relationship.

Read by relationship age (with the share of each stage at every age), or
aligned on the periods since the customer entered each stage, stages in
order -- the curve of ``docs/domain.md#lifecycle-curve``: low in exploration,
rising in formation, high and flat in stability, falling in decline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import NotComputable
from ..units import STAGES
from ..validate import require_columns
from .stages import assign_stages

__all__ = ["lifecycle_curve", "spend_per_purchase_by_stage"]


def lifecycle_curve(
    transactions: pd.DataFrame | None = None,
    period: str = "M",
    margin: float = 0.3,
    cost_per_purchase: float = 0.0,
    stages: pd.DataFrame | None = None,
    align: str = "age",
    max_periods: int = 6,
    min_customer_periods: int = 30,
    *,
    customers=None,
    reaching: str | None = None,
    **thresholds,
) -> pd.DataFrame:
    """Mean purchases, revenue and profit per customer along the relationship, with stage shares.

    Parameters
    ----------
    transactions : DataFrame, optional
        The log; classified with :func:`assign_stages` (``period``,
        ``**thresholds``) unless ``stages`` is given.
    period : str
        Length of a period.
    margin, cost_per_purchase : float
        Profit = margin x revenue - cost per purchase x purchases. CDNOW has no
        cost data: these are stated assumptions, not measurements.
    stages : DataFrame, optional
        Output of :func:`assign_stages`, to reuse.
    align : {"age", "stage"}
        ``"age"``: by relationship age (periods since the first purchase),
        over all customers observed at that age, with the share of each stage.
        ``"stage"``: the relationship as the lifecycle curve draws it -- customer-periods
        aligned on the period they entered each stage (0, 1, ... up to
        ``max_periods - 1`` periods into the stage, the last bucket holding
        the rest), stages in order, so the curve reads exploration, formation,
        stability, decline.
    max_periods : int
        With ``align="stage"``: periods shown per stage.
    min_customer_periods : int
        With ``align="stage"``: points resting on fewer customer-periods are
        left out (too noisy to draw).
    customers : sequence of customer ids, optional
        Only these customers' histories (a segment); all by default.
    reaching : str, optional
        Only the customers whose history reaches this stage in some period
        (``"stability"``: the relationships that form and settle, whose
        curve is the lifecycle model's rise, plateau and fall; the one-time
        buyers' first-purchase spike would flatten it in the whole base).
        :class:`~analysis.errors.NotComputable` when no customer reaches it.

    Returns
    -------
    DataFrame
        ``align="age"``: index ``age``; ``customers``, ``purchases``,
        ``revenue``, ``profit`` (means per customer) and ``share_<stage>``.
        ``align="stage"``: columns ``stage``, ``periods_in_stage``, ``label``
        (``"5+"`` for the last bucket), ``customer_periods``, ``purchases``,
        ``revenue``, ``profit``, in the order of the curve.
    """
    if stages is None:
        if transactions is None:
            raise TypeError("lifecycle_curve needs transactions or stages")
        stages = assign_stages(transactions, period=period, **thresholds)
    require_columns(
        stages,
        {
            "customer_id": "customer_id",
            "period": "period",
            "age": "age",
            "stage": "stage",
            "purchases": "purchases",
            "spend": "spend",
        },
    )
    frame = pd.DataFrame(
        {
            "customer_id": stages["customer_id"].to_numpy(),
            "period": stages["period"].to_numpy(),
            "age": stages["age"].to_numpy(),
            "stage": pd.Categorical(stages["stage"].astype(str), categories=list(STAGES)),
            "purchases": stages["purchases"].to_numpy(dtype=float),
            "revenue": stages["spend"].to_numpy(dtype=float),
        }
    )
    keep = np.ones(len(frame), dtype=bool)
    if customers is not None:
        keep &= frame["customer_id"].isin(pd.Index(customers)).to_numpy()
    if reaching is not None:
        if reaching not in STAGES:
            raise ValueError(f"reaching must be one of {list(STAGES)}, got {reaching!r}")
        reached = frame.loc[frame["stage"] == reaching, "customer_id"].unique()
        if len(reached) == 0:
            raise NotComputable(f"no customer's history reaches {reaching} in this log")
        keep &= frame["customer_id"].isin(reached).to_numpy()
    if not keep.all():
        frame = frame.loc[keep].reset_index(drop=True)
    if frame.empty:
        raise ValueError(
            "lifecycle_curve: no customer-periods left after customers= / reaching= "
            f"(reaching={reaching!r}); check the ids or the stage"
        )
    frame["profit"] = margin * frame["revenue"] - cost_per_purchase * frame["purchases"]
    values = ["purchases", "revenue", "profit"]
    if align == "age":
        grouped = frame.groupby("age", sort=True)
        out = grouped[values].mean()
        out.insert(0, "customers", grouped.size().astype(np.int64))
        shares = pd.crosstab(frame["age"], frame["stage"], normalize="index", dropna=False)
        shares = shares.reindex(columns=list(STAGES), fill_value=0.0)
        for stage in STAGES:
            out[f"share_{stage}"] = shares[stage].reindex(out.index).fillna(0.0).to_numpy()
        return out
    if align == "stage":
        frame = frame.sort_values(["customer_id", "period"], kind="stable")
        change = (frame["stage"] != frame.groupby("customer_id")["stage"].shift()).to_numpy()
        spell = np.cumsum(change)
        position = frame.groupby(spell).cumcount().to_numpy()
        frame["periods_in_stage"] = np.minimum(position, int(max_periods) - 1)
        grouped = frame.groupby(["stage", "periods_in_stage"], observed=True, sort=True)
        out = grouped[values].mean()
        out.insert(0, "customer_periods", grouped.size().astype(np.int64))
        out = out.reset_index()
        out = out.loc[out["customer_periods"] >= min_customer_periods].reset_index(drop=True)
        last = int(max_periods) - 1
        out.insert(
            2,
            "label",
            [f"{k}+" if k == last else str(k) for k in out["periods_in_stage"].astype(int)],
        )
        return out
    raise ValueError(f"align must be 'age' or 'stage', got {align!r}")


def spend_per_purchase_by_stage(curve_by_stage: pd.DataFrame) -> pd.Series:
    """Revenue per purchase in each stage, from a curve aligned on the stages.

    Each point's revenue and purchases per customer are weighted by its
    ``customer_periods``, so the ratio is the stage's total revenue over its
    total purchases. NaN for a stage without purchases; stages in lifecycle
    order, those absent from the curve left out.
    """
    w = curve_by_stage["customer_periods"].astype(float)
    frame = pd.DataFrame(
        {
            "stage": curve_by_stage["stage"].astype(str),
            "revenue": w * curve_by_stage["revenue"],
            "purchases": w * curve_by_stage["purchases"],
        }
    )
    sums = frame.groupby("stage")[["revenue", "purchases"]].sum()
    out = sums["revenue"] / sums["purchases"].where(sums["purchases"] > 0)
    return out.reindex([s for s in STAGES if s in out.index]).rename("spend_per_purchase")
