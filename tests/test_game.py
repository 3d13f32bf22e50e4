"""The transformation game's logic (sim/game.py), without a browser.

Playing quarter by quarter gives, to the bit, the run `adoptsim compare` makes of the decisions exported as a
comparison arm; a student's result depends on their decisions and the class's seed only, not on who else plays or
in what order; the budget, the class code and nicknames are checked with clear messages; a class saved and
reopened rebuilds every firm, and its students resume with the address they had.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.errors import InputError
from sim.experiments.compare import load_comparison, run_outcome
from sim.game import (
    BUDGET_PER_EMPLOYEE,
    OFFERS,
    QUARTER_WEEKS,
    QUARTERS,
    Choice,
    ClassRoom,
    GameError,
    Player,
    debrief,
    game_seed,
    outcome,
    replay,
    results_zip,
    strong_plan,
)
from sim.metrics import timeseries_frame
from sim.run import run
from sim.scenario import load_scenario
from sim.schema import Intervention

GAME = load_scenario("lessons/transformation-game")
SEED = 7

PATHS = {
    "ann": [
        [Choice("training", 0.7, "back office"), Choice("centre-of-excellence", 1.0)],
        [Choice("champions", 1.0), Choice("consolidation", 0.4, "front office")],
        [],
        [Choice("infrastructure", 0.7), Choice("mandate", 1.0, "front office")],
        [Choice("reassurance", 0.4)],
        [Choice("safety-programme", 0.7, "back office"), Choice("sponsorship", 0.4)],
        [Choice("champions", 0.7)],
        [Choice("infrastructure", 1.0)],
    ],
    "bo": [[Choice("mandate", 1.0)] for _ in range(QUARTERS)],
    "cy": strong_plan(),
}
"""Three students' decisions: every kind, every target, a quarter without a choice, the strong plan."""


def test_quarter_by_quarter_is_bit_identical_to_compare_rerunning_the_exported_arm(tmp_path: Path) -> None:
    player = replay(GAME, game_seed(SEED), PATHS["ann"], "ann")
    report = debrief(player)
    with zipfile.ZipFile(io.BytesIO(results_zip(player, SEED, report))) as archive:
        archive.extractall(tmp_path)
        assert sorted(archive.namelist()) == sorted(
            ["comparison.yaml", "scenario.yaml", "debrief.txt", "decisions.csv", "weeks.csv"]
        )
    plan = load_comparison(tmp_path / "comparison.yaml", replicates=2)
    assert plan.base == player.scenario
    assert plan.seeds[0] == player.seed
    rerun = run(plan.arms["path of ann"], plan.seeds[0])
    assert rerun.summary == {
        **player.model.summary(),
        **{k: rerun.summary[k] for k in ("scenario", "seed", "weeks", "interventions")},
    }
    pd.testing.assert_frame_equal(
        rerun.timeseries, timeseries_frame(player.model.records, ["Game Co"]), check_exact=True
    )
    assert outcome(run_outcome(plan.arms["path of ann"], plan.seeds[0]).figures) == player.outcome()
    assert outcome(run_outcome(plan.arms["three foundations"], plan.seeds[0]).figures) == report.strong
    assert outcome(run_outcome(plan.base, plan.seeds[0]).figures) == report.nothing


def test_a_students_result_does_not_depend_on_the_order_students_play_in() -> None:
    one_by_one, round_robin = ClassRoom(GAME, SEED), ClassRoom(GAME, SEED)
    for name, path in PATHS.items():
        player = one_by_one.join(name, one_by_one.code)
        for choices in path:
            one_by_one.play(player, choices)
    players = {name: round_robin.join(name, round_robin.code) for name in reversed(PATHS)}
    for quarter in range(QUARTERS):
        for name in ["cy", "ann", "bo"] if quarter % 2 else ["bo", "cy", "ann"]:
            round_robin.play(players[name], PATHS[name][quarter])
    first = {row["name"]: row for row in one_by_one.leaderboard()}
    second = {row["name"]: row for row in round_robin.leaderboard()}
    assert first == second
    for name, path in PATHS.items():
        alone = replay(GAME, game_seed(SEED), path, name).outcome()
        assert first[name] == {"name": name, "quarter": QUARTERS, **alone}
    assert len({row["net_value"] for row in first.values()}) == 3  # the paths do differ


def test_each_quarters_interventions_start_on_its_first_week_and_last_its_thirteen_weeks() -> None:
    player = replay(GAME, game_seed(SEED), PATHS["ann"][:2])
    report = {entry["name"]: entry for entry in player.model.timeline.report()}
    assert report["Q1 AI training"]["first_week"] == 1
    assert report["Q2 Champions network"]["first_week"] == QUARTER_WEEKS + 1
    assert report["Q1 AI training"]["weeks_active"] == QUARTER_WEEKS
    assert player.model.week == 2 * QUARTER_WEEKS
    assert player.outcome()["money_spent"] == player.committed  # each quarter's cost is spent within it


