"""Runner of the forfait médecin traitant cases (tests/rules/medecin_traitant.yaml), and its installments.

Each case gives one doctor (overrides of medecin_defaut.yaml) and his patientèle MT by category; the runner
applies the rule for year N (grid of the payment year N+1) and checks the yearly amount, the eligibility and,
when given, the installments.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.parametres_io import charger_parametres
from transforms.paiements import justificatifs
from transforms.rules.forfait_medecin_traitant import forfait_medecin_traitant, lignes_echeances

DOSSIER = Path(__file__).parent / "rules"
P = charger_parametres()
MEDECIN = yaml.safe_load((DOSSIER / "medecin_defaut.yaml").read_text(encoding="utf-8")) | {
    "annee_naissance": 1970,
    "date_installation": date(2000, 1, 1),
}
CAS = yaml.safe_load((DOSSIER / "medecin_traitant.yaml").read_text(encoding="utf-8"))["cas"]
SCHEMA = {"ps": pl.String, "categorie": pl.String, "nb_patients": pl.Int64, "nb_patients_c2s": pl.Int64}


def _appliquer(cas: dict, annee: int):
    medecin = MEDECIN | cas.get("medecin", {})
    activite = pl.DataFrame([medecin], schema_overrides={"zone": pl.String})
    c2s = cas.get("c2s", 0)  # a count (on the first category) or a count per category
    if not isinstance(c2s, dict):
        c2s = {cat: c2s if i == 0 else 0 for i, cat in enumerate(cas["patients"])}
    lignes = [
        {"ps": medecin["ps"], "categorie": cat, "nb_patients": n, "nb_patients_c2s": c2s.get(cat, 0)}
        for cat, n in cas["patients"].items()
    ]
    return forfait_medecin_traitant(activite, pl.DataFrame(lignes, schema=SCHEMA), P, annee)


@pytest.mark.parametrize("cas", CAS, ids=[c["nom"] for c in CAS])
def test_forfait_medecin_traitant_case(cas):
    r = _appliquer(cas, cas["annee"])
    j = justificatifs(r).row(0, named=True)
    assert j["en_vigueur"] == cas.get("en_vigueur", True)
    assert j["montant_centimes"] == cas["montant"]
    assert j["est_eligible"] == cas.get("eligible", cas["montant"] > 0)
    if "non_remplis" in cas:
        assert j["criteres_non_remplis"] == cas["non_remplis"]
    if "echeances" in cas:
        lignes = lignes_echeances(r, P, cas["annee"]).sort("echeance")
        assert [[x["echeance"], x["montant_centimes"]] for x in lignes.iter_rows(named=True)] == cas[
            "echeances"
        ]
        assert set(lignes["nature_versement"]) == {"ECHEANCE"}


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 5_000),
    st.integers(0, 3_000),
    st.integers(0, 800),
    st.sampled_from([2017, 2023, 2024, 2025]),
)
def test_installments_sum_exactly_to_the_yearly_amount(n1, n2, n3, annee):
    cas = {
        "patients": {"age_7_74_sans_ald": n1, "ald_moins_80": n2, "age_80_plus_sans_ald": n3},
        "c2s": n3 // 3,
    }
    r = _appliquer(cas, annee)
    lignes = lignes_echeances(r, P, annee)
    total = r["montant_centimes"][0]
    assert lignes["montant_centimes"].sum() == total
    if total >= 4:
        montants = lignes.sort("echeance")["montant_centimes"].to_list()
        assert len(montants) == 4 and len(set(montants[:3])) == 1 and 0 <= montants[3] - montants[0] < 4
