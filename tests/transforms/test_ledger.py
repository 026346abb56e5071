"""transforms.ledger.a_publier, from the ledger section of outputs.md: one case per sentence, and the
invariant that after any sequence of publications the ledger holds exactly what the last run says is due."""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.ledger import COLONNES_CUMULS, a_publier, cumuls_de
from transforms.paiements import COLONNES_PAIEMENTS, avec_ids

N = 2025
REGUL = date(2027, 2, 1)


def lignes(*rows) -> pl.DataFrame:
    """rows: (ps, dispositif, nature, echeance, montant[, contrat])."""
    df = pl.DataFrame(
        [
            {
                "annee_reference": N,
                "annee_versement": N + 1,
                "dispositif": r[1],
                "beneficiaire_type": "PS",
                "beneficiaire_id": r[0],
                "nature_versement": r[2],
                "echeance": r[3],
                "montant_centimes": r[4],
                "reference_contrat": r[5] if len(r) > 5 else None,
            }
            for r in rows
        ],
        schema={c: t for c, t in COLONNES_PAIEMENTS.items() if c != "id_ligne"},
    )
    return avec_ids(df)


VIDE = pl.DataFrame(schema=COLONNES_CUMULS)
AME = ("P1", "FORFAIT_AME", "FORFAIT", date(N + 1, 4, 30), 500_000)
IPA = ("P2", "FORFAIT_IPA", "FORFAIT", date(N + 1, 4, 30), 50_000)


def test_an_empty_ledger_publishes_every_line_as_it_is():
    run = lignes(AME, IPA)
    pub, mvts = a_publier(run, VIDE, REGUL)
    assert pub.sort("id_ligne").equals(run.sort("id_ligne"))
    assert mvts["montant_centimes"].sum() == 550_000
    assert (mvts["cle_id"] == mvts["id_ligne_publie"]).all()


def test_an_unchanged_key_gives_nothing_so_a_second_publication_is_empty():
    run = lignes(AME, IPA)
    _, mvts = a_publier(run, VIDE, REGUL)
    pub, mvts2 = a_publier(run, cumuls_de(mvts), REGUL)
    assert pub.is_empty() and mvts2.is_empty()


def test_a_key_with_another_amount_gives_a_regularisation_of_the_difference():
    _, mvts = a_publier(lignes(AME, IPA), VIDE, REGUL)
    pub, _ = a_publier(lignes(AME[:4] + (300_000,), IPA), cumuls_de(mvts), REGUL)
    assert pub.height == 1
    r = pub.row(0, named=True)
    assert (r["beneficiaire_id"], r["dispositif"], r["nature_versement"]) == (
        "P1",
        "FORFAIT_AME",
        "REGULARISATION",
    )
    assert r["montant_centimes"] == -200_000
    assert (r["echeance"], r["annee_versement"], r["annee_reference"]) == (REGUL, 2027, N)


def test_a_vanished_key_gets_a_regularisation_cancelling_it():
    _, mvts = a_publier(lignes(AME, IPA), VIDE, REGUL)
    pub, _ = a_publier(lignes(IPA), cumuls_de(mvts), REGUL)
    assert pub.select("beneficiaire_id", "nature_versement", "montant_centimes").rows() == [
        ("P1", "REGULARISATION", -500_000)
    ]


def test_a_new_key_next_to_published_ones_is_published_as_it_is():
    _, mvts = a_publier(lignes(AME), VIDE, REGUL)
    pub, _ = a_publier(lignes(AME, IPA), cumuls_de(mvts), REGUL)
    assert pub.select("beneficiaire_id", "nature_versement", "montant_centimes").rows() == [
        ("P2", "FORFAIT", 50_000)
    ]


def test_changed_installments_of_one_doctor_give_one_regularisation_line():
    echeances = [
        ("P3", "FORFAIT_MEDECIN_TRAITANT", "ECHEANCE", date(N + 1, m, 15), 100_000) for m in (3, 6, 9, 12)
    ]
    _, mvts = a_publier(lignes(*echeances), VIDE, REGUL)
    corrige = [e[:4] + (110_000,) for e in echeances]
    pub, mvts2 = a_publier(lignes(*corrige), cumuls_de(mvts), REGUL)
    assert pub.select("nature_versement", "montant_centimes").rows() == [("REGULARISATION", 40_000)]
    assert mvts2.height == 4 and (mvts2["id_ligne_publie"] == pub["id_ligne"][0]).all()


