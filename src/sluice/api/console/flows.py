"""The flows list and a flow's page, with Start / Stop / Cancel run (API layer, console).

    GET  /console/flows                      the list (search and filters in the query string)
    GET  /console/flows/_rows                the list's rows, for htmx as the search changes
    GET  /console/flows/{name}               configuration, tasks, tags, run history
    GET  /console/flows/{name}/_history      the run history and live progress, polled while a run goes
    POST /console/flows/{name}/start         StartFlow
    POST /console/flows/{name}/stop          StopFlow
    POST /console/flows/{name}/cancel        CancelFlowExecutions (every run in progress)

Flow names never start with `_` (AppFlow's pattern), so `_rows` and `_history` cannot clash
with a flow. Every read and action goes through the service methods the AppFlow API uses.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sluice.api.console.pages import Console, User, urlpart
from sluice.service.flow_overviews import FLOW_STATUSES, TRIGGER_TYPES
from sluice.service.flows import RUNNING

HISTORY_SIZE = 20
LIVE_EVENTS = 8


def _filters(request: Request) -> dict[str, str]:
    params = request.query_params
    status = params.get("status", "")
    trigger = params.get("trigger", "")
    return {
        "q": params.get("q", "")[:200],
        "status": status if status in FLOW_STATUSES else "",
        "trigger": trigger if trigger in TRIGGER_TYPES else "",
    }


def flow_url(name: str) -> str:
    """The flow page's path."""
    return f"/console/flows/{urlpart(name)}"


def api_json(value: Any) -> str:
    """A service answer as indented JSON (datetimes as ISO text), for people to read and copy."""
    return json.dumps(value, indent=2, sort_keys=False, default=lambda v: v.isoformat() if hasattr(v, "isoformat")
                      else str(v))


def routes(console: Console) -> list[BaseRoute]:
    """The flows pages."""
    services = console.services

    async def rows_for(request: Request, user: User) -> dict[str, Any]:
        chosen = _filters(request)
        flows = await console.call(user, services.flow_overviews.list_flow_overviews,
                                   chosen["q"], chosen["status"], chosen["trigger"])
        return {"flows": flows, "filters": chosen, "statuses": FLOW_STATUSES, "triggers": TRIGGER_TYPES,
                "section": "flows"}

    async def flow_list(request: Request, user: User) -> Response:
        return console.render(request, "flows/list.html", await rows_for(request, user))

    async def flow_rows(request: Request, user: User) -> Response:
        response = console.render(request, "flows/_rows.html", await rows_for(request, user))
        # The address bar follows the search, so a filtered list can be bookmarked or reloaded.
        query = request.url.query
        response.headers["hx-push-url"] = "/console/flows" + (f"?{query}" if query else "")
        return response

    async def history_for(user: User, name: str) -> dict[str, Any]:
        answer = await console.call(user, services.executions.describe_flow_execution_records,
                                    {"flowName": name, "maxResults": HISTORY_SIZE})
        runs = answer["flowExecutions"]
        live = next((r for r in runs if r["executionStatus"] in RUNNING), None)
        events: list[dict[str, Any]] = []
        if live is not None:
            answer = await console.call(user, services.executions.run_events, name, live["executionId"], 0, 1000)
            events = answer["events"][-LIVE_EVENTS:]
        return {"runs": runs, "live": live, "live_events": events, "flow_name": name}

    async def flow_page(request: Request, user: User) -> Response:
        name = request.path_params["name"]
        flow = await console.call(user, services.flows.describe_flow, {"flowName": name})
        context = {"flow": flow, "flow_json": api_json(flow), "section": "flows",
                   **await history_for(user, name)}
        context["overview"] = await console.call(user, services.flow_overviews.flow_overview, name)
        return console.render(request, "flows/page.html", context)

    async def flow_history(request: Request, user: User) -> Response:
        context = await history_for(user, request.path_params["name"])
        response = console.render(request, "flows/_history.html", context)
        if request.query_params.get("watching") and context["live"] is None:
            # The run being watched ended: reload the whole page, so its status and buttons follow.
            response.headers["hx-refresh"] = "true"
        return response

    async def start(request: Request, user: User) -> Response:
        name = request.path_params["name"]
        await console.call(user, services.flows.start_flow, {"flowName": name})
        return console.redirect(request, flow_url(name))

    async def stop(request: Request, user: User) -> Response:
        name = request.path_params["name"]
        await console.call(user, services.flows.stop_flow, {"flowName": name})
        return console.redirect(request, flow_url(name))

    async def cancel(request: Request, user: User) -> Response:
        name = request.path_params["name"]
        await console.call(user, services.executions.cancel_flow_executions, {"flowName": name})
        return console.redirect(request, flow_url(name))

    return [
        Route("/console/flows", console.page(flow_list), methods=["GET"]),
        Route("/console/flows/_rows", console.fragment(flow_rows), methods=["GET"]),
        Route("/console/flows/{name}", console.page(flow_page), methods=["GET"]),
        Route("/console/flows/{name}/_history", console.fragment(flow_history), methods=["GET"]),
        Route("/console/flows/{name}/start", console.action(start), methods=["POST"]),
        Route("/console/flows/{name}/stop", console.action(stop), methods=["POST"]),
        Route("/console/flows/{name}/cancel", console.action(cancel), methods=["POST"]),
    ]

