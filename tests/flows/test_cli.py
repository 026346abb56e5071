"""The command line as an operator meets it: the real ``forfaits`` entry point in a subprocess, on the demo's
data (flows/demo.py). Each class of error gives its exit code, one message and no traceback (an error object
with ``--json``); a success writes only the product's progress on stderr, no telemetry, no teardown noise;
the README's examples run as written."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys

import pytest
from filelock import FileLock
from operateur import RACINE, _env, forfaits

HORODATE = re.compile(r"^\d\d:\d\d:\d\d ")  # a progress line of the product


def _une_erreur(r: subprocess.CompletedProcess, commande: str, code: int, classe: str, json_: bool) -> str:
    """The checks every expected error passes: its code, one message, no traceback, its JSON object."""
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stdout + r.stderr
    messages = [x for x in r.stderr.splitlines() if x.startswith("forfaits ")]
    assert len(messages) == 1 and messages[0].startswith(f"forfaits {commande}: "), r.stderr
    if json_:
        erreur = json.loads(r.stdout.strip().splitlines()[-1])["erreur"]
        assert (erreur["classe"], erreur["code_sortie"]) == (classe, code)
        assert erreur["message"] in messages[0]
    return messages[0]


def test_a_wrong_command_line_is_a_usage_error(demo):
    r = forfaits("run", "--yaer", "2025", "--json", cwd=demo)
    assert "--year" in _une_erreur(r, "run", 2, "usage", json_=True)
    r = forfaits("generate", "--out", "x", "--format", "xlsx", cwd=demo)
    assert "'xlsx' is not one of 'csv', 'parquet'" in _une_erreur(r, "generate", 2, "usage", json_=False)


def test_a_refused_extract_or_parameter_file_is_input_refused(demo, tmp_path):
    extrait = tmp_path / "2025"
    extrait.mkdir()
    for f in (demo / "data" / "demo" / "extracts" / "2025").iterdir():
        if not f.name.startswith("DA_PRA_R"):
            (extrait / f.name).symlink_to(f)
    r = forfaits(
        "ingest", "--extract", extrait, "--year", 2025, "--lake", tmp_path / "lake", "--json", cwd=demo
    )
    message = _une_erreur(r, "ingest", 3, "input_refused", json_=True)
    assert "DA_PRA_R: file missing" in message and "DA_PRA_R.csv.gz" in message
    (tmp_path / "overlay").mkdir()
    (tmp_path / "overlay" / "forfait_ame.yaml").write_text("parametres: [", encoding="utf-8")
    r = forfaits(
        "run", "--year", 2025, "--lake", "data/demo/lake", "--overlay", tmp_path / "overlay", cwd=demo
    )
    assert "forfait_ame.yaml: not valid YAML" in _une_erreur(r, "run", 3, "input_refused", json_=False)


def test_a_missing_year_or_user_value_stops_the_run(demo, tmp_path):
    r = forfaits("run", "--year", 2030, "--lake", "data/demo/lake", "--out", tmp_path, "--json", cwd=demo)
    message = _une_erreur(r, "run", 4, "run_stopped", json_=True)
    assert "year 2030 is not in the lake" in message and "forfaits ingest" in message
    r = forfaits("run", "--year", 2024, "--lake", "data/demo/lake", "--out", tmp_path, cwd=demo)  # no overlay
    message = _une_erreur(r, "run", 4, "run_stopped", json_=False)
    assert "missions_centimes" in message and "overlay" in message
    assert not list(tmp_path.iterdir())  # nothing published, nothing left half-written


def test_a_locked_ledger_refuses_the_publication(demo):
    ledger = demo / "data" / "demo" / "ledger" / "ledger.duckdb"
    with FileLock(str(ledger) + ".lock", timeout=0):  # another publication in progress
        r = forfaits(
            "publish", "--year", 2025, "--out", "data/demo/runs", "--ledger", ledger, "--json", cwd=demo
        )
    message = _une_erreur(r, "publish", 5, "publication_refused", json_=True)
    assert "another publication holds the ledger" in message


def test_only_a_bug_shows_a_traceback_and_says_where_its_log_is(demo, tmp_path):
    """A deliberate bug (the latest run cannot be found: ZeroDivisionError) through the real entry point."""
    log = tmp_path / "forfaits.log"
    code = "import sys, flows.dossier_run as d; d.dernier_run = lambda *a: 1 / 0; "
    code += "from flows.cli import main; sys.argv = ['forfaits'] + sys.argv[1:]; main()"
    r = subprocess.run(
        [sys.executable, "-c", code, "explain", "--ps", "75190013", "--year", "2025", "--log", log, "--json"],
        cwd=demo,
        env=_env(),
        capture_output=True,
        text=True,
    )
    assert r.returncode == 70
    assert "Traceback" in r.stderr and "ZeroDivisionError" in r.stderr
    ligne = [x for x in r.stderr.splitlines() if x.startswith("forfaits explain: ")]
    assert len(ligne) == 1 and "this is a bug" in ligne[0] and str(log) in ligne[0]
    assert "ZeroDivisionError" in log.read_text(encoding="utf-8")
    assert json.loads(r.stdout.strip().splitlines()[-1])["erreur"]["classe"] == "bug"


@pytest.mark.parametrize("prefect", ["--no-prefect", "--prefect"])
def test_a_success_prints_only_the_products_progress(demo, tmp_path, prefect):
    """Telemetry variables unset: no telemetry attempt, no teardown leak message, and on stderr nothing but
    the product's progress lines; with --prefect, through a temporary Prefect server, the same."""
    env = _env(PREFECT_HOME=str(tmp_path / "prefect"))
    arguments = ["run", "--year", 2025, "--lake", "data/demo/lake", "--out", tmp_path / "runs"]
    r = forfaits(*arguments, "--overlay", "data/overlays/illustratif", prefect, cwd=demo, env=env)
    assert r.returncode == 0, r.stderr
    assert not re.search(r"telemetry|leaked|Traceback|ERROR", r.stderr, re.IGNORECASE)
    autres = [x for x in r.stderr.splitlines() if x.strip() and not HORODATE.match(x)]
    assert autres == [], autres
    assert "Payment file" in r.stdout
    # a warning for the illustrative values the run used (CPTS missions), not for those it did not (DIPA)
    assert "financement_cpts.yaml" in r.stdout and "aide_perte_activite_covid.yaml" not in r.stdout
    q = forfaits(*arguments, "--overlay", "data/overlays/illustratif", "--quiet", cwd=demo, env=env)
    assert q.returncode == 0 and q.stderr == ""


