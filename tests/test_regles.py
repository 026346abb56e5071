"""Runner of the YAML rule cases (tests/rules/*.yaml), written from the texts: one case per sentence.

Each case gives the year, the doctor's values that differ from a default doctor (medecin_defaut.yaml: an
in-scope GP with no activity), and the expected outcome. The runner applies the rule to that one-row
``activite_medecins``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml

from flows.parametres_io import charger_parametres
from transforms.forfaits_annuels import REGLES as REGISTRE
from transforms.paiements import justificatifs

REGLES = dict(REGISTRE)
DOSSIER = Path(__file__).parent / "rules"
P = charger_parametres()

MEDECIN = yaml.safe_load((DOSSIER / "medecin_defaut.yaml").read_text(encoding="utf-8"))
TYPES = {"zone": pl.String}


def _cas():
    for f in sorted(DOSSIER.glob("forfait_*.yaml")):
        contenu = yaml.safe_load(f.read_text(encoding="utf-8"))
        for c in contenu["cas"]:
            yield pytest.param(
                contenu["regle"], contenu.get("defaut", {}), c, id=f"{contenu['regle']}: {c['nom']}"
            )


@pytest.mark.parametrize("regle, defaut, cas", list(_cas()))
def test_rule_case(regle, defaut, cas):
    medecin = MEDECIN | defaut | cas.get("medecin", {})
    activite = pl.DataFrame([medecin], schema_overrides=TYPES)
    r = REGLES[regle](activite, P, cas["annee"])
    assert r.height == 1
    j = justificatifs(r).row(0, named=True)
    for cle, attendu in cas["attendu"].items():
        assert j[cle] == attendu, f"{cle}: {j[cle]!r} != {attendu!r}"


def test_every_rule_has_cases():
    assert {yaml.safe_load(f.read_text())["regle"] for f in DOSSIER.glob("forfait_*.yaml")} == set(REGLES)
