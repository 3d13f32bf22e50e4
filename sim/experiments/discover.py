"""Scenario discovery on a finished sweep: under which combinations of the factors does an outcome pass a
threshold? PRIM (the Patient Rule Induction Method; Friedman and Fisher 1999, as used for scenario discovery
by Bryant and Lempert 2010) and CART, both from EMA Workbench (`ema_workbench.analysis.prim` and `.cart`).

The factors the sweep varied are the inputs x (numeric factors as numbers, listed values that are not
numbers as categories), and the chosen outcome, thresholded (`>= 5`, or the top 20% of runs), marks the runs
of interest y. PRIM peels the factor space, a little at a time, towards the region where runs of interest
are densest, and reports every box on the way: its peeling trajectory. Three figures describe each box:

- coverage: the share of all runs of interest that fall inside the box;
- density: the share of runs inside the box that are of interest;
- mass: the share of all runs inside the box.

Peeling trades coverage for density. The box reported is chosen on the trajectory by a stated rule (see
`choose_box`): the densest box that still covers at least `MIN_COVERAGE` of the runs of interest; each of
its limits comes with EMA's quasi-p-value (a one-sided binomial test of whether the limit raises the
density beyond chance; Bryant and Lempert 2010). CART (a classification tree from scikit-learn, wrapped by
EMA) is fitted to the same data as a second opinion: its leaves are boxes too.

EMA Workbench takes about two seconds to import, so it is imported only when a discovery is made.
"""

from __future__ import annotations

import json
import math
import operator
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.experiments.sweep import EXPERIMENT_FILE, RUNS_FILE, read_record
from sim.output import is_staging, output_folder, slug, versions, write_json

KIND = "discover"
"""The command kind in manifests; sim/output.py's KIND_FILES recognises older discovery folders by their files."""
DISCOVERY_FILE = "discovery.json"
BOX_FILE = "discovery.csv"
TRAJECTORY_FILE = "trajectory.csv"
CART_FILE = "cart.txt"
FOLDER_PREFIX = "discovery-"
"""A discovery is written by default into SWEEP_DIR/discovery-<outcome>/, where `adoptsim report` finds it."""

MIN_COVERAGE = 0.7
"""The box chosen on the peeling trajectory is the densest one covering at least this share of the runs of
interest. Seventy per cent keeps most of what we are looking for in the box while leaving PRIM room to
sharpen it; the whole space (coverage 1) is always a candidate, so a box is always found."""
MASS_MIN = 0.05
"""PRIM stops peeling, and CART stops splitting, at boxes (leaves) holding less than this share of the runs
(EMA's default)."""
SIGNIFICANT = 0.05
"""A limit whose quasi-p-value exceeds this is marked as not significant: removing it would not lower the
box's density by more than chance would."""
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
WHERE = re.compile(r"\s*(>=|<=|==|!=|>|<|=)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*")
EMA_PANDAS_WARNING = r"The inplace keyword in DataFrame.drop is deprecated"
"""EMA Workbench 3.0's Prim drops a column in place, which pandas 3.1 warns about (harmless); filtered."""
IDENTIFIERS = ("run", "replicate", "seed", "error")
"""Columns of the runs table that identify a run and are neither factors nor outcomes."""


@dataclass(frozen=True)
class Selection:
    """Which runs are of interest: the outcome compared with a value (`--where`), or the top share of runs
    (`--top`, turned into `>= cutoff`)."""

    outcome: str
    operator: str
    value: float
    top: float | None = None

    @property
    def text(self) -> str:
        """The condition as a reader writes it: pilots_scaled >= 5."""
        return f"{self.outcome} {self.operator} {number(self.value)}"

    def mark(self, values: pd.Series) -> np.ndarray:
        """Which of the outcome's values satisfy the condition."""
        return np.asarray(OPERATORS[self.operator](values.to_numpy(dtype=float), self.value), dtype=bool)


