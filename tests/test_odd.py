"""docs/ODD.md stays true to the code: every schema field is documented with its current default, and every
rule that AdoptionModel.step calls is named, in the order of the schedule.

Parameter rows are the rows of ODD.md's parameter tables (header `| parameter | default | ...`): the first cell
is a dotted path in backticks, the second the default. The path convention (stated in ODD.md, section 8):
- a block is entered by its field name (`params.adoption.q`, `firm.levers.culture`);
- a list of blocks is documented once, without a position (`interventions.intensity` for
  `interventions.0.intensity`; `interventions.target.functions`);
- a mapping with a fixed set of keys is documented per key, because each key has its own default
  (`population.bands.over-5b.share`, `population.industries.media`).
Defaults are written as the schema gives them: numbers (compared numerically), tuples `(a, b)` (compared
element by element), strings in double quotes (compared exactly), an empty cell for None and `(required)`
for a field without a default.
"""

from __future__ import annotations

import ast
import inspect
import math
import re
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

import sim.model
from sim.model import AdoptionModel
from sim.schema import Scenario

ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"
REQUIRED = object()
"""Marks a schema field that has no default."""
SCHEDULE_HEADING = "### 3.1 Schedule"


# --- the schema's leaf fields and their defaults ---------------------------------------------------------


def strip(annotation: Any) -> Any:
    """The annotation without Annotated metadata and without None in an optional."""
    if get_origin(annotation) is Annotated:
        return strip(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return strip(args[0])
    return annotation


def is_block(annotation: Any) -> bool:
    """Whether an annotation is a schema block (a pydantic model)."""
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def field_default(block: type[BaseModel], name: str, instance: BaseModel | None) -> Any:
    """A field's default: from the enclosing default instance where there is one, else from the field."""
    if instance is not None:
        return getattr(instance, name)
    field = block.model_fields[name]
    if field.default_factory is not None:
        return field.default_factory()
    if field.default is PydanticUndefined:
        return REQUIRED
    return field.default


def leaves(block: type[BaseModel], instance: BaseModel | None, prefix: str) -> Iterator[tuple[str, Any]]:
    """(documented dotted path, default) for every leaf field under a block."""
    for name, field in block.model_fields.items():
        path = f"{prefix}{name}"
        default = field_default(block, name, instance)
        annotation = strip(field.annotation)
        origin, args = get_origin(annotation), get_args(annotation)
        if is_block(annotation):
            yield from leaves(annotation, default if isinstance(default, BaseModel) else None, f"{path}.")
        elif origin is list and args and is_block(strip(args[0])):
            yield from leaves(strip(args[0]), None, f"{path}.")
        elif origin is dict and get_origin(strip(args[0])) is Literal:
            values = default if isinstance(default, dict) else {}
            for key in get_args(strip(args[0])):
                value = values.get(key, REQUIRED)
                if is_block(strip(args[1])):
                    yield from leaves(strip(args[1]), value if isinstance(value, BaseModel) else None, f"{path}.{key}.")
                else:
                    yield f"{path}.{key}", value
        else:
            yield path, default


SCHEMA = dict(leaves(Scenario, Scenario(), ""))


# --- the parameter tables of ODD.md -----------------------------------------------------------------------


def cells(line: str) -> list[str]:
    """The cells of a markdown table row."""
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def documented() -> dict[str, str]:
    """Dotted path -> default cell, from the rows of ODD.md's parameter tables (tables whose header starts
    `| parameter | default |`) whose first cell is a path in backticks."""
    rows: dict[str, str] = {}
    in_parameter_table = False
    previous_was_row = False
    for line in ODD.read_text(encoding="utf-8").splitlines():
        is_row = line.lstrip().startswith("|")
        if is_row and not previous_was_row:
            in_parameter_table = cells(line)[:2] == ["parameter", "default"]
        previous_was_row = is_row
        if not (is_row and in_parameter_table):
            continue
        row = cells(line)
        match = re.fullmatch(r"`([A-Za-z0-9_.\-]+)`", row[0])
        if match and len(row) >= 2:
            rows.setdefault(match.group(1), row[1])
    return rows


def parse_default(cell: str) -> Any:
    """A default cell as a value: empty -> None, (required), "string", (tuple), or a number."""
    cell = cell.strip().strip("`")
    if cell == "":
        return None
    if cell == "(required)":
        return REQUIRED
    if len(cell) >= 2 and cell[0] == cell[-1] == '"':
        return cell[1:-1]
    if cell.startswith("(") and cell.endswith(")"):
        return tuple(parse_default(part) for part in cell[1:-1].split(",") if part.strip())
    return float(cell.replace(",", "").replace("_", ""))


def same(documented_value: Any, schema_value: Any) -> bool:
    """Numbers numerically, tuples element by element, strings exactly, None and (required) by identity."""
    if schema_value is None or schema_value is REQUIRED:
        return documented_value is schema_value
    if isinstance(schema_value, tuple | list):
        return (
            isinstance(documented_value, tuple)
            and len(documented_value) == len(schema_value)
            and all(same(d, s) for d, s in zip(documented_value, schema_value, strict=True))
        )
    if isinstance(schema_value, str):
        return documented_value == schema_value
    if isinstance(schema_value, int | float) and not isinstance(schema_value, bool):
        return isinstance(documented_value, float) and math.isclose(documented_value, schema_value, abs_tol=1e-12)
    raise AssertionError(f"no rule to compare a default of type {type(schema_value).__name__}")


def test_schema_walk_finds_the_known_kinds_of_field() -> None:
    # Guards the walk itself: a nested block, a list of blocks, a mapping of blocks and of numbers, a tuple.
    for path in (
        "weeks",
        "firm.levers.culture",
        "params.pilots.advance",
        "interventions.target.functions",
        "interventions.trigger.metric",
        "population.bands.over-5b.employees",
        "population.industries.media",
        "population.infrastructure.mean",
        "survey.ebit_threshold",
    ):
        assert path in SCHEMA, path


@pytest.mark.parametrize("path", sorted(SCHEMA))
def test_every_schema_field_is_documented_with_its_default(path: str) -> None:
    rows = documented()
    assert path in rows, f"{path} is in sim/schema.py but has no row in a parameter table of docs/ODD.md"
    cell = rows[path]
    try:
        value = parse_default(cell)
    except ValueError:
        pytest.fail(f"{path}: cannot read the default {cell!r} in docs/ODD.md")
    assert same(value, SCHEMA[path]), f"{path}: docs/ODD.md gives {cell!r}, the schema {SCHEMA[path]!r}"


def test_no_documented_parameter_is_missing_from_the_schema() -> None:
    stale = sorted(set(documented()) - set(SCHEMA))
    assert not stale, f"docs/ODD.md documents parameters the schema no longer has: {stale}"


# --- the rules AdoptionModel.step calls -------------------------------------------------------------------


def module_aliases() -> set[str]:
    """Names under which sim/model.py imports modules (`rules`, `funnel`)."""
    return {name for name, value in vars(sim.model).items() if isinstance(value, types.ModuleType)}


def attribute_classes() -> dict[str, str]:
    """self.<attribute> -> the class assigned to it in AdoptionModel.__init__ (e.g. timeline -> Timeline)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(AdoptionModel.__init__)))
    classes = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            for target in node.targets:
                if isinstance(target, ast.Attribute) and getattr(target.value, "id", None) == "self" and name:
                    classes[target.attr] = name
    return classes


def called_rules() -> list[str]:
    """The rules step calls, in the order they run (arguments before the call that takes them), as they are
    named in ODD.md: `function` for module functions, `Class.method` for methods of the model's parts. The
    compiled kernels (`self.compiled`) run the same rules and are not rules of their own: ODD 3.1 says so and
    tests/test_kernels.py proves them equal to the functions listed here."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(AdoptionModel.step)))
    aliases, classes = module_aliases(), attribute_classes()
    order: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            visit(child)
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            return
        base, method = node.func.value, node.func.attr
        if isinstance(base, ast.Attribute) and base.attr == "compiled":
            return
        if isinstance(base, ast.Name) and base.id in aliases:
            order.append(method)
        elif isinstance(base, ast.Name) and base.id == "self" and method in vars(AdoptionModel):
            order.append(method)
        elif isinstance(base, ast.Attribute) and getattr(base.value, "id", None) == "self" and base.attr in classes:
            order.append(f"{classes[base.attr]}.{method}")

    visit(tree.body[0])
    return order


def test_step_calls_were_found() -> None:
    rules = called_rules()
    assert {"observe_peers", "adopt", "advance", "Timeline.apply"} <= set(rules), rules


def test_every_rule_called_in_step_is_named_in_odd() -> None:
    text = ODD.read_text(encoding="utf-8")
    missing = [rule for rule in called_rules() if f"`{rule}`" not in text]
    assert not missing, f"AdoptionModel.step calls rules docs/ODD.md does not name: {missing}"


def test_schedule_in_odd_lists_the_rules_in_the_order_step_calls_them() -> None:
    text = ODD.read_text(encoding="utf-8")
    assert SCHEDULE_HEADING in text, f"docs/ODD.md has no section {SCHEDULE_HEADING!r}"
    section = text.split(SCHEDULE_HEADING, 1)[1].split("\n#", 1)[0]
    positions = {rule: section.find(f"`{rule}`") for rule in called_rules()}
    absent = [rule for rule, at in positions.items() if at < 0]
    assert not absent, f"the schedule in docs/ODD.md does not list {absent}"
    listed = sorted(positions, key=positions.get)
    assert listed == list(dict.fromkeys(called_rules())), f"schedule order {listed} != step order {called_rules()}"
