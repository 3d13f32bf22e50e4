"""Loading scenario files: safe YAML, `extends:` chains, `--set` overrides and schema validation.

Every failure becomes an `InputError` naming the file, the field path, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from sim.errors import InputError
from sim.schema import Scenario
from sim.state import team_sizes

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


def load_scenario(
    path: str | Path, overrides: list[str] | tuple[str, ...] = (), sources: list[str] | None = None
) -> Scenario:
    """Read, merge (`extends:`), override (`PATH=VALUE`) and validate a scenario file. `sources` says where
    each override came from, for messages (default: `--set 'PATH=VALUE'`): a bad value is blamed on the
    override that gave it, not on the file."""
    path = resolve_scenario_path(path)
    data = read_with_bases(path, chain=())
    data.setdefault("name", path.stem)
    labels = list(sources) if sources is not None else [f"--set {a!r}" for a in overrides]
    blame = []
    for assignment, label in zip(overrides, labels, strict=True):
        blame.append((apply_override(data, assignment, path, label), label))
    return validate(data, path, blame)


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


def relative_or_shipped(name: str, path: Path, field: str) -> Path:
    """The scenario file a field of the file at `path` names (`extends:` of a scenario, `base:` of a comparison
    or experiment): a file relative to that file's folder, or else a shipped scenario's name, such as
    `baseline`. One resolver, so every field that names a scenario accepts the same things."""
    beside = path.parent / name
    if beside.is_file():
        return beside
    shipped = SCENARIO_DIR / f"{name}.yaml"
    if Path(name).suffix == "" and shipped.is_file():
        return shipped
    options = ", ".join(sorted(p.name for p in path.parent.glob("*.yaml")) or ["none"])
    raise InputError(
        f"{path}: field {field} = {name!r}: no such scenario file {beside}. It must name a scenario file "
        f"relative to {path.parent} (there: {options}), or a shipped scenario in {SCENARIO_DIR} "
        f"({', '.join(shipped_scenarios()) or 'none'})."
    )


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped in scenarios/."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def read_yaml(path: Path, kind: str = "a scenario") -> dict[str, Any]:
    """Parse one YAML file safely into a mapping; `kind` names what the file should be, for the message."""
    data = parse_yaml(read_text(path, kind), str(path))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(
            f"{path}: {kind} must be a mapping of fields (name: value, one per line), not {type(data).__name__}."
        )
    return data


MAX_FILE_BYTES = 4_000_000
"""Largest YAML file read (scenario, experiment and comparison files are a few kilobytes)."""
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings a YAML file may have (scenarios nest about six deep)."""
MAX_ALIAS_NODES = 10_000
"""Most values YAML aliases (*name) may add by repeating anchored blocks: a few reused blocks are fine,
a file of nested anchors that would expand to billions of values (a "billion laughs") is refused."""
PLAIN_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")}


class UserLoader(yaml.SafeLoader):
    """PyYAML's safe loader without timestamps: a date-like value stays text, as every field expects."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def read_text(path: Path, kind: str) -> str:
    """A file's text, which must be UTF-8 and of a sensible size."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"{path}: {size:,} bytes is too large for {kind}; at most {MAX_FILE_BYTES:,} bytes are read."
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror}).") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start} cannot be decoded). "
            f"{kind[0].upper()}{kind[1:]} must be a YAML text file saved as UTF-8."
        ) from None


def parse_yaml(text: str, where: str) -> Any:
    """Plain data (mappings, lists, text, numbers, booleans, null) from YAML text, or an InputError naming
    `where`. The events are checked first, before anything is built: nesting deeper than MAX_DEPTH, aliases
    that would expand beyond MAX_ALIAS_NODES and tags other than the plain ones are refused."""
    try:
        check_yaml_events(text, where)
        return yaml.load(text, Loader=UserLoader)  # noqa: S506 (UserLoader is a SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{where}: not valid YAML{at}: {problem}.") from None
    except (ValueError, OverflowError, RecursionError) as exc:
        raise InputError(f"{where}: not valid YAML: {exc}.") from None