@dataclass
class Discovery:
    """A finished discovery: what was asked, on which runs, PRIM's trajectory and chosen box, and CART."""

    sweep: Path
    experiment: str
    design: str
    selection: Selection
    factors: list[str]
    left_out: dict[str, str]
    runs: int
    of_interest: int
    trajectory: pd.DataFrame
    chosen: int
    rule: str
    limits: pd.DataFrame
    cart_leaves: list[dict]
    cart_text: str
    prim_box: Any = field(repr=False)
    cart: Any = field(repr=False)

    @property
    def stats(self) -> dict[str, float]:
        """The chosen box's coverage, density, mass, restricted dimensions and runs (inside, of interest)."""
        row = self.trajectory.loc[self.chosen]
        return {
            "coverage": float(row["coverage"]),
            "density": float(row["density"]),
            "mass": float(row["mass"]),
            "restricted": int(row["res_dim"]),
            "runs_in_box": int(row["n"]),
            "of_interest_in_box": int(row["k"]),
        }

    @property
    def base_rate(self) -> float:
        """The share of all runs that are of interest (the density of the whole space)."""
        return self.of_interest / self.runs

    @property
    def sentence(self) -> str:
        """The chosen box in plain words."""
        return box_sentence(self)


# --- Reading the sweep ----------------------------------------------------------------------------------------


def read_sweep(folder: Path) -> tuple[dict, pd.DataFrame]:
    """A finished sweep's experiment.json and runs table, or a message saying why the folder is not one."""
    folder = Path(folder)
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "no such folder"
        raise InputError(f"{folder}: {what}. Give a sweep folder written by adoptsim sweep (it holds {RUNS_FILE}).")
    if is_staging(folder):
        raise InputError(
            f"{folder}: is a temporary folder of a command that did not finish, not results. Give the sweep folder."
        )
    if not (folder / EXPERIMENT_FILE).is_file():
        raise InputError(
            f"{folder}: not a sweep folder: it holds no {EXPERIMENT_FILE}. Give a folder written by adoptsim sweep, "
            "such as outputs/foundations."
        )
    record = read_record(folder)
    if not (folder / RUNS_FILE).is_file():
        raise InputError(
            f"{folder}: the sweep has not finished: there is no {RUNS_FILE} yet. Run the same adoptsim sweep command "
            "again to finish it, then discover."
        )
    try:
        runs = pd.read_parquet(folder / RUNS_FILE)
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{folder / RUNS_FILE}: cannot read it ({exc}). Run the sweep again into a new folder."
        ) from None
    factors = list(record["experiment"].get("factors") or {}) if isinstance(record["experiment"], dict) else []
    missing = [name for name in [*factors, "error"] if name not in runs.columns]
    if not factors or missing:
        raise InputError(
            f"{folder / RUNS_FILE}: does not hold the columns of its {EXPERIMENT_FILE} (missing: "
            f"{', '.join(missing) or 'every factor'}); it was changed by hand. Run the sweep again into a new folder."
        )
    return record, runs


def outcome_columns(runs: pd.DataFrame, factors: list[str]) -> list[str]:
    """The numeric outcome columns of a runs table (not a factor, not a run's identifiers)."""
    return [
        c
        for c in runs.columns
        if c not in factors
        and c not in IDENTIFIERS
        and pd.api.types.is_numeric_dtype(runs[c])
        and not pd.api.types.is_bool_dtype(runs[c])
    ]


def factor_frame(runs: pd.DataFrame, factors: list[str], folder: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """The inputs of PRIM and CART: numeric factors as float64 (int64 on whole-number fields), other factors
    as categories; factors that take one value only are left out (with the reason). At least one numeric
    factor must vary."""
    columns, left_out = {}, {}
    for name in factors:
        values = runs[name]
        if values.nunique(dropna=False) < 2:
            left_out[name] = f"takes one value only ({values.iloc[0]!r})"
            continue
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values) or values.isna().any():
            columns[name] = values.astype(str).astype("category")
        elif pd.api.types.is_integer_dtype(values):
            columns[name] = values.astype("int64")
        else:
            columns[name] = values.astype("float64")
    x = pd.DataFrame(columns, index=runs.index)
    if x.select_dtypes("number").empty:
        kinds = "; ".join([*(f"{n} is not numeric" for n in x.columns), *(f"{n} {why}" for n, why in left_out.items())])
        raise InputError(
            f"{folder}: the sweep varies no numeric factor ({kinds}). PRIM and CART describe boxes over numeric "
            "factors such as firm.levers.culture: sweep at least one numeric field over two or more values."
        )
    return x.reset_index(drop=True), left_out


