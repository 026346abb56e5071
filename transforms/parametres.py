"""Dated parameters: every legal figure, keyed by the date it takes effect, with its source.

Pure logic only: the YAML files are read by ``flows.parametres_io``. A value is looked up at a date; asking
before the first date of a parameter is an error (never a silent zero), as is asking for a parameter that no
file defines (for instance a value the user must supply through an overlay).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date
from typing import Any


class ParametreError(LookupError):
    """A parameter is missing, or has no value at the date asked."""


@dataclass(frozen=True)
class ValeurDatee:
    debut: date
    valeur: Any
    source: str


@dataclass(frozen=True)
class Parametre:
    dispositif: str
    nom: str
    description: str
    valeurs: tuple[ValeurDatee, ...]
    unite: str | None = None
    origine: str = ""

    def __post_init__(self) -> None:
        if not self.valeurs:
            raise ParametreError(f"{self.dispositif}.{self.nom}: no dated value ({self.origine})")
        debuts = [v.debut for v in self.valeurs]
        if debuts != sorted(debuts) or len(set(debuts)) != len(debuts):
            raise ParametreError(f"{self.dispositif}.{self.nom}: dates must be increasing and distinct")

    def en_vigueur(self, d: date) -> ValeurDatee:
        """The dated value in force at ``d`` (the last one starting on or before ``d``)."""
        i = bisect.bisect_right([v.debut for v in self.valeurs], d)
        if i == 0:
            raise ParametreError(
                f"{self.dispositif}.{self.nom} has no value before {self.valeurs[0].debut.isoformat()} "
                f"(asked at {d.isoformat()}); add a dated value to {self.origine or 'its parameter file'}"
            )
        return self.valeurs[i - 1]

    def a(self, d: date) -> Any:
        return self.en_vigueur(d).valeur


@dataclass(frozen=True)
class JeuParametres:
    """All parameters by dispositif (file stem) and name, plus where each file came from."""

    parametres: dict[str, dict[str, Parametre]]
    fichiers: dict[str, str] = field(default_factory=dict)  # relative file name -> sha256
    empreinte: str = ""  # hash of the whole merged set
    avertissements: dict[str, str] = field(default_factory=dict)  # file -> its top-level 'avertissement'

    def parametre(self, dispositif: str, nom: str) -> Parametre:
        try:
            return self.parametres[dispositif][nom]
        except KeyError:
            if dispositif not in self.parametres:
                raise ParametreError(
                    f"no parameter file for '{dispositif}' "
                    f"(expected {dispositif}.yaml in the parameter folder "
                    "or an overlay)"
                ) from None
            raise ParametreError(
                f"parameter '{nom}' is missing from {dispositif}.yaml: supply it in a parameter overlay "
                f"(file {dispositif}.yaml, key parametres.{nom})"
            ) from None

    def a(self, dispositif: str, nom: str, d: date) -> Any:
        return self.parametre(dispositif, nom).a(d)

    def source(self, dispositif: str, nom: str, d: date) -> str:
        return self.parametre(dispositif, nom).en_vigueur(d).source


def parametres_depuis_dict(dispositif: str, contenu: dict, origine: str) -> dict[str, Parametre]:
    """Build the parameters of one file from its parsed YAML mapping; every value must carry a source."""
    if not isinstance(contenu, dict) or not isinstance(contenu.get("parametres"), dict):
        raise ParametreError(f"{origine}: expected a mapping with a 'parametres' key")
    out: dict[str, Parametre] = {}
    for nom, spec in contenu["parametres"].items():
        if not isinstance(spec, dict) or not isinstance(spec.get("valeurs"), dict):
            raise ParametreError(f"{origine}: parameter '{nom}' needs a 'valeurs' mapping keyed by dates")
        valeurs = []
        for debut, v in spec["valeurs"].items():
            if not isinstance(debut, date):
                raise ParametreError(f"{origine}: {nom}: key {debut!r} is not a date (YYYY-MM-DD)")
            if not isinstance(v, dict) or "valeur" not in v:
                raise ParametreError(f"{origine}: {nom} at {debut}: expected {{valeur: ..., source: ...}}")
            source = v.get("source")
            if not isinstance(source, str) or not source.strip():
                raise ParametreError(f"{origine}: {nom} at {debut}: every value needs a non-empty source")
            valeurs.append(ValeurDatee(debut=debut, valeur=v["valeur"], source=source))
        valeurs.sort(key=lambda x: x.debut)
        out[nom] = Parametre(
            dispositif=dispositif,
            nom=nom,
            description=str(spec.get("description", "")),
            valeurs=tuple(valeurs),
            unite=spec.get("unite"),
            origine=origine,
        )
    return out
