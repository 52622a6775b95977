"""Connections: connector profiles and custom connector registrations (API layer, console).

    GET  /console/connections                     profiles per connector type, registered connectors
    GET  /console/connections/new                 pick a connector type (and a custom connector's label)
    GET  /console/connections/new/{type}          the profile form, derived from botocore's model
    POST /console/connections/new/{type}          CreateConnectorProfile (the vendor check's answer shown)
    GET  /console/connections/profile/{name}      a profile's properties (never its credentials)
    GET  /console/connections/edit/{name}         the form with the stored properties; credentials blank
    POST /console/connections/edit/{name}         UpdateConnectorProfile (blank credentials: kept)
    POST /console/connections/delete/{name}       DeleteConnectorProfile
    GET  /console/connections/register            the RegisterConnector form
    POST /console/connections/register            RegisterConnector
    POST /console/connections/unregister/{label}  UnregisterConnector

Profile names may hold `/`, so each profile path starts with a fixed word and takes the rest of
the path as the name. Every request body is checked with the model's validator before the
service method runs, exactly as the API checks it. The OAuth authorization-code flow is in
`oauth.py`; the forms themselves in `model_forms.py`.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sluice.api.console import model_forms
from sluice.api.console.model_forms import Field, FormProblem, ProfileForm
from sluice.api.console.pages import Console, User, urlpart
from sluice.protocol.errors import ProtocolError
from sluice.protocol.model import service_model
from sluice.protocol.validate import validate_input
from sluice.service.errors import ResourceNotFoundException, ServiceError

CUSTOM = "CustomConnector"
PAGE = 100
# `AuthenticationConfig` flags -> the `CustomConnectorProfileCredentials` member each one allows.
AUTH_FLAGS = (("isBasicAuthSupported", "basic"), ("isApiKeyAuthSupported", "apiKey"),
              ("isOAuth2Supported", "oauth2"), ("isCustomAuthSupported", "custom"))


def profile_url(name: str) -> str:
    """A profile's page."""
    return f"/console/connections/profile/{urlpart(name)}"


def check(operation: str, params: dict[str, Any]) -> None:
    """The model's validation of `params`, as the API runs it (ProtocolError when refused)."""
    validate_input(service_model().operation_model(operation).input_shape, params)


def profile_types() -> list[str]:
    """Connector types that have connector profiles (a member in `ConnectorProfileProperties`)."""
    members = {key.lower() for key in service_model().shape_for("ConnectorProfileProperties").members}
    return [t for t in service_model().shape_for("ConnectorType").enum if t.lower() in members]


def top_fields() -> tuple[Field, ...]:
    """The profile's own members (name, connection mode, KMS key) from CreateConnectorProfileRequest."""
    shape = service_model().operation_model("CreateConnectorProfile").input_shape
    required = set(shape.required_members)
    return tuple(model_forms.shape_field(shape.members[key], key, key, key in required)
                 for key in ("connectorProfileName", "connectionMode", "kmsArn"))


def custom_form(base: ProfileForm, configuration: dict[str, Any]) -> ProfileForm:
    """A custom connector's form: only the auth types its `ConnectorConfiguration` supports, its
    custom auth's parameters and its profile-scoped runtime settings as inputs."""
    creds, props = base.credentials, base.properties
    auth = configuration.get("authenticationConfig") or {}
    if creds is not None:
        creds = model_forms.only_alternatives(creds, [member for flag, member in AUTH_FLAGS if auth.get(flag)])
        custom_auths = auth.get("customAuthConfigs") or []
        if custom_auths:
            names = [str(c.get("customAuthenticationType")) for c in custom_auths]
            creds = model_forms.set_enum(creds, ["custom", "customAuthenticationType"], names)
            entries = [Field("", str(p["key"]), "string", bool(p.get("isRequired")), str(p.get("description") or ""),
                             bool(p.get("isSensitiveField")), tuple(p.get("connectorSuppliedValues") or ()),
                             label=f"{p.get('label') or p['key']} ({c.get('customAuthenticationType')})")
                       for c in custom_auths for p in c.get("authParameters") or []]
            creds = model_forms.with_entries(creds, ["custom", "credentialsMap"], entries)
    settings = [s for s in configuration.get("connectorRuntimeSettings") or []
                if s.get("scope") == "CONNECTOR_PROFILE"]
    if props is not None and settings:
        entries = [Field("", str(s["key"]), "string", bool(s.get("isRequired")), str(s.get("description") or ""),
                         enum=tuple(s.get("connectorSuppliedValueOptions") or ()),
                         label=str(s.get("label") or s["key"]))
                   for s in settings]
        props = model_forms.with_entries(props, ["profileProperties"], entries)
    if props is not None and not auth.get("isOAuth2Supported"):
        props = model_forms.only_alternatives(props, [])
    return ProfileForm(base.connector_type, props, creds, base.oauth)


