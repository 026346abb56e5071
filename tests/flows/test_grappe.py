"""A backfill spread over a real Dask cluster (a scheduler and two workers, separate processes on 127.0.0.1,
started and stopped here) through Prefect gives what the sequential backfill gives; a worker killed mid-year
changes nothing; two hosts sharing a file system never remove each other's live work."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pytest
from operateur import FORFAITS, _env, forfaits

from flows import proprietaire
from flows.dossier_run import nettoyer_temporaires
from flows.grappe import octets, taille_locale

DASK = Path(sys.executable).parent / "dask"
ANNEES = "2024-2026"
ECHEANCE = "2027-01-15"


def _port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Grappe:
    """``dask scheduler`` and two ``dask worker`` processes, each in its own process group."""

    def __init__(self, d: Path):
        self.adresse = f"tcp://127.0.0.1:{_port_libre()}"
        port = self.adresse.rsplit(":", 1)[1]
        env = _env(POLARS_MAX_THREADS="1")
        self.journal = (d / "dask.log").open("w")
        lancer = dict(env=env, stdout=self.journal, stderr=subprocess.STDOUT, start_new_session=True, cwd=d)
        self.ordonnanceur = subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"], **lancer
        )
        self.workers = [
            subprocess.Popen(
                [
                    str(DASK),
                    "worker",
                    self.adresse,
                    "--nthreads",
                    "1",
                    "--memory-limit",
                    "4GB",
                    "--no-nanny",
                    "--no-dashboard",
                    "--name",
                    f"w{i}",
                    "--host",
                    "127.0.0.1",
                ],
                **lancer,
            )  # fmt: skip
            for i in (1, 2)
        ]
        from distributed import Client

        with Client(self.adresse, timeout=60) as c:
            c.wait_for_workers(2, timeout=120)

    def arreter(self) -> None:
        for p in [*self.workers, self.ordonnanceur]:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in [*self.workers, self.ordonnanceur]:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.journal.close()


@pytest.fixture(scope="module")
def grappe(tmp_path_factory):
    """One cluster for the module; the test that kills a worker runs last."""
    g = Grappe(tmp_path_factory.mktemp("grappe"))
    try:
        yield g
    finally:
        g.arreter()
    assert all(p.poll() is not None for p in [*g.workers, g.ordonnanceur])  # nothing left running


def _base(demo: Path, d: Path) -> Path:
    shutil.copytree(demo / "data" / "demo" / "lake", d / "lake", symlinks=True)
    return d


def _backfill(base: Path, demo: Path, *extra, env=None, attendre=True):
    args = [
        "backfill", "--years", ANNEES, "--lake", base / "lake", "--out", base / "runs",
        "--overlay", demo / "data" / "overlays" / "illustratif",
        "--publish", "--ledger", base / "ledger.duckdb", "--publications", base / "pubs",
        "--echeance", ECHEANCE, "--memory", "1GB", "--json", *extra,
    ]  # fmt: skip
    environnement = env or _env(PREFECT_HOME=str(base / "prefect"))
    if attendre:
        return forfaits(*args, cwd=base, env=environnement, timeout=900)
    return subprocess.Popen([str(FORFAITS), *map(str, args)], cwd=base, env=environnement, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def _sha(f: Path) -> str:
    return hashlib.sha256(f.read_bytes()).hexdigest()


def _resultat(base: Path) -> dict:
    """What must not depend on how the years were spread: each year's latest run files, each publication
    folder's files, and the ledger's publications, lines and movements (without run ids and times)."""
    runs = {}
    for annee in range(2024, 2027):
        dernier = sorted(d for d in (base / "runs").glob(f"{annee}-*") if (d / "manifest.json").exists())[-1]
        runs[annee] = {
            f: _sha(dernier / f) for f in ("paiements.parquet", "paiements.csv", "justificatifs.parquet")
        }
    pubs = {
        d.name: {f: _sha(d / f) for f in ("paiements.parquet", "paiements.csv")}
        for d in sorted((base / "pubs").iterdir())
        if not d.name.startswith(".")
    }
    with duckdb.connect(str(base / "ledger.duckdb"), read_only=True) as c:
        colonnes = "seq, annee_reference, nb_lignes, somme_centimes, empreinte_contenu"
        publications = c.sql(f"SELECT {colonnes} FROM publications ORDER BY seq").fetchall()
        lignes = c.sql("SELECT * FROM lignes ORDER BY id_ligne").fetchall()
        mouvements = c.sql("SELECT * FROM mouvements ORDER BY seq, cle_id").fetchall()
    return {
        "runs": runs,
        "pubs": pubs,
        "publications": publications,
        "lignes": lignes,
        "mouvements": mouvements,
    }


@pytest.fixture(scope="module")
def sequentiel(demo, tmp_path_factory):
    base = _base(demo, tmp_path_factory.mktemp("sequentiel"))
    r = _backfill(base, demo)
    assert r.returncode == 0, r.stderr
    return _resultat(base)


def test_a_backfill_on_two_dask_workers_gives_the_sequential_backfills_outputs_and_ledger(
    demo, sequentiel, grappe, tmp_path
):
    base = _base(demo, tmp_path / "reparti")
    r = _backfill(base, demo, "--cluster", grappe.adresse)
    assert r.returncode == 0, r.stderr
    assert [json.loads(x)["annee"] for x in r.stdout.splitlines()] == [2024, 2025, 2026]
    assert _resultat(base) == sequentiel
    assert len(sequentiel["publications"]) == 3 and sequentiel["lignes"]
    journal = Path(grappe.journal.name).read_text()
    assert "w1" in journal and "w2" in journal
    for annee in range(2024, 2027):  # each report as it is built again (after every year has run)
        run = sorted(d for d in (base / "runs").glob(f"{annee}-*") if (d / "manifest.json").exists())[-1]
        avant = (run / "rapport.html").read_bytes()
        assert forfaits("report", "--run", run, cwd=base).returncode == 0
        assert (run / "rapport.html").read_bytes() == avant


def _dossier(out: Path, nom: str, hote: str, pid: int, debut: float) -> Path:
    d = out / f".tmp-{nom}"
    d.mkdir(parents=True)
    (d / proprietaire.FICHIER).write_text(json.dumps({"hote": hote, "pid": pid, "debut": debut}))
    return d


def test_two_hosts_on_one_file_system_never_remove_each_others_live_folders(tmp_path, monkeypatch):
    out = tmp_path / "runs"
    vivant = psutil.Process(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]).pid)
    mort = subprocess.Popen([sys.executable, "-c", "pass"])
    debut_mort = psutil.Process(mort.pid).create_time()
    mort.wait()
    try:
        a_vivant = _dossier(out, "a-vivant", "hote-a", vivant.pid, vivant.create_time())
        a_mort = _dossier(out, "a-mort", "hote-a", mort.pid, debut_mort)
        b_vivant = _dossier(out, "b-vivant", "hote-b", vivant.pid, vivant.create_time())
        b_mort = _dossier(out, "b-mort", "hote-b", mort.pid, debut_mort)
        monkeypatch.setenv(proprietaire.VARIABLE_HOTE, "hote-b")
        assert nettoyer_temporaires(out) == [b_mort]  # host b: only its own stale folder
        assert a_vivant.exists() and a_mort.exists() and b_vivant.exists()
        monkeypatch.setenv(proprietaire.VARIABLE_HOTE, "hote-a")
        assert nettoyer_temporaires(out) == [a_mort]
        assert a_vivant.exists() and b_vivant.exists()
    finally:
        vivant.kill()


def test_the_local_cluster_is_sized_from_the_machine():
    assert octets("8GB") == 8 * 10**9 and octets("512MiB") == 512 * 2**20
    # 2 cores, 24 GB: two workers of one core for years of 2 GB of DuckDB; one for a national year of 8 GB
    assert taille_locale("2GB", coeurs=2, memoire_machine=24 * 10**9).workers == 2
    t = taille_locale("8GB", coeurs=2, memoire_machine=24 * 10**9)
    assert (t.workers, t.fils) == (1, 2) and t.memoire >= octets("8GB") / 0.6


def _reformes(demo: Path, d: Path) -> list[Path]:
    """Two reforms: seed 004's grid, and the same grid with the forfait AME raised to 70 €."""
    seed = demo / "data" / "reforms" / "seed004_revalorisation_fmt"
    autre = d / "fmt_et_ame"
    shutil.copytree(seed, autre)
    (autre / "forfait_ame.yaml").write_text(
        "parametres:\n  montant_centimes:\n    valeurs:\n      2025-01-01: {valeur: 7000, source: test}\n",
        encoding="utf-8",
    )
    return [seed, autre]


