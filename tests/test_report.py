"""The report runner: notebook discovery, index page, parameters, failures, warnings, `make lab`."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from analysis import config, report
from analysis.report import schema
from analysis.validate import DataQualityWarning


def _notebook(path: Path, cells: list, parameters: str | None = "# values") -> Path:
    """Write a small notebook: a tagged parameters cell first (unless None), then ``cells``."""
    body = []
    if parameters is not None:
        cell = new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        body.append(cell)
    nb = new_notebook(cells=body + cells)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nbformat.write(nb, str(path))
    return path


def _study_notebooks() -> list[Path]:
    return [*report.discover_notebooks(), config.NOTEBOOKS_DIR / "segment_study.ipynb"]


def test_discovers_numbered_notebooks_in_order():
    names = [p.name for p in report.discover_notebooks()]
    assert names[:2] == ["00_reproduction.ipynb", "01_data.ipynb"]
    assert names == sorted(names)


@pytest.mark.parametrize("nb_path", _study_notebooks(), ids=lambda p: p.stem)
def test_the_parameters_cell_only_receives_values(nb_path):
    """One tagged cell of comments (papermill writes the values after it); the next cell
    is the one call that gives the notebook the schema's parameters."""
    import papermill as pm

    cells = nbformat.read(str(nb_path), as_version=4).cells
    tagged = [i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{nb_path.name}: needs exactly one cell tagged 'parameters'"
    source = cells[tagged[0]].source
    assert all(ln.startswith("#") for ln in source.splitlines() if ln.strip()), source
    assert pm.inspect_notebook(str(nb_path)) == {}  # nothing declared in the notebook
    following = cells[tagged[0] + 1].source
    if nb_path.stem in schema.NOTEBOOKS:
        assert f'report.receive(globals(), "{nb_path.stem}")' in following, nb_path.name
    else:
        assert "receive(" not in following and not schema.used_by(nb_path.stem)


def _free_names(script: Path) -> tuple[set[str], set[str]]:
    """The names a notebook script reads without setting them, and every name it reads."""
    import builtins

    tree = ast.parse(script.read_text(encoding="utf-8"))
    set_here, read = set(dir(builtins)) | {"display", "get_ipython"}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else set_here).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            set_here |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.arg):
            set_here.add(node.arg)
    return read - set_here, read


@pytest.mark.parametrize("nb_path", _study_notebooks(), ids=lambda p: p.stem)
def test_each_parameter_is_declared_once_in_the_schema(nb_path):
    """Every name a notebook reads without setting it is a parameter the schema gives it,
    and every parameter the schema gives it is read."""
    free, read = _free_names(nb_path.with_suffix(".py"))
    given = set(schema.used_by(nb_path.stem))
    assert free <= given, f"{nb_path.stem} reads {sorted(free - given)}: declare them in the schema"
    assert given <= read, f"the schema gives {nb_path.stem} {sorted(given - read)}, never read"


def test_the_schema_declares_each_parameter_with_a_kind_a_default_and_a_doc():
    assert schema.NOTEBOOKS[:2] == ("01_data", "02_lifecycle")
    assert set(schema.NOTEBOOKS) == {p.stem for p in _study_notebooks()} - {"00_reproduction"}
    for name, p in schema.PARAMETERS.items():
        assert p.name == name and p.kind in schema.KINDS and p.doc and p.notebooks, name
        assert schema.convert(p, p.default) == p.default, name  # the default is of its kind
    assert set(schema.RENAMED.values()) <= set(schema.PARAMETERS)
    assert not set(schema.RENAMED) & set(schema.PARAMETERS)


