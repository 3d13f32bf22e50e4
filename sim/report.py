"""`adoptsim report DIR`: one self-contained HTML page for a comparison, a run or a sweep folder.

The page opens with a plain-language summary a strategy team can read (what was compared, what changed,
how sure we are), then the tables, the figures (embedded as base64 PNG) and where the results came from.
It has inline CSS, no scripts and no external links, so it opens anywhere, offline, and can be mailed.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from collections.abc import Callable
from importlib import import_module
from pathlib import Path

import pandas as pd

from sim.errors import InputError
from sim.files import write_text
from sim.output import is_staging
from sim.report_money import best_in_money, in_money, money_sections, money_sentence, run_money_sentence, signed
from sim.terms import smallest_meaningful
from sim.value import amount_text

REPORT_NAME = "report.html"
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 70rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.25rem; margin-top: 2rem;
     border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; } h3 { font-size: 1.05rem; }
.summary { background: #f3f7fb; border-left: 4px solid #2171b5; padding: 0.6rem 1.2rem; }
.summary li { margin: 0.4rem 0; }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 0.25rem 0.7rem; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; } th { background: #f6f6f6; }
figure { margin: 1rem 0 2rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; box-sizing: border-box; }
figcaption { font-size: 0.9rem; color: #555; } .note { font-size: 0.9rem; color: #555; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; page-break-after: avoid; } h3 { break-after: avoid; page-break-after: avoid; }
  table { width: 100%; table-layout: auto; font-size: 7.5pt; }
  th, td { padding: 0.15rem 0.35rem; overflow-wrap: anywhere; }
  tr, figure, .summary li { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  figure img { max-width: 100%; max-height: 240mm; }
  section.summary { break-after: page; page-break-after: always; }
}
"""
FIGURE_CAPTIONS = {
    "differences": "Each option's difference to the base case with its 95% interval: green where the option is "
    "clearly better, red where it is clearly worse (the interval excludes zero and the difference is at least the "
    "smallest meaningful one), grey where it did not clearly change.",
    "over_time": "Week by week: the option (colour) against the base case (grey), the median across replicates "
    "with a band from the 10th to the 90th percentile, every panel on the same y-axis; vertical lines mark when "
    "interventions start (solid) and end (dashed).",
    "trajectory": "PRIM's peeling trajectory: each box's coverage against its density (colour: how many factors it "
    "restricts); the box reported is circled, the dotted line is the share across all runs.",
    "box": "The box reported: each factor's range in the sweep (grey) and the part the box keeps (blue), with the "
    "quasi-p-values of its limits.",
    "cart": "CART's classification tree on the same runs: each leaf is a box too (value: runs not of interest, of "
    "interest).",
}
FIGURE_CAPTIONS["robustness"] = (
    "Each option's probability of being best across the uncertain worlds, overall and within each third (or "
    "listed value) of every uncertain input: lines that cross mark a ranking that depends on that input."
)
FIGURE_CAPTIONS["front"] = (
    "The optimiser's plans: scaled pilots against cost, coloured by engagement; the Pareto front (plans no other "
    "plan beats on all three) ringed, the budget as a dashed line."
)


def write_report(folder: str | Path) -> Path:
    """Write `folder/report.html` for a comparison, run or sweep folder; returns its path."""
    folder = Path(folder)
    build = page_builder(folder)
    try:
        content = build(folder)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        marker = next(marker for marker, builder in BUILDERS if builder is build)
        raise InputError(
            f"{folder / marker}: does not hold what adoptsim writes there ({type(exc).__name__}: {exc}); it was "
            "changed by hand or by another program. Re-run the command that wrote the folder."
        ) from None
    return write_text(folder / REPORT_NAME, content)


def page_builder(folder: Path) -> Callable[[Path], str]:
    """How to report a folder, recognised by the file its command writes."""
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder. Give a folder written by adoptsim compare, run or sweep.")
    if is_staging(folder):
        raise InputError(
            f"{folder}: is a temporary folder of a command that did not finish (it was interrupted or killed), "
            "not results. Run the command again; its next run removes this folder."
        )
    for marker, build in BUILDERS:
        if (folder / marker).exists():
            return build
    raise InputError(
        f"{folder}: not a results folder. It must hold comparison.json (from adoptsim compare), "
        "summary.json (from adoptsim run) or runs.parquet (from adoptsim sweep)."
    )


