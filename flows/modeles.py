"""Running the DuckDB models of year N (transforms/sql/) on the lake, and keeping their outputs in it.

The models' outputs are persisted in the lake (``derives/modeles/annee=N-<key>/``) under the key of their
inputs: the ingest reports they read, their variables (from the parameters) and their code. A run after a
crash, a rerun on unchanged inputs, or a simulation whose reform leaves the variables unchanged reads them
back instead of computing them again; the same key is the Prefect cache key of the ``models`` task.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import resource
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq

from flows.erreurs import ErreurRun
from flows.fichiers import publier_dossier, sha256_fichier
from flows.journal import etape
from flows.lake import dossier_annee, dossier_modeles, fichier_garde
from flows.reglages import Reglages
from schemas.sources import TABLES
from transforms import modeles as transforms_modeles
from transforms.modeles import (
    ANNEE_PRECEDENTE,
    DOSSIER_SQL,
    SUFFIXE_PREC,
    besoin_annee_precedente,
    catalogue,
    de_l_annee,
    ordre,
    tables_du_lake,
    tables_lues,
    variables,
    variables_lues,
)
from transforms.parametres import JeuParametres
from transforms.registre import REGLES, modeles_lus

NOMENCLATURES = Path(__file__).resolve().parent.parent / "data" / "reference" / "nomenclatures"
# the models of a reference year: its percentiles and the distribution they come from (the report shows it)
REFERENCE = ("percentiles", "distribution_activite")
# what a run keeps of the models: what the rules read, and its reference models (later years may read them)
SORTIES_MODELES = (*modeles_lus(REGLES), *REFERENCE)


def _table_vide(nom: str, dossier: Path) -> Path:
    """An empty Parquet file with the model's columns, for a table an extract may lack."""
    schema = TABLES[nom].modele.to_schema()
    dossier.mkdir(parents=True, exist_ok=True)
    f = dossier / f"{nom}.parquet"
    pl.DataFrame(schema={n: c.dtype.type for n, c in schema.columns.items()}).write_parquet(f)
    return f


