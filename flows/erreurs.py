"""The errors a person can act on: each says what happened, where, and what to do next."""

from __future__ import annotations


class ErreurRun(Exception):
    """The run cannot go on (a year missing from the lake, an output failing its checks…)."""
