"""Every rule of the registry applied to year N: the payment lines, justifications and control lists of a run,
built without I/O.

Inputs are the frames the rules declare (``Regle.entrees``: DuckDB models, and the reference thresholds of the
assistant aid); the same function serves the annual run, the simulation and the rule tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from transforms.paiements import COLONNES_JUSTIFICATIFS, COLONNES_PAIEMENTS, lignes_de_paiement
from transforms.parametres import JeuParametres
from transforms.registre import REGLES, Regle
from transforms.rules.commun import hors_vigueur

# sorted on their whole unique keys, so that a rerun writes the same files byte for byte (the models' row
# order is DuckDB's, which varies with its threads)
ORDRE_JUSTIFICATIFS = ("dispositif", "beneficiaire_type", "beneficiaire_id", "reference_contrat")
ORDRE_PAIEMENTS = (
    "dispositif",
    "beneficiaire_type",
    "beneficiaire_id",
    "echeance",
    "reference_contrat",
    "nature_versement",
)


@dataclass(frozen=True)
class Resultats:
    paiements: pl.DataFrame
    justificatifs: pl.DataFrame
    controles: dict[str, pl.DataFrame] = field(default_factory=dict)  # name → contracts to look at


def evaluer(
    regle: Regle, entrees: Mapping[str, pl.DataFrame], p: JeuParametres, annee: int
) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """(result, payment lines) of one rule for year N; a rule not in force gives one "not in force" row per
    beneficiary of its population, and no line."""
    if not regle.en_vigueur(p, annee):
        if regle.population is None:
            return None, None
        population = entrees[regle.population].select(regle.id_col).unique(regle.id_col, maintain_order=True)
        return hors_vigueur(population, regle.dispositif, annee, regle.id_col), None
    resultat = regle.evaluer(*(entrees[e] for e in regle.entrees), p, annee)
    if regle.lignes is None:
        return resultat, None
    a_payer = regle.lignes(resultat, p, annee)
    return resultat, lignes_de_paiement(
        a_payer, annee, regle.dispositif, regle.beneficiaire_type, regle.id_col
    )


def calculer(
    entrees: Mapping[str, pl.DataFrame], p: JeuParametres, annee: int, regles: Sequence[Regle] = REGLES
) -> Resultats:
    """Apply every rule of ``regles`` to year N, in the registry's order."""
    lignes, justifs, controles = [], [], {}
    for regle in regles:
        resultat, a_payer = evaluer(regle, entrees, p, annee)
        if a_payer is not None:
            lignes.append(a_payer)
        if resultat is not None:
            justifs.append(regle.justificatifs(resultat))
        if regle.controles is not None:
            nom, controler = regle.controles
            controles[nom] = controler(resultat)
    paiements = pl.concat(lignes) if lignes else pl.DataFrame(schema=COLONNES_PAIEMENTS)
    justifs = pl.concat(justifs) if justifs else pl.DataFrame(schema=COLONNES_JUSTIFICATIFS)
    justifs = justifs.sort(ORDRE_JUSTIFICATIFS, nulls_last=False)
    return Resultats(paiements.sort(ORDRE_PAIEMENTS), justifs, controles)