def test_explain_shows_shares_as_percentages_and_speaks_json(demo):
    r = forfaits("explain", "--ps", "75190013", "--year", 2025, "--out", "data/demo/runs", cwd=demo)
    assert r.returncode == 0, r.stderr
    parts = re.findall(r"(?<!\w)part_\w+ = ([^;\n]+)", r.stdout)
    assert parts and all(re.fullmatch(r"\d+\.\d\d %|None", p.strip()) for p in parts), parts
    j = forfaits("explain", "--ps", "75190013", "--year", 2025, "--out", "data/demo/runs", "--json", cwd=demo)
    x = json.loads(j.stdout)
    assert x["beneficiaire"] == "75190013" and {d["dispositif"] for d in x["dispositifs"]} >= {"FORFAIT_AME"}
    absent = forfaits("explain", "--ps", "00000000", "--year", 2025, "--out", "data/demo/runs", cwd=demo)
    assert absent.returncode == 1 and "nothing evaluated" in absent.stdout


def test_backfill_json_prints_one_object_per_year_and_checks_every_year_first(demo, tmp_path):
    commun = ["--lake", "data/demo/lake", "--out", tmp_path, "--overlay", "data/overlays/illustratif"]
    r = forfaits("backfill", "--years", "2024-2025", *commun, "--json", cwd=demo)
    assert r.returncode == 0, r.stderr
    lignes = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["annee"] for x in lignes] == [2024, 2025] and all(x["run_id"] for x in lignes)
    avant = sorted(tmp_path.iterdir())
    r = forfaits("backfill", "--years", "2021-2025", *commun, cwd=demo)
    message = _une_erreur(r, "backfill", 4, "run_stopped", json_=False)
    assert "stopped before computing any year" in message and "2022" in r.stderr and "2023" in r.stderr
    assert sorted(tmp_path.iterdir()) == avant  # 2021 was not computed


def test_backfill_checks_every_years_parameters_before_computing_any(demo, tmp_path):
    # without the overlay that supplies the CPTS mission amounts, no year is computed
    r = forfaits("backfill", "--years", "2024-2025", "--lake", "data/demo/lake", "--out", tmp_path, cwd=demo)
    message = _une_erreur(r, "backfill", 4, "run_stopped", json_=False)
    assert "stopped before computing any year" in message
    for annee in (2024, 2025):
        assert f"{annee}: financement_cpts needs missions_centimes, which no overlay supplies" in r.stderr
    assert not any(tmp_path.iterdir())


def test_version_and_readable_help(demo):
    r = forfaits("--version", cwd=demo)
    assert r.returncode == 0 and re.fullmatch(r"forfaits \S+\n", r.stdout)
    for commande in (
        "generate",
        "ingest",
        "run",
        "publish",
        "backfill",
        "serve",
        "simulate",
        "explain",
        "report",
        "replay",
        "prune",
    ):
        aide = forfaits(commande, "--help", cwd=demo)
        assert aide.returncode == 0 and not re.search(r"<(list|int|bool|float|path|text)", aide.stdout, re.I)


def test_serve_without_a_standing_server_says_what_to_start(demo):
    r = forfaits("serve", cwd=demo)
    assert "prefect server start" in _une_erreur(r, "serve", 4, "run_stopped", json_=False)


def _exemples() -> list[str]:
    """The commands of the README's block of examples (the one after '## The CLI')."""
    texte = (RACINE / "README.md").read_text(encoding="utf-8")
    bloc = texte.split("## The CLI", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    lignes = [ligne.split("#")[0].strip() for ligne in bloc.splitlines()]
    return [ligne for ligne in lignes if ligne.startswith("forfaits")]


def test_the_readme_examples_run_as_written_on_the_demo_data(demo):
    exemples = _exemples()
    assert len(exemples) >= 7
    for exemple in exemples:
        r = forfaits(*shlex.split(exemple)[1:], cwd=demo)
        assert r.returncode == 0, (exemple, r.stderr[-2000:])
