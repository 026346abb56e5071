"""Forfait participation au service d'accès aux soins (SAS).

Règle (seed 001_cf782d94935862d6.txt, paragraphe SAS et ses trois conditions ; rules.md §4) : à compter de
2026, le médecin de toute spécialité qui participe au SAS perçoit 1 000 € par an, sans proratisation. Au
31/12/N : le SAS de son département est opérationnel ; il est inscrit individuellement sur la plateforme
nationale ; cette inscription rend son agenda visible ou relève d'une organisation territoriale validée.
Paramètres : data/parameters/forfait_sas.yaml (montant_centimes, dont la première date est celle de la règle).
Non modélisé / choix : le département est celui du cabinet principal ; une inscription de n'importe lequel de
ses cabinets compte ; le montant n'est pas proratisé selon la date d'inscription.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms.parametres import JeuParametres
from transforms.rules.commun import resultat

DISPOSITIF = "FORFAIT_SAS"


def forfait_sas(activite_medecins: pl.DataFrame, p: JeuParametres, annee: int) -> pl.DataFrame:
    """One row per doctor of ``activite_medecins`` → same grain, critere_* columns, est_eligible, montant."""
    df = activite_medecins.with_columns(
        pl.col("est_dans_champ").alias("critere_dans_champ"),
        pl.col("est_sas_operationnel").alias("critere_sas_operationnel"),
        pl.col("est_inscrit_sas").alias("critere_inscrit_sas"),
        pl.col("est_agenda_ou_orga_sas").alias("critere_agenda_ou_orga_sas"),
    )
    return resultat(
        df,
        DISPOSITIF,
        annee,
        ["specialite", "departement"],
        pl.lit(int(p.a("forfait_sas", "montant_centimes", date(annee, 1, 1)))),
    )


def montants_forfait_sas(p: JeuParametres, annee: int) -> list[int]:
    """The amount a FORFAIT line of N may carry."""
    return [int(p.a("forfait_sas", "montant_centimes", date(annee, 1, 1)))]
