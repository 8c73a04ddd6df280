"""Readings: the prose beside a report's tables, written from the numbers in them.

Each function takes the tables (or fitted models) a report section shows and
returns Markdown that states only what those numbers show: the words that
carry a direction or a verdict ("reproduce", "best", "equally well") are
chosen by comparing the numbers, never typed in for one dataset. The
notebooks display the result with ``IPython.display.Markdown``. One module
per report: :mod:`.fits` (the CLV report's model fits); :mod:`.strategy` and
:mod:`.warning` (the strategy report); :mod:`.segment_study` (the segment studies).
"""

from .fits import fit_reading, spend_fallback_note, spend_reading

__all__ = ["fit_reading", "spend_fallback_note", "spend_reading"]

from .strategy import *  # noqa: E402,F401,F403
from .strategy import __all__ as _strategy_all  # noqa: E402
from .warning import *  # noqa: E402,F401,F403
from .warning import __all__ as _warning_all  # noqa: E402

__all__ += _strategy_all + _warning_all

from .segments import *  # noqa: E402,F401,F403
from .segments import __all__ as _segments_all  # noqa: E402

__all__ += _segments_all

from .customer_value import *  # noqa: E402,F401,F403
from .customer_value import __all__ as _customer_value_all  # noqa: E402

__all__ += _customer_value_all

from .data import *  # noqa: E402,F401,F403
from .data import __all__ as _data_all  # noqa: E402

__all__ += _data_all

from .clv import *  # noqa: E402,F401,F403
from .clv import __all__ as _clv_all  # noqa: E402
from .reproduction import *  # noqa: E402,F401,F403
from .reproduction import __all__ as _reproduction_all  # noqa: E402

__all__ += _clv_all + _reproduction_all

from .scorecard import *  # noqa: E402,F401,F403
from .scorecard import __all__ as _scorecard_all  # noqa: E402

__all__ += _scorecard_all

from .segment_study import *  # noqa: E402,F401,F403
from .segment_study import __all__ as _segment_study_all  # noqa: E402

__all__ += _segment_study_all

from .lifecycle import *  # noqa: E402,F401,F403
from .lifecycle import __all__ as _lifecycle_all  # noqa: E402
from .lifecycle_checks import *  # noqa: E402,F401,F403
from .lifecycle_checks import __all__ as _lifecycle_checks_all  # noqa: E402
from .lifecycle_curve import *  # noqa: E402,F401,F403
from .lifecycle_curve import __all__ as _lifecycle_curve_all  # noqa: E402

__all__ += _lifecycle_all + _lifecycle_checks_all + _lifecycle_curve_all

from .lifecycle_holdout import *  # noqa: E402,F401,F403
from .lifecycle_holdout import __all__ as _lifecycle_holdout_all  # noqa: E402
from .lifecycle_views import *  # noqa: E402,F401,F403
from .lifecycle_views import __all__ as _lifecycle_views_all  # noqa: E402

__all__ += _lifecycle_holdout_all + _lifecycle_views_all

from .lifecycle_findings import *  # noqa: E402,F401,F403
from .lifecycle_findings import __all__ as _lifecycle_findings_all  # noqa: E402
from .lifecycle_methods import *  # noqa: E402,F401,F403
from .lifecycle_methods import __all__ as _lifecycle_methods_all  # noqa: E402

__all__ += _lifecycle_findings_all + _lifecycle_methods_all

from .run import *  # noqa: E402,F401,F403
from .run import __all__ as _run_all  # noqa: E402

__all__ += _run_all

from .unavailable import *  # noqa: E402,F401,F403
from .unavailable import __all__ as _unavailable_all  # noqa: E402

__all__ += _unavailable_all

from .checks import *  # noqa: E402,F401,F403
from .checks import __all__ as _checks_all  # noqa: E402

__all__ += _checks_all

from .valuation import *  # noqa: E402,F401,F403
from .valuation import __all__ as _valuation_all  # noqa: E402

__all__ += _valuation_all

from .loss import *  # noqa: E402,F401,F403
from .loss import __all__ as _loss_all  # noqa: E402

__all__ += _loss_all

from .risk import *  # noqa: E402,F401,F403
from .risk import __all__ as _risk_all  # noqa: E402

__all__ += _risk_all

from .covariates import *  # noqa: E402,F401,F403
from .covariates import __all__ as _covariates_all  # noqa: E402

__all__ += _covariates_all
