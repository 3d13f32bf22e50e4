"""What a sweep found, as a researcher would write it: for each outcome, the factors that matter most.

Where the design has sensitivity indices (`adoptsim sensitivity` wrote sobol.csv or morris.csv into the
sweep folder), they say it: Sobol' total indices (the share of the outcome's variance a factor accounts for,
alone and in interactions) or Morris mu* (the mean absolute elementary effect over the factor's range).
Otherwise, for any design, an effect size: the difference in the outcome's mean between the runs in the top
and the bottom third of the factor's values, with a 95% interval (Welch's normal approximation) and
Spearman's rank correlation. These are data functions; the report puts them into words and tables.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
"""The two-sided 95% normal quantile."""
SMALLEST_INDEX = 0.05
"""Sobol' total indices below this (5% of an outcome's variance) are not named as mattering."""
TOP = 3
"""At most this many factors are named per outcome."""


@dataclass(frozen=True)
class SweepRecord:
    """What experiment.json says about a sweep: its design kind, factors (path -> values or range) and
    outcomes, in file order."""

    design: str
    factors: dict[str, dict]
    outcomes: list[str]

    @classmethod
    def of(cls, folder: Path) -> SweepRecord:
        record = json.loads((Path(folder) / "experiment.json").read_text(encoding="utf-8"))
        experiment = record["experiment"]
        design = experiment.get("design", "grid")
        kind = design.get("kind", "grid") if isinstance(design, dict) else str(design)
        return cls(kind, dict(experiment["factors"]), list(experiment["outcomes"]))


def factor_label(path: str) -> str:
    """A factor's name in words: a lever or firm field by its last part, a parameter by its last two."""
    parts = path.split(".")
    if parts[0] == "params" and len(parts) > 2:
        return " ".join(parts[-2:]).replace("_", " ")
    return parts[-1].replace("_", " ")


def outcome_label(name: str) -> str:
    """An outcome's name as the comparisons and the glossary give it, or its column name."""
    from sim.experiments.compare import METRICS

    return METRICS[name].label if name in METRICS else name.replace("_", " ")


def sentence_case(text: str) -> str:
    """The text with its first letter capitalised and the rest as it is ("AI" stays "AI")."""
    return text[:1].upper() + text[1:]


def factor_table(sweep: SweepRecord) -> pd.DataFrame:
    """The factors varied: their path, their name in words and the values or range the design took."""
    rows = []
    for path, spec in sweep.factors.items():
        if spec.get("values") is not None:
            varied = ", ".join(f"{v:g}" if isinstance(v, int | float) else str(v) for v in spec["values"])
        else:
            low, high = spec["range"]
            varied = f"{low:g} to {high:g}"
        rows.append({"factor": factor_label(path), "field": path, "varied over": varied})
    return pd.DataFrame(rows)


def effect_sizes(runs: pd.DataFrame, factors: list[str], outcomes: list[str]) -> pd.DataFrame:
    """Per outcome and factor: the mean outcome in the top third of the factor's values minus the bottom
    third, its 95% interval, and Spearman's rho over all runs. A factor with fewer than two distinct values,
    or an outcome that never varies, gives NaN."""
    rows = []
    for outcome in outcomes:
        y = pd.to_numeric(runs[outcome], errors="coerce")
        for factor in factors:
            x = pd.to_numeric(runs[factor], errors="coerce")
            rows.append({"outcome": outcome, "factor": factor, **effect(x.to_numpy(float), y.to_numpy(float))})
    return pd.DataFrame(rows)


