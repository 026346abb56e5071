"""Every parameter file loads, every value has a source, lookups at and around each effective date."""

from datetime import date, timedelta

import pytest

from flows.parametres_io import DOSSIER_PARAMETRES, charger_parametres
from transforms.parametres import ParametreError
from transforms.registre import en_vigueur


@pytest.fixture(scope="module")
def jeu():
    return charger_parametres()


def test_every_file_loads_and_every_value_has_a_source(jeu):
    noms = {p.stem for p in DOSSIER_PARAMETRES.glob("*.yaml")}
    assert noms == set(jeu.parametres)
    for params in jeu.parametres.values():
        for p in params.values():
            assert p.valeurs, p.nom
            for v in p.valeurs:
                assert v.source.strip(), (p.dispositif, p.nom, v.debut)


def test_lookup_at_and_around_each_effective_date(jeu):
    for params in jeu.parametres.values():
        for p in params.values():
            for i, v in enumerate(p.valeurs):
                assert p.a(v.debut) == v.valeur
                if i > 0:
                    assert p.a(v.debut - timedelta(days=1)) == p.valeurs[i - 1].valeur
                else:
                    with pytest.raises(ParametreError, match="has no value before"):
                        p.a(v.debut - timedelta(days=1))
            assert p.a(date(2100, 1, 1)) == p.valeurs[-1].valeur


def test_figures_of_the_spec(jeu):
    assert jeu.a("forfait_ame", "montant_centimes", date(2025, 1, 1)) == 50000
    # the dates of effect: a dispositif exists from the first date of its parameters (transforms/registre.py)
    assert not en_vigueur("forfait_ame", jeu, 2024) and en_vigueur("forfait_ame", jeu, 2025)
    assert not jeu.parametre("forfait_ame", "montant_centimes").existe_au(date(2024, 12, 31))
    assert jeu.parametre("forfait_ame", "montant_centimes").existe_au(date(2025, 1, 1))
    assert not en_vigueur("forfait_sas", jeu, 2025) and en_vigueur("forfait_sas", jeu, 2026)
    assert not jeu.parametre("forfait_sas", "montant_centimes").existe_au(date(2025, 12, 31))
    assert jeu.parametre("forfait_sas", "montant_centimes").existe_au(date(2026, 1, 1))
    assert jeu.a("forfait_msu", "montant_zip_centimes", date(2025, 12, 31)) == 35000
    assert jeu.a("forfait_msu", "montant_zip_centimes", date(2026, 1, 1)) == 80000
    assert jeu.a("forfait_msu", "montant_hors_zip_centimes", date(2026, 1, 1)) == 50000
    ccam = "specialites_test_ccam"
    assert 11 not in jeu.a("aide_assistant_medical", ccam, date(2024, 6, 21))
    assert {7, 11, 77, 79} <= set(jeu.a("aide_assistant_medical", ccam, date(2024, 6, 22)))
    m = "montants_centimes"
    assert (
        jeu.a("aide_assistant_medical", m, date(2024, 6, 21))["P90"]["annee_3_et_plus"]["MI_TEMPS"] == 1250000
    )
    assert (
        jeu.a("aide_assistant_medical", m, date(2024, 6, 22))["P90"]["annee_3_et_plus"]["MI_TEMPS"] == 1300000
    )
    assert jeu.a("aide_assistant_medical", "seuils_publies", date(2023, 1, 1)) == {
        "P30": 775,
        "P90": 1503,
        "P95": 1721,
    }
    assert jeu.a("forfait_medecin_traitant", "grille_centimes", date(2025, 1, 1))["ald_80_plus"] == 7000
    assert jeu.a("forfait_medecin_traitant", "grille_centimes", date(2026, 1, 1))["ald_80_plus"] == 10000
    assert jeu.a("financement_cpts", "fonctionnement_centimes", date(2022, 3, 30))[4] == 9000000
    assert jeu.a("financement_cpts", "fonctionnement_centimes", date(2022, 3, 31))[4] == 15750000
    assert jeu.a("controles", "seuil_quarantaine", date(2025, 1, 1)) == 0.001


