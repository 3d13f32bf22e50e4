"""Loading scenario files: safe YAML, `extends:` chains, `--set` overrides and schema validation.

Every failure becomes an `InputError` naming the file, the field path, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import InputError
from sim.schema import Scenario
from sim.state import team_sizes

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read, merge (`extends:`), override (`PATH=VALUE`) and validate a scenario file."""
    path = resolve_scenario_path(path)
    data = read_with_bases(path, chain=())
    data.setdefault("name", path.stem)
    for assignment in overrides:
        apply_override(data, assignment, path)
    return validate(data, path)


def resolve_scenario_path(path: str | Path) -> Path:
    """The file a user means: a path, or the name of a shipped scenario such as `baseline`."""
    candidate = Path(path)
    if candidate.is_file():
        return candidate
    shipped = SCENARIO_DIR / f"{candidate}.yaml"
    if candidate.suffix == "" and shipped.is_file():
        return shipped
    names = ", ".join(shipped_scenarios()) or "none"
    raise InputError(f"{path}: no such scenario file. Give a path to a YAML file or a shipped name ({names}).")


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped in scenarios/."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def read_yaml(path: Path, kind: str = "a scenario") -> dict[str, Any]:
    """Parse one YAML file safely into a mapping; `kind` names what the file should be, for the message."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror}).") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{path}: not valid YAML{where}: {problem}.") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(
            f"{path}: {kind} must be a mapping of fields (name: value, one per line), not {type(data).__name__}."
        )
    return data


def read_with_bases(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """Read a file and deep-merge it over the file it `extends:` (relative to its own folder)."""
    if path.resolve() in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path.resolve()))
        raise InputError(f"{path}: field extends forms a cycle ({cycle}). A file cannot extend itself.")
    data = read_yaml(path)
    base_name = data.pop("extends", None)
    if base_name is None:
        return data
    if not isinstance(base_name, str):
        raise InputError(f"{path}: field extends = {base_name!r} must be a file name, such as baseline.yaml.")
    base_path = path.parent / base_name
    if not base_path.is_file():
        options = ", ".join(sorted(p.name for p in path.parent.glob("*.yaml"))) or "none"
        raise InputError(
            f"{path}: field extends = {base_name!r}: no such file {base_path}. "
            f"It must name a scenario file relative to {path.parent} (there: {options})."
        )
    base = read_with_bases(base_path, (*chain, path.resolve()))
    base.pop("name", None)
    base.pop("description", None)
    return deep_merge(base, data)


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """`top` over `base`: mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def apply_override(data: dict[str, Any], assignment: str, path: Path) -> None:
    """Set one `dotted.path=value` in the raw scenario (validated afterwards with the rest). Blocks the file
    leaves out are filled with their defaults first, so one field of them can be changed alone."""
    field, sep, raw = assignment.partition("=")
    if not sep or not field.strip():
        raise InputError(f"--set {assignment!r}: expected PATH=VALUE, for example firm.levers.culture=0.8.")
    keys = field.strip().split(".")
    check_field_path(keys, f"--set {assignment!r}")
    try:
        value = yaml.safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError:
        value = raw
    node: Any = data
    for depth, key in enumerate(keys[:-1]):
        node = child_node(node, key, keys[: depth + 1], assignment)
    if isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value


def child_node(node: Any, key: str, keys: list[str], assignment: str) -> Any:
    """Step into the mapping or list under one key of a --set path, filling it with its default if absent."""
    if isinstance(node, list):
        index = int(key)
        if index >= len(node):
            raise InputError(f"--set {assignment!r}: there is no item {index}; the list has {len(node)} items.")
        return node[index]
    if not isinstance(node.get(key), list | dict):
        node[key] = default_at(keys)
    return node[key]


def default_at(keys: list[str]) -> Any:
    """The schema's default for the block at a path, as plain data: {} or [] where it has none."""
    node: Any = Scenario().model_dump(mode="json")
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, list | dict):
        return node
    parent = schema_node(keys[:-1])
    field = parent.model_fields.get(keys[-1])
    model, container, _ = block_type(field.annotation) if field else (None, "", None)
    if container == "list":
        return []
    if model is None or container:
        return {}
    try:
        return model().model_dump(mode="json")
    except ValidationError:
        return {}


def check_field_path(keys: list[str], where: str) -> None:
    """Refuse a dotted path that names no field of the schema, suggesting the nearest one. A list of blocks
    is entered by position (interventions.0.intensity), a mapping by key (population.bands.1b-5b.share)."""
    model: type[BaseModel] | None = Scenario
    container, allowed_keys = "", None
    for depth, key in enumerate(keys):
        here = ".".join(keys[:depth])
        if container:
            check_entry(container, allowed_keys, key, here, where)
            container = ""
        else:
            fields = model.model_fields if model else {}
            if key not in fields:
                raise InputError(
                    f"{where}: unknown field {'.'.join(keys)!r}. {allowed_fields(here, key, list(fields))}"
                )
            model, container, allowed_keys = block_type(fields[key].annotation)
        if model is None and not container and depth < len(keys) - 1:
            raise InputError(
                f"{where}: field {'.'.join(keys[: depth + 1])!r} is a value, it has no field {keys[depth + 1]!r}."
            )


