"""Create and edit a flow in steps, as AppFlow's console does (API layer, console).

    GET  /console/flows/_new                   step 1 of a new flow
    POST /console/flows/_new                   a step's form: apply it, show the step asked for, or CreateFlow
    GET  /console/flows/{name}/edit            step 1, prefilled from DescribeFlow
    POST /console/flows/{name}/edit            as for _new; the last step sends UpdateFlow
    GET  /console/flows/_wizard/entities       ListConnectorEntities children of a node (htmx, the picker)
    POST /console/flows/_wizard/entities       ResetConnectorMetadataCache, then the first level again
    GET  /console/flows/_wizard/schedule       the next fire times of a schedule (htmx, the trigger step)

Steps: source -> entity -> destination -> mapping -> trigger -> review. The draft travels in
the page (`wizard_forms`: a hidden `draft` field with the request as JSON), so a step is a POST
of `draft`, `step` (the form shown) and `go` (the step wanted, or `send`). What each step offers
comes from the service methods the AppFlow API uses: DescribeConnectors (types, operators,
triggers, write operations), DescribeConnectorProfiles, ListConnectorEntities,
DescribeConnectorEntity. The request is checked with the model's validator and then by
CreateFlow/UpdateFlow, exactly as a signed API call is; their modelled errors are shown on the
review step next to the JSON.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sluice.api.console import wizard_forms as forms
from sluice.api.console.pages import Console, User, urlpart
from sluice.protocol.errors import ProtocolError
from sluice.protocol.model import service_model
from sluice.protocol.validate import validate_input
from sluice.scheduler import triggers
from sluice.scheduler.schedule import next_fire
from sluice.service import catalog
from sluice.service.errors import ServiceError, ValidationException

PREVIEW_FIRES = 5
PICKER_PAGE = 100  # entities per ListConnectorEntities page in the picker; "More" asks for the next
NEW = "/console/flows/_new"


def schedule_preview(scheduled: dict[str, Any], now: float) -> tuple[list[datetime], str | None]:
    """The next fire times of a schedule activated at `now`, by the scheduler's own computation;
    or the reason it cannot fire."""
    if not scheduled.get("scheduleExpression"):
        return [], "Enter a schedule expression: rate(1hours) or cron(0 9 * * ? *)."
    try:
        spec = triggers.spec_for(scheduled, now)
        fires: list[datetime] = []
        after = datetime.fromtimestamp(now, UTC)
        while len(fires) < PREVIEW_FIRES:
            fire = next_fire(spec, after)
            if fire is None:
                break
            fires.append(fire)
            after = fire
    except (ValueError, KeyError) as exc:
        return [], str(exc)
    return fires, None if fires else "This schedule never fires after now."


def _has_member(union: str, member: str | None, name: str) -> bool:
    """True when the model's `union` member structure has a member `name` (e.g. writeOperationType)."""
    if member is None:
        return False
    shape = service_model().shape_for(union).members.get(member)
    return shape is not None and name in getattr(shape, "members", {})


