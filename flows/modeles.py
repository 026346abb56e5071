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
from flows.lake import dossier_annee, dossier_modeles
from flows.reglages import Reglages
from schemas.sources import TABLES
from transforms import modeles as transforms_modeles
from transforms.modeles import (
    ANNEE_PRECEDENTE,
    DOSSIER_SQL,
    besoin_annee_precedente,
    catalogue,
    ordre,
    tables_du_lake,
    tables_lues,
    variables,
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


@contextlib.contextmanager
def session_modeles(
    reglages: Reglages,
    annee: int,
    p: JeuParametres,
    travail: Path,
    cibles: tuple[str, ...] = SORTIES_MODELES,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB session in which the models ``cibles`` of year N, and every model they read, have run, each
    after the models it reads (staging models as views, the others as tables)."""
    lake, log = reglages.lake, reglages.journal
    modeles_sql = catalogue()
    source = dossier_annee(lake, annee)
    vides = travail / ".vides"
    vides.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={
            "memory_limit": reglages.memoire,
            "temp_directory": str(travail / ".duckdb_tmp"),
            "threads": os.cpu_count(),
        }
    )
    try:
        # DuckDB measures its progress (read by the progress lines of each model), and prints nothing itself
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = false")
        # Keep the join sides the join order optimizer picks: with the lake's few statistics, the later swap
        # of build and probe sides made two years of claims the build side of categories_medecin_traitant's
        # semi join on the patientèle MT (19.6 s against 12.0 s at scale 0.1, docs/decisions.md)
        con.execute("SET disabled_optimizers = 'build_side_probe_side'")
        valeurs = variables(p, annee) | {
            "ref_IR_NAT_V": str(NOMENCLATURES / "IR_NAT_V.csv"),
            "percentiles_seulement": set(cibles) <= set(REFERENCE),  # int_activite reads fewer lines
        }
        for t in tables_du_lake():
            f = source / f"{t}.parquet"
            valeurs[f"t_{t}"] = str(f if f.exists() else _table_vide(t, vides))
        valeurs[f"t_{ANNEE_PRECEDENTE}"] = str(_table_vide("ER_PRS_F", vides / "precedente"))
        besoins = besoin_annee_precedente(valeurs)
        if besoins:  # patients not seen in N−1 (forfait médecin traitant from 2026), fees of 2019 (DIPA 2020)
            prec = lake / f"annee={annee - 1}" / "ER_PRS_F.parquet"
            if not prec.exists():
                raise ErreurRun(
                    f"{' and '.join(besoins)} of {annee} {'need' if len(besoins) > 1 else 'needs'} "
                    f"the claims of {annee - 1}: year {annee - 1} is not in the lake {lake}; ingest it first "
                    f"(forfaits ingest --extract DIR --year {annee - 1} --lake {lake})"
                )
            valeurs[f"t_{ANNEE_PRECEDENTE}"] = str(prec)
        for nom, v in valeurs.items():
            con.execute("SET VARIABLE " + nom + " = ?", [v])  # names are ours (transforms/modeles.py)
        lignes = {k[2:]: pq.ParquetFile(v).metadata.num_rows for k, v in valeurs.items() if k[:2] == "t_"}
        a_stocker = [m for m in ordre(cibles) if not modeles_sql[m].est_vue]
        for m in ordre(cibles):
            modele = modeles_sql[m]
            if modele.est_vue:  # read where it is used: DuckDB pushes projections and filters into the files
                con.sql(modele.texte).create_view(m)
                continue
            libelle = f"models of {annee}: {m} ({a_stocker.index(m) + 1}/{len(a_stocker)})"
            with etape(log, libelle, sonde=lambda: _avancement(con)) as e:
                t0 = time.perf_counter()
                con.sql(modele.texte).to_table(m)
                n = con.table(m).aggregate("count(*)").fetchall()[0][0]
                dt = time.perf_counter() - t0
                # rows of the lake tables it reads (a model not in force for N filters them all out early)
                lus = sum(lignes[t] for t in tables_lues(m))
                pic = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB
                e["fin"] = (
                    f", {n:,} rows (input tables {lus:,} lake rows, {lus / max(dt, 1e-3):,.0f} rows/s; "
                    f"peak RSS so far {pic:.2f} GiB)"
                )
        yield con
    finally:
        con.close()
        shutil.rmtree(vides, ignore_errors=True)
        shutil.rmtree(travail / ".duckdb_tmp", ignore_errors=True)


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
