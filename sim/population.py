"""Drawing a population of firms: revenue bands, industries and foundation levers that vary across firms."""

from __future__ import annotations

import numpy as np

from sim.schema import Firm, Levers, Population, Scenario

LEVERS = ("infrastructure", "alignment", "culture")


def draw_firms(scenario: Scenario, rng: np.random.Generator) -> list[Firm]:
    """The scenario's firms: its one firm, or a population drawn like it."""
    if scenario.population is None:
        return [scenario.firm]
    return [draw_firm(scenario.firm, scenario.population, i, rng) for i in range(scenario.population.firms)]


def draw_firm(template: Firm, population: Population, index: int, rng: np.random.Generator) -> Firm:
    """One firm: a band (by share), a log-uniform head count in it, an industry (by weight), correlated levers
    (larger bands shifted toward better infrastructure) and a number of platforms."""
    band_names = list(population.bands)
    band_name = band_names[rng.choice(len(band_names), p=[population.bands[b].share for b in band_names])]
    band = population.bands[band_name]
    low, high = sorted(band.employees)
    employees = int(round(np.exp(rng.uniform(np.log(low), np.log(high)))))
    industries = list(population.industries)
    weights = np.array([population.industries[i] for i in industries])
    industry = industries[rng.choice(len(industries), p=weights / weights.sum())]
    levels = draw_levers(population, band.infrastructure_shift, rng)
    low_p, high_p = sorted(population.platforms)
    return template.model_copy(
        update={
            "name": f"{template.name} {index + 1}",
            "employees": employees,
            "team_size": min(template.team_size, employees),
            "agents": None if population.agents_per_firm is None else min(employees, population.agents_per_firm),
            "industry": industry,
            "threat": None,
            "platforms": int(rng.integers(low_p, high_p + 1)),
            "levers": Levers(**levels),
            "revenue_band": band_name,
        }
    )


def draw_levers(population: Population, infrastructure_shift: float, rng: np.random.Generator) -> dict[str, float]:
    """The three levers: normals sharing a common factor (correlation `lever_correlation`), clipped to [0, 1]."""
    rho = population.lever_correlation
    common = rng.standard_normal()
    levels = {}
    for lever in LEVERS:
        spec = getattr(population, lever)
        z = np.sqrt(rho) * common + np.sqrt(1 - rho) * rng.standard_normal()
        shift = infrastructure_shift if lever == "infrastructure" else 0.0
        levels[lever] = float(np.clip(spec.mean + shift + spec.spread * z, 0, 1))
    return levels
