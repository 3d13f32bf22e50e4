"""The classroom's parts without a browser: the model the app builds from its settings, the event feed, the
network's layout and the pictures, and bad input to `adoptsim app` and `adoptsim animate`."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from sim.classroom import ClassroomModel, funnel_counts
from sim.picture import RING, OrganisationPicture, organisation_figure, organisation_layout, team_centres
from sim.pilots import NO_DUPLICATE, PRODUCTION, SCALED
from sim.run import run
from sim.scenario import load_scenario


def same_records(a: list[dict], b: list[dict]) -> bool:
    """Whether two models' weekly records are identical."""
    return len(a) == len(b) and all(np.array_equal(x[k], y[k]) for x, y in zip(a, b, strict=True) for k in x)


def stepped(model: ClassroomModel, weeks: int) -> ClassroomModel:
    """The model after some weeks."""
    for _ in range(weeks):
        model.step()
    return model


def test_without_settings_the_classroom_model_is_its_base_scenario() -> None:
    spec = load_scenario("lessons/fragmentation", ["weeks=30"])
    model = stepped(ClassroomModel(base=spec, seed=4), 30)
    assert same_records(model.records, run(spec, 4).model.records)


def test_the_app_opens_a_lesson_exactly_as_the_lesson_runs() -> None:
    from sim.app import classroom_settings, initial_model

    spec = load_scenario("lessons/usage-not-adoption", ["weeks=20"])
    model = stepped(initial_model(classroom_settings(spec)), 20)
    assert same_records(model.records, run(spec, 0).model.records)


def test_settings_change_the_firm_and_only_what_they_name() -> None:
    base = load_scenario("population")
    model = ClassroomModel(base=base, culture=0.9, threat=0.1, mandate=0.5, intake=0.05, teams=26, team_size=10)
    spec, firm = model.spec, model.spec.firm
    assert (firm.employees, firm.team_size, firm.perceived_threat, firm.mandate) == (260, 10, 0.1, 0.5)
    assert (firm.levers.culture, spec.params.pilots.intake, spec.population) == (0.9, 0.05, None)
    assert firm.levers.infrastructure == base.firm.levers.infrastructure and model.organisation.n_teams == 26
    assert ClassroomModel(team_size=20).spec.firm.employees == 1000 // 12 * 20


def test_the_feed_reports_every_duplicate_and_every_pilot_reaching_production_or_scale() -> None:
    model = stepped(ClassroomModel(base=load_scenario("lessons/fragmentation"), seed=1, infrastructure=0.8), 104)
    table = model.pilots
    assert sum("(a duplicate)" in e for e in model.events) == (table.duplicate_of != NO_DUPLICATE).sum() > 0
    assert sum("reached production" in e for e in model.events) == (table.stage >= PRODUCTION).sum() > 0
    assert sum("scaled across teams" in e for e in model.events) == (table.stage == SCALED).sum() > 0
    assert all(e.startswith("week ") for e in model.events)
    counts = funnel_counts(table)
    assert counts["ideas"] == len(table) and counts["in production"] == (table.stage >= PRODUCTION).sum()


def test_layout_puts_managers_at_team_centres_and_members_on_a_ring() -> None:
    model = ClassroomModel(base=load_scenario("baseline"), teams=7, team_size=9)
    org = model.organisation
    positions = organisation_layout(org)
    centres = team_centres(org.n_teams)[model.workforce.team]
    distance = np.linalg.norm(positions - centres, axis=1)
    assert np.allclose(distance[model.workforce.manager], 0)
    assert np.allclose(distance[~model.workforce.manager], RING)
    assert len(np.unique(positions.round(6), axis=0)) == model.workforce.size


def test_the_network_is_laid_out_once_and_only_its_colours_change() -> None:
    model = ClassroomModel(base=load_scenario("lessons/three-foundations"), culture=0.9)
    live = organisation_figure(model, 60)
    picture: OrganisationPicture = live.pictures[0]
    offsets, colours, first = picture.dots.get_offsets().copy(), picture.dots.get_facecolors().copy(), live.png(model)
    later = live.png(stepped(model, 40))
    assert np.array_equal(picture.dots.get_offsets(), offsets)
    assert not np.array_equal(picture.dots.get_facecolors(), colours)
    assert later != first


def test_a_blitted_frame_equals_the_same_week_drawn_from_scratch() -> None:
    model = ClassroomModel(base=load_scenario("lessons/usage-not-adoption"))
    live = organisation_figure(model, 60)
    stepped(model, 12)
    blitted = np.asarray(live.frame(model))
    fresh = np.asarray(organisation_figure(model, 60).frame(model))
    assert np.array_equal(blitted, fresh)


def assert_refused(result, *fragments: str) -> None:
    """Exit 2 with each fragment in the message and no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def test_app_refuses_a_missing_scenario_and_a_population(cli, tmp_path: Path) -> None:
    assert_refused(cli("app", tmp_path / "nope.yaml", "--no-browser"), "nope.yaml", "no such scenario file")
    assert_refused(cli("app", "population", "--no-browser"), "population", "one organisation")
    assert_refused(cli("app", "baseline", "--set", "firm.levers.culture=2", "--no-browser"), "firm.levers.culture")


def test_app_refuses_a_port_already_in_use(cli) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert_refused(cli("app", "--port", port, "--no-browser"), f"--port {port}", "already listening")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--out", "{tmp}/slides.png"), ("slides.png", ".gif")),
        (("--out", "{tmp}/x.gif", "--set", "firm.employees=3"), ("firm.employees",)),
        (("--out", "{tmp}/folder.gif"), ("is a folder",)),
    ],
)
def test_animate_refuses_bad_output_and_bad_settings(cli, tmp_path: Path, args, fragments) -> None:
    (tmp_path / "folder.gif").mkdir()
    result = cli("animate", "baseline", "--weeks", "2", *(a.format(tmp=tmp_path) for a in args))
    assert_refused(result, *fragments)
    assert [p.name for p in tmp_path.iterdir()] == ["folder.gif"]
