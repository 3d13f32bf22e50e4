"""The transformation game: a student leads one firm's AI adoption for eight quarters with a budget.

Each quarter the student picks interventions (the nine kinds, each with an intensity and, where the kind reaches
teams, the teams it reaches); the quarter's choices become interventions that start on the quarter's first week
and last its thirteen weeks, and the firm runs thirteen weeks. The firm is an `AdoptionModel` built once, with the
class's seed, whose timeline grows by each quarter's interventions before the quarter runs. An intervention that
has not started neither acts, draws nor costs anything, so playing quarter by quarter gives, to the bit, the run of
the scenario with every decision listed from the start: the run `adoptsim compare` makes of the decisions exported
as a comparison arm (replicate 0 of a comparison with the class's seed runs with the game's seed).

The debrief sets the student's path against doing nothing and against a strong plan (the three foundations) on the
same random numbers, and tells which decisions mattered by replaying the path without each kind of intervention.

A class is a set of players on one teacher's machine: one scenario and seed, a code students join with, nicknames,
and the decisions of each; it is saved as a small JSON file (the decisions are enough to rebuild every firm) and
reopened from it. Nothing here does I/O but `ClassRoom.to_json`/`from_json`, which return and take text.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import yaml

from sim.classroom import ClassroomModel
from sim.errors import InputError
from sim.experiments.execution import run_seed
from sim.schema import Intervention, Scenario, Target

QUARTERS = 8
QUARTER_WEEKS = 13
GAME_WEEKS = QUARTERS * QUARTER_WEEKS
"""Eight quarters of thirteen weeks: the two years of every scenario's default horizon."""
VALUE_UNIT = 300_000
"""Dollars a value unit is worth in the game (the model's value is in units: a typical front-office use case at
scale is worth about 1 a year, a back-office one about 3). Net value is value gained times this, less the money
spent; at this rate the strong plan pays for itself within the two years on most seeds, doing nothing gains
little, and some ambitious paths lose money."""
BUDGET_PER_EMPLOYEE = 10_000
"""The game's budget for the eight quarters, per employee: enough for the three foundations at 0.8 throughout,
not for everything at once."""
COST_STEP = 100 * QUARTER_WEEKS
"""Prices are rounded to whole hundreds of dollars a week, so that every weekly share of a cost is a whole number
and sums of costs are exact in any order."""
CLASS_VARIABLE = "ADOPTSIM_GAME_CLASS"
SEED_VARIABLE = "ADOPTSIM_GAME_SEED"
KEY_VARIABLE = "ADOPTSIM_GAME_KEY"
OPEN_VARIABLE = "ADOPTSIM_GAME_OPEN"
ADDRESS_VARIABLE = "ADOPTSIM_GAME_ADDRESS"
UNFOLD_VARIABLE = "ADOPTSIM_GAME_UNFOLD_MS"
"""How `adoptsim app --game` tells the game's page (sim/game_app.py), served in another process, how to set up
the game: a class or not, the seed, the teacher's key, a class file to reopen, the address students open, and
the milliseconds between weeks unfolding."""
INTENSITIES = {"low": 0.4, "medium": 0.7, "high": 1.0}
"""The intensities the app offers, by name (any value from 0.1 to 1 is allowed)."""
TARGETS = {"whole firm": None, "front office": ["front-office"], "back office": ["back-office"]}
"""Who a team-level intervention reaches: every team, or the teams of one function."""


@dataclass(frozen=True)
class Offer:
    """An intervention kind as the game offers it: its title, what it does in plain words, its price per quarter
    at full intensity for 1,000 employees reached, and whether the student chooses which teams it reaches."""

    kind: str
    title: str
    does: str
    price: float
    targeted: bool


