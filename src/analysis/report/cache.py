"""A cache of the methods report: executed once per code version and settings, then copied.

The methods report (``notebooks/06_methods.ipynb``) measures the stage
methods on simulated customers; it never reads the user's log. Its output
depends only on the package's code, the notebook's cells and the parameter
values it receives, so :func:`cache_key` hashes exactly those three, and
:func:`run_cached` executes the notebook only when no executed copy is stored
under that key (a cache miss); a hit copies the stored copy into the run's
folder. Any change to a ``src/analysis/**/*.py`` file, to a cell of the
notebook, or to one of its parameters gives a new key, so a stale copy is
never used. Stored copies live in :data:`CACHE_DIR` (``data/interim/cache/``,
ignored by git); deleting the folder empties the cache.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .. import config

__all__ = [
    "CACHE_DIR",
    "CACHED_NOTEBOOKS",
    "cache_key",
    "cached_copy",
    "code_hash",
    "notebook_hash",
    "key_values",
    "run_cached",
    "start_order",
]

#: where executed copies are stored: ``<stem>/<key>/<stem>.ipynb``
CACHE_DIR: Path = config.INTERIM_DIR / "cache"
#: the notebooks whose output does not depend on the user's log (stems)
CACHED_NOTEBOOKS: tuple[str, ...] = ("06_methods",)


def code_hash(package_dir: Path | None = None) -> str:
    """SHA-256 of every ``.py`` file of the package, with its path relative to the package."""
    root = Path(package_dir or config.PACKAGE_DIR)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def notebook_hash(notebook: Path) -> str:
    """SHA-256 of a notebook's cells (type, tags, source): not of its stored outputs.

    Re-executing the stored notebook changes its outputs, not what it computes,
    so the key stays; editing a cell changes it.
    """
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    shown = [
        [
            cell.get("cell_type"),
            sorted(cell.get("metadata", {}).get("tags", [])),
            "".join(cell.get("source", "")),
        ]
        for cell in cells
    ]
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()


def _literal(text: str) -> Any:
    """A default as papermill reports it (the expression's text), as a Python value when literal."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def key_values(notebook: Path, parameters: Mapping[str, Any] | None = None) -> dict:
    """The value of each parameter the notebook reads: given in ``parameters``, else its default.

    The names are those the parameter schema (:mod:`analysis.report.schema`)
    lists for the notebook, and any the notebook's ``parameters`` cell declares
    itself; names it does not read are left out (the runner does not pass them
    to it either).
    """
    import papermill as pm

    given = dict(parameters or {})
    values = {
        name: given[name] if name in given else _literal(str(spec.get("default")))
        for name, spec in pm.inspect_notebook(str(notebook)).items()
    }
    try:
        from . import schema
    except ImportError:  # a tree without the parameter schema: the cell's declarations only
        schema = None
    stem = Path(notebook).stem
    if schema is not None and stem in schema.NOTEBOOKS:
        values.update(schema.notebook_values(stem, given))
    return dict(sorted(values.items()))


def cache_key(
    notebook: Path, parameters: Mapping[str, Any] | None = None, package_dir: Path | None = None
) -> str:
    """The key of one run: the package's code, the notebook's cells and its parameter values.

    Returns the first 24 hex digits of a SHA-256 over the three.
    """
    values = key_values(notebook, parameters)
    payload = json.dumps(
        {
            "code": code_hash(package_dir),
            "notebook": notebook_hash(notebook),
            "values": {name: repr(value) for name, value in values.items()},
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def start_order(notebooks: list[Path], parameters: Mapping[str, Any] | None) -> list[Path]:
    """The notebooks with the cached ones that must be executed (a miss) first, else as given.

    A miss of the methods report is the longest notebook of a run; started
    first, it runs beside the others instead of after them. A hit is quick
    and keeps its place. The order is otherwise kept (a stable sort).
    """

    def missing(nb: Path) -> bool:
        nb = Path(nb)
        return (
            nb.stem in CACHED_NOTEBOOKS and not cached_copy(nb, cache_key(nb, parameters)).is_file()
        )

    return sorted(notebooks, key=lambda nb: not missing(nb))


def cached_copy(notebook: Path, key: str, cache_dir: Path | None = None) -> Path:
    """Where the executed copy of ``notebook`` under ``key`` is (or would be) stored."""
    stem = Path(notebook).stem
    return Path(cache_dir or CACHE_DIR) / stem / key / f"{stem}.ipynb"


def _store(executed: Path, entry: Path) -> None:
    """Copy an executed notebook into the cache; a concurrent reader sees all of it or nothing."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=entry.parent, suffix=".part")
    os.close(handle)
    try:
        shutil.copyfile(executed, tmp)
        os.replace(tmp, entry)
    finally:
        Path(tmp).unlink(missing_ok=True)


def run_cached(
    notebook: Path,
    output_dir: Path,
    parameters: Mapping[str, Any] | None,
    execute: Callable[[], Path],
    *,
    cache_dir: Path | None = None,
    say: Callable[[str], None] | None = None,
) -> Path:
    """Execute ``notebook`` with ``execute()``, or copy its stored output when the key matches.

    Parameters
    ----------
    notebook : Path
        The template notebook. One not in :data:`CACHED_NOTEBOOKS` is simply
        executed.
    output_dir : Path
        Folder of the run: a hit is copied to ``output_dir/<stem>.ipynb``,
        where ``execute`` writes its copy.
    parameters : dict or None
        The run's parameters (those the notebook does not declare are ignored).
    execute : callable
        Runs the notebook and returns the executed copy (e.g. a
        :func:`~analysis.report.execute.run_notebook` call); called only on a miss.
    cache_dir : Path, optional
        Default :data:`CACHE_DIR`.
    say : callable, optional
        Receives one line: hit or miss, and the key.

    Returns
    -------
    Path
        The executed copy in ``output_dir``.
    """
    notebook = Path(notebook)
    if notebook.stem not in CACHED_NOTEBOOKS:
        return execute()
    key = cache_key(notebook, parameters)
    entry = cached_copy(notebook, key, cache_dir)
    if entry.is_file():
        target = Path(output_dir) / f"{notebook.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(entry, target)
        if say:
            say(f"{notebook.stem}: cached (key {key}), not executed")
        return target
    executed = execute()
    _store(executed, entry)
    if say:
        say(f"{notebook.stem}: executed and cached (key {key})")
    return executed
