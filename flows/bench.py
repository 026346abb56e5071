"""`make bench`: wall time, rows per second and peak memory of the ingest and of the annual run at a scale.

Extracts of 2021 (the assistant aid's reference), 2024 (N−1 of the forfait médecin traitant of 2026) and 2025
are generated once per (scale, format) under data/bench/ and reused. The benchmark's lake holds 2021 and 2024
as the years before leave it: ingested, and 2024 run once (which keeps the netted claims of 2024 and the
percentiles of 2021 in the lake). Measured, each command in its own process, the memory of its whole process
tree sampled: year 2025 from its Parquet extract, then from its gzip CSV extract, to the published file
(``forfaits ingest``, then ``forfaits run --publish``, on the same lake), the heaviest model of each run
against its lower bound (DuckDB just reading the columns it reads, measured right after on the same lake),
and the seed 004 reform simulated on 2024 (the forfait médecin traitant under the 2024–2025 grid: mean per
doctor paid, cost against the envelope).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

from flows.generation import generer
from flows.modeles import chemin_garde
from flows.parametres_io import charger_parametres
from flows.reglages import MEMOIRE_PAR_DEFAUT
from transforms.modeles import variables

ANNEE = 2025
PREALABLES = (2021, 2024)  # read by the run of 2025 (reference distribution, N−1)
RACINE = Path(__file__).resolve().parents[1]
OVERLAY = RACINE / "data" / "overlays" / "illustratif"  # synthetic data: illustrative DIPA and CPTS values
FORFAITS = Path(sys.executable).parent / "forfaits"
ENFANT_BORNE = """
import json, sys
from pathlib import Path
from flows.modeles import borne_lecture
from flows.parametres_io import OVERLAY_ILLUSTRATIF, charger_parametres
from flows.reglages import Reglages
lake, annee, modele, memoire, travail = sys.argv[1:]
p = charger_parametres(overlay=OVERLAY_ILLUSTRATIF)
r = borne_lecture(Reglages(Path(lake), memoire=memoire), int(annee), p, modele, Path(travail))
print(json.dumps(r))
"""
ENFANT_SIMULATION = """
import json, sys, time
from pathlib import Path
from flows.parametres_io import OVERLAY_ILLUSTRATIF
from flows.reglages import Reglages
from flows.simulate import simuler
t = time.perf_counter()
reglages = Reglages(Path(sys.argv[1]), memoire=sys.argv[4])
r = simuler(int(sys.argv[2]), reglages, Path(sys.argv[3]), overlay=OVERLAY_ILLUSTRATIF)
print(json.dumps({"secondes": time.perf_counter() - t, **r}))
"""
MODELE_FINI = re.compile(r"models of \d+: (\w+)(?: of the claims of (\d+))?.*: done in ([\d.]+) s")


def enfant(arguments: list[str]) -> dict:
    """Run one measured command in its own process, sampling the resident memory of its whole process tree
    every 0.1 s; on failure, show the end of its error output and stop. Returns its wall time, the tree's
    peak (GiB) and the last line of its standard output, read as JSON."""
    debut = time.perf_counter()
    proc = psutil.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pic, workers, vus = 0, {}, set()
    with ThreadPoolExecutor(max_workers=2) as lecteurs:
        sortie, erreurs = lecteurs.submit(proc.stdout.read), lecteurs.submit(proc.stderr.read)
        while proc.poll() is None:
            try:
                arbre = [proc, *proc.children(recursive=True)]
                tailles = {p.pid: p.memory_info().rss for p in arbre}
                pic = max(pic, sum(tailles.values()))
                for p in arbre:  # a local Dask cluster's workers: processes spawned by multiprocessing
                    if p.pid not in vus:
                        vus.add(p.pid)
                        if "spawn_main" in " ".join(p.cmdline()):
                            workers[p.pid] = 0
                    if p.pid in workers:
                        workers[p.pid] = max(workers[p.pid], tailles[p.pid])
            except psutil.Error:
                pass  # a process of the tree ended between the listing and the reading
            time.sleep(0.1)
        texte, err = sortie.result(), erreurs.result()
    if proc.returncode != 0:
        sys.exit(f"benchmark step failed (exit {proc.returncode}):\n{err[-3000:]}\n{texte[-3000:]}")
    lignes = texte.strip().splitlines()
    return {
        "mur": time.perf_counter() - debut,
        "pic_gib": pic / 2**30,
        "pic_worker_gib": max(workers.values(), default=0) / 2**30,
        "workers": len(workers),
        "resultat": json.loads(lignes[-1]) if lignes else {},
    }


def extrait(racine: Path, echelle: float, fmt: str, annees=(ANNEE,)) -> Path:
    """The folder of the extracts at this scale; the years missing from it are generated."""
    dossier = racine / f"scale-{echelle:g}" / fmt
    manquantes = [a for a in annees if not (dossier / str(a)).is_dir()]
    if manquantes:
        t = time.perf_counter()
        generer(
            dossier, manquantes, echelle, 42, fmt, charger_parametres(), progression=lambda m: print("   ", m)
        )
        print(f"  generated {fmt} extracts {manquantes} in {time.perf_counter() - t:.0f} s")
    return dossier


def ingest(source: Path, annee: int, lake: Path) -> dict:
    return enfant(
        [str(FORFAITS), "ingest", "--extract", str(source), "--year", str(annee), "--lake", str(lake)]
        + ["--json", "--no-prefect"]
    )


def run(lake: Path, annee: int, sorties: Path, memoire: str, publier: bool, log: Path | None = None) -> dict:
    commande = [
        str(FORFAITS),
        "run",
        "--year",
        str(annee),
        "--lake",
        str(lake),
        "--out",
        str(sorties / "runs"),
    ]
    commande += ["--overlay", str(OVERLAY), "--memory", memoire, "--json", "--no-prefect"]
    if publier:
        commande += ["--publish", "--ledger", str(sorties / "ledger.duckdb")]
        commande += ["--publications", str(sorties / "publications")]
    if log is not None:
        commande += ["--log", str(log)]
    return enfant(commande)


def preparer_lake(source: Path, lake: Path, memoire: str) -> None:
    """The years before 2025 as the annual runs leave them (not measured): 2021 and 2024 ingested, 2024 run
    once (it keeps the netted claims of 2024 and the percentiles of 2021 in the lake)."""
    for a in PREALABLES:
        if not (lake / f"annee={a}").exists():
            t = time.perf_counter()
            ingest(source / str(a), a, lake)
            print(f"  ingested {a} (prerequisite, not measured) in {time.perf_counter() - t:.0f} s")
    # the pairs of 2024 that the run of 2025 reads, under this code's key (a change of their SQL changes it)
    v = variables(charger_parametres(overlay=OVERLAY), ANNEE)
    if not chemin_garde(lake, "int_patients_vus", PREALABLES[-1], v).exists():
        t = time.perf_counter()
        sorties = lake.parent / "runs-prealables"
        run(lake, PREALABLES[-1], sorties, memoire, publier=False)
        shutil.rmtree(sorties, ignore_errors=True)
        print(f"  ran {PREALABLES[-1]} (prerequisite, not measured) in {time.perf_counter() - t:.0f} s")


def mesurer_annee(source: Path, lake: Path, racine: Path, memoire: str) -> dict:
    """Year 2025 from its extract to the published file, then the lower bound of the run's heaviest model."""
    sorties = racine / "annee"
    shutil.rmtree(sorties, ignore_errors=True)
    sorties.mkdir(parents=True)
    i = ingest(source, ANNEE, lake)
    r = run(lake, ANNEE, sorties, memoire, publier=True, log=sorties / "run.log")
    modeles = [
        (m.group(1), int(m.group(2) or ANNEE), float(m.group(3)))
        for m in map(MODELE_FINI.search, (sorties / "run.log").read_text(encoding="utf-8").splitlines())
        if m
    ]
    nom, annee_lake, secondes = max(modeles, key=lambda x: x[2])
    b = enfant(
        [sys.executable, "-c", ENFANT_BORNE, str(lake), str(annee_lake), nom, memoire, str(sorties / "borne")]
    )
    rapport = enfant([str(FORFAITS), "report", "--run", r["resultat"]["dossier"], "--json"])
    shutil.rmtree(sorties, ignore_errors=True)
    return {
        "ingest": i,
        "run": r,
        "modeles": modeles,
        "lourd": (nom, annee_lake, secondes),
        "borne": b,
        "rapport": rapport,
    }


