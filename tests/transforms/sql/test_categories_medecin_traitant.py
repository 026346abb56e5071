"""categories_medecin_traitant against a direct classification of every (doctor, patient) pair (hypothesis).

The model counts a doctor's "not seen" as his patientèle less his seen pairs; here each pair of the patientèle
is classified on its own, as rules.md §7 states it (not seen in N−1 nor in N first, from the grid that has it;
then ALD and age at 31/12/N; C2S counted beside), and the counts must be the model's, row for row: no row for
a category a doctor has no patient in ("not seen" included).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import duckdb
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.parametres_io import charger_parametres
from transforms.modeles import catalogue, variables

P = charger_parametres()
MEDECINS = ["01100001", "13100002", "75100003"]
PATIENTS = range(12)


def _classer(v: dict, age: int, ald: bool, vu: bool) -> str:
    if v["fmt_non_vu"] and not vu:
        return "non_vu"
    if ald:
        return "ald_80_plus" if age >= v["age_grand"] else "ald_moins_80"
    if age < v["age_enfant"]:
        return "age_moins_7"
    if age >= v["age_grand"]:
        return "age_80_plus_sans_ald"
    if age >= v["age_senior"]:
        return "age_75_79_sans_ald"
    return "age_7_74_sans_ald"


paires = st.lists(st.tuples(st.sampled_from(MEDECINS), st.sampled_from(PATIENTS)), unique=True, max_size=25)


@settings(max_examples=60, deadline=None)
@given(
    annee=st.sampled_from([2024, 2025]),  # paid in 2025 (no "not seen") and in 2026 (the grid that has it)
    mt=paires,
    vus_n=paires,
    vus_prec=paires,
    ages=st.dictionaries(st.sampled_from(PATIENTS), st.integers(0, 100)),
    ald=st.sets(st.sampled_from(PATIENTS)),
    c2s=st.sets(st.sampled_from(PATIENTS)),
)
def test_categories_count_each_pair_of_the_patientele_once(annee, mt, vus_n, vus_prec, ages, ald, c2s):
    v = variables(P, annee)
    fin = date(annee, 12, 31)
    con = duckdb.connect()
    for nom, x in v.items():
        con.execute("SET VARIABLE " + nom + " = ?", [x])
    age = {p: ages.get(p, 40) for p in PATIENTS}
    tables = {
        "int_patients_mt": pl.DataFrame(
            [(ps, p, annee - age[p]) for ps, p in mt],
            schema={"ps": pl.String, "patient": pl.UInt64, "annee_naissance": pl.Int64},
            orient="row",
        ),
        "int_patients_vus": pl.DataFrame(vus_n, schema={"ps": pl.String, "patient": pl.UInt64}, orient="row"),
        "int_patients_vus_prec": pl.DataFrame(
            vus_prec, schema={"ps": pl.String, "patient": pl.UInt64}, orient="row"
        ),
        "stg_ir_imb_r": pl.DataFrame(
            {"patient": sorted(ald), "debut": [date(2020, 1, 1)] * len(ald), "fin": [fin] * len(ald)},
            schema={"patient": pl.UInt64, "debut": pl.Date, "fin": pl.Date},
        ),
        "stg_ir_orc_r": pl.DataFrame(
            {
                "patient": sorted(c2s),
                "type_contrat": [v["cta_c2s"][0]] * len(c2s),
                "debut": [date(annee, 1, 1)] * len(c2s),
                "fin": [None] * len(c2s),
            },
            schema={"patient": pl.UInt64, "type_contrat": pl.Int64, "debut": pl.Date, "fin": pl.Date},
        ),
    }
    for nom, df in tables.items():
        con.register(nom, df)
    obtenu = {
        (r["ps"], r["categorie"]): (r["nb_patients"], r["nb_patients_c2s"])
        for r in con.sql(catalogue()["categories_medecin_traitant"].texte).pl().iter_rows(named=True)
    }
    vus = set(vus_n) | set(vus_prec)
    tous, avec_c2s = Counter(), Counter()
    for ps, p in mt:
        cle = (ps, _classer(v, age[p], p in ald, (ps, p) in vus))
        tous[cle] += 1
        avec_c2s[cle] += p in c2s
    assert obtenu == {k: (n, avec_c2s[k]) for k, n in tous.items()}
