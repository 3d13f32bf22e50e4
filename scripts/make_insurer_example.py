"""Make the synthetic insurer of examples/insurer/: teams.csv, pulse.csv, pilots.csv and, imported from them,
insurer.yaml. Everything is made up (no real firm, person or answer), from one seed, so the same seed gives the
same bytes:

    .venv/bin/python scripts/make_insurer_example.py            # seed 2026, into examples/insurer/
    .venv/bin/python scripts/make_insurer_example.py --seed 7 --out /tmp/other-insurer

The firm: about 4,000 employees in eleven divisions (claims, underwriting, policy administration, finance,
IT, HR, risk, sales, customer service, marketing, broker relations), each a leadership team over teams of 3
to 35, under an executive office. Each team has true means of attitude, anxiety, skill, usage and safety
(divisions differ: claims and policy administration fear automation more, IT is more skilled and uses AI
more); about 60% of each team answer a pulse survey whose items are those of sim/orgdata.py, with answer
noise, 3% of answers left blank and 1% of respondents skipping a whole block. Forty-four pilots are at every
stage of the funnel, on the shared platform or three others.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.orgdata import ITEMS, organisation  # noqa: E402

DIVISIONS = (  # name, function, head count of its teams, shifts of attitude, anxiety, skill, usage, safety
    ("Claims", "back office", 1000, (0.00, 0.08, -0.03, 0.00, -0.03)),
    ("Underwriting", "back office", 450, (0.03, 0.04, 0.03, 0.03, 0.02)),
    ("Policy administration", "back office", 400, (-0.05, 0.10, -0.05, -0.05, -0.05)),
    ("Finance", "back office", 200, (0.02, 0.02, 0.03, 0.02, 0.02)),
    ("IT", "back office", 450, (0.10, -0.10, 0.18, 0.20, 0.05)),
    ("HR", "back office", 120, (0.00, 0.00, -0.02, -0.02, 0.08)),
    ("Risk and compliance", "back office", 150, (-0.08, 0.00, 0.02, -0.05, 0.00)),
    ("Sales", "front office", 450, (0.05, -0.02, 0.00, 0.05, 0.00)),
    ("Customer service", "front office", 600, (0.00, 0.06, -0.04, 0.02, -0.06)),
    ("Marketing", "front office", 120, (0.08, -0.03, 0.06, 0.10, 0.05)),
    ("Broker relations", "front office", 150, (0.02, 0.00, -0.02, 0.00, 0.02)),
)
FIRM_MEANS = (0.55, 0.45, 0.30, 0.22, 0.55)
"""True firm means of attitude, anxiety, skill, usage and safety (on 0-1)."""
TEAM_SPREAD = (0.07, 0.07, 0.06, 0.07, 0.09)
"""Spread of true team means around their division's."""
PERSON_SPREAD = 0.15
ANSWER_NOISE = 0.12
STAGE_COUNTS = {"idea": 8, "proof of concept": 15, "pilot": 9, "production": 9, "scaled": 3}
AGES = {"idea": (0, 8), "proof of concept": (4, 30), "pilot": (15, 50), "production": (30, 80), "scaled": (50, 110)}
PLATFORMS = ("shared", "vendor assistant", "vendor claims AI", "in-house Python")
PLATFORM_SHARES = (0.55, 0.2, 0.15, 0.1)
USE_CASES = {
    "back office": ("claims triage", "document extraction", "fraud flags", "reconciliation", "code assistant"),
    "front office": ("quote assistant", "call summaries", "next best offer", "broker email drafts", "chat assistant"),
}


def team_sizes(total: int, rng: np.random.Generator) -> list[int]:
    """Team sizes adding up to `total`: log-normal around 11, from 3 to 35, the remainder in the last team."""
    sizes: list[int] = []
    while total - sum(sizes) > 35:
        sizes.append(int(np.clip(round(rng.lognormal(np.log(11), 0.45)), 3, 35)))
    rest = total - sum(sizes)
    if rest >= 3 or not sizes:
        sizes.append(rest)
    else:
        sizes[-1] += rest
    return sizes


