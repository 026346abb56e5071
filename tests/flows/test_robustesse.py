"""What a hostile tester tried on the commands themselves: files readable by others, leftovers of killed
commands (staging folders, a Prefect server), a patient identifier in Prefect's records, a full disk, a
ledger held by another process."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import typer
from operateur import FORFAITS, _env, forfaits

from flows import proprietaire
from flows.cli import commande
from flows.erreurs import Sortie

ANNEE = 2025


@pytest.fixture
def extrait(extraits_minuscules, tmp_path) -> Path:
    d = tmp_path / "extrait"
    shutil.copytree(extraits_minuscules / str(ANNEE), d)
    return d


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.lstat().st_mode)


def test_what_an_ingest_writes_is_its_owners_only(extrait, tmp_path):
    lake = tmp_path / "lake"
    lake.mkdir(mode=0o755)
    lake.chmod(0o755)  # a lake created before, readable by all
    r = forfaits("ingest", "--extract", extrait, "--year", ANNEE, "--lake", lake, "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    chemins = [lake, *(p for p in lake.rglob("*") if not p.is_symlink())]
    assert len(chemins) > 15
    for p in chemins:
        attendu = 0o700 if p.is_dir() else 0o600
        assert _mode(p) & 0o077 == 0, (p, oct(_mode(p)))
        assert _mode(p) == attendu or p.is_dir(), (p, oct(_mode(p)))


def _dossier(parent: Path, nom: str, hote: str | None, pid: int | None, debut: float | None = None) -> Path:
    d = parent / nom
    d.mkdir(parents=True)
    (d / "donnees.parquet").write_bytes(b"x")
    if hote is not None:
        (d / proprietaire.FICHIER).write_text(json.dumps({"hote": hote, "pid": pid, "debut": debut}))
    return d


def _mort() -> tuple[int, float]:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    debut = psutil.Process(p.pid).create_time()
    p.wait()
    return p.pid, debut


def test_a_stopped_ingests_staging_is_removed_by_the_next_never_a_live_or_another_hosts(extrait, tmp_path):
    lake = tmp_path / "lake"
    staging = lake / ".staging"
    pid, debut = _mort()
    moi = psutil.Process()
    mort = _dossier(staging, "2025-mort", proprietaire.hote(), pid, debut)
    vivant = _dossier(staging, "2025-vivant", proprietaire.hote(), moi.pid, moi.create_time())
    reutilise = _dossier(staging, "2025-pid-reutilise", proprietaire.hote(), moi.pid, moi.create_time() - 50)
    ailleurs = _dossier(staging, "2025-ailleurs", "un-autre-hote", pid, debut)
    sans_fiche = _dossier(staging, "2025-sans-fiche", None, None)  # its owner is about to write its record
    vieux = _dossier(staging, "2025-vieux-sans-fiche", None, None)
    os.utime(vieux, (time.time() - 2 * proprietaire.GRACE_S,) * 2)
    r = forfaits("ingest", "--extract", extrait, "--year", ANNEE, "--lake", lake, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert not mort.exists() and not reutilise.exists() and not vieux.exists()
    assert vivant.exists() and ailleurs.exists() and sans_fiche.exists()
    assert "left by an ingest that was stopped" in r.stderr
    assert sorted(p.name for p in staging.iterdir()) == ["2025-ailleurs", "2025-sans-fiche", "2025-vivant"]


def test_prune_keeps_the_newest_failed_ingests_and_old_versions_and_every_published_year(extrait, tmp_path):
    lake = tmp_path / "lake"
    assert (
        forfaits("ingest", "--extract", extrait, "--year", ANNEE, "--lake", lake, cwd=tmp_path).returncode
        == 0
    )
    courante = (lake / f"annee={ANNEE}").resolve()
    for i in range(3):
        d = _dossier(lake / ".echecs", f"2025-echec-{i}", None, None)
        os.utime(d, (1_000_000 + i,) * 2)
        v = _dossier(lake / ".versions", f"2025-ancienne-{i}", None, None)
        os.utime(v, (1_000_000 + i,) * 2)
    r = forfaits("prune", "--keep", 1, "--lake", lake, "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    x = json.loads(r.stdout)
    assert sorted(x["retires"]["echecs"]) == ["2025-echec-0", "2025-echec-1"]
    assert sorted(x["retires"]["versions"]) == ["2025-ancienne-0", "2025-ancienne-1"]
    assert sorted(p.name for p in (lake / ".echecs").iterdir()) == ["2025-echec-2"]
    assert courante.exists() and (lake / f"annee={ANNEE}" / "ER_PRS_F.parquet").exists()
    assert forfaits("prune", "--keep", -1, "--lake", lake, cwd=tmp_path).returncode == Sortie.USAGE


def _uvicorns(parent: int | None = None) -> list[psutil.Process]:
    """The Prefect servers (uvicorn) running: all of them, or those under process ``parent``."""
    try:
        processus = psutil.Process(parent).children(recursive=True) if parent else psutil.process_iter()
        serveurs = []
        for p in processus:
            with contextlib.suppress(psutil.Error):
                if "uvicorn" in " ".join(p.cmdline()):
                    serveurs.append(p)
        return serveurs
    except psutil.NoSuchProcess:
        return []


def test_a_killed_command_leaves_no_prefect_server_behind(extrait, tmp_path):
    env = _env(
        PREFECT_HOME=str(tmp_path / "prefect"), DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false"
    )
    cmd = [
        str(FORFAITS),
        "ingest",
        "--extract",
        str(extrait),
        "--year",
        str(ANNEE),
        "--lake",
        str(tmp_path / "l"),
    ]
    p = subprocess.Popen([*cmd, "--prefect"], cwd=tmp_path, env=env, stderr=subprocess.DEVNULL)
    try:
        limite, serveurs = time.monotonic() + 120, []
        while not serveurs and time.monotonic() < limite and p.poll() is None:
            serveurs = _uvicorns(p.pid)
            time.sleep(0.05)
        assert serveurs, "the command started no Prefect server"
        p.kill()  # kill -9: no exit handler runs
        p.wait()
        _, vivants = psutil.wait_procs(serveurs, timeout=15)
        assert vivants == []
    finally:
        p.kill()


def test_a_parse_error_leaves_no_field_in_messages_logs_or_prefects_records(extrait, tmp_path):
    import gzip

    lignes = gzip.decompress((extrait / "ER_PRS_F.csv.gz").read_bytes()).decode().splitlines()
    (extrait / "ER_PRS_F.csv.gz").unlink()
    nir = lignes[40].split(";")[0]
    lignes[40] = '"' + lignes[40]  # an unmatched quote before the patient id of data row 40
    (extrait / "ER_PRS_F.csv").write_text("\n".join(lignes) + "\n")
    home, journal = tmp_path / "prefect", tmp_path / "forfaits.log"
    env = _env(PREFECT_HOME=str(home), DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    args = ["--extract", extrait, "--year", ANNEE, "--lake", tmp_path / "lake", "--prefect", "--log", journal]
    avant = {p.pid for p in _uvicorns()}
    r = forfaits("ingest", *args, cwd=tmp_path, env=env)
    assert r.returncode == Sortie.ENTREE_REFUSEE, r.stderr
    assert "unmatched quote" in r.stderr and "line 41" in r.stderr and "Traceback" not in r.stderr
    enregistres = [f for f in home.rglob("*") if f.is_file()]
    assert any(b"ingest-2025" in f.read_bytes() for f in enregistres)  # Prefect did record the run
    for f in [*enregistres, journal]:
        assert nir.encode() not in f.read_bytes(), f
    assert nir not in r.stderr + r.stdout
    assert {p.pid for p in _uvicorns()} <= avant  # its server stopped with it
    for f in home.rglob("*"):
        assert _mode(f) & 0o077 == 0, (f, oct(_mode(f)))


def test_a_full_disk_is_one_message_with_the_free_space(tmp_path, capsys):
    def action():
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "lake" / "x.parquet"))

    with pytest.raises(typer.Exit) as e:
        commande("ingest", action, False, print, log=tmp_path / "f.log")
    assert e.value.exit_code == Sortie.MACHINE
    err = capsys.readouterr().err
    assert "the disk is full writing" in err and "GiB free on its file system" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