# --- Page parts ---------------------------------------------------------------------------------------------


def page(title: str, summary: str, sections: list[str]) -> str:
    """A whole HTML document: title, the plain-language summary, then the sections."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f'<h1>{html.escape(title)}</h1>\n<section class="summary">\n<h2>Summary</h2>\n{summary}\n</section>\n'
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


def section(title: str, *parts: str) -> str:
    """A titled section of the page."""
    return f"<section>\n<h2>{html.escape(title)}</h2>\n" + "\n".join(parts) + "\n</section>"


def paragraph(text: str, css: str = "") -> str:
    """A paragraph of plain text."""
    attribute = f' class="{css}"' if css else ""
    return f"<p{attribute}>{html.escape(text)}</p>"


def bullets(items: list[str]) -> str:
    """A bulleted list of plain-text items."""
    return "<ul>\n" + "\n".join(f"<li>{html.escape(item)}</li>" for item in items) + "\n</ul>"


def readable(value: object) -> str:
    """A cell's text: floats to four significant digits, missing values as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def table(frame: pd.DataFrame) -> str:
    """A table of values, floats shortened (the index is not shown)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{unbroken(html.escape(readable(v)))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>"


def unbroken(text: str) -> str:
    """A cell's text with an amount kept on one line: "USD 3.2M", not "USD" above "3.2M"."""
    return re.sub(r"\b([A-Z]{3}) (?=\d)", "\\1&nbsp;", text)


def key_values(data: dict) -> str:
    """A two-column table of a mapping's scalar entries, nested mappings flattened to dotted keys."""
    return table(pd.DataFrame(list(flatten(data).items()), columns=["field", "value"]))


def flatten(data: dict, prefix: str = "") -> dict[str, object]:
    """Scalar entries of a nested mapping under dotted keys (lists are left out)."""
    flat: dict[str, object] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        elif not isinstance(value, list):
            flat[f"{prefix}{key}"] = value
    return flat


def embedded_figure(path: Path) -> str:
    """A PNG embedded as base64, with a caption for the figures whose meaning is known."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    kind = "over_time" if path.stem.startswith("over_time_") else path.stem
    caption = FIGURE_CAPTIONS.get(kind, path.stem.replace("_", " "))
    return (
        f'<figure>\n<img src="data:image/png;base64,{data}" alt="{html.escape(path.stem)}">\n'
        f"<figcaption>{html.escape(caption)}</figcaption>\n</figure>"
    )


def figures_section(folder: Path, first: tuple[str, ...] = ()) -> str:
    """Every PNG in the folder's figures/, those named in `first` leading."""
    paths = sorted((folder / "figures").glob("*.png"), key=lambda p: (p.stem not in first, p.name))
    if not paths:
        return section("Figures", paragraph("This folder has no figures.", "note"))
    return section("Figures", *(embedded_figure(path) for path in paths))


def read_json(path: Path) -> dict:
    """A JSON file of results, or a message naming it if it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise InputError(f"{path}: cannot read it as JSON ({exc}). Re-run the command that wrote it.") from None
    if not isinstance(data, dict):
        raise InputError(
            f"{path}: holds a JSON {type(data).__name__}, not the mapping of results adoptsim writes. "
            "Re-run the command that wrote it."
        )
    return data


def provenance(folder: Path) -> str:
    """Where the results came from (manifest.json), when the folder has one."""
    path = folder / "manifest.json"
    if not path.is_file():
        return ""
    return section("Where these results came from", key_values(read_json(path)))


# --- Numbers in words ---------------------------------------------------------------------------------------


def money(value: float, currency: str = "") -> str:
    """An amount as people say it, with its currency where known: USD 850, USD 12k, USD 1.2M."""
    return amount_text(value, currency)


def currency_of(data: dict) -> str:
    """The currency of a comparison's amounts (empty for results without one)."""
    return (data.get("money") or {}).get("currency", "")


