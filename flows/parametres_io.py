"""Read the dated parameter files (data/parameters/*.yaml) and an optional overlay folder.

Overlay semantics: for each file of the overlay, each parameter it defines replaces the whole dated series of
the parameter of the same name in the base file; parameters and files the base lacks are added. So a reform
or a user-supplied rate is one small file naming only what it changes. Several overlays apply in order (the
user's values, then a reform on top). A file may carry a top-level ``avertissement`` (illustrative values,
say): it is kept with the set and written in every manifest made from it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import yaml

from transforms.parametres import JeuParametres, ParametreError, parametres_depuis_dict

DOSSIER_PARAMETRES = Path(__file__).resolve().parent.parent / "data" / "parameters"
# values the public texts do not give (DIPA fixed-charge rates, CPTS mission amounts), invented for the demo,
# the tests and the benchmark on synthetic data; labelled ILLUSTRATIVE in each file and in every manifest
OVERLAY_ILLUSTRATIF = DOSSIER_PARAMETRES.parent / "overlays" / "illustratif"
TEXTES = DOSSIER_PARAMETRES.parent / "textes.yaml"  # the legal texts parameters cite by key


def _lire(fichier: Path) -> dict:
    try:
        return yaml.safe_load(fichier.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ParametreError(f"{fichier.name}: not valid YAML ({e})") from e


def overlays(overlay: Path | str | Sequence[Path | str] | None) -> list[Path]:
    """One overlay folder, several (applied in order) or none, as a list of paths."""
    if overlay is None:
        return []
    if isinstance(overlay, (str, Path)):
        return [Path(overlay)]
    return [Path(o) for o in overlay]


def charger_parametres(
    dossier: Path | None = None, overlay: Path | str | Sequence[Path | str] | None = None
) -> JeuParametres:
    dossier = Path(dossier) if dossier else DOSSIER_PARAMETRES
    if not dossier.is_dir():
        raise ParametreError(f"parameter folder not found: {dossier}")
    parametres: dict = {}
    fichiers: dict[str, str] = {}
    avertissements: dict[str, str] = {}
    textes = _lire(TEXTES) if TEXTES.exists() else {}
    sources = [("", dossier)] + [
        ("overlay/" if i == 0 else f"overlay{i + 1}/", o) for i, o in enumerate(overlays(overlay))
    ]
    for prefixe, d in sources:
        if not d.is_dir():
            raise ParametreError(f"parameter overlay folder not found: {d}")
        for f in sorted(d.glob("*.yaml")):
            contenu = _lire(f)
            fichiers[prefixe + f.name] = hashlib.sha256(f.read_bytes()).hexdigest()
            if isinstance(contenu, dict) and contenu.get("avertissement"):
                avertissements[prefixe + f.name] = " ".join(str(contenu["avertissement"]).split())
            parametres.setdefault(f.stem, {}).update(
                parametres_depuis_dict(f.stem, contenu, origine=prefixe + f.name, textes=textes)
            )
    empreinte = hashlib.sha256(json.dumps(fichiers, sort_keys=True).encode()).hexdigest()
    return JeuParametres(
        parametres=parametres, fichiers=fichiers, empreinte=empreinte, avertissements=avertissements
    )