def parse_where(text: str, outcome: str) -> Selection:
    """`>= 5` (or `> 5`, `<= 0.3`, `< 0.3`, `== 0`, `!= 0`) as a selection of runs."""
    match = WHERE.fullmatch(text or "")
    if match is None:
        raise InputError(
            f'--where {text!r}: expected a comparison and a number, such as ">= 5" or "< 0.3". Allowed '
            f"comparisons: {', '.join(OPERATORS)}; the number is compared with {outcome} of each run."
        )
    symbol = "==" if match[1] == "=" else match[1]
    value = float(match[2])
    if not math.isfinite(value):
        raise InputError(f"--where {text!r}: the number must be finite.")
    return Selection(outcome, symbol, value)


def top_selection(values: pd.Series, top: float, outcome: str) -> Selection:
    """The runs with the highest outcome, about the `top` share of them, as `outcome >= cutoff`. Runs that tie
    are kept together, so the cutoff is the value whose share of runs at or above it is closest to `top` (of
    two equally close, the smaller share): on a count where most runs are 0 the top 20% may be 15% or 25%."""
    if not (0 < top < 1):
        raise InputError(
            f"--top {top}: must be a share of the runs strictly between 0 and 1, such as 0.2 for the top 20%."
        )
    data = np.sort(values.to_numpy(dtype=float))
    levels = np.unique(data)[1:]
    if len(levels) == 0:
        return Selection(outcome, ">=", float(data[0]), top)
    shares = 1 - np.searchsorted(data, levels, side="left") / len(data)
    best = min(range(len(levels)), key=lambda i: (abs(shares[i] - top), shares[i]))
    return Selection(outcome, ">=", float(levels[best]), top)


def select_runs(
    runs: pd.DataFrame, factors: list[str], outcome: str, where: str | None, top: float | None, folder: Path
) -> tuple[pd.DataFrame, Selection, np.ndarray]:
    """The runs that finished with a value of the outcome, the selection, and which runs are of interest."""
    outcomes = outcome_columns(runs, factors)
    if outcome not in outcomes:
        raise InputError(
            f"--outcome {outcome!r}: not an outcome of the sweep in {folder}. Allowed: {', '.join(outcomes)}."
        )
    if (where is None) == (top is None):
        raise InputError(
            '--where and --top: give exactly one, to say which runs are of interest: --where ">= 5" (the '
            "outcome compared with a number) or --top 0.2 (the 20% of runs with the highest outcome)."
        )
    finished = runs[(runs["error"].fillna("").astype(str) == "") & runs[outcome].notna()].reset_index(drop=True)
    if len(finished) < 2:
        raise InputError(
            f"{folder}: only {len(finished)} runs finished with a value of {outcome}; discovery needs many. "
            "Look at the error column of runs.parquet."
        )
    selection = parse_where(where, outcome) if where is not None else top_selection(finished[outcome], top, outcome)
    y = selection.mark(finished[outcome])
    if y.all() or not y.any():
        what = "every one" if y.all() else "none"
        given = f"--where {where!r}" if where is not None else f"--top {top}"
        values = finished[outcome]
        raise InputError(
            f"{given}: {selection.text} holds for {what} of the {len(finished):,} finished runs, so there is "
            f"nothing to tell apart. {outcome} runs from {number(values.min())} to {number(values.max())} (median "
            f"{number(values.median())}); give a threshold that splits the runs."
        )
    return finished, selection, y


# --- PRIM and CART ------------------------------------------------------------------------------------------


def import_analysis() -> tuple[Any, Any]:
    """EMA Workbench's prim and cart modules (imported here: they take about two seconds)."""
    from sim.ema import quiet_import

    return quiet_import("ema_workbench.analysis.prim"), quiet_import("ema_workbench.analysis.cart")


def choose_box(trajectory: pd.DataFrame, min_coverage: float) -> int:
    """The box reported: the densest box on the peeling trajectory whose coverage is at least `min_coverage`;
    of equally dense boxes, the one with the higher coverage (then the fewer restricted factors). The whole
    space (box 0, coverage 1) always qualifies."""
    eligible = trajectory[trajectory["coverage"] >= min_coverage - 1e-12]
    ranked = eligible.assign(d=eligible["density"].round(12), c=eligible["coverage"].round(12))
    ranked = ranked.sort_values(["d", "c", "res_dim"], ascending=[False, False, True], kind="stable")
    return int(ranked.index[0])