DECIMALS = {"count": 1, "score": 3, "value": 2}
"""Decimals shown for a metric's unit (shares show as percentages, money as 12k or 1.2M)."""


def level(value: float, unit: str, currency: str = "") -> str:
    """A metric's value in its unit."""
    if unit == "share":
        return f"{value:.1%}"
    if unit == "money":
        return money(value, currency)
    return f"{value:.{DECIMALS.get(unit, 2)}f}"


def change(value: float, unit: str, currency: str = "") -> str:
    """A difference in its unit, signed: shares change in percentage points."""
    if unit == "share":
        return f"{100 * value:+.1f} points"
    if unit == "money":
        return signed(value, currency)
    return f"{value:+.{DECIMALS.get(unit, 2)}f}"


def interval(low: float, high: float, unit: str, currency: str = "") -> str:
    """The 95% interval of a difference: shares in percentage points, like the difference itself."""
    if unit == "share":
        return f"{100 * low:+.1f} to {100 * high:+.1f} points"
    return f"{level(low, unit, currency)} to {level(high, unit, currency)}"


# --- Comparison ---------------------------------------------------------------------------------------------


def clear_direction(row: dict, info: dict) -> int:
    """+1 if the option is clearly better: the interval lies wholly on the better side of zero and the mean
    difference is at least the metric's smallest meaningful difference (sim/terms.py); -1 clearly worse (the
    same on the worse side); 0 otherwise."""
    sign = 1 if info["better"] == "higher" else -1
    low, high = sorted((sign * row["diff_ci_low"], sign * row["diff_ci_high"]))
    meaningful = info.get("meaningful", smallest_meaningful(info["unit"]))
    if abs(row["diff_mean"]) < meaningful:
        return 0
    return 1 if low > 0 else -1 if high < 0 else 0


def rows_by_arm(data: dict) -> dict[str, dict[str, dict]]:
    """The comparison's result rows, by arm and then by metric."""
    grouped: dict[str, dict[str, dict]] = {}
    for row in data["results"]:
        grouped.setdefault(row["arm"], {})[row["metric"]] = row
    return grouped


def headline_sentence(arm: dict, rows: dict[str, dict], data: dict) -> str:
    """What an arm did to the headline figure (scaled pilots where compared), with its interval, how often
    it won, its cost per extra scaled pilot, and a warning when the interval includes no difference."""
    metric = "pilots_scaled" if "pilots_scaled" in rows else next(iter(rows))
    row, info = rows[metric], data["metrics"][metric]
    unit = info["unit"]
    name = arm["name"][:1].upper() + arm["name"][1:]
    bounds = f"95% interval {interval(row['diff_ci_low'], row['diff_ci_high'], unit, currency_of(data))}"
    won = f"better in {round(row['p_better'] * data['replicates'])} of {data['replicates']} replicates"
    if metric == "pilots_scaled":
        more = "more" if row["diff_mean"] >= 0 else "fewer"
        what = f"{name} scaled {abs(row['diff_mean']):.1f} {more} pilots than the base case"
    else:
        difference = change(row["diff_mean"], unit, currency_of(data))
        what = f"{name} changed {info['label']} by {difference} against the base case"
    doubt = (
        ""
        if clear_direction(row, info)
        else " Not a clear change: the interval includes zero or the difference is below the smallest "
        f"meaningful one ({meaningful_text(info, currency_of(data))})."
    )
    return f"{what} ({bounds}; {won}){cost_clause(arm, currency_of(data))}.{doubt}"


def meaningful_text(info: dict, currency: str = "") -> str:
    """A metric's smallest meaningful difference in its unit."""
    value = info.get("meaningful", smallest_meaningful(info["unit"]))
    if info["unit"] == "count":
        return f"{value:g} pilot" + ("" if value == 1 else "s")
    if info["unit"] == "share":
        return f"{100 * value:g} percentage point"
    return level(value, info["unit"], currency)


def cost_clause(arm: dict, currency: str = "") -> str:
    """The arm's cost per extra scaled pilot, or what it costs without scaling more."""
    per_pilot, extra = arm.get("cost_per_extra_scaled_pilot"), arm.get("extra_cost") or 0.0
    if per_pilot is not None:
        return f", at {money(per_pilot, currency)} per extra scaled pilot"
    if extra > 0:
        return f"; it costs {money(extra, currency)} without scaling more pilots on average"
    return ""


