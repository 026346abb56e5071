"""Publication through the ledger, end to end (outputs.md « Ledger and regularisations », issue 6).

Fault injection: a child process runs year 2025 and publishes it; ``FORFAITS_PANNE`` kills it (SIGKILL) at one
point between stages or in the middle of a write. Re-running must then give exactly the publication of an
uninterrupted run: one publication, the same bytes, nothing duplicated or lost.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from filelock import FileLock

from flows.annual_run import executer
from flows.backfill import backfill as backfill_local
from flows.fichiers import sha256_fichier
from flows.ingest import ingerer
from flows.ledger import ErreurPublication, Ledger, publier, rejouer
from flows.modeles import modeles
from flows.orchestration import backfill
from flows.parametres_io import OVERLAY_ILLUSTRATIF, charger_parametres
from flows.reglages import Reglages

N = 2025
P_ILLUSTRATIF = charger_parametres(overlay=OVERLAY_ILLUSTRATIF)
ECHEANCE = date(2026, 12, 1)
ENFANT = """
import sys
from datetime import date
from pathlib import Path
from flows.annual_run import executer
from flows.parametres_io import OVERLAY_ILLUSTRATIF, charger_parametres
from flows.reglages import Reglages
b, x = Path(sys.argv[1]), Path(sys.argv[2]) / "2025" if len(sys.argv) > 2 else None
reglages = Reglages(b / "lake", b / "runs", "1GB", ledger=b / "ledger.duckdb", publications=b / "pubs")
executer(2025, reglages, extract=x, echeance=date(2026, 12, 1),
         parametres=charger_parametres(overlay=OVERLAY_ILLUSTRATIF))
