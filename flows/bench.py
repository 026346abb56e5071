"""`make bench`: wall time, rows per second and peak memory of the ingest and of the annual run at a scale.

Extracts of 2021 (the assistant aid's reference), 2024 (N−1 of the forfait médecin traitant of 2026) and 2025
are generated once per (scale, format) under data/bench/ and reused; 2021 and 2024 are ingested once into the
benchmark's lake. Measured: the ingest of 2025, the annual run of 2025, and the seed 004 reform simulated on
2024 (the forfait médecin traitant under the 2024–2025 grid: mean per doctor paid, cost against the
envelope). Each measure runs in its own process so that its peak resident memory is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from flows.generation import generer
from flows.parametres_io import charger_parametres

ANNEE = 2025
PREALABLES = (2021, 2024)  # read by the run of 2025 (reference distribution, N−1)
ENFANT = """
import json, sys, time
from flows.ingest import ingerer
t = time.perf_counter()
r = ingerer(sys.argv[1], int(sys.argv[2]), sys.argv[3])
print(json.dumps({"secondes": time.perf_counter() - t, "tables": r["tables"]}, default=str))
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
ENFANT_RUN = """
import json, sys, time
from pathlib import Path
from flows.annual_run import executer
from flows.parametres_io import OVERLAY_ILLUSTRATIF, charger_parametres
from flows.reglages import Reglages
etapes = []
t = time.perf_counter()
lake, annee, out, memoire = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
p = charger_parametres(overlay=OVERLAY_ILLUSTRATIF)  # synthetic data: illustrative DIPA and CPTS values
r = executer(annee, Reglages(lake, out, memoire, journal=etapes.append), parametres=p)
secondes = time.perf_counter() - t
from flows.rapport import rapport
t = time.perf_counter()
rapport(Path(r["dossier"]))  # the sign-off report, built again on its own
rapport_s = time.perf_counter() - t
sortie = {"secondes": secondes, "rapport_secondes": rapport_s, "etapes": etapes, "total": r["total"]}
print(json.dumps(sortie))
"""


def enfant(arguments: list[str]) -> subprocess.CompletedProcess:
    """Run one measured step in its own process; on failure, show the end of its error output and stop."""
    r = subprocess.run(arguments, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"benchmark step failed (exit {r.returncode}):\n{r.stderr[-3000:]}")
    return r


def extrait(racine: Path, echelle: float, fmt: str, annees=(ANNEE,)) -> Path:
    """The folder of the extracts at this scale; the years missing from it are generated."""
    dossier = racine / f"scale-{echelle}" / fmt
    manquantes = [a for a in annees if not (dossier / str(a)).is_dir()]
    if manquantes:
        t = time.perf_counter()
        generer(
            dossier, manquantes, echelle, 42, fmt, charger_parametres(), progression=lambda m: print("   ", m)
        )
        print(f"  generated {fmt} extracts {manquantes} in {time.perf_counter() - t:.0f} s")
    return dossier


def preparer_lake(source: Path, lake: Path) -> None:
    """Ingest the years the run of 2025 reads, once (not measured)."""
    for a in PREALABLES:
        if not (lake / f"annee={a}").exists():
            t = time.perf_counter()
            enfant(
                [sys.executable, "-c", ENFANT, str(source / str(a)), str(a), str(lake)],
            )
            print(f"  ingested {a} (prerequisite, not measured) in {time.perf_counter() - t:.0f} s")


def mesurer(source: Path, lake: Path) -> dict:
    t = time.perf_counter()
    sortie = enfant(
        [sys.executable, "-c", ENFANT, str(source), str(ANNEE), str(lake)],
    )
    mur = time.perf_counter() - t
    pic = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024  # GiB (ru_maxrss in KiB)
    return {"mur": mur, "pic_gib": pic, **json.loads(sortie.stdout.strip().splitlines()[-1])}


def mesurer_simulation(lake: Path, memoire: str) -> dict:
    reforme = Path(__file__).resolve().parents[1] / "data" / "reforms" / "seed004_revalorisation_fmt"
    t = time.perf_counter()
    sortie = enfant(
        [sys.executable, "-c", ENFANT_SIMULATION, str(lake), "2024", str(reforme), memoire],
    )
    mur = time.perf_counter() - t
    pic = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    return {"mur": mur, "pic_gib": pic, **json.loads(sortie.stdout.strip().splitlines()[-1])}


