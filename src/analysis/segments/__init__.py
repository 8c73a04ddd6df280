"""Customer segmentations: who the valuable customers are and how to treat each group.

Every segmentation is a function of the customer table
(:func:`analysis.customers.customer_table`: index ``customer_id``, one row per
customer) returning a new labelled object; it never changes the table. The
label sets and cut points are documented module data, each overridable by a
keyword parameter; a value equal to a cut falls in the lower class. See
``docs/domain.md#segmentation``.

- :func:`clv_tiers` -- high, medium, low, negative value, cut by cumulative
  share of value (the seeds' CLV tiers; :mod:`~analysis.segments.tiers`);
- :func:`value_matrix` -- retain, develop, maintain, reduce (current x
  potential value, Chen & Li 2001; :mod:`~analysis.segments.matrices`);
- :func:`loyalty_profitability` -- true friends, butterflies, barnacles,
  strangers (Reinartz & Kumar 2002);
- :func:`cost_matrix` -- loyal, casual, easy to win but hard to keep, easy to
  keep but hard to win (the seeds' cost matrix); needs cost data;
- :func:`prospect_tiers` -- quality, ordinary, poor prospects among the
  customers in exploration (the seeds on small firms' exploration stage);
- :func:`ranking` -- one ordered list, score and rank 1..n, weights shown
  (客户序位, Dai & Liu 2007; :mod:`~analysis.segments.ranking`);
- :func:`relationship_level` -- basic, reactive, accountable, proactive or
  partnership per segment (Kotler's five levels;
  :mod:`~analysis.segments.relationship`);
- :func:`rfm_segments` -- R, F, M quintile scores, the code and eleven named
  segments (:mod:`~analysis.segments.rfm_scores`).

The Series-valued segmentations return an ordered Categorical named after the
function, indexed like the table (NaN for a customer outside its scope);
:func:`ranking` and :func:`rfm_segments` return DataFrames.
:func:`segment_summary` counts customers and value per label, or per cell of
several labels crossed (e.g. stage x CLV tier). :func:`members` gives one
segment's customers (:mod:`~analysis.segments.members`, for the segment
studies).
"""

from __future__ import annotations

from ._common import HIGH, LOW
from .matrices import (
    COST_MATRIX,
    LOYALTY_CUTS,
    LOYALTY_PROFITABILITY,
    UNMEASURED_REGULARITY,
    VALUE_MATRIX,
    cost_matrix,
    loyalty_profitability,
    value_matrix,
)
from .members import (
    PROFILE_COLUMNS,
    REST,
    SEGMENT_LABELS,
    check_segment,
    members,
    membership,
    segment_counts,
    segment_profile,
    segment_stages,
)
from .ranking import RANKING_WEIGHTS, rank_scale, ranking
from .relationship import (
    KOTLER_LEVELS,
    KOTLER_ORDER,
    MARGIN_CUTS,
    SIZE_CUTS,
    kotler_table,
    relationship_level,
)
from .rfm_scores import RFM_GRID, RFM_SEGMENTS, rfm_grid_table, rfm_score, rfm_segments
from .summary import (
    SEGMENTATIONS,
    SUMMARY_COLUMNS,
    attribute_mix,
    attribute_tests,
    segment_labels,
    segment_summary,
)
from .tiers import (
    CLV_TIER_SHARES,
    CLV_TIERS,
    PROSPECT_QUANTILES,
    PROSPECT_TIERS,
    clv_tiers,
    prospect_tiers,
    tiers_for,
)

__all__ = [
    "tiers_for",
    "HIGH",
    "LOW",
    "CLV_TIERS",
    "CLV_TIER_SHARES",
    "PROSPECT_TIERS",
    "PROSPECT_QUANTILES",
    "VALUE_MATRIX",
    "LOYALTY_PROFITABILITY",
    "LOYALTY_CUTS",
    "UNMEASURED_REGULARITY",
    "COST_MATRIX",
    "RANKING_WEIGHTS",
    "KOTLER_ORDER",
    "KOTLER_LEVELS",
    "SIZE_CUTS",
    "MARGIN_CUTS",
    "RFM_SEGMENTS",
    "RFM_GRID",
    "SEGMENTATIONS",
    "SUMMARY_COLUMNS",
    "clv_tiers",
    "value_matrix",
    "loyalty_profitability",
    "cost_matrix",
    "prospect_tiers",
    "ranking",
    "rank_scale",
    "relationship_level",
    "kotler_table",
    "rfm_segments",
    "rfm_score",
    "rfm_grid_table",
    "segment_labels",
    "segment_summary",
    "attribute_mix",
    "attribute_tests",
    "SEGMENT_LABELS",
    "PROFILE_COLUMNS",
    "REST",
    "check_segment",
    "segment_counts",
    "members",
    "membership",
    "segment_profile",
    "segment_stages",
]
