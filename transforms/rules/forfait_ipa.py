"""Forfait orientation de patients vers un infirmier en pratique avancée (IPA).

Règle (seed 001_cf782d94935862d6.txt, paragraphe « travail en coopération avec les IPA » ; rules.md §3) : à
compter du 1er janvier 2025, le médecin traitant qui oriente des patients vers un IPA perçoit un forfait selon
le nombre de patients orientés dans l'année : au moins 10, 35 ou 100 patients ; seul le palier le plus haut
atteint est payé. La mesure est « également ouverte aux médecins spécialistes » : toute spécialité.
Paramètres : data/parameters/forfait_ipa.yaml (paliers, dont la première date est celle de la règle).
Non modélisé / choix : un patient compte une fois par médecin dans l'année, s'il est orienté par l'un de ses
cabinets et que ce médecin est son médecin traitant (IR_MTT_R) au jour de l'orientation ; une orientation
antérieure au début de la déclaration MT ne compte pas.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms.parametres import JeuParametres
from transforms.rules.commun import resultat

DISPOSITIF = "FORFAIT_IPA"


def forfait_ipa(activite_medecins: pl.DataFrame, p: JeuParametres, annee: int) -> pl.DataFrame:
    """One row per doctor of ``activite_medecins`` → same grain, critere_* columns, est_eligible, montant."""
    paliers = sorted(p.a("forfait_ipa", "paliers", date(annee, 1, 1)), key=lambda x: x["nb_patients_min"])
    n = pl.col("nb_patients_orientes_ipa")
    montant = pl.lit(0, pl.Int64)
    palier = pl.lit(None, pl.Int64)
    for x in paliers:  # ascending: the last tier reached wins (highest only, not cumulative)
        montant = (
            pl.when(n >= x["nb_patients_min"]).then(pl.lit(int(x["montant_centimes"]))).otherwise(montant)
        )
        palier = pl.when(n >= x["nb_patients_min"]).then(pl.lit(int(x["nb_patients_min"]))).otherwise(palier)
    df = activite_medecins.with_columns(
        palier.alias("palier_atteint"),
        pl.col("est_dans_champ").alias("critere_dans_champ"),
        (n >= paliers[0]["nb_patients_min"]).alias("critere_premier_palier"),
    )
    return resultat(
        df, DISPOSITIF, annee, ["specialite", "nb_patients_orientes_ipa", "palier_atteint"], montant
    )


def montants_forfait_ipa(p: JeuParametres, annee: int) -> list[int]:
    """The amounts a FORFAIT line of N may carry: one per tier."""
    return [int(x["montant_centimes"]) for x in p.a("forfait_ipa", "paliers", date(annee, 1, 1))]
