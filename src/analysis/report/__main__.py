"""``python -m analysis.report``: build the study (see :mod:`analysis.report`)."""

import sys

from .runner import main

sys.exit(main())
