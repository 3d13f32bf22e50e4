"""The typed scenario schema: every figure the model uses, with its default, range and meaning.

A scenario file is validated against `Scenario`; `Scenario.model_json_schema()` exports the same
rules as JSON Schema so editors can check files as they are written.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

Hazard = Annotated[float, Field(ge=0, le=1)]

INDUSTRY_THREAT: dict[str, float] = {
    "technology": 0.15,
    "healthcare": 0.35,
    "manufacturing": 0.40,
    "general": 0.40,
    "retail": 0.45,
    "financial-services": 0.50,
    "public-sector": 0.50,
    "professional-services": 0.60,
    "media": 0.65,
}
"""Default perceived job threat from AI by industry (0 = seen as augmentation, 1 = as replacement)."""

Industry = Literal[
    "technology",
    "healthcare",
    "manufacturing",
    "general",
    "retail",
    "financial-services",
    "public-sector",
    "professional-services",
    "media",
]


RevenueBand = Literal["under-100m", "100m-1b", "1b-5b", "over-5b"]


class Strict(BaseModel):
    """Base for every schema block: unknown fields are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Levers(Strict):
    """The three foundations of firms that scale AI, each from 0 (absent) to 1 (fully in place)."""

    infrastructure: float = Field(0.35, ge=0, le=1, description="Integration of data and AI platforms across the firm")
    alignment: float = Field(
        0.35, ge=0, le=1, description="Strategic direction: KPIs, executive sponsorship, portfolio governance"
    )
    culture: float = Field(
        0.40, ge=0, le=1, description="Culture of adoption: psychological safety and safe experimentation"
    )


Function = Literal["front-office", "back-office"]
Stage = Literal["idea", "poc", "pilot", "production", "scaled"]


class OrgTeam(Strict):
    """One of the firm's own teams (`adoptsim org import` writes these): its function, head count, the team
    its manager reports into, and the means of its employees' initial states from a staff survey (empty:
    generated as for a generated team)."""

    name: str = Field(min_length=1, description="The team's name, unique in the firm")
    function: Function = Field(description="Front office (marketing, sales, service) or back office")
    members: int = Field(ge=1, le=200_000, description="Head count, the manager included")
    manager: str | None = Field(
        None, description="The team the team's manager reports into (a name in this list); empty at the top"
    )
    attitude: float | None = Field(None, ge=0, le=1, description="Mean initial attitude (perceived usefulness)")
    anxiety: float | None = Field(None, ge=0, le=1, description="Mean initial AI anxiety")
    skill: float | None = Field(None, ge=0, le=1, description="Mean initial AI skill")
    usage: float | None = Field(None, ge=0, le=1, description="Mean initial usage")
    adopters: float | None = Field(
        None, ge=0, le=1, description="Share of the team already using AI by choice (its most innovative members)"
    )
    safety: float | None = Field(None, ge=0, le=1, description="The team's base psychological safety")
    platform: int | None = Field(
        None, ge=0, le=19, description="The team's AI platform (0 the shared one); empty: drawn as for any team"
    )


class InitialPilot(Strict):
    """A pilot the firm already has at week 0: its team, kind, platform, stage and age."""

    name: str = Field("", description="Label, for the reader of the file")
    team: str = Field(min_length=1, description="The owning team (a name in firm.teams)")
    kind: Function = Field(description="Front-office (revenue) or back-office (cost) use case")
    platform: int = Field(0, ge=0, le=19, description="The platform it is built on (0 the shared one)")
    stage: Stage = Field(description="Its stage at week 0")
    age: int = Field(0, ge=0, le=1040, description="Weeks since it was proposed, at week 0")


