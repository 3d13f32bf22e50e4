"""Optional parts of adoptsim and the libraries each needs, so that a missing one is a plain message.

`pip install adoptsim` installs the core: `run`, `scenarios`, `sweep`, `sensitivity`, `compare`, `report`,
`animate` and the Python API. The rest are extras (pyproject.toml `[project.optional-dependencies]`), and
`./scripts/setup` installs them all."""

from __future__ import annotations

from importlib.util import find_spec

from sim.errors import InputError

EXTRAS: dict[str, tuple[str, ...]] = {
    "app": ("solara", "ipyvuetify", "markdown"),
    "calibrate": ("optuna",),
    "discover": ("ema_workbench",),
    "cluster": ("distributed",),
}
"""Each extra and the modules it installs that adoptsim imports."""

COMMAND_EXTRAS: dict[str, str] = {
    "app": "app",
    "calibrate": "calibrate",
    "discover": "discover",
    "optimise": "calibrate",
}
"""Commands that cannot start without an extra. (`sweep --scheduler` needs `cluster`; it checks for itself.)"""


def missing_module(extra: str) -> str | None:
    """The first module of `extra` that cannot be imported here, or None when all can."""
    for module in EXTRAS[extra]:
        try:
            if find_spec(module) is None:
                return module
        except ImportError:  # a parent package missing, or an import hook refusing it
            return module
    return None


def require(extra: str, what: str) -> None:
    """Stop with a message saying what to install when `what` needs `extra` and it is not installed."""
    module = missing_module(extra)
    if module is not None:
        raise InputError(
            f"{what} needs adoptsim's optional dependencies '{extra}' ({module} is not installed): "
            f"pip install 'adoptsim[{extra}]' (or 'adoptsim[all]' for everything)"
        )
