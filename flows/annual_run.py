"""The annual run of reference year N: lake → DuckDB models → rules → validated payment file (outputs.md).

A run writes a new folder ``<out>/<N>-<timestamp>-<id>`` under a temporary name, validates every output
against its pandera model, writes the manifest last, then renames the folder: a crash or a failed check
leaves no published folder and never touches an earlier one. The national percentiles of N are also kept in
the lake (``<lake>/derives/percentiles/annee=N.parquet``, replaced atomically) for the rules of later years.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from importlib import metadata
from pathlib import Path

import duckdb
import polars as pl
import psutil
import pyarrow.parquet as pq
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.fichiers import ecrire_csv, panne, publier_dossier
from flows.ingest import NOMENCLATURES, fichier_table, ingerer, sha256_fichier
from flows.ledger import publier as publier_ledger
from flows.parametres_io import charger_parametres
from schemas.sorties import Justificatifs, schema_paiements
from schemas.sources import TABLES
from transforms import modeles as transforms_modeles
from transforms.calcul import Resultats, calculer, specialites_evaluees
from transforms.forfaits_annuels import montants_permis
from transforms.modeles import (
    DOSSIER_SQL,
    MODELES,
    TABLES_LUES,
    besoin_annee_precedente,
    sql,
    tables_lues,
    variables,
)
from transforms.paiements import COLONNES_PAIEMENTS, totaux_de_controle
from transforms.parametres import JeuParametres
from transforms.rules import aide_assistant_medical as aam


class ErreurRun(Exception):
    """The run cannot go on (a year missing from the lake, an output failing its checks…)."""


def dossier_annee(lake: Path, annee: int) -> Path:
    d = lake / f"annee={annee}"
    if not d.exists():
        raise ErreurRun(
            f"year {annee} is not in the lake {lake}: ingest it first "
            f"(forfaits ingest --extract DIR --year {annee} --lake {lake}) or pass --extract to the run"
        )
    return d


def _table_vide(nom: str, dossier: Path) -> Path:
    """An empty Parquet file with the model's columns, for a table an extract may lack."""
    schema = TABLES[nom].modele.to_schema()
    f = dossier / f"{nom}.parquet"
    pl.DataFrame(schema={n: c.dtype.type for n, c in schema.columns.items()}).write_parquet(f)
    return f


SORTIES_MODELES = (
    "activite_medecins",
    "percentiles",
    "int_contrats_aam",
    "int_categories_mt",
    "int_dipa",
    "int_cpts",
)


