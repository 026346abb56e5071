"""Read the dated parameter files (data/parameters/*.yaml) and an optional overlay folder.

Overlay semantics: for each file of the overlay, each parameter it defines replaces the whole dated series of
the parameter of the same name in the base file; parameters and files the base lacks are added. So a reform
or a user-supplied rate is one small file naming only what it changes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from transforms.parametres import JeuParametres, ParametreError, parametres_depuis_dict

DOSSIER_PARAMETRES = Path(__file__).resolve().parent.parent / "data" / "parameters"


def _lire(fichier: Path) -> dict:
    try:
        return yaml.safe_load(fichier.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ParametreError(f"{fichier.name}: not valid YAML ({e})") from e


def charger_parametres(dossier: Path | None = None, overlay: Path | None = None) -> JeuParametres:
    dossier = Path(dossier) if dossier else DOSSIER_PARAMETRES
    if not dossier.is_dir():
        raise ParametreError(f"parameter folder not found: {dossier}")
    parametres: dict = {}
    fichiers: dict[str, str] = {}
    sources = [("", dossier)] + ([("overlay/", Path(overlay))] if overlay else [])
    for prefixe, d in sources:
        if not d.is_dir():
            raise ParametreError(f"parameter overlay folder not found: {d}")
        for f in sorted(d.glob("*.yaml")):
            contenu = _lire(f)
            fichiers[prefixe + f.name] = hashlib.sha256(f.read_bytes()).hexdigest()
            parametres.setdefault(f.stem, {}).update(
                parametres_depuis_dict(f.stem, contenu, origine=prefixe + f.name)
            )
    empreinte = hashlib.sha256(json.dumps(fichiers, sort_keys=True).encode()).hexdigest()
    return JeuParametres(parametres=parametres, fichiers=fichiers, empreinte=empreinte)
