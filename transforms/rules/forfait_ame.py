"""Forfait patientèle AME.

Règle (seed 001_cf782d94935862d6.txt, paragraphe sur la patientèle AME et ligne « Prise en charge patientèle
bénéficiaire de l'AME » du tableau ; rules.md §2) : à compter du 1er janvier 2025, un médecin généraliste
conventionné dont les actes réalisés pour des patients à l'AME représentent plus de 2 % de ses actes de
l'année perçoit un forfait annuel de 500 €, versé en N+1.
Paramètres : data/parameters/forfait_ame.yaml (montant_centimes, dont la première date est celle de la règle ;
seuil_part_actes_ame) et commun.yaml (champ, généralistes, régimes AME, natures d'actes).
Non modélisé / choix : exactement 2 % n'est pas « supérieur à 2 % » ; un médecin sans acte en N n'a pas de
part d'actes AME (il n'est pas éligible) ; actes = somme nette des quantités (annulations déduites).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms.parametres import JeuParametres
from transforms.rules.commun import fraction, resultat

DISPOSITIF = "FORFAIT_AME"


def forfait_ame(activite_medecins: pl.DataFrame, p: JeuParametres, annee: int) -> pl.DataFrame:
    """One row per doctor of ``activite_medecins`` → same grain, critere_* columns, est_eligible, montant."""
    d = date(annee, 1, 1)
    num, den = fraction(p.a("forfait_ame", "seuil_part_actes_ame", d))
    # compared in integers: nb_actes_ame / nb_actes > num / den, exact at 2 % (no float rounding)
    part = pl.when(pl.col("nb_actes") > 0).then(pl.col("nb_actes_ame") / pl.col("nb_actes"))
    df = activite_medecins.with_columns(
        part.alias("part_actes_ame"),
        pl.col("est_dans_champ").alias("critere_dans_champ"),
        pl.col("est_generaliste").alias("critere_generaliste"),
        (pl.col("nb_actes") > 0).alias("critere_actes"),
        (pl.col("nb_actes_ame") * den > pl.col("nb_actes") * num).alias("critere_part_actes_ame"),
    )
    return resultat(
        df,
        DISPOSITIF,
        annee,
        ["specialite", "nb_actes", "nb_actes_ame", "part_actes_ame"],
        pl.lit(int(p.a("forfait_ame", "montant_centimes", d))),
    )


def montants_forfait_ame(p: JeuParametres, annee: int) -> list[int]:
    """The amounts a FORFAIT line of N may carry (checked on the payment file)."""
    return [int(p.a("forfait_ame", "montant_centimes", date(annee, 1, 1)))]
