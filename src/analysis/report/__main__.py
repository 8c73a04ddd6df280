"""``python -m analysis.report``: build the study (see :mod:`analysis.report`)."""

import sys

from .cli import main

sys.exit(main())
