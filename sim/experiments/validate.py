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
from sim.experiments.execution import worker_pool
from sim.files import save_figure
from sim.output import versions, write_json
from sim.population import LEVERS
from sim.scenario import scenario_digest
from sim.schema import Scenario
from sim.survey import SIZE_BANDS, SURVEY_STAGES, definitions, weighted_quantile

DEFAULT_SCENARIO = "population"
ANXIETY_LEVELS = (("low", 0.0, 0.25), ("medium", 0.25, 0.5), ("high", 0.5, 1.0))
"""Anxiety levels on the model's 0-1 scale, lower bound included (the last level includes 1). Fixed cut
points rather than tertiles, so that a scenario that raises anxiety shows more employees in the high level:
0.25 is about what the no-threat baseline leaves once skill and safety offer a little relief, 0.5 is half
the scale, reached only where threat and colleagues' fear outweigh relief."""
SCALING_BY_SIZE = {
    band: next(t.published for t in targets.TARGETS if t.name == name) for name, band in SIZE_BANDS.items()
}
"""Share of firms at least scaling by revenue band, from the same McKinsey (2025) report (29% of firms under
$100M, 'nearly half' over $5B): calibration targets, shown again beside every band."""


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
    scheduler: str | None = None,
) -> Validation:
    """Run the population `replicates` times, on `workers` processes (or the Dask cluster at `scheduler`),
    with seeds from the validation stream; the result does not depend on where the replicates ran."""
    seeds = targets.replicate_seeds(seed, replicates, targets.VALIDATION_STREAM)
    with worker_pool(min(workers, replicates), [targets.__name__], scheduler) as pool:
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


def pooled_employees(validation: Validation) -> pd.DataFrame:
    """Every replicate's employees, with whether each is a regular user and an engaged adopter."""
    p = validation.scenario.params
    employees = pd.concat(
        [r.employees.assign(replicate=i) for i, r in enumerate(validation.replicates)], ignore_index=True
    )
    employees["regular_user"] = employees["usage"] >= p.usage.user_threshold
    employees["engaged"] = employees["engagement"] >= p.engagement.engaged_threshold
    return employees


def employee_table(employees: pd.DataFrame, by: str, order: list[str]) -> pd.DataFrame:
    """Per group, each agent weighted by the employees it stands for: the share of employees, their mean usage
    and share of regular users (what dashboards see), their mean engagement and share engaged (genuine
    adoption)."""
    weighted = employees[["usage", "regular_user", "engagement", "engaged"]].mul(employees["weight"], axis=0)
    sums = weighted.assign(weight=employees["weight"], group=employees[by]).groupby("group").sum()
    table = sums[["usage", "regular_user", "engagement", "engaged"]].div(sums["weight"], axis=0)
    table.columns = ["mean_usage", "regular_users", "mean_engagement", "engaged"]
    table.insert(0, "employee_share", sums["weight"] / sums["weight"].sum())
    return table.reindex(order).fillna(0.0)


def anxiety_breakdown(employees: pd.DataFrame) -> pd.DataFrame:
    """Per anxiety level (fixed cut points), pooled over replicates: see `employee_table`."""
    names = [name for name, _, _ in ANXIETY_LEVELS]
    table = employee_table(employees.assign(level=anxiety_level(employees["anxiety"].to_numpy())), "level", names)
    levels = pd.DataFrame([{"level": n, "anxiety_from": lo, "anxiety_to": hi} for n, lo, hi in ANXIETY_LEVELS])
    return levels.merge(table, left_on="level", right_index=True, how="left").fillna(0.0)


ANXIETY_THIRDS = ("calmest third", "middle third", "most anxious third")


def anxiety_thirds(employees: pd.DataFrame) -> pd.DataFrame:
    """Per third of employees by anxiety, cut within each replicate as the target is (section 7.24.2): the
    published pattern says the most anxious use AI at least as much as the calmest, and engage less."""
    thirds = []
    for _, replicate in employees.groupby("replicate", sort=True):
        values, weights = replicate["anxiety"].to_numpy(), replicate["weight"].to_numpy()
        cuts = [weighted_quantile(values, weights, q) for q in (1 / 3, 2 / 3)]
        third = np.where(values <= cuts[0], 0, np.where(values >= cuts[1], 2, 1))
        thirds.append(pd.Series(np.asarray(ANXIETY_THIRDS)[third], index=replicate.index))
    table = employee_table(employees.assign(third=pd.concat(thirds)), "third", list(ANXIETY_THIRDS))
    return table.rename_axis("third").reset_index()