def discover(
    folder: str | Path,
    outcome: str,
    where: str | None = None,
    top: float | None = None,
    min_coverage: float = MIN_COVERAGE,
    mass_min: float = MASS_MIN,
    box: int | None = None,
) -> Discovery:
    """Scenario discovery on a sweep folder: PRIM's peeling trajectory and chosen box (by `choose_box`, or
    the box with id `box`), the box's limits with their quasi-p-values, and a CART tree."""
    folder = Path(folder)
    if not (0 < min_coverage <= 1):
        raise InputError(f"--min-coverage {min_coverage}: must be a share above 0 and at most 1, such as 0.7.")
    if not (0 < mass_min < 0.5):
        raise InputError(f"--mass-min {mass_min}: must be a share above 0 and below 0.5, such as 0.05.")
    record, runs = read_sweep(folder)
    factors = list(record["experiment"]["factors"])
    finished, selection, y = select_runs(runs, factors, outcome, where, top, folder)
    x, left_out = factor_frame(finished, factors, folder)
    prim, cart = import_analysis()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=EMA_PANDAS_WARNING)
        prim_box = prim.Prim(x, y.astype(int), mass_min=mass_min).find_box()
    trajectory = prim_box.peeling_trajectory.copy()
    if box is None:
        chosen = choose_box(trajectory, min_coverage)
        rule = (
            f"the densest box on the peeling trajectory that covers at least {min_coverage:.0%} of the runs of "
            "interest (--min-coverage)"
        )
    elif 0 <= box < len(trajectory):
        chosen, rule = box, f"box {box} of the peeling trajectory, chosen with --box"
    else:
        raise InputError(f"--box {box}: the peeling trajectory has boxes 0 to {len(trajectory) - 1}; give one of them.")
    tree = fit_cart(cart, x, y, mass_min)
    return Discovery(
        sweep=folder,
        experiment=str(record.get("name", folder.name)),
        design=str((record["experiment"].get("design") or {}).get("kind", "")),
        selection=selection,
        factors=list(x.columns),
        left_out=left_out,
        runs=len(finished),
        of_interest=int(y.sum()),
        trajectory=trajectory,
        chosen=chosen,
        rule=rule,
        limits=box_limits(prim_box, chosen, x),
        cart_leaves=cart_leaves(tree, x),
        cart_text=cart_text(tree),
        prim_box=prim_box,
        cart=tree,
    )


def inside(x: pd.DataFrame, limits: pd.DataFrame) -> np.ndarray:
    """Which runs lie in a box: within its limits on numeric factors (inclusive, as in EMA), among the values
    it keeps on the others."""
    mask = np.ones(len(x), dtype=bool)
    for name in x.columns:
        low, high = limits.at[0, name], limits.at[1, name]
        if isinstance(low, set):
            mask &= x[name].astype(str).isin(low).to_numpy()
        else:
            mask &= ((x[name] >= low) & (x[name] <= high)).to_numpy()
    return mask


def box_limits(prim_box: Any, i: int, x: pd.DataFrame) -> pd.DataFrame:
    """Box i's limits, a row per factor: the factor's range over the runs, the box's lower and upper limit as
    PRIM set them (categories: the values kept), the lowest and highest value of the runs inside the box
    (on a grid, the levels the box keeps: a limit of 0.4 between levels 0.3 and 0.5 keeps 0.5 and up),
    whether the box restricts the factor, and the quasi-p-value of each limit."""
    limits, initial = prim_box.box_lims[i], prim_box.box_lims[0]
    p_values = prim_box.p_values[i]
    held = x[inside(x, limits)]
    rows = []
    for name in x.columns:
        qp = [None if v is None or v < 0 else float(v) for v in p_values.get(name, [-1, -1])]
        if isinstance(initial.at[0, name], set):
            kept = sorted(limits.at[0, name])
            rows.append(
                {
                    "factor": name,
                    "restricted": set(kept) != initial.at[0, name],
                    "lower": None,
                    "upper": None,
                    "lowest_in_box": None,
                    "highest_in_box": None,
                    "values": ", ".join(kept),
                    "qp_lower": qp[0],
                    "qp_upper": None,
                    "range_min": None,
                    "range_max": None,
                }
            )
            continue
        low, high = float(limits.at[0, name]), float(limits.at[1, name])
        lo0, hi0 = float(initial.at[0, name]), float(initial.at[1, name])
        rows.append(
            {
                "factor": name,
                "restricted": low > lo0 or high < hi0,
                "lower": low,
                "upper": high,
                "lowest_in_box": float(held[name].min()),
                "highest_in_box": float(held[name].max()),
                "values": "",
                "qp_lower": qp[0] if low > lo0 else None,
                "qp_upper": qp[1] if high < hi0 else None,
                "range_min": lo0,
                "range_max": hi0,
            }
        )
    frame = pd.DataFrame(rows)
    order = frame.assign(p=frame[["qp_lower", "qp_upper"]].min(axis=1).fillna(2.0))
    return frame.loc[order.sort_values(["restricted", "p"], ascending=[False, True], kind="stable").index].reset_index(
        drop=True
    )


