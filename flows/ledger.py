"""Publication of a run through the append-only ledger: nothing is ever paid twice, nothing is lost.

The ledger is one DuckDB file (``flows/sql/ledger/schema.sql``). Publishing a run of year N, under an
exclusive lock on the ledger:

1. reads the run's payment file and checks it against its manifest (sha256, pandera);
2. finishes any publication the ledger holds but whose folder is missing (a crash after step 4);
3. compares the run's lines with the ledger's cumulative amounts of N (``transforms.ledger.a_publier``);
4. appends the publication, its lines and its movements to the ledger in **one transaction**, with the
   fingerprint of its content chained to the previous publication's;
5. writes the publication folder **from the ledger** (temporary name, fsync, rename).

The ledger is the truth and the folder a deterministic rendering of it: a crash before 4 leaves nothing (the
next publish computes the same publication), a crash after 4 is finished by the next publish, byte for byte
the same. Opening the ledger re-computes the fingerprint chain: an altered or unreadable ledger is refused,
and nothing is written.

The folders anchor the ledger: each holds its publication's lines and movements and the chain's fingerprint
after it. Before appending, ``publish`` checks every folder against the ledger and refuses when the ledger
lacks a publication a folder holds (a ledger restored from an older backup, a deleted tail: publishing then
would pay its lines again) or holds another one under its number. ``rejouer`` (``forfaits replay``) appends
the missing publications from their folders, each checked against its manifest and the chain, so that a
restored ledger is the one that was lost (docs/operations.md, "Restoring the ledger").
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
from filelock import FileLock, Timeout

from flows.erreurs import PublicationRefusee
from flows.fichiers import ecrire_csv, panne, publier_dossier, sha256_fichier
from flows.proprietaire import hote
from flows.rapport import rapport_publication
from flows.reglages import muet
from schemas.sorties import schema_publication
from transforms.ledger import COLONNES_CUMULS, COLONNES_MOUVEMENTS, a_publier, bilan, echeance_par_defaut
from transforms.paiements import COLONNES_PAIEMENTS, totaux_de_controle
from transforms.registre import dispositifs

SQL = Path(__file__).parent / "sql" / "ledger"


class ErreurPublication(PublicationRefusee):
    """The publication cannot go on (ledger locked, altered or unreadable, run folder not valid…)."""


def _sql(nom: str) -> str:
    return (SQL / f"{nom}.sql").read_text(encoding="utf-8")


def _empreinte(df: pl.DataFrame, cle: str) -> str:
    return hashlib.sha256(df.sort(cle, "montant_centimes").write_csv().encode("utf-8")).hexdigest()


def _empreinte_contenu(lignes: pl.DataFrame, mouvements: pl.DataFrame) -> str:
    a = _empreinte(lignes.cast(COLONNES_PAIEMENTS).select(list(COLONNES_PAIEMENTS)), "id_ligne")
    b = _empreinte(mouvements.cast(COLONNES_MOUVEMENTS).select(list(COLONNES_MOUVEMENTS)), "cle_id")
    return hashlib.sha256(f"{a}|{b}".encode()).hexdigest()


def _chainer(precedente: str, meta: dict) -> str:
    return hashlib.sha256((precedente + json.dumps(meta, sort_keys=True, default=str)).encode()).hexdigest()


_CHAMPS = [
    "seq",
    "annee_reference",
    "run_id",
    "run_manifest_sha256",
    "echeance_regularisation",
    "cree_le",
    "nb_lignes",
    "somme_centimes",
    "empreinte_contenu",
]


class Ledger:
    """An open, verified ledger; use as a context manager (closes the connection)."""

    def __init__(self, chemin: Path):
        self.chemin = Path(chemin)
        existait = self.chemin.exists()
        try:
            self.con = duckdb.connect(str(self.chemin))
            if not existait:
                self.con.execute(_sql("schema"))
        except duckdb.Error as e:
            texte = str(e)
            if "Could not set lock" in texte or "Conflicting lock" in texte:
                pid = re.search(r"PID (\d+)", texte)
                qui = f"process {pid.group(1)}" if pid else "another process"
                raise ErreurPublication(
                    f"ledger {self.chemin} is open in {qui}; nothing was written. Wait for it to finish "
                    "(or stop it), then run the command again."
                ) from None
            raise ErreurPublication(
                f"ledger {self.chemin} cannot be read ({type(e).__name__}); nothing was written. It is "
                'damaged or not a ledger: restore it from its backup (docs/operations.md, "Restoring the '
                'ledger"), then publish again.'
            ) from None
        self._verifier()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.con.close()

    def publications(self) -> list[dict]:
        rel = self.con.execute("SELECT * FROM publications ORDER BY seq")
        noms = [d[0] for d in rel.description]
        return [dict(zip(noms, r, strict=True)) for r in rel.fetchall()]

    def _frame(self, requete: str, params: list, schema: dict) -> pl.DataFrame:
        t = self.con.sql(_sql(requete), params=params).to_arrow_table()
        return pl.from_arrow(t).cast(schema).select(list(schema))

    def lignes(self, seq: int) -> pl.DataFrame:
        return self._frame("lignes_publication", [seq], COLONNES_PAIEMENTS)

    def mouvements(self, seq: int) -> pl.DataFrame:
        return self._frame("mouvements_publication", [seq], COLONNES_MOUVEMENTS)

    def cumuls(self, annee: int) -> pl.DataFrame:
        return self._frame("cumuls", [annee], COLONNES_CUMULS)

    def cumuls_par_dispositif(self, annee: int, seq: int) -> list[dict]:
        """Per dispositif, what the ledger holds as paid for year N after publication ``seq``."""
        rel = self.con.execute(_sql("cumuls_par_dispositif"), [annee, seq])
        noms = [d[0] for d in rel.description]
        return [dict(zip(noms, ligne, strict=True)) for ligne in rel.fetchall()]

    def _verifier(self) -> None:
        """Re-compute every publication's content fingerprint and the chain; refuse a ledger that differs."""
        try:
            publications = self.publications()
            precedente = ""
            for i, p in enumerate(publications, start=1):
                lignes, mvts = self.lignes(p["seq"]), self.mouvements(p["seq"])
                probleme = None
                if p["seq"] != i:
                    probleme = f"publication numbers jump from {i - 1} to {p['seq']}"
                elif (
                    lignes.height != p["nb_lignes"]
                    or int(lignes["montant_centimes"].sum()) != p["somme_centimes"]
                ):
                    somme = int(lignes["montant_centimes"].sum())
                    probleme = (
                        f"publication {i} holds {lignes.height} lines for {somme} cents, its record says "
                        f"{p['nb_lignes']} for {p['somme_centimes']}: its lines were altered"
                    )
                elif _empreinte_contenu(lignes, mvts) != p["empreinte_contenu"]:
                    probleme = f"the lines or movements of publication {i} were altered"
                elif _chainer(precedente, {k: p[k] for k in _CHAMPS}) != p["empreinte_chaine"]:
                    probleme = f"the record of publication {i} was altered"
                if probleme:
                    raise ErreurPublication(
                        f"ledger {self.chemin} fails its check: {probleme}. The ledger is append-only; it is "
                        "refused and nothing was written. Restore it from its backup."
                    )
                precedente = p["empreinte_chaine"]
            self.tete = precedente
        except duckdb.Error as e:
            raise ErreurPublication(
                f"ledger {self.chemin} is not a forfaits ledger ({str(e).splitlines()[0]}); "
                "nothing was written."
            ) from None

    def ajouter(
        self,
        meta: dict,
        lignes: pl.DataFrame,
        mouvements: pl.DataFrame,
        empreinte_attendue: str | None = None,
    ) -> dict:
        """Append one publication in one transaction; return its record (with its chained fingerprint). With
        ``empreinte_attendue`` (a replay), refuse a record whose chained fingerprint is another."""
        meta = meta | {
            "nb_lignes": lignes.height,
            "somme_centimes": int(lignes["montant_centimes"].sum()),
            "empreinte_contenu": _empreinte_contenu(lignes, mouvements),
        }
        record = {k: meta[k] for k in _CHAMPS} | {"empreinte_chaine": _chainer(self.tete, meta)}
        if empreinte_attendue is not None and record["empreinte_chaine"] != empreinte_attendue:
            raise ErreurPublication(
                f"publication {meta['seq']} read from its folder does not give the fingerprint its "
                "manifest records: the folder, or the ledger before it, is not the one it was written with. "
                "Nothing was written. Restore the ledger from a backup taken after this publication instead."
            )
        self.con.register("nouvelles_lignes", lignes)
        self.con.register("nouveaux_mouvements", mouvements)
        deja = self.con.execute(_sql("ids_deja_publies")).fetchall()
        if deja:
            raise ErreurPublication(
                f"{len(deja)} line id(s) of this publication were already published (e.g. {deja[0][0]} in "
                f"publication {deja[0][1]}): a REGULARISATION with this due date already exists for these "
                "beneficiaries; publish with another --echeance"
            )
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(_sql("inserer_lignes"), [meta["seq"]])
            self.con.execute(_sql("inserer_mouvements"), [meta["seq"]])
            panne("pendant_ledger")
            self.con.execute(_sql("inserer_publication"), [record[k] for k in [*_CHAMPS, "empreinte_chaine"]])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        finally:
            self.con.unregister("nouvelles_lignes")
            self.con.unregister("nouveaux_mouvements")
        self.tete = record["empreinte_chaine"]
        return record


