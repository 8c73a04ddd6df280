"""The methods report's cache: keyed on the package's code, the notebook's cells and its values."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from analysis.report import cache


def _notebook(folder: Path, source: str = "x = 1", name: str = "06_methods") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell("sim_customers = 2000")
    params.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(source)
    body.outputs = [nbformat.v4.new_output("stream", text="first run\n")]
    nb.cells = [params, body]
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    return path


def _package(folder: Path) -> Path:
    root = folder / "pkg"
    (root / "sub").mkdir(parents=True)
    (root / "a.py").write_text("A = 1\n")
    (root / "sub" / "b.py").write_text("B = 2\n")
    return root


def test_code_hash_follows_every_source_file_and_skips_bytecode(tmp_path):
    root = _package(tmp_path)
    before = cache.code_hash(root)
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "a.cpython-311.py").write_text("stale")
    assert cache.code_hash(root) == before
    (root / "sub" / "b.py").write_text("B = 3\n")
    assert cache.code_hash(root) != before


def test_notebook_hash_reads_the_cells_not_their_outputs(tmp_path):
    path = _notebook(tmp_path)
    before = cache.notebook_hash(path)
    nb = json.loads(path.read_text())
    nb["cells"][1]["outputs"] = []  # re-executed: other outputs, same cells
    path.write_text(json.dumps(nb))
    assert cache.notebook_hash(path) == before
    _notebook(tmp_path, source="x = 2")
    assert cache.notebook_hash(path) != before


def test_the_key_changes_with_the_code_the_cells_and_the_values(tmp_path):
    root = _package(tmp_path)
    path = _notebook(tmp_path)
    key = cache.cache_key(path, {}, package_dir=root)
    # a value equal to the default is the same run; a name the notebook does not read is ignored
    assert cache.cache_key(path, {"sim_customers": 2000}, package_dir=root) == key
    assert cache.cache_key(path, {"margin": 0.5}, package_dir=root) == key
    assert cache.cache_key(path, {"sim_customers": 500}, package_dir=root) != key
    (root / "a.py").write_text("A = 2\n")
    assert cache.cache_key(path, {}, package_dir=root) != key
    new_root_key = cache.cache_key(path, {}, package_dir=root)
    _notebook(tmp_path, source="x = 3")
    assert cache.cache_key(path, {}, package_dir=root) != new_root_key


def test_a_miss_executes_and_stores_a_hit_copies_without_executing(tmp_path):
    path = _notebook(tmp_path)
    store, work = tmp_path / "cache", tmp_path / "work"
    calls, said = [], []

    def execute() -> Path:
        calls.append(1)
        work.mkdir(exist_ok=True)
        out = work / "06_methods.ipynb"
        out.write_text(path.read_text().replace("first run", f"run {len(calls)}"))
        return out

    first = cache.run_cached(path, work, {}, execute, cache_dir=store, say=said.append)
    assert len(calls) == 1 and "executed and cached" in said[-1]
    (work / "06_methods.ipynb").unlink()
    second = cache.run_cached(path, work, {}, execute, cache_dir=store, say=said.append)
    assert len(calls) == 1, "a hit must not execute"
    assert second == first and "run 1" in second.read_text()
    assert "cached (key" in said[-1]
    # other settings: a miss again
    cache.run_cached(path, work, {"sim_customers": 10}, execute, cache_dir=store)
    assert len(calls) == 2
    assert len(list(store.glob("06_methods/*/06_methods.ipynb"))) == 2


def test_a_notebook_that_reads_the_log_is_always_executed(tmp_path):
    path = _notebook(tmp_path, name="02_lifecycle")
    calls = []

    def execute() -> Path:
        calls.append(1)
        return path

    for _ in range(2):
        cache.run_cached(path, tmp_path, {}, execute, cache_dir=tmp_path / "cache")
    assert len(calls) == 2
    assert not (tmp_path / "cache").exists()


def test_a_methods_report_to_execute_starts_first_a_cached_one_keeps_its_place(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(cache, "CACHE_DIR", tmp_path / "cache")
    methods = _notebook(tmp_path)
    others = [_notebook(tmp_path, name=n) for n in ("01_data", "02_lifecycle")]
    assert cache.start_order([*others, methods], {}) == [methods, *others]
    entry = cache.cached_copy(methods, cache.cache_key(methods, {}))
    entry.parent.mkdir(parents=True)
    entry.write_text(methods.read_text())
    assert cache.start_order([*others, methods], {}) == [*others, methods]