def vanguard_breakdown(firms: pd.DataFrame) -> pd.DataFrame:
    """Firms in the top fifth of their population on all three foundations (the vanguard) against the rest,
    pooled over replicates: the share at least scaling and fully scaled. The seed article reports vanguard
    firms using AI extensively across products, services and experiences far more often than others (44%
    against 17%, no source given): a direction, not a target."""
    top = np.ones(len(firms), dtype=bool)
    for lever in LEVERS:
        top &= (firms[lever] >= firms.groupby("replicate")[lever].transform(lambda v: v.quantile(0.8))).to_numpy()
    group = np.where(top, "vanguard (top fifth on all three)", "every other firm")
    rows = []
    for name in ("vanguard (top fifth on all three)", "every other firm"):
        chosen = firms[group == name]
        rows.append(
            {
                "group": name,
                "firms": len(chosen),
                "scaling_or_beyond": float(chosen["stage"].isin(["scaling", "fully scaled"]).mean())
                if len(chosen)
                else float("nan"),
                "fully_scaled": float((chosen["stage"] == "fully scaled").mean()) if len(chosen) else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def sourcing_breakdown(firms: pd.DataFrame) -> pd.DataFrame:
    """Proofs of concept of bought tools against built ones, pooled over firms and replicates: the share that
    reached production. MIT NANDA (2025) reports tools bought from vendors reaching deployment about twice as
    often as internal builds (67% against 33%); the model sets the hazard ratio, not this share."""
    bought, bought_done = firms["bought_pocs_counted"].sum(), firms["bought_pocs_to_production"].sum()
    built = firms["pocs_counted"].sum() - bought
    built_done = firms["pocs_to_production"].sum() - bought_done
    return pd.DataFrame(
        [
            {"sourcing": "bought", "pocs": int(bought), "to_production": bought_done / max(bought, 1)},
            {"sourcing": "built", "pocs": int(built), "to_production": built_done / max(built, 1)},
        ]
    )


@dataclass
class Breakdowns:
    """The tables the targets do not constrain."""

    by_revenue_band: pd.DataFrame
    by_industry: pd.DataFrame
    by_anxiety: pd.DataFrame
    by_anxiety_third: pd.DataFrame
    vanguard: pd.DataFrame
    sourcing: pd.DataFrame


def breakdowns(validation: Validation) -> Breakdowns:
    """Stages by revenue band (with the published size gradient), by industry and for the vanguard; employees
    by anxiety level and by third; proofs of concept by sourcing."""
    firms, population = validation.firms, validation.scenario.population
    employees = pooled_employees(validation)
    return Breakdowns(
        by_revenue_band=size_check(stage_breakdown(firms, "revenue_band", list(population.bands))),
        by_industry=stage_breakdown(firms, "industry", sorted(population.industries)),
        by_anxiety=anxiety_breakdown(employees),
        by_anxiety_third=anxiety_thirds(employees),
        vanguard=vanguard_breakdown(firms),
        sourcing=sourcing_breakdown(firms),
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
            "by_anxiety_third": tables.by_anxiety_third.to_dict(orient="records"),
            "vanguard": tables.vanguard.to_dict(orient="records"),
            "sourcing": tables.sourcing.to_dict(orient="records"),
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
    tables.by_anxiety_third.to_csv(folder / "employees_by_anxiety_third.csv", index=False, lineterminator="\n")
    tables.vanguard.to_csv(folder / "stages_vanguard.csv", index=False, lineterminator="\n")
    tables.sourcing.to_csv(folder / "pocs_by_sourcing.csv", index=False, lineterminator="\n")
    figures = folder / "figures"
    figures.mkdir()
    title = f"{validation.scenario.name}: published figures and the model ({len(validation.replicates)} replicates)"
    save_figure(targets.targets_figure({"simulated": validation.rows}, title), figures / "validation.png", dpi=110)
    save_figure(stages_figure(tables.by_revenue_band, tables.by_industry), figures / "stages.png", dpi=110)
    return tables
