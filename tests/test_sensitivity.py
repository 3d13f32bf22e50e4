"""`adoptsim sensitivity`: Sobol' indices of the shipped Sobol' experiment written and drawn, and the same
sampling, analysis and writing code checked on the Ishigami function against its analytic indices and on a
linear function against its exact Morris elementary effects."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from SALib.test_functions import Ishigami

from sim.experiments.design import Morris, Sobol, morris_samples, sobol_samples
from sim.experiments.sensitivity import indices, write_indices

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "scenarios" / "experiments" / "sobol.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"
PNG = b"\x89PNG\r\n\x1a\n"
ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
"""Ishigami's function (a = 7, b = 0.1) on [-pi, pi]^3; its indices are known in closed form."""
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]
ISHIGAMI_S13 = 0.2437
"""All of x3's effect is its interaction with x1: S13 = ST3."""


def small_copy(folder: Path, experiment: Path, samples: int) -> Path:
    """A shipped experiment with a smaller Sobol' sample, on the shipped baseline cut to a small firm."""
    data = yaml.safe_load(experiment.read_text(encoding="utf-8"))
    data["design"]["samples"] = samples
    data["base"] = str(BASELINE)
    data["set"] = {"firm.employees": 60, "weeks": 26}
    path = folder / experiment.name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def ishigami_indices(folder: Path, design: Sobol, seed: int) -> tuple[pd.DataFrame, Path]:
    """Ishigami's function through the sweep's sampler, analysis and writer: sobol.csv and the figure."""
    samples = sobol_samples(design, ISHIGAMI, seed)
    result = indices(design, ISHIGAMI, samples, {"y": Ishigami.evaluate(samples)}, seed)
    written = write_indices(folder, result)
    assert (folder / "figures" / "sobol.png") in written
    return pd.read_csv(folder / "sobol.csv"), folder


def test_sobol_indices_of_the_shipped_experiment_are_written_and_drawn(cli, tmp_path):
    experiment = small_copy(tmp_path, SHIPPED, samples=8)
    out = tmp_path / "sobol"
    result = cli("sensitivity", experiment, "--out", out, "--workers", "1")
    assert result.exit_code == 0, result.stderr
    shipped = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    table = pd.read_csv(out / "sobol.csv")
    assert list(table.columns) == ["outcome", "factor", "S1", "S1_conf", "ST", "ST_conf"]
    assert table["outcome"].unique().tolist() == shipped["outcomes"]
    assert (table.groupby("outcome")["factor"].apply(list) == [list(shipped["factors"])] * 5).all()
    engagement = table[table["outcome"] == "engagement_rate"]
    assert engagement[["S1", "S1_conf", "ST", "ST_conf"]].notna().all().all() and engagement["ST"].max() > 0
    assert (out / "figures" / "sobol.png").read_bytes()[:8] == PNG
    assert len(pd.read_parquet(out / "runs.parquet")) == 8 * (8 + 2)
    again = cli("sensitivity", out, "--outcome", "engagement_rate", "--quiet")
    assert again.exit_code == 0, again.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out / "sobol.csv"), engagement.reset_index(drop=True))


def test_ishigami_first_order_and_total_indices_match_the_analytic_values(tmp_path):
    table, _ = ishigami_indices(tmp_path, Sobol(kind="sobol", samples=4096), seed=1)
    assert table["factor"].tolist() == ["x1", "x2", "x3"]
    assert np.abs(table["S1"] - ISHIGAMI_S1).max() < 0.01
    assert np.abs(table["ST"] - ISHIGAMI_ST).max() < 0.01
    assert ((table["S1"] - table["S1_conf"] <= ISHIGAMI_S1) & (ISHIGAMI_S1 <= table["S1"] + table["S1_conf"])).all()


def test_ishigami_second_order_indices_find_the_x1_x3_interaction(tmp_path):
    _, folder = ishigami_indices(tmp_path, Sobol(kind="sobol", samples=2048, second_order=True), seed=1)
    pairs = pd.read_csv(folder / "sobol_second_order.csv").set_index(["factor_1", "factor_2"])["S2"]
    assert abs(pairs["x1", "x3"] - ISHIGAMI_S13) < 0.02
    assert abs(pairs["x1", "x2"]) < 0.02 and abs(pairs["x2", "x3"]) < 0.02


def test_morris_effects_of_a_linear_function_are_its_slopes_times_the_ranges(tmp_path):
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1], [0, 10], [5, 6]]}
    design = Morris(kind="morris", trajectories=10)
    samples = morris_samples(design, problem, seed=3)
    y = 2 * samples[:, 0] + samples[:, 1] + 0 * samples[:, 2]
    write_indices(tmp_path, indices(design, problem, samples, {"y": y}, seed=3))
    table = pd.read_csv(tmp_path / "morris.csv")
    assert table["mu_star"].tolist() == pytest.approx([2.0, 10.0, 0.0])
    assert table["sigma"].tolist() == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)
    assert (tmp_path / "figures" / "morris.png").read_bytes()[:8] == PNG


def test_an_outcome_that_never_varies_has_empty_sobol_indices():
    design = Sobol(kind="sobol", samples=8)
    samples = sobol_samples(design, ISHIGAMI, seed=0)
    table = indices(design, ISHIGAMI, samples, {"flat": np.zeros(len(samples))}, seed=0).table
    assert table[["S1", "ST"]].isna().all().all()


def test_sensitivity_of_a_grid_sweep_is_refused(cli, tmp_path):
    experiment = tmp_path / "grid.yaml"
    experiment.write_text(
        yaml.safe_dump(
            {
                "base": str(BASELINE),
                "set": {"firm.employees": 30, "weeks": 4},
                "factors": {"firm.levers.culture": {"values": [0.2, 0.8]}},
                "design": "grid",
                "outcomes": ["usage_rate"],
            }
        ),
        encoding="utf-8",
    )
    result = cli("sensitivity", experiment, "--out", tmp_path / "grid", "--workers", "1", "--quiet")
    assert result.exit_code == 2
    assert "the sweep's design is grid; sensitivity indices need a sobol design" in result.stderr
    from_folder = cli("sensitivity", tmp_path / "grid")
    assert from_folder.exit_code == 2 and "design is grid" in from_folder.stderr