class Firm(Strict):
    """One organisation: its size, industry, team structure and the three foundation levers."""

    name: str = Field("Firm", min_length=1, description="Label used in outputs")
    employees: int = Field(1000, ge=10, le=200_000, description="Head count")
    team_size: int = Field(12, ge=3, le=200_000, description="Employees per team (the last team takes the remainder)")
    front_office_share: float = Field(
        0.4, ge=0, le=1, description="Share of teams in front-office functions (marketing, sales, service)"
    )
    industry: Industry = Field("general", description="Industry, which sets the default threat perception")
    threat: float | None = Field(
        None, ge=0, le=1, description="Perceived job threat from AI; empty means the industry's default"
    )
    platforms: int = Field(
        3, ge=1, le=20, description="AI platforms available; teams off the shared one pick among the rest"
    )
    mandate: float = Field(0.0, ge=0, le=1, description="Pressure to use AI: mandated, monitored usage targets")
    agents: int | None = Field(
        None,
        ge=3,
        le=200_000,
        description="Employees simulated as agents; empty means all. Fewer: a sample of whole teams, each standing "
        "for several of the firm's teams",
    )
    levers: Levers = Field(default_factory=Levers, description="The three foundations")
    revenue_band: RevenueBand | None = Field(None, description="Annual revenue band, where known (for breakdowns)")
    teams: list[OrgTeam] | None = Field(
        None,
        description="The firm's own teams (instead of generated ones); employees must be their head counts' sum",
    )
    pilots: list[InitialPilot] = Field(
        default_factory=list, description="Pilots the firm already has at week 0 (needs firm.teams)"
    )
    currency: str = Field(
        "USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 code of the currency of costs and values (USD, EUR, ...)"
    )
    revenue: float | None = Field(
        None, gt=0, le=1e13, description="Annual revenue in the currency; empty means head count x revenue_per_employee"
    )
    revenue_per_employee: float = Field(
        250_000, gt=0, le=1e8, description="Annual revenue per employee, for a firm whose revenue is not given"
    )
    value_share: float = Field(
        0.001,
        gt=0,
        le=1,
        description="Share of annual revenue one value unit a year is worth, at the use-case catalogue of 1,000 "
        "employees (docs/ODD.md, section 7.19)",
    )

    @model_validator(mode="after")
    def teams_fit(self) -> Firm:
        """A team cannot be larger than the firm; the firm's own teams add up to its head count, have unique
        names and a reporting line without cycles; pilots name teams and platforms that exist."""
        if self.team_size > self.employees:
            raise ValueError(
                f"team_size {self.team_size} is larger than employees {self.employees}; it must be at most the "
                "head count"
            )
        if self.teams is not None:
            check_own_teams(self)
        elif self.pilots:
            raise ValueError("pilots need the firm's own teams: give firm.teams, which the pilots name")
        return self

    @model_serializer(mode="wrap")
    def without_absent_teams(self, handler):  # noqa: ANN001, ANN201 (pydantic's serializer protocol)
        """Leave `teams` and `pilots` out of a dump when absent, so a firm without them dumps, digests and
        writes exactly as before they existed."""
        data = handler(self)
        if isinstance(data, dict):
            if data.get("teams") is None:
                data.pop("teams", None)
            if not data.get("pilots"):
                data.pop("pilots", None)
        return data

    @property
    def perceived_threat(self) -> float:
        """The threat employees perceive: the explicit value or the industry's default."""
        return INDUSTRY_THREAT[self.industry] if self.threat is None else self.threat


def check_own_teams(firm: Firm) -> None:
    """The consistency of `firm.teams` and `firm.pilots` (see Firm.teams_fit)."""
    teams = firm.teams or []
    if not teams:
        raise ValueError("teams is empty: list at least one team, or leave teams out to generate them")
    total = sum(team.members for team in teams)
    if total != firm.employees:
        raise ValueError(f"employees is {firm.employees} but the teams' head counts add up to {total}; they must agree")
    if firm.agents is not None and firm.agents < firm.employees:
        raise ValueError("agents (a sample of generated teams) cannot be combined with the firm's own teams")
    names = [team.name for team in teams]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"team names must differ; repeated: {', '.join(repeated)}")
    known = set(names)
    for i, team in enumerate(teams):
        if team.manager is not None and team.manager not in known:
            raise ValueError(f"teams.{i}.manager = {team.manager!r} is not the name of a team in teams")
        if team.platform is not None and team.platform >= firm.platforms:
            raise ValueError(f"teams.{i}.platform = {team.platform}: the firm has platforms 0 to {firm.platforms - 1}")
    manager_of = {team.name: team.manager for team in teams}
    for team in teams:
        seen, current = {team.name}, team.manager
        while current is not None:
            if current in seen:
                raise ValueError(f"the reporting line of team {team.name!r} comes back to {current!r}: it must not")
            seen.add(current)
            current = manager_of[current]
    for i, pilot in enumerate(firm.pilots):
        if pilot.team not in known:
            raise ValueError(f"pilots.{i}.team = {pilot.team!r} is not the name of a team in teams")
        if pilot.platform >= firm.platforms:
            raise ValueError(
                f"pilots.{i}.platform = {pilot.platform}: the firm has platforms 0 to {firm.platforms - 1}"
            )


