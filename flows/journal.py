"""The product's progress: the ``forfaits`` logger (stderr, and the log file of the command), and the stages
of long work, which say when they start and end, and every ``INTERVALLE`` seconds in between how far they
are (DuckDB's own progress for a model, rows read for a table) so that a national run is never silent."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

LOGGER = "forfaits"
INTERVALLE = 8.0  # seconds between two progress lines of one stage


def journal_du_produit() -> Callable[[str], None]:
    """The product's progress lines (what the CLI shows, and writes to its log file)."""
    return logging.getLogger(LOGGER).info


def configurer(silencieux: bool = False, fichier: Path | None = None) -> logging.Logger:
    """Progress to stderr (only warnings with ``silencieux``) and, with ``fichier``, every line to it."""
    logger = logging.getLogger(LOGGER)
    logger.handlers.clear()
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING if silencieux else logging.INFO)
    console.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger.addHandler(console)
    if fichier is not None:
        fichier.parent.mkdir(parents=True, exist_ok=True)
        f = logging.FileHandler(fichier, encoding="utf-8")
        f.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(f)
    return logger


@contextlib.contextmanager
def etape(
    journal: Callable[[str], None],
    libelle: str,
    sonde: Callable[[], str | None] | None = None,
    intervalle: float = INTERVALLE,
) -> Iterator[dict]:
    """Log ``libelle`` when it starts, how far it is every ``intervalle`` seconds (``sonde()``, or the time
    spent), and when it ends with its duration and what the body put in the yielded ``fin`` entry."""
    debut = time.perf_counter()
    resultat: dict = {"fin": ""}
    arret = threading.Event()

    def veiller() -> None:
        while not arret.wait(intervalle):
            etat = sonde() if sonde else None
            journal(f"{libelle}: {etat + ', ' if etat else ''}{time.perf_counter() - debut:.0f} s so far")

    veilleur = threading.Thread(target=veiller, name=f"progress {libelle}", daemon=True)
    journal(f"{libelle}…")
    veilleur.start()
    try:
        yield resultat
    finally:
        arret.set()
        veilleur.join()
    journal(f"{libelle}: done in {time.perf_counter() - debut:.1f} s{resultat['fin']}")
