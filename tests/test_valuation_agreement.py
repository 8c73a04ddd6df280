"""One valuation: every report values a customer with the same table, so reports at one cut agree.

The stored notebooks (re-executed on CDNOW by ``make notebooks`` and checked
cell by cell by nbval in ``make test``) each show a valuation line where they
use the customer table (``readings.valuation_line``), its facts in the
output's metadata. Here they are read back and compared; ``make test-logs``
runs the same check (``check_logs.check_output``) on every log of the corpus.
"""

from __future__ import annotations

import json

import pytest
from IPython.display import Markdown

from analysis import config, readings
from analysis.readings.valuation import METADATA_KEY, check_valuations, read_valuations

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("0[2-5]_*.ipynb"))


def test_the_reports_on_cdnow_agree_on_the_value_at_each_cut():
    found = read_valuations(NOTEBOOKS)
    names = {name for name, _ in found}
    # 02, 03, 04 and 05 each value the customers at the observation end
    assert names == {nb.stem for nb in NOTEBOOKS}, names
    at_end = [facts for _, facts in found if facts["cut"] == "1998-06-30"]
    assert len({(f["customers"], f["repeat_buyers"], f["model"]) for f in at_end}) == 1
    assert at_end[0]["customers"] == 23570 and at_end[0]["repeat_buyers"] == 11516
    assert len({round(f["clv_total"], 6) for f in at_end}) == 1
    assert check_valuations(NOTEBOOKS) == []


def _notebook_with(path, *facts):
    outputs = [
        {
            "output_type": "display_data",
            "data": {"text/markdown": "x"},
            "metadata": {"text/markdown": {METADATA_KEY: f}},
        }
        for f in facts
    ]
    cell = {"cell_type": "code", "source": "", "outputs": outputs, "metadata": {}}
    path.write_text(json.dumps({"cells": [cell]}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "change, named",
    [
        ({"customers": 99}, "customers 99"),
        ({"repeat_buyers": 7}, "repeat_buyers 7"),
        ({"model": "BG/NBD"}, "model 'BG/NBD'"),
        ({"clv_total": 1000.5}, "CLV total 1,000.50"),
    ],
)
def test_a_disagreement_at_one_cut_is_named(tmp_path, change, named):
    facts = {"cut": "2020-01-31", "customers": 10, "repeat_buyers": 4, "model": "MBG/NBD"}
    facts["clv_total"] = 1000.0
    a = _notebook_with(tmp_path / "a.ipynb", facts)
    b = _notebook_with(tmp_path / "b.ipynb", facts | change, facts | {"cut": "2019-12-31"})
    problems = check_valuations([a, b])
    assert len(problems) == 1 and problems[0].startswith("cut 2020-01-31: ")
    assert named in problems[0] and "in b" in problems[0] and "in a" in problems[0]


def test_the_line_carries_its_facts(cdnow_sample):
    from analysis import customers

    table, info = customers.value_customers(cdnow_sample, interval=None, calibration_end=False)
    line = readings.valuation_line(table, "The test", info=info, currency="$")
    assert isinstance(line, Markdown)
    text, meta = line._repr_markdown_()
    facts = meta[METADATA_KEY]
    assert facts == {
        "cut": "1998-06-30",
        "customers": 2357,
        "repeat_buyers": int((table["frequency"] > 0).sum()),
        "model": info.model,
        "clv_total": pytest.approx(table["clv"].sum(), rel=1e-12),
    }
    assert text.startswith("**The test: valued at** the log up to 1998-06-30: 2,357 customers (")
    assert f"count model {info.model}" in text


def test_the_cut_line_names_the_calibration_cut(cdnow_sample):
    from analysis import rfm

    cal = rfm.summarize(
        cdnow_sample, "W", observation_end="1998-06-30", calibration_end="1997-09-30"
    )
    text = readings.cut_line(cal, "Sections 1 to 4", "1997-09-30", "1998-06-30")
    assert text.startswith(
        "**Sections 1 to 4: fitted on** the log up to 1997-09-30: 2,357 customers (946 repeat "
        "buyers); tested on their purchases after it, to 1998-06-30."
    )
