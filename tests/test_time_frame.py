"""The study's dates from the data: the rule, the check against the log's span, the provenance marks."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from analysis import config, data, dates, report
from analysis.report import provenance

PUBLISHED = {
    "calibration_end": "1997-09-30",
    "plan_end": "1997-12-31",
    "observation_end": "1998-06-30",
}


def _log(first: str, last: str, freq: str = "D", customers: int = 5) -> pd.DataFrame:
    days = pd.date_range(first, last, freq=freq)
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "customer_id": rng.integers(0, customers, len(days)),
            "date": days,
            "amount": 10.0,
        }
    )


def _ordered_inside(frame: dates.TimeFrame) -> None:
    first, last = pd.Timestamp(frame.first), pd.Timestamp(frame.last)
    cal, plan, obs = (
        pd.Timestamp(frame.calibration_end),
        pd.Timestamp(frame.plan_end),
        pd.Timestamp(frame.observation_end),
    )
    assert first <= cal < plan < obs <= last, frame
    assert obs == last


# --------------------------------------------------------------------------- the rule


@pytest.mark.parametrize("sample", [True, False])
def test_the_rule_gives_cdnows_published_frame(sample):
    frame = dates.time_frame(data.load_cdnow(sample=sample), "", "", "")
    assert frame.values() == PUBLISHED
    assert frame.from_data == ("calibration_end", "plan_end", "observation_end")
    assert (frame.first, frame.last) == ("1997-01-01", "1998-06-30")


@pytest.mark.parametrize(
    ("first", "last", "freq"),
    [
        ("2005-01-02", "2010-12-20", "3D"),  # the apparel log's span: six years
        ("2010-01-01", "2019-12-31", "D"),  # ten years, daily
        ("2020-01-05", "2020-07-06", "D"),  # just over six months
        ("2020-01-05", "2020-06-30", "D"),  # just under: whole weeks
        ("2021-03-17", "2021-04-20", "D"),  # five weeks
        ("2021-03-17", "2021-03-30", "D"),  # two weeks: days
        ("2021-03-17", "2021-03-19", "D"),  # three days
    ],
)
def test_the_rule_keeps_the_dates_inside_the_span_and_ordered(first, last, freq):
    frame = dates.time_frame(_log(first, last, freq), "", "", "")
    _ordered_inside(frame)
    holdout = pd.Timestamp(frame.observation_end) - pd.Timestamp(frame.calibration_end)
    span = pd.Timestamp(frame.last) - pd.Timestamp(frame.first)
    if span.days >= 28:
        assert 0.3 < holdout / span <= 0.7  # about half the span


def test_a_long_log_is_split_at_month_ends():
    frame = dates.time_frame(_log("2005-01-02", "2010-12-20"), "", "", "")
    assert frame.calibration_end == "2007-12-31" and frame.plan_end == "2008-12-31"
    for name in ("calibration_end", "plan_end"):
        day = pd.Timestamp(getattr(frame, name))
        assert day.is_month_end


def test_a_two_month_log_gets_a_frame_in_whole_weeks():
    frame = dates.time_frame(_log("2020-01-01", "2020-03-01"), "", "", "")
    _ordered_inside(frame)
    obs = pd.Timestamp(frame.observation_end)
    for name in ("calibration_end", "plan_end"):
        assert (obs - pd.Timestamp(getattr(frame, name))).days % 7 == 0
    assert (obs - pd.Timestamp(frame.calibration_end)).days >= 14


def test_dates_with_a_time_of_day_give_days():
    log = _log("2020-01-01", "2020-12-31")
    log["date"] = log["date"] + pd.Timedelta(hours=15, minutes=30)
    frame = dates.time_frame(log, "", "", "")
    assert frame.observation_end == "2020-12-31" and frame.first == "2020-01-01"
    _ordered_inside(frame)


def test_given_dates_are_kept_and_only_the_empty_ones_taken_from_the_data():
    log = data.load_cdnow(sample=True)
    frame = dates.time_frame(log, observation_end="", calibration_end="1997-06-30", plan_end="")
    assert frame.calibration_end == "1997-06-30" and frame.from_data == (
        "plan_end",
        "observation_end",
    )
    assert frame.calibration_end < frame.plan_end < frame.observation_end
    # a notebook without a date leaves it out (None)
    only = dates.time_frame(log, observation_end="")
    assert only.values() == {"observation_end": "1998-06-30"} and only.plan_end is None
    # an earlier observation end: the rule splits the span up to it
    early = dates.time_frame(log, "1998-01-31", "", "")
    assert early.observation_end == "1998-01-31" and early.from_data == (
        "calibration_end",
        "plan_end",
    )
    assert early.plan_end < "1998-01-31"


def test_a_log_of_one_day_cannot_be_split():
    log = _log("2020-01-01", "2020-01-02")
    with pytest.raises(dates.TimeFrameError, match="calibration_end and plan_end cannot be taken"):
        dates.time_frame(log, "", "", "")
    assert dates.time_frame(log, "").observation_end == "2020-01-02"  # the end alone is fine


# --------------------------------------------------------------------------- dates outside the log


@pytest.mark.parametrize(
    ("given", "start"),
    [
        (
            {"observation_end": "1996-12-31"},
            "observation_end 1996-12-31 is before the first purchase",
        ),
        (
            {"calibration_end": "1998-07-31"},
            "calibration_end 1998-07-31 is on or after the last purchase",
        ),
        ({"plan_end": "1990-01-01"}, "plan_end 1990-01-01 is before the first purchase"),
        ({"plan_end": "1998-06-30"}, "plan_end 1998-06-30 is on or after the last purchase"),
        (
            {"observation_end": "1997-06-30", "calibration_end": "1997-08-31"},
            "calibration_end 1997-08-31 must be before observation_end 1997-06-30",
        ),
    ],
)
def test_a_date_outside_the_log_is_refused_naming_it_and_the_span(given, start):
    asked = {"observation_end": "", "calibration_end": "", "plan_end": "", **given}
    with pytest.raises(dates.TimeFrameError) as caught:
        dates.time_frame(data.load_cdnow(sample=True), **asked)
    (problem,) = caught.value.problems
    assert problem.startswith(start)
    assert "the log runs from 1997-01-01 to 1998-06-30" in problem
    assert "leave it empty to take it from the data" in problem


# --------------------------------------------------------------------------- the runner

#: the parameters cell of a study notebook: it only receives the values
FRAME_PARAMETERS = "# the values of the run"
LOG = "customer_id,date,amount\n" + "".join(
    f"{c},{day.date()},10.0\n"
    for c in "ABC"
    for day in pd.date_range("2020-01-03", "2020-12-20", freq="17D")
)


@pytest.fixture
def study(tmp_path, monkeypatch):
    """A study of one notebook that prints the dates it was given, and a log of 2020."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", folder)
    parameters = new_code_cell(FRAME_PARAMETERS)
    parameters.metadata["tags"] = ["parameters"]
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Dates"),
            parameters,
            new_code_cell("print(calibration_end, plan_end, observation_end)"),
        ]
    )
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nbformat.write(nb, str(folder / "05_strategy.ipynb"))
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    return folder, log


