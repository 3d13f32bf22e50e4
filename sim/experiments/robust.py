"""Robust comparisons: the same arms judged across many plausible worlds, not only many seeds.

A comparison's `uncertain:` block maps dotted scenario paths (as `--set` takes them) to a range
(`{low: 40, high: 120}`) or a list of values (`[0.3, 0.4, 0.5]`). Each replicate draws one world from it,
by Latin hypercube sampling seeded from the comparison's seed: the ranges are split into as many equal
strata as there are replicates and every stratum of every input is drawn once, so even 20 replicates cover
each range evenly. Replicate r of the base and of every arm runs in the same world and with the same seed,
so the arms still differ only by what they add.

Across the worlds the comparison reports, for the ranking metric (scaled pilots unless the file's `rank_by`
says otherwise): each option's probability of being best (the share of replicates in which it did best, ties
shared), its regret (the best option's figure minus its own, per replicate: the mean and the 90th
percentile), the probability of being best in each third of every uncertain input's range, and how much each
input sways the leading option's advantage (the rank correlation between the input and the leader's margin
over the best of the others).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from sim.errors import InputError
from sim.experiments.execution import stream_generator
from sim.output import FLOAT_FORMAT, write_json
from sim.scenario import check_field_path, field_info, scenario_with, set_field, short_repr, validate
from sim.schema import Intervention, Scenario

WORLD_STREAM = 7_331
"""Spawn key of the random stream the worlds are drawn from (apart from every replicate's own seed)."""
THIRDS = ("low", "middle", "high")
REGRET_QUANTILE = 0.9


@dataclass(frozen=True)
class Input:
    """One uncertain input: its dotted path, and either a range (`low`, `high`; `integer` when the field
    holds whole numbers) or a list of `choices`."""

    path: str
    low: float | None = None
    high: float | None = None
    integer: bool = False
    choices: tuple[Any, ...] = ()

    def value(self, u: float) -> Any:
        """The input's value at position u (0 <= u < 1) of its range or list."""
        if self.choices:
            return self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)]
        value = self.low + u * (self.high - self.low)
        return int(min(math.floor(value + 0.5), self.high)) if self.integer else float(value)

    def describe(self) -> str:
        """The input's range in words."""
        if self.choices:
            return "one of " + ", ".join(str(c) for c in self.choices)
        return f"from {self.low:g} to {self.high:g}"


@dataclass(frozen=True)
class Uncertain:
    """The uncertain inputs of a comparison or plan, in file order."""

    inputs: tuple[Input, ...]

    def worlds(self, seed: int, replicates: int) -> list[dict[str, Any]]:
        """One world per replicate: Latin hypercube draws, deterministic from `seed` and `replicates`."""
        rng = stream_generator(seed, WORLD_STREAM)
        points = qmc.LatinHypercube(d=len(self.inputs), rng=rng).random(replicates)
        return [{inp.path: inp.value(u) for inp, u in zip(self.inputs, row, strict=True)} for row in points]


def parse_uncertain(block: Any, path: Path, base: Scenario) -> Uncertain | None:
    """Check an `uncertain:` block against the schema and the base scenario: every path must name a field,
    every range be two numbers low < high and every list hold values; each end of a range and each listed
    value must be allowed in the base scenario. Bad input raises InputError naming the file, field, value and
    what is allowed."""
    if block is None:
        return None
    if not isinstance(block, dict) or not block:
        raise InputError(
            f"{path}: field uncertain = {short_repr(block)} is not allowed: it must map dotted scenario paths to "
            "a range {low: L, high: H} or a list of values, e.g. params.effects.training: {low: 0.01, high: 0.03}."
        )
    inputs = [parse_input(str(key), value, path, base) for key, value in block.items()]
    return Uncertain(tuple(inputs))


def parse_input(dotted: str, spec: Any, path: Path, base: Scenario) -> Input:
    """One uncertain input, checked."""
    where = f"{path}: field uncertain.{dotted}"
    keys = dotted.split(".")
    check_field_path(keys, f"{path}: uncertain")
    if isinstance(spec, list):
        if not spec:
            raise InputError(f"{where} = [] is not allowed: give at least one value, e.g. [0.3, 0.5].")
        for value in spec:
            check_value(base, keys, value, f"{where} (the value {short_repr(value)})")
        return Input(dotted, choices=tuple(spec))
    if not isinstance(spec, dict) or set(spec) != {"low", "high"}:
        raise InputError(
            f"{where} = {short_repr(spec)} is not allowed: give a range {{low: L, high: H}} (both numbers, "
            "L < H) or a list of values."
        )
    low, high = spec["low"], spec["high"]
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (low, high))
    if not numbers or not low < high:
        raise InputError(
            f"{where} = {short_repr(spec)} is not allowed: low and high must be finite numbers with low < high."
        )
    info = field_info(keys)
    integer = info is not None and info.annotation in (int, int | None)
    if integer and not (float(low).is_integer() and float(high).is_integer()):
        raise InputError(f"{where} = {short_repr(spec)} is not allowed: the field holds whole numbers.")
    for end, value in (("low", low), ("high", high)):
        check_value(base, keys, int(value) if integer else value, f"{where}.{end}")
    return Input(dotted, low=float(low), high=float(high), integer=integer)