def test_amounts_are_integer_cents(jeu):
    def entiers(x):
        if isinstance(x, dict):
            return all(entiers(v) for v in x.values())
        if isinstance(x, list):
            return all(entiers(v) for v in x)
        return x is None or (isinstance(x, int) and not isinstance(x, bool))

    for params in jeu.parametres.values():
        for p in params.values():
            if p.unite == "centimes":
                for v in p.valeurs:
                    assert entiers(v.valeur), (p.dispositif, p.nom, v.debut)


def test_missing_parameter_is_a_clear_error(jeu):
    with pytest.raises(ParametreError, match="supply it in a parameter overlay"):
        jeu.a("financement_cpts", "missions_centimes", date(2023, 1, 1))
    with pytest.raises(ParametreError, match="no parameter file for 'inconnu'"):
        jeu.a("inconnu", "x", date(2023, 1, 1))


def test_overlay_replaces_parameter_by_parameter(tmp_path):
    (tmp_path / "forfait_ame.yaml").write_text(
        "parametres:\n  montant_centimes:\n    valeurs:\n"
        "      2025-01-01: {valeur: 70000, source: 'reform test'}\n",
        encoding="utf-8",
    )
    base = charger_parametres()
    reforme = charger_parametres(overlay=tmp_path)
    assert reforme.a("forfait_ame", "montant_centimes", date(2025, 6, 1)) == 70000
    # what the overlay does not name is kept
    assert reforme.a("forfait_ame", "seuil_part_actes_ame", date(2025, 6, 1)) == 0.02
    assert reforme.a("forfait_sas", "montant_centimes", date(2026, 6, 1)) == 100000
    assert reforme.empreinte != base.empreinte
    assert "overlay/forfait_ame.yaml" in reforme.fichiers


@pytest.mark.parametrize(
    "texte, message",
    [
        (
            "parametres:\n  montant_centimes:\n    valeurs:\n      2025-01-01: {valeur: 1}\n",
            "non-empty source",
        ),
        (
            "parametres:\n  montant_centimes:\n    valeurs:\n      hier: {valeur: 1, source: s}\n",
            "not a date",
        ),
        ("autre: 1\n", "'parametres' key"),
    ],
)
def test_malformed_files_are_refused(tmp_path, texte, message):
    (tmp_path / "forfait_ame.yaml").write_text(texte, encoding="utf-8")
    with pytest.raises(ParametreError, match=message):
        charger_parametres(overlay=tmp_path)


def test_overlays_stack_in_order_the_last_one_wins(tmp_path):
    for nom, montant in (("a", 111), ("b", 222)):
        (tmp_path / nom).mkdir()
        (tmp_path / nom / "forfait_ame.yaml").write_text(
            "avertissement: test values\nparametres:\n  montant_centimes:\n    valeurs:\n"
            f"      2025-01-01: {{valeur: {montant}, source: test}}\n",
            encoding="utf-8",
        )
    p = charger_parametres(overlay=[tmp_path / "a", tmp_path / "b"])
    assert p.a("forfait_ame", "montant_centimes", date(2025, 1, 1)) == 222
    assert {"overlay/forfait_ame.yaml", "overlay2/forfait_ame.yaml"} <= set(p.fichiers)
    assert p.avertissements == {
        "overlay/forfait_ame.yaml": "test values",
        "overlay2/forfait_ame.yaml": "test values",
    }


def test_the_illustrative_overlay_loads_and_says_it_is_illustrative():
    from flows.parametres_io import OVERLAY_ILLUSTRATIF

    p = charger_parametres(overlay=OVERLAY_ILLUSTRATIF)
    assert len(p.avertissements) == len(list(OVERLAY_ILLUSTRATIF.glob("*.yaml"))) == 2
    assert p.a("financement_cpts", "missions_centimes", date(2021, 1, 1))["ACCES_SOINS"][1]["fixe"] > 0
    taux = p.a("aide_perte_activite_covid", "taux_charges_fixes", date(2020, 12, 31))
    assert {
        "pfs_cat_cod": 1,
        "specialite": 15,
        "secteur": None,
        "taux": 0.458,
    } in taux  # the official one kept


