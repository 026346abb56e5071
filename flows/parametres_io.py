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

from transforms.parametres import JeuParametres, ParametreError, parametres_depuis_dict, verifier_surcharge

DOSSIER_PARAMETRES = Path(__file__).resolve().parent.parent / "data" / "parameters"
# values the public texts do not give (DIPA fixed-charge rates, CPTS mission amounts), invented for the demo,
# the tests and the benchmark on synthetic data; labelled ILLUSTRATIVE in each file and in every manifest
OVERLAY_ILLUSTRATIF = DOSSIER_PARAMETRES.parent / "overlays" / "illustratif"
TEXTES = DOSSIER_PARAMETRES.parent / "textes.yaml"  # the legal texts parameters cite by key


TAILLE_MAX = 1 << 20  # an overlay file larger than 1 MiB is not a parameter file
EVENEMENTS_MAX = 200_000  # YAML nodes of one file (the base's largest has under 2 000)


def _lire(fichier: Path, surcharge: bool = False) -> dict:
    """The parsed YAML of a parameter file. An overlay's is refused past TAILLE_MAX bytes or EVENEMENTS_MAX
    nodes, or when it uses aliases (a 500-byte "billion laughs" file expands to gigabytes)."""
    try:
        if surcharge and fichier.stat().st_size > TAILLE_MAX:
            raise ParametreError(
                f"{fichier.name}: {fichier.stat().st_size:,} bytes, over the 1 MiB of a parameter file"
            )
        texte = fichier.read_text(encoding="utf-8")
        if surcharge:
            for i, ev in enumerate(yaml.parse(texte, Loader=yaml.SafeLoader)):
                if isinstance(ev, yaml.AliasEvent):
                    raise ParametreError(
                        f"{fichier.name}: YAML aliases (*name) are not allowed in an overlay"
                    )
                if i > EVENEMENTS_MAX:
                    raise ParametreError(f"{fichier.name}: over {EVENEMENTS_MAX:,} YAML nodes")
        return yaml.safe_load(texte) or {}
    except yaml.YAMLError as e:
        raise ParametreError(f"{fichier.name}: not valid YAML ({_sans_contenu(e)})") from None
    except UnicodeDecodeError:
        raise ParametreError(f"{fichier.name}: not UTF-8 text") from None


def _sans_contenu(e: yaml.YAMLError) -> str:
    """The YAML error's problem and position, without the file's lines it quotes."""
    if isinstance(e, yaml.MarkedYAMLError):
        m = e.problem_mark
        ou = f" at line {m.line + 1}, column {m.column + 1}" if m else ""
        return f"{e.problem or e.context}{ou}"
    return type(e).__name__


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
    base: dict = {}
    a_fournir: dict[str, set[str]] = {}
    fautes: list[str] = []
    for prefixe, d in sources:
        if not d.is_dir():
            raise ParametreError(f"parameter overlay folder not found: {d}")
        if prefixe == "overlay/":
            base = {k: dict(v) for k, v in parametres.items()}
        autres = sorted(f.name for f in d.iterdir() if f.is_file() and f.suffix in (".yml", ".json"))
        fautes += [f"{prefixe}{n}: parameter files end in .yaml" for n in autres]
        for f in sorted(d.glob("*.yaml")):
            contenu = _lire(f, surcharge=bool(prefixe))
            if not prefixe:
                a_fournir[f.stem] = set((contenu or {}).get("a_fournir") or {})
            else:
                contenu, f_fautes = verifier_surcharge(base, a_fournir, prefixe + f.name, contenu)
                if f_fautes:
                    fautes += f_fautes
                    continue
            fichiers[prefixe + f.name] = hashlib.sha256(f.read_bytes()).hexdigest()
            if isinstance(contenu, dict) and contenu.get("avertissement"):
                avertissements[prefixe + f.name] = " ".join(str(contenu["avertissement"]).split())
            parametres.setdefault(f.stem, {}).update(
                parametres_depuis_dict(f.stem, contenu, origine=prefixe + f.name, textes=textes)
            )
    if fautes:
        raise ParametreError(
            f"{len(fautes)} fault(s) in the parameter overlay; nothing was run:\n  - "
            + "\n  - ".join(fautes)
            + "\n  Correct the overlay and run again."
        )
    empreinte = hashlib.sha256(json.dumps(fichiers, sort_keys=True).encode()).hexdigest()
    return JeuParametres(
        parametres=parametres,
        fichiers=fichiers,
        empreinte=empreinte,
        avertissements=avertissements,
        a_fournir={k: tuple(sorted(v)) for k, v in a_fournir.items() if v},
    )