def test_notebooks_define_no_functions():
    for nb_path in report.discover_notebooks():
        nb = json.loads(nb_path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                src = "".join(cell["source"])
                assert "\ndef " not in "\n" + src and "\nclass " not in "\n" + src, nb_path.name


def test_every_notebook_loads_the_log_with_the_loading_parameters():
    for nb_path in report.discover_notebooks():
        code = "".join(
            "".join(c["source"])
            for c in json.loads(nb_path.read_text())["cells"]
            if c["cell_type"] == "code"
        )
        if "dataset" not in schema.used_by(nb_path.stem):  # the reproduction, the methods
            assert "data.load_dataset(" not in code, nb_path.name
            continue
        call = re.search(r"data\.load_dataset\((.*?)\n\)", code, re.S)
        assert call, f"{nb_path.name}: no data.load_dataset(...) call"
        for passed in (
            "dayfirst=dayfirst or None",
            "returns=returns",
            "duplicates=duplicates",
            "date_format=date_format or None",
            "customer_id=customer_id_column",
        ):
            assert passed in call.group(1), f"{nb_path.name}: load_dataset is not given {passed}"
        assert "report.use_short_warnings()" in code, nb_path.name


def test_a_notebook_receives_the_values_given_and_the_defaults():
    namespace = {"margin": 0.25, "time_unit": "D", "unrelated": 1}
    values = report.receive(namespace, "03_clv")
    assert list(values) == list(schema.used_by("03_clv"))
    assert namespace["margin"] == 0.25 and namespace["time_unit"] == "D"
    assert namespace["dataset"] == "cdnow" and namespace["observation_end"] == ""
    assert namespace["unrelated"] == 1 and "segment" not in namespace
    with pytest.raises(report.ParameterError) as caught:
        report.receive({"margin": "lots", "returns": "ignore"}, "03_clv")
    assert caught.value.problems == [  # in the schema's order
        "returns: 'ignore' is not one of error, drop, keep",
        "margin: 'lots' is not a valid float (default 0.3); write a number such as 0.25",
    ]
    assert "03_clv stopped before its first step" in str(caught.value)
    with pytest.raises(report.ParameterError, match="no parameters are declared for '07_x'"):
        report.receive({}, "07_x")


def test_a_notebook_run_without_values_takes_the_defaults_and_refuses_a_bad_one(tmp_path):
    """As in JupyterLab (nothing injected) and under papermill (a bad value injected)."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    nb = _notebook(
        tmp_path / "03_clv.ipynb",
        [
            new_code_cell('from analysis import report\nreport.receive(globals(), "03_clv")'),
            new_code_cell("print(margin, time_unit, repr(observation_end))"),
        ],
    )
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(nb), str(out), progress_bar=False, kernel_name="python3")
    printed = nbformat.read(str(out), as_version=4).cells[-1].outputs[0]["text"]
    assert printed.split() == ["0.3", "W", "''"]
    with pytest.raises(PapermillExecutionError) as failed:
        pm.execute_notebook(
            str(nb),
            str(out),
            parameters={"margin": "lots"},
            progress_bar=False,
            kernel_name="python3",
        )
    assert failed.value.ename == "ParameterError"
    assert "03_clv stopped before its first step" in failed.value.evalue
    assert "margin: 'lots' is not a valid float" in "\n".join(failed.value.traceback)


def test_the_old_name_of_the_cost_per_purchase_is_read_with_a_warning():
    with pytest.warns(FutureWarning, match="cost_per_order is now called cost_per_purchase"):
        assert report.check_parameters({"cost_per_order": "2"}) == {"cost_per_purchase": 2.0}
    with pytest.raises(report.ParameterError, match="cost_per_order: renamed cost_per_purchase"):
        report.check_parameters({"cost_per_order": 1, "cost_per_purchase": 2})
    namespace = {"cost_per_order": 3.0}
    with pytest.warns(FutureWarning):
        report.receive(namespace, "04_segments")
    assert namespace["cost_per_purchase"] == 3.0


def test_index_links_reports(tmp_path):
    (tmp_path / "bench.md").write_text("| a |")
    entries = [
        {
            "title": "The log",
            "lead": "who buys",
            "html": "01_data.html",
            "notebook": "01_data.ipynb",
        }
    ]
    page = report.write_index(tmp_path, entries).read_text()
    assert 'href="01_data.html"' in page and "The log" in page and 'href="bench.md"' in page


def test_values_from_the_command_line_read_as_their_kind():
    p = schema.PARAMETERS
    assert schema.convert(p["time_unit"], '"W"') == "W"  # quoted by a shell
    assert schema.convert(p["customer_id_column"], "123") == "123"
    assert schema.convert(p["warning_top_tiers"], '["high"]') == ["high"]
    assert schema.convert(p["pdca_targets"], '{"a": 1}') == {"a": 1}
    assert schema.convert(p["observation_end"], __import__("datetime").date(1998, 6, 30)) == (
        "1998-06-30"
    )
    with pytest.raises(ValueError, match="write it in JSON"):
        schema.convert(p["warning_top_tiers"], "high")


# --------------------------------------------------------------------------- checking parameters


def test_unknown_parameter_is_rejected_with_the_known_ones(capsys):
    assert report.main(["--only", "01_data", "-p", "discount_rat", "0.1"]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter(s) ['discount_rat'] (did you mean annual_discount_rate?)" in err
    assert "'dataset'" in err and "Traceback" not in err


def test_loading_options_are_study_parameters():
    checked = report.check_parameters(
        {"returns": "drop", "duplicates": "error", "dayfirst": "true", "date_format": "%d/%m/%Y"}
    )
    assert checked == {
        "returns": "drop",
        "duplicates": "error",
        "dayfirst": True,
        "date_format": "%d/%m/%Y",
    }
    assert schema.loading_options({**checked, "amount_column": "", "customer_id_column": "id"}) == {
        "returns": "drop",
        "duplicates": "error",
        "dayfirst": True,
        "date_format": "%d/%m/%Y",
        "amount": "",
        "customer_id": "id",
    }


def test_values_take_the_declared_type():
    checked = report.check_parameters(
        {
            "margin": "0.2",
            "max_frequency": "5",
            "dayfirst": "False",
            "customer_id_column": "123",
            "time_unit": '"W"',
            "dataset": "cdnow_sample",
            "horizon_years": 2,
        }
    )
    assert checked == {
        "margin": 0.2,
        "max_frequency": 5,
        "dayfirst": False,
        "customer_id_column": "123",
        "time_unit": "W",
        "dataset": "cdnow_sample",
        "horizon_years": 2.0,
    }
    assert isinstance(checked["horizon_years"], float)


def test_every_problem_is_listed_together():
    with pytest.raises(report.ParameterError) as caught:
        report.check_parameters(
            {
                "margin": "abc",
                "max_frequency": "1.5",
                "dayfirst": "maybe",
                "calibration_end": "1997-13-45",
                "returns": "ignore",
                "duplicates": "skip",
                "period": "fortnight",
                "dataset": "no/such/log.csv",
                "discount_rat": "1",
            }
        )
    problems = caught.value.problems
    assert problems == [
        "unknown parameter(s) ['discount_rat'] (did you mean annual_discount_rate?); the "
        f"parameters of the study: {sorted(schema.PARAMETERS)}",
        "margin: 'abc' is not a valid float (default 0.3); write a number such as 0.25",
        "max_frequency: '1.5' is not a valid int (default 7); write a whole number such as 7",
        "dayfirst: 'maybe' is not a valid bool (default False); write true or false",
        "calibration_end: '1997-13-45' is not a date; write it as YYYY-MM-DD, e.g. 1997-09-30",
        "returns: 'ignore' is not one of error, drop, keep",
        "duplicates: 'skip' is not one of warn, drop, error",
        "period: must be one of ['D', 'M', 'Q', 'W', 'Y'], got 'fortnight'",
        "dataset: 'no/such/log.csv' is neither a built-in dataset (cdnow, cdnow_sample) nor a file "
        f"(looked for {config.PROJECT_ROOT / 'no/such/log.csv'})",
    ]
    assert str(caught.value).startswith(
        "9 problem(s) with the parameters; no notebook was run:\n  - "
    )


def test_a_close_name_is_suggested():
    with pytest.raises(report.ParameterError, match=r"did you mean annual_discount_rate\?"):
        report.check_parameters({"discount_rate": "0.1"})


def test_calibration_end_must_precede_observation_end():
    with pytest.raises(report.ParameterError) as caught:
        report.check_parameters({"calibration_end": "1998-09-30", "observation_end": "1998-06-30"})
    assert caught.value.problems == [
        "calibration_end (1998-09-30) must be before observation_end (1998-06-30): "
        "the holdout runs between them"
    ]
    assert report.check_parameters(
        {"calibration_end": "1998-01-31", "observation_end": "1998-03-31"}
    )


def test_dates_must_be_written_year_month_day():
    # 09/10/1997 reads as 10 September or 9 October: the runner takes neither
    with pytest.raises(report.ParameterError) as caught:
        report.check_parameters({"calibration_end": "09/10/1997"})
    assert caught.value.problems == [
        "calibration_end: '09/10/1997' is not a date; write it as YYYY-MM-DD, e.g. 1997-09-30"
    ]
    empty = {"calibration_end": "", "observation_end": "", "plan_end": ""}
    assert report.check_parameters(empty) == empty  # empty: from the data


def test_an_existing_file_is_a_dataset(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("customer_id,date,amount\n1,2020-01-01,3.0\n")
    assert report.check_parameters({"dataset": str(log)}) == {"dataset": str(log)}


def test_refused_parameters_exit_2_before_any_kernel(capsys, monkeypatch):
    def no_kernel(*args, **kwargs):
        raise AssertionError("a notebook was started although the parameters were refused")

    monkeypatch.setattr("analysis.report.runner.run_notebook", no_kernel)
    code = report.main(["--only", "03_clv", "-p", "margin", "lots", "-p", "returns", "ignore"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[:3] == [
        "error: 2 problem(s) with the parameters; no notebook was run:",
        "  - margin: 'lots' is not a valid float (default 0.3); write a number such as 0.25",
        "  - returns: 'ignore' is not one of error, drop, keep",
    ]
    assert "Traceback" not in err


def test_the_help_lists_every_parameter(capsys):
    with pytest.raises(SystemExit):
        report.main(["--help"])
    out = capsys.readouterr().out
    for name in schema.PARAMETERS:
        assert f"  {name} = " in out, name
    assert "top_warnings = 20  [int; 05_strategy]" in out


# --------------------------------------------------------------------------- failures


def test_failing_section_is_the_heading_above_the_cell(tmp_path):
    from papermill.execute import ERROR_MARKER_TAG

    marker = new_markdown_cell("# An Exception was encountered")  # papermill adds these at an error
    marker.metadata["tags"] = [ERROR_MARKER_TAG]
    cells = [
        marker,
        new_markdown_cell("# Title\n\nIntro."),
        new_code_cell("x = 1"),
        new_markdown_cell("Some text\n\n## 2. Do the models predict the holdout?\n\nMore text."),
        new_markdown_cell("A paragraph without a heading."),
        new_code_cell("y = 2"),
        new_code_cell("raise ValueError"),
    ]
    path = _notebook(tmp_path / "x.ipynb", cells, parameters=None)
    # cell_index counts the cells as executed, without papermill's marker cells
    assert report.failing_cell(path, 5).section == "2. Do the models predict the holdout?"
    assert report.failing_cell(path, 1).section == "Title"
    assert report.failing_cell(path, 0).section is None
    assert report.failing_cell(tmp_path / "missing.ipynb", 3) is None


def test_the_failing_cell_is_papermills_in_n_with_its_first_line(tmp_path):
    long_line = "table = build(" + "x, " * 40 + ")"
    cells = [
        new_markdown_cell("# Title\n\n## 1. First part"),
        new_code_cell("\n\n# build the table\nx = size"),
        new_code_cell(long_line),
    ]
    path = _notebook(tmp_path / "x.ipynb", cells, parameters=None)
    assert report.failing_cell(path, 1, number=3) == (3, "# build the table", "1. First part")
    last = report.failing_cell(path, 2, number=4)
    assert last.first_line.endswith("...") and len(last.first_line) <= 80
    assert last.describe().startswith("In [4] `table = build(x,")
    assert report.failing_cell(path, 9) is None and report.failing_cell(tmp_path / "no", 1) is None
    assert report.FailingCell(7, "x = 1", None).describe() == "In [7] `x = 1`"


def test_a_failing_notebook_names_its_cell_and_logs_the_traceback(tmp_path, monkeypatch, capfd):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _notebook(
        notebooks / "01_data.ipynb",
        [
            new_markdown_cell("# A tiny study\n\n## Step one"),
            new_code_cell("total = len(currency) + 1"),
            new_markdown_cell("## Step two\n\nThis step fails."),
            new_code_cell('raise ValueError("boom")'),
            new_code_cell("never = True"),
        ],
    )
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)
    out = tmp_path / "out"
    argv = ["--output-dir", str(out), "--no-progress", "-p", "currency", "EUR"]
    code = report.main([*argv, "-p", "dataset", "cdnow_sample"])
    captured = capfd.readouterr()
    assert code == 1
    # a kernel may log its own shutdown ('[IPKernelApp] ERROR | KeyboardInterrupt caught in
    # kernel') on the shared stderr: the runner's message is found by what it says
    lines = captured.err.splitlines()
    first = next(i for i, ln in enumerate(lines) if ln.startswith("01_data.ipynb"))
    # papermill's count: the parameters cell, its injected values, then the two cells above
    assert lines[first] == (
        '01_data.ipynb, In [4] `raise ValueError("boom")` in section "Step two": ValueError: boom'
    )
    log = out / "logs" / "01_data.log"
    assert lines[first + 1] == f"  full traceback: {log}"
    text = log.read_text()
    assert 'raise ValueError("boom")' in text and "ValueError: boom" in text
    assert "section: Step two" in text and "'currency': 'EUR'" in text
    assert "cell: In [4] of the executed copy" in text
    assert "\x1b[" not in text  # no terminal colour codes in the log
    assert "Traceback" not in captured.err + captured.out  # no Python traceback on the console
    # the kernel ran over an encrypted (or local) channel: no plain-TCP warning
    assert "without encryption" not in captured.err + captured.out


def test_the_kernel_channel_is_encrypted_or_local():
    import zmq

    settings = report.kernel_config()
    if zmq.has("curve"):
        assert settings.KernelManager.transport_encryption == "auto"
    else:
        assert os.name != "posix" or settings.KernelManager.transport == "ipc"


# --------------------------------------------------------------------------- warnings


def test_short_warnings_carry_no_source_path(monkeypatch):
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)  # restored afterwards
    source = str(Path(report.__file__).parents[1] / "validate.py")
    before = warnings.formatwarning("3 duplicate rows", DataQualityWarning, source, 247)
    assert source in before
    report.use_short_warnings()
    assert warnings.formatwarning("3 duplicate rows", DataQualityWarning, source, 247) == (
        "DataQualityWarning: 3 duplicate rows\n"
    )


# --------------------------------------------------------------------------- make lab


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_passes_extra_flags_and_allows_root():
    result = subprocess.run(
        ["make", "-n", "lab", "LAB_ARGS=--port=9999"],
        cwd=config.PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lab = [ln for ln in result.stdout.splitlines() if "jupyter lab" in ln]
    assert len(lab) == 1, result.stdout
    assert lab[0].split()[-1] == "--port=9999"
    assert ("--allow-root" in lab[0]) == (os.geteuid() == 0)


def test_a_notebook_exports_into_the_report_folder(tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _notebook(
        notebooks / "05_strategy.ipynb",
        [
            new_markdown_cell("# Exports\n\nWrites a file for the reader."),
            new_code_cell(
                "from pathlib import Path\nPath(export_dir, 'plan.yaml').write_text('id: 1\\n')"
            ),
        ],
    )
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)
    out = tmp_path / "out"
    argv = ["--output-dir", str(out), "--no-progress", "-p", "dataset", "cdnow_sample"]
    assert report.main(argv) == 0
    assert (out / "plan.yaml").read_text() == "id: 1\n"
    assert not (notebooks / "plan.yaml").exists()
