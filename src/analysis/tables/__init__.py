"""Tables of the reports: estimates beside published values, how value is spread, how numbers are shown.

Small pure functions over DataFrames and fitted models that the notebooks
display; the CLV itself is in :mod:`analysis.clv`, the holdout evaluation in
:mod:`analysis.models.validation` and the published values in
:mod:`analysis.models.published`.

- :mod:`.fits`: :func:`compare_published`, :func:`fit_table`,
  :func:`reproduction_fits`, :func:`reproduction_table`.
- :mod:`.value`: :func:`concentration`, :func:`method_summary`,
  :func:`method_totals`, :func:`mean_by_frequency_recency`.
- :mod:`.lifecycle`: :func:`stage_projection_table` (the stage mix now and
  ahead), :func:`spend_group_labels`, :func:`stage_values` (what the
  customers in each stage are worth, from the customer table).
- :mod:`.kpis`: :func:`format_kpis` (each KPI in its own unit).
- :mod:`.format`: :func:`money` and the other number formats,
  :func:`format_table` (display strings by column role) and
  :func:`summary_table` (in place of ``describe()``).
"""

from .fits import *  # noqa: F401,F403
from .fits import __all__ as _fits_all
from .format import *  # noqa: F401,F403
from .format import __all__ as _format_all
from .kpis import *  # noqa: F401,F403
from .kpis import __all__ as _kpis_all
from .lifecycle import *  # noqa: F401,F403
from .lifecycle import __all__ as _lifecycle_all
from .value import *  # noqa: F401,F403
from .value import __all__ as _value_all

__all__ = [*_fits_all, *_value_all, *_lifecycle_all, *_format_all, *_kpis_all]
