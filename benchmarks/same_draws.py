"""Check that the per-agent model implements the engine's rules: run it on the engine's random draws and compare.

`PerAgentOnEngineDraws` takes, in each phase of a week, the draws the engine takes in that phase from the
engine's stream for that source of chance (sim.model.Streams, spawned from the same seed), in the engine's
order (all employees' uniforms; each team's Poisson count; per proposal its kind, use case, merge check,
value, depth, sponsorship and buy-or-build, column by column; per unfinished pilot one uniform, active pilots
first), and hands them out in the order the agents ask for them. Each phase must use up exactly the draws the engine
took. With the same draws, both implementations must end in the same state: every employee's state, every
team's safety, every pilot's attributes, the firm's signals and value, and every figure of every week's
record. A change to the engine's rules, draws or record that the per-agent model does not follow fails it.

Exact agreement is not expected for floating-point figures: the two sum in different orders. Integer and
boolean state (adoption, stages, statuses, weeks, counts) must agree exactly, floats to `TOLERANCE`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from benchmarks.per_agent import PerAgentModel, Pilot, engine_streams
from sim.model import AdoptionModel
from sim.pilots import ACTIVE, NO_DUPLICATE, SCALED
from sim.schema import Scenario

TOLERANCE = 1e-9
EMPLOYEE_STATE = ("attitude", "anxiety", "skill", "usage", "engagement", "adopted")
PILOT_COLUMNS = (
    "team",
    "kind",
    "use_case",
    "value",
    "depth",
    "platform",
    "aligned",
    "bought",
    "duplicate_of",
    "stage",
    "status",
    "week_proposed",
    "week_in_stage",
    "week_poc",
    "week_stalled",
    "week_ended",
)
FIRM_STATE = ("visibility", "automation", "knowledge", "revenue", "savings")


class Feed:
    """Stands in for `model.random` and `model.rng` during one phase of a week: hands out given draws, one queue
    per kind of draw, in the order the agents ask for them."""

    def __init__(
        self,
        uniforms: Iterable[float] = (),
        counts: Iterable[int] = (),
        lognormals: Iterable[float] = (),
        normals: Iterable[float] = (),
    ) -> None:
        self.queues: dict[str, Iterator] = {
            "uniforms": iter(uniforms),
            "counts": iter(counts),
            "lognormals": iter(lognormals),
            "normals": iter(normals),
        }

    def random(self) -> float:
        """The next uniform draw."""
        return next(self.queues["uniforms"])

    def poisson(self, lam: float) -> int:
        """The next Poisson count (drawn with the same rate by the engine)."""
        return next(self.queues["counts"])

    def lognormvariate(self, mu: float, sigma: float) -> float:
        """The next log-normal draw (drawn with the same parameters by the engine)."""
        return next(self.queues["lognormals"])

    def gauss(self, mu: float, sigma: float) -> float:
        """The next standard normal draw, shifted and scaled."""
        return mu + sigma * next(self.queues["normals"])

    def leftover(self) -> list[str]:
        """The queues with draws nobody asked for."""
        return [name for name, queue in self.queues.items() if next(queue, None) is not None]


class PerAgentOnEngineDraws(PerAgentModel):
    """The per-agent model fed the engine's random draws, phase by phase."""

    def __init__(self, scenario: Scenario, rng: int) -> None:
        super().__init__(scenario, rng=rng)
        self.streams = engine_streams(np.random.default_rng(rng))

    @contextmanager
    def feeding(self, feed: Feed):
        """Let the agents draw from `feed` for the duration, then check they used all of it."""
        own_random, own_rng = self.random, self.rng
        self.random = self.rng = feed
        yield
        self.random, self.rng = own_random, own_rng
        if leftover := feed.leftover():
            raise RuntimeError(f"week {self.week}: draws left unused in {', '.join(leftover)}")

    def step_employees(self) -> None:
        """The employees' week on the engine's uniforms, one per employee in index order."""
        with self.feeding(Feed(uniforms=self.streams.adoption.random(len(self.staff)).tolist())):
            super().step_employees()

    def propose_pilots(self) -> None:
        """Proposals on the engine's draws: every team's count, then each column over all proposals (drawing
        nothing when there are none, as the engine)."""
        pp, stream = self.params.pilots, self.streams.proposals
        counts = stream.poisson([team.proposal_rate() for team in self.team_list])
        n = int(counts.sum())
        kind, use_case, merge = (stream.random(n) for _ in range(3))
        value = stream.lognormal(0, pp.value_spread, n)
        depth = stream.standard_normal(n)
        aligned = stream.random(n)
        bought = stream.random(n)
        uniforms = np.column_stack([kind, use_case, aligned, bought, merge]).ravel()
        with self.feeding(Feed(uniforms.tolist(), counts.tolist(), value.tolist(), depth.tolist())):
            super().propose_pilots()

    def advance_pilots(self) -> None:
        """The funnel's week on the engine's uniforms: active unfinished pilots' draws, then stalled ones'
        (an empty draw takes nothing from the stream)."""
        unfinished = [pilot for pilot in self.pilots if pilot.live and pilot.stage < SCALED]
        active = [pilot.status == ACTIVE for pilot in unfinished]
        moving = iter(self.streams.funnel.random(sum(active)).tolist())
        stalled = iter(self.streams.funnel.random(len(active) - sum(active)).tolist())
        uniforms = [next(moving) if is_active else next(stalled) for is_active in active]
        with self.feeding(Feed(uniforms=uniforms)):
            super().advance_pilots()