def test_differences_netting_to_zero_emit_no_line_but_are_recorded():
    acompte = ("P4", "AIDE_ASSISTANT_MEDICAL", "ACOMPTE", date(N + 1, 3, 1), 600_000, "C1")
    solde = ("P4", "AIDE_ASSISTANT_MEDICAL", "SOLDE", date(N + 1, 3, 1), -100_000, "C1")
    _, mvts = a_publier(lignes(acompte, solde), VIDE, REGUL)
    pub, mvts2 = a_publier(
        lignes(acompte[:4] + (700_000, "C1"), solde[:4] + (-200_000, "C1")), cumuls_de(mvts), REGUL
    )
    assert pub.is_empty()
    assert sorted(mvts2["montant_centimes"]) == [-100_000, 100_000]
    assert mvts2["id_ligne_publie"].is_null().all()


def test_regularisations_are_per_contract():
    a = ("P5", "AIDE_ASSISTANT_MEDICAL", "FORFAIT", date(N + 1, 3, 1), 1_000_000, "C1")
    b = ("P5", "AIDE_ASSISTANT_MEDICAL", "FORFAIT", date(N + 1, 3, 1), 1_000_000, "C2")
    _, mvts = a_publier(lignes(a, b), VIDE, REGUL)
    pub, _ = a_publier(lignes(a[:4] + (900_000, "C1"), b[:4] + (1_200_000, "C2")), cumuls_de(mvts), REGUL)
    assert sorted(pub.select("reference_contrat", "montant_centimes").rows()) == [
        ("C1", -100_000),
        ("C2", 200_000),
    ]


def test_a_key_cancelled_then_back_is_regularised_not_republished():
    _, m1 = a_publier(lignes(AME), VIDE, REGUL)
    _, m2 = a_publier(lignes(IPA), cumuls_de(m1), REGUL)  # AME cancelled, IPA new
    pub, _ = a_publier(lignes(AME, IPA), cumuls_de(pl.concat([m1, m2])), date(2027, 3, 1))
    assert pub.select("beneficiaire_id", "nature_versement", "montant_centimes").rows() == [
        ("P1", "REGULARISATION", 500_000)
    ]


montants = st.integers(min_value=1, max_value=2_000_000)
run_aleatoire = st.dictionaries(
    st.tuples(
        st.sampled_from(["P1", "P2", "P3"]),
        st.sampled_from(["FORFAIT_AME", "FORFAIT_MEDECIN_TRAITANT"]),
        st.sampled_from([date(N + 1, 3, 15), date(N + 1, 6, 15)]),
    ),
    montants,
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(run_aleatoire, min_size=1, max_size=5))
def test_after_any_sequence_of_runs_the_ledger_holds_exactly_the_last_run(runs):
    """Nothing paid twice, nothing lost: per key, published movements sum to the last run's amount, and the
    lines published over all publications sum to the last run's total."""
    tous_mvts, toutes_lignes = [], []
    for i, r in enumerate(runs):
        run = lignes(*[(ps, d, "ECHEANCE", e, m) for (ps, d, e), m in r.items()])
        cumuls = cumuls_de(pl.concat(tous_mvts)) if tous_mvts else VIDE
        pub, mvts = a_publier(run, cumuls, date(2027, 1 + i, 1))
        assert pub["id_ligne"].is_unique().all()
        tous_mvts.append(mvts)
        toutes_lignes.append(pub)
    dernier = lignes(*[(ps, d, "ECHEANCE", e, m) for (ps, d, e), m in runs[-1].items()])
    cumuls = cumuls_de(pl.concat(tous_mvts)).filter(pl.col("cumul_centimes") != 0)
    assert dict(cumuls.select("cle_id", "cumul_centimes").iter_rows()) == dict(
        dernier.select("id_ligne", "montant_centimes").iter_rows()
    )
    assert pl.concat(toutes_lignes)["montant_centimes"].sum() == dernier["montant_centimes"].sum()
    assert pl.concat(tous_mvts)["montant_centimes"].sum() == dernier["montant_centimes"].sum()
