"""A run's folder: written under a temporary name owned by its process, every output validated against its
pandera model, the manifest last, then renamed to ``<out>/<N>-<timestamp>-<id>`` (outputs.md): a crash or a
failed check leaves no published folder and never touches an earlier one."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from flows import proprietaire
from flows.erreurs import ErreurRun
from flows.fichiers import ecrire_csv, lignes_parquet, publier_dossier, sha256_fichier
from flows.lake import rapport_ingest
from flows.version import version_code
from schemas.sorties import schema_justificatifs, schema_paiements
from transforms.calcul import Resultats
from transforms.paiements import COLONNES_PAIEMENTS, totaux_de_controle
from transforms.parametres import JeuParametres
from transforms.registre import REGLES, Regle, dispositifs, montants_permis


def nettoyer_temporaires(out: Path) -> list[Path]:
    """Remove the temporary folders of runs whose process is gone (killed before publishing): stale by their
    owner record (flows/proprietaire.py), never another host's or a live process's."""
    return proprietaire.nettoyer(sorted(Path(out).glob(".tmp-*")))


def nouveau_dossier(out: Path, annee: int) -> tuple[str, Path]:
    """(run id, temporary folder owned by this process) of a new run of year N."""
    run_id = f"{annee}-{datetime.now().strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    travail = Path(out) / f".tmp-{run_id}"
    travail.mkdir()
    proprietaire.ecrire(travail)
    return run_id, travail


def ecrire_sorties(
    r: Resultats,
    p: JeuParametres,
    annee: int,
    lake: Path,
    travail: Path,
    run_id: str,
    regles: Sequence[Regle] = REGLES,
    lus: set[tuple[str, str]] | None = None,
    annexes: dict | None = None,
) -> dict:
    """Validate and write the outputs of outputs.md into ``travail``; the manifest is written last.

    Besides the contract's files: ``controle_<dispositif>.parquet``, the cases to look at (for the assistant
    aid, rules.md §6.1: contracts whose doctor fails the conditions at signature, or that cannot be paid);
    and what ``annexes`` gives: frames the run read and its report shows (``<name>.parquet``), the reference
    year, the stage timings.
    """
    annexes = annexes or {}
    schema_paiements(montants_permis(p, annee, regles), dispositifs(regles), annee).validate(
        r.paiements, lazy=True
    )
    schema_justificatifs(dispositifs(regles)).validate(r.justificatifs, lazy=True)
    paiements = r.paiements.select(list(COLONNES_PAIEMENTS))
    paiements.write_parquet(travail / "paiements.parquet")
    ecrire_csv(paiements, travail / "paiements.csv", "pendant_paiements")
    r.justificatifs.write_parquet(travail / "justificatifs.parquet")
    for nom, controles in r.controles.items():
        controles.write_parquet(travail / f"controle_{nom}.parquet")
    for nom, frame in annexes.get("frames", {}).items():
        frame.write_parquet(travail / f"{nom}.parquet")
    ingest = rapport_ingest(lake, annee)
    manifest = {
        "run_id": run_id,
        "cree_le": datetime.now().isoformat(timespec="seconds"),
        "annee_reference": annee,
        "annee_versement": annee + 1,
        "version_code": version_code(),
        "parametres": {
            "empreinte": p.empreinte,
            "fichiers": p.fichiers,
            "avertissements": p.avertissements,  # e.g. illustrative values supplied by an overlay
            # the files among them whose values this run read (``lus``: JeuParametres.suivi)
            "avertissements_utilises": p.avertissements_de(lus) if lus is not None else p.avertissements,
        },
        "entrees": {
            nom: {
                "fichier": t.get("fichier"),
                "sha256": t.get("sha256"),
                "lignes_lues": t.get("lignes_lues"),
                "lignes_quarantaine": t.get("lignes_quarantaine"),
                # what went to quarantine and where: column, check, count, first row numbers (no value)
                "defauts": [
                    {k: d.get(k) for k in ("colonne", "controle", "nombre", "premieres_lignes")}
                    for d in t.get("defauts") or []
                ],
            }
            for nom, t in ingest["tables"].items()
            if not t.get("absente")
        },
        "sorties": {
            f.name: {"sha256": sha256_fichier(f), "lignes": lignes_parquet(f)}
            for f in sorted(travail.glob("*.parquet"))
        },
        "annee_distribution_reference": annexes.get("annee_distribution_reference"),
        "publications": annexes.get("publications"),  # where the report looks for the publications of N−1
        "durees_secondes": annexes.get("durees", {}),
        "totaux_de_controle": totaux_de_controle(paiements),
        "controles": {nom: c.height for nom, c in r.controles.items()},
        "total": {"nb_lignes": paiements.height, "somme_centimes": int(paiements["montant_centimes"].sum())},
    }
    manifest["sorties"]["paiements.csv"] = {
        "sha256": sha256_fichier(travail / "paiements.csv"),
        "lignes": paiements.height,
    }
    (travail / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return manifest


def publier_run(travail: Path, out: Path, nom: str) -> Path:
    """fsync the checked run folder and rename it to its final name (atomic on one file system)."""
    (travail / proprietaire.FICHIER).unlink(missing_ok=True)
    return publier_dossier(travail, Path(out) / nom)


def runs_publies(out: Path, annee: int) -> list[Path]:
    return sorted(d for d in Path(out).glob(f"{annee}-*") if (d / "manifest.json").exists())


def dernier_run(out: Path, annee: int) -> Path:
    runs = runs_publies(out, annee)
    if not runs:
        raise ErreurRun(
            f"no published run of year {annee} under {out}: run forfaits run --year {annee} first"
        )
    return runs[-1]