def other_changes(rows: dict[str, dict], data: dict, skip: str) -> str:
    """The other figures that changed clearly (intervals excluding zero), in words."""
    clear = [
        f"{data['metrics'][m]['label']} {change(row['diff_mean'], data['metrics'][m]['unit'], currency_of(data))}"
        for m, row in rows.items()
        if m != skip and clear_direction(row, data["metrics"][m])
    ]
    return "Also clearly changed: " + "; ".join(clear) + "." if clear else "No other figure changed clearly."


def usage_trap(rows: dict[str, dict], data: dict) -> str:
    """A warning when usage rose clearly but engagement did not: AI used to comply, not built into work."""
    if "usage_rate" not in rows or "engagement_rate" not in rows:
        return ""
    usage_up = clear_direction(rows["usage_rate"], data["metrics"]["usage_rate"]) > 0
    engagement_up = clear_direction(rows["engagement_rate"], data["metrics"]["engagement_rate"]) > 0
    if usage_up and not engagement_up:
        return (
            " Usage rose but engagement did not: employees use AI to comply rather than building it into "
            "their work (the usage trap), which a usage dashboard would not show."
        )
    return ""


def arm_summary(arm: dict, rows: dict[str, dict], data: dict) -> str:
    """One arm in a few plain sentences."""
    headline = "pilots_scaled" if "pilots_scaled" in rows else next(iter(rows))
    return (
        f"{headline_sentence(arm, rows, data)} {other_changes(rows, data, headline)}{usage_trap(rows, data)}"
        f"{money_sentence(arm['name'], data)}"
    )


def comparison_summary(data: dict) -> list[str]:
    """The plain-language summary of a comparison: what was compared, then each option, then the best."""
    data = in_money(data)
    base = data["base"]
    described = f": {base['description']}" if base["description"] else "."
    intro = (
        f"We compared {len(data['arms'])} options with the base case ({base['scenario']}) over {data['weeks']} "
        f"weeks. Each option was simulated {data['replicates']} times, and replicate r of every option met the "
        "same random circumstances as replicate r of the base case (common random numbers), so the differences "
        f"come from the interventions, not from luck. The base case{described}"
    )
    grouped = rows_by_arm(data)
    arms = [arm_summary(arm, grouped[arm["name"]], data) for arm in data["arms"]]
    return [intro, *arms, *best_options(data, grouped)]


def best_options(data: dict, grouped: dict[str, dict[str, dict]]) -> list[str]:
    """Which option scaled the most pilots, and which scaled extra pilots most cheaply."""
    scaled = {name: rows["pilots_scaled"] for name, rows in grouped.items() if "pilots_scaled" in rows}
    if not scaled:
        return []
    most = max(scaled, key=lambda name: scaled[name]["diff_mean"])
    lines = [f"Most pilots scaled: {most} ({scaled[most]['diff_mean']:+.1f} against the base case)."]
    priced = [arm for arm in data["arms"] if arm.get("cost_per_extra_scaled_pilot") and clear_win(scaled, arm, data)]
    if priced:
        cheapest = min(priced, key=lambda arm: arm["cost_per_extra_scaled_pilot"])
        lines.append(
            f"Cheapest extra scaled pilot, among options clearly better than the base case: {cheapest['name']} "
            f"({money(cheapest['cost_per_extra_scaled_pilot'], currency_of(data))} each)."
        )
    return lines + best_in_money(data)


def clear_win(scaled: dict[str, dict], arm: dict, data: dict) -> bool:
    """Whether an arm clearly scaled more pilots than the base case."""
    return arm["name"] in scaled and clear_direction(scaled[arm["name"]], data["metrics"]["pilots_scaled"]) > 0


def interventions_table(interventions: list[dict], spans: list[dict], currency: str = "") -> str:
    """An arm's interventions: what, when (as they acted), how strong, at what cost."""
    rows = []
    for item, span in zip(interventions, spans, strict=True):
        when = "never started" if span["start"] is None else f"week {span['start']} to {span['end'] or 'the end'}"
        rows.append([span["label"], item["kind"], when, item["intensity"], money(item["cost"], currency)])
    return table(pd.DataFrame(rows, columns=["intervention", "kind", "when", "intensity", "cost"]))


