"""The whole study on the synthetic parameter file: every report runs and none describes CDNOW.

The synthetic log (notebooks/params/synthetic.yaml, drawn on first use with a fixed seed) is
not CDNOW, so any CDNOW sentence or figure in its reports would be typed-in text that the
numbers do not support. Only the reproduction page, which fits the papers' own data, may
name it.
"""

from __future__ import annotations

import re

from analysis import config, report


def test_the_study_runs_on_the_synthetic_log_and_never_mentions_cdnow(tmp_path):
    out = tmp_path / "synthetic"
    params = config.PROJECT_ROOT / "notebooks" / "params" / "synthetic.yaml"
    code = report.main(
        ["--params", str(params), "--output-dir", str(out), "--no-progress", "--workers", "2"]
    )
    assert code == 0
    pages = sorted(out.glob("[0-9][0-9]_*.html"))
    assert [p.stem for p in pages] == [nb.stem for nb in report.discover_notebooks()]
    assert (out / "index.html").is_file() and (out / "customers.csv").is_file()
    for page in pages:
        if page.stem == "00_reproduction":
            continue
        text = page.read_text(encoding="utf-8")
        found = re.findall(r".{0,60}cdnow.{0,60}", text, flags=re.IGNORECASE)
        assert not found, f"{page.name} mentions CDNOW: {found[:3]}"