OFFERS = {
    offer.kind: offer
    for offer in (
        Offer("training", "AI training", "people gain AI skill, for good", 380_000, True),
        Offer("reassurance", "Job-security reassurance", "perceived threat falls while it lasts", 25_000, True),
        Offer(
            "safety-programme",
            "Safety programme for managers",
            "teams' psychological safety rises, for good",
            220_000,
            True,
        ),
        Offer("mandate", "Usage mandate", "pressure to use AI while it lasts: usage, not engagement", 30_000, True),
        Offer(
            "sponsorship", "Executive sponsorship", "strategic direction: pilots get a sponsor and KPIs", 50_000, False
        ),
        Offer(
            "infrastructure", "Data and platform integration", "infrastructure rises slowly, for good", 650_000, False
        ),
        Offer(
            "consolidation",
            "Platform consolidation",
            "teams move to the shared platform, so pilots can scale",
            150_000,
            True,
        ),
        Offer(
            "centre-of-excellence",
            "Centre of excellence",
            "merges duplicates, ties pilots to strategy, favours back-office value",
            490_000,
            False,
        ),
        Offer(
            "champions", "Champions network", "a champion in each team helps colleagues, while it lasts", 100_000, True
        ),
    )
}
"""The nine kinds, in the order the app lists them. Prices follow the shipped comparison's costs
(scenarios/comparisons/interventions.yaml), per quarter and at full intensity."""


class GameError(InputError):
    """A choice the game refuses, with a message for the student."""


@dataclass(frozen=True)
class Choice:
    """One intervention chosen for a quarter: its kind, intensity (0.1 to 1) and who it reaches."""

    kind: str
    intensity: float = 0.7
    target: str = "whole firm"

    def record(self) -> dict[str, Any]:
        """The choice as plain data (for a class file)."""
        return {"kind": self.kind, "intensity": self.intensity, "target": self.target}


def check_choice(choice: Choice) -> None:
    """Refuse an unknown kind, an intensity out of range or a target the kind does not have."""
    if choice.kind not in OFFERS:
        raise GameError(f"kind {choice.kind!r} is not an intervention; allowed: {', '.join(OFFERS)}.")
    if not 0.1 <= choice.intensity <= 1:
        raise GameError(f"{OFFERS[choice.kind].title}: intensity {choice.intensity} must be from 0.1 to 1.")
    if choice.target not in TARGETS:
        raise GameError(f"{OFFERS[choice.kind].title}: target {choice.target!r}; allowed: {', '.join(TARGETS)}.")
    if choice.target != "whole firm" and not OFFERS[choice.kind].targeted:
        raise GameError(f"{OFFERS[choice.kind].title} acts on the whole firm; it has no target teams.")


def reach(model: ClassroomModel, target: str) -> int:
    """Employees in the teams a target reaches."""
    functions = TARGETS[target]
    back_office = model.organisation.team_back_office[model.workforce.team]
    if functions is None:
        return int(model.organisation.firm_employees.sum())
    share = float(np.mean(back_office == ("back-office" in functions)))
    return round(share * int(model.organisation.firm_employees.sum()))


def price(choice: Choice, model: ClassroomModel) -> int:
    """What a choice costs for a quarter: the kind's price times its intensity and the employees it reaches per
    thousand, in whole hundreds of dollars a week."""
    raw = OFFERS[choice.kind].price * choice.intensity * reach(model, choice.target) / 1000
    return max(1, round(raw / COST_STEP)) * COST_STEP


def quarter_interventions(quarter: int, choices: list[Choice], costs: list[int]) -> list[Intervention]:
    """A quarter's choices as interventions: each starts on the quarter's first week and lasts its 13 weeks."""
    start = (quarter - 1) * QUARTER_WEEKS + 1
    return [
        Intervention(
            kind=choice.kind,
            name=f"Q{quarter} {OFFERS[choice.kind].title}",
            start=start,
            duration=QUARTER_WEEKS,
            intensity=choice.intensity,
            cost=float(cost),
            target=Target(functions=TARGETS[choice.target]),
        )
        for choice, cost in zip(choices, costs, strict=True)
    ]


def game_scenario(base: Scenario) -> Scenario:
    """The firm a game plays: the scenario's own firm (a population's template firm) over eight quarters."""
    return base.model_copy(update={"weeks": GAME_WEEKS, "population": None})


def game_seed(class_seed: int) -> int:
    """The seed every student's firm runs with: that of replicate 0 of a comparison with the class's seed, so that
    `adoptsim compare` on an exported path reruns the game's firm exactly."""
    return run_seed(class_seed, 0)


def money(dollars: float) -> str:
    """An amount in the game's currency as every output writes amounts (sim.value.amount_text): USD 1.2M."""
    from sim.value import amount_text

    return amount_text(dollars, "USD")


