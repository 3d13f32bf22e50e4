"""What the model reports: per-firm weekly records, employees' visible states, the pilot table and the summary."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.pilots import (
    ABANDONED,
    BACK,
    KINDS,
    MERGED,
    NO_DUPLICATE,
    POC,
    PRODUCTION,
    SCALED,
    STAGES,
    STALLED,
    PilotTable,
)
from sim.rules import firm_mean
from sim.schema import Params
from sim.state import Organisation, Workforce

NON_USER, COMPLIANT, COMMITTED, ENGAGED = range(4)
COUNT_COLUMNS = frozenset(
    {
        "employees",
        *STAGES,
        "stalled",
        "abandoned",
        "merged",
        "duplicates_merged",
        "knowledge",
        "revenue",
        "savings",
        "intervention_cost",
    }
)
"""Time-series columns that add up across firms (the others are rates or means)."""


def employee_states(w: Workforce, p: Params) -> np.ndarray:
    """Each employee's visible state: non-user, compliant user (uses AI without having adopted it),
    committed user (adopted, not yet engaged) or engaged adopter."""
    user = w.usage >= p.usage.user_threshold
    engaged = w.engagement >= p.engagement.engaged_threshold
    return np.select([engaged, user & w.adopted, user], [ENGAGED, COMMITTED, COMPLIANT], NON_USER)


EMPLOYEE_MEANS = (
    "usage_rate",
    "engagement_rate",
    "adopted_share",
    "mean_usage",
    "mean_engagement",
    "mean_anxiety",
    "mean_attitude",
    "mean_skill",
)
PILOT_COUNTS = (*STAGES, "stalled", "abandoned", "merged")


def pilot_counts(table: PilotTable, n_firms: int) -> dict[str, np.ndarray]:
    """Per firm: live pilots in each stage, and pilots stalled, abandoned and merged (one pass over the table)."""
    ended_slot = len(STAGES) + table.status - STALLED
    category = np.where(table.live, table.stage, ended_slot)
    counts = np.bincount(table.firm * len(PILOT_COUNTS) + category, minlength=n_firms * len(PILOT_COUNTS))
    counts = counts.reshape(n_firms, len(PILOT_COUNTS)).T.copy()
    counts[len(STAGES)] = np.bincount(table.firm[table.status == STALLED], minlength=n_firms)
    return dict(zip(PILOT_COUNTS, counts, strict=True))


def weekly_record(
    week: int, w: Workforce, org: Organisation, table: PilotTable, merged: np.ndarray, spent: np.ndarray, p: Params
) -> dict[str, np.ndarray]:
    """One week's figures, one value per firm."""
    n_firms = org.n_firms
    employees = np.stack(
        [
            w.usage >= p.usage.user_threshold,
            w.engagement >= p.engagement.engaged_threshold,
            w.adopted,
            w.usage,
            w.engagement,
            w.anxiety,
            w.attitude,
            w.skill,
        ]
    ).astype(np.float64)
    means = firm_mean(employees, org)
    record = {
        "week": np.full(n_firms, week),
        "firm": np.arange(n_firms),
        "employees": org.firm_employees.astype(np.int64),
        **dict(zip(EMPLOYEE_MEANS, means, strict=True)),
        "mean_team_safety": np.bincount(org.team_firm, weights=org.team_safety, minlength=n_firms)
        / np.bincount(org.team_firm, minlength=n_firms),
    }
    record.update(pilot_counts(table, n_firms))
    record["duplicates_merged"] = merged.copy()
    record["knowledge"] = org.firm_knowledge.copy()
    record["revenue"] = org.firm_revenue.copy()
    record["savings"] = org.firm_savings.copy()
    record["intervention_cost"] = spent.copy()
    return record


def employee_frame(week: int, w: Workforce, firm_names: list[str], p: Params) -> pd.DataFrame:
    """The state of every employee at one week, for researchers' own analysis."""
    states = np.asarray(("non-user", "compliant user", "committed user", "engaged adopter"), dtype=object)
    return pd.DataFrame(
        {
            "week": np.full(w.size, week),
            "employee": np.arange(w.size),
            "firm": np.asarray(firm_names, dtype=object)[w.firm],
            "team": w.team,
            "manager": w.manager,
            "innovativeness": w.innovativeness,
            "attitude": w.attitude,
            "anxiety": w.anxiety,
            "skill": w.skill,
            "usage": w.usage,
            "engagement": w.engagement,
            "adopted": w.adopted,
            "state": states[employee_states(w, p)],
        }
    )


def timeseries_frame(records: list[dict[str, np.ndarray]], firm_names: list[str]) -> pd.DataFrame:
    """All weekly records as one table, a row per week and firm."""
    frame = pd.DataFrame({key: np.concatenate([r[key] for r in records]) for key in records[0]})
    frame.insert(2, "firm_name", np.asarray(firm_names, dtype=object)[frame["firm"].to_numpy()])
    return frame


