"""Validation: run a population over replicates and set its survey answers beside the published figures.

For every target (sim.experiments.targets) the published value, the simulated mean across replicates with
its 95% interval, the tolerance band and whether the mean lies inside it; then breakdowns the targets do
not constrain: the stages by revenue band and by industry, and employees' usage and engagement by anxiety
level. Written as validation.json (DESIGN.md section 7), CSV tables and figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.errors import InputError
from sim.experiments import targets
from sim.output import versions, write_json
from sim.scenario import scenario_digest
from sim.schema import Scenario
from sim.survey import SURVEY_STAGES, definitions

DEFAULT_SCENARIO = "population"
ANXIETY_LEVELS = (("low", 0.0, 0.25), ("medium", 0.25, 0.5), ("high", 0.5, 1.0))
"""Anxiety levels on the model's 0-1 scale, lower bound included (the last level includes 1). Fixed cut
points rather than tertiles, so that a scenario that raises anxiety shows more employees in the high level:
0.25 is about what the no-threat baseline leaves once skill and safety offer a little relief, 0.5 is half
the scale, reached only where threat and colleagues' fear outweigh relief."""
SCALING_BY_SIZE = {"under-100m": 0.29, "over-5b": 0.48}
"""Share of firms at least scaling by revenue band, from the same McKinsey (2025) report (29% of firms under
$100M, 'nearly half' over $5B). Not a calibration target: an out-of-sample check of the size gradient."""


@dataclass
class Validation:
    """The replicates of one validation run and what they answer."""

    scenario: Scenario
    replicates: list[targets.Replicate]

    @property
    def rows(self) -> list[dict]:
        """Per target: published, simulated mean, 95% interval, band, in band."""
        return targets.target_rows(targets.rates_table(self.replicates))

    @property
    def firms(self) -> pd.DataFrame:
        """Every firm's answers in every replicate, with the replicate's number."""
        return pd.concat([r.firms.assign(replicate=i) for i, r in enumerate(self.replicates)], ignore_index=True)


def population_scenario(scenario: Scenario, source: str) -> Scenario:
    """The scenario, refused unless it is a population (a survey describes many organisations)."""
    if scenario.population is None:
        raise InputError(
            f"{source}: field population is empty: validation compares a population of firms with survey "
            "figures. Give a population scenario (such as population) or add --set population.firms=100."
        )
    return scenario


def validate_population(
    scenario: Scenario,
    replicates: int,
    seed: int,
    on_replicate: Callable[[], None] | None = None,
    workers: int = 1,
) -> Validation:
    """Run the population `replicates` times, on `workers` processes, with seeds from the validation stream;
    the result does not depend on the number of workers."""
    seeds = targets.replicate_seeds(seed, replicates, targets.VALIDATION_STREAM)
    with targets.replicate_pool(min(workers, replicates)) as pool:
        return Validation(scenario, targets.run_replicates(scenario, seeds, on_replicate, pool))


def stage_breakdown(firms: pd.DataFrame, by: str, order: list[str]) -> pd.DataFrame:
    """Per group (revenue band or industry, in `order`), pooled over replicates: firm draws, the share in
    each stage, the share at least scaling, and the shares with regular use and with EBIT impact."""
    present = [group for group in order if group in set(firms[by])]
    stages = pd.crosstab(firms[by], firms["stage"], normalize="index").reindex(
        index=present, columns=SURVEY_STAGES, fill_value=0
    )
    table = stages.rename(columns=lambda s: f"stage_{s.replace(' ', '_')}")
    table["scaling_or_beyond"] = stages["scaling"] + stages["fully scaled"]
    grouped = firms.groupby(by)
    table.insert(0, "firms", grouped.size())
    table["regular_use"] = grouped["regular_use"].mean()
    table["ebit_impact"] = grouped["ebit_impact"].mean()
    return table.rename_axis(by).reset_index()


def size_check(by_band: pd.DataFrame) -> pd.DataFrame:
    """The share at least scaling by revenue band beside the published shares (where published)."""
    published = by_band["revenue_band"].map(SCALING_BY_SIZE)
    return by_band.assign(published_scaling_or_beyond=published.astype(object).where(published.notna(), None))


def anxiety_level(anxiety: np.ndarray) -> np.ndarray:
    """Each employee's anxiety level name."""
    cuts = [low for _, low, _ in ANXIETY_LEVELS[1:]]
    names = np.array([name for name, _, _ in ANXIETY_LEVELS])
    return names[np.digitize(anxiety, cuts)]