def routes(console: Console) -> list[BaseRoute]:
    """The connections pages."""
    services = console.services

    async def all_profiles(user: User, connector_type: str | None = None) -> list[dict[str, Any]]:
        wanted = {"connectorType": connector_type} if connector_type else {}
        return await every_page(console, user, services.connector_profiles.describe_connector_profiles, wanted,
                                "connectorProfileDetails")

    async def registered(user: User) -> list[dict[str, Any]]:
        return await every_page(console, user, services.connectors.list_connectors, {}, "connectors")

    async def listing(request: Request, user: User) -> Response:
        chosen = request.query_params.get("type", "")
        kinds = profile_types()
        profiles = await all_profiles(user, chosen if chosen in kinds else None)
        groups: dict[str, list[dict[str, Any]]] = {}
        for profile in sorted(profiles, key=lambda p: (p["connectorType"], p["connectorProfileName"])):
            groups.setdefault(profile["connectorType"], []).append(profile)
        return console.render(request, "connections/list.html", {
            "groups": groups, "types": kinds, "chosen": chosen, "connectors": await registered(user),
            "section": "connections"})

    async def pick(request: Request, user: User) -> Response:
        return console.render(request, "connections/new.html", {
            "types": profile_types(), "connectors": await registered(user), "section": "connections"})

    async def form_for(user: User, connector_type: str, label: str | None) -> ProfileForm:
        return await profile_form_for(console, user, connector_type, label)

    def render_form(request: Request, form: ProfileForm, values: dict[str, str], **options: Any) -> Response:
        return render_profile_form(console, request, form, values, **options)

    async def new_form(request: Request, user: User) -> Response:
        connector_type = request.path_params["type"]
        label = request.query_params.get("label") or None
        if connector_type == CUSTOM and not label:
            return console.redirect(request, "/console/connections/new")
        form = await form_for(user, connector_type, label)
        values = {"connectionMode": "Public"}
        for root in form.roots:
            values.update(model_forms.defaults(root))
        return render_form(request, form, values, label=label)

    async def create(request: Request, user: User) -> Response:
        connector_type = request.path_params["type"]
        posted = await console.form(request)
        label = str(posted.get("connectorLabel") or "") or None
        form = await form_for(user, connector_type, label)
        try:
            params = create_params(posted, form, connector_type, label)
            check("CreateConnectorProfile", params)
            await console.call(user, services.connector_profiles.create_connector_profile, params)
        except (FormProblem, ProtocolError, ServiceError) as exc:
            return render_form(request, form, kept_values(posted), label=label, **problem_of(exc))
        return console.redirect(request, profile_url(params["connectorProfileName"]) + "?checked=created")

    async def describe_one(user: User, name: str) -> dict[str, Any]:
        answer = await console.call(user, services.connector_profiles.describe_connector_profiles,
                                    {"connectorProfileNames": [name]})
        details = answer["connectorProfileDetails"]
        if not details:
            raise_not_found(name)
        return dict(details[0])

    async def show(request: Request, user: User) -> Response:
        profile = await describe_one(user, request.path_params["name"])
        return console.render(request, "connections/page.html", {
            "profile": profile, "checked": request.query_params.get("checked", ""), "section": "connections"})

    async def edit_form(request: Request, user: User) -> Response:
        profile = await describe_one(user, request.path_params["name"])
        form = await form_for(user, profile["connectorType"], profile.get("connectorLabel"))
        values = {"connectorProfileName": profile["connectorProfileName"], "connectionMode": profile["connectionMode"]}
        props = form.properties
        if props is not None:
            values.update(model_forms.initial_values(props, profile["connectorProfileProperties"].get(props.key)))
        return render_form(request, form, values, label=profile.get("connectorLabel"), editing=profile)

    async def update(request: Request, user: User) -> Response:
        profile = await describe_one(user, request.path_params["name"])
        posted = await console.form(request)
        form = await form_for(user, profile["connectorType"], profile.get("connectorLabel"))
        try:
            params = {"connectorProfileName": profile["connectorProfileName"],
                      "connectionMode": str(posted.get("connectionMode") or profile["connectionMode"]),
                      "connectorProfileConfig": model_forms.to_config(form_values(posted), form)}
            check("UpdateConnectorProfile", params)
            await console.call(user, services.connector_profiles.update_connector_profile, params)
        except (FormProblem, ProtocolError, ServiceError) as exc:
            values = {**kept_values(posted), "connectorProfileName": profile["connectorProfileName"]}
            return render_form(request, form, values, label=profile.get("connectorLabel"), editing=profile,
                               **problem_of(exc))
        given = "connectorProfileCredentials" in params["connectorProfileConfig"]
        return console.redirect(request, profile_url(profile["connectorProfileName"])
                                + ("?checked=updated" if given else "?checked=saved"))

    async def delete(request: Request, user: User) -> Response:
        name = request.path_params["name"]
        posted = await console.form(request)
        params = {"connectorProfileName": name, "forceDelete": posted.get("forceDelete") == "true"}
        check("DeleteConnectorProfile", params)
        await console.call(user, services.connector_profiles.delete_connector_profile, params)
        return console.redirect(request, "/console/connections")

    def register_fields() -> tuple[Field, ...]:
        shape = service_model().operation_model("RegisterConnector").input_shape
        return tuple(model_forms.shape_field(shape.members[key], key, key, key in shape.required_members)
                     for key in ("connectorLabel", "description", "connectorProvisioningType",
                                 "connectorProvisioningConfig"))

    def render_register(request: Request, values: dict[str, str], problem: str = "", status: int = 200) -> Response:
        return console.render(request, "connections/register.html", {
            "fields": register_fields(), "values": values, "problem": problem, "section": "connections"}, status)

    async def register_form(request: Request, user: User) -> Response:
        defaults: dict[str, str] = {"connectorProvisioningType": "LAMBDA"}
        for spec in register_fields():
            defaults.update(model_forms.defaults(spec))
        return render_register(request, defaults)

    async def register(request: Request, user: User) -> Response:
        posted = await console.form(request)
        values = form_values(posted)
        try:
            params: dict[str, Any] = {}
            for spec in register_fields():
                found = model_forms.value_of(spec, values)
                if found is not None:
                    params[spec.key] = found
            check("RegisterConnector", params)
            await console.call(user, services.registrations.register_connector, params)
        except (FormProblem, ProtocolError, ServiceError) as exc:
            return render_register(request, kept_values(posted), **{
                k: v for k, v in problem_of(exc).items() if k != "problem_field"})
        return console.redirect(request, f"/console/connectors/{CUSTOM}?label={urlpart(params['connectorLabel'])}")

    async def unregister(request: Request, user: User) -> Response:
        posted = await console.form(request)
        params = {"connectorLabel": request.path_params["label"], "forceDelete": posted.get("forceDelete") == "true"}
        check("UnregisterConnector", params)
        await console.call(user, services.registrations.unregister_connector, params)
        return console.redirect(request, "/console/connections")

    return [
        Route("/console/connections", console.page(listing), methods=["GET"]),
        Route("/console/connections/new", console.page(pick), methods=["GET"]),
        Route("/console/connections/new/{type}", console.page(new_form), methods=["GET"]),
        Route("/console/connections/new/{type}", console.action(create), methods=["POST"]),
        Route("/console/connections/register", console.page(register_form), methods=["GET"]),
        Route("/console/connections/register", console.action(register), methods=["POST"]),
        Route("/console/connections/unregister/{label}", console.action(unregister), methods=["POST"]),
        Route("/console/connections/profile/{name:path}", console.page(show), methods=["GET"]),
        Route("/console/connections/edit/{name:path}", console.page(edit_form), methods=["GET"]),
        Route("/console/connections/edit/{name:path}", console.action(update), methods=["POST"]),
        Route("/console/connections/delete/{name:path}", console.action(delete), methods=["POST"]),
    ]