def arm_results_table(rows: dict[str, dict], data: dict) -> str:
    """One arm's results: a row per metric with both means, the difference with its interval, and wins."""
    n = data["replicates"]
    lines = []
    for metric, row in rows.items():
        info = data["metrics"][metric]
        unit, currency = info["unit"], currency_of(data)
        verdict = {1: "clearly better", -1: "clearly worse", 0: "not clearly changed"}[clear_direction(row, info)]
        lines.append(
            [
                f"{info['label']} ({info['better']} is better)",
                level(row["base_mean"], unit, currency),
                level(row["arm_mean"], unit, currency),
                change(row["diff_mean"], unit, currency),
                interval(row["diff_ci_low"], row["diff_ci_high"], unit, currency),
                f"{round(row['p_better'] * n)} of {n}",
                verdict,
            ]
        )
    columns = ["figure", "base case", "option", "difference", "95% interval", "option better in", "verdict"]
    return table(pd.DataFrame(lines, columns=columns))


def costs_table(data: dict) -> str:
    """What each arm costs beyond the base case, the extra pilots it started and scaled, and what it costs
    per extra scaled pilot."""
    currency, grouped = currency_of(data), rows_by_arm(data)
    rows = [
        [
            arm["name"],
            money(arm["extra_cost"], currency),
            extra_started(grouped[arm["name"]]),
            f"{arm['extra_scaled_pilots']:+.1f}",
            money(arm["cost_per_extra_scaled_pilot"], currency)
            if arm["cost_per_extra_scaled_pilot"] is not None
            else "—",
        ]
        for arm in data["arms"]
    ]
    columns = ["option", "extra cost", "extra pilots started", "extra pilots scaled", "cost per extra scaled pilot"]
    return table(pd.DataFrame(rows, columns=columns))


def extra_started(rows: dict[str, dict]) -> str:
    """The extra pilots an option started (a dash when the comparison left that metric out)."""
    return f"{rows['pilots_started']['diff_mean']:+.1f}" if "pilots_started" in rows else "—"


def comparison_page(folder: Path) -> str:
    """The report of a comparison folder."""
    data = in_money(read_json(folder / "comparison.json"))
    grouped = rows_by_arm(data)
    summary = comparison_summary(data)
    options = [
        f"<h3>{html.escape(arm['name'])}</h3>\n{paragraph(arm['description'])}\n"
        f"{interventions_table(arm['interventions'], arm['spans'], currency_of(data))}\n"
        f"{arm_results_table(grouped[arm['name']], data)}"
        for arm in data["arms"]
    ]
    return page(
        f"{data['name']}: {len(data['arms'])} options compared",
        paragraph(summary[0]) + "\n" + bullets(summary[1:]),
        [
            section("The question", paragraph(data["description"] or data["name"])),
            section("Options, one by one", *options),
            *money_sections(data),
            section(
                "Cost",
                costs_table(data),
                paragraph(
                    "Extra cost is what an option spends beyond the base case's own interventions, as a mean over "
                    "replicates. The cost per extra scaled pilot divides it by the mean number of extra scaled "
                    "pilots; it is left empty (—) where an option scaled no more pilots than the base case, since "
                    "there is nothing to divide by.",
                    "note",
                ),
            ),
            *robust_sections(folder),
            figures_section(folder, first=("differences",)),
            section("How to read this report", reading_notes(data)),
            provenance(folder),
        ],
    )


