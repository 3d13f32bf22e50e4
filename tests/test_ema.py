"""adoptsim as an EMA Workbench model (sim.ema): EMA's perform_experiments runs 20 scenarios of a tiny firm
through the adapter; ranges come from the schema or the caller and are checked like --set; seeds give common
random numbers; bad fields, ranges and outcomes are refused by name."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from sim.ema import adoptsim_model, ema_name, quiet_import
from sim.errors import InputError
from sim.run import run
from sim.scenario import load_scenario

TINY = ["firm.employees=30", "weeks=4"]
"""A firm of 30 over four weeks: a few milliseconds a run."""


@pytest.fixture(scope="module")
def ema():
    return quiet_import()


def test_importing_ema_workbench_does_not_warn_about_ipyparallel_and_the_cli_does_not_import_it():
    """In a fresh interpreter (here it may be imported already), with every warning shown."""
    code = (
        "import sys; import sim.cli; assert 'ema_workbench' not in sys.modules, 'imported by the CLI'; "
        "from sim.ema import quiet_import; quiet_import('ema_workbench.analysis.prim')"
    )
    done = subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ipyparallel" not in done.stderr


def test_perform_experiments_runs_20_scenarios_of_adoptsim(ema):
    model = adoptsim_model(
        "baseline",
        uncertainties={"firm.levers.culture": None, "firm.threat": (0.1, 0.7), "firm.industry": None},
        levers={"firm.mandate": {"values": [0.0, 0.6]}},
        outcomes=["usage_rate", "engagement_rate", "mean_anxiety"],
        overrides=TINY,
        seed=4,
    )
    kinds = {p.name: type(p).__name__ for p in [*model.uncertainties, *model.levers]}
    assert kinds == {
        "firm_levers_culture": "RealParameter",
        "firm_threat": "RealParameter",
        "firm_industry": "CategoricalParameter",
        "firm_mandate": "CategoricalParameter",
    }
    experiments, outcomes = ema.perform_experiments(
        model,
        scenarios=20,
        policies=2,
        evaluator=ema.SequentialEvaluator(model),
        uncertainty_sampling_kwargs={"rng": 1},
        lever_sampling_kwargs={"rng": 1},
    )
    assert len(experiments) == 40, "20 scenarios under each of 2 policies"
    assert experiments["scenario"].nunique() == 20 and set(experiments["firm_mandate"]) == {0.0, 0.6}
    assert experiments["firm_levers_culture"].between(0, 1).all(), "culture over the schema's range [0, 1]"
    assert experiments["firm_threat"].between(0.1, 0.7).all()
    assert experiments["firm_industry"].nunique() > 3
    assert set(outcomes) == {"usage_rate", "engagement_rate", "mean_anxiety"}
    assert all(values.shape == (40,) and np.isfinite(values).all() for values in outcomes.values())
    assert outcomes["mean_anxiety"].std() > 0, "the scenarios differ"
    first = experiments.iloc[0]
    scenario = load_scenario(
        "baseline",
        [
            *TINY,
            f"firm.levers.culture={first['firm_levers_culture']}",
            f"firm.threat={first['firm_threat']}",
            f"firm.industry={first['firm_industry']}",
            f"firm.mandate={first['firm_mandate']}",
        ],
    )
    again = run(scenario, seed=model.constants[0].value).summary
    assert outcomes["usage_rate"][0] == pytest.approx(again["usage_rate"]), "the same run as adoptsim's own"


def test_replicates_use_common_seeds_and_outcomes_are_their_mean(ema):
    model = adoptsim_model(
        "baseline",
        uncertainties={"firm.levers.infrastructure": None, "firm.employees": (20, 60)},
        outcomes=["usage_rate"],
        overrides=["firm.employees=30", "weeks=4", "firm.team_size=5"],
        replications=3,
        seed=9,
    )
    assert [type(p).__name__ for p in model.uncertainties] == ["RealParameter", "IntegerParameter"]
    seeds = [replication["seed"] for replication in model.replications]
    assert len(set(seeds)) == 3
    experiments, outcomes = ema.perform_experiments(
        model, scenarios=3, evaluator=ema.SequentialEvaluator(model), uncertainty_sampling_kwargs={"rng": 2}
    )
    row = experiments.iloc[1]
    scenario = load_scenario(
        "baseline",
        [
            "weeks=4",
            "firm.team_size=5",
            f"firm.employees={int(row['firm_employees'])}",
            f"firm.levers.infrastructure={row['firm_levers_infrastructure']}",
        ],
    )
    mean = np.mean([run(scenario, seed=s).summary["usage_rate"] for s in seeds])
    assert outcomes["usage_rate"][1] == pytest.approx(mean)


def test_names_are_dotted_paths_as_identifiers():
    assert ema_name("firm.levers.culture") == "firm_levers_culture"
    assert ema_name("population.bands.1b-5b.share") == "population_bands_1b_5b_share"


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"uncertainties": {"firm.levers.cultur": None}}, "unknown field 'firm.levers.cultur'"),
        ({"uncertainties": {"firm.levers.culture": (0.5, 1.5)}}, "firm.levers.culture"),
        ({"uncertainties": {"firm.levers.culture": (0.9, 0.1)}}, "low then high"),
        ({"uncertainties": {"firm.levers.culture": None}, "outcomes": ["pilots_scaledd"]}, "Allowed: "),
        ({"uncertainties": {}, "levers": {}}, "at least one scenario field"),
        ({"uncertainties": ["firm.mandate"], "levers": ["firm.mandate"]}, "not both"),
        ({"uncertainties": {"firm.industry": {"values": ["retail", "mining"]}}}, "mining"),
    ],
)
def test_bad_fields_ranges_and_outcomes_are_refused_by_name(kwargs, fragment):
    with pytest.raises(InputError) as raised:
        adoptsim_model("baseline", overrides=TINY, **kwargs)
    assert fragment in str(raised.value)