def _surcharge(tmp_path, fichier: str, parametre: str, valeur: str, debut: str = "2025-01-01"):
    (tmp_path / fichier).write_text(
        f"parametres:\n  {parametre}:\n    valeurs:\n      {debut}: {{valeur: {valeur}, source: t}}\n",
        encoding="utf-8",
    )
    return lambda: charger_parametres(overlay=tmp_path)


@pytest.mark.parametrize(
    "fichier, parametre, valeur, message",
    [  # each bad overlay a hostile tester tried (issue "Never pay twice … no absurd value accepted")
        (
            "forfait_ame.yaml",
            "montant_centime",
            "70000",
            "no parameter 'montant_centime' in forfait_ame (did you mean 'montant_centimes'?)",
        ),
        (
            "forfait_amee.yaml",
            "montant_centimes",
            "70000",
            "no dispositif 'forfait_amee' (did you mean 'forfait_ame'?)",
        ),
        ("forfait_ame.yaml", "montant_centimes", "500.5", "500.5 is not an integer (cents are integers)"),
        ("forfait_sas.yaml", "montant_centimes", "-100", "-100 is below zero"),
        (
            "forfait_ame.yaml",
            "seuil_part_actes_ame",
            "abc",
            "expected a number, got 'abc' (a rate is a fraction",
        ),
        ("forfait_ame.yaml", "seuil_part_actes_ame", "2", "2 is not a rate in [0, 1]"),
        ("forfait_ame.yaml", "montant_centimes", "'70000'", "expected a number, got '70000'"),
        (
            "forfait_medecin_traitant.yaml",
            "grille_centimes",
            "{age_moins_7: 1, ald_moins_8O: 2}",
            "unknown key 'ald_moins_8O' (did you mean 'ald_moins_80'?)",
        ),
        ("forfait_medecin_traitant.yaml", "grille_centimes", "{age_moins_7: 1}", "missing key(s)"),
        (
            "financement_cpts.yaml",
            "missions_centimes",
            "{CRISE: {1: {fixe: 1.5, variable: 0}}}",
            "CRISE.1.fixe: 1.5 is not an amount in cents",
        ),
    ],
)
def test_a_bad_overlay_is_refused_in_one_message(tmp_path, fichier, parametre, valeur, message):
    charger = _surcharge(tmp_path, fichier, parametre, valeur)
    with pytest.raises(ParametreError) as e:
        charger()
    assert message in str(e.value)
    assert "nothing was run" in str(e.value) and "Traceback" not in str(e.value)


def test_every_fault_of_an_overlay_is_told_at_once(tmp_path):
    _surcharge(tmp_path, "forfait_ame.yaml", "montant_centime", "1")
    charger = _surcharge(tmp_path, "forfait_sas.yaml", "montant_centimes", "-1")
    (tmp_path / "forfait_msu.yml").write_text("parametres: {}\n", encoding="utf-8")
    with pytest.raises(ParametreError) as e:
        charger()
    assert "3 fault(s)" in str(e.value)
    assert "forfait_msu.yml: parameter files end in .yaml" in str(e.value)


def test_a_percentage_said_as_such_is_a_fraction(tmp_path):
    p = _surcharge(tmp_path, "forfait_ame.yaml", "seuil_part_actes_ame", "'2,5 %'")()
    assert p.a("forfait_ame", "seuil_part_actes_ame", date(2025, 6, 1)) == pytest.approx(0.025)


def test_values_the_user_supplies_and_reform_envelopes_are_known(tmp_path):
    _surcharge(tmp_path, "financement_cpts.yaml", "missions_centimes", "{CRISE: {1: {fixe: 1, variable: 0}}}")
    p = _surcharge(tmp_path, "forfait_sas.yaml", "enveloppe_reforme_centimes", "1000")()
    assert p.a("forfait_sas", "enveloppe_reforme_centimes", date(2025, 6, 1)) == 1000


def test_a_yaml_bomb_is_refused_before_it_expands(tmp_path):
    bombe = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    (tmp_path / "forfait_ame.yaml").write_text("parametres: {}\n" + bombe, encoding="utf-8")
    with pytest.raises(ParametreError, match="YAML aliases"):
        charger_parametres(overlay=tmp_path)
