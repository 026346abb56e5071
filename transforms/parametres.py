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
import difflib
import re
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
    signe: bool = False  # whether a value may be below zero (an overlay is checked against it)
    forme: str | None = None  # "libre": an overlay's value is not checked against the base's shape

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
    a_fournir: dict[str, tuple[str, ...]] = field(default_factory=dict)  # dispositif -> values users supply
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

    def manquants(self, dispositif: str, d: date) -> list[str]:
        """The values users must supply for ``dispositif`` (its file's ``a_fournir``) that have none at d."""
        ps = self.parametres.get(dispositif, {})
        return [n for n in self.a_fournir.get(dispositif, ()) if n not in ps or ps[n].valeurs[0].debut > d]

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
            signe=bool(spec.get("signe", False)),
            forme=spec.get("forme"),
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


# names a reform may give any dispositif without its base file having them (transforms/simulation.py)
PARAMETRES_DE_REFORME = ("enveloppe_reforme_centimes", "enveloppe_reforme_par_medecin_centimes")
_POURCENT = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*%\s*$")


def _proche(nom: str, connus) -> str:
    """' (did you mean X?)' for the nearest known name, or ''."""
    p = difflib.get_close_matches(str(nom), [str(c) for c in connus], n=1, cutoff=0.6)
    return f" (did you mean '{p[0]}'?)" if p else ""


def verifier_surcharge(
    base: dict[str, dict[str, Parametre]], a_fournir: dict[str, set[str]], fichier: str, contenu: Any
) -> tuple[Any, list[str]]:
    """Check one overlay file's parsed YAML against the base parameters; return it with its percentages
    said as such ("2 %") turned into fractions, and its faults (empty when it is sound).

    The file must be a dispositif of the base; each parameter one of that file's, of ``a_fournir`` (values
    the user supplies) or a reform's; each value shaped as the base's values: the same keys (an unknown one
    is named with the nearest valid one), integers where the base has integers (cents are never
    fractional), numbers where it has numbers, rates (base values strictly between 0 and 1, or named
    ``taux``/``part``/``seuil``) within [0, 1], and no number below zero unless the parameter says
    ``signe: true``. A parameter the base marks ``forme: libre`` (its own check runs where it is read) only
    needs a value per date."""
    stem = fichier.rsplit("/", 1)[-1].removesuffix(".yaml")
    if stem not in base:
        return contenu, [f"{fichier}: no dispositif '{stem}'{_proche(stem, base)}"]
    if not isinstance(contenu, dict) or not isinstance(contenu.get("parametres"), dict):
        return contenu, [f"{fichier}: expected a mapping with a 'parametres' key"]
    fautes: list[str] = []
    inconnues = set(contenu) - {"parametres", "description", "avertissement"}
    fautes += [
        f"{fichier}: unknown top-level key '{k}'{_proche(k, ['parametres'])}" for k in sorted(inconnues)
    ]
    for nom, spec in contenu["parametres"].items():
        connus = set(base[stem]) | a_fournir.get(stem, set()) | set(PARAMETRES_DE_REFORME)
        if nom not in connus:
            fautes.append(f"{fichier}: no parameter '{nom}' in {stem}{_proche(nom, connus)}")
            continue
        ref = base[stem].get(nom)
        if not isinstance(spec, dict) or not isinstance(spec.get("valeurs"), dict):
            continue  # the structure is checked by parametres_depuis_dict
        if ref is None:  # a supplied value has no base shape: its cents are integers ≥ 0
            if nom.endswith("_centimes") or spec.get("unite") == "centimes":
                for debut, v in spec["valeurs"].items():
                    if isinstance(v, dict):
                        _centimes(v.get("valeur"), f"{fichier}: {nom} at {debut}", fautes)
            continue
        modeles = [v.valeur for v in ref.valeurs if v.valeur is not None]
        for debut, v in spec["valeurs"].items():
            if not isinstance(v, dict) or "valeur" not in v or not modeles or ref.forme == "libre":
                continue
            ou = f"{fichier}: {nom} at {debut}"
            v["valeur"] = _conforme(v["valeur"], modeles, nom, ou, fautes, ref.signe)
    return contenu, fautes


def _centimes(x: Any, ou: str, fautes: list[str]) -> None:
    if isinstance(x, dict):
        for k, v in x.items():
            _centimes(v, f"{ou}.{k}", fautes)
    elif isinstance(x, list):
        for i, v in enumerate(x):
            _centimes(v, f"{ou}[{i}]", fautes)
    elif x is not None and (isinstance(x, bool) or not isinstance(x, int) or x < 0):
        fautes.append(f"{ou}: {x!r} is not an amount in cents (an integer ≥ 0)")


def _conforme(x: Any, modeles: list, cle: str, ou: str, fautes: list[str], signe: bool) -> Any:
    """``x`` checked against the base values ``modeles`` of the same place (faults appended)."""
    if x is None:
        return x
    dicts = [m for m in modeles if isinstance(m, dict)]
    listes = [m for m in modeles if isinstance(m, list)]
    if dicts:
        if not isinstance(x, dict):
            fautes.append(f"{ou}: expected a mapping with keys {', '.join(map(str, dicts[-1]))}")
            return x
        cles = {k for m in dicts for k in m}
        for k in x:
            if k not in cles:
                fautes.append(f"{ou}: unknown key '{k}'{_proche(k, cles)}")
        manquent = [k for k in dicts[-1] if k not in x]
        if manquent:
            fautes.append(f"{ou}: missing key(s) {', '.join(map(str, manquent))}")
        return {
            k: _conforme(
                v, [m[k] for m in dicts if k in m and m[k] is not None], str(k), f"{ou}.{k}", fautes, signe
            )
            for k, v in x.items()
        }
    if listes:
        if not isinstance(x, list):
            fautes.append(f"{ou}: expected a list")
            return x
        elements = [e for m in listes for e in m if e is not None]
        return [_conforme(e, elements, cle, f"{ou}[{i}]", fautes, signe) for i, e in enumerate(x)]
    if not modeles:
        return x
    m = modeles[-1]
    taux = any(isinstance(v, float) and 0 < v < 1 for v in modeles) or str(cle).startswith(
        ("taux", "part", "seuil_part")
    )
    if isinstance(m, bool) or isinstance(m, (str, date)):
        if type(x) is not type(m):
            fautes.append(f"{ou}: expected a {type(m).__name__}, got {x!r}")
        return x
    if isinstance(x, str) and taux and (p := _POURCENT.match(x)):
        x = float(p.group(1).replace(",", ".")) / 100  # a percentage said as such
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        conseil = ' (a rate is a fraction: 2 % is 0.02 or "2 %")' if taux else ""
        fautes.append(f"{ou}: expected a number, got {x!r}{conseil}")
        return x
    if all(isinstance(v, int) for v in modeles) and not isinstance(x, int):
        unite = "cents are integers" if "centimes" in ou else "an integer is expected"
        fautes.append(f"{ou}: {x!r} is not an integer ({unite})")
    if x < 0 and not signe:
        fautes.append(f"{ou}: {x!r} is below zero (this parameter takes no sign)")
    if taux and not 0 <= x <= 1:
        fautes.append(f'{ou}: {x!r} is not a rate in [0, 1] (write 2 % as 0.02 or "2 %")')
    return x