def outcome(summary: dict[str, float]) -> dict[str, float]:
    """The figures a game is scored on, from a model's summary: pilots scaled, engaged adopters, regular users, mean
    anxiety, value gained and money spent in dollars, and net value (value gained less money spent)."""
    value = (summary["savings"] + summary["revenue"]) * VALUE_UNIT
    spent = summary["intervention_cost"]
    return {
        "pilots_scaled": int(summary["pilots_scaled"]),
        "engagement_rate": float(summary["engagement_rate"]),
        "usage_rate": float(summary["usage_rate"]),
        "mean_anxiety": float(summary["mean_anxiety"]),
        "value_gained": value,
        "money_spent": spent,
        "net_value": value - spent,
    }


class Player:
    """One student's firm: the model, the decisions quarter by quarter, the budget, and what each week showed."""

    def __init__(self, scenario: Scenario, seed: int, name: str = "you", token: str | None = None) -> None:
        self.name = name
        self.token = token or secrets.token_urlsafe(12)
        self.scenario = game_scenario(scenario)
        self.seed = seed
        self.model = ClassroomModel(base=self.scenario, seed=seed)
        self.budget = BUDGET_PER_EMPLOYEE * int(self.model.organisation.firm_employees.sum())
        self.decisions: list[list[Choice]] = []
        self.costs: list[list[int]] = []
        self.news: list[tuple[int, str]] = []
        self.lock = threading.RLock()

    @property
    def quarter(self) -> int:
        """Quarters played so far (0 to 8)."""
        return len(self.decisions)

    @property
    def finished(self) -> bool:
        """Whether all eight quarters have been played."""
        return self.quarter >= QUARTERS

    @property
    def committed(self) -> int:
        """Money committed to the quarters played so far (all of it spent once each quarter ends)."""
        return sum(sum(costs) for costs in self.costs)

    @property
    def remaining(self) -> int:
        """Budget left for the quarters to come."""
        return self.budget - self.committed

    def prices(self, choices: list[Choice]) -> list[int]:
        """Each choice's cost for one quarter."""
        return [price(choice, self.model) for choice in choices]

    def check(self, choices: list[Choice]) -> list[int]:
        """Refuse a quarter's choices that the game does not allow (a kind twice, a bad intensity or target, more
        than the budget left, a quarter after the last); return their costs."""
        if self.finished:
            raise GameError(f"All {QUARTERS} quarters have been played; the game is over.")
        for choice in choices:
            check_choice(choice)
        kinds = [choice.kind for choice in choices]
        twice = sorted({OFFERS[kind].title for kind in kinds if kinds.count(kind) > 1})
        if twice:
            raise GameError(f"Choose each intervention once a quarter; chosen more than once: {', '.join(twice)}.")
        costs = self.prices(choices)
        if sum(costs) > self.remaining:
            raise GameError(
                f"Over budget: this quarter's choices cost {money(sum(costs))}, but only {money(self.remaining)} of "
                f"your {money(self.budget)} budget is left. Drop an intervention or lower an intensity."
            )
        return costs

    def play_quarter(self, choices: list[Choice]) -> None:
        """Check the quarter's choices, add them to the firm's timeline as interventions starting this quarter,
        and run its 13 weeks."""
        with self.lock:
            costs = self.check(choices)
            quarter = self.quarter + 1
            interventions = quarter_interventions(quarter, choices, costs)
            model = self.model
            with model.lock:
                model.timeline.extend(interventions, model.organisation, model.week)
                model.spec = model.spec.model_copy(update={"interventions": model.timeline.interventions})
                news = [(model.week + 1, quarter_news(quarter, choices, costs))]
                for _ in range(QUARTER_WEEKS):
                    start = len(model.events)
                    model.step()
                    news += [(model.week, event) for event in model.events[start:]]
            self.decisions.append(list(choices))
            self.costs.append(costs)
            self.news.extend(news)

    def outcome(self) -> dict[str, float]:
        """The scored figures now."""
        with self.model.lock:
            return outcome(self.model.summary())

    def series(self) -> dict[str, np.ndarray]:
        """Week by week so far: users, engagement, anxiety, pilots at each stage, money spent and value gained."""
        with self.model.lock:
            records = list(self.model.records)
        keys = ("usage_rate", "engagement_rate", "mean_anxiety", "idea", "poc", "pilot", "production", "scaled")
        keys += ("stalled", "abandoned")
        series = {key: np.array([float(r[key].sum()) for r in records]) for key in keys}
        series["week"] = np.array([int(r["week"][0]) for r in records])
        series["money_spent"] = np.array([float(r["intervention_cost"].sum()) for r in records])
        series["value_gained"] = np.array([float((r["savings"] + r["revenue"]).sum()) * VALUE_UNIT for r in records])
        return series

    def record(self) -> dict[str, Any]:
        """The player as plain data: nickname, token and decisions (enough to rebuild the firm)."""
        return {"name": self.name, "token": self.token, "decisions": [[c.record() for c in q] for q in self.decisions]}


