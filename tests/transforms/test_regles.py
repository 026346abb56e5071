"""The one runner of the rule cases (tests/rules/*.yaml, format in tests/cas.py), written from the texts: one
case per sentence, every boundary. Each case goes through the registry and ``transforms.calcul.calculer``, as
a run does."""

from __future__ import annotations

import json

import polars as pl
import pytest
import yaml
from cas import appliquer, attendu, ecrire_overlay, entrees_du_cas, fichiers, lire, valeur

from flows.parametres_io import charger_parametres
from transforms.registre import noms, regles_nommees

FICHIERS = {f.stem: lire(f) for f in fichiers()}
CAS = [
    pytest.param(nom, c, id=f"{nom}: {c['nom']}") for nom, contenu in FICHIERS.items() for c in contenu["cas"]
]


@pytest.fixture(scope="module")
def parametres(tmp_path_factory):
    """The parameters of a case: the base ones, with the file's and the case's values as a user's overlay."""
    charges: dict[str, object] = {}

    def jeu(fichier: dict, cas: dict):
        valeurs = (fichier.get("parametres") or {}) | (cas.get("parametres") or {})
        cle = yaml.safe_dump(valeurs, sort_keys=True)
        if cle not in charges:
            if not valeurs:
                charges[cle] = charger_parametres()
            else:
                dossier = ecrire_overlay(tmp_path_factory.mktemp("overlay"), fichier["regle"], valeurs)
                charges[cle] = charger_parametres(overlay=dossier)
        return charges[cle]

    return jeu


@pytest.mark.parametrize("fichier_nom, cas", CAS)
def test_rule_case(fichier_nom, cas, parametres):
    fichier = FICHIERS[fichier_nom]
    nom, annee = fichier["regle"], cas.get("annee", fichier.get("annee"))
    regle = regles_nommees(nom)[0]
    r = appliquer(nom, entrees_du_cas(fichier, cas), parametres(fichier, cas), annee)
    j = r.justificatifs.filter(pl.col("reference_contrat").is_null())
    if "justificatif" in cas:
        if cas["justificatif"] is None:
            assert j.is_empty() and r.paiements.is_empty()
        else:
            assert j.height == 1, j
            ligne = j.row(0, named=True)
            assert (ligne["dispositif"], ligne["beneficiaire_type"]) == (
                regle.dispositif,
                regle.beneficiaire_type,
            )
            for cle, v in cas["justificatif"].items():
                assert valeur(ligne, cle) == attendu(v), f"{cle}: {valeur(ligne, cle)!r} != {v!r}"
    contrats = r.justificatifs.filter(pl.col("reference_contrat").is_not_null())
    if "contrat" in cas:
        assert contrats.height == 1, contrats
        ligne = contrats.row(0, named=True)
        for cle, v in cas["contrat"].items():
            assert valeur(ligne, cle) == attendu(v), f"contract {cle}: {valeur(ligne, cle)!r} != {v!r}"
    if "paiements" in cas:
        assert (r.paiements["annee_reference"] == annee).all()
        assert (r.paiements["annee_versement"] == annee + 1).all()
        assert (r.paiements["dispositif"] == regle.dispositif).all()
        obtenu = sorted(
            (x["nature_versement"], x["echeance"], x["montant_centimes"])
            for x in r.paiements.iter_rows(named=True)
        )
        prevu = sorted((x[0], x[-2], x[-1]) for x in cas["paiements"])
        assert obtenu == prevu
        for x in (x for x in cas["paiements"] if len(x) == 4):  # a contract's line: its contract year
            detail = json.loads(contrats.row(0, named=True)["detail"])
            annees = {
                (e["nature_versement"], e["echeance"]): e["annee_contrat"]
                for e in detail["echeances_n_plus_1"]
            }
            assert annees[(x[0], x[2].isoformat())] == x[1], (
                f"{x}: contract year {annees[(x[0], x[2].isoformat())]}"
            )
    if "controles" in cas:
        (controles,) = r.controles.values()
        motifs = controles["motifs"].to_list()
        assert (motifs[0] if motifs else []) == cas["controles"]


def test_every_dispositif_of_the_registry_has_cases():
    assert {f["regle"] for f in FICHIERS.values()} == set(noms())


def test_every_case_checks_something():
    for nom, contenu in FICHIERS.items():
        for c in contenu["cas"]:
            assert {"justificatif", "contrat", "paiements", "controles"} & set(c), f"{nom}: {c['nom']}"