def routes(console: Console) -> list[BaseRoute]:
    """The wizard's pages and fragments."""
    services = console.services

    async def configurations(user: User, types: list[str] | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"connectorTypes": types} if types else {}
        answer = await console.call(user, services.connectors.describe_connectors, params)
        return answer["connectorConfigurations"]

    async def capabilities(user: User, connector_type: str) -> dict[str, Any]:
        return (await configurations(user, [connector_type])).get(connector_type) or {}

    async def profiles(user: User, connector_type: str) -> list[dict[str, Any]]:
        answer = await console.call(user, services.connector_profiles.describe_connector_profiles,
                                    {"connectorType": connector_type})
        return answer["connectorProfileDetails"]

    async def fields(user: User, draft: dict[str, Any]) -> list[dict[str, Any]]:
        params = {"connectorType": forms.source_type(draft), "connectorEntityName": forms.source_entity(draft) or ""}
        if draft["sourceFlowConfig"].get("connectorProfileName"):
            params["connectorProfileName"] = draft["sourceFlowConfig"]["connectorProfileName"]
        answer = await console.call(user, services.connectors.describe_connector_entity, params)
        return answer["connectorEntityFields"]

    async def entities(user: User, connector_type: str, profile: str, path: str,
                       token: str = "") -> tuple[list[dict[str, Any]], str | None]:
        """One page of ListConnectorEntities: the nodes and the token of the next page."""
        params: dict[str, Any] = {"connectorType": connector_type, "maxResults": PICKER_PAGE}
        if profile:
            params["connectorProfileName"] = profile
        if path:
            params["entitiesPath"] = path
        if token:
            params["nextToken"] = token
        answer = await console.call(user, services.connectors.list_connector_entities, params)
        nodes = [entity for group in answer["connectorEntityMap"].values() for entity in group]
        return nodes, answer.get("nextToken")

    # -- applying a step's form ----------------------------------------------------------------
    async def apply(step: str, draft: dict[str, Any], request: Request, user: User, editing: bool) -> dict[str, Any]:
        form = await console.form(request)
        if step == "source":
            return forms.apply_source(draft, form, editing)
        if step == "entity":
            return forms.apply_entity(draft, form)
        if step == "destination":
            chosen = str(form.get("dest_type") or forms.destination(draft)["connectorType"])
            operations = (await capabilities(user, chosen)).get("supportedWriteOperations") or []
            member = catalog.destination_member(chosen)
            if not _has_member("DestinationConnectorProperties", member, "writeOperationType"):
                operations = []
            return forms.apply_destination(draft, form, operations)
        if step == "mapping":
            known = await fields(user, draft) if form.get("mapping_table") == "true" or form.get("task_action") else []
            supported = (await capabilities(user, forms.source_type(draft))).get("supportedOperators") or []
            return forms.apply_mapping(draft, form, known, supported)
        if step == "trigger":
            kinds = (await capabilities(user, forms.source_type(draft))).get("supportedTriggerTypes") or []
            return forms.apply_trigger(draft, form, kinds)
        return draft

    # -- what each step shows --------------------------------------------------------------------
    async def step_context(step: str, draft: dict[str, Any], request: Request, user: User) -> dict[str, Any]:
        form = await console.form(request) if request.method == "POST" else None
        source = forms.source_type(draft)
        context: dict[str, Any] = {}
        if step == "source":
            everything = await configurations(user)
            context["source_types"] = sorted(t for t, c in everything.items() if c.get("canUseAsSource"))
            context["profiles"] = await profiles(user, source)
        elif step == "entity":
            profile = draft["sourceFlowConfig"].get("connectorProfileName") or ""
            context["tree_profile"] = profile
            context["tree_path"] = ""
            try:
                context["nodes"], context["more"] = await entities(user, source, profile, "")
            except ServiceError as exc:
                context["nodes"], context["picker_error"] = [], f"{exc.code}: {exc.message}"
        elif step == "destination":
            source_caps = await capabilities(user, source)
            everything = await configurations(user)
            allowed = set(source_caps.get("supportedDestinationConnectors") or [])
            context["destination_types"] = sorted(t for t, c in everything.items()
                                                  if c.get("canUseAsDestination") and t in allowed)
            chosen = forms.destination(draft)["connectorType"]
            context["profiles"] = await profiles(user, chosen)
            member = catalog.destination_member(chosen)
            operations = (everything.get(chosen) or {}).get("supportedWriteOperations") or []
            context["write_operations"] = operations if _has_member(
                "DestinationConnectorProperties", member, "writeOperationType") else []
        elif step == "mapping":
            context.update(await mapping_context(draft, form, user))
        elif step == "trigger":
            context["trigger_types"] = (await capabilities(user, source)).get("supportedTriggerTypes") or []
            context["fires"], context["preview_error"] = schedule_preview(forms.scheduled_of(draft), time.time())
        return context

    async def mapping_context(draft: dict[str, Any], form: Any, user: User) -> dict[str, Any]:
        context: dict[str, Any] = {"fields": [], "fields_error": None}
        try:
            context["fields"] = await fields(user, draft)
        except ServiceError as exc:
            context["fields_error"] = f"{exc.code}: {exc.message}"
        supported = (await capabilities(user, forms.source_type(draft))).get("supportedOperators") or []
        tasks = draft.get("tasks") or []
        context["mapped"] = {t["sourceFields"][0]: t.get("destinationField") or t["sourceFields"][0]
                             for t in tasks if t.get("taskType") == "Map" and t.get("sourceFields")}
        context["map_all"] = any(t.get("taskType") == "Map_all" for t in tasks)
        context["listed"] = [t for t in tasks if not forms.is_table_task(t)]
        # The 'Add task' row as the person left it (htmx re-renders the step when the type or field changes).
        pending = {"task_type": "Filter", "task_sources": [], "task_operator": "", "task_value": "",
                   "task_upper": "", "task_destination": "", "task_length": "", "task_format": "",
                   "task_validation": "DropRecord", "task_mask": "*", "task_data_type": ""}
        if form is not None and form.get("step") == "mapping" and form.get("task_action") != "add":
            for key in pending:
                pending[key] = form.getlist(key) if key == "task_sources" else str(form.get(key) or pending[key])
        known = {f["identifier"]: f for f in context["fields"]}
        first = known.get(pending["task_sources"][0]) if pending["task_sources"] else None
        context["pending"] = pending
        context["extra_types"] = forms.EXTRA_TASK_TYPES
        context["operators"] = forms.offered_operators(str(pending["task_type"]), supported, first)
        return context

    async def render_step(request: Request, user: User, draft: dict[str, Any], step: str, editing: bool,
                          error: str | None = None, error_step: str | None = None) -> Response:
        context = await step_context(step, draft, request, user)
        name = draft.get("flowName") or ""
        action = f"/console/flows/{urlpart(name)}/edit" if editing else NEW
        body = forms.request_for(draft, editing)
        context.update({
            "section": "flows", "step": step, "steps": forms.STEPS, "draft": draft,
            "draft_json": forms.draft_to_json(draft), "editing": editing, "action": action,
            "previous": forms.next_step(step, -1), "next": forms.next_step(step, 1),
            "error": error, "error_step": error_step, "forms": forms, "source_type": forms.source_type(draft),
            "source_props": forms.source_props(draft), "destination": forms.destination(draft),
            "destination_props": forms.destination_props(draft), "scheduled": forms.scheduled_of(draft),
            "operation": "UpdateFlow" if editing else "CreateFlow",
            "request_json": json.dumps(body, indent=2),
        })
        return console.render(request, "wizard/page.html", context)

    async def send(user: User, draft: dict[str, Any], editing: bool) -> None:
        operation = "UpdateFlow" if editing else "CreateFlow"
        params = forms.with_datetimes(forms.request_for(draft, editing))
        try:  # the model's rules first, as the signed API applies them before the service
            validate_input(service_model().operation_model(operation).input_shape, params)
        except ProtocolError as exc:  # the parser's only refusal that can reach here is a ValidationException
            raise ValidationException(exc.message) from exc
        method = services.flows.update_flow if editing else services.flows.create_flow
        await console.call(user, method, params)

    async def submit(request: Request, user: User, editing: bool) -> Response:
        form = await console.form(request)
        draft = forms.draft_from_json(str(form.get("draft") or ""))
        if editing:
            draft["flowName"] = request.path_params["name"]
        step = str(form.get("step") or "source")
        step = step if step in forms.STEP_NAMES else "source"
        go = str(form.get("go") or "")
        if not go:  # a picked entity moves on; a re-render (htmx, add/remove task) stays
            go = "destination" if step == "entity" and form.get("pick") else step
        try:
            draft = await apply(step, draft, request, user, editing)
        except forms.WizardInputError as exc:
            return await render_step(request, user, draft, step, editing, str(exc), step)
        except ServiceError as exc:
            return await render_step(request, user, draft, step, editing, f"{exc.code}: {exc.message}", step)
        if go == "send":
            try:
                await send(user, draft, editing)
            except ServiceError as exc:
                message = f"{exc.code}: {exc.message}"
                return await render_step(request, user, draft, "review", editing, message,
                                         forms.step_for_error(exc.message))
            return console.redirect(request, f"/console/flows/{urlpart(draft['flowName'])}")
        return await render_step(request, user, draft, go if go in forms.STEP_NAMES else step, editing)

    async def new_flow(request: Request, user: User) -> Response:
        return await render_step(request, user, forms.empty_draft(), "source", False)

    async def create_step(request: Request, user: User) -> Response:
        return await submit(request, user, False)

    async def edit_flow(request: Request, user: User) -> Response:
        flow = await console.call(user, services.flows.describe_flow, {"flowName": request.path_params["name"]})
        return await render_step(request, user, forms.draft_from_flow(flow), "source", True)

    async def edit_step(request: Request, user: User) -> Response:
        return await submit(request, user, True)

    async def entity_children(request: Request, user: User) -> Response:
        query = request.query_params
        connector_type, profile, path = query.get("connectorType", ""), query.get("profile", ""), query.get("path", "")
        error, more = None, None
        try:
            nodes, more = await entities(user, connector_type, profile, path, query.get("nextToken", ""))
        except ServiceError as exc:
            nodes, error = [], f"{exc.code}: {exc.message}"
        # A next page replaces its "More" item with more items; a node's first page is a whole list.
        template = "wizard/_entity_items.html" if query.get("nextToken") else "wizard/_entities.html"
        return console.render(request, template, {
            "nodes": nodes, "more": more, "picker_error": error, "source_type": connector_type,
            "tree_profile": profile, "tree_path": path})

    async def refresh_entities(request: Request, user: User) -> Response:
        """ResetConnectorMetadataCache for the draft's source, then its first level again."""
        draft = forms.draft_from_json(str((await console.form(request)).get("draft") or ""))
        source = forms.source_type(draft)
        profile = draft["sourceFlowConfig"].get("connectorProfileName") or ""
        context: dict[str, Any] = {"source_type": source, "tree_profile": profile, "tree_path": "", "more": None}
        params = {"connectorProfileName": profile} if profile else {"connectorType": source}
        try:
            await console.call(user, services.connectors.reset_connector_metadata_cache, params)
            context["nodes"], context["more"] = await entities(user, source, profile, "")
        except ServiceError as exc:
            context["nodes"], context["picker_error"] = [], f"{exc.code}: {exc.message}"
        return console.render(request, "wizard/_entities.html", context)

    async def schedule(request: Request, user: User) -> Response:
        query = request.query_params
        error: str | None = None
        fires: list[datetime] = []
        try:
            scheduled = forms.scheduled_from_form(query, {})
        except forms.WizardInputError as exc:
            error = str(exc)
        else:
            fires, error = schedule_preview(scheduled, time.time())
        return console.render(request, "wizard/_preview.html", {"fires": fires, "preview_error": error})

    return [
        Route(NEW, console.page(new_flow), methods=["GET"]),
        Route(NEW, console.action(create_step), methods=["POST"]),
        Route("/console/flows/_wizard/entities", console.fragment(entity_children), methods=["GET"]),
        Route("/console/flows/_wizard/entities", console.action(refresh_entities, fragment=True), methods=["POST"]),
        Route("/console/flows/_wizard/schedule", console.fragment(schedule), methods=["GET"]),
        Route("/console/flows/{name}/edit", console.page(edit_flow), methods=["GET"]),
        Route("/console/flows/{name}/edit", console.action(edit_step), methods=["POST"]),
    ]