def _simuler(demo: Path, reformes: list[Path], *extra, env=None):
    args = ["simulate", "--year", 2025, "--lake", "data/demo/lake", "--overlay", "data/overlays/illustratif"]
    args += [x for r in reformes for x in ("--reforme", r)]
    return forfaits(*args, "--json", *extra, cwd=demo, env=env)


def test_several_reforms_in_one_table_the_same_in_one_process_and_on_dask(demo, grappe, tmp_path):
    reformes = _reformes(demo, tmp_path)
    seul = _simuler(demo, reformes)
    assert seul.returncode == 0, seul.stderr
    x = json.loads(seul.stdout)
    assert [Path(s["reforme"]).name for s in x["scenarios"]] == ["seed004_revalorisation_fmt", "fmt_et_ame"]
    un = json.loads(_simuler(demo, reformes[:1]).stdout)  # one reform: its own object, as before
    assert x["scenarios"][0]["dispositifs"] == un["dispositifs"]
    ame = [
        {d["dispositif"]: d["ecart_centimes"] for d in s["dispositifs"]}["FORFAIT_AME"]
        for s in x["scenarios"]
    ]
    assert ame[0] == 0 and ame[1] != 0  # each scenario with its own parameters
    env = _env(PREFECT_HOME=str(tmp_path / "prefect"))
    reparti = _simuler(demo, reformes, "--cluster", grappe.adresse, env=env)
    assert reparti.returncode == 0, reparti.stderr

    def sans_chemin(scenarios: list[dict]) -> list[dict]:  # the workers are given absolute paths
        return [s | {"reforme": Path(s["reforme"]).name} for s in scenarios]

    assert sans_chemin(json.loads(reparti.stdout)["scenarios"]) == sans_chemin(x["scenarios"])
    table = forfaits(
        "simulate", "--year", 2025, "--lake", "data/demo/lake", "--overlay", "data/overlays/illustratif",
        *(y for r in reformes for y in ("--reforme", r)), cwd=demo,
    )  # fmt: skip
    assert (
        "seed004_revalorisation_fmt: difference" in table.stdout and "fmt_et_ame: difference" in table.stdout
    )


