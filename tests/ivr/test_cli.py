"""`callcenter flows check | simulate | coverage | schema` as an admin runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter.ivr.catalog import FlowCatalog
from callcenter.ivr.coverage import load_cases, run_cases
from callcenter.ivr.schema import SCHEMA_FILE, flow_schema_text

ROOT = Path(__file__).parents[2]
FLOWS = ROOT / "ivr_flows"
CASES = sorted((FLOWS / "cases").glob("*.yaml"))


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callcenter", "flows", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


def test_check_passes_the_shipped_flows_against_the_known_queues() -> None:
    run = cli("check", "ivr_flows", CALLCENTER_IVR__QUEUES='["support", "sales"]')
    assert (run.returncode, run.stdout) == (0, "")


def test_check_prints_one_line_per_problem_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\nentry: start\nnodes:\n  start:\n    type: queue\n    queue: billing\n    timeout: nowhere\n"
    )
    run = cli("check", str(bad), str(FLOWS / "main-menu.yaml"), "--queue", "support", "--queue", "sales")
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        f"{bad}:6:12: node 'start': unknown queue 'billing' (sales, support)",
        f"{bad}:7:14: node 'start': timeout goes to unknown node 'nowhere'",
    ]


def test_check_reports_a_missing_file() -> None:
    run = cli("check", "no-such-flow.yaml")
    assert (run.returncode, run.stdout) == (1, "no-such-flow.yaml:1:1: no such file or directory\n")


def test_simulate_json_shows_path_prompts_variables_and_outcome(tmp_path: Path) -> None:
    customers = tmp_path / "customers.yaml"
    customers.write_text('- {id: 2, name: Bob, phone: "+15551230002", account: "5678", segment: standard}\n')
    run = cli(
        "simulate", "main-menu", "--caller", "+15559990000", "--digits", "5678#,2",
        "--time", "2026-11-24T10:00:00-05:00", "--customers", str(customers), "--json",
        CALLCENTER_IVR__FLOWS_DIR=str(FLOWS),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["path"] == [
        "hours", "identify", "identification/by-number", "identification/ask-account",
        "identification/by-account", "identification/known", "identification/done", "route", "menu", "sales",
    ]  # fmt: skip
    # the sales queue announces the position, but without QUEUE_WAITING_COUNT there is nothing to say
    assert result["prompts"] == ["agent-pass", "vm-options"]
    assert result["variables"] == {"account": "5678", "identified": "yes", "customer_id": "2"}
    assert result["outcome"] == {"action": "queue", "queue": "sales", "priority": 0, "timeout_s": 300}


def test_simulate_text_of_a_closed_day_from_a_file() -> None:
    run = cli("simulate", "ivr_flows/main-menu.yaml", "--digits", "1", "--time", "2026-12-25T15:00:00+00:00")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "path:      hours > closed > closed-options > message",
        "prompts:   custom/closed, custom/opening-hours, custom/closed-options",
        "inputs:    closed-options menu=1 (ok)",
        "variables: none",
        "outcome:   voicemail mailbox=5000@support",
    ]


def test_coverage_command_reports_what_was_never_exercised(tmp_path: Path) -> None:
    cases = tmp_path / "few.yaml"
    cases.write_text(
        "flow: post-call-survey\ncases:\n"
        "  - {name: happy, time: '2026-11-24T15:00:00Z', digits: '5,5', expect: {low_survey: true}}\n"
    )
    run = cli("coverage", "post-call-survey", "--cases", str(cases), CALLCENTER_IVR__FLOWS_DIR=str(FLOWS))
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        "post-call-survey: 3/3 items exercised by 1 cases",
        "  case 'happy': low survey score flagged: False, expected True",
    ]
    run = cli("coverage", "ivr_flows/identification.yaml", "--cases", str(FLOWS / "cases" / "identification.yaml"))
    assert (run.returncode, run.stdout) == (0, "identification: 9/9 items exercised by 5 cases\n")


async def test_coverage_names_missing_nodes_options_timeouts_and_invalid_paths(tmp_path: Path) -> None:
    cases = tmp_path / "one.yaml"
    cases.write_text(
        "flow: main-menu\ncases:\n  - {name: sales, caller: '+15550000001', time: '2026-11-24T15:00:00Z', "
        "digits: '1234#,2'}\n"
    )
    report = await run_cases(FlowCatalog.from_directory(FLOWS), load_cases(cases))
    assert "node sales" in report.seen
    assert report.missing == [
        "node closed", "node closed-options", "closed-options option 1", "closed-options option 2",
        "closed-options no input", "closed-options invalid input", "node message", "node callback", "node vip",
        "menu option 1", "menu option 3", "menu option 0", "menu no input", "menu invalid input",
        "node support", "node operator", "node goodbye",
    ]  # fmt: skip


@pytest.mark.parametrize("cases", CASES, ids=[p.stem for p in CASES])
async def test_every_shipped_flow_is_fully_covered_by_its_cases(cases: Path) -> None:
    case_file = load_cases(cases)
    report = await run_cases(FlowCatalog.from_directory(FLOWS), case_file)
    assert report.missing == []
    assert report.failures == {}


def test_every_shipped_flow_has_cases() -> None:
    flows = {p.stem for p in FLOWS.glob("*.yaml")}
    assert flows == {p.stem for p in CASES}


def test_shipped_schema_is_current() -> None:
    assert (FLOWS / SCHEMA_FILE).read_text() == flow_schema_text(), "run: callcenter flows schema"


def test_schema_command_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    run = cli("schema", "--output", str(target))
    assert run.returncode == 0
    schema = json.loads(target.read_text())
    assert schema["required"] == ["name", "entry", "nodes"]
    assert "menu" in json.dumps(schema["$defs"]["MenuNode"])