class Adoption(Strict):
    """Intention (UTAUT) and the adoption hazard (Bass with Granovetter thresholds)."""

    p: float = Field(0.003, ge=0, le=1, description="Bass innovation: weekly hazard of adopting with no peer adopters")
    q: float = Field(0.08, ge=0, le=2, description="Bass imitation: extra weekly hazard when every peer has adopted")
    w_usefulness: float = Field(
        3.0, ge=0, le=20, description="UTAUT performance expectancy: weight of attitude in intention"
    )
    w_ease: float = Field(
        2.5, ge=0, le=20, description="UTAUT effort expectancy: weight of ease of use (skill, low anxiety)"
    )
    w_conditions: float = Field(1.5, ge=0, le=20, description="UTAUT facilitating conditions: weight of infrastructure")
    threshold_spread: float = Field(
        0.3, ge=0, le=1, description="Granovetter: the least innovative need this share of adopting peers"
    )
    team_weight: float = Field(
        0.7, ge=0, le=1, description="Weight of one's own team (vs. ties to other teams) in peer influence"
    )
    cross_team_ties: int = Field(3, ge=0, le=50, description="Ties each employee has to people in other teams")
    lapse: float = Field(0.01, ge=0, le=1, description="Weekly hazard that an adopter with no intention left gives up")
    initial_adopters: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of employees, the most innovative, already using AI by choice at week 0 "
        "(0: the tools are new; 0.12 in mid-2023, the shipped population's week 0)",
    )


class Anxiety(Strict):
    """AI anxiety: pulled up by threat and fear around, pulled down by skill and safety."""

    rate: float = Field(0.05, ge=0, le=1, description="Weekly share of the gap to the anxiety target closed")
    baseline: float = Field(0.15, ge=0, le=1, description="Anxiety with no threat, no skill and no safety")
    spread: float = Field(0.1, ge=0, le=1, description="Spread of initial anxiety around the industry's level")
    threat_weight: float = Field(0.6, ge=0, le=2, description="Weight of the industry's threat perception")
    peer_weight: float = Field(0.25, ge=0, le=0.9, description="Weight of the team's mean anxiety (fear is contagious)")
    automation_weight: float = Field(
        0.4, ge=0, le=2, description="Weight of automation seen in the firm, scaled by threat"
    )
    skill_relief: float = Field(0.35, ge=0, le=2, description="How much AI skill lowers anxiety (self-efficacy)")
    safety_relief: float = Field(0.3, ge=0, le=2, description="How much team psychological safety lowers anxiety")
    exposure: float = Field(
        0.3,
        ge=0,
        le=2,
        description="Anxiety added at full usage without engagement: use shows what AI can do of one's job",
    )


class Usage(Strict):
    """Usage as dashboards see it: committed use plus compliance use under pressure."""

    rate: float = Field(0.15, ge=0, le=1, description="Weekly share of the gap to the usage target closed")
    committed_floor: float = Field(0.3, ge=0, le=1, description="Usage of an adopter with the least intention")
    compliance: float = Field(0.9, ge=0, le=1, description="Usage reached under full pressure")
    fear_of_missing_out: float = Field(0.35, ge=0, le=4, description="Pressure from anxiety as colleagues' usage rises")
    user_threshold: float = Field(0.3, ge=0, le=1, description="Usage above which an employee counts as a regular user")


class Engagement(Strict):
    """Engagement: AI integrated into one's work, grown only by committed use where it is safe to experiment."""

    growth: float = Field(0.15, ge=0, le=1, description="Weekly growth at full committed use, safety and ease")
    decay: float = Field(0.02, ge=0, le=1, description="Weekly decay without committed use")
    engaged_threshold: float = Field(
        0.5, ge=0, le=1, description="Engagement above which an employee counts as an engaged adopter"
    )


class Skill(Strict):
    """AI literacy: grows with engagement (not with usage) and is slowly forgotten."""

    initial: float = Field(0.2, ge=0, le=1, description="Mean AI literacy at the start")
    spread: float = Field(0.22, ge=0, le=1, description="Spread of initial AI literacy across employees")
    learning: float = Field(0.05, ge=0, le=1, description="Weekly growth at full engagement")
    forgetting: float = Field(0.004, ge=0, le=1, description="Weekly loss")