def pilot_table(model: PerAgentModel) -> dict[str, np.ndarray]:
    """The per-agent model's pilots as the engine's pilot table columns (references become row numbers)."""
    pilots: list[Pilot] = list(model.pilots)
    row = {pilot: i for i, pilot in enumerate(pilots)}
    team_index = {team: i for i, team in enumerate(model.team_list)}

    def column(name: str) -> np.ndarray:
        values = [getattr(pilot, name) for pilot in pilots]
        if name == "team":
            values = [team_index[team] for team in values]
        elif name == "duplicate_of":
            values = [NO_DUPLICATE if original is None else row[original] for original in values]
        elif name.startswith("week_"):
            values = [-1 if week is None else week for week in values]
        return np.asarray(values)

    return {name: column(name) for name in PILOT_COLUMNS}


@dataclass
class Differences:
    """Where the two implementations differ: the largest float difference and the integer mismatches."""

    largest: float
    largest_where: str
    mismatched: list[str]

    @property
    def same(self) -> bool:
        """Whether the states agree: floats within the tolerance, everything else exactly."""
        return self.largest <= TOLERANCE and not self.mismatched


def compare(pairs: dict[str, tuple[np.ndarray, np.ndarray]]) -> Differences:
    """Compare named pairs of arrays (engine, per-agent)."""
    largest, where, mismatched = 0.0, "", []
    for name, (a, b) in pairs.items():
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            mismatched.append(f"{name} (shape {a.shape} against {b.shape})")
        elif a.dtype.kind == "f" or b.dtype.kind == "f":
            difference = float(np.abs(a.astype(float) - b.astype(float)).max(initial=0.0))
            if difference > largest:
                largest, where = difference, name
        elif not np.array_equal(a, b):
            mismatched.append(f"{name} ({int((a != b).sum())} of {a.size})")
    return Differences(largest, where, mismatched)


def paired_state(engine: AdoptionModel, agents: PerAgentModel) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every compared quantity of the two models, by name."""
    w, org, table = engine.workforce, engine.organisation, engine.pilots
    pairs = {
        f"employee {name}": (getattr(w, name), np.array([getattr(e, name) for e in agents.staff]))
        for name in EMPLOYEE_STATE
    }
    pairs["team safety"] = (org.team_safety, np.array([team.safety for team in agents.team_list]))
    pairs |= {f"firm {name}": (getattr(org, f"firm_{name}"), [getattr(agents.firm, name)]) for name in FIRM_STATE}
    pairs["firm duplicates_merged"] = (engine.duplicates_merged.astype(np.int64), [agents.firm.duplicates_merged])
    pairs |= {f"pilot {name}": (getattr(table, name), values) for name, values in pilot_table(agents).items()}
    collected = agents.datacollector.model_vars
    pairs |= {
        f"record {name}": (np.concatenate([record[name] for record in engine.records]), np.asarray(collected[name]))
        for name in collected
    }
    return pairs


def run_on_engine_draws(scenario: Scenario, seed: int) -> Differences:
    """Run the engine and the per-agent model on the engine's draws for the scenario's weeks; compare them."""
    engine = AdoptionModel(scenario, rng=seed)
    agents = PerAgentOnEngineDraws(scenario, rng=seed)
    for _ in range(scenario.weeks):
        engine.step()
        agents.step()
    return compare(paired_state(engine, agents))


CHECKED = ("baseline", "fragmented", "vanguard", "anxious-mandate")
"""The shipped scenarios the quick check runs: pilots stalling, duplicates and platforms, scaling, a mandate."""


def main(weeks: int = 52, seed: int = 7) -> int:
    """Run each checked scenario on the engine's draws; print one line each; exit 1 when any differs."""
    from sim.scenario import load_scenario

    failed = []
    for name in CHECKED:
        differences = run_on_engine_draws(load_scenario(name, [f"weeks={weeks}"]), seed)
        print(
            f"{name:16s} largest float difference {differences.largest:.1e} "
            f"({differences.largest_where or 'none'}), mismatches: {', '.join(differences.mismatched) or 'none'}: "
            f"{'PASS' if differences.same else 'FAIL'}"
        )
        if not differences.same:
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
