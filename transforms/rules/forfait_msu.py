"""Forfait maître de stage universitaire (MSU).

Règle (seed 001_cf782d94935862d6.txt, paragraphe « maître de stage universitaire » ; rules.md §5) : le médecin
de toute spécialité qui déclare accueillir des stagiaires pour l'année N perçoit un forfait : 350 € jusqu'à N
= 2025 ; à partir de 2026, 800 € si la commune de son cabinet principal est en zone d'intervention prioritaire
(ZIP) au 31/12/N, 500 € sinon.
Paramètres : data/parameters/forfait_msu.yaml (montant_zip_centimes, montant_hors_zip_centimes).
Non modélisé / choix : le montant ne dépend pas du nombre de stagiaires ; une commune absente du zonage au
31/12/N est « hors ZIP ».
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms.parametres import JeuParametres
from transforms.rules.commun import resultat

DISPOSITIF = "FORFAIT_MSU"


def forfait_msu(activite_medecins: pl.DataFrame, p: JeuParametres, annee: int) -> pl.DataFrame:
    """One row per doctor of ``activite_medecins`` → same grain, critere_* columns, est_eligible, montant."""
    d = date(annee, 1, 1)
    zip_ = pl.col("zone") == "ZIP"
    montant = (
        pl.when(zip_.fill_null(False))
        .then(pl.lit(int(p.a("forfait_msu", "montant_zip_centimes", d))))
        .otherwise(pl.lit(int(p.a("forfait_msu", "montant_hors_zip_centimes", d))))
    )
    df = activite_medecins.with_columns(
        zip_.fill_null(False).alias("est_zip"),
        pl.col("est_dans_champ").alias("critere_dans_champ"),
        (pl.col("nb_stagiaires") > 0).alias("critere_declaration_msu"),
    )
    return resultat(df, DISPOSITIF, annee, ["specialite", "commune", "est_zip", "nb_stagiaires"], montant)


def montants_forfait_msu(p: JeuParametres, annee: int) -> list[int]:
    """The amounts a FORFAIT line of N may carry: in a ZIP or not."""
    d = date(annee, 1, 1)
    return [
        int(p.a("forfait_msu", "montant_zip_centimes", d)),
        int(p.a("forfait_msu", "montant_hors_zip_centimes", d)),
    ]