class Attitude(Strict):
    """Perceived usefulness: each employee's prior, moved by experience and by visible wins."""

    initial: float = Field(0.5, ge=0, le=1, description="Mean attitude at the start")
    spread: float = Field(0.17, ge=0, le=1, description="Spread of employees' prior attitudes")
    innovativeness_weight: float = Field(
        0.2, ge=0, le=1, description="How much more positive the most innovative employees start (Rogers)"
    )
    rate: float = Field(0.05, ge=0, le=1, description="Weekly share of the gap to the attitude target closed")
    experience: float = Field(0.3, ge=0, le=2, description="Lift from engaged, useful work with AI")
    frustration: float = Field(0.25, ge=0, le=2, description="Drop from usage one is pressed into without commitment")
    win_lift: float = Field(0.03, ge=0, le=1, description="Lift across the firm from a visible front-office win")
    signal_decay: float = Field(
        0.9,
        ge=0,
        le=1,
        description="Weekly survival of the visibility (attitude) and automation (anxiety) signals",
    )


class Teams(Strict):
    """Team psychological safety (Edmondson 1999)."""

    safety_spread: float = Field(0.12, ge=0, le=0.5, description="Spread of team safety around the firm's culture")
    manager_reference: float = Field(
        0.25, ge=0, le=1, description="Manager engagement at which role modelling neither adds nor removes safety"
    )
    manager_modelling: float = Field(
        0.2, ge=0, le=1, description="Safety gained when the team's manager is engaged with AI"
    )
    blame: float = Field(
        0.15, ge=0, le=1, description="Safety lost when a pilot is abandoned in a blame culture (1 - culture)"
    )
    recovery: float = Field(0.05, ge=0, le=1, description="Weekly share of the gap to the team's base safety closed")


class Pilots(Strict):
    """The pilot funnel: proposals, stage hazards, stalls, duplicates, scaling and learning."""

    intake: float = Field(0.02, ge=0, le=1, description="Weekly proposals per team at full enthusiasm")
    proposal_elasticity: float = Field(
        1.0, ge=0, le=1, description="Growth of a firm's proposals with head count: 1 in proportion, 0.5 as its root"
    )
    use_cases: int = Field(
        12, ge=1, le=1000, description="Distinct use cases of each kind at 1,000 employees (grows with its square root)"
    )
    duplicate_detection: float = Field(
        0.8, ge=0, le=1, description="Chance governance merges a duplicate proposal at full governance"
    )
    front_value: float = Field(1.0, ge=0, le=100, description="Median yearly value of a front-office use case")
    back_value: float = Field(3.0, ge=0, le=100, description="Median yearly value of a back-office use case")
    front_depth: float = Field(0.3, ge=0, le=1, description="Integration depth a front-office use case needs")
    back_depth: float = Field(0.7, ge=0, le=1, description="Integration depth a back-office use case needs")
    back_office_own: float = Field(
        0.3, ge=0, le=1, description="Chance a back-office team picks back-office work with no strategic direction"
    )
    back_office_front: float = Field(
        0.05, ge=0, le=1, description="Chance a front-office team picks back-office work with no strategic direction"
    )
    value_spread: float = Field(0.3, ge=0, le=3, description="Log-normal spread of use-case values around their mean")
    depth_spread: float = Field(0.1, ge=0, le=1, description="Spread of integration depth around its mean")
    back_office_bias: float = Field(
        0.6, ge=0, le=1, description="Extra chance, at full alignment, of picking back-office work"
    )
    advance: tuple[Hazard, Hazard, Hazard, Hazard] = Field(
        (0.3, 0.15, 0.15, 0.1),
        description="Weekly hazards idea>POC, POC>pilot, pilot>production, production>scaled at full readiness",
    )
    stall: float = Field(0.05, ge=0, le=1, description="Weekly hazard of stalling at zero readiness")
    resume: float = Field(0.05, ge=0, le=1, description="Weekly hazard a stalled pilot resumes at full readiness")
    abandon_after: int = Field(20, ge=1, le=520, description="Weeks stalled before a pilot is abandoned")
    base_readiness: float = Field(
        0.35, ge=0, le=1, description="Readiness from a team's enthusiasm alone, with nobody engaged"
    )
    engagement_need: float = Field(0.35, ge=0.01, le=1, description="Owning-team engagement giving full readiness")
    fit_sharpness: float = Field(
        8.0, ge=0, le=50, description="How sharply infrastructure below a use case's depth blocks it"
    )
    sponsorship: float = Field(0.4, ge=0, le=1, description="Readiness lost by a pilot with no strategic sponsor")
    size_drag: float = Field(0.3, ge=0, le=5, description="Slow-down per tenfold head count above 100")
    scale_integration: float = Field(
        0.01, ge=0, le=1, description="Integration depth scaling adds per tenfold number of teams a use case must reach"
    )
    bought_small: float = Field(
        0.76, ge=0, le=1, description="Share of use cases a firm of 100 or fewer employees buys off the shelf"
    )
    bought_large: float = Field(
        0.4, ge=0, le=1, description="Share of use cases a firm of 100,000 or more employees buys off the shelf"
    )
    bought_advantage: float = Field(
        2.0, ge=1, le=10, description="Hazards past the proof of concept of a bought tool, as a multiple of a build's"
    )
    interop_penalty: float = Field(0.7, ge=0, le=1, description="Scaling hazard lost off the shared platform")
    learning_gain: float = Field(
        1.0,
        ge=0,
        le=10,
        description="Slope of the learning multiplier 1 + gain * known * (0.5 + mean skill)",
    )
    knowledge_half: float = Field(
        5.0, gt=0, le=1000, description="Lessons learned at which half the learning gain is reached"
    )
    production_share: float = Field(
        0.2, ge=0, le=1, description="Share of its value a pilot delivers in production, before scaling"
    )
    failure_lessons: float = Field(
        0.5, ge=0, le=1, description="Lessons from an abandoned pilot at full culture (a success gives 1)"
    )