def _connexion(reglages: Reglages, travail: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(
        config={
            "memory_limit": reglages.memoire,
            "temp_directory": str(travail / ".duckdb_tmp"),
            "threads": reglages.fils or os.cpu_count(),
        }
    )
    # DuckDB measures its progress (read by the progress lines of each model), and prints nothing itself
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    return con


def _valeurs(lake: Path, annee_lake: int, v: dict[str, object], vides: Path) -> dict[str, object]:
    """The variables ``v`` of the models with the lake tables of ``annee_lake`` (an empty file for a table
    its extract lacks, and for the claims of N−1 until the caller binds them)."""
    valeurs = v | {"ref_IR_NAT_V": str(NOMENCLATURES / "IR_NAT_V.csv")}
    source = dossier_annee(lake, annee_lake)
    for t in tables_du_lake():
        f = source / f"{t}.parquet"
        valeurs[f"t_{t}"] = str(f if f.exists() else _table_vide(t, vides))
    valeurs[f"t_{ANNEE_PRECEDENTE}"] = str(_table_vide("ER_PRS_F", vides / "precedente"))
    return valeurs


def _lier(con: duckdb.DuckDBPyConnection, valeurs: dict[str, object]) -> None:
    for nom, v in valeurs.items():
        con.execute("SET VARIABLE " + nom + " = ?", [v])  # names are ours (transforms/modeles.py)


def cle_gardee(lake: Path, nom: str, annee_lake: int, v: dict[str, object]) -> str:
    """The inputs of the kept model ``nom`` of lake year ``annee_lake``: that year's ingest, the values of the
    variables it reads (``v``: those of the run that asks for it, its year set to ``annee_lake``), its code
    and the code of the models it reads, the nomenclatures, and DuckDB's version (its patient key is DuckDB's
    ``hash``)."""
    modeles_sql = catalogue()
    noms = ordre([nom])
    v = de_l_annee(v, annee_lake)
    texte = json.dumps(
        {
            "modele": nom,
            "annee": annee_lake,
            "ingest": _empreinte_annee(lake, annee_lake),
            "variables": {k: v[k] for k in sorted(variables_lues(nom)) if k in v},
            "code": [modeles_sql[m].texte for m in noms],
            "nomenclatures": {f.name: sha256_fichier(f) for f in sorted(NOMENCLATURES.glob("*.csv"))},
            "duckdb": duckdb.__version__,
        },
        default=str,
        sort_keys=True,
    )
    return hashlib.sha256(texte.encode()).hexdigest()[:24]


def _empreinte_annee(lake: Path, annee: int) -> str:
    """What identifies a lake year's content: its ingest report (a new ingest, a new report); for a lake
    written without the ingest (a test's), the size and time of its files."""
    d = dossier_annee(lake, annee)
    if (d / "ingest.json").exists():
        return sha256_fichier(d / "ingest.json")
    return json.dumps([(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(d.glob("*.parquet"))])


def chemin_garde(lake: Path, nom: str, annee_lake: int, v: dict[str, object]) -> Path:
    """Where the lake keeps model ``nom`` of lake year ``annee_lake`` for a run of variables ``v``
    (``derives/<nom>/annee=<year>-<key>.parquet``); the file exists once it has been computed."""
    return fichier_garde(lake, nom, annee_lake, cle_gardee(lake, nom, annee_lake, v))


def table_gardee(reglages: Reglages, nom: str, annee_lake: int, v: dict[str, object], travail: Path) -> Path:
    """The kept model ``nom`` of lake year ``annee_lake`` under the variables ``v``: read where the lake keeps
    it (``chemin_garde``), else computed from that year's tables and kept."""
    lake, annee = reglages.lake, v["annee"]
    v = de_l_annee(v, annee_lake)
    cible = chemin_garde(lake, nom, annee_lake, v)
    if cible.exists():
        reglages.journal(f"models of {annee}: {nom} of {annee_lake} read back from the lake ({cible.name})")
        return cible
    travail = travail / f".{nom}-{annee_lake}"
    vides = travail / ".vides"
    con = _connexion(reglages, travail)
    try:
        valeurs = _valeurs(lake, annee_lake, v, vides)
        _lier(con, valeurs)
        for m in ordre([nom]):
            if m != nom:
                con.sql(catalogue()[m].texte).create_view(m)  # staging views only (checked by the catalogue)
        libelle = f"models of {annee}: {nom} of the claims of {annee_lake} (kept in the lake)"
        cible.parent.mkdir(parents=True, exist_ok=True)
        tmp = cible.with_name(f".{cible.name}.{uuid.uuid4().hex[:8]}")
        with etape(reglages.journal, libelle, sonde=lambda: _avancement(con)) as e:
            t0 = time.perf_counter()
            con.sql(catalogue()[nom].texte).write_parquet(str(tmp), compression="zstd")
            n = pq.ParquetFile(tmp).metadata.num_rows
            lus = sum(pq.ParquetFile(valeurs[f"t_{t}"]).metadata.num_rows for t in tables_lues(nom))
            e["fin"] = _mesure(n, lus, time.perf_counter() - t0)
        os.replace(tmp, cible)
        return cible
    finally:
        con.close()
        shutil.rmtree(travail, ignore_errors=True)


def _mesure(n: int, lus: int, dt: float) -> str:
    pic = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB
    return (
        f", {n:,} rows (input tables {lus:,} lake rows, {lus / max(dt, 1e-3):,.0f} rows/s; "
        f"peak RSS so far {pic:.2f} GiB)"
    )


@contextlib.contextmanager
def session_modeles(
    reglages: Reglages,
    annee: int,
    p: JeuParametres,
    travail: Path,
    cibles: tuple[str, ...] = SORTIES_MODELES,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB session in which the models ``cibles`` of year N, and every model they read, have run, each
    after the models it reads (staging models as views, kept models as views of the files the lake keeps,
    the others as tables)."""
    lake, log = reglages.lake, reglages.journal
    modeles_sql = catalogue()
    vides = travail / ".vides"
    vides.mkdir(parents=True, exist_ok=True)
    v = variables(p, annee)
    valeurs = _valeurs(lake, annee, v, vides)
    besoins = besoin_annee_precedente(v)
    if besoins:  # patients not seen in N−1 (forfait médecin traitant from 2026), fees of 2019 (DIPA 2020)
        if not (lake / f"annee={annee - 1}" / "ER_PRS_F.parquet").exists():
            regles = [r for r, _ in besoins]
            raise ErreurRun(
                f"{' and '.join(regles)} of {annee} {'need' if len(regles) > 1 else 'needs'} "
                f"the claims of {annee - 1}: year {annee - 1} is not in the lake {lake}; ingest it first "
                f"(forfaits ingest --extract DIR --year {annee - 1} --lake {lake})"
            )
        if any(lu == ANNEE_PRECEDENTE for _, lu in besoins):
            valeurs[f"t_{ANNEE_PRECEDENTE}"] = str(lake / f"annee={annee - 1}" / "ER_PRS_F.parquet")
    con = _connexion(reglages, travail)
    try:
        _lier(con, valeurs)
        lignes = {k[2:]: pq.ParquetFile(x).metadata.num_rows for k, x in valeurs.items() if k[:2] == "t_"}
        a_stocker = [m for m in ordre(cibles) if not (modeles_sql[m].est_vue or modeles_sql[m].garde)]
        for m in ordre(cibles):
            modele = modeles_sql[m]
            if modele.est_vue:  # read where it is used: DuckDB pushes projections and filters into the files
                con.sql(modele.texte).create_view(m)
                continue
            if modele.garde:
                f = table_gardee(reglages, m, annee, v, travail)
                con.read_parquet(str(f)).create_view(m)
                continue
            for k in modele.lit_prec:  # the kept model of N−1, or none of its rows when no rule of N reads it
                if any(lu == k for _, lu in besoins):
                    f = table_gardee(reglages, k, annee - 1, v, travail)
                    con.read_parquet(str(f)).create_view(k + SUFFIXE_PREC)
                else:
                    con.table(k).filter("false").create_view(k + SUFFIXE_PREC)
            libelle = f"models of {annee}: {m} ({a_stocker.index(m) + 1}/{len(a_stocker)})"
            with etape(log, libelle, sonde=lambda: _avancement(con)) as e:
                t0 = time.perf_counter()
                con.sql(modele.texte).to_table(m)
                n = con.table(m).aggregate("count(*)").fetchall()[0][0]
                # rows of the lake tables it reads (a model not in force for N filters them all out early)
                e["fin"] = _mesure(n, sum(lignes[t] for t in tables_lues(m)), time.perf_counter() - t0)
        yield con
    finally:
        con.close()
        shutil.rmtree(vides, ignore_errors=True)
        shutil.rmtree(travail / ".duckdb_tmp", ignore_errors=True)


def borne_lecture(reglages: Reglages, annee: int, p: JeuParametres, nom: str, travail: Path) -> dict:
    """The lower bound of model ``nom`` of year N: the time DuckDB takes just to read, from the lake's tables,
    the columns its plan reads (``max`` of each: the lake's files carry no min/max statistics, so every value
    is decoded); what it reads of other models is not counted. Returns the seconds, the rows and the columns
    read per table."""
    vides = travail / ".vides-borne"
    modeles_sql = catalogue()
    valeurs = _valeurs(reglages.lake, annee, variables(p, annee), vides)
    con = _connexion(reglages, travail)
    try:
        _lier(con, valeurs)
        for m in ordre([nom])[:-1]:  # what it reads, planned but not computed
            texte = modeles_sql[m].texte
            if modeles_sql[m].est_vue:
                con.sql(texte).create_view(m)
            else:
                con.sql(texte).limit(0).to_table(m)
        for k in modeles_sql[nom].lit_prec:
            con.table(k).create_view(k + SUFFIXE_PREC)
        plan = json.loads(con.sql("EXPLAIN (FORMAT json) " + modeles_sql[nom].texte).fetchall()[0][1])
        lectures: dict[str, set[str]] = {}
        schemas = {t: set(pq.read_schema(valeurs[f"t_{t}"]).names) for t in tables_lues(nom)}
        for scan in _noeuds(plan, "READ_PARQUET"):  # which table: the one that has every column it names
            info = scan.get("extra_info", {})
            filtres = set(re.findall(r"\b[A-Z][A-Z0-9_]+\b", json.dumps(info.get("Filters", ""))))
            projections = info.get("Projections", [])  # a string when the scan reads one column
            cols = set([projections] if isinstance(projections, str) else projections)
            cols |= filtres & set().union(*schemas.values())
            table = next(t for t, noms in schemas.items() if cols <= noms)
            lectures.setdefault(table, set()).update(cols)
        t0, lignes = time.perf_counter(), 0
        for table, cols in sorted(lectures.items()):
            lue = con.read_parquet(valeurs[f"t_{table}"]).aggregate(
                ", ".join(f"max({c})" for c in sorted(cols))
            )
            lue.fetchall()
            lignes += pq.ParquetFile(valeurs[f"t_{table}"]).metadata.num_rows
        return {
            "secondes": time.perf_counter() - t0,
            "lignes": lignes,
            "colonnes": {t: sorted(c) for t, c in lectures.items()},
        }
    finally:
        con.close()
        shutil.rmtree(vides, ignore_errors=True)
        shutil.rmtree(travail / ".duckdb_tmp", ignore_errors=True)


def _noeuds(plan, nom: str) -> Iterator[dict]:
    for n in plan if isinstance(plan, list) else [plan]:
        if n.get("name") == nom:
            yield n
        yield from _noeuds(n.get("children", []), nom)


def _avancement(con: duckdb.DuckDBPyConnection) -> str | None:
    """DuckDB's progress of the query running on ``con`` (asked from the progress thread)."""
    try:
        p = con.query_progress()
    except duckdb.Error:
        return None
    return f"{p:.0f} %" if p >= 0 else None


def calculer_modeles(
    reglages: Reglages,
    annee: int,
    p: JeuParametres,
    travail: Path,
    sorties: tuple[str, ...] = SORTIES_MODELES,
) -> dict[str, Path]:
    """Run the DuckDB models of year N that ``sorties`` need and write ``sorties`` to ``travail``."""
    with session_modeles(reglages, annee, p, travail, sorties) as con:
        ecrits = {}
        for m in sorties:
            ecrits[m] = travail / f"{m}.parquet"
            con.table(m).write_parquet(str(ecrits[m]))
        return ecrits


def empreinte_code() -> str:
    """sha256 of the DuckDB models and of the module that binds their variables (the models' code version)."""
    h = hashlib.sha256()
    for f in [*sorted(DOSSIER_SQL.rglob("*.sql")), Path(transforms_modeles.__file__)]:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def cle_modeles(lake: Path, annee: int, p: JeuParametres) -> str:
    """The models' inputs: the ingests read (N, and N−1 when the grid needs it), their variables, code."""
    v = variables(p, annee)
    ingests = [sha256_fichier(dossier_annee(lake, annee) / "ingest.json")]
    prec = Path(lake) / f"annee={annee - 1}" / "ingest.json"
    if besoin_annee_precedente(v) and prec.exists():
        ingests.append(sha256_fichier(prec))
    texte = json.dumps(
        {"annee": annee, "ingests": ingests, "variables": v, "code": empreinte_code()}, default=str
    )
    return hashlib.sha256(texte.encode()).hexdigest()[:24]


def modeles(reglages: Reglages, annee: int, p: JeuParametres) -> dict[str, Path]:
    """The models of year N, persisted in the lake under the key of their inputs (``cle_modeles``): a run
    after a crash, or on unchanged inputs, reads them back instead of computing them again."""
    cle = cle_modeles(reglages.lake, annee, p)
    cible = dossier_modeles(reglages.lake, annee, cle)
    if not (cible / ".complet").exists():
        tmp = cible.with_name(f".tmp-{cible.name}-{uuid.uuid4().hex[:8]}")
        try:
            calculer_modeles(reglages, annee, p, tmp)
            (tmp / ".complet").write_text(cle, encoding="utf-8")
            shutil.rmtree(cible, ignore_errors=True)
            publier_dossier(tmp, cible)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    else:
        reglages.journal(f"models of {annee} read back from {cible.name} (inputs unchanged)")
    return {m: cible / f"{m}.parquet" for m in SORTIES_MODELES}


def cle_cache_modeles(contexte, parametres: dict) -> str | None:
    """Prefect cache key of the models task: ``cle_modeles`` while its persisted outputs are complete."""
    lake, annee, p = parametres["reglages"].lake, parametres["annee"], parametres["p"]
    cle = cle_modeles(lake, annee, p)
    return cle if (dossier_modeles(lake, annee, cle) / ".complet").exists() else None
