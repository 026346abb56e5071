"""The forfait médecin traitant (rules.md §7) beyond its cases (tests/rules/forfait_medecin_traitant.yaml):
its four installments always sum to the yearly amount (hypothesis)."""

from __future__ import annotations

from cas import DOSSIER, appliquer, entrees_du_cas, lire
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.parametres_io import charger_parametres

P = charger_parametres()
FICHIER = lire(DOSSIER / "forfait_medecin_traitant.yaml")


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 5_000),
    st.integers(0, 3_000),
    st.integers(0, 800),
    st.sampled_from([2017, 2023, 2024, 2025]),
)
def test_installments_sum_exactly_to_the_yearly_amount(n1, n2, n3, annee):
    categories = [
        {"categorie": "age_7_74_sans_ald", "nb_patients": n1, "nb_patients_c2s": n3 // 3},
        {"categorie": "ald_moins_80", "nb_patients": n2},
        {"categorie": "age_80_plus_sans_ald", "nb_patients": n3},
    ]
    r = appliquer(
        "forfait_medecin_traitant",
        entrees_du_cas(FICHIER, {"categories_medecin_traitant": categories}),
        P,
        annee,
    )
    lignes = r.paiements
    total = r.justificatifs["montant_centimes"][0]
    assert lignes["montant_centimes"].sum() == total
    if total >= 4:
        montants = lignes.sort("echeance")["montant_centimes"].to_list()
        assert len(montants) == 4 and len(set(montants[:3])) == 1 and 0 <= montants[3] - montants[0] < 4
