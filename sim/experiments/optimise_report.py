"""The report page of an optimisation folder (adoptsim report on the output of adoptsim optimise): the front
as a figure, the plans in words with their fresh-replicate scores, and the best plan against each single
intervention."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.report import bullets, figures_section, money, page, paragraph, provenance, read_json, section, table


def optimise_page(folder: Path) -> str:
    """The report of an optimisation folder."""
    data = read_json(folder / "optimise.json")
    summary = [
        f"{data['trials']} plans searched for {data['base_scenario']} ({data['employees']:,} employees, "
        f"{data['weeks']} weeks) within a budget of {money(data['budget'])}; {data['feasible_trials']} were within "
        f"it. {len(data['front'])} plans form the Pareto front (none of the others has more scaled pilots, lower "
        "cost and more engagement at once).",
        data["closing_note"],
    ]
    columns = {
        "option": "plan",
        "cost": "cost",
        "fresh_pilots_scaled": "pilots scaled (fresh)",
        "search_pilots_scaled": "pilots scaled (search)",
        "fresh_engagement_rate": "engaged (fresh)",
        "plan": "what it does",
    }
    front = pd.DataFrame(data["front"], columns=list(data["front"][0]) if data["front"] else list(columns))
    singles = pd.DataFrame(data["singles"])
    plans = [f"{row['option']}: {row['plan']}." for row in data["front"]]
    verdict = pd.DataFrame(data["verdict"]).rename(
        columns={
            "single": "single intervention",
            "single_cost": "its cost",
            "single_pilots_scaled": "its pilots scaled",
            "best_pilots_scaled": "best plan's",
            "diff_mean": "difference",
            "diff_ci_low": "95% low",
            "diff_ci_high": "95% high",
            "won": "replicates won",
            "replicates": "replicates",
        }
    )
    return page(
        f"{data['name']}: the best plans within {money(data['budget'])}",
        bullets(summary),
        [
            section("The question", paragraph(data["description"] or data["name"])),
            section("The plans on the front, in words", bullets(plans) if plans else paragraph("None.")),
            section(
                "The front and the single interventions, re-scored on fresh replicates",
                table(front[[c for c in columns if c in front]].rename(columns=columns)),
                table(
                    singles[[c for c in columns if c in singles and c != "search_pilots_scaled"]].rename(
                        columns=columns
                    )
                )
                if not singles.empty
                else "",
                paragraph(
                    f"Search: the mean over the {data['replicates']} replicates every plan was scored on. Fresh: the "
                    f"mean over {data['rescore_replicates']} other replicates (other seeds"
                    + (" and other draws of the uncertain inputs" if data.get("uncertain") else "")
                    + "), the same for every plan; a plan that looked good by luck in the search falls back there. "
                    "plans.yaml in this folder holds these plans as a comparison: adoptsim compare reruns them on "
                    "the same fresh replicates.",
                    "note",
                ),
            ),
            section("The best plan against each single intervention of the same or lower cost", table(verdict))
            if not verdict.empty
            else "",
            figures_section(folder, first=("front",)),
            provenance(folder),
        ],
    )
