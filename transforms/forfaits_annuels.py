"""The yearly forfaits of the 2024 convention (rules.md §2–5), applied together for year N.

Pure: ``activite_medecins`` and the parameters in, payment lines and justifications out; the amounts each
dispositif may carry in N, for the output check.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms.paiements import justificatifs, lignes_forfait
from transforms.parametres import JeuParametres
from transforms.rules.commun import echeance_forfaits_annuels
from transforms.rules.forfait_ame import forfait_ame
from transforms.rules.forfait_ipa import forfait_ipa
from transforms.rules.forfait_msu import forfait_msu
from transforms.rules.forfait_sas import forfait_sas

REGLES = (
    ("forfait_ame", forfait_ame),
    ("forfait_ipa", forfait_ipa),
    ("forfait_sas", forfait_sas),
    ("forfait_msu", forfait_msu),
)


def appliquer_regles(
    activite: pl.DataFrame, p: JeuParametres, annee: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(payment lines, justifications) of the yearly forfaits §2–5 for year N."""
    echeance = echeance_forfaits_annuels(p, annee)
    lignes, justifs = [], []
    for nom, regle in REGLES:
        r = regle(activite, p, annee)
        lignes.append(lignes_forfait(r, annee, nom.upper(), echeance))
        justifs.append(justificatifs(r))
    paiements = pl.concat(lignes).sort("dispositif", "beneficiaire_id", "echeance")
    return paiements, pl.concat(justifs)


def montants_permis(p: JeuParametres, annee: int) -> dict[str, list[int]]:
    """Amounts a FORFAIT line may carry for year N, read from the parameters (checked on the output)."""
    d = date(annee, 1, 1)
    permis: dict[str, list[int]] = {}
    if p.a("forfait_ame", "en_vigueur", d):
        permis["FORFAIT_AME"] = [int(p.a("forfait_ame", "montant_centimes", d))]
    if p.a("forfait_ipa", "en_vigueur", d):
        permis["FORFAIT_IPA"] = [int(x["montant_centimes"]) for x in p.a("forfait_ipa", "paliers", d)]
    if p.a("forfait_sas", "en_vigueur", d):
        permis["FORFAIT_SAS"] = [int(p.a("forfait_sas", "montant_centimes", d))]
    if p.a("forfait_msu", "en_vigueur", d):
        permis["FORFAIT_MSU"] = [
            int(p.a("forfait_msu", "montant_zip_centimes", d)),
            int(p.a("forfait_msu", "montant_hors_zip_centimes", d)),
        ]
    return permis
