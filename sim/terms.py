"""One vocabulary for every output: the terminal, the figures, the classroom app and the report name each
figure with a term of this glossary, and mean by it what the glossary says (README.md, Glossary, lists the
same terms). Figures that look contradictory side by side are named so that they are not: "adopters" (who
decided to use AI) can outnumber "regular users" (who use it enough for a dashboard to count them), and
"scrapped" is a share of pilots started while "pilots abandoned" counts pilots at every stage.

It also holds, per comparison metric, the smallest meaningful difference: a difference smaller than it is
not called a clear change, however narrow its interval.
"""

from __future__ import annotations

GLOSSARY: dict[str, str] = {
    # employees
    "regular users": "employees who use AI at least at the usage threshold: what a usage dashboard counts, "
    "whether they use it by choice or to comply (`usage_rate`)",
    "adopters": "employees who have decided to use AI, whether or not they use it regularly yet (`adopted_share`); "
    "some adopters do not yet use AI enough to count as regular users, and some regular users are not adopters, "
    "so adopters can outnumber regular users",
    "engaged adopters": "employees who have built AI into their work (engagement at least at its threshold): "
    "genuine adoption, not just usage (`engagement_rate`)",
    "non-users": "employees who are not regular users",
    "compliant users": "regular users who have not decided to use AI: they use it because they are told to or "
    "fear being left behind (orange in the app)",
    "committed users": "regular users who have decided to use AI but have not yet built it into their work "
    "(sky blue in the app)",
    "mean AI anxiety": "employees' mean worry about what AI does to their job, from 0 to 1 (`mean_anxiety`)",
    "mean AI skill": "employees' mean AI literacy, from 0 to 1 (`mean_skill`)",
    "usage trap": "usage rises clearly while engagement does not: employees use AI to comply, not as part of "
    "their work",
    # pilots
    "pilot ideas": "use cases proposed by teams that have not yet begun a proof of concept",
    "pilots proposed": "every use case a team proposed, duplicates included (`pilots_proposed`)",
    "pilots started": "pilots that began a proof of concept (`pilots_started`): the denominator of the shares "
    "reaching production and scrapped",
    "pilots that reached production": "pilots that reached production, including those scaled later "
    "(`pilots_reached_production`)",
    "in production": "pilots in production now, not yet scaled",
    "pilots scaled": "pilots rolled out across teams (`pilots_scaled`)",
    "back-office pilots scaled": "scaled pilots in back-office work (operations, finance, data), where most "
    "value lies (`scaled_back_office`)",
    "reaching production": "pilots that reached production as a share of pilots started (`poc_to_production`)",
    "scrapped": "pilots started that were abandoned before production, as a share of pilots started (`poc_scrapped`)",
    "pilots abandoned": "pilots given up after stalling, at any stage before production, ideas included "
    "(`pilots_abandoned`); "
    "more than the scrapped proofs of concept, which are only those abandoned after starting and before "
    "production",
    "pilots stalled": "pilots stalled now, waiting to resume or be abandoned (`pilots_stalled`)",
    "duplicate pilots": "pilots of a use case another team of the firm already has (`duplicate_pilots`)",
    "duplicates merged": "duplicate proposals merged by governance before they started (`duplicates_merged`)",
    "platforms in use": "distinct AI platforms the firm's pilots run on (`platforms_in_use`)",
    # value and money
    "value unit": "the model's measure of a use case's yearly value; in money, a share of the firm's revenue "
    "(`firm.value_share`, section 7.19 of docs/ODD.md)",
    "cost savings": "value from back-office pilots in production and at scale, over the horizon (`savings`)",
    "revenue added": "value from front-office pilots in production and at scale, over the horizon (`revenue`)",
    "intervention cost": "what the interventions cost over the horizon, in the firm's currency (`intervention_cost`)",
    "extra cost": "an option's intervention cost beyond the base case's",
    "extra value": "an option's cost savings and revenue added beyond the base case's, over the horizon, in money",
    "net value": "extra value minus extra cost, over the horizon",
    "return on cost": "net value divided by extra cost",
    "payback week": "the week by which at least half the replicates have paid back: each replicate from the "
    "first week its cumulative net value stays above zero to the horizon",
    "run-rate": "the yearly value still accruing at the end of the horizon (52 times the last week's value): "
    "what the option keeps delivering after the horizon",
    "cost per extra scaled pilot": "extra cost divided by the extra pilots scaled",
    # comparisons
    "base case": "the scenario the options are compared with",
    "option": "an arm of a comparison: the base case with interventions added",
    "replicate": "one run with one seed; replicate r of every option uses the base case's seed r",
    "difference": "an option's figure minus the base case's, averaged over paired replicates",
    "95% interval": "where the mean difference lies with 95% confidence (a t-interval over paired differences)",
    "smallest meaningful difference": "the least difference in a figure that matters in practice: 1 pilot, "
    "1 percentage point of a share, 0.01 of a 0-1 score, 0.1 value unit, 1,000 in the currency",
    "clearly better": "a difference at least the smallest meaningful one, in the better direction, whose 95% "
    "interval excludes zero (clearly worse: the same in the worse direction)",
    "better in k of n": "in how many of the n replicates the option beat the base case",
}
"""Every term outputs use, with its one meaning (README.md, Glossary, shows the same)."""

SMALLEST_MEANINGFUL = {"count": 1.0, "share": 0.01, "score": 0.01, "value": 0.1, "money": 1000.0}
"""The smallest meaningful difference per unit of a comparison metric: one pilot; one percentage point of a
share of employees or of pilots; 0.01 on a 0-1 scale (anxiety, skill); a tenth of a value unit (a tenth of a
front-office use case's median yearly value); 1,000 in the currency."""


def term(name: str) -> str:
    """A glossary term, checked: outputs name figures through this, so a term outside the glossary fails."""
    if name not in GLOSSARY:
        raise KeyError(f"{name!r} is not a glossary term (sim/terms.py)")
    return name


def smallest_meaningful(unit: str) -> float:
    """The smallest meaningful difference for a metric of this unit."""
    return SMALLEST_MEANINGFUL[unit]


def glossary_markdown() -> str:
    """The glossary as README.md shows it: a table of terms and meanings."""
    rows = "\n".join(f"| {name} | {meaning} |" for name, meaning in GLOSSARY.items())
    return "| term | meaning |\n|---|---|\n" + rows