def test_overspending_is_refused_with_the_cost_and_what_is_left() -> None:
    player = Player(GAME, game_seed(SEED), "ann")
    everything = [Choice(kind, 1.0) for kind in OFFERS]
    quarters = 0
    with pytest.raises(GameError, match=r"Over budget: this quarter's choices cost USD [\d.]+[kM], but only "):
        while True:
            player.play_quarter(everything)
            quarters += 1
    assert 0 < quarters < QUARTERS
    assert player.quarter == quarters  # the refused quarter was not played
    assert player.remaining >= 0
    assert player.budget == BUDGET_PER_EMPLOYEE * 300


def test_choices_the_game_does_not_allow_get_clear_messages() -> None:
    player = Player(GAME, game_seed(SEED))
    cases = [
        ([Choice("bribery")], "kind 'bribery' is not an intervention; allowed: training"),
        ([Choice("training", 1.5)], "intensity 1.5 must be from 0.1 to 1"),
        ([Choice("training", 0.5, "canteen")], "target 'canteen'; allowed: whole firm, front office, back office"),
        ([Choice("infrastructure", 0.5, "front office")], "acts on the whole firm; it has no target teams"),
        ([Choice("training"), Choice("training", 1.0)], "chosen more than once: AI training"),
    ]
    for choices, message in cases:
        with pytest.raises(GameError, match=message):
            player.play_quarter(choices)
    for _ in range(QUARTERS):
        player.play_quarter([])
    with pytest.raises(GameError, match="the game is over"):
        player.play_quarter([])


def test_unknown_class_code_and_a_nickname_already_taken_are_refused() -> None:
    room = ClassRoom(GAME, SEED, code="ABCDE")
    room.join("Ann", "abcde ")
    with pytest.raises(GameError, match="Class code 'XYZ12' is not this class's"):
        room.join("Bo", "XYZ12")
    with pytest.raises(GameError, match="The nickname 'ann' is taken in this class. Choose another one."):
        room.join("ann", "ABCDE")
    with pytest.raises(GameError, match="Choose a nickname"):
        room.join("   ", "ABCDE")
    assert list(room.players) == ["Ann"]


def test_a_saved_class_reopens_with_every_firm_and_address() -> None:
    room = ClassRoom(GAME, SEED)
    tokens = {}
    for name, path in PATHS.items():
        player = room.join(name, room.code)
        tokens[name] = player.token
        for choices in path[: 3 + len(name)]:
            room.play(player, choices)
    reopened = ClassRoom.from_json(room.to_json())
    assert reopened.code == room.code and reopened.seed == room.seed
    assert reopened.leaderboard() == room.leaderboard()
    for name, token in tokens.items():
        assert reopened.by_token(token).name == name
    assert reopened.by_token("not-a-token") is None
    with pytest.raises(InputError, match="cannot open this class"):
        ClassRoom.from_json('{"players": []}', "class.json")
    with pytest.raises(InputError, match="cannot open this class"):
        ClassRoom.from_json("not json", "class.json")


def test_the_strong_plan_fits_the_budget_and_the_debrief_says_what_mattered() -> None:
    player = replay(GAME, game_seed(SEED), PATHS["ann"], "ann")
    strong = replay(GAME, game_seed(SEED), strong_plan())
    assert strong.remaining >= 0
    report = debrief(player)
    text = "\n".join(report.lines())
    for kind in {c.kind for q in PATHS["ann"] for c in q}:
        assert OFFERS[kind].title in text
    assert "Against doing nothing your decisions" in text and "The strong plan" in text
    assert report.nothing["money_spent"] == 0


def test_interventions_added_to_a_running_timeline_must_start_later() -> None:
    player = replay(GAME, game_seed(SEED), [[]])
    model = player.model
    late = Intervention(kind="training", start=model.week)
    with pytest.raises(ValueError, match="must start later"):
        model.timeline.extend([late], model.organisation, model.week)