async def every_page(console: Console, user: User, method: Any, params: dict[str, Any],
                     key: str) -> list[dict[str, Any]]:
    """Every item of a paginated list operation (`key` of each answer), following nextToken."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = {**params, "maxResults": PAGE, **({"nextToken": token} if token else {})}
        answer = await console.call(user, method, page)
        found += answer[key]
        token = answer.get("nextToken")
        if not token:
            return found


async def profile_form_for(console: Console, user: User, connector_type: str, label: str | None) -> ProfileForm:
    """The profile form of a connector type (a custom connector's from its registered configuration)."""
    if connector_type not in profile_types():
        raise_not_found(connector_type)
    base = model_forms.profile_form(connector_type)
    if connector_type != CUSTOM:
        return base
    answer = await console.call(user, console.services.connectors.describe_connector,
                                {"connectorType": CUSTOM, "connectorLabel": label or ""})
    return custom_form(base, answer["connectorConfiguration"])


def render_profile_form(console: Console, request: Request, form: ProfileForm, values: dict[str, str], *,
                        label: str | None, editing: dict[str, Any] | None = None, problem: str = "",
                        problem_field: str = "", status: int = 200) -> Response:
    """The profile form page (a refusal shown above it, next to the field it concerns)."""
    return console.render(request, "connections/form.html", {
        "form": form, "values": values, "top": top_fields(), "label": label, "editing": editing,
        "problem": problem, "problem_field": problem_field, "section": "connections"}, status)


def raise_not_found(what: str) -> None:
    """The console's 404 for a profile or type this account does not have."""
    raise ResourceNotFoundException(f"{what} is not a connection in this account and region.")


def form_values(posted: FormData) -> dict[str, list[str]]:
    """The posted form as name -> values, for `model_forms`."""
    return model_forms.form_lists((k, v) for k, v in posted.multi_items() if isinstance(v, str))


def create_params(posted: FormData, form: ProfileForm, connector_type: str, label: str | None) -> dict[str, Any]:
    """CreateConnectorProfile's request from the posted form."""
    params: dict[str, Any] = {
        "connectorProfileName": str(posted.get("connectorProfileName") or "").strip(),
        "connectorType": connector_type,
        "connectionMode": str(posted.get("connectionMode") or "Public"),
        "connectorProfileConfig": model_forms.to_config(form_values(posted), form),
    }
    kms = str(posted.get("kmsArn") or "").strip()
    if kms:
        params["kmsArn"] = kms
    if label:
        params["connectorLabel"] = label
    return params


def kept_values(posted: FormData) -> dict[str, str]:
    """What to show again after a refusal: everything but credentials (write-only, never sent back)."""
    return {k: str(v) for k, v in posted.multi_items()
            if isinstance(v, str) and not k.startswith(model_forms.CREDENTIALS + ".") and k != "csrf_token"}


def problem_of(exc: Exception) -> dict[str, Any]:
    """The refusal to show next to the form, with the status to answer."""
    if isinstance(exc, FormProblem):
        return {"problem": exc.message, "problem_field": exc.name, "status": 400}
    if isinstance(exc, ProtocolError | ServiceError):
        return {"problem": f"{exc.code}: {exc.message}", "problem_field": "", "status": exc.status}
    raise exc