class Effects(Strict):
    """How strongly each intervention kind acts at full intensity (see sim/interventions.py)."""

    training: float = Field(0.015, ge=0, le=1, description="Weekly share of the skill gap closed by training")
    reassurance: float = Field(0.6, ge=0, le=1, description="Share of perceived threat removed by reassurance")
    safety_programme: float = Field(
        0.015, ge=0, le=1, description="Weekly share of the gap to full base safety closed by the managers' programme"
    )
    mandate: float = Field(0.8, ge=0, le=1, description="Usage pressure added by a monitored mandate")
    sponsorship: float = Field(0.8, ge=0, le=1, description="Share of the direction gap closed by sponsors")
    infrastructure_weeks: float = Field(
        40.0, ge=1, le=520, description="Weeks of investment to close about 63% of the gap to full integration"
    )
    consolidation: float = Field(0.08, ge=0, le=1, description="Weekly chance a team moves to the shared platform")
    coe_merge: float = Field(0.15, ge=0, le=1, description="Weekly chance the centre merges a live duplicate")
    coe_alignment: float = Field(0.08, ge=0, le=1, description="Weekly chance it ties an unaligned pilot to strategy")
    coe_back_office: float = Field(0.4, ge=0, le=1, description="Extra chance new proposals pick back-office work")
    champions_influence: float = Field(
        0.25, ge=0, le=1, description="Share of non-adopting peers champions stand in for"
    )
    champions_support: float = Field(0.2, ge=0, le=1, description="Psychological safety added where champions help")


class Params(Strict):
    """Model parameters, grouped by the rule that uses them."""

    adoption: Adoption = Field(default_factory=Adoption)
    anxiety: Anxiety = Field(default_factory=Anxiety)
    usage: Usage = Field(default_factory=Usage)
    engagement: Engagement = Field(default_factory=Engagement)
    skill: Skill = Field(default_factory=Skill)
    attitude: Attitude = Field(default_factory=Attitude)
    teams: Teams = Field(default_factory=Teams)
    pilots: Pilots = Field(default_factory=Pilots)
    effects: Effects = Field(default_factory=Effects)


class Band(Strict):
    """Firms of one revenue band in a population."""

    share: float = Field(ge=0, le=1, description="Share of the population's firms in this band")
    employees: tuple[Annotated[int, Field(ge=10, le=200_000)], Annotated[int, Field(ge=10, le=200_000)]] = Field(
        description="Head-count range, drawn log-uniformly"
    )
    infrastructure_shift: float = Field(
        0.0, ge=-1, le=1, description="Added to mean infrastructure: larger firms have more resources to integrate"
    )