def check_entry(container: str, allowed_keys: list[str] | None, key: str, here: str, where: str) -> None:
    """A list is entered by a position, a mapping by one of its allowed keys."""
    if container == "list" and not key.isdigit():
        raise InputError(f"{where}: {here!r} is a list; give a position such as 0 next.")
    if container == "dict" and allowed_keys is not None and key not in allowed_keys:
        raise InputError(f"{where}: {here!r} has no entry {key!r}. {allowed_fields(here, key, allowed_keys)}")


def block_type(annotation: Any) -> tuple[type[BaseModel] | None, str, list[str] | None]:
    """The schema block a field holds (None for a plain value); whether the field is a "list" or "dict" of
    them (else ""); and the keys a dict allows, where they are fixed. Optional blocks count as blocks."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, "", None
    args = [a for a in get_args(annotation) if a is not type(None)]
    origin = get_origin(annotation)
    if origin is list and args:
        model, _, _ = block_type(args[0])
        return model, "list" if model else "", None
    if origin is dict and len(args) == 2:
        model, _, _ = block_type(args[1])
        keys = list(get_args(args[0])) if get_origin(args[0]) is Literal else None
        return model, "dict", keys
    if len(args) == 1:
        return block_type(args[0])
    return None, "", None


def allowed_fields(prefix: str, key: str, fields: list[str]) -> str:
    """A hint naming the closest known field and listing the allowed ones."""
    near = difflib.get_close_matches(key, fields, n=1)
    hint = f"Did you mean {'.'.join(filter(None, [prefix, near[0]]))!r}? " if near else ""
    where = f"under {prefix!r}" if prefix else "at the top level"
    return f"{hint}Allowed {where}: {', '.join(fields)}."


def validate(data: dict[str, Any], path: Path) -> Scenario:
    """Check merged data against the schema and the scenario's own consistency, in plain messages."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(describe_validation_error(exc, path)) from None
    check_interventions(scenario, path)
    return scenario


def check_interventions(scenario: Scenario, path: Path) -> None:
    """Interventions must start within the horizon and target teams that exist."""
    n_teams = len(team_sizes(scenario.firm))
    for i, intervention in enumerate(scenario.interventions):
        if intervention.start > scenario.weeks:
            raise InputError(
                f"{path}: field interventions.{i}.start = {intervention.start} is after the horizon: "
                f"it must be a week from 1 to weeks ({scenario.weeks})."
            )
        if intervention.target.teams is not None and scenario.population is not None:
            raise InputError(
                f"{path}: field interventions.{i}.target.teams: teams can be named only in a single-firm "
                "scenario; in a population target functions instead."
            )
        unknown = [t for t in intervention.target.teams or [] if t >= n_teams]
        if unknown:
            raise InputError(
                f"{path}: field interventions.{i}.target.teams = {unknown} names teams that do not exist: "
                f"this firm has teams 0 to {n_teams - 1}."
            )


def describe_validation_error(exc: ValidationError, path: Path) -> str:
    """One paragraph per problem: file, field path, value given and what is allowed."""
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        field = ".".join(loc)
        if error["type"] == "extra_forbidden":
            known = list(schema_node(loc[:-1]).model_fields)
            lines.append(f"{path}: unknown field {field!r}. {allowed_fields('.'.join(loc[:-1]), loc[-1], known)}")
            continue
        allowed = error["msg"]
        description = field_description(loc)
        if description:
            allowed += f" ({description})"
        lines.append(f"{path}: field {field} = {short_repr(error['input'])} is not allowed: {allowed}.")
    return "\n".join(lines)


def short_repr(value: Any, limit: int = 80) -> str:
    """A value as written back to the user, shortened when it is a whole block."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def schema_node(loc: list[str]) -> type[BaseModel]:
    """The schema block found at a field path (the deepest block along it)."""
    model: type[BaseModel] = Scenario
    container = ""
    for key in loc:
        if container:
            container = ""
            continue
        field = model.model_fields.get(key)
        inner, container, _ = block_type(field.annotation) if field else (None, "", None)
        if inner is None:
            break
        model = inner
    return model


def field_description(loc: list[str]) -> str:
    """The one-line meaning of the field at a path, if the path names one."""
    model = schema_node(loc[:-1])
    field = model.model_fields.get(loc[-1]) if loc else None
    return field.description or "" if field else ""


def scenario_digest(scenario: Scenario) -> str:
    """SHA-256 of the fully resolved scenario, so a run records exactly what it ran."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
