"""`make bench`: wall time, rows per second and peak memory of the ingest and of the annual run at a scale.

Extracts are generated once per (scale, format) under data/bench/ and reused. Each ingest runs in its own
process so that its peak resident memory (getrusage of the child) is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from flows.generation import generer
from flows.parametres_io import charger_parametres

ANNEE = 2025
ENFANT = """
import json, sys, time
from flows.ingest import ingerer
t = time.perf_counter()
r = ingerer(sys.argv[1], int(sys.argv[2]), sys.argv[3])
print(json.dumps({"secondes": time.perf_counter() - t, "tables": r["tables"]}, default=str))
"""
ENFANT_RUN = """
import json, sys, time
from pathlib import Path
from flows.annual_run import executer
etapes = []
t = time.perf_counter()
lake, annee, out, memoire = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
r = executer(annee, lake, out, memoire=memoire, journal=etapes.append)
print(json.dumps({"secondes": time.perf_counter() - t, "etapes": etapes, "total": r["total"]}))
"""


def extrait(racine: Path, echelle: float, fmt: str) -> Path:
    dossier = racine / f"scale-{echelle}" / fmt
    if not (dossier / str(ANNEE)).is_dir():
        t = time.perf_counter()
        generer(
            dossier, [ANNEE], echelle, 42, fmt, charger_parametres(), progression=lambda m: print("   ", m)
        )
        print(f"  generated {fmt} extract in {time.perf_counter() - t:.0f} s")
    return dossier / str(ANNEE)


def mesurer(source: Path, lake: Path, garder: bool = False) -> dict:
    shutil.rmtree(lake, ignore_errors=True)
    t = time.perf_counter()
    sortie = subprocess.run(
        [sys.executable, "-c", ENFANT, str(source), str(ANNEE), str(lake)],
        check=True,
        capture_output=True,
        text=True,
    )
    mur = time.perf_counter() - t
    pic = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024  # GiB (ru_maxrss in KiB)
    r = json.loads(sortie.stdout.strip().splitlines()[-1])
    if not garder:
        shutil.rmtree(lake, ignore_errors=True)
    return {"mur": mur, "pic_gib": pic, **r}


def mesurer_run(lake: Path, out: Path, memoire: str) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    sortie = subprocess.run(
        [sys.executable, "-c", ENFANT_RUN, str(lake), str(ANNEE), str(out), memoire],
        check=True,
        capture_output=True,
        text=True,
    )
    mur = time.perf_counter() - t
    pic = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    shutil.rmtree(out, ignore_errors=True)
    return {"mur": mur, "pic_gib": pic, **json.loads(sortie.stdout.strip().splitlines()[-1])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--dir", type=Path, default=Path("data/bench"))
    ap.add_argument("--formats", default="parquet,csv")
    ap.add_argument("--memory", default="8GB", help="DuckDB memory limit of the annual run")
    args = ap.parse_args()
    print(f"benchmark, scale {args.scale}, year {ANNEE}")
    for fmt in args.formats.split(","):
        source = extrait(args.dir, args.scale, fmt)
        m = mesurer(source, args.dir / "lake", garder=fmt == "parquet")
        prs = m["tables"]["ER_PRS_F"]
        lignes = sum(t["lignes_lues"] for t in m["tables"].values() if not t.get("absente"))
        print(
            f"  {fmt:8s} all tables: {lignes:,} rows in {m['mur']:.1f} s wall "
            f"({lignes / m['mur']:,.0f} rows/s); "
            f"ER_PRS_F: {prs['lignes_lues']:,} lines in {prs['secondes']:.1f} s "
            f"({prs['lignes_lues'] / prs['secondes']:,.0f} lines/s); peak RSS so far {m['pic_gib']:.2f} GiB"
        )
        if fmt == "parquet":
            r = mesurer_run(args.dir / "lake", args.dir / "runs", args.memory)
            n = prs["lignes_retenues"]
            print(
                f"  annual run (no Prefect): {r['secondes']:.1f} s for {n:,} claim lines "
                f"({n / r['secondes']:,.0f} lines/s), {r['total']['nb_lignes']:,} payment lines; "
                f"peak RSS so far {r['pic_gib']:.2f} GiB"
            )
            for e in r["etapes"]:
                print(f"    {e}")
            shutil.rmtree(args.dir / "lake", ignore_errors=True)


if __name__ == "__main__":
    main()
