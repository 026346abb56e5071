"""What a sign-off report shows, computed from a run's (or a publication's) frames: amounts to pay and to
recover per dispositif, the comparison with another run, the largest amounts and changes, the values of the
distributions; and the French formats of numbers and dates the people who sign it read. Pure: frames in,
frames and texts out (flows/rapport.py renders them)."""

from __future__ import annotations

import json
from datetime import date

import polars as pl

ESPACE = "\u202f"  # narrow no-break space: the French thousands separator
INSECABLE = "\u00a0"  # no-break space: before the euro sign


def euros(centimes: int | None) -> str:
    """1 103 569 281,65 € — thousands grouped, a decimal comma, two decimals."""
    if centimes is None:
        return "—"
    signe = "−" if centimes < 0 else ""
    entiers, reste = divmod(abs(int(centimes)), 100)
    return f"{signe}{entier(entiers)},{reste:02d}{INSECABLE}€"


def entier(n: int | None) -> str:
    if n is None:
        return "—"
    return f"{int(n):,}".replace(",", ESPACE).replace("-", "−")


def pourcent(part: float | None, decimales: int = 1) -> str:
    if part is None:
        return "—"
    return f"{part * 100:.{decimales}f}".replace(".", ",").replace("-", "−") + f"{ESPACE}%"


def jour(d: date | str | None) -> str:
    """DD/MM/YYYY."""
    if d is None:
        return "—"
    d = date.fromisoformat(d) if isinstance(d, str) else d
    return d.strftime("%d/%m/%Y")


def totaux(
    paiements: pl.DataFrame, par: tuple[str, ...] = ("dispositif", "nature_versement")
) -> pl.DataFrame:
    """Per group: amounts to pay and to recover kept apart, net, lines and beneficiaries."""
    m = pl.col("montant_centimes")
    return (
        paiements.group_by(*par)
        .agg(
            m.filter(m > 0).sum().alias("a_payer_centimes"),
            (-m.filter(m < 0).sum()).alias("a_recouvrer_centimes"),
            m.sum().alias("net_centimes"),
            pl.len().alias("nb_lignes"),
            pl.col("beneficiaire_id").n_unique().alias("nb_beneficiaires"),
        )
        .sort(*par)
    )


def par_beneficiaire(paiements: pl.DataFrame) -> pl.DataFrame:
    """The net amount of each beneficiary for each dispositif."""
    return paiements.group_by("dispositif", "beneficiaire_type", "beneficiaire_id").agg(
        pl.col("montant_centimes").sum()
    )


def ecarts(actuel: pl.DataFrame, autre: pl.DataFrame | None, seuil: float) -> pl.DataFrame:
    """Net per dispositif in both payment files, the difference and its share of the other's; flagged when
    the share passes ``seuil`` (or when one of them has nothing)."""
    a = totaux(actuel, ("dispositif",)).select("dispositif", pl.col("net_centimes").alias("net"))
    if autre is None:
        autre = actuel.head(0)
    b = totaux(autre, ("dispositif",)).select("dispositif", pl.col("net_centimes").alias("net_autre"))
    return (
        a.join(b, on="dispositif", how="full", coalesce=True)
        .with_columns(pl.col("net").fill_null(0), pl.col("net_autre").fill_null(0))
        .with_columns((pl.col("net") - pl.col("net_autre")).alias("ecart"))
        .with_columns(
            pl.when(pl.col("net_autre") != 0)
            .then(pl.col("ecart") / pl.col("net_autre").abs())
            .alias("part_ecart")
        )
        .with_columns(
            pl.when(pl.col("part_ecart").is_null())
            .then(pl.col("ecart") != 0)
            .otherwise(pl.col("part_ecart").abs() > seuil)
            .alias("alerte")
        )
        .sort("dispositif")
    )


def plus_gros_montants(paiements: pl.DataFrame, n: int = 20) -> pl.DataFrame:
    """The ``n`` largest net amounts of a beneficiary for a dispositif, recoveries included (by size)."""
    return (
        par_beneficiaire(paiements)
        .sort(
            pl.col("montant_centimes").abs(), "dispositif", "beneficiaire_id", descending=[True, False, False]
        )
        .head(n)
    )


def plus_gros_changements(actuel: pl.DataFrame, autre: pl.DataFrame, n: int = 20) -> pl.DataFrame:
    """The ``n`` largest changes of a beneficiary's net amount for a dispositif between two payment files."""
    cle = ["dispositif", "beneficiaire_type", "beneficiaire_id"]
    return (
        par_beneficiaire(actuel)
        .join(par_beneficiaire(autre), on=cle, how="full", coalesce=True, suffix="_autre")
        .with_columns(pl.col("montant_centimes").fill_null(0), pl.col("montant_centimes_autre").fill_null(0))
        .with_columns((pl.col("montant_centimes") - pl.col("montant_centimes_autre")).alias("ecart"))
        .filter(pl.col("ecart") != 0)
        .sort(pl.col("ecart").abs(), "dispositif", "beneficiaire_id", descending=[True, False, False])
        .head(n)
    )


def mesures(justificatifs: pl.DataFrame, dispositif: str, champs: dict[str, pl.DataType]) -> pl.DataFrame:
    """The measures ``champs`` of a dispositif's justifications (one row per beneficiary, contracts apart),
    with its outcome; empty when the dispositif was not in force."""
    j = justificatifs.filter(
        (pl.col("dispositif") == dispositif) & pl.col("reference_contrat").is_null() & pl.col("en_vigueur")
    )
    detail = pl.col("detail").str.json_decode(pl.Struct(champs))
    return j.select("beneficiaire_id", "est_eligible", "montant_centimes", detail.alias("d")).unnest("d")


def percentiles_publies_et_calcules(
    distribution: pl.DataFrame, specialites: list[int], publies: dict[str, int], rangs: list[int]
) -> list[dict]:
    """For each rank k: the threshold of the distribution of ``specialites`` (nearest rank, as transforms/sql/
    marts/percentiles.sql) beside the published one."""
    d = (
        distribution.filter(pl.col("specialite").is_in(specialites))
        .group_by("valeur")
        .agg(pl.col("nb_medecins").sum())
    )
    d = d.sort("valeur").with_columns(pl.col("nb_medecins").cum_sum().alias("cumul"))
    total = int(d["nb_medecins"].sum()) if d.height else 0
    lignes = []
    for k in rangs:
        calcule = None
        if total:
            calcule = int(d.filter(pl.col("cumul") * 100 >= k * total)["valeur"].min())
        lignes.append({"rang": k, "calcule": calcule, "publie": publies.get(f"P{k}")})
    return lignes


def defauts_de_quarantaine(tables: dict) -> list[dict]:
    """Per table and reason: how many rows went to quarantine, and their first row numbers (an ingest
    report's ``defauts``; their values are never shown)."""
    lignes = []
    for table, t in sorted(tables.items()):
        for d in t.get("defauts") or []:
            lignes.append(
                {
                    "table": table,
                    "colonne": d.get("colonne"),
                    "controle": d.get("controle"),
                    "nombre": d.get("nombre"),
                    "premieres_lignes": [x for x in d.get("premieres_lignes") or [] if x is not None],
                }
            )
    return lignes


def lignes_json(df: pl.DataFrame) -> list[dict]:
    """A frame as plain rows (dates as ISO text), for a template or a Prefect artifact."""
    return json.loads(df.write_json())
