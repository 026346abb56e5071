"""pandera models of the outputs (outputs.md): the payment file and the justifications.

The run-level schemas add what depends on the run: the dispositifs of the registry (transforms/registre.py,
passed by the caller), the allowed amounts of each for year N (read from the parameters) and the year.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

NATURES = ["FORFAIT", "ECHEANCE", "ACOMPTE", "SOLDE", "REGULARISATION"]
NATURES_SIGNEES = ["SOLDE", "REGULARISATION"]  # may be negative (recovery)
CLE_METIER = [  # business key of a payment line (outputs.md), unique in a payment file
    "beneficiaire_type",
    "beneficiaire_id",
    "dispositif",
    "annee_reference",
    "nature_versement",
    "echeance",
    "reference_contrat",
]


class Paiements(pa.DataFrameModel):
    """One row per installment to execute (payment file of reference year N, paid in N+1)."""

    id_ligne: pl.String = pa.Field(
        unique=True, str_length=32, description="SHA-256 (32 hex) of the business key"
    )
    annee_reference: pl.Int64 = pa.Field(description="N")
    annee_versement: pl.Int64 = pa.Field(description="N+1")
    dispositif: pl.String = pa.Field(
        str_matches=r"^[A-Z][A-Z_]*$", description="Dispositif (one of the registry's: checked per run)"
    )
    beneficiaire_type: pl.String = pa.Field(isin=["PS", "CPTS"], description="PS (doctor) or CPTS")
    beneficiaire_id: pl.String = pa.Field(str_length={"min_value": 1}, description="STA_PFS_NUM or CPTS id")
    nature_versement: pl.String = pa.Field(isin=NATURES, description="Nature of the installment")
    echeance: pl.Date = pa.Field(description="Due date, in N+1")
    montant_centimes: pl.Int64 = pa.Field(description="Cents; > 0 except SOLDE and REGULARISATION")
    reference_contrat: pl.String = pa.Field(
        nullable=True, description="Contract number (contract-based aids)"
    )

    class Config:
        strict = True
        unique = CLE_METIER

    @pa.dataframe_check
    def versement_en_n_plus_1(cls, data) -> pl.LazyFrame:
        """annee_versement = N+1 and every echeance falls in it."""
        return data.lazyframe.select(
            (pl.col("annee_versement") == pl.col("annee_reference") + 1)
            & (pl.col("echeance").dt.year() == pl.col("annee_versement"))
        )

    @pa.dataframe_check
    def montant_positif_sauf_solde(cls, data) -> pl.LazyFrame:
        """Amounts are > 0, except SOLDE and REGULARISATION lines (recoveries)."""
        return data.lazyframe.select(
            (pl.col("montant_centimes") > 0) | pl.col("nature_versement").is_in(NATURES_SIGNEES)
        )


def _dispositif_connu(dispositifs: list[str]) -> pa.Check:
    return pa.Check(
        lambda d, connus=tuple(dispositifs): d.lazyframe.select(pl.col("dispositif").is_in(list(connus))),
        name="dispositif_du_registre",
        error=f"dispositif ∈ {sorted(dispositifs)}",
    )


def schema_paiements(
    montants_permis: dict[str, list[int]], dispositifs: list[str], annee: int
) -> pa.DataFrameSchema:
    """The payment model plus the run's checks: the dispositifs of the registry, the year N and, for
    dispositifs with a closed list of amounts (FORFAIT lines of the yearly forfaits), the amounts the
    parameters allow for N."""
    schema = Paiements.to_schema()
    checks = list(schema.checks)
    checks.append(_dispositif_connu(dispositifs))
    checks.append(
        pa.Check(
            lambda d: d.lazyframe.select(pl.col("annee_reference") == annee),
            error=f"annee_reference = {annee}",
        )
    )
    for dispositif, montants in sorted(montants_permis.items()):
        checks.append(
            pa.Check(
                lambda d, disp=dispositif, m=tuple(montants): d.lazyframe.select(
                    (pl.col("dispositif") != disp)
                    | (pl.col("nature_versement") != "FORFAIT")
                    | pl.col("montant_centimes").is_in(list(m))
                ),
                error=f"{dispositif}: montant ∈ {sorted(montants)}",
            )
        )
    return pa.DataFrameSchema(
        columns=schema.columns, checks=checks, strict=schema.strict, unique=schema.unique, name=schema.name
    )


class Justificatifs(pa.DataFrameModel):
    """One row per (beneficiary, dispositif) evaluated, eligible or not; for contract-based aids, also one row
    per contract (``reference_contrat`` set) explaining each of its installments."""

    annee_reference: pl.Int64 = pa.Field(description="N")
    dispositif: pl.String = pa.Field(str_matches=r"^[A-Z][A-Z_]*$", description="Dispositif")
    beneficiaire_type: pl.String = pa.Field(isin=["PS", "CPTS"], description="PS or CPTS")
    beneficiaire_id: pl.String = pa.Field(description="STA_PFS_NUM or CPTS id")
    en_vigueur: pl.Boolean = pa.Field(description="The rule exists for year N")
    est_eligible: pl.Boolean = pa.Field(description="Every condition of the rule holds")
    montant_centimes: pl.Int64 = pa.Field(
        description="Amount computed, cents; ≥ 0 except a contract's net installments (a recovering solde)"
    )
    criteres_non_remplis: pl.List(pl.String) = pa.Field(description="Conditions that do not hold")
    detail: pl.String = pa.Field(description="JSON: every value measured and every condition")
    reference_contrat: pl.String = pa.Field(nullable=True, description="Contract number (contract rows)")

    class Config:
        strict = True
        unique = [
            "annee_reference",
            "dispositif",
            "beneficiaire_type",
            "beneficiaire_id",
            "reference_contrat",
        ]

    @pa.dataframe_check
    def montant_positif_hors_contrat(cls, data) -> pl.LazyFrame:
        """Only a contract row may carry a negative net amount (its solde recovers more than is paid)."""
        return data.lazyframe.select(
            (pl.col("montant_centimes") >= 0) | pl.col("reference_contrat").is_not_null()
        )


def schema_justificatifs(dispositifs: list[str]) -> pa.DataFrameSchema:
    """The justification model plus the dispositifs of the registry."""
    schema = Justificatifs.to_schema()
    return pa.DataFrameSchema(
        columns=schema.columns,
        checks=[*schema.checks, _dispositif_connu(dispositifs)],
        strict=schema.strict,
        unique=schema.unique,
        name=schema.name,
    )


def schema_publication(annee: int, dispositifs: list[str]) -> pa.DataFrameSchema:
    """A publication (ledger section of outputs.md): the payment model, except that a ``REGULARISATION``
    emitted by a publication falls due when the publication is paid (``annee_versement`` = its due date's
    year), which for a backfill is later than N+1. Every other line keeps ``annee_versement`` = N+1."""
    schema = Paiements.to_schema()
    checks = [c for c in schema.checks if c.name != "versement_en_n_plus_1"]
    checks += [
        pa.Check(
            lambda d: d.lazyframe.select(
                (pl.col("echeance").dt.year() == pl.col("annee_versement"))
                & (
                    (pl.col("annee_versement") == pl.col("annee_reference") + 1)
                    | (pl.col("nature_versement") == "REGULARISATION")
                )
            ),
            name="versement_de_la_publication",
            error="echeance in annee_versement, = N+1 except REGULARISATION lines",
        ),
        pa.Check(
            lambda d: d.lazyframe.select(pl.col("annee_reference") == annee),
            error=f"annee_reference = {annee}",
        ),
        _dispositif_connu(dispositifs),
    ]
    return pa.DataFrameSchema(
        columns=schema.columns, checks=checks, strict=schema.strict, unique=schema.unique, name="Publication"
    )