def csv_text(header: list[str], rows: list[list[object]]) -> str:
    """CSV with a header and Unix line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def make(seed: int) -> tuple[str, str, str]:
    """The three CSV files' text."""
    rng = np.random.default_rng(seed)
    teams: list[list[object]] = [["Executive office", "back office", 9, ""]]
    truth: dict[str, np.ndarray] = {"Executive office": np.array(FIRM_MEANS)}
    functions = {"Executive office": "back office"}
    for division, function, total, shift in DIVISIONS:
        lead = f"{division} leadership"
        teams.append([lead, function, 6, "Executive office"])
        division_means = np.array(FIRM_MEANS) + np.array(shift)
        truth[lead] = division_means
        functions[lead] = function
        for k, size in enumerate(team_sizes(total, rng), start=1):
            name = f"{division} {k:02d}"
            teams.append([name, function, size, lead])
            truth[name] = np.clip(division_means + rng.normal(0, TEAM_SPREAD), 0.02, 0.98)
            functions[name] = function
    survey: list[list[object]] = []
    for name, _, members, _ in teams:
        rate = rng.beta(6, 4)
        for _ in range(rng.binomial(int(members), rate)):
            person = np.clip(truth[name] + rng.normal(0, PERSON_SPREAD, 5), 0, 1)
            answers: list[object] = []
            skipped = rng.integers(5) if rng.random() < 0.01 else -1
            for item in ITEMS:
                scale = ("attitude", "anxiety", "skill", "usage", "safety").index(item.scale)
                noise = ANSWER_NOISE if item.scale != "usage" else 2 * ANSWER_NOISE
                value = int(np.clip(round(1 + 4 * (person[scale] + rng.normal(0, noise))), 1, 5))
                value = 6 - value if item.reverse else value
                missing = scale == skipped or rng.random() < 0.03
                answers.append("" if missing else value)
            survey.append([f"R{len(survey) + 1:05d}", name, *answers])
    working = [row for row in teams if " leadership" not in str(row[0]) and row[0] != "Executive office"]
    weights = np.array([3.0 if str(r[0]).startswith(("IT", "Claims", "Customer service")) else 1.0 for r in working])
    pilots: list[list[object]] = []
    for stage, count in STAGE_COUNTS.items():
        for _ in range(count):
            team = working[rng.choice(len(working), p=weights / weights.sum())]
            function = str(team[1])
            own = rng.random() < 0.7
            kind = function if own else ("front office" if function == "back office" else "back office")
            use_case = USE_CASES[kind][rng.integers(len(USE_CASES[kind]))]
            platform = PLATFORMS[rng.choice(len(PLATFORMS), p=PLATFORM_SHARES)]
            low, high = AGES[stage]
            pilots.append([f"{use_case} ({team[0]})", team[0], kind, platform, stage, int(rng.integers(low, high + 1))])
    return (
        csv_text(["team", "function", "head_count", "manager_team"], teams),
        csv_text(["respondent", "team", *(item.column for item in ITEMS)], survey),
        csv_text(["pilot", "team", "kind", "platform", "stage", "age_weeks"], pilots),
    )


def main() -> None:
    """Write the files (replacing earlier ones) and import them into insurer.yaml."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026, the shipped files)")
    parser.add_argument("--out", type=Path, default=ROOT / "examples" / "insurer", help="Folder to write into")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    paths = [args.out / name for name in ("teams.csv", "pulse.csv", "pilots.csv")]
    for path, text in zip(paths, make(args.seed), strict=True):
        path.write_text(text, encoding="utf-8")
    imported = organisation(*paths, name="Synthetic Insurer", industry="financial-services")
    (args.out / "insurer.yaml").write_text(imported.text(paths), encoding="utf-8")
    firm = imported.scenario.firm
    print(
        f"{args.out}: {len(firm.teams or [])} teams, {firm.employees} employees, {imported.survey.respondents} "
        f"respondents, {len(firm.pilots)} pilots"
    )


if __name__ == "__main__":
    main()
