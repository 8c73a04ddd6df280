"""The report runner's output: offline HTML, provenance, parameter files, atomic replacement, progress."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis import config, dates, report
from analysis.report import provenance, schema

LOG = "customer_id,date,amount\nA,2020-01-03,10.0\nA,2020-02-01,5.5\nB,2020-01-20,7.0\n"

#: the parameters cell of a study notebook: comments only (papermill writes the values after it)
PARAMETERS = "# the values of the run"


def _frame() -> dict[str, str]:
    """The study's dates the runner takes from LOG."""
    return dates.time_frame(pd.read_csv(__import__("io").StringIO(LOG)), "", "", "").values()


def _notebook(path: Path, cells: list, parameters: str | None = PARAMETERS) -> Path:
    body = []
    if parameters is not None:
        cell = new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        body.append(cell)
    nb = new_notebook(cells=cells[:1] + body + cells[1:])
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def study(tmp_path, monkeypatch):
    """A folder of tiny notebooks the runner takes for the study, and a tiny log."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    return notebooks, log


def _tiny(notebooks: Path, name: str = "01_data", fail: bool = False) -> Path:
    cells = [
        new_markdown_cell(f"# Study {name}\n\nIt costs $75 per order and *then* $34."),
        new_code_cell(
            "from IPython.display import Markdown\nMarkdown('Worth $48,000, **not** $20.')"
        ),
    ]
    if fail:
        cells.append(new_code_cell('raise ValueError("boom")'))
    return _notebook(notebooks / f"{name}.ipynb", cells)


# --------------------------------------------------------------------------- offline HTML

EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*(?:src|href)\s*=\s*["']?(?:https?:|//)"""
)


def test_the_html_page_loads_nothing_and_money_stays_text(tmp_path):
    display = new_output("display_data", {"text/markdown": "Worth $48,000, **not** $20."})
    cells = [
        new_markdown_cell("# Title\n\nIt costs $75 per order and *then* $34.\n\n$$x$$"),
        new_code_cell("x = 1", outputs=[display]),
    ]
    executed = _notebook(tmp_path / "x.ipynb", cells, parameters=None)
    page = report.to_html(executed).read_text()
    assert not EXTERNAL.search(page)
    assert (
        "<script" not in page
    )  # no require.js, MathJax, Mermaid or widget loader, not even inline
    assert not re.search(r"url\(\s*['\"]?(?:https?:|//)", page)  # no web fonts or images in the CSS
    assert "@import" not in page
    assert "It costs $75 per order and <em>then</em> $34." in page  # markdown between the dollars
    assert "Worth $48,000, <strong>not</strong> $20." in page  # also in markdown outputs
    assert "$$x$$" in page  # no math anywhere
    assert "x = 1" not in page  # no code cells


# --------------------------------------------------------------------------- provenance


def test_provenance_names_the_data_the_parameters_and_the_code():
    facts = provenance.DatasetFacts(
        rows=3, customers=2, first_date="2020-01-03", last_date="2020-02-01"
    )
    values = {"dataset": "my|log.csv", "calibration_end": "2020-01-31", "margin": 0.25, "x": ""}
    text = report.provenance_markdown(
        values, facts, {"margin"}, commit="abc1234", run_date=datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    )
    assert "| dataset | `my\\|log.csv` |" in text
    assert "| rows, customers | 3; 2 |" in text
    assert "| purchase dates | 2020-01-03 to 2020-02-01 |" in text
    assert "| calibration end | 2020-01-31 |" in text and "observation end" not in text
    assert "commit abc1234" in text and "analysis 0.1.0" in text
    assert "| run | 2026-01-02 03:04 UTC |" in text
    # what the run set, by value; the defaults counted, every value in the executed notebook
    assert "set for this run: margin = `0.25`" in text and "dataset = " not in text
    assert "the other 3 at their defaults" in text and "holds every value" in text
    no_log = report.provenance_markdown({"seed": 1}, None, {"seed"}, commit="abc1234")
    assert "dataset" not in no_log and "rows" not in no_log and "seed = `1`" in no_log
    assert "none set for this run" in report.provenance_markdown({"seed": 1}, None, commit="x")
    assert "Parameters" not in report.provenance_markdown({}, None, commit="abc1234")
    unreadable = provenance.DatasetFacts(error="FileNotFoundError: no such file")
    assert "not counted (FileNotFoundError: no such file)" in report.provenance_markdown(
        values, unreadable, commit="abc1234"
    )


