"""The segment studies hook: one run of notebooks/segment_study.ipynb per non-empty segment."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis import segments
from analysis.report import NotebookFailed, ParameterError, schema, segment_studies


def _table() -> pd.DataFrame:
    """Five customers: two hold most of the value (high tier), none has a negative value."""
    return pd.DataFrame(
        {"clv_net": [100.0, 90.0, 20.0, 5.0, 1.0]},
        index=pd.Index(list("abcde"), name="customer_id"),
    )


@pytest.fixture
def fake_runs(monkeypatch):
    """Record each notebook run instead of starting a kernel; the table is built from no log."""
    runs = []

    def run_notebook(notebook, output_dir, parameters=None, progress=True, name=None, **kwargs):
        runs.append(dict(parameters))
        output_dir.mkdir(parents=True, exist_ok=True)
        out = output_dir / f"{name or Path(notebook).stem}.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# x")]), out)
        return out

    monkeypatch.setattr(segment_studies, "run_notebook", run_notebook)
    monkeypatch.setattr(segment_studies, "segment_table", lambda values: _table())
    return runs


def test_file_names_are_plain():
    assert segment_studies.segment_file_name("can't lose them") == "can_t_lose_them"
    assert segment_studies.segment_file_name("High") == "high"


def test_every_non_empty_segment_is_run_into_segments(tmp_path, fake_runs):
    counts = segments.segment_counts(_table(), "clv_tiers")
    held = [label for label, n in counts.items() if n > 0]
    assert len(held) >= 2 and counts["negative"] == 0
    pages = segment_studies.build_segment_studies(tmp_path, {"margin": "0.25"}, progress=False)
    assert list(pages) == held  # negative holds no customer: not run
    assert [r["segment"] for r in fake_runs] == held
    assert all(r["segmentation"] == "clv_tiers" and r["margin"] == 0.25 for r in fake_runs)
    folder = tmp_path / "segments"
    for label in pages:
        assert (folder / f"{label}.ipynb").is_file() and pages[label] == folder / f"{label}.html"
    assert not (folder / "segment_study.ipynb").exists()
    assert "Segment study: high (clv_tiers)" in (folder / "index.html").read_text()


def test_bad_requests_are_refused_before_any_run(tmp_path, fake_runs):
    with pytest.raises(ParameterError, match="segment: set by the segment studies"):
        segment_studies.build_segment_studies(tmp_path, {"segment": "high"})
    with pytest.raises(ParameterError, match="margin"):
        segment_studies.build_segment_studies(tmp_path, {"margin": "a lot"})
    with pytest.raises(ValueError, match="segmentation: 'tiers' is not one of clv_tiers"):
        segment_studies.build_segment_studies(tmp_path, segmentation="tiers")
    with pytest.raises(ValueError, match="'top' is not a label of clv_tiers; its labels are"):
        segment_studies.build_segment_studies(tmp_path, only=["top"])
    with pytest.raises(
        ValueError, match=r"\['negative'\] of clv_tiers hold no customer.*'high' \(2\)"
    ):
        segment_studies.build_segment_studies(tmp_path, only=["negative"])
    with pytest.raises(ParameterError, match="plan_end"):
        segment_studies.build_segment_studies(tmp_path, {"plan_end": "1997-12-31"})
    assert fake_runs == [] and not (tmp_path / "segments").exists()
    # the main reports' parameters pass as they are when strict=False
    segment_studies.build_segment_studies(
        tmp_path, {"plan_end": "1997-12-31", "margin": "0.2"}, only=["low"], strict=False
    )
    assert fake_runs == [{**fake_runs[0], "segment": "low", "margin": 0.2}]
    assert "plan_end" not in fake_runs[0]


def test_the_command_line_exits_2_on_a_refused_segment(tmp_path, fake_runs, capsys):
    code = segment_studies.main(["--segment", "top", "--output-dir", str(tmp_path)])
    assert code == 2 and "'top' is not a label of clv_tiers" in capsys.readouterr().err
    code = segment_studies.main(
        ["--segment", "low", "--output-dir", str(tmp_path), "--no-progress"]
    )
    assert code == 0 and [r["segment"] for r in fake_runs] == ["low"]


def test_the_notebook_follows_the_study_notebooks_rules():
    """Not numbered, so the main report loop skips it; it receives its parameters as they do."""
    study = segment_studies.SEGMENT_NOTEBOOK
    cells = nbformat.read(str(study), as_version=4).cells
    (tagged,) = [i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])]
    assert all(ln.startswith("#") for ln in cells[tagged].source.splitlines() if ln.strip())
    assert 'report.receive(globals(), "segment_study")' in cells[tagged + 1].source
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    assert "\ndef " not in "\n" + code and "\nclass " not in "\n" + code
    assert "report.use_short_warnings()" in code
    assert not re.match(r"^\d{2}_", study.name)  # the main report loop skips it


def test_the_segment_studies_value_customers_as_04_does():
    """The studies read the table 04_segments wrote: both take its parameters from the schema."""
    table = set(schema.used_by("04_segments")) & set(schema.used_by("segment_study"))
    assert {"dataset", "margin", "cost_per_purchase", "clv_model", "observation_end"} <= table


def test_a_failing_study_keeps_its_copy_and_log_under_the_segment_s_name(tmp_path, monkeypatch):
    from analysis.report.execute import FailingCell

    calls = []

    def run_notebook(notebook, output_dir, parameters=None, progress=True, **kwargs):
        calls.append(kwargs)
        log = kwargs["log_dir"] / f"{kwargs['name']}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("traceback")
        executed = log.with_suffix(".ipynb")
        executed.write_text("{}")
        cell = FailingCell(7, "mix = segments.stage_mix(table, rows)", "2. Stages")
        raise NotebookFailed(
            Path(notebook), cell, "ValueError", "boom", log, executed, run=kwargs["run"]
        )

    monkeypatch.setattr(segment_studies, "run_notebook", run_notebook)
    monkeypatch.setattr(segment_studies, "segment_table", lambda values: _table())
    with pytest.raises(NotebookFailed) as failed:
        segment_studies.build_segment_studies(tmp_path, progress=False)
    folder = tmp_path / "segments"
    assert len(calls) == 1  # no study starts after a failure
    assert calls[0]["name"] == "high" and calls[0]["log_dir"] == folder / "logs"
    assert failed.value.log_path == folder / "logs" / "high.log" and failed.value.log_path.is_file()
    assert failed.value.executed == folder / "logs" / "high.ipynb"
    assert str(failed.value) == (
        "segment_study.ipynb (segment 'high'), In [7] `mix = segments.stage_mix(table, rows)` "
        'in section "2. Stages": ValueError: boom'
    )


# --------------------------------------------------------------------------- in make report

STUDY_PARAMETERS = "# the values of the run"
FAKE_TABLE = (
    "import pandas as pd\n"
    "from pathlib import Path\n"
    'table = pd.DataFrame({"clv_net": [100.0, 90.0, 20.0, 5.0, 1.0]},'
    ' index=pd.Index(list("abcde"), name="customer_id"))\n'
    'table.to_parquet(Path(export_dir, "customers.parquet"))'
)


def _write(path: Path, cells: list, parameters: str) -> None:
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=cells[:1] + [cell] + cells[1:])
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nbformat.write(nb, str(path))


@pytest.fixture
def small_study(tmp_path, monkeypatch):
    """A study of three notebooks: 01_data, 04_segments writing a table, segment_study reading it."""
    from analysis import config

    folder = tmp_path / "notebooks"
    folder.mkdir()
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    _write(folder / "01_data.ipynb", [md("# Intro\n\nThe log."), code("x = 1")], STUDY_PARAMETERS)
    _write(
        folder / "04_segments.ipynb",
        [md("# Segments\n\nThe table."), code(FAKE_TABLE)],
        STUDY_PARAMETERS,
    )
    _write(
        folder / "segment_study.ipynb",
        [
            md("# Segment study\n\nOne segment."),
            md("## 1. The segment"),
            code(
                "import pandas as pd\nfrom IPython.display import Markdown\n"
                "from analysis import segments\n"
                "rows = segments.members(pd.read_parquet(customers_path), segmentation, segment)\n"
                'Markdown(f"**Reading.** The segment {segment} holds {len(rows)} customers.")'
            ),
            md("## 2. A check on the margin"),
            code('assert margin < 0.5, "margin above one half"'),
        ],
        STUDY_PARAMETERS,
    )
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", folder)
    return folder, tmp_path / "out"


def test_make_report_runs_the_segment_studies_on_the_written_table(small_study, capsys):
    from analysis import report

    folder, out = small_study
    (out / "segments").mkdir(parents=True)
    (out / "segments" / "maintain.html").write_text("a study of an earlier run")
    argv = ["--output-dir", str(out), "--no-progress", "--workers", "2"]
    assert report.main(argv) == 0
    printed = capsys.readouterr().out.splitlines()
    counts = segments.segment_counts(_table(), "clv_tiers")  # the table 04_segments writes
    held = [label for label, n in counts.items() if n > 0]
    assert held == ["high", "low"]
    plan = [ln for ln in printed if ln.startswith("segment studies:")]
    assert plan == [
        "segment studies: 2 segments of clv_tiers (high, low), "
        "reading 04_segments's customer table; 4 notebooks in all"
    ]
    assert printed.index(plan[0]) > printed.index(
        next(ln for ln in printed if "] 04_segments done" in ln)
    )
    done = [ln for ln in printed if " done in " in ln]
    assert len(done) == 4 and done[-1].startswith("[4/4] ")
    assert sorted(
        ln.split("] ")[1].split(" done")[0] for ln in done if "segment study" in ln
    ) == sorted(f"segment study {label!r}" for label in held)
    segments_dir = out / "segments"
    assert sorted(p.name for p in segments_dir.iterdir()) == sorted(
        [f"{label}.{ext}" for label in held for ext in ("html", "ipynb")] + ["index.html"]
    )  # the earlier run's study is gone with its folder
    index = (out / "index.html").read_text()
    assert 'href="segments/high.html">Segment study: high (clv_tiers)</a>' in index
    assert "2 customers, 40.0% of the base." in index
    assert "<small>The segment high holds 2 customers.</small>" in index
    assert 'href="01_data.html"' in index and 'href="04_segments.html"' in index
    executed = (segments_dir / "high.ipynb").read_text()
    assert json_path(out / "customers.parquet") in executed and ".building" not in executed
    assert "Provenance" in (segments_dir / "low.html").read_text()
    assert not [p for p in out.rglob("*building*")]


def json_path(path: Path) -> str:
    return __import__("json").dumps(str(path.resolve()))[1:-1]


def test_a_failing_segment_study_names_its_cell_and_leaves_the_previous_reports(small_study, capfd):
    from analysis import report

    folder, out = small_study
    argv = ["--output-dir", str(out), "--no-progress", "--workers", "2"]
    assert report.main(argv) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capfd.readouterr()
    assert report.main([*argv, "-p", "margin", "0.9"]) == 1  # a value the study refuses
    err = capfd.readouterr().err.splitlines()
    # the runner's message, found by what it says (a kernel may log its shutdown around it)
    first = next(i for i, ln in enumerate(err) if ln.startswith("segment_study.ipynb"))
    assert err[first] == (
        "segment_study.ipynb (segment 'high'), In [4] `assert margin < 0.5, \"margin above one "
        'half"` in section "2. A check on the margin": AssertionError: margin above one half'
    )
    log = out / "segments" / "logs" / "high.log"
    assert err[first + 1] == f"  full traceback: {log}" and log.is_file()
    assert "  the previous reports were left as they were" in err[first + 2 :]
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and "logs" not in p.parts}
    assert after == before  # every report, segment studies included, as it was
    assert not [p for p in out.rglob("*building*")]


def test_the_runner_sets_segment_and_customers_path_itself(small_study, capsys):
    from analysis import report

    _, out = small_study
    for name, value in (("segment", "low"), ("customers_path", "x.parquet"), ("segmentation", "x")):
        assert report.main(["--output-dir", str(out), "-p", name, value]) == 2
        assert f"{name}: " in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())


# --------------------------------------------------------------------------- the table read back


@pytest.fixture(scope="module")
def sample():
    from analysis import customers, data

    log = data.load_dataset("cdnow_sample")
    return log, customers.value_customers(log, observation_end="1998-06-30")


def test_the_written_table_reads_back_as_built(sample, tmp_path):
    from analysis import customers_io

    log, built = sample
    customers_io.export(built.table, tmp_path, info=built.info, formats=("parquet",))
    read = segment_studies.customer_table_from(
        tmp_path / "customers.parquet", log, observation_end="1998-06-30"
    )
    pd.testing.assert_frame_equal(read.table, built.table)
    assert read.info == built.info  # the observation end a Timestamp again
    again = segment_studies.customer_table_from("", log, observation_end="1998-06-30")
    pd.testing.assert_frame_equal(again.table, built.table)  # no path: built here


def test_a_table_of_other_parameters_or_another_log_is_refused(sample, tmp_path):
    from analysis import customers_io

    log, built = sample
    path = customers_io.export(built.table, tmp_path, info=built.info, formats=("parquet",))[0]
    with pytest.raises(ValueError, match=r"margin 0\.3 in the table, 0\.25 here") as refused:
        segment_studies.customer_table_from(path, log, observation_end="1998-03-31", margin=0.25)
    assert "observation_end 1998-06-30" in str(refused.value)
    fewer = log[log["customer_id"] != log["customer_id"].iloc[0]]
    with pytest.raises(ValueError, match=r"customers in the table, .* in the log"):
        segment_studies.customer_table_from(path, fewer, observation_end="1998-06-30")
    with pytest.raises(FileNotFoundError, match="customers_path: no file"):
        segment_studies.customer_table_from(tmp_path / "none.parquet", log)


def test_make_segments_reads_a_given_table_from_the_project_root(tmp_path, fake_runs, monkeypatch):
    from analysis import config

    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path)
    (tmp_path / "reports").mkdir()
    with pytest.raises(ParameterError, match="customers_path: no file .*reports/customers.parquet"):
        segment_studies.build_segment_studies(
            tmp_path, {"customers_path": "reports/customers.parquet"}
        )
    _table().to_parquet(tmp_path / "reports" / "customers.parquet")
    segment_studies.build_segment_studies(
        tmp_path, {"customers_path": "reports/customers.parquet"}, only=["low"], progress=False
    )
    assert fake_runs[0]["customers_path"] == str(tmp_path / "reports" / "customers.parquet")
