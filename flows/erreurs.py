"""The errors a person can act on: each says what happened, where, and what to do next, and belongs to one
class of the command line's exit codes (README, "Exit codes"). Anything else is a bug."""

from __future__ import annotations

from enum import IntEnum


class Sortie(IntEnum):
    """Exit codes of ``forfaits``."""

    OK = 0
    RIEN = 1  # nothing to show: explain found no evaluation of that beneficiary
    USAGE = 2  # a wrong command line (click's own code)
    ENTREE_REFUSEE = 3  # the extract or a parameter file is refused
    RUN_ARRETE = 4  # the run cannot go on: a year missing from the lake, a value the user must supply
    PUBLICATION_REFUSEE = 5  # the ledger refuses the publication
    MACHINE = 6  # the machine stops the command: a full disk, a Prefect server that does not start
    BUG = 70  # an unexpected error: a bug (sysexits' EX_SOFTWARE)


class ErreurAttendue(Exception):
    """An error the user can act on."""

    sortie = Sortie.BUG
    classe = "bug"


class EntreeRefusee(ErreurAttendue):
    sortie, classe = Sortie.ENTREE_REFUSEE, "input_refused"


class ErreurRun(ErreurAttendue):
    """The run cannot go on (a year missing from the lake, an output failing its checks…)."""

    sortie, classe = Sortie.RUN_ARRETE, "run_stopped"


class PublicationRefusee(ErreurAttendue):
    sortie, classe = Sortie.PUBLICATION_REFUSEE, "publication_refused"


class ErreurMachine(ErreurAttendue):
    """The machine, not the data: a full disk, a server that does not start."""

    sortie, classe = Sortie.MACHINE, "machine"