def test_git_commit_outside_a_checkout(tmp_path):
    assert report.git_commit(tmp_path) == "not a git checkout"
    assert re.fullmatch(r"[0-9a-f]{4,}( with uncommitted changes)?", report.git_commit())


def test_every_report_starts_with_its_provenance(study):
    notebooks, log = study
    _tiny(notebooks)
    out = notebooks.parent / "out"
    assert report.main(["--output-dir", str(out), "--no-progress", "-p", "dataset", str(log)]) == 0
    nb = nbformat.read(str(out / "01_data.ipynb"), as_version=4)
    assert nb.cells[0].source.startswith("# Study 01_data")
    cell = nb.cells[1]
    assert cell.metadata["tags"] == ["provenance"]
    text = cell.source
    assert f"| dataset | `{log}` |" in text
    assert "| rows, customers | 3; 2 |" in text
    assert "| purchase dates | 2020-01-03 to 2020-02-01 |" in text
    frame = _frame()
    assert f"| calibration end | {frame['calibration_end']} (from the data) |" in text
    assert f"| observation end | {frame['observation_end']} (from the data) |" in text
    # the one value the run set is listed; the defaults are counted, not listed
    assert f"set for this run: dataset = `{log}`" in text and "currency = " not in text
    assert "margin" not in text  # 01_data does not read it
    assert f"**Parameters** ({len(schema.used_by('01_data'))}):" in text
    assert "commit " in text and "| run | " in text
    assert "Provenance" in (out / "01_data.html").read_text()


# --------------------------------------------------------------------------- parameter files


def test_a_parameter_file_is_read_and_the_command_line_overrides_it(study):
    notebooks, log = study
    _tiny(notebooks, "03_clv")
    params = notebooks.parent / "mine.yaml"
    params.write_text(f"# mine\ndataset: {log}\nmargin: 0.4\ncalibration_end: 2020-01-25\n")
    out = notebooks.parent / "out"
    argv = ["--params", str(params), "--output-dir", str(out), "--no-progress"]
    assert report.main([*argv, "-p", "margin", "0.5"]) == 0
    text = nbformat.read(str(out / "03_clv.ipynb"), as_version=4).cells[1].source
    assert "margin = `0.5`" in text  # the command line wins
    assert "calibration_end = `2020-01-25`" in text  # a YAML date is taken as the date text
    assert "| margin | 0.5 |" not in text
    assert "<code>margin</code></td><td>0.5" in (out / "index.html").read_text()


def test_a_broken_parameter_file_names_the_line(tmp_path, capsys):
    params = tmp_path / "broken.yaml"
    params.write_text("margin: 0.3\ndataset: [unclosed\ncurrency: x\n")
    with pytest.raises(report.ParameterError) as caught:
        report.read_params_file(params)
    assert f"parameter file {params}, line " in caught.value.problems[0]
    assert "not valid YAML" in caught.value.problems[0]
    params.write_text("margin: 0.3\n  bad indent: 1\n")
    assert report.main(["--params", str(params), "--no-progress"]) == 2
    assert f"parameter file {params}, line 2" in capsys.readouterr().err
    params.write_text("- a list\n")
    with pytest.raises(report.ParameterError, match="a YAML mapping"):
        report.read_params_file(params)


