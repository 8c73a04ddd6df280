"""``python -m analysis.report``: build the study (see :mod:`analysis.report`)."""

import sys

from .cli import main
from .execute import use_short_warnings

use_short_warnings()  # "FutureWarning: the parameter cost_per_order is now ...", no source line
sys.exit(main())
