"""The report runner: notebook discovery, index page, parameters, failures, warnings, `make lab`."""

from __future__ import annotations

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
from analysis.validate import DataQualityWarning

LOADING_PARAMETERS = [
    "dataset",
    "customer_id_column",
    "date_column",
    "amount_column",
    "date_format",
    "dayfirst",
    "returns",
    "duplicates",
]


def _notebook(path: Path, cells: list, parameters: str | None = None) -> Path:
    """Write a small notebook: an optional tagged parameters cell first, then ``cells``."""
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


def _parameters_cell(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    return "".join(cell["source"])


def test_discovers_numbered_notebooks_in_order():
    names = [p.name for p in report.discover_notebooks()]
    assert names[:2] == ["00_reproduction.ipynb", "01_data.ipynb"]
    assert names == sorted(names)


def test_every_notebook_has_a_tagged_parameters_cell():
    for nb_path in report.discover_notebooks():
        nb = json.loads(nb_path.read_text())
        tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{nb_path.name}: needs exactly one cell tagged 'parameters'"
        src = "".join(tagged[0]["source"])
        for line in src.splitlines():
            if line.strip() and not line.startswith("#"):
                assert ":" in line.split("=")[0] and "#" in line, (
                    f"{nb_path.name}: parameter lines need a type annotation and a comment: {line!r}"
                )


def test_notebooks_define_no_functions():
    for nb_path in report.discover_notebooks():
        nb = json.loads(nb_path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                src = "".join(cell["source"])
                assert "\ndef " not in "\n" + src and "\nclass " not in "\n" + src, nb_path.name


#: notebooks that load no log: the reproduction page fits the papers' own data, fixed by
#: the papers, so it has no loading parameters and calls no data.load_dataset
LOADS_NO_LOG = {"00_reproduction.ipynb"}


def test_every_notebook_declares_and_passes_the_same_loading_parameters():
    lines = {}
    for nb_path in report.discover_notebooks():
        if nb_path.name in LOADS_NO_LOG:
            assert "data.load_dataset(" not in nb_path.read_text(), nb_path.name
            continue
        declared = {
            ln.split(":")[0]: ln for ln in _parameters_cell(nb_path).splitlines() if ln.strip()
        }
        missing = [name for name in LOADING_PARAMETERS if name not in declared]
        assert not missing, f"{nb_path.name} lacks loading parameter(s) {missing}"
        # the same line (type, default, comment) everywhere, except the default dataset
        lines[nb_path.name] = [declared[name] for name in LOADING_PARAMETERS[1:]]
        code = "".join(
            "".join(c["source"])
            for c in json.loads(nb_path.read_text())["cells"]
            if c["cell_type"] == "code"
        )
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
    assert len({tuple(v) for v in lines.values()}) == 1, lines
    assert "dayfirst: bool = False  # dates written day first" in lines["01_data.ipynb"][4]


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


def test_parameter_values_parse_as_json_or_text():
    assert report.parse_value("0.1") == 0.1
    assert report.parse_value("cdnow_sample") == "cdnow_sample"
    assert report.parse_value('"W"') == "W"


def test_papermill_reads_every_parameter():
    import papermill as pm

    for nb_path in report.discover_notebooks():
        declared = [
            ln.split(":")[0].strip()
            for ln in _parameters_cell(nb_path).splitlines()
            if ln.strip() and not ln.startswith("#")
        ]
        assert list(pm.inspect_notebook(str(nb_path))) == declared, nb_path.name


# --------------------------------------------------------------------------- checking parameters


def test_unknown_parameter_is_rejected_with_the_known_ones(capsys):
    assert report.main(["--only", "01_data", "-p", "discount_rat", "0.1"]) == 2
    err = capsys.readouterr().err
    assert "no notebook has parameter(s) ['discount_rat']" in err and "'dataset'" in err
    assert "Traceback" not in err


def test_loading_options_are_study_parameters():
    checked = report.check_parameters(
        report.discover_notebooks(),
        {"returns": "drop", "duplicates": "error", "dayfirst": "true", "date_format": "%d/%m/%Y"},
    )
    assert checked == {
        "returns": "drop",
        "duplicates": "error",
        "dayfirst": True,
        "date_format": "%d/%m/%Y",
    }


def test_values_take_the_declared_type():
    checked = report.check_parameters(
        report.discover_notebooks(),
        {
            "margin": "0.2",
            "max_frequency": "5",
            "dayfirst": "False",
            "customer_id_column": "123",
            "time_unit": '"W"',
            "dataset": "cdnow_sample",
            "horizon_years": 2,
        },
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
            report.discover_notebooks(),
            {
                "margin": "abc",
                "max_frequency": "1.5",
                "dayfirst": "maybe",
                "calibration_end": "1997-13-45",
                "returns": "ignore",
                "duplicates": "skip",
                "dataset": "no/such/log.csv",
                "discount_rat": "1",
            },
        )
    problems = caught.value.problems
    assert problems == [
        "no notebook has parameter(s) ['discount_rat'] (did you mean annual_discount_rate?); known: "
        + str(sorted({n for nb in report.discover_notebooks() for n in _declared(nb)}))
        + f" (notebooks: {', '.join(nb.stem for nb in report.discover_notebooks())})",
        "margin: 'abc' is not a valid float (default 0.30); write a number such as 0.25",
        "max_frequency: '1.5' is not a valid int (default 7); write a whole number such as 7",
        "dayfirst: 'maybe' is not a valid bool (default False); write true or false",
        "calibration_end: '1997-13-45' is not a date; write it as YYYY-MM-DD, e.g. 1997-09-30",
        "returns: 'ignore' is not one of error, drop, keep",
        "duplicates: 'skip' is not one of warn, drop, error",
        "dataset: 'no/such/log.csv' is neither a built-in dataset (cdnow, cdnow_sample) nor a file "
        f"(looked for {config.PROJECT_ROOT / 'no/such/log.csv'})",
    ]
    assert str(caught.value).startswith(
        "8 problem(s) with the parameters; no notebook was run:\n  - "
    )


def _declared(nb_path: Path) -> list[str]:
    return [
        ln.split(":")[0]
        for ln in _parameters_cell(nb_path).splitlines()
        if ln.strip() and not ln.startswith("#")
    ]


def test_a_close_name_is_suggested():
    with pytest.raises(report.ParameterError, match=r"did you mean annual_discount_rate\?"):
        report.check_parameters(report.discover_notebooks(), {"discount_rate": "0.1"})


def test_calibration_end_must_precede_observation_end():
    notebooks = report.discover_notebooks()
    with pytest.raises(report.ParameterError) as caught:
        report.check_parameters(
            notebooks, {"calibration_end": "1998-09-30", "observation_end": "1998-06-30"}
        )
    assert caught.value.problems == [
        "calibration_end (1998-09-30) must be before observation_end (1998-06-30): "
        "the holdout runs between them"
    ]
    assert report.check_parameters(
        notebooks, {"calibration_end": "1998-01-31", "observation_end": "1998-03-31"}
    )


def test_dates_must_be_written_year_month_day():
    # 09/10/1997 reads as 10 September or 9 October: the runner takes neither
    notebooks = report.discover_notebooks()
    with pytest.raises(report.ParameterError) as caught:
        report.check_parameters(notebooks, {"calibration_end": "09/10/1997"})
    assert caught.value.problems == [
        "calibration_end: '09/10/1997' is not a date; write it as YYYY-MM-DD, e.g. 1997-09-30"
    ]


def test_empty_dates_only_where_the_notebook_allows_them(tmp_path):
    # the study's notebooks document "empty: from the data" for every date
    empty = {"calibration_end": "", "observation_end": "", "plan_end": ""}
    assert report.check_parameters(report.discover_notebooks(), empty) == empty
    fixed = _notebook(
        tmp_path / "01_x.ipynb", [], parameters='calibration_end: str = "1997-09-30"  # a date\n'
    )
    with pytest.raises(report.ParameterError) as caught:
        report.check_parameters([fixed], {"calibration_end": ""})
    assert caught.value.problems == [
        'calibration_end: 01_x.ipynb needs a date here (default "1997-09-30"), not an empty value'
    ]


def test_date_parameters_are_recognised_by_their_default(tmp_path):
    nb = _notebook(
        tmp_path / "01_x.ipynb",
        [],
        parameters=(
            'start: str = "2020-01-01"  # a date by its default\n'
            'until: str = ""  # empty: no limit\n'
            'label: str = "2020"  # not a date\n'
            "flag: bool = True  # a switch\n"
        ),
    )
    with pytest.raises(report.ParameterError) as caught:
        report.check_parameters([nb], {"start": "soon", "label": "x", "flag": "2"})
    assert caught.value.problems == [
        "flag: '2' is not a valid bool (default True); write true or false",
        "start: 'soon' is not a date; write it as YYYY-MM-DD, e.g. 1997-09-30",
    ]
    assert report.check_parameters([nb], {"start": "2021-02-03", "label": "x", "flag": "no"}) == {
        "start": "2021-02-03",
        "label": "x",
        "flag": False,
    }


def test_an_existing_file_is_a_dataset(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("customer_id,date,amount\n1,2020-01-01,3.0\n")
    loads = [nb for nb in report.discover_notebooks() if nb.name not in LOADS_NO_LOG]
    assert report.check_parameters(loads[:1], {"dataset": str(log)}) == {"dataset": str(log)}


def test_refused_parameters_exit_2_before_any_kernel(capsys, monkeypatch):
    def no_kernel(*args, **kwargs):
        raise AssertionError("a notebook was started although the parameters were refused")

    monkeypatch.setattr(report, "run_notebook", no_kernel)
    code = report.main(["--only", "03_clv", "-p", "margin", "lots", "-p", "returns", "ignore"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[:3] == [
        "error: 2 problem(s) with the parameters; no notebook was run:",
        "  - margin: 'lots' is not a valid float (default 0.30); write a number such as 0.25",
        "  - returns: 'ignore' is not one of error, drop, keep",
    ]
    assert "Traceback" not in err


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
    path = _notebook(tmp_path / "x.ipynb", cells)
    # cell_index counts the cells as executed, without papermill's marker cells
    assert report.failing_section(path, 5) == "2. Do the models predict the holdout?"
    assert report.failing_section(path, 1) == "Title"
    assert report.failing_section(path, 0) is None
    assert report.failing_section(tmp_path / "missing.ipynb", 3) is None


def test_the_failing_cell_is_numbered_as_in_the_notebook_the_reader_edits(tmp_path):
    from papermill.execute import ERROR_MARKER_TAG

    marker = new_markdown_cell("# An Exception was encountered")
    marker.metadata["tags"] = [ERROR_MARKER_TAG]
    injected = new_code_cell("# Parameters\nsize = 2\n")
    injected.metadata["tags"] = ["injected-parameters"]
    long_line = "table = build(" + "x, " * 40 + ")"
    cells = [
        marker,
        new_markdown_cell("# Title\n\n## 1. First part"),
        new_code_cell("size = 1", metadata={"tags": ["parameters"]}),
        injected,
        new_code_cell("\n\n# build the table\nx = size"),
        new_markdown_cell("An Exception was encountered", metadata={"tags": [ERROR_MARKER_TAG]}),
        new_code_cell(long_line),
    ]
    path = _notebook(tmp_path / "x.ipynb", cells, parameters=None)
    # execution indices: 0 title, 1 parameters, 2 injected, 3 comment cell, 4 long line
    assert report.failing_cell(path, 3) == (3, "# build the table", "1. First part")
    last = report.failing_cell(path, 4)
    assert last.number == 4 and last.first_line.endswith("...") and len(last.first_line) <= 80
    assert report.failing_cell(path, 2).number is None  # papermill's own cell
    assert report.failing_cell(path, 2).describe().startswith("the injected parameters cell")
    assert report.failing_cell(path, 9) is None and report.failing_cell(tmp_path / "no", 1) is None
    assert report.FailingCell(7, "x = 1", None).describe() == "cell 7 `x = 1`"


def test_a_failing_notebook_names_its_cell_and_logs_the_traceback(tmp_path, monkeypatch, capfd):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _notebook(
        notebooks / "01_tiny.ipynb",
        [
            new_markdown_cell("# A tiny study\n\n## Step one"),
            new_code_cell("total = size + 1"),
            new_markdown_cell("## Step two\n\nThis step fails."),
            new_code_cell('raise ValueError("boom")'),
            new_code_cell("never = True"),
        ],
        parameters="size: int = 1  # a number",
    )
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)
    out = tmp_path / "out"
    code = report.main(["--output-dir", str(out), "--no-progress", "-p", "size", "2"])
    captured = capfd.readouterr()
    assert code == 1
    # a kernel may log its own shutdown ('[IPKernelApp] ERROR | KeyboardInterrupt caught in
    # kernel') on the shared stderr: the runner's message is found by what it says
    lines = captured.err.splitlines()
    first = next(i for i, ln in enumerate(lines) if ln.startswith("01_tiny.ipynb"))
    # the cell's number counts every cell of the notebook (the parameters cell is the second)
    assert lines[first] == (
        '01_tiny.ipynb, cell 5 `raise ValueError("boom")` in section "Step two": ValueError: boom'
    )
    log = out / "logs" / "01_tiny.log"
    assert lines[first + 1] == f"  full traceback: {log}"
    text = log.read_text()
    assert 'raise ValueError("boom")' in text and "ValueError: boom" in text
    assert "section: Step two" in text and "parameters: {'size': 2}" in text
    assert "cell: 5 of the notebook" in text
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
        notebooks / "01_export.ipynb",
        [
            new_markdown_cell("# Exports\n\nWrites a file for the reader."),
            new_code_cell(
                "from pathlib import Path\nPath(export_dir, 'customers.csv').write_text('id\\n1\\n')"
            ),
        ],
        parameters='export_dir: str = ""  # folder for exported files; empty: the report folder',
    )
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)
    out = tmp_path / "out"
    assert report.main(["--output-dir", str(out), "--no-progress"]) == 0
    assert (out / "customers.csv").read_text() == "id\n1\n"
    assert not (notebooks / "customers.csv").exists()