def quarter_news(quarter: int, choices: list[Choice], costs: list[int]) -> str:
    """The quarter's decisions as a line of the event feed."""
    if not choices:
        return f"quarter {quarter}: no new interventions"
    parts = [
        f"{OFFERS[c.kind].title.lower()} ({c.intensity:g}{'' if c.target == 'whole firm' else ', ' + c.target}, "
        f"{money(cost)})"
        for c, cost in zip(choices, costs, strict=True)
    ]
    return f"quarter {quarter} begins: " + "; ".join(parts)


def choices_from(records: list[list[dict[str, Any]]]) -> list[list[Choice]]:
    """Decisions from plain data (a class file), each choice checked."""
    decisions = []
    for quarter in records:
        choices = [
            Choice(str(c["kind"]), float(c.get("intensity", 0.7)), str(c.get("target", "whole firm"))) for c in quarter
        ]
        for choice in choices:
            check_choice(choice)
        decisions.append(choices)
    return decisions


def replay(scenario: Scenario, seed: int, decisions: list[list[Choice]], name: str = "replay") -> Player:
    """A player who made these decisions, quarter by quarter (fewer than eight quarters: a game under way)."""
    player = Player(scenario, seed, name)
    for choices in decisions:
        player.play_quarter(choices)
    return player


def do_nothing() -> list[list[Choice]]:
    """Eight quarters without an intervention."""
    return [[] for _ in range(QUARTERS)]


def strong_plan() -> list[list[Choice]]:
    """The three foundations throughout, at 0.8: data and platform integration, executive sponsorship and a centre
    of excellence (strategic direction), champions all along and the managers' safety programme in the first two
    quarters (a culture of adoption). It costs about 86% of the budget."""
    lasting = [Choice(kind, 0.8) for kind in ("infrastructure", "sponsorship", "centre-of-excellence", "champions")]
    return [[*lasting, *([Choice("safety-programme", 0.8)] if q < 2 else [])] for q in range(QUARTERS)]


def path_interventions(player: Player) -> list[dict[str, Any]]:
    """A player's decisions as interventions written as in a scenario file (a comparison arm's)."""
    return [
        intervention.model_dump(mode="json", exclude_defaults=True)
        for q, (choices, costs) in enumerate(zip(player.decisions, player.costs, strict=True), start=1)
        for intervention in quarter_interventions(q, choices, costs)
    ]


def comparison_document(player: Player, class_seed: int, base: str = "scenario.yaml", replicates: int = 20) -> str:
    """The player's path, the strong plan as a comparison file (YAML) against doing nothing (the base scenario):
    `adoptsim compare` reruns the game's firm as replicate 0 and the same plans on other random numbers."""
    strong = replay(player.scenario, player.seed, strong_plan(), "strong plan")
    arms = []
    mine = path_interventions(player)
    if mine:
        arms.append(
            {"name": f"path of {player.name}", "description": "the decisions made in the game", "interventions": mine}
        )
    arms.append(
        {
            "name": "three foundations",
            "description": "the strong plan of the debrief",
            "interventions": path_interventions(strong),
        }
    )
    document = {
        "name": f"game-{slug(player.name)}",
        "description": f"The transformation game: the path of {player.name} and the three foundations against doing "
        "nothing. Replicate 0 runs on the game's random numbers.",
        "base": base,
        "replicates": replicates,
        "seed": class_seed,
        "metrics": [
            "pilots_scaled",
            "engagement_rate",
            "usage_rate",
            "mean_anxiety",
            "savings",
            "revenue",
            "intervention_cost",
        ],
        "arms": arms,
    }
    head = (
        "# The transformation game, exported: run `adoptsim compare comparison.yaml --out results` beside\n"
        "# scenario.yaml. Replicate 0 (seed in replicates.csv) is the game's firm; net value in dollars =\n"
        f"# (savings + revenue) x {VALUE_UNIT} - intervention_cost.\n"
        + ("" if mine else "# No interventions were chosen in the game: the path is the base (doing nothing).\n")
    )
    return head + yaml.safe_dump(document, sort_keys=False, width=110)