def fit_cart(cart: Any, x: pd.DataFrame, y: np.ndarray, mass_min: float) -> Any:
    """EMA's CART on the same data. EMA's build_tree leaves scikit-learn's tie-breaking random; the tree is
    fitted the same way (leaves of at least `mass_min` of the runs) with a fixed random_state, so the same
    sweep gives the same tree."""
    from sklearn.tree import DecisionTreeClassifier

    tree = cart.CART(x, y.astype(int), mass_min=mass_min)
    tree.clf = DecisionTreeClassifier(min_samples_leaf=max(1, int(mass_min * len(x))), random_state=0)
    tree.clf.fit(tree._x, tree.y)
    return tree


def cart_leaves(tree: Any, x: pd.DataFrame) -> list[dict]:
    """CART's leaves as boxes, densest first: coverage, density, mass, and the limits each leaf sets."""
    leaves = []
    for limits, stats in zip(tree.boxes, tree.stats, strict=True):
        conditions = []
        for name in x.columns:
            low, high = limits.at[0, name], limits.at[1, name]
            if isinstance(low, set):
                if low != set(x[name].cat.categories):
                    conditions.append(f"{short_name(name, list(x.columns))} in {{{', '.join(sorted(low))}}}")
                continue
            lo0, hi0 = x[name].min(), x[name].max()
            conditions += limit_words(
                short_name(name, list(x.columns)), low if low > lo0 else None, high if high < hi0 else None, ">", "<="
            )
        leaves.append(
            {
                "coverage": float(stats["coverage"]),
                "density": float(stats["density"]),
                "mass": float(stats["mass"]),
                "conditions": conditions,
            }
        )
    return sorted(leaves, key=lambda leaf: (-leaf["density"], -leaf["coverage"]))


def cart_text(tree: Any) -> str:
    """The CART tree as indented text (scikit-learn's export_text), splits on factors by name."""
    from sklearn.tree import export_text

    names = [name.replace(tree.sep, " = ") for name in tree.feature_names]
    return export_text(tree.clf, feature_names=names, class_names=["other", "of interest"], show_weights=True)


# --- In words -----------------------------------------------------------------------------------------------


def number(value: float) -> str:
    """A number as a reader writes it: 5, 0.61, 1.2e+06."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.3g}"


def p_text(value: float | None) -> str:
    """A quasi-p-value as people write it: 0.003, < 0.001 (empty when there is none)."""
    if value is None or value != value:
        return ""
    return "< 0.001" if value < 0.001 else f"{value:.2g}"


def short_name(name: str, names: list[str]) -> str:
    """A factor's last dotted part when no other factor shares it (culture), else its whole path."""
    last = name.rsplit(".", 1)[-1]
    return last if sum(n.rsplit(".", 1)[-1] == last for n in names) == 1 else name


def limit_words(name: str, low: float | None, high: float | None, above: str = "≥", below: str = "≤") -> list[str]:
    """A factor's limits as conditions: culture ≥ 0.5; 0.3 ≤ alignment ≤ 0.7."""
    if low is not None and high is not None and above == "≥":
        return [f"{number(low)} ≤ {name} ≤ {number(high)}"]
    words = []
    if low is not None:
        words.append(f"{name} {above} {number(low)}")
    if high is not None:
        words.append(f"{name} {below} {number(high)}")
    return words


def box_conditions(limits: pd.DataFrame) -> list[str]:
    """The chosen box's restrictions in words, most significant first."""
    names = list(limits["factor"])
    conditions = []
    for row in limits[limits["restricted"]].itertuples():
        label = short_name(row.factor, names)
        if row.values:
            conditions.append(f"{label} is {' or '.join(row.values.split(', '))}")
            continue
        low = row.lowest_in_box if row.lower > row.range_min else None
        high = row.highest_in_box if row.upper < row.range_max else None
        conditions += limit_words(label, low, high)
    return conditions


