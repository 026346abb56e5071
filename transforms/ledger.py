"""What a publication must pay or recover, given a run's payment lines and what the ledger already holds.

outputs.md, « Ledger and regularisations »: by business key, a new key is published as it is; a key whose
amount changed gets a ``REGULARISATION`` of the difference; a key that vanished gets a ``REGULARISATION``
cancelling it; an unchanged key gets nothing. So the same run published twice emits nothing the second time.

Pure: frames in, frames out. The ledger holds, per publication, the published lines and the *movements*: the
effect of the publication on each key of a run (``cle_id`` = the run line's ``id_ligne``). A key's cumulative
amount is the sum of its movements.

Decisions (README, « Publication and ledger »):
- A publication emits **one** ``REGULARISATION`` line per (beneficiary, dispositif, N, contract), carrying
  the sum of its keys' differences, due on the publication's regularisation date (``echeance``); its
  ``annee_versement`` is that date's year, since a backfill of an old year cannot pay in N+1. Differences
  that net to zero emit no line; their movements are still recorded (``id_ligne_publie`` null).
- A key cancelled earlier (cumulative 0) that reappears is a change of amount (a ``REGULARISATION``), not a
  new key: it is known to the ledger.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from schemas.sorties import CLE_METIER
from transforms.paiements import COLONNES_PAIEMENTS, avec_ids

CLE_REGULARISATION = [
    "beneficiaire_type",
    "beneficiaire_id",
    "dispositif",
    "annee_reference",
    "reference_contrat",
]
COLONNES_MOUVEMENTS = {
    "cle_id": pl.String,
    **{c: COLONNES_PAIEMENTS[c] for c in CLE_METIER},
    "id_ligne_publie": pl.String,
    "montant_centimes": pl.Int64,
}
COLONNES_CUMULS = {
    "cle_id": pl.String,
    **{c: COLONNES_PAIEMENTS[c] for c in CLE_METIER},
    "cumul_centimes": pl.Int64,
}


def echeance_par_defaut(aujourd_hui: date) -> date:
    """Regularisations fall due on the first day of the month after the publication (README, Decisions)."""
    return date(aujourd_hui.year + aujourd_hui.month // 12, aujourd_hui.month % 12 + 1, 1)


def a_publier(run: pl.DataFrame, cumuls: pl.DataFrame, echeance: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(lines to publish, movements) for a run's lines of year N against the ledger's cumulative amounts of N.

    ``run`` has the payment columns (outputs.md); ``cumuls`` one row per key the ledger knows for N
    (``COLONNES_CUMULS``); ``echeance`` is the due date of the publication's regularisations.
    """
    cles = list(CLE_METIER)
    j = run.select("id_ligne", *cles, "montant_centimes").join(
        cumuls, left_on="id_ligne", right_on="cle_id", how="full", coalesce=True, suffix="_registre"
    )
    j = j.with_columns(
        [pl.coalesce(c, f"{c}_registre").alias(c) for c in cles],
        est_nouvelle=pl.col("cumul_centimes").is_null(),
        delta=pl.col("montant_centimes").fill_null(0) - pl.col("cumul_centimes").fill_null(0),
    ).rename({"id_ligne": "cle_id"})
    nouvelles = j.filter(pl.col("est_nouvelle"))
    lignes_nouvelles = run.join(nouvelles.select(pl.col("cle_id").alias("id_ligne")), on="id_ligne")
    mvt_nouvelles = nouvelles.select(
        "cle_id", *cles, pl.col("cle_id").alias("id_ligne_publie"), pl.col("delta").alias("montant_centimes")
    )

    ecarts = j.filter(~pl.col("est_nouvelle") & (pl.col("delta") != 0))
    regul = (
        ecarts.group_by(CLE_REGULARISATION)
        .agg(pl.col("delta").sum().alias("montant_centimes"))
        .filter(pl.col("montant_centimes") != 0)
        .with_columns(
            pl.lit("REGULARISATION").alias("nature_versement"),
            pl.lit(echeance, pl.Date).alias("echeance"),
            pl.lit(echeance.year, pl.Int64).alias("annee_versement"),
        )
    )
    lignes_regul = avec_ids(regul) if regul.height else pl.DataFrame(schema=COLONNES_PAIEMENTS)
    mvt_regul = ecarts.join(
        lignes_regul.select(*CLE_REGULARISATION, pl.col("id_ligne").alias("id_ligne_publie")),
        on=CLE_REGULARISATION,
        how="left",
        nulls_equal=True,
    ).select("cle_id", *cles, "id_ligne_publie", pl.col("delta").alias("montant_centimes"))

    lignes = pl.concat([lignes_nouvelles.select(list(COLONNES_PAIEMENTS)), lignes_regul]).sort(
        CLE_METIER, nulls_last=False
    )
    mouvements = (
        pl.concat([mvt_nouvelles, mvt_regul])
        .cast(COLONNES_MOUVEMENTS)
        .select(list(COLONNES_MOUVEMENTS))
        .sort("cle_id")
    )
    return lignes.cast(COLONNES_PAIEMENTS), mouvements


def cumuls_de(mouvements: pl.DataFrame) -> pl.DataFrame:
    """The cumulative amount of every key from its movements (what ``a_publier`` reads from the ledger)."""
    return (
        mouvements.group_by("cle_id")
        .agg(
            *[pl.col(c).first() for c in CLE_METIER], pl.col("montant_centimes").sum().alias("cumul_centimes")
        )
        .cast(COLONNES_CUMULS)
        .select(list(COLONNES_CUMULS))
    )


def _somme(lignes: pl.DataFrame) -> dict:
    return {"nb_lignes": lignes.height, "somme_centimes": int(lignes["montant_centimes"].sum())}


def bilan(lignes: pl.DataFrame, mouvements: pl.DataFrame) -> dict:
    """What a publication emits: lines of new keys, regularisation lines, run keys changed or vanished."""
    nouvelle = (pl.col("id_ligne_publie") == pl.col("cle_id")).fill_null(False)
    ids_nouveaux = mouvements.filter(nouvelle)["cle_id"].implode()
    return {
        "nouvelles_cles": _somme(lignes.filter(pl.col("id_ligne").is_in(ids_nouveaux))),
        "regularisations": _somme(lignes.filter(~pl.col("id_ligne").is_in(ids_nouveaux)))
        | {"cles_modifiees": mouvements.filter(~nouvelle).height},
        "beneficiaires_touches": mouvements["beneficiaire_id"].n_unique(),
        "ecart_centimes": int(mouvements["montant_centimes"].sum()),
    }


def ecarts_runs(ancien: pl.DataFrame | None, nouveau: pl.DataFrame) -> dict:
    """What publishing run ``nouveau`` would emit after run ``ancien`` of the same year had been published."""
    if ancien is None:
        cumuls = pl.DataFrame(schema=COLONNES_CUMULS)
    else:
        cumuls = cumuls_de(ancien.rename({"id_ligne": "cle_id"}))
    echeance = date(int(nouveau["annee_versement"].max() or 1), 1, 1)  # no line is published: any date
    return bilan(*a_publier(nouveau, cumuls, echeance))
