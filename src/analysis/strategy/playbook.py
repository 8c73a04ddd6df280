"""The strategy playbook: stage x value tier -> strategy, relationship level, priority and KPIs.

The playbook is data, ``playbook.yaml`` beside this module (English with the
Chinese terms alongside), so an analyst can change what it recommends
without touching code. :func:`load_playbook` reads a playbook (the shipped
one or an edited copy), checks its structure and returns a
:class:`Playbook`; every problem is reported with its key path, e.g.
``playbook stages.formation.tiers.high.priority: 'grow' is not one of
invest, maintain, reduce, exit``.

The structure (see the shipped file for the texts):

- ``version``, ``title``, ``title_zh``;
- ``relationship_levels``: Kotler's five levels (:data:`RELATIONSHIP_LEVELS`),
  each with ``zh`` and ``meaning``;
- ``priorities``: the investment priorities (:data:`PRIORITIES`), each with
  ``zh`` and ``meaning``;
- ``tiers``: the value tiers (:data:`analysis.strategy.groups.TIERS`), each
  with ``zh`` and ``meaning``;
- ``stages``: every stage of :data:`analysis.units.STAGES` with ``zh``,
  ``aim``, ``aim_zh`` and ``tiers``: every tier with ``strategy``,
  ``relationship_level``, ``priority``, ``kpis`` (names from
  :data:`analysis.strategy.kpis.KPI_DEFINITIONS`) and optionally ``label``
  and ``label_zh`` (the prospect tiers of the exploration stage).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from ..units import STAGES
from .groups import TIERS
from .kpis import KPI_DEFINITIONS

__all__ = [
    "PLAYBOOK_PATH",
    "RELATIONSHIP_LEVELS",
    "PRIORITIES",
    "PlaybookError",
    "Play",
    "StagePlay",
    "Playbook",
    "load_playbook",
]

#: the shipped playbook
PLAYBOOK_PATH = Path(__file__).resolve().parent / "playbook.yaml"

#: Kotler's levels of customer relationship, from the least to the most involved
RELATIONSHIP_LEVELS: tuple[str, ...] = (
    "basic",
    "reactive",
    "accountable",
    "proactive",
    "partnership",
)

#: investment priorities, from the most to the least spending
PRIORITIES: tuple[str, ...] = ("invest", "maintain", "reduce", "exit")


class PlaybookError(ValueError):
    """A playbook file that cannot be used; the message names the key and the problem."""


@dataclass(frozen=True)
class Play:
    """What to do with the customers of one stage and value tier."""

    stage: str
    tier: str
    strategy: str
    relationship_level: str
    priority: str
    kpis: tuple[str, ...]
    label: str | None = None
    label_zh: str | None = None


@dataclass(frozen=True)
class StagePlay:
    """One stage of the playbook: its aim and a :class:`Play` per value tier."""

    stage: str
    zh: str
    aim: str
    aim_zh: str
    tiers: dict[str, Play]


@dataclass(frozen=True)
class Playbook:
    """A checked playbook (what :func:`load_playbook` returns)."""

    version: int
    title: str
    title_zh: str
    relationship_levels: dict[str, dict[str, str]]
    priorities: dict[str, dict[str, str]]
    tiers: dict[str, dict[str, str]]
    stages: dict[str, StagePlay]
    source: str

    def play(self, stage: str, tier: str) -> Play:
        """The :class:`Play` of one stage and tier."""
        try:
            return self.stages[stage].tiers[tier]
        except KeyError:
            raise KeyError(
                f"no play for stage {stage!r} and tier {tier!r}; stages: {', '.join(STAGES)}, "
                f"tiers: {', '.join(TIERS)}"
            ) from None

    def table(self) -> pd.DataFrame:
        """Every play as a row, indexed by (``stage``, ``tier``) in lifecycle and tier order.

        Columns: ``stage_zh``, ``aim``, ``label``, ``label_zh``, ``strategy``,
        ``relationship_level``, ``relationship_level_zh``, ``priority``,
        ``priority_zh``, ``kpis`` (the names joined by ``", "``).
        """
        rows = []
        for stage in STAGES:
            sp = self.stages[stage]
            for tier in TIERS:
                p = sp.tiers[tier]
                rows.append(
                    {
                        "stage": stage,
                        "tier": tier,
                        "stage_zh": sp.zh,
                        "aim": sp.aim,
                        "label": p.label,
                        "label_zh": p.label_zh,
                        "strategy": p.strategy,
                        "relationship_level": p.relationship_level,
                        "relationship_level_zh": self.relationship_levels[p.relationship_level][
                            "zh"
                        ],
                        "priority": p.priority,
                        "priority_zh": self.priorities[p.priority]["zh"],
                        "kpis": ", ".join(p.kpis),
                    }
                )
        return pd.DataFrame(rows).set_index(["stage", "tier"])


def _fail(key: str, problem: str, source: str) -> PlaybookError:
    return PlaybookError(f"playbook {key}: {problem} (in {source})")


def _mapping(value, key: str, source: str) -> dict:
    if not isinstance(value, dict):
        raise _fail(
            key, f"must be a mapping of names to entries, got {type(value).__name__}", source
        )
    return value


def _text(entry: dict, field: str, key: str, source: str, required: bool = True) -> str | None:
    value = entry.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        got = "nothing" if value is None else repr(value)
        raise _fail(f"{key}.{field}", f"must be a non-empty text, got {got}", source)
    return value.strip()


def _exact_keys(entries: dict, expected: tuple[str, ...], key: str, source: str) -> None:
    missing = [k for k in expected if k not in entries]
    if missing:
        raise _fail(
            key,
            f"missing {', '.join(missing)} (every one of {', '.join(expected)} is needed)",
            source,
        )
    unknown = [str(k) for k in entries if k not in expected]
    if unknown:
        raise _fail(
            key, f"unknown {', '.join(map(repr, unknown))}; use only {', '.join(expected)}", source
        )


def _glossary(
    doc: dict, name: str, expected: tuple[str, ...], source: str
) -> dict[str, dict[str, str]]:
    entries = _mapping(doc.get(name), name, source)
    _exact_keys(entries, expected, name, source)
    out = {}
    for k in expected:
        entry = _mapping(entries[k], f"{name}.{k}", source)
        out[k] = {f: _text(entry, f, f"{name}.{k}", source) for f in ("zh", "meaning")}
    return out


def _one_of(value, allowed: tuple[str, ...], key: str, source: str) -> str:
    if value not in allowed:
        raise _fail(key, f"{value!r} is not one of {', '.join(allowed)}", source)
    return value


def _play(stage: str, tier: str, entry, source: str) -> Play:
    key = f"stages.{stage}.tiers.{tier}"
    entry = _mapping(entry, key, source)
    known = {"strategy", "relationship_level", "priority", "kpis", "label", "label_zh"}
    unknown = [str(f) for f in entry if f not in known]
    if unknown:
        raise _fail(
            key,
            f"unknown field(s) {', '.join(map(repr, unknown))}; fields: {', '.join(sorted(known))}",
            source,
        )
    kpis = entry.get("kpis")
    if not isinstance(kpis, list) or not kpis:
        raise _fail(f"{key}.kpis", f"must be a non-empty list of KPI names, got {kpis!r}", source)
    for i, name in enumerate(kpis):
        if name not in KPI_DEFINITIONS:
            raise _fail(
                f"{key}.kpis[{i}]",
                f"{name!r} is not a known KPI; known: {', '.join(KPI_DEFINITIONS)}",
                source,
            )
    return Play(
        stage=stage,
        tier=tier,
        strategy=" ".join(_text(entry, "strategy", key, source).split()),
        relationship_level=_one_of(
            entry.get("relationship_level"),
            RELATIONSHIP_LEVELS,
            f"{key}.relationship_level",
            source,
        ),
        priority=_one_of(entry.get("priority"), PRIORITIES, f"{key}.priority", source),
        kpis=tuple(kpis),
        label=_text(entry, "label", key, source, required=False),
        label_zh=_text(entry, "label_zh", key, source, required=False),
    )


def load_playbook(path: str | Path | None = None) -> Playbook:
    """Read and check a playbook YAML file.

    Parameters
    ----------
    path : str or Path, optional
        The file; None (default) reads the shipped :data:`PLAYBOOK_PATH`.

    Returns
    -------
    Playbook
        Every stage of :data:`analysis.units.STAGES`, each with a
        :class:`Play` for every tier of :data:`analysis.strategy.groups.TIERS`.

    Raises
    ------
    PlaybookError
        When the file is not valid YAML or its structure is wrong: a stage or
        tier missing or unknown, a relationship level or priority outside the
        allowed ones, an unknown KPI name, an empty text. The message names
        the key (``stages.formation.tiers.high.priority``) and the problem.
    FileNotFoundError
        When ``path`` does not exist.
    """
    path = Path(PLAYBOOK_PATH if path is None else path)
    source = str(path)
    text = path.read_text(encoding="utf-8")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise PlaybookError(f"playbook {source} is not valid YAML: {err}") from None
    doc = _mapping(doc, "(top level)", source)
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _fail("version", f"must be an integer, got {version!r}", source)
    levels = _glossary(doc, "relationship_levels", RELATIONSHIP_LEVELS, source)
    priorities = _glossary(doc, "priorities", PRIORITIES, source)
    tiers = _glossary(doc, "tiers", TIERS, source)
    stages_doc = _mapping(doc.get("stages"), "stages", source)
    _exact_keys(stages_doc, STAGES, "stages", source)
    stages = {}
    for stage in STAGES:
        key = f"stages.{stage}"
        entry = _mapping(stages_doc[stage], key, source)
        tiers_doc = _mapping(entry.get("tiers"), f"{key}.tiers", source)
        _exact_keys(tiers_doc, TIERS, f"{key}.tiers", source)
        stages[stage] = StagePlay(
            stage=stage,
            zh=_text(entry, "zh", key, source),
            aim=_text(entry, "aim", key, source),
            aim_zh=_text(entry, "aim_zh", key, source),
            tiers={t: _play(stage, t, tiers_doc[t], source) for t in TIERS},
        )
    return Playbook(
        version=version,
        title=_text(doc, "title", "(top level)", source),
        title_zh=_text(doc, "title_zh", "(top level)", source),
        relationship_levels=levels,
        priorities=priorities,
        tiers=tiers,
        stages=stages,
        source=source,
    )