OBJECTIFS = {"parquet": ("Parquet", 300), "csv": ("gzip CSV", 420)}  # issue 20: extract to published file, s


def afficher_annee(m: dict, fmt: str = "parquet") -> None:
    i, r, b = m["ingest"], m["run"], m["borne"]["resultat"]
    nom_format, objectif = OBJECTIFS[fmt]
    tables = i["resultat"]["tables"]
    prs = tables["ER_PRS_F"]
    lignes = sum(t["lignes_lues"] for t in tables.values() if not t.get("absente"))
    pub = r["resultat"]["publication"]
    run_s = r["mur"] - pub["secondes"]
    total = i["mur"] + r["mur"]
    nom, annee_lake, secondes = m["lourd"]
    print(
        f"  year {ANNEE} from its {nom_format} extract to the published file "
        f"(goal ≤ {objectif} s, ≤ 8 GB = 7.45 GiB; run ≤ 180 s):"
    )
    print(
        f"    ingest   {i['mur']:6.1f} s  {lignes:,} rows; ER_PRS_F {prs['lignes_lues']:,} lines in "
        f"{prs['secondes']:.1f} s ({prs['lignes_lues'] / prs['secondes']:,.0f} lines/s); "
        f"peak of the process tree {i['pic_gib']:.2f} GiB"
    )
    print(
        f"    run      {run_s:6.1f} s  {r['resultat']['total']['nb_lignes']:,} payment lines "
        f"({r['resultat']['secondes']:.1f} s inside the command); "
        f"peak of the process tree {r['pic_gib']:.2f} GiB"
    )
    print(f"    publish  {pub['secondes']:6.1f} s  {pub['total']['nb_lignes']:,} lines in the ledger")
    print(f"    total    {total:6.1f} s  peak {max(i['pic_gib'], r['pic_gib']):.2f} GiB")
    for n, a, s in m["modeles"]:
        print(f"      model {n}{f' of {a}' if a != ANNEE else ''}: {s:.1f} s")
    cols = sum(len(c) for c in b["colonnes"].values())
    print(
        f"    the run's sign-off report, built again (forfaits report): {m['rapport']['mur']:.1f} s "
        "(goal ≤ 10 s)"
    )
    print(
        f"    heaviest model: {nom} of {annee_lake}, {secondes:.1f} s; lower bound (DuckDB reading its "
        f"{cols} columns, {b['lignes']:,} rows of {', '.join(b['colonnes'])}): {b['secondes']:.1f} s; "
        f"ratio {secondes / b['secondes']:.2f}× (goal ≤ 3×)"
    )