def box_sentence(found: Discovery) -> str:
    """pilots_scaled >= 5 in 83% of runs where infrastructure ≥ 0.61 and culture ≥ 0.44; the box covers 71% of
    such runs (it holds 20% of all runs, where the share is 25%)."""
    stats, conditions = found.stats, box_conditions(found.limits)
    share = f"{found.base_rate:.0%} of all {found.runs:,} runs"
    if not conditions:
        return (
            f"{found.selection.text} in {share}; PRIM found no box of the factors that concentrates these runs "
            f"while covering at least the share asked for: no combination of the factors stands out."
        )
    return (
        f"{found.selection.text} in {stats['density']:.0%} of runs where {' and '.join(conditions)}; the box covers "
        f"{stats['coverage']:.0%} of such runs. It holds {stats['mass']:.0%} of all runs; across all runs the share "
        f"is {found.base_rate:.0%}."
    )


def weak_limits(limits: pd.DataFrame) -> list[str]:
    """Factors whose limit is not significant (quasi-p above SIGNIFICANT)."""
    worst = limits[["qp_lower", "qp_upper"]].max(axis=1)
    return [row.factor for row, p in zip(limits.itertuples(), worst, strict=True) if row.restricted and p > SIGNIFICANT]


# --- Figures ------------------------------------------------------------------------------------------------


def trajectory_figure(found: Discovery) -> Any:
    """EMA's trade-off plot of the peeling trajectory (coverage against density, colour: restricted factors),
    with the chosen box circled and labelled."""
    fig = found.prim_box.show_tradeoff()
    ax = fig.axes[0]
    row = found.trajectory.loc[found.chosen]
    ax.scatter([row["coverage"]], [row["density"]], s=160, facecolors="none", edgecolors="#d62728", linewidths=1.6)
    ax.annotate(
        f"box {found.chosen}: coverage {row['coverage']:.2f}, density {row['density']:.2f}",
        (row["coverage"], row["density"]),
        xytext=(-10, 14),
        textcoords="offset points",
        ha="right",
        fontsize=8,
        color="#d62728",
    )
    ax.axhline(found.base_rate, ls=":", lw=1, color="grey")
    ax.annotate(
        "share across all runs",
        (0.02, found.base_rate),
        xytext=(0, 3),
        textcoords="offset points",
        fontsize=7,
        color="grey",
    )
    ax.set_title(f"{found.selection.text}: peeling trajectory", fontsize=10)
    return fig


def box_figure(found: Discovery) -> Any:
    """The chosen box: each factor's range in the sweep (grey) and the part the box keeps (blue), labelled
    with its limits and their quasi-p-values; the box's coverage, density and mass in the title."""
    import matplotlib.pyplot as plt

    limits = found.limits
    names = list(limits["factor"])
    fig, ax = plt.subplots(figsize=(7.5, 1.1 + 0.55 * len(limits)))
    for y, row in enumerate(reversed(list(limits.itertuples()))):
        label = short_name(row.factor, names)
        if row.values:
            ax.text(0.5, y, f"kept: {row.values}", ha="center", va="center", fontsize=8, color="#08519c")
            p = p_text(row.qp_lower)
        else:
            span = (row.range_max - row.range_min) or 1.0
            low, high = ((v - row.range_min) / span for v in (row.lowest_in_box, row.highest_in_box))
            ax.plot([0, 1], [y, y], color="#d9d9d9", lw=6, solid_capstyle="butt")
            colour = "#2171b5" if row.restricted else "#9ecae1"
            ax.plot([low, high], [y, y], color=colour, lw=6, solid_capstyle="butt")
            ax.text(-0.02, y, number(row.range_min), ha="right", va="center", fontsize=7, color="grey")
            ax.text(1.02, y, number(row.range_max), ha="left", va="center", fontsize=7, color="grey")
            ends = (
                (row.lowest_in_box, low, row.lower > row.range_min),
                (row.highest_in_box, high, row.upper < row.range_max),
            )
            for value, at, limited in ends:
                if limited:
                    ax.text(at, y + 0.28, number(value), ha="center", va="bottom", fontsize=8, color="#08519c")
            p = ", ".join(p_text(v) for v in (row.qp_lower, row.qp_upper) if v is not None and v == v)
        ax.text(-0.12, y, f"{label}" + (f"\n(quasi-p {p})" if p else ""), ha="right", va="center", fontsize=8)
    ax.set(xlim=(-0.1, 1.1), ylim=(-0.7, len(limits) - 0.3), xticks=[], yticks=[])
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    stats = found.stats
    ax.set_title(
        f"box {found.chosen}: {found.selection.text}\ncoverage {stats['coverage']:.2f}, density "
        f"{stats['density']:.2f}, mass {stats['mass']:.2f}",
        fontsize=9,
    )
    fig.subplots_adjust(left=0.3, right=0.95, top=0.8, bottom=0.05)
    return fig