def robust_sections(folder: Path) -> list[str]:
    """Robustness across uncertain worlds (robust.json, from a comparison with an `uncertain:` block)."""
    if not (folder / "robust.json").is_file():
        return []
    from sim.experiments.robust import robust_summary

    record = read_json(folder / "robust.json")
    options = pd.DataFrame(record["options"]).rename(
        columns={
            "option": "option",
            "p_best": "P(best)",
            "mean": f"mean {record['metric']}",
            "regret_mean": "regret, mean",
            "regret_p90": "regret, 90th percentile",
        }
    )
    influence = pd.DataFrame(record["influence"]).rename(
        columns={"input": "uncertain input", "range": "range", "rank_correlation": "rank correlation with lead"}
    )
    by_group = pd.DataFrame(record["by_group"]).pivot_table(
        index=["input", "group", "replicates"], columns="option", values="p_best", sort=False
    ).reset_index()
    return [
        section(
            "Robustness across uncertain inputs",
            bullets(robust_summary(record)),
            table(options),
            paragraph(
                "P(best): the share of worlds (replicates, each with its own draw of the uncertain inputs, the same "
                "in every option) in which the option did best; ties are shared. Regret: the best option's figure "
                "in that world minus this option's; the 90th percentile is the regret of the worst tenth of worlds.",
                "note",
            ),
            "<h3>Probability of being best by part of each range</h3>",
            table(by_group),
            "<h3>Which inputs sway the ranking</h3>",
            table(influence),
            paragraph(
                f"Rank correlation (Spearman) between each input and {record['leader']}'s margin over the best "
                "of the other options, across worlds: the further from zero, the more that input decides "
                "whether the leader stays ahead.",
                "note",
            ),
        )
    ]


def reading_notes(data: dict) -> str:
    """What the intervals and shares mean, and what the model leaves out."""
    return bullets(
        [
            "Difference: the option's figure minus the base case's, averaged over paired replicates.",
            f"95% interval: where the mean difference lies with 95% confidence (a t-interval over the "
            f"{data['replicates']} paired differences). An interval that includes zero means the simulation "
            "cannot tell the option from the base case.",
            "Better in k of n: in how many replicates the option beat the base case (lower is better for "
            "anxiety and duplicated pilots, higher for the rest).",
            "Clearly better or worse: the 95% interval excludes zero and the difference is at least the "
            "figure's smallest meaningful difference (1 pilot, 1 percentage point, 0.01 on a 0-1 score, "
            "a tenth of a value unit); otherwise the figure did not clearly change.",
            "These are simulated organisations: the figures show how the mechanisms in the model respond to "
            "each option, not a forecast for a particular firm. "
            + (
                f"Values (cost savings, revenue added) are converted from the model's value units into "
                f"{currency_of(data)} as the section Value in money says; costs are as the comparison file gives them."
                if data.get("money")
                else "Values (cost savings, revenue added) are in the model's value units."
            ),
        ]
    )


# --- Run ----------------------------------------------------------------------------------------------------


def run_scenario(folder: Path) -> dict | None:
    """The scenario a run ran (its scenario.yaml, read as every scenario file is), or None where it cannot be
    read."""
    from sim.scenario import read_yaml

    try:
        return read_yaml(folder / "scenario.yaml", "a run's scenario")
    except InputError:
        return None


def run_currency(scenario: dict | None) -> str:
    """The currency of a run's amounts, from the scenario it ran, where it says."""
    firm = (scenario or {}).get("firm")
    return str(firm.get("currency", "")) if isinstance(firm, dict) else ""


def run_summary(summary: dict, currency: str = "") -> list[str]:
    """A run's headline figures in plain sentences."""
    s = summary
    return [
        f"{s['scenario']}: {s['employees']:,} employees over {s['weeks']} weeks (seed {s['seed']}).",
        f"Pilots: {s['pilots_started']} pilots started (proofs of concept begun); {s['pilots_reached_production']} "
        f"reached production ({s['poc_to_production']:.0%} of pilots started) and {s['pilots_scaled']} were "
        f"scaled across teams; {round(s['poc_scrapped'] * max(s['pilots_started'], 1))} were scrapped "
        f"({s['poc_scrapped']:.0%} of pilots started: abandoned before production); {s['pilots_abandoned']} "
        f"pilots were abandoned at any stage, ideas included; {s['duplicate_pilots']} are duplicate pilots "
        "(a use case another team already has).",
        f"People: {s['usage_rate']:.0%} are regular users (what a dashboard sees), "
        f"{s['adopted_share']:.0%} adopters (decided to use AI, some not yet regular users) and "
        f"{s['engagement_rate']:.0%} engaged adopters (AI built into their work); mean AI anxiety is "
        f"{s['mean_anxiety']:.2f} on a scale of 0 to 1.",
        *([interventions_sentence(s["interventions"], currency)] if s.get("interventions") else []),
    ]