def check_yaml_events(text: str, where: str) -> None:
    """Walk the parser's events (the parser keeps its own stack, so this is safe at any depth) and refuse
    deep nesting, explosive aliases and non-plain tags before the composer, which recurses, builds anything."""
    stack: list[list[Any]] = [[None, 0, 0]]  # per open block: its anchor, nodes inside (aliases expanded), depth below
    anchors: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, depth) once its block is complete
    added = 0
    for event in yaml.parse(text, Loader=UserLoader):
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise InputError(
                    f"{where}: alias *{event.anchor} refers to no complete anchor &{event.anchor} before it "
                    "(an alias inside its own anchor would repeat forever)."
                )
            nodes, depth = anchors[event.anchor]
            added += nodes - 1
            if added > MAX_ALIAS_NODES:
                raise InputError(
                    f"{where}: YAML aliases (*{event.anchor} and others) would expand this file by more than "
                    f"{MAX_ALIAS_NODES:,} values; at most {MAX_ALIAS_NODES:,} are allowed. Write the values out, "
                    "or reuse fewer blocks."
                )
            close_node(stack, nodes, depth, where)
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, nodes, depth = stack.pop()
            if anchor:
                anchors[anchor] = (nodes, depth + 1)
            close_node(stack, nodes, depth + 1, where)
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue
        if event.tag is not None and event.tag not in PLAIN_TAGS and event.tag != "!":
            raise InputError(
                f"{where}: YAML tag {event.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed; values must "
                "be plain text, numbers, true/false, null, lists or mappings."
            )
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append([event.anchor, 1, 0])
            if len(stack) - 1 > MAX_DEPTH:
                raise InputError(
                    f"{where}: lists and mappings nest more than {MAX_DEPTH} deep; at most {MAX_DEPTH} levels "
                    "are allowed."
                )
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor:
                anchors[event.anchor] = (1, 0)
            close_node(stack, 1, 0, where)


def close_node(stack: list[list[Any]], nodes: int, depth: int, where: str) -> None:
    """Count a finished node (scalar, alias or block) into the block that holds it."""
    stack[-1][1] += nodes
    stack[-1][2] = max(stack[-1][2], depth)
    if len(stack) - 1 + depth > MAX_DEPTH:
        raise InputError(
            f"{where}: lists and mappings nest more than {MAX_DEPTH} deep (counting what aliases repeat); "
            f"at most {MAX_DEPTH} levels are allowed."
        )


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
    base_path = relative_or_shipped(base_name, path, "extends")
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


def apply_override(data: dict[str, Any], assignment: str, path: Path, label: str | None = None) -> tuple[str, ...]:
    """Set one `dotted.path=value` in the raw scenario (validated afterwards with the rest). Blocks the file
    leaves out are filled with their defaults first, so one field of them can be changed alone."""
    label = label or f"--set {assignment!r}"
    field, sep, raw = assignment.partition("=")
    if not sep or not field.strip():
        raise InputError(f"{label}: expected PATH=VALUE, for example firm.levers.culture=0.8.")
    keys = field.strip().split(".")
    try:
        value = parse_yaml(raw, label) if raw.strip() else raw
    except InputError:
        value = raw
    return set_field(data, keys, value, label)


def set_field(data: dict[str, Any], keys: list[str], value: Any, label: str) -> tuple[str, ...]:
    """The one dotted-path setter: set the field at `keys` of the raw scenario to `value`, after checking that
    the path names a field (`label` says where it came from, for the message). Blocks the scenario leaves out
    are filled with their defaults first. Returns the path."""
    check_field_path(keys, label)
    node: Any = data
    for depth, key in enumerate(keys[:-1]):
        node = child_node(node, key, keys[: depth + 1], label)
    if isinstance(node, list):
        node[list_index(node, keys[-1], keys, label)] = value
    else:
        node[keys[-1]] = value
    return tuple(keys)


def child_node(node: Any, key: str, keys: list[str], label: str) -> Any:
    """Step into the mapping or list under one key of a --set path, filling it with its default if absent."""
    if isinstance(node, list):
        return node[list_index(node, key, keys, label)]
    if not isinstance(node, dict):
        raise InputError(
            f"{label}: field {'.'.join(keys[:-1])} holds {short_repr(node)}, not a block of fields; fix it first."
        )
    if not isinstance(node.get(key), list | dict):
        node[key] = default_at(keys)
    return node[key]


def list_index(node: list, key: str, keys: list[str], label: str) -> int:
    """The position a --set path gives into a list that is there: an existing item's, never past the end."""
    where = ".".join(keys[:-1])
    if not (key.isascii() and key.isdigit()):
        raise InputError(f"{label}: field {where} is a list; give a position from 0 to {len(node) - 1} next.")
    index = int(key)
    if index >= len(node):
        held = f"items 0 to {len(node) - 1}" if node else "no items"
        raise InputError(
            f"{label}: field {where} has no item {index}: it has {held}. --set changes an item that is there; "
            "add new items in the scenario file."
        )
    return index


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
            if model is None and not container and get_origin(fields[key].annotation) in (list, tuple):
                container = "list"  # a list of values (params.pilots.advance.1): an item by position
        if model is None and not container and depth < len(keys) - 1:
            raise InputError(
                f"{where}: field {'.'.join(keys[: depth + 1])!r} is a value, it has no field {keys[depth + 1]!r}."
            )


def check_entry(container: str, allowed_keys: list[str] | None, key: str, here: str, where: str) -> None:
    """A list is entered by a position, a mapping by one of its allowed keys."""
    if container == "list" and not (key.isascii() and key.isdigit()):
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


Blame = list[tuple[tuple[str, ...], str]]
"""Field paths set by overrides, each with where it came from (`--set '...'`, an experiment's `set:`)."""