def test_the_game_and_its_options_refuse_bad_input(cli, tmp_path: Path) -> None:
    bad_class = tmp_path / "class.json"
    bad_class.write_text("{}", encoding="utf-8")
    cases = [
        (["app", "--class"], "--class: a class plays the transformation game; add --game"),
        (["app", "--game", "--host", "0.0.0.0"], "only a class (--game --class) is served beyond this machine"),
        (["app", "--game", "--class", "--host", "everywhere"], "--host 'everywhere': not an IP address"),
        (["app", "--game", "--class", "--open", tmp_path / "missing.json"], "cannot read it"),
        (["app", "--game", "--class", "--open", bad_class], "cannot open this class"),
        (["app", "--game", "--open", bad_class], "add --game --class"),
        (["app", "--seed", "3"], "--seed 3: only the game takes a seed here"),
        (["app", "--game", "--class", "--seed", "3", "--open", bad_class], "keeps the seed it was played with"),
    ]
    for args, message in cases:
        result = cli(*args)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
        assert message in " ".join((result.stdout + result.stderr).split()), (args, result.stderr)


def test_weekly_series_follow_the_model() -> None:
    player = replay(GAME, game_seed(SEED), PATHS["bo"][:2])
    series = player.series()
    assert list(series["week"]) == list(range(2 * QUARTER_WEEKS + 1))
    assert series["money_spent"][-1] == player.committed
    assert np.all(np.diff(series["money_spent"]) >= 0)


def test_a_quarter_unfolds_on_screen_week_by_week(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page shows each of a quarter's 13 weeks in turn (here without a browser: the hook that drives it)."""
    import time

    import solara

    from sim import game_app

    monkeypatch.setattr(game_app, "UNFOLD", 5)
    seen: list[int] = []
    target = solara.reactive(0)

    @solara.component
    def Page():
        shown = game_app.use_unfolding(target.value)
        seen.append(shown.value)
        solara.Text(f"week {shown.value}")

    _, rc = solara.render(Page(), handle_error=False)
    try:
        target.set(QUARTER_WEEKS)
        deadline = time.monotonic() + 60
        while seen[-1] < QUARTER_WEEKS and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        rc.close()
    assert seen[0] == 0 and seen[-1] == QUARTER_WEEKS
    assert set(range(QUARTER_WEEKS + 1)) <= set(seen)  # every week was on screen
    assert seen == sorted(seen)


def test_what_teaching_md_says_students_see_in_the_game() -> None:
    """Lesson 4's claims, over the ten seeds 0 to 9 of the game's firm, with room to spare."""
    from sim.game import do_nothing

    plans = {
        "nothing": do_nothing(),
        "strong": strong_plan(),
        "mandate": [[Choice("mandate", 1.0)]] * QUARTERS,
        "training and mandate": [[Choice("training", 0.7), Choice("mandate", 0.7)]] * QUARTERS,
        "culture": [[Choice("safety-programme", 0.7), Choice("champions", 0.7)]] * 2 + [[Choice("champions", 0.7)]] * 6,
        "infrastructure": [[Choice("infrastructure", 1.0)]] * QUARTERS,
    }
    mean = {
        name: pd.DataFrame([replay(GAME, game_seed(seed), plan).outcome() for seed in range(10)]).mean()
        for name, plan in plans.items()
    }
    assert mean["nothing"]["pilots_scaled"] <= 2 and mean["nothing"]["engagement_rate"] < 0.25
    assert 0 < mean["nothing"]["net_value"] < 0.5e6
    assert mean["mandate"]["usage_rate"] > 0.9 and mean["mandate"]["engagement_rate"] < 0.12
    assert mean["training and mandate"]["net_value"] < 0
    assert mean["culture"]["engagement_rate"] > 0.75 and mean["culture"]["net_value"] > mean["nothing"]["net_value"]
    assert mean["infrastructure"]["pilots_scaled"] >= 2 and mean["infrastructure"]["net_value"] < 0
    assert mean["strong"]["pilots_scaled"] >= 7 and mean["strong"]["net_value"] > 1e6
    assert mean["strong"]["net_value"] > max(m["net_value"] for name, m in mean.items() if name != "strong")


def test_serving_a_class_beyond_this_machine_warns_and_says_what_address_to_share() -> None:
    from sim.cli.classroom import network_warning, probe_host, shared_address

    address = shared_address("0.0.0.0")
    assert address and address != "0.0.0.0"
    assert shared_address("10.1.2.3") == "10.1.2.3"
    assert probe_host("0.0.0.0") == "127.0.0.1"
    text = network_warning("0.0.0.0", 8765, f"http://{address}:8765/")
    assert text.startswith("Warning: --host 0.0.0.0 serves the game to other machines")
    assert f"Address to share with students: http://{address}:8765/" in text


def test_a_class_debrief_uses_the_references_it_keeps_and_they_are_the_players_own() -> None:
    """The page passes the class's cached runs of doing nothing and of the strong plan to the debrief instead of
    running them again for every student; they must be what the debrief would run on the student's firm."""
    room = ClassRoom(GAME, SEED)
    player = replay(room.scenario, room.seed, PATHS["ann"], "ann")
    assert debrief(player, room.references()) == debrief(player)