def test_the_runner_takes_the_dates_from_the_log_and_marks_them(study):
    folder, log = study
    out = folder.parent / "out"
    argv = ["--output-dir", str(out), "--no-progress", "-p", "dataset", str(log)]
    assert report.main([*argv, "-p", "plan_end", "2020-09-30"]) == 0
    executed = nbformat.read(str(out / "05_strategy.ipynb"), as_version=4)
    expected = dates.time_frame(pd.read_csv(log, parse_dates=["date"]), "", "", "2020-09-30")
    printed = executed.cells[-1].outputs[0]["text"].split()
    assert printed == [expected.calibration_end, "2020-09-30", expected.observation_end]
    text = executed.cells[1].source
    assert f"| calibration end | {expected.calibration_end} (from the data) |" in text
    assert f"| observation end | {expected.observation_end} (from the data) |" in text
    assert "| plan end | 2020-09-30 |" in text and "plan_end = `2020-09-30`" in text
    assert "2 date(s) (from the data)" in text  # the table above gives their values
    assert "analysis.dates.FRAME_RULE" in text  # named; the index page quotes it
    index = (out / "index.html").read_text()
    assert f"{expected.observation_end} (from the data)" in index
    assert html.escape(dates.FRAME_RULE) in index


def test_a_date_outside_the_log_stops_the_runner_before_any_kernel(study, monkeypatch, capsys):
    folder, log = study

    def no_kernel(*args, **kwargs):
        raise AssertionError("a notebook was run")

    monkeypatch.setattr("analysis.report.runner.run_notebook", no_kernel)
    argv = ["--output-dir", str(folder.parent / "out"), "--no-progress", "-p", "dataset", str(log)]
    assert report.main([*argv, "-p", "plan_end", "2019-12-31"]) == 2
    err = capsys.readouterr().err
    assert "plan_end 2019-12-31 is before the first purchase" in err
    last = pd.read_csv(log)["date"].max()
    assert f"the log runs from 2020-01-03 to {last}" in err
    assert "no notebook was run" in err


