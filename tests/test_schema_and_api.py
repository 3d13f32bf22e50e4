"""The scenario schema (defaults, ranges, meanings, JSON Schema, extends) and the Python API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

import sim
from sim.scenario import load_scenario, shipped_scenarios
from sim.schema import Scenario, json_schema

ROOT = Path(__file__).resolve().parent.parent


def leaf_fields(model: type[BaseModel] = Scenario, prefix: str = ""):
    """Every (dotted path, field) of the schema that holds a value rather than a block."""
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from leaf_fields(annotation, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", field


def test_every_field_has_a_meaning_and_numbers_have_a_range() -> None:
    for path, field in leaf_fields():
        assert field.description, f"{path} has no description"
        if field.annotation in (int, float):
            bounds = {type(m).__name__ for m in field.metadata}
            assert bounds & {"Ge", "Gt"} and bounds & {"Le", "Lt"}, f"{path} has no range"


def test_shipped_json_schema_is_current() -> None:
    shipped = json.loads((ROOT / "docs" / "scenario.schema.json").read_text())
    assert shipped == json_schema(), "run: adoptsim scenarios schema --out docs/scenario.schema.json"


def test_shipped_scenarios_are_the_contracted_ones_and_valid() -> None:
    expected = {"baseline", "vanguard", "fragmented", "anxious-mandate", "small-firm", "large-enterprise"}
    assert expected <= set(shipped_scenarios())
    for name in expected:
        assert load_scenario(name).name == name


def test_extends_merges_over_the_base(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(
        "name: base\nfirm:\n  employees: 200\n  levers: {culture: 0.9, alignment: 0.1}\n"
    )
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nfirm:\n  levers: {alignment: 0.7}\n")
    child = load_scenario(tmp_path / "child.yaml", ["firm.levers.infrastructure=0.2"])
    assert child.name == "child"
    assert (
        child.firm.employees,
        child.firm.levers.culture,
        child.firm.levers.alignment,
        child.firm.levers.infrastructure,
    ) == (200, 0.9, 0.7, 0.2)


def test_api_runs_and_steps_a_model_by_hand() -> None:
    scenario = sim.load_scenario("baseline", ["firm.employees=240"])
    result = sim.run(scenario, seed=4, weeks=12)
    assert len(result.timeseries) == 13 and result.summary["employees"] == 240
    model = sim.AdoptionModel(scenario, rng=4)
    for _ in range(12):
        model.step()
    assert model.week == 12
    assert np.array_equal(model.workforce.usage, result.model.workforce.usage), "stepping by hand differs from run()"


def test_employees_are_mesa_agents_reading_through_to_the_arrays() -> None:
    model = sim.AdoptionModel(sim.load_scenario("baseline", ["firm.employees=50"]), rng=0)
    assert len(model.employees) == 50
    employee = model.employee_list[7]
    employee.anxiety = 0.9
    assert model.workforce.anxiety[7] == 0.9
    assert employee in model.employees.select(lambda e: e.anxiety > 0.85)
    assert employee.state in {"non-user", "compliant user", "committed user", "engaged adopter"}
    team = model.team(0)
    assert all(member.team == 0 for member in team.members) and len(team.members) == 12
    assert sum(1 for e in model.employees if e.role == "manager") == model.organisation.n_teams


@pytest.mark.parametrize("figure", sorted(sim.plots.RUN_FIGURES))
def test_figures_draw_from_the_api(figure: str) -> None:
    result = sim.run(sim.load_scenario("small-firm"), seed=1, weeks=20)
    assert sim.plots.RUN_FIGURES[figure](result).axes