def calculer_modeles(
    lake: Path,
    annee: int,
    p: JeuParametres,
    travail: Path,
    memoire: str = "8GB",
    journal=None,
    sorties: tuple[str, ...] = SORTIES_MODELES,
) -> dict[str, Path]:
    """Run the DuckDB models of year N that ``sorties`` need (models run in the order of ``MODELES``, so
    every model up to the last one asked) and write ``sorties`` to ``travail``."""
    log = journal or (lambda m: None)
    a_calculer = MODELES[: 1 + max(MODELES.index(m) for m in sorties)]
    source = dossier_annee(lake, annee)
    vides = travail / ".vides"
    vides.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={
            "memory_limit": memoire,
            "temp_directory": str(travail / ".duckdb_tmp"),
            "threads": os.cpu_count(),
        }
    )
    try:
        con.execute("SET enable_progress_bar = false")
        valeurs = variables(p, annee) | {
            "ref_IR_NAT_V": str(NOMENCLATURES / "IR_NAT_V.csv"),
            "percentiles_seulement": set(sorties) == {"percentiles"},  # int_activite reads fewer lines
        }
        for t in TABLES_LUES:
            f = source / f"{t}.parquet"
            valeurs[f"t_{t}"] = str(f if f.exists() else _table_vide(t, vides))
        valeurs["t_ER_PRS_F_prec"] = str(_table_vide("ER_PRS_F", vides))
        besoins = besoin_annee_precedente(valeurs)
        if besoins:  # patients not seen in N−1 (forfait médecin traitant from 2026), fees of 2019 (DIPA 2020)
            prec = lake / f"annee={annee - 1}" / "ER_PRS_F.parquet"
            if not prec.exists():
                raise ErreurRun(
                    f"{' and '.join(besoins)} of {annee} {'need' if len(besoins) > 1 else 'needs'} "
                    f"the claims of {annee - 1}: year {annee - 1} is not in the lake {lake}; ingest it first "
                    f"(forfaits ingest --extract DIR --year {annee - 1} --lake {lake})"
                )
            valeurs["t_ER_PRS_F_prec"] = str(prec)
        for nom, v in valeurs.items():
            con.execute("SET VARIABLE " + nom + " = ?", [v])  # names are ours (transforms/modeles.py)
        lignes = {k[2:]: pq.ParquetFile(v).metadata.num_rows for k, v in valeurs.items() if k[:2] == "t_"}
        for m in a_calculer:
            t0 = time.perf_counter()
            texte = sql(m)
            con.sql(texte).to_table(m)
            n = con.table(m).aggregate("count(*)").fetchall()[0][0]
            dt = time.perf_counter() - t0
            # rows of the lake tables its SQL reads (a model not in force for N filters them all out early)
            lus = sum(lignes[t] for t in tables_lues(texte))
            pic = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB
            log(
                f"model {m}: {n:,} rows ({dt:.1f} s; input tables {lus:,} lake rows, "
                f"{lus / max(dt, 1e-3):,.0f} rows/s; peak RSS so far {pic:.2f} GiB)"
            )
        ecrits = {}
        for m in sorties:
            ecrits[m] = travail / f"{m}.parquet"
            con.table(m).write_parquet(str(ecrits[m]))
        return ecrits
    finally:
        con.close()
        shutil.rmtree(vides, ignore_errors=True)
        shutil.rmtree(travail / ".duckdb_tmp", ignore_errors=True)


def _lignes(f: Path) -> int:
    return pl.scan_parquet(f).select(pl.len()).collect().item()


def _version() -> str:
    try:
        v = metadata.version("forfaits")
    except metadata.PackageNotFoundError:
        v = "0+inconnu"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        return f"{v}+{commit}"
    except (OSError, subprocess.SubprocessError):
        return v


