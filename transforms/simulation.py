"""Reform simulation (rules.md §10): the same rules under the baseline and a reform, compared per dispositif.

Pure: two payment frames in, one report out. A beneficiary's amount is the net sum of his lines for the
dispositif (installments, soldes and recoveries included).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from transforms.parametres import JeuParametres

DECILES = [i / 10 for i in range(1, 10)]


def _par_beneficiaire(paiements: pl.DataFrame) -> pl.DataFrame:
    return paiements.group_by("dispositif", "beneficiaire_type", "beneficiaire_id").agg(
        pl.col("montant_centimes").sum()
    )


def _stats(montants: pl.Series) -> dict:
    servis = montants.filter(montants != 0)
    return {
        "cout_centimes": int(montants.sum()),
        "beneficiaires": servis.len(),
        "moyenne_centimes": round(servis.mean()) if servis.len() else 0,
        "deciles_centimes": [
            int(servis.quantile(q, interpolation="nearest")) if servis.len() else 0 for q in DECILES
        ],
    }


def comparer_scenarios(base: pl.DataFrame, reforme: pl.DataFrame) -> list[dict]:
    """Per dispositif: cost, beneficiaries, mean and deciles per beneficiary, winners and losers."""
    cle = ["dispositif", "beneficiaire_type", "beneficiaire_id"]
    b, r = _par_beneficiaire(base), _par_beneficiaire(reforme)
    m = b.join(r, on=cle, how="full", coalesce=True, suffix="_reforme").with_columns(
        pl.col("montant_centimes").fill_null(0), pl.col("montant_centimes_reforme").fill_null(0)
    )
    rapport = []
    for (dispositif,), g in sorted(m.group_by("dispositif"), key=lambda x: x[0]):
        ecart = g["montant_centimes_reforme"] - g["montant_centimes"]
        sb, sr = _stats(g["montant_centimes"]), _stats(g["montant_centimes_reforme"])
        rapport.append(
            {
                "dispositif": dispositif,
                "base": sb,
                "reforme": sr,
                "ecart_centimes": sr["cout_centimes"] - sb["cout_centimes"],
                "gagnants": int((ecart > 0).sum()),
                "perdants": int((ecart < 0).sum()),
            }
        )
    return rapport


def enveloppe(
    rapport: list[dict], dispositif: str, enveloppe_centimes: int, par_medecin_centimes: int
) -> dict:
    """Does the reform's extra cost of one dispositif fit an envelope, in total and per beneficiary?"""
    ligne = next((x for x in rapport if x["dispositif"] == dispositif), None)
    ecart = ligne["ecart_centimes"] if ligne else 0
    n = ligne["reforme"]["beneficiaires"] if ligne else 0
    par_medecin = round(ecart / n) if n else 0
    return {
        "dispositif": dispositif,
        "enveloppe_centimes": enveloppe_centimes,
        "ecart_centimes": ecart,
        "tient_dans_enveloppe": ecart <= enveloppe_centimes,
        "depassement_centimes": max(0, ecart - enveloppe_centimes),
        "enveloppe_par_medecin_centimes": par_medecin_centimes,
        "ecart_par_beneficiaire_centimes": par_medecin,
        "tient_par_medecin": par_medecin <= par_medecin_centimes,
        "depassement_par_medecin_centimes": max(0, par_medecin - par_medecin_centimes),
    }


def enveloppes(rapport: list[dict], p: JeuParametres, annee: int) -> list[dict]:
    """The envelope check of every dispositif whose parameters set ``enveloppe_reforme_centimes`` (and its
    per-doctor value), at the end of the payment year N+1."""
    fin = date(annee + 1, 12, 31)
    return [
        enveloppe(
            rapport,
            dispositif.upper(),
            int(p.a(dispositif, "enveloppe_reforme_centimes", fin)),
            int(p.a(dispositif, "enveloppe_reforme_par_medecin_centimes", fin)),
        )
        for dispositif, params in p.parametres.items()
        if "enveloppe_reforme_centimes" in params
    ]
