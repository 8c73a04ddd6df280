"""The segment studies hook: one run of notebooks/segment_study.ipynb per non-empty segment."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis import segments
from analysis.report import NotebookFailed, ParameterError, segment_studies


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

    def run_notebook(notebook, output_dir, parameters=None, progress=True, **kwargs):
        runs.append(dict(parameters))
        output_dir.mkdir(parents=True, exist_ok=True)
        out = output_dir / Path(notebook).name
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
    with pytest.raises(ValueError, match="segmentation 'tiers' is not one of clv_tiers"):
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


def _parameter_lines(nb_path: Path) -> dict[str, str]:
    nb = nbformat.read(str(nb_path), as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{nb_path.name}: one cell tagged parameters"
    return {ln.split(":")[0]: ln for ln in cells[0].source.splitlines() if ln.strip()}


def test_the_notebook_follows_the_study_notebooks_rules():
    """Not numbered, so tests/test_report.py does not look at it: the same rules, checked here."""
    study = segment_studies.SEGMENT_NOTEBOOK
    lines = _parameter_lines(study)
    reference = _parameter_lines(study.parent / "04_segments.ipynb")
    loading = ["dataset", "customer_id_column", "date_column", "amount_column", "date_format",
               "dayfirst", "returns", "duplicates"]  # fmt: skip
    assert [lines[n] for n in loading] == [reference[n] for n in loading]
    for line in lines.values():
        assert re.fullmatch(r"\w+: \w+ = .+  # .+", line), line
    assert lines["segment"].startswith('segment: str = "high"  # ')
    code = "\n".join(c.source for c in nbformat.read(str(study), as_version=4).cells
                     if c.cell_type == "code")  # fmt: skip
    assert "\ndef " not in "\n" + code and "\nclass " not in "\n" + code
    assert "report.use_short_warnings()" in code
    assert not re.match(r"^\d{2}_", study.name)  # the main report loop skips it


def test_a_failing_study_keeps_its_copy_and_log_under_the_segment_s_name(tmp_path, monkeypatch):
    def run_notebook(notebook, output_dir, parameters=None, progress=True, **kwargs):
        output_dir.mkdir(parents=True, exist_ok=True)
        executed, log = output_dir / Path(notebook).name, output_dir / "logs" / "x.log"
        log.parent.mkdir(exist_ok=True)
        executed.write_text("{}")
        log.write_text("traceback")
        raise NotebookFailed(Path(notebook), "2. Stages", "ValueError", "boom", log, executed)

    monkeypatch.setattr(segment_studies, "run_notebook", run_notebook)
    monkeypatch.setattr(segment_studies, "segment_table", lambda values: _table())
    with pytest.raises(NotebookFailed) as failed:
        segment_studies.build_segment_studies(tmp_path, only=["low"], progress=False)
    folder = tmp_path / "segments"
    assert failed.value.log_path == folder / "logs" / "low.log" and failed.value.log_path.is_file()
    assert failed.value.executed == folder / "low.ipynb" and failed.value.executed.is_file()
    assert str(failed.value).endswith("ValueError: boom (segment 'low')")
