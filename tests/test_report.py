"""The report runner: notebook discovery, index page, command-line parameters."""

from __future__ import annotations

import json

from analysis import report


def test_discovers_numbered_notebooks_in_order():
    names = [p.name for p in report.discover_notebooks()]
    assert names[0] == "01_data.ipynb"
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


def test_index_links_reports(tmp_path):
    (tmp_path / "bench.md").write_text("| a |")
    entries = [{"title": "The log", "lead": "who buys", "html": "01_data.html", "notebook": "01_data.ipynb"}]
    page = report.write_index(tmp_path, entries).read_text()
    assert 'href="01_data.html"' in page and "The log" in page and 'href="bench.md"' in page


def test_parameter_values_parse_as_json_or_text():
    assert report._parse_value("0.1") == 0.1
    assert report._parse_value("cdnow_sample") == "cdnow_sample"
    assert report._parse_value('"W"') == "W"


def test_papermill_reads_every_parameter():
    import papermill as pm

    for nb_path in report.discover_notebooks():
        nb = json.loads(nb_path.read_text())
        cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
        declared = [
            ln.split(":")[0].strip()
            for ln in "".join(cell["source"]).splitlines()
            if ln.strip() and not ln.startswith("#")
        ]
        assert list(pm.inspect_notebook(str(nb_path))) == declared, nb_path.name


def test_unknown_parameter_is_rejected_with_the_known_ones(capsys):
    import pytest

    with pytest.raises(SystemExit):
        report.main(["--only", "01_data", "-p", "discount_rat", "0.1"])
    err = capsys.readouterr().err
    assert "no notebook has parameter(s) ['discount_rat']" in err and "'dataset'" in err
