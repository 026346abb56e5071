"""What the sign-off report computes (transforms/rapport.py): amounts to pay and to recover kept apart, the
comparison of two runs flagged beyond its threshold, the percentiles beside the published ones."""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.paiements import totaux_de_controle
from transforms.rapport import (
    ecarts,
    jour,
    percentiles_publies_et_calcules,
    plus_gros_changements,
    pourcent,
    totaux,
)


def _lignes(*montants: tuple[str, str, int]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "dispositif": d,
                "beneficiaire_type": "PS",
                "beneficiaire_id": b,
                "nature_versement": "SOLDE",
                "montant_centimes": m,
            }
            for d, b, m in montants
        ],
        schema_overrides={"montant_centimes": pl.Int64},
    )


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B"]), st.text("12", min_size=1, max_size=2), st.integers(-(10**9), 10**9)
        ),
        min_size=1,
        max_size=30,
    )
)
def test_to_pay_minus_to_recover_is_the_net_and_matches_the_control_totals(lignes):
    df = _lignes(*lignes)
    t = totaux(df)
    assert (
        t["a_payer_centimes"].fill_null(0) - t["a_recouvrer_centimes"].fill_null(0) == t["net_centimes"]
    ).all()
    assert (t["a_payer_centimes"].fill_null(0) >= 0).all() and (
        t["a_recouvrer_centimes"].fill_null(0) >= 0
    ).all()
    controle = {(x["dispositif"], x["nature_versement"]): x["somme_centimes"] for x in totaux_de_controle(df)}
    assert {
        (x["dispositif"], x["nature_versement"]): x["net_centimes"] for x in t.iter_rows(named=True)
    } == controle


def test_a_difference_is_flagged_beyond_the_threshold_not_at_it():
    autre = _lignes(("A", "1", 1000), ("B", "1", 1000), ("C", "1", 1000))
    actuel = _lignes(
        ("A", "1", 1100), ("B", "1", 1101), ("C", "1", 1000), ("D", "1", 5)
    )  # +10 %, +10.1 %, 0, new
    e = {x["dispositif"]: x for x in ecarts(actuel, autre, 0.10).iter_rows(named=True)}
    assert (e["A"]["alerte"], e["B"]["alerte"], e["C"]["alerte"], e["D"]["alerte"]) == (
        False,
        True,
        False,
        True,
    )
    assert e["A"]["ecart"] == 100 and e["D"]["part_ecart"] is None


def test_the_largest_changes_are_per_beneficiary_and_dispositif():
    autre = _lignes(("A", "1", 1000), ("A", "2", 50))
    actuel = _lignes(("A", "1", 400), ("A", "3", 700))
    c = plus_gros_changements(actuel, autre).select("beneficiaire_id", "ecart").rows()
    assert c == [("3", 700), ("1", -600), ("2", -50)]


def test_percentiles_are_nearest_rank_like_the_model():
    distribution = pl.DataFrame(
        {"specialite": [1] * 10, "valeur": list(range(1, 11)), "nb_medecins": [1] * 10}
    )
    x = percentiles_publies_et_calcules(distribution, [1], {"P30": 775}, [30, 90, 95])
    assert [(y["rang"], y["calcule"], y["publie"]) for y in x] == [
        (30, 3, 775),
        (90, 9, None),
        (95, 10, None),
    ]


def test_dates_and_shares_for_french_readers():
    assert jour(date(2026, 4, 30)) == jour("2026-04-30") == "30/04/2026"
    assert pourcent(0.02) == "2,0\u202f%" and pourcent(None) == "—"
