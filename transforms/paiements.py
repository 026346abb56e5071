"""From the rules' results to the output contract (outputs.md): payment lines, justifications, totals.

Pure: frames in, frames out. ``id_ligne`` is the SHA-256 of the business key, so the same inputs give the
same ids on every run and machine.
"""

from __future__ import annotations

import hashlib
from datetime import date

import polars as pl

from schemas.sorties import CLE_METIER

COLONNES_PAIEMENTS = {
    "id_ligne": pl.String,
    "annee_reference": pl.Int64,
    "annee_versement": pl.Int64,
    "dispositif": pl.String,
    "beneficiaire_type": pl.String,
    "beneficiaire_id": pl.String,
    "nature_versement": pl.String,
    "echeance": pl.Date,
    "montant_centimes": pl.Int64,
    "reference_contrat": pl.String,
}


COLONNES_JUSTIFICATIFS = {
    "annee_reference": pl.Int64,
    "dispositif": pl.String,
    "beneficiaire_type": pl.String,
    "beneficiaire_id": pl.String,
    "en_vigueur": pl.Boolean,
    "est_eligible": pl.Boolean,
    "montant_centimes": pl.Int64,
    "criteres_non_remplis": pl.List(pl.String),
    "detail": pl.String,
    "reference_contrat": pl.String,
}


def id_ligne(cle: tuple) -> str:
    """Deterministic id of a business key: SHA-256 of its fields, '|'-joined (None → empty)."""
    texte = "|".join("" if v is None else (v.isoformat() if isinstance(v, date) else str(v)) for v in cle)
    return hashlib.sha256(texte.encode("utf-8")).hexdigest()[:32]


def avec_ids(lignes: pl.DataFrame) -> pl.DataFrame:
    ids = [id_ligne(k) for k in lignes.select(CLE_METIER).iter_rows()]
    return lignes.with_columns(pl.Series("id_ligne", ids, pl.String)).select(list(COLONNES_PAIEMENTS))


def lignes_de_paiement(
    lignes: pl.DataFrame, annee: int, dispositif: str, beneficiaire_type: str = "PS", id_col: str = "ps"
) -> pl.DataFrame:
    """The payment lines (outputs.md) of year N, paid in N+1, from a rule's rows to pay: the beneficiary
    (``id_col``: ``ps`` for a doctor, ``cpts_id`` for a CPTS), ``nature_versement``, ``echeance``,
    ``montant_centimes`` and, for contracts, ``reference_contrat``."""
    sans_contrat = pl.lit(None, pl.String).alias("reference_contrat")
    return avec_ids(
        lignes.select(
            pl.lit(annee, pl.Int64).alias("annee_reference"),
            pl.lit(annee + 1, pl.Int64).alias("annee_versement"),
            pl.lit(dispositif).alias("dispositif"),
            pl.lit(beneficiaire_type).alias("beneficiaire_type"),
            pl.col(id_col).alias("beneficiaire_id"),
            "nature_versement",
            "echeance",
            pl.col("montant_centimes").cast(pl.Int64),
            "reference_contrat" if "reference_contrat" in lignes.columns else sans_contrat,
        )
    )


def justificatifs(resultat: pl.DataFrame, beneficiaire_type: str = "PS", id_col: str = "ps") -> pl.DataFrame:
    """One row per (beneficiary, dispositif) evaluated: outcome, failed conditions, values read (JSON)."""
    criteres = [c for c in resultat.columns if c.startswith("critere_")]
    details = [c for c in resultat.columns if c not in (id_col, "annee_reference", "dispositif")]
    if criteres:
        non_remplis = pl.concat_list(
            [pl.when(~pl.col(c)).then(pl.lit(c.removeprefix("critere_"))) for c in criteres]
        ).list.drop_nulls()
    else:
        non_remplis = pl.lit([], pl.List(pl.String))
    return resultat.select(
        pl.col("annee_reference").cast(pl.Int64),
        "dispositif",
        pl.lit(beneficiaire_type).alias("beneficiaire_type"),
        pl.col(id_col).alias("beneficiaire_id"),
        "en_vigueur",
        "est_eligible",
        pl.col("montant_centimes").cast(pl.Int64),
        non_remplis.alias("criteres_non_remplis"),
        pl.struct(details).struct.json_encode().alias("detail"),
        pl.lit(None, pl.String).alias("reference_contrat"),
    )


def totaux_de_controle(paiements: pl.DataFrame) -> list[dict]:
    """Line count and sum of cents per (dispositif, nature_versement)."""
    return (
        paiements.group_by("dispositif", "nature_versement")
        .agg(pl.len().alias("nb_lignes"), pl.col("montant_centimes").sum().alias("somme_centimes"))
        .sort("dispositif", "nature_versement")
        .to_dicts()
    )