def test_a_worker_killed_mid_year_then_the_backfill_again_gives_the_same_result(
    demo, sequentiel, grappe, tmp_path
):
    base = _base(demo, tmp_path / "reparti")
    p = _backfill(base, demo, "--cluster", grappe.adresse, attendre=False)
    try:
        limite = time.monotonic() + 300
        while not list((base / "runs").glob(".tmp-*")) and time.monotonic() < limite and p.poll() is None:
            time.sleep(0.05)
        assert list((base / "runs").glob(".tmp-*")), "no year started"
        victime = grappe.workers[0]
        victime.kill()  # kill -9 of a worker, mid-year
        victime.wait()
        p.communicate(timeout=900)
    finally:
        if p.poll() is None:
            p.kill()
    r = _backfill(base, demo, "--cluster", grappe.adresse)  # the backfill again, on the worker left
    assert r.returncode == 0, r.stderr
    resultat = _resultat(base)
    for annee, fichiers in sequentiel["runs"].items():
        assert resultat["runs"][annee] == fichiers
    # each key paid once: the ledger holds the sequential backfill's lines, whatever was published twice
    assert resultat["lignes"] == sequentiel["lignes"] and resultat["mouvements"] == sequentiel["mouvements"]
    for nom, fichiers in sequentiel["pubs"].items():
        assert resultat["pubs"][nom] == fichiers
    assert not list((base / "runs").glob(".tmp-*"))
