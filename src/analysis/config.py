"""Project paths, built from one root so nothing depends on the working directory."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _find_root() -> Path:
    # An editable install lives in <root>/src/analysis; a plain install does not,
    # and then ANALYSIS_ROOT (or the working directory) names the project.
    env = os.environ.get("ANALYSIS_ROOT")
    if env:
        return Path(env).resolve()
    candidate = PACKAGE_DIR.parent.parent
    if (candidate / "data" / "raw").is_dir():
        return candidate
    return Path.cwd().resolve()


PROJECT_ROOT = _find_root()
DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
INTERIM_DIR = DATA_DIR / "interim"
REPORTS_DIR = PROJECT_ROOT / "reports"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"

CDNOW_MASTER = RAW_DIR / "cdnow" / "CDNOW_master.txt"
CDNOW_SAMPLE = RAW_DIR / "cdnow" / "CDNOW_sample.txt"
CDNOW_SAMPLE_SUMMARY = RAW_DIR / "cdnow" / "cdnow_customers_summary.csv"
DONATIONS = RAW_DIR / "donations" / "donations.csv"
