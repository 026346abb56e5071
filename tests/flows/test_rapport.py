"""The sign-off report of a demo run and of a publication, in a real headless browser (Debian's chromium):
it loads offline without an error, holds every chart, and its totals are the payment file's."""

from __future__ import annotations

import json
import time
from pathlib import Path

import polars as pl
import pytest
from navigateur import page_hors_ligne
from operateur import forfaits

from transforms.rapport import euros, jour

GRAPHIQUES_2025 = {  # the year 2025 of the demo has every forfait but the SAS (2026) and the DIPA (2020)
    "montants-forfait_ame",
    "montants-forfait_ipa",
    "montants-forfait_msu",
    "montants-aide_assistant_medical",
    "montants-forfait_medecin_traitant",
    "montants-financement_cpts",
    "patientele-mt-reference",
    "part-ame",
    "orientations-ipa",
    "forfait-medecin-traitant",
}


def _dernier(d: Path, annee: int) -> Path:
    return sorted(x for x in d.glob(f"{annee}-*") if (x / "manifest.json").exists())[-1]


def _lignes(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#totaux tr[data-dispositif]",
        "rs => rs.map(r => ({dispositif: r.dataset.dispositif, nature: r.dataset.nature, "
        "net: Number(r.dataset.net), lignes: Number(r.dataset.lignes)}))",
    )


def _attendu(paiements: pl.DataFrame) -> list[dict]:
    t = paiements.group_by("dispositif", "nature_versement").agg(
        pl.col("montant_centimes").sum().alias("net"), pl.len().alias("lignes")
    )
    return sorted(
        ({"dispositif": x[0], "nature": x[1], "net": x[2], "lignes": x[3]} for x in t.iter_rows()),
        key=lambda x: (x["dispositif"], x["nature"]),
    )


def test_a_runs_report_loads_offline_with_every_chart_and_the_payment_files_totals(demo):
    run = _dernier(demo / "data" / "demo" / "runs", 2025)
    paiements = pl.read_parquet(run / "paiements.parquet")
    with page_hors_ligne() as (page, refusees, erreurs):
        page.goto((run / "rapport.html").as_uri())
        assert refusees == [] and erreurs == []
        graphiques = set(
            page.eval_on_selector_all(
                "[data-graphique] svg", "s => s.map(x => x.closest('[data-graphique]').dataset.graphique)"
            )
        )
        assert graphiques == GRAPHIQUES_2025
        assert sorted(_lignes(page), key=lambda x: (x["dispositif"], x["nature"])) == _attendu(paiements)
        total = int(page.get_attribute("[data-total-centimes]", "data-total-centimes"))
        assert total == paiements["montant_centimes"].sum()
        texte = page.inner_text("body")
    # French figures (thousands grouped, a decimal comma), the recoveries apart (the assistant aid's soldes)
    assert euros(paiements["montant_centimes"].sum()) in texte
    recouvre = -paiements.filter(pl.col("montant_centimes") < 0)["montant_centimes"].sum()
    assert recouvre > 0 and euros(recouvre) in texte
    m = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert jour(m["cree_le"][:10]) in texte
    assert "overlay/financement_cpts.yaml" in texte and "Illustrative values used" in texte


def test_a_publications_report_shows_its_new_keys_and_regularisations_against_the_ledger(demo):
    pub = _dernier(demo / "data" / "demo" / "publications", 2025)
    m = json.loads((pub / "manifest.json").read_text(encoding="utf-8"))
    lignes = pl.read_parquet(pub / "paiements.parquet")
    with page_hors_ligne() as (page, refusees, erreurs):
        page.goto((pub / "rapport.html").as_uri())
        assert refusees == [] and erreurs == []
        assert sorted(_lignes(page), key=lambda x: (x["dispositif"], x["nature"])) == _attendu(lignes)
        texte = page.inner_text("body")
    assert m["publication_id"] in texte and "Against the ledger" in texte
    assert m["cumuls_par_dispositif"] and all(c["dispositif"] in texte for c in m["cumuls_par_dispositif"])


def test_report_builds_the_same_file_again(demo):
    run = _dernier(demo / "data" / "demo" / "runs", 2025)
    avant = (run / "rapport.html").read_bytes()
    t = time.perf_counter()
    r = forfaits("report", "--run", run, cwd=demo)
    assert r.returncode == 0, r.stderr
    assert time.perf_counter() - t < 30
    assert (run / "rapport.html").read_bytes() == avant
    r = forfaits("report", "--run", demo / "data", cwd=demo)
    assert r.returncode == 3 and "not a run or publication folder" in r.stderr


@pytest.mark.parametrize(
    "valeur, texte",
    [
        (123456789, "1\u202f234\u202f567,89\u00a0€"),
        (-5, "−0,05\u00a0€"),
        (0, "0,00\u00a0€"),
        (100, "1,00\u00a0€"),
    ],
)
def test_euros_are_written_for_french_readers(valeur, texte):
    assert euros(valeur) == texte
