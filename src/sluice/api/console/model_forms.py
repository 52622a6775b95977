"""Connector-profile forms derived from botocore's model, and the way back to request JSON (API layer, console).

`profile_form(connector_type)` walks `ConnectorProfileProperties.<Member>` and
`ConnectorProfileCredentials.<Member>` of the AppFlow model and returns a tree of `Field`s: each
member's name, type (string, boolean, integer, list, map, structure), whether it is required, its
enum values, its documentation as help text, and whether the model marks it `sensitive` (shown as
a password input). Nothing is written per connector: a new member in botocore's model is a new
input.

Optional structure members of one structure are alternatives (a union): SAPOData's
`basicAuthCredentials` vs `oAuthCredentials`, ServiceNow's username/password vs
`oAuth2Credentials`. The form offers them as a choice (`choose:<path>` radio); only the chosen
one is sent. Where a required enum member names the alternatives (CustomConnector's
`authenticationType`: BASIC, OAUTH2, APIKEY, CUSTOM), it is filled from the choice.

Form field names are the JSON paths of the request: `properties.ServiceNow.instanceUrl`,
`credentials.SAPOData.oAuthCredentials.oAuthRequest...`. `to_config(form, tree)` is the small pure
function that turns the posted fields back into `connectorProfileConfig`; `initial_values`
turns stored properties into form values (credentials are write-only: never filled back).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from botocore.model import Shape

from sluice.protocol.model import service_model

PROPERTIES = "properties"
CREDENTIALS = "credentials"
CHOOSE = "choose:"
# Members the console fills itself: the OAuth callback supplies the authorization code.
FILLED_BY_CONSOLE = frozenset({"oAuthRequest"})
SCALARS = {"string": "string", "boolean": "boolean", "integer": "integer", "long": "integer",
           "double": "number", "float": "number", "timestamp": "string"}


@dataclass(frozen=True)
class Field:
    """One input (or group of inputs) of a model-derived form."""

    name: str  # the form field name: the request's JSON path, dot-separated
    key: str  # the member name in the request JSON
    kind: str  # string | boolean | integer | number | list | map | structure
    required: bool = False
    help: str = ""
    sensitive: bool = False
    enum: tuple[str, ...] = ()
    members: tuple[Field, ...] = ()  # a structure's plain members
    alternatives: tuple[Field, ...] = ()  # a structure's optional structure members: pick one
    # (member key, {alternative key: enum value}): the enum member that names the chosen alternative
    discriminator: tuple[str, tuple[tuple[str, str], ...]] | None = None
    entries: tuple[Field, ...] = ()  # a map with known keys (a custom connector's declared settings)
    label: str = ""  # shown instead of the key (a custom connector's own label for a setting)

    @property
    def choice_name(self) -> str:
        """The radio group choosing among this structure's alternatives."""
        return CHOOSE + self.name

    @property
    def title(self) -> str:
        return self.label or self.key


class FormProblem(ValueError):
    """A posted value that cannot be the member's type (the field name says which)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def plain_text(documentation: str | None) -> str:
    """The model's HTML documentation as one line of plain text."""
    text = re.sub(r"<[^>]+>", " ", documentation or "")
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def _sensitive(shape: Shape) -> bool:
    return bool(shape.metadata.get("sensitive"))


def shape_field(shape: Shape, key: str, name: str, required: bool, documentation: str | None = None) -> Field:
    """The `Field` for one member of the model (structures recursively)."""
    help_text = plain_text(documentation if documentation is not None else shape.documentation)
    kind = shape.type_name
    if kind == "structure":
        members: list[Field] = []
        alternatives: list[Field] = []
        needed = set(shape.required_members)
        for member_key, member in shape.members.items():
            if member_key in FILLED_BY_CONSOLE:
                continue
            child = shape_field(member, member_key, f"{name}.{member_key}", member_key in needed,
                                member.documentation)
            (alternatives if child.kind == "structure" and not child.required else members).append(child)
        built = Field(name, key, "structure", required, help_text, members=tuple(members),
                      alternatives=tuple(alternatives))
        return _with_discriminator(built)
    if kind == "list":
        return Field(name, key, "list", required, help_text, sensitive=_sensitive(shape.member))
    if kind == "map":
        return Field(name, key, "map", required, help_text, sensitive=_sensitive(shape.value))
    return Field(name, key, SCALARS.get(kind, "string"), required, help_text, sensitive=_sensitive(shape),
                 enum=tuple(getattr(shape, "enum", None) or ()))


