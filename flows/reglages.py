"""Where a command reads and writes, how much memory DuckDB may use, and where its progress goes: one object
passed to every step instead of the same parameters repeated in each signature."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

MEMOIRE_PAR_DEFAUT = "6GB"  # DuckDB's memory limit: the national run's process tree peaks at 6.25 GiB with it


def muet(message: str) -> None:
    """A journal that drops every message."""


@dataclass(frozen=True)
class Reglages:
    lake: Path
    out: Path = Path("data/runs")
    memoire: str = MEMOIRE_PAR_DEFAUT
    ledger: Path | None = None  # when set, a run is published through this ledger
    publications: Path | None = None
    journal: Callable[[str], None] = muet
    fils: int | None = None  # DuckDB's threads (None: every core; a Dask worker gives its own)

    def __post_init__(self) -> None:
        for champ in ("lake", "out", "ledger", "publications"):
            valeur = getattr(self, champ)
            if valeur is not None and not isinstance(valeur, Path):
                object.__setattr__(self, champ, Path(valeur))

    @property
    def dossier_publications(self) -> Path:
        return self.publications or self.out.parent / "publications"

    def avec(self, **changements) -> Reglages:
        return replace(self, **changements)