def scenario_document(scenario: Scenario) -> str:
    """The game's scenario, fully resolved, as YAML (what a comparison's base reloads exactly)."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False)


def slug(name: str) -> str:
    """A name usable in file names: letters, digits and dashes."""
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-") or "player"


# ---- the debrief -------------------------------------------------------------------------------------------------


@dataclass
class Debrief:
    """The end of a game: the student's figures against doing nothing and the strong plan (same random numbers),
    and what each kind of intervention chosen did (the path replayed without it), in plain words."""

    yours: dict[str, float]
    nothing: dict[str, float]
    strong: dict[str, float]
    effects: list[dict[str, Any]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What mattered, in plain words, the decision that mattered most first."""
        lines = []
        gap = self.yours["net_value"] - self.nothing["net_value"]
        more = self.yours["pilots_scaled"] - self.nothing["pilots_scaled"]
        lines.append(
            f"Against doing nothing your decisions {'gained' if gap >= 0 else 'lost'} {money(abs(gap))} of net value "
            f"and scaled {abs(more)} {'more' if more >= 0 else 'fewer'} pilot{'' if abs(more) == 1 else 's'}."
        )
        gap = self.yours["net_value"] - self.strong["net_value"]
        lines.append(
            f"The strong plan (the three foundations) ends at {money(self.strong['net_value'])} net value and "
            f"{self.strong['pilots_scaled']} scaled pilots: you are {money(abs(gap))} "
            f"{'ahead' if gap >= 0 else 'behind'}."
        )
        if self.yours["usage_rate"] - self.yours["engagement_rate"] > 0.25:
            lines.append(
                f"Usage is not adoption: {self.yours['usage_rate']:.0%} use AI but only "
                f"{self.yours['engagement_rate']:.0%} have woven it into their work."
            )
        for effect in self.effects:
            lines.append(effect["text"])
        return lines


def kind_effects(player: Player, yours: dict[str, float]) -> list[dict[str, Any]]:
    """For each kind chosen: the path replayed without it, on the same random numbers, and what it did in words.
    Ordered by the size of its effect on net value."""
    effects = []
    for kind in dict.fromkeys(c.kind for q in player.decisions for c in q):
        without = [[c for c in q if c.kind != kind] for q in player.decisions]
        other = replay(player.scenario, player.seed, without).outcome()
        quarters = [
            str(q) for q, choices in enumerate(player.decisions, start=1) if any(c.kind == kind for c in choices)
        ]
        value = yours["net_value"] - other["net_value"]
        scaled = yours["pilots_scaled"] - other["pilots_scaled"]
        engaged = yours["engagement_rate"] - other["engagement_rate"]
        spent = yours["money_spent"] - other["money_spent"]
        text = (
            f"{OFFERS[kind].title} (quarter{'s' if len(quarters) > 1 else ''} {spans(quarters)}, cost "
            f"{money(spent)}): {'added' if value >= 0 else 'cost you'} {money(abs(value))} of net value, "
            f"{scaled:+d} scaled pilots, {engaged * 100:+.0f} points of engaged adopters."
        )
        effects.append({"kind": kind, "quarters": quarters, "net_value": value, "pilots_scaled": scaled, "text": text})
    return sorted(effects, key=lambda e: -abs(e["net_value"]))


