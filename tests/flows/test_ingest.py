"""The ingest as a Prefect flow, end to end (under the session's Prefect harness)."""

import polars as pl

from flows.generation import generer
from flows.orchestration import ingest_flow
from flows.parametres_io import charger_parametres


def test_ingest_flow_publishes_the_year(harnais_prefect, tmp_path):
    generer(
        tmp_path / "x",
        [2025],
        0.001,
        11,
        "csv",
        charger_parametres(),
        memoire="2GB",
        progression=lambda m: None,
    )
    rapport = ingest_flow(str(tmp_path / "x" / "2025"), 2025, str(tmp_path / "lake"))
    assert rapport["annee"] == 2025
    lus = rapport["tables"]["ER_PRS_F"]["lignes_lues"]
    assert lus > 0
    assert pl.read_parquet(tmp_path / "lake" / "annee=2025" / "ER_PRS_F.parquet").height == lus