def check_value(base: Scenario, keys: list[str], value: Any, where: str) -> None:
    """Refuse a value the base scenario cannot take at `keys`, in the schema's words."""
    data = base.model_dump(mode="json")
    set_field(data, keys, value, where)
    validate(data, Path(where), [(tuple(keys), where)])


def in_world(scenario: Scenario, world: dict[str, Any]) -> Scenario:
    """The scenario with one world's values set (already checked by parse_uncertain)."""
    return scenario_with(scenario, world) if world else scenario


def with_added(scenario: Scenario, added: list[Intervention], name: str) -> Scenario:
    """A scenario with interventions added after its own."""
    return scenario.model_copy(update={"name": name, "interventions": [*scenario.interventions, *added]})


# --- analysis ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Robustness:
    """The ranking metric of every option (the base first) in every world: `scores` is replicates x options."""

    metric: str
    better: int
    options: list[str]
    inputs: tuple[Input, ...]
    worlds: list[dict[str, Any]]
    scores: np.ndarray

    @property
    def oriented(self) -> np.ndarray:
        """Scores with higher always better."""
        return self.better * self.scores

    def wins(self) -> np.ndarray:
        """Per replicate and option: its share of the win (1 for a sole best, 1/k for a k-way tie, else 0)."""
        oriented = self.oriented
        best = oriented == oriented.max(axis=1, keepdims=True)
        return best / best.sum(axis=1, keepdims=True)

    def regrets(self) -> np.ndarray:
        """Per replicate and option: the best option's figure minus this option's (in the better direction)."""
        oriented = self.oriented
        return oriented.max(axis=1, keepdims=True) - oriented

    def table(self) -> pd.DataFrame:
        """Each option's probability of being best, mean score and regret (mean and 90th percentile)."""
        regrets = self.regrets()
        return pd.DataFrame(
            {
                "option": self.options,
                "p_best": self.wins().mean(axis=0),
                "mean": self.scores.mean(axis=0),
                "regret_mean": regrets.mean(axis=0),
                "regret_p90": np.quantile(regrets, REGRET_QUANTILE, axis=0),
            }
        )

    def leader(self) -> int:
        """The option most often best (ties: the lower mean regret, then the earlier option)."""
        table = self.table()
        order = sorted(range(len(self.options)), key=lambda i: (-table.p_best[i], table.regret_mean[i], i))
        return order[0]

    def margin(self) -> np.ndarray:
        """Per replicate: the leader's figure minus the best of the others (in the better direction)."""
        oriented = self.oriented
        lead = self.leader()
        others = np.delete(oriented, lead, axis=1)
        return oriented[:, lead] - others.max(axis=1)

    def groups(self, inp: Input) -> list[tuple[str, np.ndarray]]:
        """The replicates split by an input: each listed value, or the low, middle and high third of a range."""
        drawn = [world[inp.path] for world in self.worlds]
        if inp.choices:
            return [(str(c), np.array([d == c for d in drawn])) for c in inp.choices]
        cuts = np.linspace(inp.low, inp.high, 4)
        values = np.array(drawn, dtype=float)
        third = np.clip(np.searchsorted(cuts[1:-1], values, side="right"), 0, 2)
        return [(f"{name} ({cuts[k]:.3g} to {cuts[k + 1]:.3g})", third == k) for k, name in enumerate(THIRDS)]

    def by_group(self) -> pd.DataFrame:
        """P(best) of each option within each group of each input (a row per input, group and option)."""
        wins = self.wins()
        rows = []
        for inp in self.inputs:
            for group, mask in self.groups(inp):
                for j, option in enumerate(self.options):
                    share = float(wins[mask, j].mean()) if mask.any() else math.nan
                    rows.append(
                        {
                            "input": inp.path,
                            "group": group,
                            "replicates": int(mask.sum()),
                            "option": option,
                            "p_best": share,
                        }
                    )
        return pd.DataFrame(rows)

    def influence(self) -> pd.DataFrame:
        """Each input's Spearman rank correlation with the leader's margin, strongest first. Listed values
        count by their position in the list."""
        margin = self.margin()
        rows = []
        for inp in self.inputs:
            drawn = [world[inp.path] for world in self.worlds]
            x = np.array([inp.choices.index(d) for d in drawn] if inp.choices else drawn, dtype=float)
            rho = spearman(x, margin)
            rows.append({"input": inp.path, "range": inp.describe(), "rank_correlation": rho})
        frame = pd.DataFrame(rows)
        strength = frame.rank_correlation.abs().fillna(-1)
        return frame.iloc[np.argsort(-strength.to_numpy(), kind="stable")].reset_index(drop=True)


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation, NaN where either side does not vary."""
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(stats.spearmanr(x, y).statistic)


def robustness(plan: Any, results: Any) -> Robustness:
    """The robustness of a finished comparison with an `uncertain:` block."""
    from sim.experiments.compare import METRICS, values

    metric = plan.spec.rank_by
    options = [plan.base.name, *results.arms]
    scores = np.column_stack(
        [values(results.base, metric), *(values(outcomes, metric) for outcomes in results.arms.values())]
    )
    return Robustness(metric, METRICS[metric].better, options, plan.uncertain.inputs, plan.worlds, scores)


def robust_record(rob: Robustness) -> dict[str, Any]:
    """Everything the report says about robustness (robust.json)."""
    from sim.experiments.compare import METRICS

    table = rob.table()
    influence = rob.influence()
    return {
        "metric": rob.metric,
        "label": METRICS[rob.metric].label,
        "better": "higher" if rob.better > 0 else "lower",
        "replicates": len(rob.worlds),
        "inputs": [{"path": inp.path, "range": inp.describe()} for inp in rob.inputs],
        "leader": rob.options[rob.leader()],
        "options": clean(table.to_dict(orient="records")),
        "by_group": clean(rob.by_group().to_dict(orient="records")),
        "influence": clean(influence.to_dict(orient="records")),
    }


def clean(rows: list[dict]) -> list[dict]:
    """Records with NaN as None (JSON null)."""
    return [{k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()} for row in rows]


def robust_summary(record: dict[str, Any]) -> list[str]:
    """The robustness findings in a few sentences."""
    options = sorted(record["options"], key=lambda o: -o["p_best"])
    shares = ", ".join(f"{o['option']} {o['p_best']:.0%}" for o in options)
    lines = [
        f"Across {record['replicates']} worlds drawn from the uncertain inputs, the probability of being best "
        f"({record['label']}, {record['better']} is better): {shares}."
    ]
    leader = record["leader"]
    lead = next(o for o in options if o["option"] == leader)
    lines.append(
        f"{leader} leads; its regret (how far it falls short of the best option in the same world) is "
        f"{lead['regret_mean']:.1f} on average and {lead['regret_p90']:.1f} in the worst tenth of worlds."
    )
    flips = ranking_changes(record)
    lines.extend(flips)
    named = [row for row in record["influence"] if row["rank_correlation"] is not None]
    if named:
        top = named[0]
        direction = "grows" if top["rank_correlation"] > 0 else "shrinks"
        lines.append(
            f"Most influential input: {top['input']} (rank correlation {top['rank_correlation']:+.2f} with "
            f"{leader}'s margin over the next best: the margin {direction} as it rises)"
            + (f"; then {named[1]['input']} ({named[1]['rank_correlation']:+.2f})." if len(named) > 1 else ".")
        )
    return lines


def ranking_changes(record: dict[str, Any]) -> list[str]:
    """A sentence for each input in one part of whose range another option is most often best."""
    frame = pd.DataFrame(record["by_group"])
    lines = []
    for inp in record["inputs"]:
        part = frame[(frame.input == inp["path"]) & (frame.replicates > 0)]
        changes = []
        for group, rows in part.groupby("group", sort=False):
            top = rows.sort_values("p_best", ascending=False, kind="stable").iloc[0]
            if top.option != record["leader"]:
                changes.append(f"{top.option} is most often best where it is {group} ({top.p_best:.0%})")
        if changes:
            lines.append(f"The ranking changes with {inp['path']}: " + "; ".join(changes) + ".")
    return lines


def write_robust(plan: Any, results: Any, folder: Path) -> Robustness:
    """Write robust.json, robust.csv (P(best) and regret per option), robust_by_input.csv and worlds.csv."""
    rob = robustness(plan, results)
    csv_options = {"index": False, "float_format": FLOAT_FORMAT, "lineterminator": "\n"}
    rob.table().to_csv(folder / "robust.csv", **csv_options)
    rob.by_group().to_csv(folder / "robust_by_input.csv", **csv_options)
    worlds = pd.DataFrame(
        [{"replicate": r, "seed": s, **w} for r, (s, w) in enumerate(zip(results.seeds, rob.worlds, strict=True))]
    )
    worlds.to_csv(folder / "worlds.csv", **csv_options)
    write_json(folder / "robust.json", robust_record(rob))
    return rob
