"""A run's page: status, counts per stage and per task, the run log (API layer, console).

    GET /console/flows/{name}/runs/{execution_id}          the page
    GET /console/flows/{name}/runs/{execution_id}/_live    its body, polled by htmx while the run goes

The counts are `sluiceRunDetails` and the log is the run's stored events, read through the same
service methods as the signed /sluice/v1 run resources (`Executions.run`, `run_events`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sluice.api.console.pages import Console, User
from sluice.service.flows import RUNNING

MAX_EVENTS = 1000  # a run stores at most its first 500 and newest 500 events


def routes(console: Console) -> list[BaseRoute]:
    """The run page routes."""
    executions = console.services.executions

    async def details(user: User, name: str, execution_id: str) -> dict[str, Any]:
        run = await console.call(user, executions.run, name, execution_id)
        log = await console.call(user, executions.run_events, name, execution_id, 0, MAX_EVENTS)
        return {"run": run, "events": log["events"], "running": run["executionStatus"] in RUNNING,
                "flow_name": name, "section": "flows"}

    async def run_page(request: Request, user: User) -> Response:
        params = request.path_params
        return console.render(request, "runs/page.html", await details(user, params["name"], params["execution_id"]))

    async def run_live(request: Request, user: User) -> Response:
        params = request.path_params
        return console.render(request, "runs/_body.html", await details(user, params["name"], params["execution_id"]))

    return [
        Route("/console/flows/{name}/runs/{execution_id}", console.page(run_page), methods=["GET"]),
        Route("/console/flows/{name}/runs/{execution_id}/_live", console.fragment(run_live), methods=["GET"]),
    ]
