"""The pinned environment: requirements.lock, environment.yml and pyproject.toml agree."""

from __future__ import annotations

import re
import tomllib

from analysis import config

ROOT = config.PROJECT_ROOT


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        assert "==" in line, f"requirements.lock: unpinned line {line!r}"
        name, version = line.split("==")
        pins[_norm(name)] = version.strip()
    return pins


def _conda() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.match(r"^\s+-\s+([A-Za-z0-9_.\-]+)=([^=\s]+)\s*$", line)
        if m:
            pins[_norm(m.group(1))] = m.group(2)
    return pins


#: extras pinned in a lock file of their own (installed by their own make target), not in
#: requirements.lock and environment.yml
SEPARATE_LOCKS = {"spark": "requirements-spark.lock"}


def _pyproject_names(extras=None) -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    optional = meta.get("optional-dependencies", {})
    if extras is None:
        names = list(meta["dependencies"])
        extras = [e for e in optional if e not in SEPARATE_LOCKS]
    else:
        names = []
    for extra in extras:
        names += optional[extra]
    return {_norm(re.split(r"[<>=!~\[; ]", n)[0]) for n in names}


def _pins(path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert "==" in line, f"{path.name}: unpinned line {line!r}"
            name, version = line.split("==")
            pins[_norm(name)] = version.strip()
    return pins


def test_environment_yml_matches_lock():
    lock, conda = _lock(), _conda()
    conda.pop("python", None)
    drift = {n: (v, lock.get(n)) for n, v in conda.items() if lock.get(n) != v}
    assert not drift, f"environment.yml and requirements.lock disagree (yml, lock): {drift}"


def test_every_dependency_is_pinned_in_both():
    lock, conda = _lock(), _conda()
    names = _pyproject_names()
    assert names - set(lock) == set(), f"missing from requirements.lock: {names - set(lock)}"
    assert names - set(conda) == set(), f"missing from environment.yml: {names - set(conda)}"


def test_python_version_agrees():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["requires-python"] == ">=3.11"
    assert "python=3.11" in (ROOT / "environment.yml").read_text()


def test_separately_locked_extras_are_pinned():
    for extra, lock_name in SEPARATE_LOCKS.items():
        pins = _pins(ROOT / lock_name)
        names = _pyproject_names([extra])
        assert names and names <= set(pins), f"{lock_name} must pin {names - set(pins)}"
        # the extra's own packages only: what requirements.lock pins stays there
        assert not set(pins) & set(_lock()), f"{lock_name} repeats {set(pins) & set(_lock())}"
    assert "py4j" in _pins(ROOT / "requirements-spark.lock")  # PySpark's own dependency