def effect(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Top third minus bottom third of x, in y: difference, interval and Spearman's rho."""
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    nothing = {"effect": math.nan, "low": math.nan, "high": math.nan, "rho": math.nan}
    if len(np.unique(x)) < 2 or np.ptp(y) == 0:
        return nothing
    low_cut, high_cut = np.quantile(x, [1 / 3, 2 / 3])
    bottom, top = y[x <= low_cut], y[x >= high_cut]
    if low_cut == high_cut:  # two levels: each half
        bottom, top = y[x <= low_cut], y[x > low_cut]
    if len(bottom) < 2 or len(top) < 2:
        return nothing
    difference = float(top.mean() - bottom.mean())
    error = math.sqrt(top.var(ddof=1) / len(top) + bottom.var(ddof=1) / len(bottom))
    rho = float(pd.Series(x).rank().corr(pd.Series(y).rank()))
    return {"effect": difference, "low": difference - Z95 * error, "high": difference + Z95 * error, "rho": rho}


def sensitivity_table(folder: Path) -> tuple[str, pd.DataFrame] | None:
    """The sensitivity indices kept in a sweep folder, as (method, table), or None."""
    for method in ("sobol", "morris"):
        path = Path(folder) / f"{method}.csv"
        if path.is_file():
            return method, pd.read_csv(path)
    return None


def ranked(method: str, table: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """One outcome's factors, most influential first (Sobol' ST or Morris mu*), NaN rows dropped."""
    key = "ST" if method == "sobol" else "mu_star"
    rows = table[table["outcome"] == outcome].dropna(subset=[key])
    return rows.sort_values(key, ascending=False, kind="stable")


def sobol_sentence(outcome: str, rows: pd.DataFrame) -> str:
    """'Pilots scaled: infrastructure carries most of its variance (total index 0.62, 0.51 to 0.73) ...'"""
    label = sentence_case(outcome_label(outcome))
    named = rows[rows["ST"] >= SMALLEST_INDEX].head(TOP)
    if named.empty:
        return f"{label}: no factor accounts for {SMALLEST_INDEX:.0%} of its variance or more."
    parts = [
        f"{factor_label(r.factor)} (total index {r.ST:.2f}, 95% interval {max(r.ST - r.ST_conf, 0):.2f} to "
        f"{min(r.ST + r.ST_conf, 1):.2f}; alone {r.S1:.2f})"
        for r in named.itertuples()
    ]
    lead = "carries most of its variance" if named.iloc[0]["ST"] >= 0.5 else "matters most"
    main = float(np.clip(rows["S1"].clip(lower=0).sum(), 0, 1))
    tail = (
        f" The factors alone explain {main:.0%} of its variance; the other {1 - main:.0%} comes from their "
        "interactions and the model's own chance."
        if main <= 0.9
        else ""
    )
    rest = f", then {', '.join(parts[1:])}" if len(parts) > 1 else ""
    return f"{label}: {parts[0]} {lead}{rest}.{tail}"


def morris_sentence(outcome: str, rows: pd.DataFrame) -> str:
    """'Pilots scaled: moving infrastructure across its range changes it most (mu* 4.1 +- 0.8) ...'"""
    label = sentence_case(outcome_label(outcome))
    named = rows.head(TOP)
    if named.empty or not (named["mu_star"] > 0).any():
        return f"{label}: no factor moves it."
    parts = [f"{factor_label(r.factor)} (mu* {r.mu_star:.3g} +- {r.mu_star_conf:.2g})" for r in named.itertuples()]
    nonlinear = [factor_label(r.factor) for r in named.itertuples() if r.mu_star > 0 and r.sigma > r.mu_star]
    tail = (
        f" The effect of {', '.join(nonlinear)} depends on the other factors (sigma above mu*)." if nonlinear else ""
    )
    rest = f", then {', '.join(parts[1:])}" if len(parts) > 1 else ""
    return f"{label}: moving {parts[0]} across its range changes it most{rest}.{tail}"


def effect_sentence(outcome: str, rows: pd.DataFrame) -> str:
    """'Pilots scaled: higher infrastructure raises it by 4.2 (95% interval 3.1 to 5.3; rho 0.61) ...'"""
    label = sentence_case(outcome_label(outcome))
    rows = rows.dropna(subset=["effect"])
    clear = rows[(rows["low"] > 0) | (rows["high"] < 0)]
    if clear.empty:
        return f"{label}: no factor changes it clearly (every interval includes no change)."
    clear = clear.reindex(clear["effect"].abs().sort_values(ascending=False).index).head(TOP)
    parts = [
        f"higher {factor_label(r.factor)} {'raises' if r.effect > 0 else 'lowers'} it by {abs(r.effect):.3g} "
        f"(top third of its values against the bottom third, 95% interval {r.low:.3g} to {r.high:.3g}; "
        f"rank correlation {r.rho:.2f})"
        for r in clear.itertuples()
    ]
    return f"{label}: {'; '.join(parts)}."


def findings(folder: Path, runs: pd.DataFrame) -> tuple[list[str], str, pd.DataFrame]:
    """Per outcome, a sentence on the factors that matter most; which evidence they rest on; and its table."""
    sweep = SweepRecord.of(folder)
    outcomes = [o for o in sweep.outcomes if o in runs]
    indices = sensitivity_table(folder)
    if indices is not None:
        method, table = indices
        sentence = sobol_sentence if method == "sobol" else morris_sentence
        lines = [sentence(o, ranked(method, table, o)) for o in outcomes if (table["outcome"] == o).any()]
        return lines, method, table
    table = effect_sizes(runs, list(sweep.factors), outcomes)
    lines = [effect_sentence(o, table[table["outcome"] == o]) for o in outcomes]
    return lines, "effects", table