"""
POINTS = [  # in the order they are met
    "apres_ingest",
    "apres_modeles",
    "apres_seuils",
    "apres_regles",
    "pendant_paiements",  # half of the run's paiements.csv written
    "avant_renommage_run",
    "avant_publication",
    "pendant_ledger",  # lines and movements inserted, transaction not committed
    "apres_ledger",  # committed, publication folder not written
    "pendant_publication",  # half of the publication's paiements.csv written
    "avant_renommage_publication",
]


@pytest.fixture(scope="module")
def etat(tmp_path_factory, extraits_minuscules):
    """A lake holding 2021, 2024 and 2025 (each test works on its own copy)."""
    d = tmp_path_factory.mktemp("etat")
    for annee in (2021, 2024, 2025):
        ingerer(extraits_minuscules / str(annee), annee, d / "lake", memoire="2GB")
    return d


def copie(etat: Path, dest: Path) -> Path:
    shutil.copytree(etat / "lake", dest / "lake", symlinks=True)
    return dest


def publier_2025(base: Path, extraits: Path | None, **k) -> dict:
    reglages = Reglages(
        base / "lake", base / "runs", "2GB", ledger=base / "ledger.duckdb", publications=base / "pubs"
    )
    return executer(
        N,
        reglages,
        extract=extraits / str(N) if extraits else None,
        echeance=ECHEANCE,
        **({"parametres": P_ILLUSTRATIF} | k),
    )


@pytest.fixture(scope="module")
def reference(etat, extraits_minuscules, tmp_path_factory):
    base = copie(etat, tmp_path_factory.mktemp("reference"))
    r = publier_2025(base, None)
    return base, r


def visibles(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir() if not p.name.startswith("."))


def test_a_first_publication_holds_the_whole_run_and_its_totals(reference):
    base, r = reference
    pub = Path(r["publication"]["dossier"])
    run = pl.read_parquet(Path(r["dossier"]) / "paiements.parquet")
    lignes = pl.read_parquet(pub / "paiements.parquet")
    assert lignes.sort("id_ligne").equals(run.sort("id_ligne"))
    m = json.loads((pub / "manifest.json").read_text())
    assert m["total"] == {"nb_lignes": run.height, "somme_centimes": run["montant_centimes"].sum()}
    assert m["regularisations"]["nb_lignes"] == 0
    assert m["sorties"]["paiements.parquet"]["sha256"] == sha256_fichier(pub / "paiements.parquet")


def test_publishing_the_same_run_twice_emits_an_empty_publication(reference, tmp_path):
    base, r = reference
    ledger = tmp_path / "ledger.duckdb"
    premiere = publier(Path(r["dossier"]), ledger, tmp_path / "pubs", ECHEANCE)
    seconde = publier(Path(r["dossier"]), ledger, tmp_path / "pubs", ECHEANCE)
    assert premiere["total"]["nb_lignes"] > 0
    assert seconde["total"] == {"nb_lignes": 0, "somme_centimes": 0}
    assert pl.read_parquet(Path(seconde["dossier"]) / "paiements.parquet").is_empty()
    assert (premiere["publication_id"], seconde["publication_id"]) == ("2025-00001", "2025-00002")


def test_an_extract_corrected_for_one_doctor_gives_only_that_doctors_deltas(
    reference, extraits_minuscules, tmp_path
):
    base, r = reference
    shutil.copytree(base, tmp_path / "b", symlinks=True)
    b = tmp_path / "b"
    run = pl.read_parquet(Path(r["dossier"]) / "paiements.parquet")
    medecin = run.filter(pl.col("dispositif") == "FORFAIT_MEDECIN_TRAITANT").sort(
        "montant_centimes", descending=True
    )["beneficiaire_id"][0]
    corrige = tmp_path / "x" / str(N)
    shutil.copytree(extraits_minuscules / str(N), corrige)
    cabinets = pl.read_csv(corrige / "DA_PRA_R.csv.gz", separator=";", infer_schema=False).filter(
        pl.col("STA_PFS_NUM") == medecin
    )["PFS_PFS_NUM"]
    mtt = pl.read_csv(corrige / "IR_MTT_R.csv.gz", separator=";", infer_schema=False)
    du_medecin = pl.col("MTT_PFS_NUM").is_in(cabinets.implode())
    retire = mtt.with_row_index().filter(du_medecin & (pl.col("index") % 2 == 0))
    mtt.filter(~pl.col("BEN_NIR_PSA").is_in(retire["BEN_NIR_PSA"].implode()) | ~du_medecin).write_csv(
        corrige / "IR_MTT_R.csv.gz", separator=";", compression="gzip"
    )
    r2 = publier_2025(b, tmp_path / "x")
    pub = r2["publication"]
    lignes = pl.read_parquet(Path(pub["dossier"]) / "paiements.parquet")
    mvts = pl.read_parquet(Path(pub["dossier"]) / "regularisations.parquet")
    assert lignes.height >= 1 and set(lignes["beneficiaire_id"]) == {medecin}
    assert set(mvts["beneficiaire_id"]) == {medecin}
    assert set(lignes["nature_versement"]) == {"REGULARISATION"}
    fmt = lignes.filter(pl.col("dispositif") == "FORFAIT_MEDECIN_TRAITANT")
    assert fmt["montant_centimes"].sum() < 0 and (fmt["echeance"] == ECHEANCE).all()
    avant = run.filter(pl.col("beneficiaire_id") == medecin)["montant_centimes"].sum()
    apres = (
        pl.read_parquet(Path(r2["dossier"]) / "paiements.parquet")
        .filter(pl.col("beneficiaire_id") == medecin)["montant_centimes"]
        .sum()
    )
    assert lignes["montant_centimes"].sum() == apres - avant  # exactly the difference, nothing else


def test_a_corrupted_ledger_is_refused_and_nothing_is_written(reference, tmp_path):
    base, r = reference
    ledger = tmp_path / "ledger.duckdb"
    ledger.write_bytes(b"\x00garbage, not a ledger" * 100)
    empreinte = sha256_fichier(ledger)
    with pytest.raises(ErreurPublication, match="cannot be read.*nothing was written"):
        publier(Path(r["dossier"]), ledger, tmp_path / "pubs", ECHEANCE)
    assert sha256_fichier(ledger) == empreinte
    assert visibles(tmp_path / "pubs") == []


def test_an_altered_ledger_is_refused_and_nothing_is_written(reference, tmp_path):
    base, r = reference
    shutil.copy(base / "ledger.duckdb", tmp_path / "ledger.duckdb")
    con = duckdb.connect(str(tmp_path / "ledger.duckdb"))
    con.execute("UPDATE lignes SET montant_centimes = montant_centimes + 1 WHERE rowid = 0")
    con.close()
    avant = visibles(base / "pubs")
    shutil.copytree(base / "pubs", tmp_path / "pubs")
    with pytest.raises(ErreurPublication, match="publication 1 .*altered"):
        publier(Path(r["dossier"]), tmp_path / "ledger.duckdb", tmp_path / "pubs", ECHEANCE)
    assert visibles(tmp_path / "pubs") == avant


def test_a_second_publication_at_once_is_refused_with_a_clear_message(reference, tmp_path):
    base, r = reference
    ledger = tmp_path / "ledger.duckdb"
    with FileLock(str(ledger) + ".lock"):  # another publication is appending
        with pytest.raises(ErreurPublication, match="another publication holds the ledger"):
            publier(Path(r["dossier"]), ledger, tmp_path / "pubs", ECHEANCE)
    assert not ledger.exists() and visibles(tmp_path / "pubs") == []


def test_a_ledger_reached_through_a_symlink_takes_the_same_lock(reference, tmp_path):
    base, r = reference
    ledger = tmp_path / "ledger.duckdb"
    publier(Path(r["dossier"]), ledger, tmp_path / "pubs", ECHEANCE)
    lien = tmp_path / "lien.duckdb"
    lien.symlink_to(ledger)
    with FileLock(str(ledger) + ".lock"):  # a publication through the ledger's own name
        with pytest.raises(ErreurPublication, match="another publication holds the ledger"):
            publier(Path(r["dossier"]), lien, tmp_path / "pubs", ECHEANCE)


def test_a_ledger_is_published_from_one_host_only(reference, tmp_path, monkeypatch):
    base, r = reference
    ledger = tmp_path / "ledger.duckdb"
    monkeypatch.setenv("FORFAITS_HOTE", "noeud-a")
    publier(Path(r["dossier"]), ledger, tmp_path / "pubs", ECHEANCE)
    monkeypatch.setenv("FORFAITS_HOTE", "noeud-b")  # another node of the cluster, same shared ledger
    with pytest.raises(ErreurPublication, match="published from host noeud-a only, and this is noeud-b"):
        publier(Path(r["dossier"]), ledger, tmp_path / "pubs", ECHEANCE)
    (tmp_path / "ledger.duckdb.publieur").unlink()  # the ledger moved to node b for good
    assert publier(Path(r["dossier"]), ledger, tmp_path / "pubs", ECHEANCE)["reprise"] is False


def test_a_ledger_open_in_another_process_is_told_as_such(reference, tmp_path):
    base, r = reference
    ledger = tmp_path / "ledger.duckdb"
    publier(Path(r["dossier"]), ledger, tmp_path / "pubs", ECHEANCE)
    code = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); time.sleep(60)"
    )
    autre = subprocess.Popen([sys.executable, "-c", code, str(ledger)], stdout=subprocess.PIPE, text=True)
    try:
        assert autre.stdout.readline().strip() == "ok"
        with pytest.raises(ErreurPublication, match=rf"is open in process {autre.pid}; nothing was written"):
            publier(Path(r["dossier"]), ledger, tmp_path / "pubs", ECHEANCE)
    finally:
        autre.kill()
        autre.wait()


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_a_kill_at_any_point_then_a_rerun_publishes_exactly_once(
    point, etat, extraits_minuscules, reference, tmp_path
):
    base = copie(etat, tmp_path)
    env = {**os.environ, "FORFAITS_PANNE": point}
    extrait = [str(extraits_minuscules)] if point == "apres_ingest" else []  # the lake already holds 2025
    fin = subprocess.run([sys.executable, "-c", ENFANT, str(base), *extrait], env=env, capture_output=True)
    assert fin.returncode == -signal.SIGKILL, fin.stderr.decode()[-2000:]
    publier_2025(base, None)
    ref, ref_r = reference
    assert visibles(base / "pubs") == ["2025-00001"]
    assert not list((base / "pubs").glob(".tmp-*")) and not list((base / "runs").glob(".tmp-*"))
    a, b = ref / "pubs" / "2025-00001", base / "pubs" / "2025-00001"
    for f in ("paiements.parquet", "paiements.csv", "regularisations.parquet"):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    ma, mb = (json.loads((d / "manifest.json").read_text()) for d in (a, b))
    propres = {
        "cree_le",
        "run_id",
        "run_manifest_sha256",
        "empreinte_ledger",
    }  # differ by run, not by content
    assert {k: v for k, v in ma.items() if k not in propres} == {
        k: v for k, v in mb.items() if k not in propres
    }
    with Ledger(base / "ledger.duckdb") as reg:
        assert [p["nb_lignes"] for p in reg.publications()] == [ma["total"]["nb_lignes"]]


def test_a_rerun_after_a_crash_reads_the_models_back_and_gives_identical_files(
    reference, monkeypatch, tmp_path
):
    base, r = reference
    shutil.copytree(base / "lake", tmp_path / "lake", symlinks=True)
    appels = []
    import flows.modeles as fm

    monkeypatch.setattr(fm, "calculer_modeles", lambda *a, **k: appels.append(a) or pytest.fail("recomputed"))
    r2 = executer(N, Reglages(tmp_path / "lake", tmp_path / "runs", "2GB"), parametres=P_ILLUSTRATIF)
    assert appels == []
    for f in ("paiements.parquet", "paiements.csv", "justificatifs.parquet"):
        assert (Path(r["dossier"]) / f).read_bytes() == (Path(r2["dossier"]) / f).read_bytes(), f


def test_the_models_are_computed_again_when_an_input_changes(reference, tmp_path):
    from flows.parametres_io import charger_parametres

    base, _ = reference
    shutil.copytree(base / "lake", tmp_path / "lake", symlinks=True)
    p = charger_parametres()
    reglages = Reglages(tmp_path / "lake", memoire="2GB")
    avant = modeles(reglages, N, p)
    (tmp_path / "lake" / f"annee={N}" / "ingest.json").write_text("{}")  # another ingest of N
    apres = modeles(reglages, N, p)
    assert avant["activite_medecins"].parent != apres["activite_medecins"].parent


def test_backfill_runs_each_year_and_reports_what_changed(etat, extraits_minuscules, tmp_path):
    base = copie(etat, tmp_path)
    reglages = Reglages(
        base / "lake", base / "runs", "2GB", ledger=base / "ledger.duckdb", publications=base / "pubs"
    )
    k = {"echeance": ECHEANCE, "parametres": P_ILLUSTRATIF}
    r1 = backfill_local([2025, 2024], reglages, None, **k)
    assert list(r1) == [2024, 2025]
    assert [r1[a]["publication"]["publication_id"] for a in (2024, 2025)] == ["2024-00001", "2025-00002"]
    assert all(r1[a]["changements"]["run_precedent"] is None for a in r1)
    paye = pl.read_parquet(Path(r1[2024]["dossier"]) / "paiements.parquet")
    assert (paye["annee_versement"] == 2025).all()  # 2024 with the parameters in force for it
    r2 = backfill_local([2024, 2025], reglages, None, **k)
    for a in (2024, 2025):
        assert r2[a]["publication"]["total"]["nb_lignes"] == 0
        ch = r2[a]["changements"]
        assert ch["run_precedent"] == Path(r1[a]["dossier"]).name
        assert (ch["cles_nouvelles"], ch["cles_modifiees_ou_disparues"], ch["ecart_centimes"]) == (0, 0, 0)


def test_backfill_flow_under_prefect(etat, extraits_minuscules, tmp_path, harnais_prefect):
    base = copie(etat, tmp_path)
    r = backfill(
        [2025],
        str(base / "lake"),
        str(base / "runs"),
        str(extraits_minuscules),
        overlay=str(OVERLAY_ILLUSTRATIF),
        memoire="2GB",
        ledger=str(base / "ledger.duckdb"),
        publications=str(base / "pubs"),
        echeance=ECHEANCE,
    )
    assert r[2025]["publication"]["publication_id"] == "2025-00001"
    assert r[2025]["publication"]["total"] == r[2025]["total"]


def test_the_scheduled_run_is_registered_with_its_cron(harnais_prefect):
    from prefect.client.orchestration import get_client

    from flows.orchestration import CRON_PAR_DEFAUT, deploiement

    d = deploiement({"extracts": "x", "lake": "l", "out": "o", "ledger": "g", "publications": "p"})
    identifiant = d.apply()
    with get_client(sync_client=True) as client:
        enregistre = client.read_deployment(identifiant)
    assert enregistre.name == "annual-run"
    [horaire] = enregistre.schedules
    assert (horaire.schedule.cron, horaire.schedule.timezone) == (CRON_PAR_DEFAUT, "Europe/Paris")
    assert CRON_PAR_DEFAUT == "0 6 1 3 *"


def test_a_run_given_the_extract_already_in_the_lake_does_not_ingest_it_again(
    etat, extraits_minuscules, tmp_path
):
    from flows.ingest import deja_ingere
    from flows.parametres_io import charger_parametres

    p = charger_parametres()
    assert deja_ingere(extraits_minuscules / str(N), N, etat / "lake", p)
    autre = tmp_path / str(N)
    shutil.copytree(extraits_minuscules / str(N), autre)
    msu = pl.read_csv(autre / "MSU_DECLARATIONS.csv.gz", separator=";", infer_schema=False)
    msu.head(msu.height - 1).write_csv(autre / "MSU_DECLARATIONS.csv.gz", separator=";", compression="gzip")
    assert not deja_ingere(autre, N, etat / "lake", p)  # one file changed: ingest again
    assert not deja_ingere(extraits_minuscules / str(N), 2024, etat / "lake", p)  # another year's files


def _restaurer_avant_la_publication(reference, tmp_path) -> tuple[Path, Path, dict]:
    """A ledger backed up before 2025-00001 was published, restored after it was sent."""
    base, r = reference
    ledger, pubs = tmp_path / "ledger.duckdb", tmp_path / "pubs"
    with Ledger(ledger):
        pass  # the ledger as it was when backed up: no publication yet
    shutil.copy(ledger, tmp_path / "sauvegarde.duckdb")
    premiere = publier(Path(r["dossier"]), ledger, pubs, ECHEANCE)
    shutil.copy(tmp_path / "sauvegarde.duckdb", ledger)  # the restore
    return ledger, pubs, premiere


def test_a_ledger_restored_from_an_older_backup_is_refused_then_replayed_and_pays_nothing_twice(
    reference, tmp_path
):
    base, r = reference
    ledger, pubs, premiere = _restaurer_avant_la_publication(reference, tmp_path)
    avant = visibles(pubs)
    with pytest.raises(ErreurPublication, match=r"lacks 1 publication\(s\) already sent .*2025-00001") as e:
        publier(Path(r["dossier"]), ledger, pubs, ECHEANCE)
    assert f"{premiere['total']['nb_lignes']:,} lines" in str(e.value) and "forfaits replay" in str(e.value)
    assert visibles(pubs) == avant  # nothing written
    rejeu = rejouer(ledger, pubs)
    assert rejeu["rejouees"] == ["2025-00001"]
    with Ledger(ledger) as reg:  # the very ledger that was lost: same chain
        assert reg.tete == premiere["empreinte_ledger"]
    seconde = publier(Path(r["dossier"]), ledger, pubs, ECHEANCE)
    assert seconde["total"] == {"nb_lignes": 0, "somme_centimes": 0}  # nothing paid twice
    run = pl.read_parquet(Path(r["dossier"]) / "paiements.parquet")
    con = duckdb.connect(str(ledger), read_only=True)
    publie = con.execute(
        "SELECT count(*), count(DISTINCT id_ligne), sum(montant_centimes) FROM lignes"
    ).fetchall()[0]
    con.close()
    assert publie == (run.height, run.height, run["montant_centimes"].sum())  # each key once


def test_a_deleted_ledger_tail_is_refused(reference, tmp_path):
    base, r = reference
    ledger, pubs = tmp_path / "ledger.duckdb", tmp_path / "pubs"
    publier(Path(r["dossier"]), ledger, pubs, ECHEANCE)
    derniere = publier(Path(r["dossier"]), ledger, pubs, date(2027, 1, 1))  # an empty second publication
    con = duckdb.connect(str(ledger))
    for table in ("lignes", "mouvements", "publications"):
        con.execute(f"DELETE FROM {table} WHERE seq = 2")
    con.close()
    with pytest.raises(ErreurPublication, match=f"lacks 1 publication.*{derniere['publication_id']}"):
        publier(Path(r["dossier"]), ledger, pubs, ECHEANCE)


def test_a_replay_refuses_an_altered_folder_and_a_gap(reference, tmp_path):
    ledger, pubs, premiere = _restaurer_avant_la_publication(reference, tmp_path)
    dossier = Path(premiere["dossier"])
    mvts = pl.read_parquet(dossier / "mouvements.parquet")
    mvts.with_columns(pl.col("montant_centimes") + 1).write_parquet(dossier / "mouvements.parquet")
    with pytest.raises(ErreurPublication, match="does not match its manifest"):
        rejouer(ledger, pubs)
    mvts.write_parquet(dossier / "mouvements.parquet")
    dossier.rename(pubs / "2025-00002")  # publication 1's folder missing, a folder 2 present
    m = json.loads((pubs / "2025-00002" / "manifest.json").read_text())
    (pubs / "2025-00002" / "manifest.json").write_text(json.dumps(m | {"seq": 2}))
    with pytest.raises(ErreurPublication, match="the folder of publication 1 is missing"):
        rejouer(ledger, pubs)
    with Ledger(ledger) as reg:
        assert reg.publications() == []  # nothing appended


def test_with_no_backup_the_ledger_is_rebuilt_from_every_folder(reference, tmp_path):
    base, r = reference
    pubs = tmp_path / "pubs"
    shutil.copytree(base / "pubs", pubs)
    with Ledger(base / "ledger.duckdb") as reg:
        attendu = [p["empreinte_chaine"] for p in reg.publications()]
    with pytest.raises(ErreurPublication, match="no ledger at"):
        rejouer(tmp_path / "ledger.duckdb", pubs)
    rejouer(tmp_path / "ledger.duckdb", pubs, nouveau=True)
    with Ledger(tmp_path / "ledger.duckdb") as reg:
        assert [p["empreinte_chaine"] for p in reg.publications()] == attendu