def ecrire_sorties(
    r: Resultats,
    p: JeuParametres,
    annee: int,
    lake: Path,
    travail: Path,
    run_id: str,
) -> dict:
    """Validate and write the outputs of outputs.md into ``travail``; the manifest is written last.

    Besides the contract's files: ``controle_contrats_aam.parquet``, the contracts to look at (rules.md §6.1).
    """
    schema_paiements(montants_permis(p, annee), annee).validate(r.paiements, lazy=True)
    Justificatifs.validate(r.justificatifs, lazy=True)
    paiements = r.paiements.select(list(COLONNES_PAIEMENTS))
    paiements.write_parquet(travail / "paiements.parquet")
    ecrire_csv(paiements, travail / "paiements.csv", "pendant_paiements")
    r.justificatifs.write_parquet(travail / "justificatifs.parquet")
    r.controles_aam.write_parquet(travail / "controle_contrats_aam.parquet")
    ingest = json.loads((dossier_annee(lake, annee) / "ingest.json").read_text(encoding="utf-8"))
    totaux = totaux_de_controle(paiements)
    manifest = {
        "run_id": run_id,
        "cree_le": datetime.now().isoformat(timespec="seconds"),
        "annee_reference": annee,
        "annee_versement": annee + 1,
        "version_code": _version(),
        "parametres": {
            "empreinte": p.empreinte,
            "fichiers": p.fichiers,
            "avertissements": p.avertissements,  # e.g. illustrative values supplied by an overlay
        },
        "entrees": {
            nom: {
                "fichier": t.get("fichier"),
                "sha256": t.get("sha256"),
                "lignes_lues": t.get("lignes_lues"),
                "lignes_quarantaine": t.get("lignes_quarantaine"),
            }
            for nom, t in ingest["tables"].items()
            if not t.get("absente")
        },
        "sorties": {
            f.name: {"sha256": sha256_fichier(f), "lignes": _lignes(f)}
            for f in sorted(travail.glob("*.parquet"))
        },
        "totaux_de_controle": totaux,
        "controles": {"contrats_aam_a_verifier": r.controles_aam.height},
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


def publier(travail: Path, out: Path, nom: str) -> Path:
    """fsync the checked run folder and rename it to its final name (atomic on one file system)."""
    (travail / ".proprietaire").unlink(missing_ok=True)
    return publier_dossier(travail, out / nom)


def deja_ingere(extract: Path, annee: int, lake: Path, p: JeuParametres) -> bool:
    """Whether the lake's year N comes from these very files (sha256) under the same quarantine threshold:
    then a run given the same extract again (after a crash, say) goes on without ingesting it again."""
    f = lake / f"annee={annee}" / "ingest.json"
    if not f.exists():
        return False
    rapport = json.loads(f.read_text(encoding="utf-8"))
    if rapport.get("seuil_quarantaine") != float(p.a("controles", "seuil_quarantaine", date(annee, 1, 1))):
        return False
    for nom in TABLES:
        fichier, t = fichier_table(extract, nom), rapport["tables"].get(nom, {"absente": True})
        if (fichier is None) != bool(t.get("absente")):
            return False
        if fichier is not None and (fichier.name != t["fichier"] or sha256_fichier(fichier) != t["sha256"]):
            return False
    return True


def nettoyer_temporaires(out: Path) -> list[Path]:
    """Remove the temporary folders of runs whose process is gone (killed before publishing)."""
    partis = []
    for d in Path(out).glob(".tmp-*"):
        f = d / ".proprietaire"
        try:
            pid = int(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pid = None
        if pid is None or not psutil.pid_exists(pid):
            shutil.rmtree(d, ignore_errors=True)
            partis.append(d)
    return partis


def empreinte_code() -> str:
    """sha256 of the DuckDB models and of the module that binds their variables (the models' code version)."""
    h = hashlib.sha256()
    for f in [*sorted(DOSSIER_SQL.glob("*.sql")), Path(transforms_modeles.__file__)]:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def cle_modeles(lake: Path, annee: int, p: JeuParametres) -> str:
    """The models' inputs: the ingests read (N, and N−1 when the grid needs it), their variables, code."""
    v = variables(p, annee)
    ingests = [sha256_fichier(dossier_annee(lake, annee) / "ingest.json")]
    prec = lake / f"annee={annee - 1}" / "ingest.json"
    if besoin_annee_precedente(v) and prec.exists():
        ingests.append(sha256_fichier(prec))
    texte = json.dumps(
        {"annee": annee, "ingests": ingests, "variables": v, "code": empreinte_code()}, default=str
    )
    return hashlib.sha256(texte.encode()).hexdigest()[:24]


def dossier_modeles(lake: Path, annee: int, cle: str) -> Path:
    return lake / "derives" / "modeles" / f"annee={annee}-{cle}"


def modeles(lake: Path, annee: int, p: JeuParametres, memoire: str = "8GB", journal=None) -> dict[str, Path]:
    """The models of year N, persisted in the lake under the key of their inputs (``cle_modeles``): a run
    after a crash, or on unchanged inputs, reads them back instead of computing them again."""
    log = journal or (lambda m: None)
    cle = cle_modeles(lake, annee, p)
    cible = dossier_modeles(lake, annee, cle)
    if not (cible / ".complet").exists():
        tmp = cible.with_name(f".tmp-{cible.name}-{uuid.uuid4().hex[:8]}")
        try:
            calculer_modeles(lake, annee, p, tmp, memoire, log)
            (tmp / ".complet").write_text(cle, encoding="utf-8")
            shutil.rmtree(cible, ignore_errors=True)
            publier_dossier(tmp, cible)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    else:
        log(f"models of {annee} read back from {cible.name} (inputs unchanged)")
    return {m: cible / f"{m}.parquet" for m in SORTIES_MODELES}


def cle_cache_modeles(contexte, parametres: dict) -> str | None:
    """Prefect cache key of the models task: ``cle_modeles`` while its persisted outputs are complete."""
    lake, annee, p = Path(parametres["lake"]), parametres["annee"], parametres["p"]
    cle = cle_modeles(lake, annee, p)
    return cle if (dossier_modeles(lake, annee, cle) / ".complet").exists() else None


def executer(
    annee: int,
    lake: Path,
    out: Path,
    extract: Path | None = None,
    parametres: JeuParametres | None = None,
    memoire: str = "8GB",
    journal: Callable[[str], None] | None = None,
    etape: Callable | None = None,
    ledger: Path | None = None,
    publications: Path | None = None,
    echeance: date | None = None,
) -> dict:
    """The annual run of year N without Prefect (the flow below wraps the same steps as tasks); with
    ``ledger``, the run is then published through it into ``publications`` (flows/ledger.py)."""
    log = journal or (lambda m: None)
    lancer = etape or (lambda fn, *a, **k: fn(*a, **k))
    p = parametres or charger_parametres()
    lake, out = Path(lake), Path(out)
    if extract is not None and deja_ingere(Path(extract), annee, lake, p):
        log(f"year {annee} is already in the lake from these very files: ingest skipped")
    elif extract is not None:
        lancer(ingerer, Path(extract), annee, lake, p, journal=log)
    panne("apres_ingest")
    dossier_annee(lake, annee)
    out.mkdir(parents=True, exist_ok=True)
    for d in nettoyer_temporaires(out):
        log(f"removed {d.name}, left by a run that did not finish")
    run_id = f"{annee}-{datetime.now().strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    travail = out / f".tmp-{run_id}"
    travail.mkdir()
    (travail / ".proprietaire").write_text(str(os.getpid()), encoding="utf-8")
    try:
        sorties = lancer(modeles, lake, annee, p, memoire, log)
        panne("apres_modeles")
        _garder_percentiles(lake, annee, sorties["percentiles"])
        activite = pl.read_parquet(sorties["activite_medecins"])
        contrats = pl.read_parquet(sorties["int_contrats_aam"])
        seuils = lancer(seuils_aam, lake, annee, p, activite, contrats, travail / ".ref", memoire, log)
        panne("apres_seuils")
        categories = pl.read_parquet(sorties["int_categories_mt"])
        dipa, cpts = pl.read_parquet(sorties["int_dipa"]), pl.read_parquet(sorties["int_cpts"])
        r = calculer(activite, contrats, seuils, categories, p, annee, dipa, cpts)
        panne("apres_regles")
        manifest = lancer(ecrire_sorties, r, p, annee, lake, travail, run_id)
        panne("avant_renommage_run")
        dossier = lancer(publier, travail, out, run_id)
    except BaseException:
        shutil.rmtree(travail, ignore_errors=True)
        raise
    log(f"run {run_id}: {manifest['total']['nb_lignes']:,} payment lines in {dossier}")
    resultat = {
        "dossier": str(dossier),
        **{k: manifest[k] for k in ("run_id", "totaux_de_controle", "total")},
    }
    panne("avant_publication")
    if ledger is not None:
        pub = lancer(
            publier_ledger, dossier, ledger, publications or out.parent / "publications", echeance, log
        )
        resultat["publication"] = _resume_publication(pub)
    return resultat


def _resume_publication(pub: dict) -> dict:
    return {
        k: pub[k]
        for k in (
            "dossier",
            "publication_id",
            "annee_reference",
            "reprise",
            "totaux_de_controle",
            "total",
            "nouvelles_cles",
            "regularisations",
        )
    }


def _percentiles_gardes(lake: Path, annee: int) -> Path:
    return lake / "derives" / "percentiles" / f"annee={annee}.parquet"


def _garder_percentiles(lake: Path, annee: int, f: Path) -> None:
    """Keep year N's percentiles in the lake, stamped with the ingest they come from (replaced atomically)."""
    cible = _percentiles_gardes(lake, annee)
    cible.parent.mkdir(parents=True, exist_ok=True)
    for source, nom in ((f, cible.name), (None, cible.with_suffix(".json").name)):
        tmp = cible.with_name(f".{nom}.{uuid.uuid4().hex}")
        if source is None:
            empreinte = sha256_fichier(dossier_annee(lake, annee) / "ingest.json")
            tmp.write_text(json.dumps({"ingest_sha256": empreinte}), encoding="utf-8")
        else:
            shutil.copyfile(source, tmp)
        os.replace(tmp, cible.with_name(nom))


def percentiles_de(
    lake: Path, annee: int, p: JeuParametres, travail: Path, memoire: str, journal
) -> pl.DataFrame:
    """The national percentiles of year R: kept in the lake when they match its ingest, else computed."""
    cible = _percentiles_gardes(lake, annee)
    meta = cible.with_suffix(".json")
    empreinte = sha256_fichier(dossier_annee(lake, annee) / "ingest.json")
    if cible.exists() and meta.exists():
        if json.loads(meta.read_text(encoding="utf-8")).get("ingest_sha256") == empreinte:
            return pl.read_parquet(cible)
    journal(f"computing the national percentiles of {annee} from the lake (reference distribution)")
    travail.mkdir(parents=True, exist_ok=True)
    try:
        # only what the percentiles need: not the forfait médecin traitant's categories, the DIPA, the CPTS
        sorties = calculer_modeles(lake, annee, p, travail, memoire, journal, sorties=("percentiles",))
        _garder_percentiles(lake, annee, sorties["percentiles"])
        return pl.read_parquet(sorties["percentiles"])
    finally:
        shutil.rmtree(travail, ignore_errors=True)


def seuils_aam(
    lake: Path,
    annee: int,
    p: JeuParametres,
    activite: pl.DataFrame,
    contrats: pl.DataFrame,
    travail: Path,
    memoire: str = "8GB",
    journal=None,
) -> pl.DataFrame:
    """P30/P90/P95 per specialty on the assistant aid's reference distribution (rules.md §1) for year N."""
    log = journal or (lambda m: None)
    if not aam.en_vigueur(p, annee):
        return pl.DataFrame(schema=aam.SCHEMA_SEUILS)
    r = aam.annee_reference(p, annee)
    percentiles = (
        percentiles_de(lake, r, p, travail, memoire, log) if (lake / f"annee={r}").exists() else None
    )
    try:
        return aam.seuils_reference(percentiles, p, annee, specialites_evaluees(activite, contrats))
    except aam.ReferenceManquante as e:
        raise ErreurRun(str(e)) from None


def dernier_run(out: Path, annee: int) -> Path:
    runs = sorted(d for d in Path(out).glob(f"{annee}-*") if (d / "manifest.json").exists())
    if not runs:
        raise ErreurRun(
            f"no published run of year {annee} under {out}: run forfaits run --year {annee} first"
        )
    return runs[-1]


@flow(name="annual_run", log_prints=False)
def annual_run(
    annee: int,
    lake: str,
    out: str,
    extract: str | None = None,
    overlay: str | list[str] | None = None,
    memoire: str = "8GB",
    ledger: str | None = None,
    publications: str | None = None,
    echeance: date | None = None,
) -> dict:
    """Prefect flow of the annual run; the year N is the partition key (a backfill re-runs years). With
    ``ledger``, the run is published through it (``publications``: where publication folders go).

    Resume: the models task's outputs are persisted in the lake under the key of its inputs (ingests read,
    model variables, code), which is also its Prefect cache key; the reference percentiles are kept the same
    way. A run started again after a failure reads them back and goes on from there."""
    logger = get_run_logger()
    taches = {
        ingerer: task(ingerer, name="ingest", cache_policy=NO_CACHE),
        modeles: task(modeles, name="models", cache_key_fn=cle_cache_modeles, persist_result=True),
        seuils_aam: task(seuils_aam, name="reference percentiles", cache_policy=NO_CACHE),
        ecrire_sorties: task(ecrire_sorties, name="outputs", cache_policy=NO_CACHE),
        publier: task(
            publier, name="publish run folder", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5
        ),
        publier_ledger: task(publier_ledger, name="publish through the ledger", cache_policy=NO_CACHE),
    }

    def etape(fn, *a, **k):
        return taches[fn](*a, **k)

    return executer(
        annee,
        Path(lake),
        Path(out),
        Path(extract) if extract else None,
        charger_parametres(overlay=overlay or None),
        memoire,
        journal=logger.info,
        etape=etape,
        ledger=Path(ledger) if ledger else None,
        publications=Path(publications) if publications else None,
        echeance=echeance,
    )