def nom_publication(p: dict) -> str:
    return f"{p['annee_reference']}-{p['seq']:05d}"


def materialiser(ledger: Ledger, p: dict, dossier: Path) -> Path:
    """Write publication ``p``'s folder from the ledger alone (deterministic), atomically; return it."""
    cible = dossier / nom_publication(p)
    if (cible / "manifest.json").exists():
        return cible
    tmp = dossier / f".tmp-{cible.name}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    lignes = ledger.lignes(p["seq"]).sort(
        [
            "beneficiaire_type",
            "beneficiaire_id",
            "dispositif",
            "nature_versement",
            "echeance",
            "reference_contrat",
        ],
        nulls_last=False,
    )
    mvts = ledger.mouvements(p["seq"])
    lignes.write_parquet(tmp / "paiements.parquet")
    ecrire_csv(lignes, tmp / "paiements.csv", "pendant_publication")
    regul = mvts.filter((pl.col("id_ligne_publie") != pl.col("cle_id")).fill_null(True))
    regul.sort("cle_id").write_parquet(tmp / "regularisations.parquet")
    mvts.sort("cle_id").write_parquet(tmp / "mouvements.parquet")  # with the lines: the publication, whole
    b = bilan(lignes, mvts)
    manifest = {
        "publication_id": cible.name,
        "seq": p["seq"],
        "annee_reference": p["annee_reference"],
        "run_id": p["run_id"],
        "run_manifest_sha256": p["run_manifest_sha256"],
        "echeance_regularisation": p["echeance_regularisation"].isoformat(),
        "cree_le": p["cree_le"],
        "empreinte_ledger": p["empreinte_chaine"],
        "sorties": {
            f.name: {
                "sha256": sha256_fichier(f),
                "lignes": {"regularisations": regul.height, "mouvements": mvts.height}.get(
                    f.stem, lignes.height
                ),
            }
            for f in sorted(tmp.iterdir())
        },
        "totaux_de_controle": totaux_de_controle(lignes),
        "total": {"nb_lignes": lignes.height, "somme_centimes": int(lignes["montant_centimes"].sum())},
        "nouvelles_cles": b["nouvelles_cles"],
        "regularisations": b["regularisations"],
        "cumuls_par_dispositif": ledger.cumuls_par_dispositif(p["annee_reference"], p["seq"]),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    rapport_publication(tmp)
    panne("avant_renommage_publication")
    return publier_dossier(tmp, cible)


NOM_DOSSIER = re.compile(r"\d{4}-\d{5}")


def dossiers_publies(dossier: Path) -> list[tuple[Path, dict]]:
    """The publication folders of ``dossier`` (their manifest written: a folder is renamed into place whole),
    in the order of their number."""
    trouves = []
    for d in Path(dossier).iterdir() if Path(dossier).is_dir() else []:
        if NOM_DOSSIER.fullmatch(d.name) and (d / "manifest.json").is_file():
            trouves.append((d, json.loads((d / "manifest.json").read_text(encoding="utf-8"))))
    return sorted(trouves, key=lambda x: x[1]["seq"])


def ecarts_dossiers(reg: Ledger, dossier: Path) -> tuple[list[tuple[Path, dict]], list[str]]:
    """(folders whose publication the ledger lacks, folders that differ from the ledger's publication of their
    number): what the ledger must hold before anything is appended to it."""
    publiees = {p["seq"]: p for p in reg.publications()}
    absents, differents = [], []
    for d, m in dossiers_publies(dossier):
        p = publiees.get(m["seq"])
        if p is None:
            absents.append((d, m))
        elif p["empreinte_chaine"] != m.get("empreinte_ledger"):
            differents.append(
                f"{d.name} (publication {m['seq']} of the ledger is {nom_publication(p)}, "
                f"run {p['run_id']}, another content)"
            )
    return absents, differents


def _verifier_ancrage(reg: Ledger, ledger: Path, dossier: Path) -> None:
    """Refuse to append to a ledger that lacks, or contradicts, a publication already sent (its folder)."""
    absents, differents = ecarts_dossiers(reg, dossier)
    if differents:
        raise ErreurPublication(
            f"the ledger {ledger} contradicts the publication folder(s) {'; '.join(differents)} of "
            f"{dossier}: they were not written from this ledger. Nothing was written. Publish with the "
            "ledger these folders came from (--ledger), or restore that ledger from its backup and run "
            "forfaits replay."
        )
    if absents:
        noms = ", ".join(d.name for d, _ in absents)
        lignes = sum(m["total"]["nb_lignes"] for _, m in absents)
        somme = sum(m["total"]["somme_centimes"] for _, m in absents)
        raise ErreurPublication(
            f"the ledger {ledger} lacks {len(absents)} publication(s) already sent from {dossier}: {noms} "
            f"({lignes:,} lines, {somme / 100:,.2f} €). It was restored from an older backup, or its end "
            "was removed: publishing now could pay those lines a second time, so nothing was written. Append "
            f"them from their folders first: forfaits replay --ledger {ledger} --publications {dossier}; "
            'then publish again (docs/operations.md, "Restoring the ledger").'
        )


def _lire_dossier(d: Path, m: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A publication folder's lines and movements, after checking each file against its manifest."""
    for nom in ("paiements.parquet", "mouvements.parquet"):
        f = d / nom
        if nom not in m["sorties"] or not f.is_file():
            raise ErreurPublication(
                f"publication folder {d} has no {nom}: it cannot be replayed into the ledger (folders "
                "written before the ledger was anchored hold no movements). Restore the ledger from a backup "
                "taken after this publication instead."
            )
        if sha256_fichier(f) != m["sorties"][nom]["sha256"]:
            raise ErreurPublication(
                f"{f} does not match its manifest (sha256): the folder was altered, and is not replayed. "
                "Restore the ledger from a backup taken after this publication instead."
            )
    lignes = (
        pl.read_parquet(d / "paiements.parquet").cast(COLONNES_PAIEMENTS).select(list(COLONNES_PAIEMENTS))
    )
    mvts = (
        pl.read_parquet(d / "mouvements.parquet").cast(COLONNES_MOUVEMENTS).select(list(COLONNES_MOUVEMENTS))
    )
    return lignes, mvts


def rejouer(
    ledger: Path, dossier: Path, nouveau: bool = False, journal: Callable[[str], None] | None = None
) -> dict:
    """Append to ``ledger`` (restored from a backup; with ``nouveau``, a new one) the publications of
    ``dossier`` it lacks, in order, each from its folder: its files checked against its manifest, and its
    record against the chain fingerprint the folder holds, so that the ledger becomes the one the folders were
    written from."""
    log = journal or muet
    ledger, dossier = Path(ledger), Path(dossier)
    if ledger.exists() == nouveau:
        raise ErreurPublication(
            f"a ledger already exists at {ledger}: --new builds a ledger only where there is none"
            if nouveau
            else f"no ledger at {ledger}: restore its backup there, then run forfaits replay again (with no "
            f"backup at all, forfaits replay --new --ledger {ledger} rebuilds it from every folder)"
        )
    ledger.parent.mkdir(parents=True, exist_ok=True)
    with _verrou(ledger), Ledger(ledger) as reg:
        absents, differents = ecarts_dossiers(reg, dossier)
        if differents:
            _verifier_ancrage(reg, ledger, dossier)
        rejoues = []
        for d, m in absents:
            attendu = len(reg.publications()) + 1
            if m["seq"] != attendu:
                raise ErreurPublication(
                    f"the ledger {ledger} ends at publication {attendu - 1} and the next folder of "
                    f"{dossier} is {d.name} (publication {m['seq']}): the folder of publication "
                    f"{attendu} is missing, so the ledger cannot be rebuilt from the folders. Restore it "
                    "from a more recent backup."
                )
            lignes, mvts = _lire_dossier(d, m)
            meta = {
                "seq": m["seq"],
                "annee_reference": m["annee_reference"],
                "run_id": m["run_id"],
                "run_manifest_sha256": m["run_manifest_sha256"],
                "echeance_regularisation": date.fromisoformat(m["echeance_regularisation"]),
                "cree_le": m["cree_le"],
            }
            reg.ajouter(meta, lignes, mvts, empreinte_attendue=m["empreinte_ledger"])
            rejoues.append(d.name)
            log(f"publication {d.name} replayed into the ledger from its folder ({lignes.height:,} lines)")
        return {"ledger": str(ledger), "rejouees": rejoues, "publications": len(reg.publications())}


def lire_run(run: Path) -> tuple[dict, str, pl.DataFrame]:
    """The run's manifest, its sha256 and its payment lines, checked against the manifest."""
    f = run / "manifest.json"
    if not f.exists():
        raise ErreurPublication(f"{run} is not a published run folder (no manifest.json)")
    manifest = json.loads(f.read_text(encoding="utf-8"))
    attendu = manifest["sorties"]["paiements.parquet"]["sha256"]
    if sha256_fichier(run / "paiements.parquet") != attendu:
        raise ErreurPublication(
            f"{run / 'paiements.parquet'} does not match its manifest (sha256): the run folder was altered; "
            "run the year again"
        )
    lignes = pl.read_parquet(run / "paiements.parquet")
    return manifest, sha256_fichier(f), lignes


def publier(
    run: Path,
    ledger: Path,
    dossier: Path,
    echeance: date | None = None,
    journal: Callable[[str], None] | None = None,
) -> dict:
    """Publish a run folder through the ledger; return the publication's manifest (and its folder)."""
    log = journal or muet
    run, ledger, dossier = Path(run), Path(ledger), Path(dossier)
    manifest_run, sha_run, lignes_run = lire_run(run)
    annee = manifest_run["annee_reference"]
    echeance = echeance or echeance_par_defaut(date.today())
    ledger.parent.mkdir(parents=True, exist_ok=True)
    dossier.mkdir(parents=True, exist_ok=True)
    with _verrou(ledger), Ledger(ledger) as reg:
        _verifier_ancrage(reg, ledger, dossier)
        repris = None
        for p in reg.publications():
            if not (dossier / nom_publication(p) / "manifest.json").exists():
                log(f"publication {nom_publication(p)} is in the ledger but not on disk: writing it now")
                materialiser(reg, p, dossier)
                repris = p
        schema_publication(annee, dispositifs()).validate(lignes_run, lazy=True)
        lignes, mouvements = a_publier(lignes_run, reg.cumuls(annee), echeance)
        schema_publication(annee, dispositifs()).validate(lignes, lazy=True)
        dernier = reg.publications()[-1] if repris else None
        if repris and dernier == repris and repris["annee_reference"] == annee and mouvements.is_empty():
            # an interrupted publication of N, finished above, already holds everything this run pays
            return _resultat(dossier / nom_publication(repris), reprise=True)
        seq = len(reg.publications()) + 1
        meta = {
            "seq": seq,
            "annee_reference": annee,
            "run_id": manifest_run["run_id"],
            "run_manifest_sha256": sha_run,
            "echeance_regularisation": echeance,
            "cree_le": datetime.now().isoformat(timespec="seconds"),
        }
        p = reg.ajouter(meta, lignes, mouvements)
        panne("apres_ledger")
        cible = materialiser(reg, p, dossier)
        log(f"publication {cible.name}: {lignes.height:,} lines")
        return _resultat(cible, reprise=False)


SUFFIXE_PUBLIEUR = ".publieur"  # beside the ledger: the one host that publishes through it


def _un_seul_publieur(ledger: Path) -> None:
    """The ledger's lock is a local file lock, which does not hold across hosts on every network file
    system: the first publication records its host beside the ledger, and any other host is refused
    (docs/operations.md, "On a cluster")."""
    f = Path(str(Path(ledger).resolve()) + SUFFIXE_PUBLIEUR)
    if not f.exists():
        f.write_text(hote() + "\n", encoding="utf-8")
        return
    publieur = f.read_text(encoding="utf-8").strip()
    if publieur != hote():
        raise ErreurPublication(
            f"the ledger {ledger} is published from host {publieur} only, and this is {hote()}: publish "
            f"there. If the ledger has moved to this host for good, delete {f} and publish again."
        )


@contextlib.contextmanager
def _verrou(ledger: Path) -> Iterator[None]:
    """The ledger's exclusive lock (one writer at a time), beside the ledger's real file: a ledger reached
    through a symbolic link takes the same lock as through its own name. Taken only on the host that
    publishes (``_un_seul_publieur``)."""
    _un_seul_publieur(ledger)
    verrou = FileLock(str(Path(ledger).resolve()) + ".lock", timeout=0)
    try:
        verrou.acquire()
    except Timeout:
        raise ErreurPublication(
            f"another publication holds the ledger {ledger} (lock {ledger}.lock): two publications cannot "
            "append at once. Wait for it to finish, then publish again; it will emit only what is left."
        ) from None
    try:
        yield
    finally:
        verrou.release()


def _resultat(cible: Path, reprise: bool) -> dict:
    m = json.loads((cible / "manifest.json").read_text(encoding="utf-8"))
    return {"dossier": str(cible), "reprise": reprise, **m}