def mesurer_simulation(lake: Path, memoire: str) -> dict:
    reforme = RACINE / "data" / "reforms" / "seed004_revalorisation_fmt"
    return enfant([sys.executable, "-c", ENFANT_SIMULATION, str(lake), "2024", str(reforme), memoire])


def mesurer_surcout(racine: Path, essais: int = 5) -> dict:
    """What `forfaits run` costs around its computation on the demo's year 2025 (models kept in the lake):
    the process's wall time minus the time the run itself reports, without a Prefect server."""
    demo = racine / "demo"
    if not (demo / "lake" / "annee=2025").exists():
        enfant([sys.executable, "-m", "flows.demo", "--dir", str(demo)])
    forfaits = Path(sys.executable).parent / "forfaits"
    commande = [str(forfaits), "run", "--year", "2025", "--lake", str(demo / "lake"), "--json", "--quiet"]
    commande += ["--out", str(racine / "runs-surcout"), "--overlay", "data/overlays/illustratif"]
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    mesures = []
    for _ in range(essais + 1):  # the first one warms the caches
        t = time.perf_counter()
        r = subprocess.run(commande, capture_output=True, text=True, env=env)
        mur = time.perf_counter() - t
        if r.returncode != 0:
            sys.exit(f"forfaits run failed (exit {r.returncode}):\n{r.stderr[-3000:]}")
        mesures.append((mur, json.loads(r.stdout)["secondes"]))
    shutil.rmtree(racine / "runs-surcout", ignore_errors=True)
    murs, travail = sorted(m for m, _ in mesures[1:]), sorted(s for _, s in mesures[1:])
    surcouts = sorted(m - s for m, s in mesures[1:])
    return {
        "mur": murs[len(murs) // 2],
        "travail": travail[len(travail) // 2],
        "surcout": surcouts[len(surcouts) // 2],
    }


ANNEES_BACKFILL = (2023, 2024, 2025)
MEMOIRE_BACKFILL = "3GB"  # per year: a local cluster of two workers on this machine (flows/grappe.py)


def mesurer_backfill(racine: Path, echelle: float) -> dict:
    """A 3-year backfill (ingests and runs of 2023–2025, on a lake holding the 2021 reference) in one process,
    then on a local Dask cluster of two workers: wall time, peaks, and whether their payment files are the
    same bytes."""
    source = extrait(racine, echelle, "parquet", (2021, *ANNEES_BACKFILL))
    d = racine / f"scale-{echelle:g}"
    base = d / "lake-backfill"
    if not (base / "annee=2021").exists():
        ingest(source / "2021", 2021, base)
    mesures = {}
    for nom, extra in (("sequential", []), ("two workers", ["--cluster", "local"])):
        essai = d / "backfill-essai"
        shutil.rmtree(essai, ignore_errors=True)
        shutil.copytree(base, essai / "lake", symlinks=True)
        annees = f"{ANNEES_BACKFILL[0]}-{ANNEES_BACKFILL[-1]}"
        m = enfant(
            [
                str(FORFAITS),
                "backfill",
                "--years",
                annees,
                "--extracts",
                str(source),
                "--lake",
                str(essai / "lake"),
            ]
            + [
                "--out",
                str(essai / "runs"),
                "--overlay",
                str(OVERLAY),
                "--memory",
                MEMOIRE_BACKFILL,
                "--json",
            ]
            + extra
        )
        m["empreintes"] = {
            f"{r.name.split('-')[0]}/{f}": hashlib.sha256((r / f).read_bytes()).hexdigest()
            for r in sorted((essai / "runs").glob("20*"))
            for f in ("paiements.parquet", "paiements.csv", "justificatifs.parquet")
        }
        mesures[nom] = m
        shutil.rmtree(essai, ignore_errors=True)
    return mesures


def afficher_backfill(m: dict) -> None:
    s, r = m["sequential"], m["two workers"]
    print(
        f"  backfill of {ANNEES_BACKFILL[0]}–{ANNEES_BACKFILL[-1]} (3 ingests, 3 runs), "
        f"--memory {MEMOIRE_BACKFILL}:"
    )
    print(f"    one process: {s['mur']:.1f} s wall, peak of the process tree {s['pic_gib']:.2f} GiB")
    print(
        f"    local Dask cluster ({r['workers']} workers): {r['mur']:.1f} s wall, peak of the process tree "
        f"{r['pic_gib']:.2f} GiB, peak per worker {r['pic_worker_gib']:.2f} GiB; speed-up "
        f"{s['mur'] / r['mur']:.2f}×; payment files identical: {s['empreintes'] == r['empreintes']}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--dir", type=Path, default=Path("data/bench"))
    ap.add_argument("--formats", default="parquet,csv")
    ap.add_argument("--memory", default=MEMOIRE_PAR_DEFAUT, help="DuckDB memory limit of the annual run")
    ap.add_argument(
        "--sans-surcout", action="store_true", help="skip the overhead of forfaits run on the demo"
    )
    ap.add_argument(
        "--backfill", action="store_true", help="only the 3-year backfill, sequential and on Dask"
    )
    args = ap.parse_args()
    if not args.sans_surcout:
        o = mesurer_surcout(args.dir)
        print(
            f"forfaits run --year 2025 on the demo (models kept, no Prefect server), median of 5: "
            f"{o['mur']:.2f} s wall, {o['travail']:.2f} s of run, overhead {o['surcout']:.2f} s (goal ≤ 2 s)"
        )
    if args.backfill or args.scale <= 0.1:
        print(f"benchmark, scale {args.scale:g}, backfill")
        afficher_backfill(mesurer_backfill(args.dir, args.scale))
        if args.backfill:
            return
    print(f"benchmark, scale {args.scale:g}, year {ANNEE}")
    racine = args.dir / f"scale-{args.scale:g}"
    lake = racine / "lake-parquet"  # the years before come from the Parquet extract, whatever 2025's format
    preparer_lake(extrait(args.dir, args.scale, "parquet", PREALABLES), lake, args.memory)
    for fmt in args.formats.split(","):
        dossier = extrait(args.dir, args.scale, fmt, (ANNEE,))
        afficher_annee(mesurer_annee(dossier / str(ANNEE), lake, racine, args.memory), fmt)
    s = mesurer_simulation(lake, args.memory)
    r = s["resultat"]
    print(
        f"  seed 004 reform on 2024: {r['secondes']:.1f} s; peak of the process tree {s['pic_gib']:.2f} GiB"
    )
    for x in r["dispositifs"]:
        if x["dispositif"] == "FORFAIT_MEDECIN_TRAITANT":
            b, f = x["base"], x["reforme"]
            print(
                f"    FMT of 2024 (2024–2025 grid): {b['beneficiaires']:,} doctors paid, "
                f"mean {b['moyenne_centimes'] / 100:,.0f} €, total {b['cout_centimes'] / 100:,.0f} €; "
                f"reform: total {f['cout_centimes'] / 100:,.0f} € (+{x['ecart_centimes'] / 100:,.0f} €)"
            )
    for v in r["enveloppes"]:
        tient = "fits" if v["tient_dans_enveloppe"] else f"misses by {v['depassement_centimes'] / 100:,.0f} €"
        par = (
            "fits"
            if v["tient_par_medecin"]
            else f"misses by {v['depassement_par_medecin_centimes'] / 100:,.0f} €"
        )
        print(
            f"    envelope {v['enveloppe_centimes'] / 100:,.0f} €: {tient}; per doctor "
            f"{v['ecart_par_beneficiaire_centimes'] / 100:,.0f} € against "
            f"{v['enveloppe_par_medecin_centimes'] / 100:,.0f} €: {par}"
        )


if __name__ == "__main__":
    main()