def cart_figure(found: Discovery) -> Any:
    """The CART tree drawn by scikit-learn (EMA's own drawing needs Graphviz)."""
    import matplotlib.pyplot as plt
    from sklearn.tree import plot_tree

    clf = found.cart.clf
    leaves = clf.get_n_leaves()
    fig, ax = plt.subplots(figsize=(min(24, 2.2 + 1.6 * leaves), 1.6 + 1.3 * clf.get_depth()))
    names = [name.replace(found.cart.sep, " = ") for name in found.cart.feature_names]
    plot_tree(
        clf,
        feature_names=names,
        class_names=["other", "of interest"],
        filled=True,
        impurity=False,
        proportion=False,
        fontsize=7,
        ax=ax,
    )
    ax.set_title(f"CART: {found.selection.text}", fontsize=10)
    return fig


# --- Files --------------------------------------------------------------------------------------------------


def default_folder(sweep: Path, outcome: str) -> Path:
    """Where a discovery goes unless --out says otherwise: inside the sweep folder, one per outcome."""
    return Path(sweep) / f"{FOLDER_PREFIX}{slug(outcome)}"


def discovery_record(found: Discovery) -> dict:
    """What discovery.json holds."""
    from sim.ema import quiet_import

    ema_version = getattr(quiet_import("ema_workbench"), "__version__", "unknown")
    trajectory = [
        {
            "id": int(row.id),
            "coverage": float(row.coverage),
            "density": float(row.density),
            "mass": float(row.mass),
            "restricted": int(row.res_dim),
            "runs_in_box": int(row.n),
            "conditions": box_conditions(box_limits(found.prim_box, int(row.id), found.prim_box.prim.x)),
        }
        for row in found.trajectory.itertuples()
    ]
    return {
        "sweep": str(found.sweep),
        "experiment": found.experiment,
        "design": found.design,
        "outcome": found.selection.outcome,
        "condition": found.selection.text,
        "top": found.selection.top,
        "runs": found.runs,
        "runs_of_interest": found.of_interest,
        "share_of_interest": found.base_rate,
        "factors": found.factors,
        "left_out": found.left_out,
        "method": "PRIM (ema_workbench.analysis.prim.Prim), one box; CART (ema_workbench.analysis.cart.CART)",
        "selection_rule": found.rule,
        "box": {
            "id": found.chosen,
            **found.stats,
            "conditions": box_conditions(found.limits),
            "limits": json.loads(found.limits.to_json(orient="records")),
            "not_significant": weak_limits(found.limits),
        },
        "sentence": found.sentence,
        "trajectory": trajectory,
        "cart": {"leaves": found.cart_leaves, "tree": found.cart_text},
        "versions": {**versions(), "ema_workbench": ema_version},
    }


def write_discovery(found: Discovery, out: Path, force: bool = False) -> Path:
    """Write discovery.json, discovery.csv (the chosen box, a row per factor), trajectory.csv, cart.txt and
    figures/ (trajectory.png, box.png, cart.png) into `out`, through the project's output folder (built
    aside and renamed into place; a folder holding anything else is refused unless `force`)."""
    from sim.files import save_figure

    with output_folder(Path(out), KIND, force) as staging:
        write_json(staging / DISCOVERY_FILE, discovery_record(found))
        found.limits.to_csv(staging / BOX_FILE, index=False, float_format="%.6g", lineterminator="\n")
        columns = ["id", "coverage", "density", "mass", "res_dim", "n", "k"]
        found.trajectory[columns].rename(
            columns={"res_dim": "restricted", "n": "runs_in_box", "k": "of_interest"}
        ).to_csv(staging / TRAJECTORY_FILE, index=False, float_format="%.6g", lineterminator="\n")
        (staging / CART_FILE).write_text(found.cart_text, encoding="utf-8")
        figures = staging / "figures"
        figures.mkdir()
        save_figure(trajectory_figure(found), figures / "trajectory.png")
        save_figure(box_figure(found), figures / "box.png")
        save_figure(cart_figure(found), figures / "cart.png")
    return Path(out)