class LeverDistribution(Strict):
    """How one foundation lever varies across a population's firms (a normal clipped to [0, 1])."""

    mean: float = Field(ge=0, le=1, description="Mean across firms")
    spread: float = Field(ge=0, le=1, description="Standard deviation across firms")


def default_bands() -> dict[str, Band]:
    """Revenue bands of survey respondents' firms (assumed shares; real head counts, at about $250,000 of
    revenue per employee)."""
    return {
        "under-100m": Band(share=0.35, employees=(20, 400), infrastructure_shift=-0.1),
        "100m-1b": Band(share=0.30, employees=(400, 4000), infrastructure_shift=0.0),
        "1b-5b": Band(share=0.20, employees=(4000, 20000), infrastructure_shift=0.05),
        "over-5b": Band(share=0.15, employees=(20000, 150000), infrastructure_shift=0.1),
    }


def default_industries() -> dict[str, float]:
    """Industry mix of the population (weights, normalised when drawn)."""
    return {
        "technology": 0.15,
        "financial-services": 0.15,
        "professional-services": 0.12,
        "manufacturing": 0.14,
        "healthcare": 0.10,
        "retail": 0.12,
        "media": 0.06,
        "public-sector": 0.08,
        "general": 0.08,
    }


class Population(Strict):
    """A population of organisations drawn across revenue bands and industries, with varying levers.
    Fields of `firm` not drawn here (team size, functions, mandate) apply to every firm."""

    firms: int = Field(100, ge=1, le=5000, description="Number of firms drawn")
    bands: dict[RevenueBand, Band] = Field(default_factory=default_bands, description="Revenue bands")
    industries: dict[Industry, Annotated[float, Field(ge=0)]] = Field(
        default_factory=default_industries, description="Industry weights"
    )
    infrastructure: LeverDistribution = Field(
        default_factory=lambda: LeverDistribution(mean=0.35, spread=0.2), description="Infrastructure across firms"
    )
    alignment: LeverDistribution = Field(
        default_factory=lambda: LeverDistribution(mean=0.35, spread=0.2), description="Alignment across firms"
    )
    culture: LeverDistribution = Field(
        default_factory=lambda: LeverDistribution(mean=0.4, spread=0.2), description="Culture across firms"
    )
    lever_correlation: float = Field(
        0.5, ge=0, le=1, description="Correlation of the three levers within a firm (foundations come together)"
    )
    platforms: tuple[Annotated[int, Field(ge=1, le=20)], Annotated[int, Field(ge=1, le=20)]] = Field(
        (1, 6), description="Range of AI platforms per firm, drawn uniformly"
    )
    agents_per_firm: int | None = Field(
        1200,
        ge=12,
        le=200_000,
        description="Most employees simulated per firm; a larger firm is sampled by whole teams (firm.agents)",
    )

    @model_validator(mode="after")
    def shares_sum_to_one(self) -> Population:
        """Band shares must add up to 1 and industry weights must not all be zero."""
        total = sum(band.share for band in self.bands.values())
        if abs(total - 1) > 1e-6:
            raise ValueError(f"band shares add up to {total:g}; they must add up to 1")
        if sum(self.industries.values()) <= 0:
            raise ValueError("industry weights must not all be zero")
        reversed_bands = [
            f"{name} [{low}, {high}]"
            for name, band in self.bands.items()
            for low, high in [band.employees]
            if low > high
        ]
        if reversed_bands:
            raise ValueError(f"bands' head counts must be [smallest, largest]; reversed: {', '.join(reversed_bands)}")
        return self


class Survey(Strict):
    """How model state answers the survey questions the model is calibrated against (docs/ODD.md, Calibration)."""

    regular_use_share: float = Field(
        0.5, ge=0, le=1, description="Regular users a function needs for the firm to 'regularly use AI' in it"
    )
    scaling_pilots: int = Field(
        1, ge=1, le=1000, description="Scaled pilots a 'scaling' 1,000-employee firm has; scales with use cases"
    )
    full_scale_pilots: int = Field(
        3, ge=1, le=1000, description="Scaled pilots a 'fully scaled' 1,000-employee firm has; scales with use cases"
    )
    full_scale_engagement: float = Field(
        0.4, ge=0, le=1, description="Engaged share of employees a 'fully scaled' firm has at least"
    )
    ebit_threshold: float = Field(
        1.0,
        ge=0,
        le=1000,
        description="Yearly value run-rate of live pilots that counts as 'EBIT impact' at 1,000 employees; "
        "scales with use cases",
    )
    poc_window: int = Field(
        52, ge=1, le=1040, description="Weeks a proof of concept must have had to count in the POC outcomes"
    )


