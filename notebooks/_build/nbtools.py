"""What the notebook build scripts share: collect markdown and code cells, write the notebook.

Each ``NN_name.py`` here keeps one study notebook's cells in one readable
place. Edit the script, then ``make notebooks`` rebuilds every notebook and
re-executes it so the stored outputs (checked by nbval) are fresh.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


class NotebookBuilder:
    """Collects cells in reading order and writes them as ``notebooks/<name>.ipynb``."""

    def __init__(self, name: str):
        self.path = Path(__file__).resolve().parents[1] / f"{name}.ipynb"
        self.cells = []

    def md(self, text: str) -> None:
        """Add a markdown cell."""
        self.cells.append(new_markdown_cell(text.strip("\n")))

    def code(self, text: str, tags: list[str] | None = None) -> None:
        """Add a code cell, with cell tags such as ``["parameters"]``."""
        cell = new_code_cell(text.strip("\n"))
        if tags:
            cell.metadata["tags"] = tags
        self.cells.append(cell)

    def write(self) -> Path:
        """Write the notebook (without outputs) for the python3 kernel."""
        nb = new_notebook(cells=self.cells)
        nb.metadata["kernelspec"] = {
            "display_name": "Python 3",
            "language": "python",
            "name": "python3",
        }
        nb.metadata["language_info"] = {"name": "python"}
        nbformat.write(nb, str(self.path))
        print(f"wrote {self.path}")
        return self.path
