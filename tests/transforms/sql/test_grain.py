"""Every model states its grain and key on its first line (transforms/sql/): run on a generated lake, each
stored model holds one row per key, and each staging view one row per row of the lake tables it renames."""

from __future__ import annotations

import polars as pl
import pyarrow.parquet as pq
import pytest

from flows.ingest import ingerer
from flows.modeles import session_modeles
from flows.parametres_io import OVERLAY_ILLUSTRATIF, charger_parametres
from flows.reglages import Reglages
from transforms.modeles import catalogue, ordre

N = 2025  # the grid of 2026: the claims of N−1 are read too
VIDES_EN_N = {"stg_dipa_declarations", "declarants_aide_perte_activite_covid"}  # the DIPA is for 2020 only


@pytest.fixture(scope="module")
def session(extraits_minuscules, tmp_path_factory):
    d = tmp_path_factory.mktemp("grain")
    for annee in (N - 1, N):
        ingerer(extraits_minuscules / str(annee), annee, d / "lake", memoire="2GB")
    # declarations and claim lines repeated as an extract may repeat them: a model must not count them twice
    for table in ("IR_MTT_R", "ER_PRS_F", "IR_IMB_R", "IR_ORC_R", "ORIENTATIONS_IPA", "SAS_INSCRIPTIONS"):
        f = (d / "lake" / f"annee={N}" / f"{table}.parquet").resolve()
        t = pl.read_parquet(f)
        pl.concat([t, t.head(max(1, t.height // 10))]).write_parquet(f)
    p = charger_parametres(overlay=OVERLAY_ILLUSTRATIF)
    with session_modeles(Reglages(d / "lake", memoire="2GB"), N, p, d / "travail", tuple(catalogue())) as con:
        yield con, d / "lake"


@pytest.mark.parametrize("nom", sorted(m for m, x in catalogue().items() if x.cle))
def test_a_model_has_one_row_per_key(session, nom):
    con, _ = session
    cle = list(catalogue()[nom].cle)
    lignes = con.table(nom).select(*cle).pl()
    assert lignes.height > 0 or nom in VIDES_EN_N, f"{nom} is empty on the generated lake"
    doubles = lignes.filter(lignes.is_duplicated())
    assert doubles.is_empty(), f"{nom}: {doubles.height} row(s) share a key ({', '.join(cle)})"


@pytest.mark.parametrize("nom", sorted(m for m, x in catalogue().items() if x.est_vue and x.tables))
def test_a_staging_view_keeps_every_row_of_its_table(session, nom):
    con, lake = session
    # N−1's claims are read from the kept int_soins_nets of N−1 in 2025: the staging view holds none of them
    lus = sum(
        pq.ParquetFile(lake / f"annee={N}" / f"{t}.parquet").metadata.num_rows
        for t in catalogue()[nom].tables
        if t != "ER_PRS_F_prec"
    )
    assert con.table(nom).count("*").fetchall()[0][0] == lus


def test_every_model_runs_after_the_models_it_reads():
    rang = {m: i for i, m in enumerate(ordre(tuple(catalogue())))}
    for m, x in catalogue().items():
        assert all(rang[lu] < rang[m] for lu in x.lit), m
    assert catalogue()["activite_medecins"].couche == "marts" and catalogue()["stg_er_prs_f"].est_vue