InterventionKind = Literal[
    "training",
    "reassurance",
    "safety-programme",
    "mandate",
    "sponsorship",
    "infrastructure",
    "consolidation",
    "centre-of-excellence",
    "champions",
]
TriggerMetric = Literal[
    "usage_rate", "engagement_rate", "adopted_share", "mean_anxiety", "mean_attitude", "mean_skill", "mean_team_safety"
]


class Target(Strict):
    """Who an intervention reaches: all teams by default, or only some functions or team numbers."""

    functions: list[Literal["front-office", "back-office"]] | None = Field(
        None, description="Only teams of these functions; empty means every function"
    )
    teams: list[Annotated[int, Field(ge=0)]] | None = Field(
        None, description="Only these teams (numbered from 0 within the model); empty means every team"
    )


class Trigger(Strict):
    """A condition on a firm's weekly figures that starts an intervention (at the earliest at `start`)."""

    metric: TriggerMetric = Field(description="The weekly figure watched")
    above: float | None = Field(None, description="Start once the figure exceeds this")
    below: float | None = Field(None, description="Start once the figure falls below this")

    @model_validator(mode="after")
    def one_threshold(self) -> Trigger:
        """Exactly one of above and below."""
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above or below")
        return self


class Intervention(Strict):
    """A change the firm makes: what, when, for whom, how strong and at what cost."""

    kind: InterventionKind = Field(description="What is done (see docs/ODD.md, Interventions)")
    name: str = Field("", description="Label for outputs; defaults to the kind")
    start: int = Field(1, ge=1, le=1040, description="First week it may act")
    end: int | None = Field(None, ge=1, le=1040, description="Last week it acts; empty means the horizon")
    duration: int | None = Field(None, ge=1, le=1040, description="Weeks it acts once started (instead of end)")
    target: Target = Field(default_factory=Target, description="Who it reaches")
    intensity: float = Field(0.5, ge=0, le=1, description="How strong it is, 0 to 1")
    cost: float = Field(0.0, ge=0, le=1e9, description="Total cost, spread evenly over the weeks it acts")
    trigger: Trigger | None = Field(None, description="Start only once this condition holds")

    @model_validator(mode="after")
    def consistent_timing(self) -> Intervention:
        """End after start, and not both end and duration."""
        if self.end is not None and self.duration is not None:
            raise ValueError("give end or duration, not both")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end (week {self.end}) must not come before start (week {self.start})")
        return self

    @property
    def label(self) -> str:
        """The name, or the kind when unnamed."""
        return self.name or self.kind


class Scenario(Strict):
    """One organisation over a horizon of weeks, with the model's parameters."""

    name: str = Field("scenario", min_length=1, description="Scenario name, used in outputs")
    description: str = Field("", description="What this scenario represents, in a sentence or two")
    weeks: int = Field(104, ge=1, le=1040, description="Horizon in weeks (one step is one week)")
    firm: Firm = Field(default_factory=Firm, description="The organisation")
    params: Params = Field(default_factory=Params, description="Model parameters")
    interventions: list[Intervention] = Field(default_factory=list, description="Changes the firm makes, on a timeline")
    survey: Survey = Field(default_factory=Survey, description="How model state maps onto survey questions")
    population: Population | None = Field(
        None, description="Draw a population of firms like `firm` instead of running `firm` alone"
    )

    @model_validator(mode="after")
    def own_teams_alone(self) -> Scenario:
        """A firm's own teams and pilots describe one firm: a population draws its firms' sizes instead."""
        if self.population is not None and (self.firm.teams is not None or self.firm.pilots):
            raise ValueError("firm.teams and firm.pilots describe one firm; they cannot be combined with population")
        return self


def json_schema() -> dict:
    """The scenario schema as JSON Schema, for editors and other tools."""
    return Scenario.model_json_schema()