def spans(quarters: list[str]) -> str:
    """Quarter numbers with runs written as ranges: 1-4, 6, 8."""
    numbers = [int(q) for q in quarters]
    parts, start = [], 0
    for i in range(1, len(numbers) + 1):
        if i == len(numbers) or numbers[i] != numbers[i - 1] + 1:
            first, last = numbers[start], numbers[i - 1]
            parts.append(str(first) if first == last else f"{first}-{last}")
            start = i
    return ", ".join(parts)


def debrief(player: Player, references: tuple[dict[str, float], dict[str, float]] | None = None) -> Debrief:
    """The debrief of a finished (or unfinished) game. `references`, the outcomes of doing nothing and of the
    strong plan on the player's firm and seed, as a class keeps them (`ClassRoom.references`), are run here
    when not given."""
    yours = player.outcome()
    if references is None:
        references = (
            replay(player.scenario, player.seed, do_nothing()).outcome(),
            replay(player.scenario, player.seed, strong_plan()).outcome(),
        )
    nothing, strong = references
    return Debrief(yours, nothing, strong, kind_effects(player, yours))


FIGURE_NAMES = {
    "pilots_scaled": "pilots scaled",
    "net_value": "net value",
    "engagement_rate": "engaged adopters",
    "usage_rate": "regular users",
    "mean_anxiety": "mean anxiety",
    "value_gained": "value gained",
    "money_spent": "money spent",
}


def figure_text(name: str, value: float) -> str:
    """A scored figure as the game shows it."""
    if name in ("engagement_rate", "usage_rate"):
        return f"{value:.0%}"
    if name == "mean_anxiety":
        return f"{value:.2f}"
    if name in ("net_value", "value_gained", "money_spent"):
        return money(value)
    return f"{int(value)}"


def results_zip(player: Player, class_seed: int, report: Debrief) -> bytes:
    """The student's results as one file: the debrief in words, the decisions, the firm week by week, and the
    decisions as a comparison (comparison.yaml beside scenario.yaml) that `adoptsim compare` reruns."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("debrief.txt", debrief_text(player, report))
        archive.writestr("decisions.csv", decisions_csv(player))
        archive.writestr("weeks.csv", weeks_csv(player))
        archive.writestr("comparison.yaml", comparison_document(player, class_seed))
        archive.writestr("scenario.yaml", scenario_document(player.scenario))
    return buffer.getvalue()


def debrief_text(player: Player, report: Debrief) -> str:
    """The debrief as plain text."""
    rows = [f"{'':18}{'you':>12}{'do nothing':>12}{'strong plan':>12}"]
    for name, label in FIGURE_NAMES.items():
        cells = (figure_text(name, figures[name]) for figures in (report.yours, report.nothing, report.strong))
        rows.append(f"{label:18}" + "".join(f"{cell:>12}" for cell in cells))
    head = f"The transformation game: {player.name}, {player.scenario.name}, seed {player.seed}\n\n"
    return head + "\n".join(rows) + "\n\n" + "\n".join(f"- {line}" for line in report.lines()) + "\n"


def decisions_csv(player: Player) -> str:
    """A row per decision: quarter, kind, intensity, target, cost."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["quarter", "kind", "intensity", "target", "cost"])
    for q, (choices, costs) in enumerate(zip(player.decisions, player.costs, strict=True), start=1):
        for choice, cost in zip(choices, costs, strict=True):
            writer.writerow([q, choice.kind, choice.intensity, choice.target, cost])
    return out.getvalue()


def weeks_csv(player: Player) -> str:
    """A row per week: users, engagement, anxiety, pilots at each stage, money spent, value gained."""
    series = player.series()
    keys = ["week", *(key for key in series if key != "week")]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(keys)
    for i in range(len(series["week"])):
        writer.writerow([f"{series[key][i]:.6g}" if key != "week" else int(series[key][i]) for key in keys])
    return out.getvalue()


# ---- a class -----------------------------------------------------------------------------------------------------


NICKNAME_LENGTH = 24