def interventions_sentence(interventions: list[dict], currency: str = "") -> str:
    """When each of a run's interventions started and what it cost."""
    parts = [
        f"{i['name']} from week {i['first_week']} ({money(i['cost'], currency)})"
        if i["first_week"] is not None
        else f"{i['name']} never started"
        for i in interventions
    ]
    return "Interventions: " + "; ".join(parts) + "."


def run_page(folder: Path) -> str:
    """The report of a run folder."""
    summary = read_json(folder / "summary.json")
    scenario = run_scenario(folder)
    currency = run_currency(scenario)
    sections = [section("Headline figures", key_values(summary))]
    if summary.get("interventions"):
        frame = pd.DataFrame(summary["interventions"])
        sections.append(
            section("Interventions", table(frame.assign(cost=frame["cost"].map(lambda c: money(c, currency)))))
        )
    if summary.get("firms"):
        sections.append(section("Firms", table(pd.DataFrame(summary["firms"]))))
    sections += [figures_section(folder, first=("usage_vs_engagement",)), provenance(folder)]
    sentences = run_summary(summary, currency) + run_money_sentence(summary, scenario)
    return page(f"Run of {summary['scenario']}", bullets(sentences), sections)


# --- Sweep --------------------------------------------------------------------------------------------------


def outcome_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Every factor and outcome across the runs that finished: mean, spread and the 10th, 50th, 90th
    percentiles (not the run's number, replicate or seed, which only identify it)."""
    numeric = runs.select_dtypes("number").drop(columns=["run", "replicate", "seed"], errors="ignore")
    quantiles = numeric.quantile([0.1, 0.5, 0.9]).T
    frame = pd.DataFrame(
        {
            "column": numeric.columns,
            "runs": numeric.count().to_numpy(),
            "mean": numeric.mean().to_numpy(),
            "sd": numeric.std().to_numpy(),
            "10%": quantiles[0.1].to_numpy(),
            "median": quantiles[0.5].to_numpy(),
            "90%": quantiles[0.9].to_numpy(),
        }
    )
    return frame


def failed_runs(runs: pd.DataFrame) -> pd.Series:
    """Which runs recorded an error."""
    if "error" not in runs:
        return pd.Series(False, index=runs.index)
    return runs["error"].fillna("").astype(str) != ""


EVIDENCE = {
    "sobol": "Sobol' indices (sobol.csv, from adoptsim sensitivity): the total index is the share of an "
    "outcome's variance a factor accounts for, alone and in its interactions; the first-order index (alone) "
    "leaves the interactions out. Intervals are 95% bootstrap intervals.",
    "morris": "Morris screening (morris.csv, from adoptsim sensitivity): mu* is the mean absolute change in the "
    "outcome when a factor moves across its range one step at a time; sigma above mu* means the effect depends "
    "on the other factors. Intervals are 95% bootstrap intervals.",
    "effects": "Effect sizes: the outcome's mean in the runs with a factor in the top third of its values minus "
    "the bottom third, with a 95% interval, and the rank correlation over all runs. For indices that apportion "
    "the variance, sweep a sobol or morris design and run adoptsim sensitivity.",
}


def sweep_page(folder: Path) -> str:
    """The report of a sweep folder (runs.parquet): first what it found (per outcome, the factors that matter
    most, from sensitivity indices where the folder has them, effect sizes otherwise; then the discovered
    boxes), then the indices, the factors and the outcomes in tables of their own, and its figures."""
    from sim.experiments.findings import SweepRecord, factor_label, factor_table, findings, outcome_label

    try:
        runs = pd.read_parquet(folder / "runs.parquet")
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder / 'runs.parquet'}: cannot read it ({exc}). Re-run the sweep.") from None
    failed = failed_runs(runs)
    finished = runs[~failed]
    sweep = SweepRecord.of(folder)
    lines, evidence, evidence_table = findings(folder, finished)
    found, discovered = discoveries(folder)
    sentences = [
        f"{len(runs):,} runs of a {sweep.design} design over {len(sweep.factors)} factors "
        f"({', '.join(factor_label(f) for f in sweep.factors)}); {int(failed.sum()):,} failed and are left out.",
        *lines,
        *found,
    ]
    shown = evidence_table.assign(
        outcome=evidence_table["outcome"].map(outcome_label), factor=evidence_table["factor"].map(factor_label)
    )
    outcomes = [o for o in sweep.outcomes if o in finished]
    labels = [outcome_label(o) for o in outcomes]
    figures = sorted((folder / "figures").glob("*.png"))
    index_figures = [embedded_figure(f) for f in figures if f.stem in ("sobol", "morris")]
    sections = [
        section(
            "What matters most" if evidence != "effects" else "Effects of each factor",
            paragraph(EVIDENCE[evidence], "note"),
            table(shown),
            *index_figures,
        ),
        *discovered,
        section("Factors varied", table(factor_table(sweep))),
        section(
            "Outcomes across runs",
            paragraph("Mean, standard deviation and the 10th, 50th and 90th percentiles over the runs that finished."),
            table(outcome_table(finished[outcomes]).rename(columns={"column": "outcome"}).assign(outcome=labels)),
        ),
        section("Figures", *[embedded_figure(f) for f in figures if f.stem not in ("sobol", "morris")]),
        provenance(folder),
    ]
    return page(f"Sweep: {folder.name}", bullets(sentences), sections)


