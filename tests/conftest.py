"""Shared helpers for the tests: invoking the command line in-process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from typer.testing import CliRunner

from sim.cli import app


@dataclass
class Invocation:
    """The outcome of one CLI call."""

    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli() -> Callable[..., Invocation]:
    """Call the adoptsim command line in-process with the given arguments."""
    runner = CliRunner()

    def invoke(*args: str) -> Invocation:
        result = runner.invoke(app, [str(a) for a in args])
        return Invocation(result.exit_code, result.stdout, result.stderr)

    return invoke