def test_an_unreadable_log_leaves_the_dates_to_the_notebooks(study, tmp_path):
    folder, _ = study
    broken = tmp_path / "broken.csv"
    broken.write_text("customer_id,date,amount\nA,not a date,1\n")
    resolved = report.parameters.resolve_time_frame(
        [folder / "05_strategy.ipynb"], {"dataset": str(broken)}
    )
    assert resolved.from_data == () and "observation_end" not in resolved.parameters
    assert resolved.facts.error


# --------------------------------------------------------------------------- provenance


def test_the_provenance_marks_the_dates_from_the_data():
    facts = provenance.DatasetFacts(
        rows=3, customers=2, first_date="1997-01-01", last_date="1998-06-30"
    )
    values = {"dataset": "cdnow", **PUBLISHED, "margin": 0.3}
    text = report.provenance_markdown(
        values,
        facts,
        {"margin", "observation_end"},
        commit="abc1234",
        run_date=datetime(2026, 1, 2, tzinfo=UTC),
        from_data=("calibration_end", "observation_end"),
    )
    assert "| calibration end | 1997-09-30 (from the data) |" in text
    assert "| plan end | 1997-12-31 |" in text
    assert "| observation end | 1998-06-30 (from the data) |" in text
    # the run set margin; the date it left empty is counted with the rule named, not listed as set
    assert "set for this run: margin = `0.3`" in text and "observation_end =" not in text
    assert "2 date(s) (from the data): not given, taken from the log" in text
    assert "analysis.dates.FRAME_RULE" in text and "CDNOW" not in text  # shown on any log's reports
    plain = report.provenance_markdown(values, facts, commit="abc1234")
    assert "(from the data)" not in plain


def test_the_parameter_files_leave_cdnows_dates_to_the_data():
    parameters, _ = report.read_params_file(Path(config.NOTEBOOKS_DIR) / "params" / "cdnow.yaml")
    asked = {name: parameters[name] for name in PUBLISHED}
    assert dates.time_frame(data.load_cdnow(), **asked).values() == PUBLISHED


def test_a_log_without_amounts_is_loaded_as_the_notebooks_load_it(tmp_path):
    log = tmp_path / "dates_only.csv"
    log.write_text("customer_id,date\nA,2020-01-03\nA,2020-05-01\nB,2020-03-20\nB,2020-09-01\n")
    cell = new_code_cell(FRAME_PARAMETERS)
    cell.metadata["tags"] = ["parameters"]
    nb = tmp_path / "05_strategy.ipynb"  # the schema gives it the three dates
    notebook = new_notebook(cells=[cell])
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nbformat.write(notebook, str(nb))
    resolved = report.parameters.resolve_time_frame(
        [nb], {"dataset": str(log), "amount_column": ""}
    )
    assert resolved.from_data == ("calibration_end", "plan_end", "observation_end")
    assert resolved.parameters["observation_end"] == "2020-09-01"
