"""Optuna studies kept in a journal in an output folder, as `calibrate` and `optimise` keep them.

Trials are appended to a journal file (`optuna.storages.JournalStorage`), so after an interruption, even
kill -9, the same command reopens the study, marks the trial that was cut off as failed and goes on; a
folder's lock admits one process at a time; a study remembers the settings it was started with (its
identity) and refuses to continue under others."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import optuna

from sim.errors import InputError

UNREADABLE = (ValueError, TypeError, KeyError, IndexError, AttributeError, AssertionError, RecursionError)
"""What Optuna raises on a journal changed by hand or cut short in ways `repair_journal` cannot mend."""


def make_folder(folder: Path, what: str) -> None:
    """Create the output folder (or keep the one holding a study to resume), or say why it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"--out {folder}: exists and is not a folder. Give a folder to keep the {what} in.") from None
    except OSError as exc:
        raise InputError(
            f"--out {folder}: cannot create it ({exc.strerror}). Give a folder you can write to."
        ) from None


@contextmanager
def exclusive(lock: Path, what: str) -> Iterator[None]:
    """Hold the folder's lock while the study runs: two processes must not write one study. The lock dies
    with its process, so a killed run never blocks the next."""
    with open(lock, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"--out {lock.parent}: another {what} is running in this folder.") from None
        yield


def repair_journal(journal: Path) -> None:
    """Undo what a kill in the middle of a journal write leaves: Optuna's write lock (which would stall the
    next writer for its grace period) and a last record cut short (which would make the records appended
    after it unreadable). Safe because the folder's lock admits one process at a time."""
    journal.with_name(journal.name + ".lock").unlink(missing_ok=True)
    if journal.exists():
        data = journal.read_bytes()
        if data and not data.endswith(b"\n"):
            journal.write_bytes(data[: data.rfind(b"\n") + 1])


def open_study(
    journal: Path, name: str, directions: Sequence[str], identity: dict[str, Any], continue_with: str
) -> optuna.Study:
    """Create the journal's study, or reopen it after checking it was started with the same `identity`;
    `continue_with` says which inputs must be the same to continue it."""
    repair_journal(journal)
    try:
        storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(journal)))
        study = optuna.create_study(study_name=name, storage=storage, directions=list(directions), load_if_exists=True)
        stored = study.user_attrs.get("identity")
    except UNREADABLE as exc:
        raise InputError(
            f"{journal}: is not a journal of trials Optuna can read ({type(exc).__name__}: {exc}); it was changed "
            "by hand or by another program. Give a new --out, or delete the folder to start over."
        ) from None
    if stored is None:
        study.set_user_attr("identity", identity)
    elif stored != identity:
        changed = ", ".join(key for key in identity if stored.get(key) != identity[key]) or "settings"
        raise InputError(
            f"--out {journal.parent}: holds a {name} run with other settings ({changed} differ). Continue it with "
            f"{continue_with}, or give a new --out."
        )
    return study


def fail_interrupted(study: optuna.Study) -> int:
    """Mark trials left running by a killed run as failed (their results were never stored); returns how
    many there were. Safe because the folder's lock admits one process at a time."""
    running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    for trial in running:
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
    return len(running)


def completed(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The trials that finished with their scores."""
    return study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