def discoveries(folder: Path) -> tuple[list[str], list[str]]:
    """The scenario discoveries (adoptsim discover) kept in a sweep folder's subfolders: each one's sentence
    for the summary, and a section with its box, its trajectory and CART figures. One that cannot be read
    gets a note instead, and the rest of the report is still written."""
    sentences, sections = [], []
    for path in sorted(folder.glob("*/discovery.json")):
        try:
            data = read_json(path)
            box = data["box"]
            limits = pd.DataFrame(box["limits"])
            rows = pd.DataFrame(
                {
                    "factor": limits["factor"],
                    "box keeps": [
                        row["values"] or f"{row['lowest_in_box']:.4g} to {row['highest_in_box']:.4g}"
                        for row in box["limits"]
                    ],
                    "range in the sweep": [
                        "" if row["values"] else f"{row['range_min']:.4g} to {row['range_max']:.4g}"
                        for row in box["limits"]
                    ],
                    "quasi-p (low, high)": [
                        ", ".join(f"{p:.2g}" for p in (row["qp_lower"], row["qp_upper"]) if p is not None)
                        for row in box["limits"]
                    ],
                }
            )
            stats = (
                f"Box {box['id']} of PRIM's peeling trajectory, chosen as {data['selection_rule']}: coverage "
                f"{box['coverage']:.2f} (the share of the runs of interest inside the box), density "
                f"{box['density']:.2f} (the share of the runs inside the box that are of interest), mass "
                f"{box['mass']:.2f} (the share of all runs inside the box). A quasi-p-value below 0.05 says a limit "
                "matters beyond chance."
            )
            figures = [embedded_figure(f) for f in sorted((path.parent / "figures").glob("*.png"))]
            sentences.append(f"Scenario discovery: {data['sentence']}")
            sections.append(
                section(
                    f"Scenario discovery: {data['condition']}",
                    paragraph(data["sentence"]),
                    paragraph(stats, "note"),
                    table(rows),
                    *figures,
                )
            )
        except (InputError, KeyError, TypeError, ValueError, AttributeError) as exc:
            sections.append(
                section(
                    f"Scenario discovery in {path.parent.name}",
                    paragraph(
                        f"{path} could not be read ({type(exc).__name__}: {exc}); run adoptsim discover again.", "note"
                    ),
                )
            )
    return sentences, sections


BUILDERS: tuple[tuple[str, Callable[[Path], str]], ...] = (
    ("comparison.json", comparison_page),
    ("summary.json", run_page),
    ("runs.parquet", sweep_page),
    ("optimise.json", lambda folder: import_module("sim.experiments.optimise_report").optimise_page(folder)),
)
"""Folder kinds, recognised by the file their command writes."""
