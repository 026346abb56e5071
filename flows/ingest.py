"""Ingest one yearly extract into the Parquet lake: read, validate against the pandera models, quarantine.

Layout of the lake (``--lake``): ``annee=N`` is a symbolic link to ``.versions/N-<id>``, which holds one
Parquet file per table, ``quarantaine/<TABLE>.parquet`` (defective rows with their reasons, patient ids stay
inside the lake) and ``ingest.json`` (the report). A new version is written aside and the link is swapped
atomically, so re-ingesting a year replaces it whole or not at all; what the lake derived from the version it
replaces (``derives/*/annee=N…``) is then removed. A failed ingest keeps its report and
quarantine under ``.echecs/`` and leaves the published year untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from flows import proprietaire
from flows.fichiers import FichierAmbigu, fichier_table, sha256_fichier
from flows.ingest_tables import ErreurIngest, RapportTable, SeuilDepasse, ingerer_table
from flows.journal import etape
from flows.lake import oublier_derives
from flows.parametres_io import charger_parametres
from flows.reglages import muet
from schemas.sources import TABLES
from transforms.parametres import JeuParametres
from transforms.registre import en_vigueur
from transforms.validation import Contexte, verifier_bornes

__all__ = ["ErreurIngest", "deja_ingere", "ingerer"]

NOMENCLATURES = Path(__file__).resolve().parent.parent / "data" / "reference" / "nomenclatures"
ORDRE = ["DA_PRA_R"] + [t for t in TABLES if t != "DA_PRA_R"]  # the cabinets first: other tables name them


def _codes() -> tuple[dict, list[int]]:
    codes: dict = {}
    for t in TABLES.values():
        for col in t.modele.to_schema().columns.values():
            nom = (col.metadata or {}).get("nomenclature")
            if nom and nom not in codes:
                df = pl.read_csv(NOMENCLATURES / f"{nom[0]}.csv", separator=";", infer_schema=False)
                codes[nom] = df[nom[1]].cast(pl.Int64).unique().sort().to_list()
    spe = pl.read_csv(NOMENCLATURES / "IR_SPE_V.csv", separator=";", infer_schema=False)["PFS_SPE_COD"]
    act = pl.read_csv(NOMENCLATURES / "IR_ACT_V.csv", separator=";", infer_schema=False)["PFS_ACT_NAT"]
    return codes, sorted(set(spe.cast(pl.Int64).to_list()) | set(act.cast(pl.Int64).to_list()))


def _publier(lake: Path, annee: int, dossier: Path) -> Path:
    versions = lake / ".versions"
    versions.mkdir(parents=True, exist_ok=True)
    cible = versions / dossier.name
    os.replace(dossier, cible)
    lien = lake / f"annee={annee}"
    ancien = lien.resolve() if lien.is_symlink() else None
    tmp = lake / f".annee={annee}.{uuid.uuid4().hex}"
    os.symlink(os.path.relpath(cible, lake), tmp)
    os.replace(tmp, lien)  # atomic: readers see the old version or the new one, never a mix
    fd = os.open(lake, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    if ancien and ancien != cible.resolve():
        shutil.rmtree(ancien, ignore_errors=True)
    oublier_derives(lake, annee)  # computed from the version just replaced
    return lien


def ingerer(
    extract: Path,
    annee: int,
    lake: Path,
    parametres: JeuParametres | None = None,
    memoire: str = "4GB",
    journal=None,
) -> dict:
    """Ingest the extract of year ``annee``; return the report. Raises ErreurIngest on a structural defect."""
    extract, lake = Path(extract), Path(lake)
    p = parametres or charger_parametres()
    seuil = float(p.a("controles", "seuil_quarantaine", date(annee, 1, 1)))
    date_nulle = p.a("commun", "date_nulle_snds", date(annee, 1, 1))
    bornes = p.a("controles", "bornes_plausibles", date(annee, 1, 1))
    try:
        verifier_bornes(bornes, {n: t.modele for n, t in TABLES.items()})
    except ValueError as e:
        raise ErreurIngest(f"{e}. Correct the parameter (or its overlay) and ingest again.") from None
    log = journal or muet
    if not extract.is_dir():
        raise ErreurIngest(f"extract folder not found: {extract}")
    codes, codes_specialite = _codes()
    lake.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={
            "memory_limit": memoire,
            "temp_directory": str(lake / ".duckdb_tmp"),
            "preserve_insertion_order": True,
        }
    )
    con.execute("SET enable_progress_bar = false")
    _proteger(lake)
    for d in proprietaire.nettoyer(sorted((lake / ".staging").glob("*"))):
        log(f"removed {d.name} from {lake / '.staging'}: left by an ingest that was stopped")
    dossier = lake / ".staging" / f"{annee}-{datetime.now().strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    dossier.mkdir(parents=True, mode=0o700)
    proprietaire.ecrire(dossier)
    rapport = {
        "annee": annee,
        "extract": str(extract.name),
        "debut": datetime.now().isoformat(timespec="seconds"),
        "seuil_quarantaine": seuil,
        "bornes_plausibles": _empreinte_bornes(bornes),
        "tables": {},
    }
    try:
        ctx = Contexte(
            annee=annee, codes=codes, codes_specialite=codes_specialite, date_nulle=date_nulle, bornes=bornes
        )
        for nom in ORDRE:
            table = TABLES[nom]
            try:
                f = fichier_table(extract, nom)
            except FichierAmbigu as e:
                raise ErreurIngest(str(e)) from None
            if f is None:
                besoins = [d for d in table.requise_si if en_vigueur(d, p, annee)]
                if table.requise or besoins:
                    pour = f" (needed by {', '.join(besoins)})" if besoins else ""
                    raise ErreurIngest(
                        f"{nom}: file missing from {extract.name}{pour}; expected {nom}.parquet, "
                        f"{nom}.csv.gz or {nom}.csv"
                    )
                rapport["tables"][nom] = RapportTable(table=nom, absente=True).__dict__
                continue
            t, avancement = time.perf_counter(), {}
            with etape(log, f"ingest of {annee}: {nom}", sonde=lambda a=avancement: _etat(a)) as e:
                r = ingerer_table(table, f, dossier, ctx, seuil, con, avancement)
                e["fin"] = f", {r.lignes_lues:,} rows read, {r.lignes_quarantaine:,} quarantined"
            rapport["tables"][nom] = r.__dict__ | {"secondes": round(time.perf_counter() - t, 2)}
            if nom == "DA_PRA_R":
                cab = pl.read_parquet(dossier / "DA_PRA_R.parquet", columns=["PFS_PFS_NUM"])["PFS_PFS_NUM"]
                ctx = replace(ctx, cabinets=cab.to_list())
        rapport["fin"] = datetime.now().isoformat(timespec="seconds")
        (dossier / "ingest.json").write_text(
            json.dumps(rapport, indent=2, default=str, ensure_ascii=False), encoding="utf-8"
        )
        (dossier / proprietaire.FICHIER).unlink()
        rapport["lien"] = str(_publier(lake, annee, dossier))
        return rapport
    except BaseException as e:
        echecs = lake / ".echecs"
        echecs.mkdir(exist_ok=True)
        rapport["erreur"] = str(e)
        if dossier.exists():  # not yet moved to .versions by _publier
            (dossier / "ingest.json").write_text(
                json.dumps(rapport, indent=2, default=str, ensure_ascii=False), encoding="utf-8"
            )
            os.replace(dossier, echecs / dossier.name)
            if isinstance(e, SeuilDepasse):
                raise ErreurIngest(  # where the defective rows are (their values are never in a message)
                    f"{e}\n  The defective rows, with their reasons, are kept in the lake: "
                    f"{echecs / dossier.name / 'quarantaine'}"
                ) from None
        raise
    finally:
        con.close()


def _proteger(lake: Path) -> None:
    """The lake (patient-level data) is its owner's only, even when it was created before with wider
    rights; a lake owned by another account is left as it is."""
    try:
        if lake.stat().st_uid == os.getuid():
            lake.chmod(0o700)
    except OSError:
        pass


def _empreinte_bornes(bornes: dict) -> str:
    """A digest of the plausibility ranges a year was checked with: other ranges, another ingest."""
    return hashlib.sha256(json.dumps(bornes, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _etat(avancement: dict) -> str | None:
    if "lignes" in avancement:
        return f"{avancement['lignes']:,} rows read"
    return avancement.get("passe")


def deja_ingere(extract: Path, annee: int, lake: Path, p: JeuParametres) -> bool:
    """Whether the lake's year N comes from these very files (sha256) under the same quarantine threshold:
    then a run given the same extract again (after a crash, say) goes on without ingesting it again."""
    f = Path(lake) / f"annee={annee}" / "ingest.json"
    if not f.exists():
        return False
    rapport = json.loads(f.read_text(encoding="utf-8"))
    if rapport.get("seuil_quarantaine") != float(p.a("controles", "seuil_quarantaine", date(annee, 1, 1))):
        return False
    if rapport.get("bornes_plausibles") != _empreinte_bornes(
        p.a("controles", "bornes_plausibles", date(annee, 1, 1))
    ):
        return False
    for nom in TABLES:
        try:
            fichier, t = fichier_table(extract, nom), rapport["tables"].get(nom, {"absente": True})
        except FichierAmbigu:
            return False  # the ingest says why
        if (fichier is None) != bool(t.get("absente")):
            return False
        if fichier is not None and (fichier.name != t["fichier"] or sha256_fichier(fichier) != t["sha256"]):
            return False
    return True
