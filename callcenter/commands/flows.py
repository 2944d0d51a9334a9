"""`callcenter flows ...`: check, simulate, measure coverage of and describe IVR flows."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import typer
from pydantic import ValidationError
from ruamel.yaml import YAML

from callcenter.config import Settings
from callcenter.db import create_engine, create_sessionmaker
from callcenter.ivr.catalog import FlowCatalog, InvalidFlow
from callcenter.ivr.coverage import load_cases, run_cases
from callcenter.ivr.schema import flow_schema_text
from callcenter.ivr.services import CustomerDirectory
from callcenter.ivr.simulate import QUEUE_RESULTS, Simulation, parse_digits, simulate
from callcenter.ivr.validate import CheckOptions, check_paths
from callcenter.wiring.ivr_customers import RepositoryCustomers

app = typer.Typer(help="IVR flows: check, simulate, coverage, JSON schema.", no_args_is_help=True)


def _options(queues: list[str] | None, sounds: Path | None) -> CheckOptions:
    settings = Settings().ivr
    known = queues if queues else settings.queues
    return CheckOptions(
        queues=frozenset(known) if known else None,
        sounds_dir=sounds if sounds is not None else settings.sounds_dir,
    )


@app.command()
def check(
    paths: list[Path] = typer.Argument(None, help="Flow files or directories (default: the flows directory)."),
    queue: list[str] = typer.Option(None, "--queue", help="A known queue (repeat); default CALLCENTER_IVR__QUEUES."),
    sounds: Path | None = typer.Option(None, help="Asterisk sounds directory: every prompt must exist in it."),
) -> None:
    """Check flows; print `file:line:col: message` per problem and exit 1 if there is any."""
    targets = paths or [Settings().ivr.flows_dir]
    missing = [p for p in targets if not p.exists()]
    if missing:
        for path in missing:
            typer.echo(f"{path}:1:1: no such file or directory")
        raise typer.Exit(1)
    options = _options(queue, sounds)
    if options.sounds_dir is not None and not options.sounds_dir.is_dir():
        typer.echo(f"{options.sounds_dir}: the sounds directory does not exist", err=True)
        raise typer.Exit(2)
    problems = check_paths(targets, options)
    for problem in problems:
        typer.echo(str(problem))
    raise typer.Exit(1 if problems else 0)


def _catalog_for(flow: str) -> tuple[FlowCatalog, str]:
    """The catalog to run ``flow`` from: the file's directory when given a path, else the flows directory."""
    path = Path(flow)
    directory, name = (path.parent, path.stem) if path.suffix in (".yaml", ".yml") else (Settings().ivr.flows_dir, flow)
    try:
        return FlowCatalog.from_directory(directory, _options(None, None)), name
    except InvalidFlow as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None


def _load_customers(path: Path | None) -> list[dict]:
    if path is None:
        return []
    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    customers = data.get("customers", data) if isinstance(data, dict) else data
    if not isinstance(customers, list):
        raise typer.BadParameter("expected a list of customers", param_hint="--customers")
    return customers


def _print_simulation(result: Simulation) -> None:
    typer.echo("path:      " + " > ".join(result.path))
    typer.echo("prompts:   " + ", ".join(result.prompts))
    inputs = [
        f"{i['node']} {i['kind']}={i['value'] if i['value'] is not None else '-'} ({i['result']})"
        for i in result.inputs
    ]
    typer.echo("inputs:    " + ("; ".join(inputs) or "none"))
    typer.echo("variables: " + (", ".join(f"{k}={v}" for k, v in result.variables.items()) or "none"))
    outcome = result.outcome.as_dict()
    action = outcome.pop("action")
    typer.echo("outcome:   " + " ".join([action, *(f"{k}={v}" for k, v in outcome.items())]))


@app.command("simulate")
def simulate_command(
    flow: str = typer.Argument(..., help="Flow name, or a flow file (its directory supplies subflows)."),
    caller: str = typer.Option("+15550100100", help="Caller number."),
    digits: str = typer.Option(
        "", help='Keys per prompt, comma separated: "1,4321#"; empty entry = silence, h = hang up.'
    ),
    time: str | None = typer.Option(None, help="Instant of the call, ISO 8601 (default: now)."),
    customers: Path | None = typer.Option(None, help="YAML/JSON list of fixture customers for lookups."),
    database: str | None = typer.Option(
        None, help="Look customers up in this repository (SQLAlchemy URL, e.g. $CALLCENTER_DATABASE_URL)."
    ),
    queue_result: list[str] = typer.Option(
        None, "--queue-result", help=f"How the caller leaves each queue: {', '.join(QUEUE_RESULTS)} (repeat)."
    ),
    var: list[str] = typer.Option(None, "--var", help="Channel variable NAME=VALUE, e.g. QUEUEHOLDTIME=700."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Run a flow offline with scripted keys and print what the call would do."""
    catalog, name = _catalog_for(flow)
    try:
        at = dt.datetime.fromisoformat(time) if time else dt.datetime.now(dt.UTC)
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 time: {time}", param_hint="--time") from None
    channel = dict(item.split("=", 1) for item in (var or []) if "=" in item)
    if catalog.get(name) is None:
        typer.echo(f"no flow named '{name}'", err=True)
        raise typer.Exit(1)
    if customers is not None and database:
        raise typer.BadParameter("give --customers or --database, not both", param_hint="--database")

    async def run() -> Simulation:
        directory: CustomerDirectory | list[dict] = _load_customers(customers)
        engine = create_engine(database) if database else None
        if engine is not None:
            directory = RepositoryCustomers(create_sessionmaker(engine), default_region=Settings().default_region)
        try:
            return await simulate(
                catalog,
                name,
                caller=caller,
                digits=parse_digits(digits),
                at=at,
                customers=directory,
                queue_results=queue_result or [],
                channel_variables=channel,
            )
        finally:
            if engine is not None:
                await engine.dispose()

    result = asyncio.run(run())
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        _print_simulation(result)


@app.command()
def coverage(
    flow: str = typer.Argument(..., help="Flow name or file."),
    cases: Path = typer.Option(..., help="Cases file (YAML)."),
) -> None:
    """Run a flow's simulation cases; report what they never exercised and failed expectations."""
    catalog, name = _catalog_for(flow)
    try:
        case_file = load_cases(cases)
    except (OSError, ValidationError, ValueError) as error:
        typer.echo(f"{cases}: {error}", err=True)
        raise typer.Exit(1) from None
    if case_file.flow != name:
        typer.echo(f"{cases}: the cases are for flow '{case_file.flow}', not '{name}'", err=True)
        raise typer.Exit(1)
    report = asyncio.run(run_cases(catalog, case_file))
    covered = len(report.items) - len(report.missing)
    typer.echo(f"{report.flow}: {covered}/{len(report.items)} items exercised by {len(case_file.cases)} cases")
    for item in report.missing:
        typer.echo(f"  never exercised: {item}")
    for case, problems in report.failures.items():
        for problem in problems:
            typer.echo(f"  case '{case}': {problem}")
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def schema(
    output: Path | None = typer.Option(
        None, help="Where to write it (default: <flows dir>/ivr-flow.schema.json; - for stdout)."
    ),
) -> None:
    """Write the JSON Schema of flow files, for editors to complete and check them."""
    text = flow_schema_text()
    if output is not None and str(output) == "-":
        typer.echo(text, nl=False)
        return
    target = output or Settings().ivr.flows_dir / "ivr-flow.schema.json"
    target.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {target}")