class ClassRoom:
    """A class playing the game on the teacher's machine: one firm and seed for all, a code to join with, and each
    student's player by nickname. Every change holds `lock`; `version` counts changes so pages know when to redraw."""

    def __init__(self, scenario: Scenario, seed: int = 0, code: str | None = None) -> None:
        self.scenario = game_scenario(scenario)
        self.class_seed = seed
        self.seed = game_seed(seed)
        self.code = code or class_code()
        self.players: dict[str, Player] = {}
        self.lock = threading.RLock()
        self.version = 0
        self._references: tuple[dict, dict] | None = None

    def join(self, nickname: str, code: str) -> Player:
        """A new student's player; refuses a wrong code, an empty or over-long nickname and one already taken."""
        nickname = " ".join(nickname.split())
        if code.strip().upper() != self.code:
            raise GameError(f"Class code {code.strip()!r} is not this class's. Check the code on the teacher's screen.")
        if not nickname:
            raise GameError("Choose a nickname (any name your class will recognise).")
        if len(nickname) > NICKNAME_LENGTH:
            raise GameError(f"Nickname too long: at most {NICKNAME_LENGTH} characters.")
        with self.lock:
            if nickname.casefold() in (name.casefold() for name in self.players):
                raise GameError(f"The nickname {nickname!r} is taken in this class. Choose another one.")
            player = Player(self.scenario, self.seed, nickname)
            self.players[nickname] = player
            self.version += 1
            return player

    def alone(self) -> Player:
        """A new player outside any class (the game on one machine), named "you" and kept by its token."""
        with self.lock:
            player = Player(self.scenario, self.seed, "you")
            self.players[player.token] = player
            self.version += 1
            return player

    def by_token(self, token: str | None) -> Player | None:
        """The player a page's address names, if any (a reloaded page resumes this way)."""
        with self.lock:
            return next((p for p in self.players.values() if token and secrets.compare_digest(p.token, token)), None)

    def play(self, player: Player, choices: list[Choice]) -> None:
        """Play a student's quarter and tell the teacher's page."""
        player.play_quarter(choices)
        with self.lock:
            self.version += 1

    def leaderboard(self) -> list[dict[str, Any]]:
        """A row per student, best net value first: nickname, quarter, and the scored figures now."""
        with self.lock:
            players = list(self.players.values())
        rows = [{"name": p.name, "quarter": p.quarter, **p.outcome()} for p in players]
        return sorted(rows, key=lambda r: (-r["net_value"], -r["pilots_scaled"], r["name"]))

    def references(self) -> tuple[dict[str, float], dict[str, float]]:
        """The outcomes of doing nothing and of the strong plan on the class's firm (computed once)."""
        if self._references is None:
            nothing = replay(self.scenario, self.seed, do_nothing()).outcome()
            strong = replay(self.scenario, self.seed, strong_plan()).outcome()
            self._references = (nothing, strong)
        return self._references

    def to_json(self) -> str:
        """The class as a JSON document: scenario, seed, code and each student's decisions."""
        with self.lock:
            data = {
                "adoptsim_class": 1,
                "code": self.code,
                "seed": self.class_seed,
                "scenario": self.scenario.model_dump(mode="json"),
                "players": [p.record() for p in self.players.values()],
            }
        return json.dumps(data, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str = "class file") -> ClassRoom:
        """A class saved by `to_json`, each student's firm rebuilt from their decisions."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("adoptsim_class") != 1:
                raise ValueError("it is not a class saved by the transformation game (no adoptsim_class: 1)")
            room = cls(Scenario.model_validate(data["scenario"]), int(data["seed"]), str(data["code"]))
            for record in data["players"]:
                player = replay(room.scenario, room.seed, choices_from(record["decisions"]), str(record["name"]))
                player.token = str(record["token"])
                room.players[player.name] = player
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{where}: cannot open this class: {exc}") from None
        return room


CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Letters and digits that cannot be mistaken for one another on a projector (no I, O, 0, 1)."""


def class_code() -> str:
    """A new class code: five letters and digits."""
    return "".join(secrets.choice(CODE_LETTERS) for _ in range(5))


_ROOMS: dict[str, ClassRoom] = {}
_ROOMS_LOCK = threading.Lock()


def shared_room(key: str, make: Callable[[], ClassRoom]) -> ClassRoom:
    """The one class of this server process for a set-up `key`, made on first use: every browser session of the
    server (the teacher's page, each student's) sees the same class, held in memory on the teacher's machine."""
    with _ROOMS_LOCK:
        if key not in _ROOMS:
            _ROOMS[key] = make()
        return _ROOMS[key]