def _squash(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def _with_discriminator(built: Field) -> Field:
    """Drop a required enum member that only names the chosen alternative; remember how to fill it."""
    if not built.alternatives:
        return built
    wanted = {_squash(alt.key): alt.key for alt in built.alternatives}
    for member in built.members:
        if member.enum and member.required and {_squash(v) for v in member.enum} >= set(wanted):
            pairs = tuple((wanted[_squash(v)], v) for v in member.enum if _squash(v) in wanted)
            return replace(built, members=tuple(m for m in built.members if m is not member),
                           discriminator=(member.key, pairs))
    return built


@dataclass(frozen=True)
class ProfileForm:
    """The two halves of a connector profile's form: properties and credentials."""

    connector_type: str
    properties: Field | None
    credentials: Field | None
    oauth: bool = False  # the credentials take an authorization code (`oAuthRequest`)

    @property
    def roots(self) -> tuple[Field, ...]:
        return tuple(part for part in (self.properties, self.credentials) if part is not None)


def _union_member(union: str, connector_type: str) -> tuple[str, Shape] | None:
    shape = service_model().shape_for(union)
    for key, member in shape.members.items():
        if key.lower() == connector_type.lower():
            return key, member
    return None


def profile_form(connector_type: str) -> ProfileForm:
    """The form for a connector type's profile, from the model's unions."""
    parts: list[Field | None] = []
    oauth = False
    for union, prefix in (("ConnectorProfileProperties", PROPERTIES), ("ConnectorProfileCredentials", CREDENTIALS)):
        found = _union_member(union, connector_type)
        if found is None:
            parts.append(None)
            continue
        key, shape = found
        parts.append(shape_field(shape, key, f"{prefix}.{key}", False))
        if prefix == CREDENTIALS:
            oauth = "oAuthRequest" in shape.members
    return ProfileForm(connector_type, parts[0], parts[1], oauth)


# -- posted form -> request JSON ---------------------------------------------------------------
def _one(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or ()
    return values[-1] if values else ""


def _scalar(spec: Field, raw: str) -> Any:
    text = raw if spec.sensitive else raw.strip()
    if text == "":
        return None
    if spec.kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise FormProblem(spec.name, f"'{text}' is not a whole number") from None
    if spec.kind == "number":
        try:
            return float(text)
        except ValueError:
            raise FormProblem(spec.name, f"'{text}' is not a number") from None
    return text


def _lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.replace("\r", "").split("\n") if line.strip()]


def value_of(spec: Field, form: Mapping[str, Sequence[str]]) -> Any:
    """The request value of one field; None when nothing was entered (the member is left out)."""
    if spec.kind == "structure":
        out: dict[str, Any] = {}
        for member in spec.members:
            found = value_of(member, form)
            if found is not None:
                out[member.key] = found
        chosen = _one(form, spec.choice_name)
        for alternative in spec.alternatives:
            if alternative.key == chosen:
                out[alternative.key] = value_of(alternative, form) or {}
                if spec.discriminator is not None:
                    out[spec.discriminator[0]] = dict(spec.discriminator[1])[alternative.key]
        return out or None
    if spec.kind == "boolean":
        return True if _one(form, spec.name) in ("true", "on") else None
    if spec.kind == "list":
        items = _lines(_one(form, spec.name))
        return items or None
    if spec.kind == "map":
        return _map_value(spec, form)
    return _scalar(spec, _one(form, spec.name))


def _map_value(spec: Field, form: Mapping[str, Sequence[str]]) -> dict[str, str] | None:
    out: dict[str, str] = {}
    if spec.entries:
        for entry in spec.entries:
            text = _scalar(entry, _one(form, entry.name))
            if text is not None:
                out[entry.key] = str(text)
        return out or None
    for line in _lines(_one(form, spec.name)):
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise FormProblem(spec.name, f"'{line if not spec.sensitive else key}' is not key=value")
        out[key.strip()] = value.strip()
    return out or None


def to_config(form: Mapping[str, Sequence[str]], profile: ProfileForm) -> dict[str, Any]:
    """`connectorProfileConfig` from the posted form. Credentials are left out when none were
    entered (UpdateConnectorProfile then keeps the stored ones)."""
    config: dict[str, Any] = {}
    if profile.properties is not None:
        config["connectorProfileProperties"] = {profile.properties.key: value_of(profile.properties, form) or {}}
    if profile.credentials is not None:
        creds = value_of(profile.credentials, form)
        if creds is not None:
            config["connectorProfileCredentials"] = {profile.credentials.key: creds}
    return config


def form_lists(pairs: Iterable[tuple[str, Any]]) -> dict[str, list[str]]:
    """Posted (name, value) pairs as name -> values (what `to_config` reads)."""
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(str(value))
    return out


# -- stored properties -> form values ----------------------------------------------------------
def initial_values(spec: Field | None, value: Any) -> dict[str, str]:
    """Form values showing `value` (stored properties) in the inputs of `spec`."""
    out: dict[str, str] = {}
    if spec is None or value is None:
        return out
    if spec.kind == "structure" and isinstance(value, Mapping):
        for member in spec.members:
            out.update(initial_values(member, value.get(member.key)))
        for alternative in spec.alternatives:
            if alternative.key in value:
                out[spec.choice_name] = alternative.key
                out.update(initial_values(alternative, value[alternative.key]))
    elif spec.kind == "boolean":
        out[spec.name] = "true" if value else ""
    elif spec.kind == "list" and isinstance(value, list):
        out[spec.name] = "\n".join(str(v) for v in value)
    elif spec.kind == "map" and isinstance(value, Mapping):
        if spec.entries:
            for entry in spec.entries:
                if entry.key in value:
                    out[entry.name] = str(value[entry.key])
        else:
            out[spec.name] = "\n".join(f"{k}={v}" for k, v in value.items())
    elif not isinstance(value, Mapping | list):
        out[spec.name] = str(value)
    return out


def defaults(spec: Field | None) -> dict[str, str]:
    """The choice a fresh form starts with: the first alternative of a pure union, else none."""
    out: dict[str, str] = {}
    if spec is None or spec.kind != "structure":
        return out
    if spec.alternatives and not spec.members:
        out[spec.choice_name] = spec.alternatives[0].key
    for child in (*spec.members, *spec.alternatives):
        out.update(defaults(child))
    return out


def with_entries(spec: Field, path: Sequence[str], entries: Sequence[Field]) -> Field:
    """`spec` with the map at `path` (member keys below `spec`) given fixed keys (`entries`, whose
    names are set here); a custom connector declares its settings and credential keys this way."""
    if not path:
        named = tuple(replace(e, name=f"{spec.name}[{e.key}]") for e in entries)
        return replace(spec, entries=named)
    head, rest = path[0], path[1:]
    return replace(
        spec,
        members=tuple(with_entries(m, rest, entries) if m.key == head else m for m in spec.members),
        alternatives=tuple(with_entries(a, rest, entries) if a.key == head else a for a in spec.alternatives),
    )


def only_alternatives(spec: Field, keep: Iterable[str]) -> Field:
    """`spec` offering only the alternatives in `keep` (a custom connector's supported auth types)."""
    wanted = set(keep)
    return replace(spec, alternatives=tuple(a for a in spec.alternatives if a.key in wanted))


def set_enum(spec: Field, path: Sequence[str], values: Sequence[str]) -> Field:
    """`spec` with the member at `path` restricted to `values` (a select instead of free text)."""
    if not path:
        return replace(spec, enum=tuple(values))
    head, rest = path[0], path[1:]
    return replace(
        spec,
        members=tuple(set_enum(m, rest, values) if m.key == head else m for m in spec.members),
        alternatives=tuple(set_enum(a, rest, values) if a.key == head else a for a in spec.alternatives),
    )

