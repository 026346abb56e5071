import atexit
import os
import tempfile

os.environ.setdefault("DO_NOT_TRACK", "1")
# the commands' log goes to a temporary folder, not to the checkout's data/logs/
os.environ.setdefault("FORFAITS_LOG", os.path.join(tempfile.mkdtemp(prefix="forfaits-"), "forfaits.log"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

import pytest  # noqa: E402


def _taire_la_fin() -> None:
    """After pytest's last word: no teardown lines of duckdb's binding (flows/cli.py does the same)."""
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)


atexit.register(_taire_la_fin)


@pytest.fixture(scope="session")
def harnais_prefect():
    """One Prefect test harness (a temporary local API) for the whole session: it takes ~20 s to start."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def extraits_minuscules(tmp_path_factory):
    """Synthetic extracts of 2021 (the assistant aid's reference), 2024 and 2025 at scale 0.001, CSV."""
    from flows.generation import generer
    from flows.parametres_io import charger_parametres

    d = tmp_path_factory.mktemp("extraits")
    generer(d, [2021, 2024, 2025], 0.001, 5, "csv", charger_parametres(), "2GB", progression=lambda m: None)
    return d


@pytest.fixture(scope="session")
def ecrire_overlay():
    """Write a user's overlay folder supplying one dated value; return the parameters with it
    loaded over the base ones."""
    import yaml

    from flows.parametres_io import charger_parametres

    def ecrire(dossier, dispositif: str, parametre: str, debut, valeur):
        dossier.mkdir(parents=True, exist_ok=True)
        contenu = {"parametres": {parametre: {"valeurs": {debut: {"valeur": valeur, "source": "test case"}}}}}
        (dossier / f"{dispositif}.yaml").write_text(yaml.safe_dump(contenu), encoding="utf-8")
        return charger_parametres(overlay=dossier)

    return ecrire


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """A folder laid out as a checkout after `make demo` (data/demo, data/overlays, data/reforms)."""
    from operateur import preparer_demo

    return preparer_demo(tmp_path_factory.mktemp("operateur"))
