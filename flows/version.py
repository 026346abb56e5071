"""The code's version: the package's, and in a git checkout its commit."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path


def version_code() -> str:
    try:
        v = metadata.version("forfaits")
    except metadata.PackageNotFoundError:
        v = "0+inconnu"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        return f"{v}+{commit}"
    except (OSError, subprocess.SubprocessError):
        return v
