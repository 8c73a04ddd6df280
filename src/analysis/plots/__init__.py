"""Figures of the study. Every function takes ``ax=None``, returns the axes and passes ``**kwargs`` on.

Every figure is drawn at 150 dpi with the colour-blind-safe colours of
:mod:`.style` (one colour per stage everywhere); :func:`use_style` sets the
same defaults for a notebook's own figures.
"""

from .data import (
    plot_cohorts,
    plot_purchases_per_customer,
    plot_repeat_transactions,
    plot_spend_distribution,
)

__all__ = [
    "plot_cohorts",
    "plot_purchases_per_customer",
    "plot_repeat_transactions",
    "plot_spend_distribution",
]

from .lifecycle import *  # noqa: E402,F401,F403
from .lifecycle import __all__ as _lifecycle_all  # noqa: E402

__all__ += _lifecycle_all

from .curve import *  # noqa: E402,F401,F403
from .curve import __all__ as _curve_all  # noqa: E402

__all__ += _curve_all

from .clv import *  # noqa: E402,F401,F403
from .clv import __all__ as _clv_all  # noqa: E402

__all__ += _clv_all

from .scorecard import *  # noqa: E402,F401,F403
from .scorecard import __all__ as _scorecard_all  # noqa: E402

__all__ += _scorecard_all

from .segments import *  # noqa: E402,F401,F403
from .segments import __all__ as _segments_all  # noqa: E402

__all__ += _segments_all

from .strategy import *  # noqa: E402,F401,F403
from .strategy import __all__ as _strategy_all  # noqa: E402

__all__ += _strategy_all

from .checks import *  # noqa: E402,F401,F403
from .checks import __all__ as _checks_all  # noqa: E402

__all__ += _checks_all

from .style import *  # noqa: E402,F401,F403
from .style import __all__ as _style_all  # noqa: E402

__all__ += [name for name in _style_all if name not in __all__]

from .risk import *  # noqa: E402,F401,F403
from .risk import __all__ as _risk_all  # noqa: E402

__all__ += _risk_all
