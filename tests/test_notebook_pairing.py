"""Each study notebook and its jupytext script (notebooks/*.py, percent format) hold the same cells."""

from __future__ import annotations

import jupytext
import nbformat
import pytest

from analysis import config

NOTEBOOKS = config.PROJECT_ROOT / "notebooks"
IPYNB = sorted(NOTEBOOKS.glob("*.ipynb"))


def _cells(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (c.cell_type, c.source.strip(), tuple(c.get("metadata", {}).get("tags", ())))
        for c in nb.cells
    ]


def test_every_notebook_is_paired_and_every_script_has_its_notebook():
    scripts = {p.stem for p in NOTEBOOKS.glob("*.py")}
    notebooks = {p.stem for p in IPYNB}
    assert notebooks, "no notebooks found"
    assert scripts == notebooks, (
        f"unpaired: notebooks without a script {sorted(notebooks - scripts)}, "
        f"scripts without a notebook {sorted(scripts - notebooks)}; run `make notebooks`"
    )


@pytest.mark.parametrize("path", IPYNB, ids=lambda p: p.stem)
def test_script_and_notebook_hold_the_same_cells(path):
    stored = nbformat.read(str(path), as_version=4)
    script = jupytext.read(path.with_suffix(".py"))
    ours, theirs = _cells(stored), _cells(script)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=False)):
        assert a == b, (
            f"{path.name} cell {i + 1} differs from {path.with_suffix('.py').name}; "
            "run `make notebooks` (jupytext --sync) after editing either one"
        )
    assert len(ours) == len(theirs), f"{path.name}: {len(ours)} cells, script {len(theirs)}"


def test_pairing_config_covers_the_notebooks_folder():
    text = (NOTEBOOKS / "jupytext.toml").read_text()
    assert 'formats = "ipynb,py:percent"' in text