def validate(data: dict[str, Any], path: Path, blame: Blame | None = None) -> Scenario:
    """Check merged data against the schema and the scenario's own consistency, in plain messages; an error
    in a field an override set is blamed on the override."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(describe_validation_error(exc, path, blame or [])) from None
    except RecursionError:
        raise InputError(f"{path}: the scenario nests too deep to check.") from None
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


def describe_validation_error(exc: ValidationError, path: Path, blame: Blame = ()) -> str:
    """One paragraph per problem: file (or the override that set the field), field path, value given and
    what is allowed."""
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        field = ".".join(loc)
        source = next((label for keys, label in reversed(blame) if blamed(loc, keys)), str(path))
        if error["type"] == "extra_forbidden":
            known = list(schema_node(loc[:-1]).model_fields)
            lines.append(f"{source}: unknown field {field!r}. {allowed_fields('.'.join(loc[:-1]), loc[-1], known)}")
            continue
        lines.append(describe_value_error(source, field, error, field_info(loc)))
    return "\n".join(lines)


def blamed(loc: list[str], keys: tuple[str, ...]) -> bool:
    """Whether an override of the field at `keys` caused an error at `loc`: the error is in what it set, or
    in a block holding it (a check across the block's fields)."""
    n = min(len(loc), len(keys))
    return n > 0 and tuple(loc[:n]) == keys[:n]


def describe_value_error(source: str, field: str, error: dict, info: FieldInfo | None) -> str:
    """One value refused: where, which field, the value, why, and the whole range a number may take."""
    value = error["input"]
    if error["type"] == "missing":
        meaning = f" ({info.description})" if info is not None and info.description else ""
        return f"{source}: field {field} is missing; it is required{meaning}."
    if error["type"] == "value_error" and isinstance(value, dict):
        reason = str(error["msg"]).removeprefix("Value error, ")
        return f"{source}: field {field} is not allowed: {reason}." if field else f"{source}: {reason}."
    bounds = range_of(info, error["loc"][-1] if error["loc"] else None)
    meaning = f" ({info.description})" if info is not None and info.description else ""
    if isinstance(value, float) and not math.isfinite(value):
        what = "is not a number" if math.isnan(value) else "is not a finite number"
        allowed = f"it must be a number {bounds}" if bounds else "it must be a finite number"
        return f"{source}: field {field} = {value} {what}: {allowed}{meaning}."
    allowed = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] in RANGE_ERRORS and bounds:
        allowed = f"{allowed}; allowed: {bounds}"
    return f"{source}: field {field} = {short_repr(value)} is not allowed: {allowed}{meaning}."


RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def range_of(info: FieldInfo | None, last: Any = None) -> str:
    """The range a numeric field allows, in words ("from 0 to 1"), or "" if it has no bounds. For a tuple
    of bounded numbers (`last` the position) the element's own bounds count."""
    if info is None:
        return ""
    metadata = list(info.metadata)
    args = [a for a in get_args(info.annotation) if a is not type(None)]
    if isinstance(last, int) and get_origin(info.annotation) is tuple and last < len(args):
        for extra in get_args(args[last])[1:]:
            metadata.extend(getattr(extra, "metadata", [extra]))
    low = high = None
    for item in metadata:
        for name, strict in (("ge", False), ("gt", True)):
            if getattr(item, name, None) is not None:
                low = (getattr(item, name), strict)
        for name, strict in (("le", False), ("lt", True)):
            if getattr(item, name, None) is not None:
                high = (getattr(item, name), strict)
    if low and high:
        words = f"from {number(low[0])} to {number(high[0])}"
        excluded = [number(b[0]) for b in (low, high) if b[1]]
        return words + (f", {' and '.join(excluded)} excluded" if excluded else "")
    if low:
        return f"{'greater than' if low[1] else 'at least'} {number(low[0])}"
    if high:
        return f"{'less than' if high[1] else 'at most'} {number(high[0])}"
    return ""


def number(value: float) -> str:
    """A bound as people read it: 200,000, 0.5."""
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


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
    field = field_info(loc)
    return field.description or "" if field else ""


def field_info(loc: list[str]) -> FieldInfo | None:
    """The schema field at a path (the tuple field, for a position in a tuple), if the path names one."""
    if not loc:
        return None
    model = schema_node(loc[:-1])
    field = model.model_fields.get(loc[-1])
    if field is None and len(loc) > 1 and loc[-1].isdigit():
        field = schema_node(loc[:-2]).model_fields.get(loc[-2])
    return field


def scenario_with(base: Scenario, values: dict[str, Any], where: str = "") -> Scenario:
    """The base scenario with fields set by dotted path (`{"firm.levers.culture": 0.8}`), checked like a
    scenario file; `where` names the source in messages."""
    data = base.model_dump(mode="json")
    for name, value in values.items():
        set_field(data, name.split("."), value, f"{where}: field {name}" if where else f"field {name}")
    return validate(data, Path(where or base.name))


def scenario_digest(scenario: Scenario) -> str:
    """SHA-256 of the fully resolved scenario, so a run records exactly what it ran."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