def anxiety_breakdown(validation: Validation) -> pd.DataFrame:
    """Per anxiety level, pooled over replicates: the share of employees, their mean usage and share of
    regular users (what dashboards see), their mean engagement and share engaged (genuine adoption)."""
    p = validation.scenario.params
    employees = pd.concat([r.employees for r in validation.replicates], ignore_index=True)
    employees["level"] = anxiety_level(employees["anxiety"].to_numpy())
    employees["regular_user"] = employees["usage"] >= p.usage.user_threshold
    employees["engaged"] = employees["engagement"] >= p.engagement.engaged_threshold
    grouped = employees.groupby("level")
    table = pd.DataFrame(
        {
            "employee_share": grouped.size() / len(employees),
            "mean_usage": grouped["usage"].mean(),
            "regular_users": grouped["regular_user"].mean(),
            "mean_engagement": grouped["engagement"].mean(),
            "engaged": grouped["engaged"].mean(),
        }
    )
    levels = pd.DataFrame([{"level": n, "anxiety_from": lo, "anxiety_to": hi} for n, lo, hi in ANXIETY_LEVELS])
    return levels.merge(table, left_on="level", right_index=True, how="left").fillna(0.0)


@dataclass
class Breakdowns:
    """The tables the targets do not constrain."""

    by_revenue_band: pd.DataFrame
    by_industry: pd.DataFrame
    by_anxiety: pd.DataFrame


def breakdowns(validation: Validation) -> Breakdowns:
    """Stages by revenue band (with the published size gradient) and by industry; employees by anxiety."""
    firms, population = validation.firms, validation.scenario.population
    return Breakdowns(
        by_revenue_band=size_check(stage_breakdown(firms, "revenue_band", list(population.bands))),
        by_industry=stage_breakdown(firms, "industry", sorted(population.industries)),
        by_anxiety=anxiety_breakdown(validation),
    )


def validation_record(validation: Validation, tables: Breakdowns, command: str) -> dict:
    """validation.json: the targets (DESIGN.md section 7 contract), the definitions, the bands' arguments
    and the breakdowns."""
    scenario = validation.scenario
    rows = validation.rows
    return {
        "scenario": scenario.name,
        "scenario_sha256": scenario_digest(scenario),
        "firms": scenario.population.firms,
        "replicates": len(validation.replicates),
        "seeds": [r.seed for r in validation.replicates],
        "all_in_band": all(row["in_band"] for row in rows),
        "targets": rows,
        "definitions": definitions(scenario.survey, scenario.params),
        "bands": targets.bands_argument(),
        "anxiety_levels": {name: [low, high] for name, low, high in ANXIETY_LEVELS},
        "breakdowns": {
            "by_revenue_band": tables.by_revenue_band.to_dict(orient="records"),
            "by_industry": tables.by_industry.to_dict(orient="records"),
            "by_anxiety": tables.by_anxiety.to_dict(orient="records"),
        },
        "versions": versions(),
        "command": command,
    }


def stages_figure(by_band: pd.DataFrame, by_industry: pd.DataFrame) -> Figure:
    """Stage shares as stacked bars by revenue band and by industry, with the published size gradient."""
    colours = ("#deebf7", "#9ecae1", "#4292c6", "#238b45")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [1, 2]})
    for ax, table, by in ((axes[0], by_band, "revenue_band"), (axes[1], by_industry, "industry")):
        bottom = np.zeros(len(table))
        for stage, colour in zip(SURVEY_STAGES, colours, strict=True):
            share = table[f"stage_{stage.replace(' ', '_')}"].to_numpy()
            ax.bar(table[by], share, bottom=bottom, color=colour, label=stage)
            bottom += share
        ax.set(ylim=(0, 1), ylabel="share of firms", title=f"Stages by {by.replace('_', ' ')}")
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    published = by_band["published_scaling_or_beyond"].to_numpy(dtype=float)
    axes[0].scatter(
        by_band["revenue_band"],
        1 - published,
        marker="_",
        s=400,
        color="black",
        zorder=3,
        label="published: 1 - share scaling or beyond",
    )
    fig.legend(*axes[0].get_legend_handles_labels(), fontsize=8, frameon=False, loc="lower center", ncol=5)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def write_validation(validation: Validation, folder: Path, command: str) -> Breakdowns:
    """validation.json, targets.csv, the breakdown tables and figures/ into a (staged) output folder."""
    tables = breakdowns(validation)
    write_json(folder / "validation.json", validation_record(validation, tables, command))
    rows = pd.DataFrame(validation.rows)
    rows[["ci_low", "ci_high"]] = rows.pop("ci95").tolist()
    rows[["band_low", "band_high"]] = rows.pop("band").tolist()
    rows.to_csv(folder / "targets.csv", index=False, lineterminator="\n")
    tables.by_revenue_band.to_csv(folder / "stages_by_revenue_band.csv", index=False, lineterminator="\n")
    tables.by_industry.to_csv(folder / "stages_by_industry.csv", index=False, lineterminator="\n")
    tables.by_anxiety.to_csv(folder / "employees_by_anxiety.csv", index=False, lineterminator="\n")
    figures = folder / "figures"
    figures.mkdir()
    title = f"{validation.scenario.name}: published figures and the model ({len(validation.replicates)} replicates)"
    targets.save_figure(targets.targets_figure({"simulated": validation.rows}, title), figures / "validation.png")
    targets.save_figure(stages_figure(tables.by_revenue_band, tables.by_industry), figures / "stages.png")
    return tables
