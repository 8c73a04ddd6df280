"""The corpus of edge-case logs (analysis.simulate.corpus) and the checker of make test-logs.

Each generated log has the property it is named for, is drawn the same on
every call, and its parameter file maps its columns; the checker
(analysis.report.check_logs) catches a blank table cell, a CDNOW mention and
a missing reading on small hand-made pages.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from analysis import config
from analysis.report import check_logs
from analysis.simulate import corpus

ISSUE_LOGS = {
    "single_cohort",
    "no_dropout",
    "few_repeaters",
    "no_amounts",
    "returns_and_zeros",
    "two_months",
    "ten_years_daily",
    "heavy_buyers",
    "thirty_customers",
    "unicode_ids",
    "time_of_day",
}


@pytest.fixture(scope="module")
def logs() -> dict[str, pd.DataFrame]:
    return {name: corpus.draw_log(name) for name in corpus.LOGS}


def _standard(name: str, log: pd.DataFrame) -> pd.DataFrame:
    spec = corpus.LOGS[name]
    columns = {spec.customer_id: "customer_id", spec.date: "date"}
    if spec.amount:
        columns[spec.amount] = "amount"
    return log.rename(columns=columns)


def test_the_corpus_has_every_log_of_the_issue():
    assert ISSUE_LOGS <= set(corpus.LOGS)


def test_every_log_is_small_and_well_formed(logs):
    for name, log in logs.items():
        t = _standard(name, log)
        assert t["customer_id"].notna().all() and t["date"].notna().all(), name
        assert 30 <= t["customer_id"].nunique() <= 2000, name
        assert len(t) <= 40_000, name
        if "amount" in t:
            assert t["amount"].notna().all(), name


def _per_customer(name, logs):
    t = _standard(name, logs[name])
    return t, t.groupby("customer_id").size(), t.groupby("customer_id")["date"].min()


def test_each_log_has_the_property_it_is_named_for(logs):
    t, counts, first = _per_customer("single_cohort", logs)
    assert first.nunique() == 1
    assert t["date"].max() - t["date"].min() >= pd.Timedelta(days=365)

    t, counts, first = _per_customer("no_dropout", logs)
    last = t.groupby("customer_id")["date"].max()
    assert (last >= t["date"].max() - pd.Timedelta(days=30)).all()  # all buying at the end

    t, counts, first = _per_customer("few_repeaters", logs)
    assert 0 < (counts > 1).mean() <= 0.03

    assert set(logs["no_amounts"].columns) == {"member_no", "visit_date"}
    assert corpus.LOGS["no_amounts"].amount is None

    t, counts, first = _per_customer("returns_and_zeros", logs)
    assert (t["amount"] < 0).mean() >= 0.08 and (t["amount"] == 0).mean() >= 0.05

    t, *_ = _per_customer("two_months", logs)
    assert t["date"].max() - t["date"].min() <= pd.Timedelta(days=62)
    assert t["date"].dt.to_period("M").nunique() == 2

    t, *_ = _per_customer("ten_years_daily", logs)
    assert t["date"].max() - t["date"].min() >= pd.Timedelta(days=9 * 365)
    assert t["date"].dt.normalize().nunique() >= 2500  # dates on most days, not months

    _, counts, _ = _per_customer("heavy_buyers", logs)
    assert counts.median() >= 100

    _, counts, _ = _per_customer("thirty_customers", logs)
    assert len(counts) == 30

    ids = logs["unicode_ids"]["Kunde"]
    assert ids.str.contains(" ").all()
    assert ids.map(lambda s: not s.isascii()).any()
    assert ids.str.contains("客户").any() and ids.str.contains("Müller").any()

    t, *_ = _per_customer("time_of_day", logs)
    assert (t["date"] != t["date"].dt.normalize()).mean() > 0.99
    assert t.assign(day=t["date"].dt.normalize()).duplicated(["customer_id", "day"]).any()


def test_some_logs_do_not_use_the_default_column_names():
    named = [spec for spec in corpus.LOGS.values() if spec.customer_id != "customer_id"]
    assert len(named) >= 5


def test_drawing_is_deterministic(tmp_path, logs):
    for name in ("single_cohort", "unicode_ids", "time_of_day"):
        pd.testing.assert_frame_equal(corpus.draw_log(name), logs[name])
    first = corpus.write_log("unicode_ids", tmp_path / "a").read_bytes()
    again = corpus.write_log("unicode_ids", tmp_path / "b").read_bytes()
    assert first == again
    assert "客户".encode() in first


def test_the_written_files_read_back_with_their_columns(tmp_path):
    path = corpus.write_log("time_of_day", tmp_path)
    back = pd.read_csv(path)
    assert list(back.columns) == ["customer_id", "ordered_at", "amount"]
    assert len(back.loc[0, "ordered_at"]) == len("2021-03-04 17:45:12")
    assert "amount" not in pd.read_csv(corpus.write_log("no_amounts", tmp_path)).columns


def test_unknown_log_is_refused():
    with pytest.raises(ValueError, match="no corpus log"):
        corpus.draw_log("nope")


def test_every_log_has_a_parameter_file_naming_only_the_file_and_its_columns():
    allowed = {"dataset", "customer_id_column", "date_column", "amount_column", "returns"}
    allowed |= {"customer_attributes", "calendar_covariates"}  # the log's other files (apparel)
    names = check_logs.corpus_names()
    assert set(corpus.LOGS) | {"apparel"} == set(names)
    for name in names:
        values = yaml.safe_load((check_logs.PARAMS_DIR / f"{name}.yaml").read_text("utf-8"))
        assert set(values) <= allowed, name
        assert (config.PROJECT_ROOT / values["dataset"]).parent.name in ("corpus", "apparel")
        spec = corpus.LOGS.get(name)
        if spec is not None:
            assert values["dataset"] == f"data/interim/corpus/{name}.csv"
            expected = {k: v or "" for k, v in spec.columns.items()}
            assert {k: values[k] or "" for k in expected} == expected, name
    apparel = yaml.safe_load((check_logs.PARAMS_DIR / "apparel.yaml").read_text("utf-8"))
    assert (config.PROJECT_ROOT / apparel["dataset"]).is_file()


# --------------------------------------------------------------------------- the checker


def _page(*cells: str) -> str:
    return (
        "<html><head><style>td {color: red} /* CDNOW */</style></head><body>"
        + "".join(cells)
        + "</body></html>"
    )


def _reading_cell(cell_id: str, markdown: str) -> str:
    return (
        f'<div class="jp-Cell jp-CodeCell" id="cell-id={cell_id}"><div class="jp-OutputArea">'
        f'<div class="jp-RenderedMarkdown" data-mime-type="text/markdown">{markdown}</div>'
        "</div></div>"
    )


TABLE = (
    '<div class="jp-Cell jp-CodeCell" id="cell-id=t1"><div data-mime-type="text/html">'
    "<table><thead><tr><th></th><th>customers</th><th>mean</th></tr></thead>"
    "<tbody><tr><th>high</th><td>94</td><td>{value}</td></tr></tbody></table></div></div>"
)


def test_a_clean_page_passes():
    page = _page(
        TABLE.format(value="$1,756.87"),
        _reading_cell("r1", "<p><strong>Reading.</strong> Most customers buy once.</p>"),
        _reading_cell(
            "r2", "<p><strong>Not computed on this log: the test.</strong> One cohort.</p>"
        ),
    )
    assert check_logs.check_page(page, {"r1": "cell 3", "r2": "cell 5"}) == []


@pytest.mark.parametrize("value", ["nan", "NaN", "None", "NaT", "<NA>", "$nan", "nan%"])
def test_the_checker_catches_a_missing_value_in_a_table(value):
    page = _page(TABLE.format(value=value.replace("<", "&lt;").replace(">", "&gt;")))
    problems = check_logs.check_page(page)
    assert len(problems) == 1 and "missing value" in problems[0]
    assert "row 'high', column 'mean'" in problems[0]


def test_words_holding_nan_or_none_are_not_missing_values():
    for value in ("finance", "None of them", "Nancy", "banana"):
        assert check_logs.check_page(_page(TABLE.format(value=value))) == []


def test_the_checker_catches_cdnow_outside_the_reproduction():
    page = _page(_reading_cell("r1", "<p>As on CDNOW, most customers buy once.</p>"))
    problems = check_logs.check_page(page, {"r1": "cell 3"})
    assert len(problems) == 1 and "mentions CDNOW" in problems[0]
    assert check_logs.check_page(page, {"r1": "cell 3"}, allow_cdnow=True) == []
    # a style sheet or an attribute is not text shown to the reader
    hidden = _page('<img alt="x" src="data:image/png;base64,AAcdnowBB">')
    assert check_logs.check_page(hidden) == []


def test_the_checker_catches_a_missing_or_empty_reading():
    page = _page(_reading_cell("r1", "<p>Reading.</p>"), _reading_cell("r2", "  "))
    problems = check_logs.check_page(page, {"r1": "cell 3", "r2": "cell 5", "r3": "cell 7"})
    assert problems == ["no reading from cell 5", "no reading from cell 7"]
    broken = _page(_reading_cell("r1", "<pre>Traceback (most recent call last):\n ...</pre>"))
    assert "traceback" in " ".join(check_logs.check_page(broken, {"r1": "cell 3"}))


def test_reading_cells_are_the_cells_displaying_markdown():
    notebook = {
        "cells": [
            {"cell_type": "markdown", "id": "m", "source": "# Markdown(title)"},
            {"cell_type": "code", "id": "a", "source": "x = 1"},
            {"cell_type": "code", "id": "b", "source": ["Markdown(\n", "  readings.x(t))"]},
        ]
    }
    assert check_logs.reading_cells(notebook) == {"b": "cell 3 `Markdown(`"}


def test_check_output_names_missing_reports_and_the_reading_of_a_page(tmp_path):
    nb = tmp_path / "notebooks" / "01_data.ipynb"
    nb.parent.mkdir()
    nb.write_text("{}")
    out = tmp_path / "out"
    out.mkdir()
    (out / "01_data.html").write_text(_page(_reading_cell("b", "")), encoding="utf-8")
    executed = {"cells": [{"cell_type": "code", "id": "b", "source": "Markdown(r)"}]}
    (out / "01_data.ipynb").write_text(json.dumps(executed))
    problems = check_logs.check_output(out, [nb, nb.with_name("02_lifecycle.ipynb")])
    assert problems == [
        "02_lifecycle: no report (02_lifecycle.html)",
        "segments: no segment studies (segments/index.html)",
        "01_data: no reading from cell 1 `Markdown(r)`",
    ]


def test_a_failed_run_is_reported_by_notebook_cell_and_error(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "03_clv.log").write_text(
        "notebook: /x/notebooks/03_clv.ipynb\nexecuted copy: y\ncell: 22 of the notebook\n"
        "section: 2\nparameters: {}\nfailing cell:\nfit()\n\nTraceback ...\n"
        "DegenerateDataError: GammaGamma: identical spend\n"
    )
    output = (
        "[1/6] 02_lifecycle ...\n"
        '02_lifecycle.ipynb, cell 45 `survival_logrank(` in section "x": LinAlgError: Singular\n'
        "  full traceback: /x/logs/02_lifecycle.log\n"
    )
    reasons = check_logs._failures(output, tmp_path)
    assert reasons[0].startswith("02_lifecycle.ipynb, cell 45")
    assert reasons[1].startswith("03_clv.ipynb, cell 22: DegenerateDataError: GammaGamma")
    refused = check_logs._failures("error: plan_end (1997-12-31) is before the log\n", tmp_path)
    assert refused[0] == "plan_end (1997-12-31) is before the log"


def test_the_findings_are_checked_where_they_show_not_where_they_are_filled():
    from analysis.readings.findings import PLACEHOLDER

    notebook = {
        "cells": [
            {"cell_type": "code", "id": "top", "source": "display(Markdown(PLACEHOLDER), ...)"},
            {"cell_type": "code", "id": "end", "source": "update_display(Markdown(x), ...)"},
        ]
    }
    assert list(check_logs.reading_cells(notebook)) == ["top"]
    unfilled = _page(_reading_cell("top", f"<p>{PLACEHOLDER.replace('*', '')}</p>"))
    problems = check_logs.check_page(unfilled, {"top": "cell 1"})
    assert problems == ["its findings were never written (the placeholder is still shown)"]
    filled = _page(_reading_cell("top", "<p><strong>Findings.</strong> Most buy once.</p>"))
    assert check_logs.check_page(filled, {"top": "cell 1"}) == []
