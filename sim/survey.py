"""The survey mapping: how each firm in a run would answer the questions behind the published figures
(McKinsey's State of AI 2025, IDC for Lenovo 2025, S&P Global 2025). Definitions are in docs/ODD.md."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.pilots import ABANDONED, BACK, PILOT, POC, PRODUCTION, SCALED
from sim.population import LEVERS
from sim.schema import Params, Survey

SURVEY_STAGES = ("experimenting", "piloting", "scaling", "fully scaled")


def survey_frame(model) -> pd.DataFrame:
    """One row per firm: its answers (regular use, stage, EBIT impact), its proofs of concept that had at
    least `poc_window` weeks to reach production, with how many did and how many were scrapped (all, and those
    of bought tools), and its three foundation levers."""
    survey: Survey = model.spec.survey
    w, org, table = model.workforce, model.organisation, model.pilots
    n_firms = org.n_firms

    def per_firm(mask: np.ndarray) -> np.ndarray:
        return np.bincount(table.firm[mask], minlength=n_firms)

    scaled = per_firm(table.stage == SCALED)
    counted_pocs = (table.stage >= POC) & (table.week_poc >= 0) & (table.week_poc <= model.week - survey.poc_window)
    engaged = np.add.reduceat(w.engagement >= model.params.engagement.engaged_threshold, org.firm_start)
    frame = pd.DataFrame(
        {
            "firm": [f.name for f in model.firms],
            "revenue_band": [f.revenue_band or "" for f in model.firms],
            "industry": [f.industry for f in model.firms],
            "employees": org.firm_employees.astype(int),
            "regular_use": regular_use(model, survey),
            "stage": stages(
                reached_pilot=per_firm(table.stage >= PILOT),
                scaled=scaled,
                scaled_back=per_firm((table.stage == SCALED) & (table.kind == BACK)),
                engaged_share=engaged / org.firm_agents,
                scaling_needs=catalogue_share(model, survey.scaling_pilots),
                full_scale=catalogue_share(model, survey.full_scale_pilots),
                survey=survey,
            ),
            "ebit_impact": value_run_rate(model) >= scope(model) * survey.ebit_threshold,
            "pocs_counted": per_firm(counted_pocs),
            "pocs_to_production": per_firm(counted_pocs & (table.stage >= PRODUCTION)),
            "pocs_scrapped": per_firm(counted_pocs & (table.stage < PRODUCTION) & (table.status == ABANDONED)),
            "bought_pocs_counted": per_firm(counted_pocs & table.bought),
            "bought_pocs_to_production": per_firm(counted_pocs & table.bought & (table.stage >= PRODUCTION)),
            **{lever: [getattr(f.levers, lever) for f in model.firms] for lever in LEVERS},
        }
    )
    return frame


def regular_use(model, survey: Survey) -> np.ndarray:
    """A firm regularly uses AI in a function when at least `regular_use_share` of that function's
    employees (all its front-office, or all its back-office teams) are regular users."""
    w, org, p = model.workforce, model.organisation, model.params
    users = w.usage >= p.usage.user_threshold
    function = org.team_back_office[w.team].astype(np.int64)
    key = w.firm * 2 + function
    size = np.bincount(key, minlength=org.n_firms * 2)
    share = np.divide(np.bincount(key, weights=users, minlength=org.n_firms * 2), np.maximum(size, 1))
    return ((share >= survey.regular_use_share) & (size > 0)).reshape(-1, 2).any(axis=1)


def scope(model) -> np.ndarray:
    """Each firm's catalogue of distinct use cases against a 1,000-employee firm's: the scale against which a
    respondent judges the firm's AI results (its number of use cases scaled, its value from AI)."""
    return model.organisation.firm_use_cases / model.params.pilots.use_cases


def catalogue_share(model, pilots_at_1000: int) -> np.ndarray:
    """Scaled pilots each firm needs for a stage: `pilots_at_1000` at 1,000 employees, in proportion to the
    firm's catalogue of distinct use cases (which grows with the square root of head count), and at least one.
    "Scaling" and "fully scaled across the enterprise" then ask for the same share of what a firm could scale
    whatever its size: one team's tool rolled out to a few others is "scaling" in a firm of 200, not in a firm
    of 100,000, where a fixed count would call it scaling."""
    return np.maximum(1.0, pilots_at_1000 * scope(model))


def stages(
    reached_pilot: np.ndarray,
    scaled: np.ndarray,
    scaled_back: np.ndarray,
    engaged_share: np.ndarray,
    scaling_needs: np.ndarray,
    full_scale: np.ndarray,
    survey: Survey,
) -> np.ndarray:
    """Experimenting (nothing past a proof of concept), piloting (pilots, but fewer scaled than `scaling_needs`),
    scaling (at least `scaling_needs` scaled) or fully scaled (at least `full_scale` scaled, back office
    included, and a broadly engaged workforce)."""
    fully = (scaled >= full_scale) & (scaled_back > 0) & (engaged_share >= survey.full_scale_engagement)
    return np.select(
        [fully, scaled >= scaling_needs, reached_pilot > 0],
        ["fully scaled", "scaling", "piloting"],
        default="experimenting",
    )


