"""Files: durable, atomic writes of output folders, hashes, the extract's files, and the crash points used by
the fault-injection tests.

A folder is written under a temporary name, every file and the folder itself are fsynced, then it is renamed
to its final name and its parent fsynced: after a crash, the final name holds the whole folder or does not
exist.
"""

from __future__ import annotations

import csv
import errno
import gzip
import hashlib
import os
import signal
import zlib
from pathlib import Path

import polars as pl

VARIABLE_PANNE = "FORFAITS_PANNE"


def panne(point: str) -> None:
    """Kill this process (SIGKILL, no clean-up) when ``FORFAITS_PANNE`` names this point (tests only)."""
    if os.environ.get(VARIABLE_PANNE) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def fsync(chemin: Path) -> None:
    fd = os.open(chemin, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ecrire_csv(df: pl.DataFrame, chemin: Path, point: str | None = None) -> None:
    """outputs.md CSV (``;``, UTF-8, DD/MM/YYYY), written in two halves with a crash point between them."""
    moitie = df.height // 2
    with chemin.open("w", encoding="utf-8", newline="") as fh:
        df.head(moitie).write_csv(fh, separator=";", date_format="%d/%m/%Y")
        fh.flush()
        if point:
            panne(point)
        df.slice(moitie).write_csv(fh, separator=";", date_format="%d/%m/%Y", include_header=False)


def publier_dossier(tmp: Path, cible: Path) -> Path:
    """fsync the files of ``tmp`` and ``tmp`` itself, rename it to ``cible`` (which must not exist), fsync."""
    if cible.exists():
        raise FileExistsError(f"{cible} already exists: a published folder is never overwritten")
    for f in tmp.rglob("*"):
        if f.is_file():
            fsync(f)
    fsync(tmp)
    os.rename(tmp, cible)
    fsync(cible.parent)
    return cible


def sha256_fichier(f: Path) -> str:
    with Path(f).open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class FichierAmbigu(ValueError):
    """Two files of an extract could be the same table, or a table's file cannot be reached."""


SUFFIXES = (".parquet", ".csv.gz", ".csv")


def fichier_table(extract: Path, table: str) -> Path | None:
    """The file of ``table`` in an extract folder: Parquet, gzip CSV or CSV (inputs.md). Raises
    FichierAmbigu when two of them exist (which one is the delivery?) or when the name is a symbolic link
    that leads nowhere (a loop, or a target that is gone)."""
    trouves = []
    for suffixe in SUFFIXES:
        f = Path(extract) / f"{table}{suffixe}"
        if f.is_symlink() and not f.exists():
            try:
                f.resolve(strict=True)
                cause = "its target is gone"
            except RuntimeError:
                cause = "it is a loop of symbolic links"
            except OSError as e:
                cause = "it is a loop of symbolic links" if e.errno == errno.ELOOP else "its target is gone"
            raise FichierAmbigu(
                f"{table}: {f.name} is a symbolic link that leads to no file ({cause}); fix the link"
            )
        if f.is_dir():
            raise FichierAmbigu(f"{table}: {f.name} is a folder, not a file; deliver the table as one file")
        if f.exists():
            trouves.append(f)
    if len(trouves) > 1:
        raise FichierAmbigu(
            f"{table}: {' and '.join(x.name for x in trouves)} could both be the table; "
            "keep the one delivered and remove the other"
        )
    return trouves[0] if trouves else None


SEPARATEURS = {b",": "','", b"\t": "a tab", b"|": "'|'"}


def diagnostic_csv(f: Path) -> str | None:
    """Where and why a CSV of the extract cannot be read, from its bytes (the reader's own message quotes the
    row, patient identifiers included): the header's separator or encoding, then the first row whose text
    is not UTF-8, holds an unmatched or misplaced quote, or has more fields than the header.
    Rows are numbered as everywhere in the product (1 = the first row after the header), with the file's
    line beside. None when nothing is found. Reads the file from its start: the quotes of every row before
    the defect must be followed."""
    try:
        return _diagnostic(f)
    except (EOFError, gzip.BadGzipFile, zlib.error):
        return "is not a whole gzip file (damaged, cut short, or not gzip at all): deliver it again"
    except OSError as e:
        return f"cannot be read ({e.strerror or type(e).__name__})"


def _diagnostic(f: Path) -> str | None:
    ouvrir = gzip.open if f.name.endswith(".gz") else open
    with ouvrir(f, "rb") as fb:
        entete = fb.readline().rstrip(b"\r\n")
        try:
            entete.decode("utf-8")
        except UnicodeDecodeError:
            return "is not UTF-8 text (its header row): re-encode it, e.g. iconv -f latin1 -t utf-8"
        if b";" not in entete:
            for sep, nom in SEPARATEURS.items():
                if sep in entete:
                    return f"is separated by {nom}, not ';' (inputs.md): export it again with ';'"
        attendus = entete.count(b";") + 1
        ligne, rang, debut_guillemet = 1, 0, 0
        for brut in fb:
            ligne += 1
            try:
                brut.decode("utf-8")
            except UnicodeDecodeError:
                return (
                    f"is not UTF-8 text at row {rang + 1} (line {ligne}): re-encode it, "
                    "e.g. iconv -f latin1 -t utf-8"
                )
            texte = brut.rstrip(b"\r\n")
            if debut_guillemet:  # inside a quoted field that spans lines (its fields are not counted)
                if texte.count(b'"') % 2:
                    debut_guillemet = 0
                continue
            rang += 1
            if b'"' not in texte:
                n = texte.count(b";") + 1
                if n > attendus:  # fewer are read (the missing fields absent)
                    return _champs(rang, ligne, n, attendus)
                continue
            if texte.count(b'"') % 2:
                debut_guillemet = ligne
                continue
            try:
                n = len(next(csv.reader([texte.decode()], delimiter=";", strict=True)))
            except csv.Error:
                return f'has a misplaced quote (") at row {rang} (line {ligne}): quote whole fields only'
            if n > attendus:
                return _champs(rang, ligne, n, attendus)
        if debut_guillemet:
            return (
                f'has an unmatched quote (") opened at line {debut_guillemet}: the rest of the file reads as '
                "one field; close or remove it"
            )
    return None


def _champs(rang: int, ligne: int, n: int, attendus: int) -> str:
    return f"has {n} fields at row {rang} (line {ligne}) where its header has {attendus}: " + (
        "a ';' inside a field that is not quoted?" if n > attendus else "a row cut short?"
    )


def lignes_parquet(f: Path) -> int:
    return pl.scan_parquet(f).select(pl.len()).collect().item()
