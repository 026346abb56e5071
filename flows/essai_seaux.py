"""Trial of a year split by doctor buckets (docs/distribution.md): ``python -m flows.essai_seaux --lake DIR``.

A year that would not fit one worker can be cut by doctor: every row of year N that belongs to a doctor goes
to the bucket of the hash of his main cabinet (``STA_PFS_NUM``), the patients' tables are cut to the
patients his bucket's claims and declarations name, and the CPTS go to bucket 0. The only national figures
of a run are the assistant aid's percentiles, read from the reference year's distribution that the lake
keeps (computed once, beside 2021): each bucket is then an ordinary run of N on a small lake, and the
payment file of the year is the union of the buckets'. This trial cuts a lake's year N into K bucket lakes,
runs ``forfaits run`` on each, one after the other (as K workers would, in parallel), and compares the
union of their payment lines and justifications with the run of the whole year: time, peak memory,
identical content.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import polars as pl

from flows.bench import FORFAITS, OVERLAY, enfant
from flows.reglages import MEMOIRE_PAR_DEFAUT

PAR_CABINET = {  # table -> its cabinet column (the doctor's rows)
    "ER_PRS_F": "PFS_EXE_NUM",
    "IR_MTT_R": "MTT_PFS_NUM",
    "OPTAM": "PFS_PFS_NUM",
    "SAS_INSCRIPTIONS": "PFS_PFS_NUM",
    "MSU_DECLARATIONS": "PFS_PFS_NUM",
    "ORIENTATIONS_IPA": "PFS_PFS_NUM",
    "CONTRATS_AAM": "PFS_PFS_NUM",
    "DIPA_DECLARATIONS": "PFS_PFS_NUM",
}
PAR_PATIENT = ("IR_BEN_R", "IR_IMB_R", "IR_ORC_R")  # cut to the bucket's patients
PATIENT = ["BEN_NIR_PSA", "BEN_RNG_GEM"]
ENTIERES = ("ZONAGE", "SAS_DEPLOIEMENT")  # small referentials: every bucket has them whole
CPTS = ("CPTS_CONTRATS", "CPTS_MISSIONS")  # not doctors: bucket 0


def decouper(source: Path, annee: int, cible: Path, k: int) -> list[Path]:
    """K bucket lakes of year N (and, in each, the kept reference percentiles of the source lake)."""
    annee_src = source / f"annee={annee}"
    da = pl.read_parquet(annee_src / "DA_PRA_R.parquet")
    da = da.with_columns((pl.col("STA_PFS_NUM").hash(seed=0) % k).alias("__seau"))
    lacs = []
    for b in range(k):
        lac = cible / f"seau-{b}"
        d = lac / f"annee={annee}"
        d.mkdir(parents=True)
        cabinets = da.filter(pl.col("__seau") == b)["PFS_PFS_NUM"].implode()
        da.filter(pl.col("__seau") == b).drop("__seau").write_parquet(d / "DA_PRA_R.parquet")
        patients = []
        for t, col in PAR_CABINET.items():
            f = annee_src / f"{t}.parquet"
            if not f.exists():
                continue
            lf = pl.scan_parquet(f).filter(pl.col(col).is_in(cabinets))
            lf.sink_parquet(d / f"{t}.parquet")
            if "BEN_NIR_PSA" in lf.collect_schema().names():
                patients.append(pl.scan_parquet(d / f"{t}.parquet").select(PATIENT))
        vus = pl.concat(patients).unique().collect()
        for t in PAR_PATIENT:
            pl.scan_parquet(annee_src / f"{t}.parquet").join(vus.lazy(), on=PATIENT, how="semi").sink_parquet(
                d / f"{t}.parquet"
            )
        for t in ENTIERES + CPTS:
            f = annee_src / f"{t}.parquet"
            if f.exists():
                lf = pl.scan_parquet(f)
                (lf if t in ENTIERES or b == 0 else lf.head(0)).sink_parquet(d / f"{t}.parquet")
        shutil.copyfile(annee_src / "ingest.json", d / "ingest.json")
        for a in source.glob("annee=*"):
            if a.name != f"annee={annee}":
                (lac / a.name).symlink_to(a.resolve())
        shutil.copytree(source / "derives" / "percentiles", lac / "derives" / "percentiles")
        lacs.append(lac)
    return lacs


def lancer(lac: Path, annee: int, out: Path, memoire: str) -> dict:
    return enfant(
        [str(FORFAITS), "run", "--year", str(annee), "--lake", str(lac), "--out", str(out), "--overlay"]
        + [str(OVERLAY), "--memory", memoire, "--json", "--no-prefect"]
    )


def lignes(run: Path, f: str) -> pl.DataFrame:
    df = pl.read_parquet(run / f)
    return df.sort(df.columns)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lake", type=Path, required=True, help="a lake holding N and its reference percentiles")
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--buckets", type=int, default=4)
    ap.add_argument("--dir", type=Path, default=Path("data/bench/seaux"))
    ap.add_argument("--memory", default=MEMOIRE_PAR_DEFAUT)
    a = ap.parse_args()
    shutil.rmtree(a.dir, ignore_errors=True)
    t = time.perf_counter()
    lacs = decouper(a.lake, a.year, a.dir / "lacs", a.buckets)
    print(f"cut year {a.year} into {a.buckets} bucket lakes in {time.perf_counter() - t:.1f} s")
    (seul,) = decouper(a.lake, a.year, a.dir / "lac-entier", 1)  # the same preparation, one bucket
    entier = lancer(seul, a.year, a.dir / "runs-1", a.memory)
    print(f"1 bucket: {entier['mur']:.1f} s wall, peak {entier['pic_gib']:.2f} GiB")
    seaux = [lancer(lac, a.year, a.dir / f"runs-{i}", a.memory) for i, lac in enumerate(lacs)]
    for i, s in enumerate(seaux):
        print(f"  bucket {i}: {s['mur']:.1f} s wall, peak {s['pic_gib']:.2f} GiB")
    total, plus_long = sum(s["mur"] for s in seaux), max(s["mur"] for s in seaux)
    print(
        f"{a.buckets} buckets: {total:.1f} s in all, the longest {plus_long:.1f} s (K workers), "
        f"peak {max(s['pic_gib'] for s in seaux):.2f} GiB per bucket"
    )
    un = Path(entier["resultat"]["dossier"])
    k = [Path(s["resultat"]["dossier"]) for s in seaux]
    memes = {}
    for f in ("paiements.parquet", "justificatifs.parquet"):
        union = pl.concat([lignes(d, f) for d in k])
        memes[f] = lignes(un, f).equals(union.sort(union.columns))
    print(f"union of the buckets' files equal to the whole year's: {json.dumps(memes)}")
    sys.exit(0 if all(memes.values()) else 1)


if __name__ == "__main__":
    main()