def mesurer_run(lake: Path, out: Path, memoire: str) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    sortie = enfant(
        [sys.executable, "-c", ENFANT_RUN, str(lake), str(ANNEE), str(out), memoire],
    )
    mur = time.perf_counter() - t
    pic = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    shutil.rmtree(out, ignore_errors=True)
    return {"mur": mur, "pic_gib": pic, **json.loads(sortie.stdout.strip().splitlines()[-1])}


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--dir", type=Path, default=Path("data/bench"))
    ap.add_argument("--formats", default="parquet,csv")
    ap.add_argument("--memory", default="8GB", help="DuckDB memory limit of the annual run")
    args = ap.parse_args()
    o = mesurer_surcout(args.dir)
    print(
        f"forfaits run --year 2025 on the demo (models kept, no Prefect server), median of 5: "
        f"{o['mur']:.2f} s wall, {o['travail']:.2f} s of run, overhead {o['surcout']:.2f} s (goal ≤ 2 s)"
    )
    print(f"benchmark, scale {args.scale}, year {ANNEE}")
    for fmt in args.formats.split(","):
        dossier = extrait(args.dir, args.scale, fmt, (*PREALABLES, ANNEE) if fmt == "parquet" else (ANNEE,))
        lake = args.dir / f"scale-{args.scale}" / f"lake-{fmt}"
        if fmt == "parquet":
            preparer_lake(dossier, lake)
        m = mesurer(dossier / str(ANNEE), lake)
        prs = m["tables"]["ER_PRS_F"]
        lignes = sum(t["lignes_lues"] for t in m["tables"].values() if not t.get("absente"))
        print(
            f"  {fmt:8s} ingest of {ANNEE}, all tables: {lignes:,} rows in {m['mur']:.1f} s wall "
            f"({lignes / m['mur']:,.0f} rows/s); "
            f"ER_PRS_F: {prs['lignes_lues']:,} lines in {prs['secondes']:.1f} s "
            f"({prs['lignes_lues'] / prs['secondes']:,.0f} lines/s); peak RSS so far {m['pic_gib']:.2f} GiB"
        )
        if fmt != "parquet":
            shutil.rmtree(lake, ignore_errors=True)
            continue
        r = mesurer_run(lake, args.dir / "runs", args.memory)
        n = prs["lignes_retenues"]
        print(
            f"  annual run of {ANNEE} (no Prefect): {r['secondes']:.1f} s for {n:,} claim lines "
            f"({n / r['secondes']:,.0f} lines/s), {r['total']['nb_lignes']:,} payment lines; "
            f"peak RSS so far {r['pic_gib']:.2f} GiB"
        )
        for e in r["etapes"]:
            print(f"    {e}")
        print(f"  its sign-off report, built again: {r['rapport_secondes']:.1f} s (goal ≤ 10 s national)")
        s = mesurer_simulation(lake, args.memory)
        print(f"  seed 004 reform on 2024: {s['secondes']:.1f} s; peak RSS so far {s['pic_gib']:.2f} GiB")
        for x in s["dispositifs"]:
            if x["dispositif"] == "FORFAIT_MEDECIN_TRAITANT":
                b, f = x["base"], x["reforme"]
                print(
                    f"    FMT of 2024 (2024–2025 grid): {b['beneficiaires']:,} doctors paid, "
                    f"mean {b['moyenne_centimes'] / 100:,.0f} €, total {b['cout_centimes'] / 100:,.0f} €; "
                    f"reform: total {f['cout_centimes'] / 100:,.0f} € (+{x['ecart_centimes'] / 100:,.0f} €)"
                )
        for v in s["enveloppes"]:
            print(
                f"    envelope {v['enveloppe_centimes'] / 100:,.0f} €: "
                + (
                    "fits"
                    if v["tient_dans_enveloppe"]
                    else f"misses by {v['depassement_centimes'] / 100:,.0f} €"
                )
                + f"; per doctor {v['ecart_par_beneficiaire_centimes'] / 100:,.0f} € against "
                f"{v['enveloppe_par_medecin_centimes'] / 100:,.0f} €: "
                + (
                    "fits"
                    if v["tient_par_medecin"]
                    else f"misses by {v['depassement_par_medecin_centimes'] / 100:,.0f} €"
                )
            )


if __name__ == "__main__":
    main()
