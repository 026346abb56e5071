"""Reform simulation (rules.md §10): year N under the baseline parameters and under a reform overlay.

The same steps as the annual run (flows/etapes.py): the models of N, read back from the lake when kept, the
reference thresholds, the rules of the registry. Writes no payment file and publishes nothing; the models run
once when the reform leaves their variables unchanged.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flows.etapes import calculer_annee
from flows.lake import dossier_annee
from flows.parametres_io import charger_parametres, overlays
from flows.reglages import Reglages
from transforms.modeles import variables
from transforms.simulation import comparer_scenarios, enveloppes


def simuler(
    annee: int,
    reglages: Reglages,
    reforme: Path,
    overlay: str | Path | list | None = None,
) -> dict:
    """Baseline vs reform for year N: comparison per dispositif, and the reform's envelope if it sets one.
    ``overlay``: the user's parameter folders (under both; the reform goes on top of them)."""
    log = reglages.journal
    dossier_annee(reglages.lake, annee)
    base = charger_parametres(overlay=overlays(overlay))
    p_reforme = charger_parametres(overlay=[*overlays(overlay), Path(reforme)])
    with tempfile.TemporaryDirectory(prefix="forfaits-simulation-") as t:
        log(f"baseline {annee}")
        r0, frames = calculer_annee(reglages, annee, base, Path(t) / "base")
        memes = variables(base, annee) == variables(p_reforme, annee)
        log(f"reform {reforme}" + (" (same model variables: models reused)" if memes else ""))
        r1, _ = calculer_annee(reglages, annee, p_reforme, Path(t) / "reforme", lus=frames if memes else None)
    rapport = comparer_scenarios(r0.paiements, r1.paiements)
    return {
        "annee_reference": annee,
        "reforme": str(reforme),
        "empreinte_base": base.empreinte,
        "empreinte_reforme": p_reforme.empreinte,
        "dispositifs": rapport,
        "enveloppes": enveloppes(rapport, p_reforme, annee),
    }