def pilot_outcomes(table: PilotTable) -> np.ndarray:
    """Each pilot's outcome: abandoned, merged into another, stalled, production or scaled, else in progress."""
    stage_names = np.asarray(STAGES, dtype=object)[table.stage]
    return np.select(
        [table.status == ABANDONED, table.status == MERGED, table.status == STALLED, table.stage >= PRODUCTION],
        ["abandoned", "merged", "stalled", stage_names],
        "in progress",
    )


def pilots_frame(table: PilotTable, org: Organisation, firm_names: list[str], final_week: int) -> pd.DataFrame:
    """A row per pilot: owner, kind, platform, alignment, duplication, stage reached, weeks and outcome."""
    end = np.where(table.week_ended >= 0, table.week_ended, final_week)
    return pd.DataFrame(
        {
            "pilot": np.arange(len(table)),
            "firm": np.asarray(firm_names, dtype=object)[table.firm],
            "team": table.team,
            "team_function": np.asarray(KINDS, dtype=object)[org.team_back_office[table.team].astype(int)],
            "kind": np.asarray(KINDS, dtype=object)[table.kind],
            "use_case": table.use_case,
            "value": np.round(table.value, 4),
            "depth": np.round(table.depth, 4),
            "platform": table.platform,
            "aligned": table.aligned,
            "bought": table.bought,
            "duplicate_of": table.duplicate_of,
            "stage_reached": np.asarray(STAGES, dtype=object)[table.stage],
            "week_proposed": table.week_proposed,
            "weeks": end - table.week_proposed,
            "weeks_in_stage": end - table.week_in_stage,
            "outcome": pilot_outcomes(table),
        }
    )


def headline(
    w: Workforce, table: PilotTable, org: Organisation, merged: np.ndarray, p: Params, firms: np.ndarray
) -> dict[str, float]:
    """The headline figures over the given firms: the pilot funnel, usage against engagement, anxiety, value."""
    staff = np.isin(w.firm, firms)
    stands_for = org.team_represents[w.team[staff]]

    def share(values: np.ndarray) -> float:
        """Mean over the chosen firms' employees, each agent weighted by the employees it stands for."""
        return float(np.average(values[staff], weights=stands_for))

    rows = np.isin(table.firm, firms)
    stage, status = table.stage[rows], table.status[rows]
    pocs = stage >= POC
    reached_production = stage >= PRODUCTION
    scaled = stage == SCALED
    n_pocs = max(int(pocs.sum()), 1)
    return {
        "employees": int(org.firm_employees[firms].sum()),
        "pilots_proposed": int(rows.sum()),
        "pilots_started": int(pocs.sum()),
        "pilots_reached_production": int(reached_production.sum()),
        "pilots_scaled": int(scaled.sum()),
        "pilots_abandoned": int((status == ABANDONED).sum()),
        "pilots_stalled": int((status == STALLED).sum()),
        "pilots_merged": int((status == MERGED).sum()),
        "scaled_back_office": int((scaled & (table.kind[rows] == BACK)).sum()),
        "poc_to_production": float(reached_production.sum() / n_pocs),
        "poc_scrapped": float((pocs & ~reached_production & (status == ABANDONED)).sum() / n_pocs),
        "duplicate_pilots": int((table.duplicate_of[rows] != NO_DUPLICATE).sum()),
        "duplicates_merged": int(merged[firms].sum()),
        "aligned_share": float(table.aligned[rows].mean()) if rows.any() else 0.0,
        "platforms_in_use": int(len(np.unique(table.platform[rows]))),
        "usage_rate": share(w.usage >= p.usage.user_threshold),
        "engagement_rate": share(w.engagement >= p.engagement.engaged_threshold),
        "adopted_share": share(w.adopted),
        "mean_anxiety": share(w.anxiety),
        "mean_attitude": share(w.attitude),
        "mean_skill": share(w.skill),
        "revenue": float(org.firm_revenue[firms].sum()),
        "savings": float(org.firm_savings[firms].sum()),
    }


def firm_totals(timeseries: pd.DataFrame) -> pd.DataFrame:
    """The time series over all firms, one row per week: counts summed, rates weighted by head count."""
    if timeseries["firm"].nunique() == 1:
        return timeseries.set_index("week")
    numeric = timeseries.drop(columns=["firm", "firm_name"])
    counts = [c for c in numeric if c in COUNT_COLUMNS]
    rates = [c for c in numeric if c not in COUNT_COLUMNS and c != "week"]
    weighted = numeric[rates].mul(numeric["employees"], axis=0).assign(week=numeric["week"])
    totals = weighted.groupby("week").sum().div(numeric.groupby("week")["employees"].sum(), axis=0)
    return totals.join(numeric[["week", *counts]].groupby("week").sum())
