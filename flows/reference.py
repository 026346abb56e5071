"""The assistant aid's reference thresholds (rules.md §1): the national percentiles of year R, read from the
lake where they were kept, else computed from the lake's year R, else (R not in the lake) the published GP
thresholds; which one applies is the rule's choice (``seuils_reference``), which file holds them is ours."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import polars as pl

from flows.erreurs import ErreurRun
from flows.fichiers import sha256_fichier
from flows.lake import distribution_gardee, dossier_annee, percentiles_gardes
from flows.modeles import REFERENCE, calculer_modeles
from flows.reglages import Reglages
from transforms.parametres import JeuParametres
from transforms.registre import SEUILS_REFERENCE, en_vigueur
from transforms.rules import aide_assistant_medical as aam


def garder_percentiles(lake: Path, annee: int, sorties: dict[str, Path]) -> None:
    """Keep year N's percentiles and their distribution in the lake, stamped with the ingest they come from
    (each file replaced atomically, the stamp last)."""
    cible = percentiles_gardes(lake, annee)
    cible.parent.mkdir(parents=True, exist_ok=True)
    fichiers = (
        (sorties["percentiles"], cible.name),
        (sorties["distribution_activite"], distribution_gardee(lake, annee).name),
        (None, cible.with_suffix(".json").name),
    )
    for source, nom in fichiers:
        tmp = cible.with_name(f".{nom}.{uuid.uuid4().hex}")
        if source is None:
            empreinte = sha256_fichier(dossier_annee(lake, annee) / "ingest.json")
            tmp.write_text(json.dumps({"ingest_sha256": empreinte}), encoding="utf-8")
        else:
            shutil.copyfile(source, tmp)
        os.replace(tmp, cible.with_name(nom))


def percentiles_de(reglages: Reglages, annee: int, p: JeuParametres, travail: Path) -> pl.DataFrame:
    """The national percentiles of year R: kept in the lake when they match its ingest, else computed."""
    lake = reglages.lake
    cible = percentiles_gardes(lake, annee)
    meta = cible.with_suffix(".json")
    empreinte = sha256_fichier(dossier_annee(lake, annee) / "ingest.json")
    if cible.exists() and meta.exists() and distribution_gardee(lake, annee).exists():
        if json.loads(meta.read_text(encoding="utf-8")).get("ingest_sha256") == empreinte:
            return pl.read_parquet(cible)
    reglages.journal(f"computing the national percentiles of {annee} from the lake (reference distribution)")
    travail.mkdir(parents=True, exist_ok=True)
    try:
        # only what the percentiles need: not the forfait médecin traitant's categories, the DIPA, the CPTS
        sorties = calculer_modeles(reglages, annee, p, travail, sorties=REFERENCE)
        garder_percentiles(lake, annee, sorties)
        return pl.read_parquet(sorties["percentiles"])
    finally:
        shutil.rmtree(travail, ignore_errors=True)


def annexes_du_run(lake: Path, annee: int, p: JeuParametres, frames: dict[str, pl.DataFrame]) -> dict:
    """What a run keeps of its reference: the thresholds it read, the distribution they come from (doctor
    counts per specialty and value of the reference year, when in the lake) and that year."""
    if not en_vigueur("aide_assistant_medical", p, annee):
        return {"frames": {}, "annee_distribution_reference": None}
    r = aam.annee_reference(p, annee)
    gardes = {"seuils_reference": frames[SEUILS_REFERENCE]}
    if distribution_gardee(lake, r).exists():
        gardes["distribution_reference"] = pl.read_parquet(distribution_gardee(lake, r))
    return {"frames": gardes, "annee_distribution_reference": r}


def seuils_reference(
    reglages: Reglages,
    annee: int,
    p: JeuParametres,
    activite: pl.DataFrame,
    contrats: pl.DataFrame,
    travail: Path,
) -> pl.DataFrame:
    """P30/P90/P95 per specialty on the assistant aid's reference distribution (rules.md §1) for year N."""
    r = aam.annee_reference(p, annee)
    percentiles = percentiles_de(reglages, r, p, travail) if (reglages.lake / f"annee={r}").exists() else None
    try:
        return aam.seuils_reference(percentiles, p, annee, aam.specialites_evaluees(activite, contrats))
    except aam.ReferenceManquante as e:
        raise ErreurRun(str(e)) from None
