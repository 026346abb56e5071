"""Dated parameters: every legal figure, keyed by the date it takes effect, with its sources.

Pure logic only: the YAML files are read by ``flows.parametres_io``. A value is looked up at a date; asking
before the first date of a parameter is an error (never a silent zero), as is asking for a parameter that no
file defines (for instance a value the user must supply through an overlay). Each dated value carries its
``source`` (the seed text or rules.md passage it was read from) and, where one is public, the legal
``references`` it comes from (title, article, date, JORF or ameli page).
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any


class ParametreError(LookupError):
    """A parameter is missing, or has no value at the date asked."""


@dataclass(frozen=True)
class Reference:
    """A public legal text a value comes from (data/textes.yaml), and the article when known."""

    texte: str  # its key in data/textes.yaml
    titre: str
    date: date | None = None
    publication: str | None = None  # the arrêté and JORF of its publication
    lien: str | None = None
    article: str | None = None


@dataclass(frozen=True)
class ValeurDatee:
    debut: date
    valeur: Any
    source: str
    references: tuple[Reference, ...] = ()


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

    def valeur_datee(self, d: date) -> ValeurDatee:
        """The dated value that applies at ``d`` (the last one starting on or before ``d``)."""
        i = bisect.bisect_right([v.debut for v in self.valeurs], d)
        if i == 0:
            raise ParametreError(
                f"{self.dispositif}.{self.nom} has no value before {self.valeurs[0].debut.isoformat()} "
                f"(asked at {d.isoformat()}); add a dated value to {self.origine or 'its parameter file'}"
            )
        return self.valeurs[i - 1]

    def a(self, d: date) -> Any:
        return self.valeur_datee(d).valeur

    def existe_au(self, d: date) -> bool:
        """Whether the parameter has a value at ``d``: on or after its first date, and not ended by a null
        value (how a parameter file says that a dispositif stops, e.g. the DIPA after 2020)."""
        return self.valeurs[0].debut <= d and self.a(d) is not None


@dataclass(frozen=True)
class JeuParametres:
    """All parameters by dispositif (file stem) and name, plus where each file came from."""

    parametres: dict[str, dict[str, Parametre]]
    fichiers: dict[str, str] = field(default_factory=dict)  # relative file name -> sha256
    empreinte: str = ""  # hash of the whole merged set
    avertissements: dict[str, str] = field(default_factory=dict)  # file -> its top-level 'avertissement'
    _suivis: list[set] = field(default_factory=list, compare=False, repr=False)

    @contextlib.contextmanager
    def suivi(self) -> Iterator[set[tuple[str, str]]]:
        """Collect the (dispositif, parameter) read while the block runs (every thread alike)."""
        lus: set[tuple[str, str]] = set()
        self._suivis.append(lus)
        try:
            yield lus
        finally:
            self._suivis.remove(lus)

    def avertissements_de(self, lus: set[tuple[str, str]]) -> dict[str, str]:
        """The warnings of the files whose values were read (``lus``, from ``suivi``)."""
        origines = {self.parametres[d][n].origine for d, n in lus if n in self.parametres.get(d, {})}
        return {f: texte for f, texte in self.avertissements.items() if f in origines}

    def parametre(self, dispositif: str, nom: str) -> Parametre:
        for lus in self._suivis:
            lus.add((dispositif, nom))
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
        return self.parametre(dispositif, nom).valeur_datee(d).source


def parametres_depuis_dict(
    dispositif: str, contenu: dict, origine: str, textes: dict | None = None
) -> dict[str, Parametre]:
    """Build the parameters of one file from its parsed YAML mapping; every value must carry a source, and
    its legal ``references`` name texts of ``textes`` (data/textes.yaml) by key."""
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
            ou = f"{origine}: {nom} at {debut}"
            references = tuple(_reference(r, textes or {}, ou) for r in v.get("references") or [])
            valeurs.append(ValeurDatee(debut=debut, valeur=v["valeur"], source=source, references=references))
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


def _reference(r: Any, textes: dict, ou: str) -> Reference:
    """``key`` or ``{texte: key, article: ...}``, the key naming a text of data/textes.yaml."""
    cle, article = (r, None) if isinstance(r, str) else (r.get("texte"), r.get("article"))
    if not isinstance(r, (str, dict)) or (isinstance(r, dict) and set(r) - {"texte", "article"}):
        raise ParametreError(f"{ou}: a reference is a text's key or {{texte: key, article: ...}}, got {r!r}")
    if cle not in textes:
        raise ParametreError(
            f"{ou}: reference '{cle}' is not a text of data/textes.yaml ({', '.join(textes)})"
        )
    t = textes[cle]
    return Reference(cle, t["titre"], t.get("date"), t.get("publication"), t.get("lien"), article)
