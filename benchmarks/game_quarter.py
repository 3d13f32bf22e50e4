"""How long one quarter of the transformation game takes to compute for a 300-person firm (target: under a second).

A student's firm (scenarios/lessons/transformation-game.yaml: 300 employees) plays eight quarters with every
kind of intervention at low intensity (the most work a quarter can ask for within the budget) and, in another
game, the strong plan; each quarter's `Player.play_quarter` (checking the choices, adding them to the timeline,
13 weeks of the model) is timed, over several games with fresh players in one process. Also timed: the debrief
(nine replays of the path), the first quarter of a fresh process (building the model and loading the compiled
kernels), and one frame of the page's chart (what each unfolding week costs the server).

Run from the repository root: python -m benchmarks.game_quarter [--games N]
Exits 1 if the slowest quarter (after the first model of the process) takes a second or more.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from time import perf_counter

TARGET_SECONDS = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=10, help="games per plan (default 10)")
    games = parser.parse_args().games

    start = perf_counter()
    from sim.game import OFFERS, QUARTERS, Choice, Player, debrief, game_seed, strong_plan
    from sim.scenario import load_scenario

    scenario = load_scenario("lessons/transformation-game")
    first = Player(scenario, game_seed(0), "first")
    first.play_quarter([Choice(kind, 0.4) for kind in OFFERS])
    cold = perf_counter() - start

    everything = [[Choice(kind, 0.4) for kind in OFFERS] for _ in range(QUARTERS)]
    plans = {"every kind at 0.4": everything, "strong plan": strong_plan()}
    quarters: dict[str, list[float]] = {name: [] for name in plans}
    debriefs = []
    for game in range(games):
        for name, plan in plans.items():
            player = Player(scenario, game_seed(game), f"{name} {game}")
            for choices in plan:
                if sum(player.prices(choices)) > player.remaining:
                    choices = []
                tick = perf_counter()
                player.play_quarter(choices)
                quarters[name].append(perf_counter() - tick)
        tick = perf_counter()
        debrief(player)
        debriefs.append(perf_counter() - tick)

    os.environ.setdefault("ADOPTSIM_APP_SCENARIO", "lessons/transformation-game")
    from sim.game_app import PathPicture

    picture = PathPicture("frame")
    series = player.series()
    frames = []
    for week in range(len(series["week"])):
        tick = perf_counter()
        picture.png(series, week)
        frames.append(perf_counter() - tick)

    print(f"machine: {os.cpu_count()} cores; {games} games per plan, 8 quarters each, 300 employees")
    print(f"first quarter of a fresh process (imports, model, kernels loaded): {cold:.2f} s")
    worst = 0.0
    for name, times in quarters.items():
        worst = max(worst, max(times))
        print(
            f"one quarter, {name}: median {statistics.median(times) * 1000:.1f} ms, "
            f"slowest {max(times) * 1000:.1f} ms ({len(times)} quarters)"
        )
    print(
        f"debrief (the path against doing nothing, the strong plan, and without each kind): median "
        f"{statistics.median(debriefs) * 1000:.0f} ms"
    )
    print(f"a frame of the page's chart: median {statistics.median(frames) * 1000:.0f} ms")
    ok = worst < TARGET_SECONDS
    print(
        f"target: one quarter under {TARGET_SECONDS:.0f} s: {'met' if ok else 'MISSED'} (slowest {worst * 1000:.1f} ms)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