def test_an_unknown_key_in_a_parameter_file_lists_the_known_ones(study, capsys):
    notebooks, log = study
    _tiny(notebooks)
    params = notebooks.parent / "mine.yaml"
    params.write_text(f"dataset: {log}\nmargn: 0.4\n")
    assert report.main(["--params", str(params), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter(s) ['margn'] (did you mean margin?)" in err
    assert "the parameters of the study: ['alpha_fall', 'alpha_rise', 'amount_column'" in err


PARAMETER_FILES = sorted((config.NOTEBOOKS_DIR / "params").rglob("*.yaml"))


@pytest.mark.parametrize("path", PARAMETER_FILES, ids=lambda p: p.stem)
def test_the_shipped_parameter_files_name_only_schema_parameters(path):
    parameters, runner = report.read_params_file(path)
    assert set(runner) <= {"generate", "anonymize_ids"}
    assert set(parameters) <= set(schema.PARAMETERS), sorted(
        set(parameters) - set(schema.PARAMETERS)
    )
    parameters.pop("dataset", None)  # the synthetic log and the user's log need not exist here
    report.check_parameters(parameters)


def test_the_cdnow_file_holds_the_schemas_defaults():
    parameters, _ = report.read_params_file(config.NOTEBOOKS_DIR / "params" / "cdnow.yaml")
    for name, value in parameters.items():
        assert schema.PARAMETERS[name].default == value, name


def test_a_parameter_file_with_the_old_name_is_read_with_a_warning(study):
    notebooks, log = study
    _tiny(notebooks, "04_segments")
    params = notebooks.parent / "old.yaml"
    params.write_text(f"dataset: {log}\ncost_per_order: 2.5\n")
    out = notebooks.parent / "out"
    with pytest.warns(FutureWarning, match="cost_per_order is now called cost_per_purchase"):
        code = report.main(["--params", str(params), "--output-dir", str(out), "--no-progress"])
    assert code == 0
    text = nbformat.read(str(out / "04_segments.ipynb"), as_version=4).cells[1].source
    assert "cost_per_purchase = `2.5`" in text and "cost_per_order" not in text


def test_the_synthetic_log_is_drawn_once_with_a_fixed_seed(tmp_path):
    target = tmp_path / "interim" / "synthetic.csv"
    settings = {"customers": 30, "periods": 6, "seed": 3}
    assert report.generate_log(str(target), settings) == target
    first = target.read_text()
    log = pd.read_csv(target)
    assert list(log.columns) == ["customer_id", "date", "amount"]
    assert log["date"].min() >= "2020-01-01" and log["date"].max() <= "2020-06-30"
    assert (tmp_path / "interim" / "synthetic_truth.csv").exists()
    assert report.generate_log(str(target), settings) is None  # exists: left alone
    target.unlink()
    report.generate_log(str(target), settings)
    assert target.read_text() == first
    assert report.generate_log(str(target), {**settings, "seed": 4}) == target  # drawn again
    assert target.read_text() != first
    own = tmp_path / "own.csv"
    own.write_text("customer_id,date,amount\n")
    assert report.generate_log(str(own), settings) is None  # not drawn here: never overwritten
    assert own.read_text() == "customer_id,date,amount\n"
    with pytest.raises(report.ParameterError, match="simulator"):
        report.generate_log(str(tmp_path / "x.csv"), {"simulator": "magic"})


# --------------------------------------------------------------------------- atomic output


def test_a_failed_run_leaves_the_previous_reports(study, capfd):
    notebooks, log = study
    out = notebooks.parent / "out"
    out.mkdir()
    (out / "README.md").write_text("kept")
    (out / "index.html").write_text("previous index")
    (out / "01_data.html").write_text("previous report")
    _tiny(notebooks)
    _tiny(notebooks, "02_lifecycle", fail=True)
    argv = ["--output-dir", str(out), "--no-progress", "-p", "dataset", str(log)]
    assert report.main(argv) == 1
    err = capfd.readouterr().err.splitlines()
    # the runner's message; a kernel may log its own shutdown around it
    first = next(i for i, ln in enumerate(err) if ln.startswith("02_lifecycle.ipynb"))
    assert err[first] == (
        '02_lifecycle.ipynb, In [4] `raise ValueError("boom")` in section "Study 02_lifecycle": '
        "ValueError: boom"
    )
    log = out / "logs" / "02_lifecycle.log"
    assert err[first + 1] == f"  full traceback: {log}"
    assert log.exists() and log.with_suffix(".ipynb").exists()
    assert (out / "index.html").read_text() == "previous index"
    assert (out / "01_data.html").read_text() == "previous report"
    assert sorted(p.name for p in out.iterdir()) == [
        "01_data.html",
        "README.md",
        "index.html",
        "logs",
    ]
    assert not [p for p in out.rglob("*building*")]  # no working folder left

    (notebooks / "02_lifecycle.ipynb").unlink()
    assert report.main(argv) == 0
    assert (out / "README.md").read_text() == "kept"
    assert "previous" not in (out / "index.html").read_text()
    assert "Provenance" in (out / "01_data.html").read_text()
    assert not [p for p in out.rglob("*building*")]


def test_a_broken_parameter_file_leaves_the_previous_reports(study):
    notebooks, _ = study
    _tiny(notebooks)
    out = notebooks.parent / "out"
    out.mkdir()
    (out / "index.html").write_text("previous index")
    params = notebooks.parent / "broken.yaml"
    params.write_text("margin: [\n")
    assert report.main(["--params", str(params), "--output-dir", str(out), "--no-progress"]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]
    assert (out / "index.html").read_text() == "previous index"


# --------------------------------------------------------------------------- progress, workers


def test_durations_read_as_minutes():
    from analysis.report.runner import duration

    assert [duration(s) for s in (4.4, 70, 3725)] == ["4 s", "1 min 10 s", "1 h 2 min"]


def test_two_workers_run_the_notebooks_and_say_how_far_they_are(study, capsys):
    notebooks, log = study
    for name in ("01_data", "02_lifecycle", "03_clv"):
        _tiny(notebooks, name)
    out = notebooks.parent / "out"
    argv = ["--output-dir", str(out), "--no-progress", "--workers", "2", "-p", "dataset", str(log)]
    assert report.main(argv) == 0
    printed = capsys.readouterr().out.splitlines()
    done = [ln for ln in printed if " done in " in ln]
    assert len(done) == 3
    assert [ln.split("]")[0] for ln in done] == ["[1/3", "[2/3", "[3/3"]
    assert all(re.search(r"done in \d+ s; total \d+ (s|min)", ln) for ln in done)
    index = (out / "index.html").read_text()
    assert (
        index.index("01_data.html") < index.index("02_lifecycle.html") < index.index("03_clv.html")
    )
    for name in ("01_data", "02_lifecycle", "03_clv"):
        assert (out / f"{name}.html").exists()


def test_the_index_links_segment_pages(tmp_path):
    (tmp_path / "segments").mkdir()
    (tmp_path / "segments" / "champions.html").write_text("x")
    entry = {"title": "T", "lead": "L", "html": "01.html", "notebook": "01.ipynb", "summary": "S"}
    page = report.write_index(tmp_path, [entry], {"margin": 0.25}).read_text()
    assert 'href="segments/champions.html"' in page
    assert "<code>margin</code></td><td>0.25" in page
    assert "<small>S</small>" in page


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_report_passes_the_parameter_file():
    result = subprocess.run(
        ["make", "-n", "report", "PARAMS=notebooks/params/mine.yaml", "REPORT_ARGS=--workers 2"],
        cwd=config.PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    line = [ln for ln in result.stdout.splitlines() if "analysis.report" in ln]
    assert line and line[-1].split()[-4:] == [
        "--params",
        "notebooks/params/mine.yaml",
        "--workers",
        "2",
    ]


# --------------------------------------------------------------------------- anonymized ids

RAW_IDS = ("RAWID-ALICE-0001", "RAWID-BOB-0002")


def test_ids_are_hashed_with_a_salt_and_the_same_id_gets_the_same_hash():
    from analysis import data

    log = pd.DataFrame({"customer_id": [RAW_IDS[0], RAW_IDS[1], RAW_IDS[0]], "amount": [1, 2, 3]})
    hidden = data.anonymize_ids(log, "pepper")
    assert hidden["customer_id"].iloc[0] == hidden["customer_id"].iloc[2]
    assert hidden["customer_id"].nunique() == 2
    assert not set(RAW_IDS) & set(hidden["customer_id"])
    assert hidden["customer_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    other = data.anonymize_ids(log, "salt")["customer_id"]
    assert not set(other) & set(hidden["customer_id"])  # another salt, other hashes
    assert list(log["customer_id"]) == [RAW_IDS[0], RAW_IDS[1], RAW_IDS[0]]  # input untouched
    with pytest.raises(ValueError):
        data.anonymize_ids(log, "")


def test_no_raw_id_reaches_any_output_with_anonymize_ids(study, monkeypatch):
    from analysis import data

    notebooks, log = study
    log.write_text(
        "customer_id,date,amount\n"
        f"{RAW_IDS[0]},2020-01-03,10.0\n{RAW_IDS[0]},2020-02-01,5.5\n{RAW_IDS[1]},2020-01-20,7.0\n"
    )
    cells = [
        new_markdown_cell("# Ids\n\nThe customers, listed."),
        new_code_cell(
            "from pathlib import Path\nfrom analysis import data\n"
            "transactions = data.load_dataset(dataset, customer_id=customer_id_column)\n"
            "transactions.to_csv(Path(export_dir, 'customers.csv'), index=False)\n"
            "print(sorted(transactions['customer_id'].unique()))\ntransactions"
        ),
    ]
    _notebook(notebooks / "04_segments.ipynb", cells)
    monkeypatch.delenv(data.ANONYMIZE_SALT_ENV, raising=False)
    params = notebooks.parent / "mine.yaml"
    params.write_text(f"dataset: {log}\nanonymize_ids: true\n")
    out = notebooks.parent / "out"
    assert report.main(["--params", str(params), "--output-dir", str(out), "--no-progress"]) == 0
    written = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"04_segments.html", "04_segments.ipynb", "customers.csv"}
    for path in written:
        text = path.read_text(errors="replace")
        assert not any(raw in text for raw in RAW_IDS), path.name
    assert len(pd.read_csv(out / "customers.csv")["customer_id"].unique()) == 2
    provenance_cell = nbformat.read(str(out / "04_segments.ipynb"), as_version=4).cells[1].source
    assert "replaced by salted hashes" in provenance_cell
    assert data.ANONYMIZE_SALT_ENV not in __import__("os").environ  # the salt is gone with the run
    # without the option the ids are the file's
    assert report.main(["--output-dir", str(out), "--no-progress", "-p", "dataset", str(log)]) == 0
    assert RAW_IDS[0] in (out / "customers.csv").read_text()


def test_the_index_line_is_the_first_reading_with_a_number(tmp_path):
    from analysis.report.pages import report_summary

    def shown(text):
        return new_output("display_data", {"text/markdown": text})

    cells = [
        new_markdown_cell("# T\n\n**Reading.** Not an output."),
        new_code_cell("a", outputs=[shown("No files written: `export_dir` is empty.")]),
        new_code_cell("b", outputs=[shown("**Reading.** Every row is auditable. 3 rules.")]),
        new_code_cell(
            "c",
            outputs=[
                shown("**Reading.** Of 1,234 customers, 4.0% in *formation* ('x'). Then more.")
            ],
        ),
    ]
    path = _notebook(tmp_path / "x.ipynb", cells, parameters=None)
    assert report_summary(path) == "Of 1,234 customers, 4.0% in formation ('x')."
    assert report_summary(path, limit=20) == "Of 1,234 customers, ..."
    empty = _notebook(tmp_path / "y.ipynb", cells[:2], parameters=None)
    assert report_summary(empty) == ""
    # a cell tagged "summary" is the notebook's own choice, reading or not
    chosen = new_code_cell("d", outputs=[shown("The 1,234 customers are worth $5,678. More.")])
    chosen.metadata["tags"] = ["summary"]
    tagged = _notebook(tmp_path / "z.ipynb", [*cells, chosen], parameters=None)
    assert report_summary(tagged) == "The 1,234 customers are worth $5,678."


def test_a_parameter_of_another_notebook_is_accepted_with_only(study):
    notebooks, log = study
    _tiny(notebooks, "01_data")
    _tiny(notebooks, "05_strategy")
    out = notebooks.parent / "out"
    argv = ["--only", "01_data", "--output-dir", str(out), "--no-progress", "-p", "dataset"]
    argv.append(str(log))
    assert report.main([*argv, "-p", "holdout_share", "0.2"]) == 0  # a file serves the study
    assert report.main([*argv, "-p", "holdout_shar", "0.2"]) == 2  # a name not in the schema


def test_a_broken_parameter_names_the_study_notebook_and_its_cell(tmp_path, capfd):
    """A value the checks let through (a column the log does not have) stops 01_data's loading cell."""
    notebook = config.NOTEBOOKS_DIR / "01_data.ipynb"
    cells = nbformat.read(str(notebook), as_version=4).cells
    index, loading = next((i, c) for i, c in enumerate(cells) if "load_dataset(" in c.source)
    first_line = next(ln.strip() for ln in loading.source.splitlines() if ln.strip())
    # papermill's In [N]: the code cells before it, the injected values and the cell itself
    number = sum(c.cell_type == "code" for c in cells[:index]) + 2
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("previous index")
    (out / "01_data.html").write_text("previous report")
    argv = ["--only", "01_data", "--output-dir", str(out), "--no-progress", "-p", "dataset"]
    assert report.main([*argv, str(log), "-p", "customer_id_column", "client"]) == 1
    err = capfd.readouterr().err.splitlines()
    first = next(i for i, ln in enumerate(err) if ln.startswith("01_data.ipynb"))
    assert err[first].startswith(f"01_data.ipynb, In [{number}] `{first_line}` in section ")
    assert "client" in err[first]  # the error names the column asked for
    assert err[first + 1] == f"  full traceback: {out / 'logs' / '01_data.log'}"
    assert (out / "index.html").read_text() == "previous index"
    assert (out / "01_data.html").read_text() == "previous report"
    assert sorted(p.name for p in out.iterdir()) == ["01_data.html", "index.html", "logs"]