def value_run_rate(model) -> np.ndarray:
    """Per firm, the yearly value its live pilots in production and at scale deliver now."""
    table, org = model.pilots, model.organisation
    share = np.array([0.0, 0.0, 0.0, model.params.pilots.production_share, 1.0])[table.stage]
    return np.bincount(table.firm, weights=share * table.value * table.live, minlength=org.n_firms)


SIZE_BANDS = {"scaling_under_100m": "under-100m", "scaling_over_5b": "over-5b"}
"""The revenue bands whose share of firms at least scaling McKinsey (2025) publishes."""


def survey_rates(frame: pd.DataFrame) -> dict[str, float]:
    """Population-level answers: shares of firms, pooled proof-of-concept outcomes, and the share of firms at
    least scaling in the smallest and largest revenue bands (not a number where the band has no firm)."""
    pocs = max(int(frame["pocs_counted"].sum()), 1)
    at_least_scaling = frame["stage"].isin(["scaling", "fully scaled"])
    rates = {
        "regular_use": float(frame["regular_use"].mean()),
        **{f"stage_{s.replace(' ', '_')}": float((frame["stage"] == s).mean()) for s in SURVEY_STAGES},
        "ebit_impact": float(frame["ebit_impact"].mean()),
        "poc_to_production": frame["pocs_to_production"].sum() / pocs,
        "poc_scrapped": frame["pocs_scrapped"].sum() / pocs,
        **{
            name: float(at_least_scaling[frame["revenue_band"] == band].mean())
            if (frame["revenue_band"] == band).any()
            else float("nan")
            for name, band in SIZE_BANDS.items()
        },
    }
    return {k: float(v) for k, v in rates.items()}


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The q-quantile of values where each counts `weights` times: the lowest value with at least q of the
    weight at or below it (NumPy's inverted CDF, the only method that takes weights)."""
    return float(np.quantile(values, q, weights=weights, method="inverted_cdf"))


def employee_rates(model) -> dict[str, float]:
    """The employee survey (Fractional Insights and Ferrazzi Greenlight, reported in HBR, 2026): employees
    split into thirds by AI anxiety across the whole population, each employee counted as often as the
    employees it stands for; the mean usage, and the mean engagement, of the most anxious third over those
    of the calmest third."""
    w, org = model.workforce, model.organisation
    weight = org.team_represents[w.team]
    calm = w.anxiety <= weighted_quantile(w.anxiety, weight, 1 / 3)
    anxious = w.anxiety >= weighted_quantile(w.anxiety, weight, 2 / 3)

    def ratio(values: np.ndarray) -> float:
        low = np.average(values[calm], weights=weight[calm])
        return float(np.average(values[anxious], weights=weight[anxious]) / low) if low > 0 else float("nan")

    return {"anxious_usage_ratio": ratio(w.usage), "anxious_engagement_ratio": ratio(w.engagement)}


def population_rates(model, frame: pd.DataFrame) -> dict[str, float]:
    """Every answer of a run to the surveys behind the calibration targets: the firms' and the employees'."""
    return survey_rates(frame) | employee_rates(model)


def definitions(survey: Survey, params: Params) -> dict[str, str]:
    """The survey mapping in words, with this scenario's thresholds: what each simulated rate means."""
    users = f"usage >= {params.usage.user_threshold:g}"
    engaged = f"engagement >= {params.engagement.engaged_threshold:g}"
    pocs = (
        f"pooled over every firm's proofs of concept started at least {survey.poc_window} weeks before the end "
        "(younger ones have not had time to reach production)"
    )
    return {
        "regular_use": (
            f"a firm regularly uses AI in at least one function when, in its front-office or in its back-office "
            f"teams, at least {survey.regular_use_share:.0%} of employees are regular users ({users})"
        ),
        "stage_experimenting": "no pilot of the firm ever got past a proof of concept",
        "stage_piloting": (
            "a pilot of the firm reached the pilot stage, but fewer pilots are scaled across teams than scaling needs"
        ),
        "stage_scaling": (
            f"at least {survey.scaling_pilots} pilot(s) scaled across teams at 1,000 employees, in proportion to the "
            "firm's use-case catalogue (which grows with the square root of head count) and at least one, but the "
            "firm is not fully scaled"
        ),
        "stage_fully_scaled": (
            f"at least {survey.full_scale_pilots} pilots scaled across teams, one of them back office, and at least "
            f"{survey.full_scale_engagement:.0%} of employees engaged ({engaged})"
        ),
        "ebit_impact": (
            f"the yearly value run-rate of the firm's live pilots in production (at {params.pilots.production_share:g} "
            f"of their value) and at scale (at full value) is at least {survey.ebit_threshold:g} at 1,000 "
            "employees, in "
            "proportion to the firm's use-case catalogue (a use case's value is the same in any firm, so the "
            "same value is a smaller part of a larger firm's earnings)"
        ),
        "poc_to_production": f"share of proofs of concept that reached production, {pocs}",
        "poc_scrapped": (
            f"share of proofs of concept abandoned before production (merged ones count as neither), {pocs}"
        ),
        **{
            name: f"share of firms in the {band} revenue band at the scaling or fully scaled stage"
            for name, band in SIZE_BANDS.items()
        },
        "anxious_usage_ratio": (
            "mean usage of the most anxious third of all employees (by AI anxiety, each agent weighted by the "
            "employees it stands for) over that of the calmest third"
        ),
        "anxious_engagement_ratio": "the same ratio for engagement (genuine adoption)",
    }
