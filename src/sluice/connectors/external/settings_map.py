"""A connector's config schema as AppFlow profile settings, and a profile back as connector config.

The connector's config schema (Airbyte `spec.connectionSpecification`, a Singer tap's `--about`
settings) is a JSON schema. Each leaf property becomes one key of the label's
`ConnectorConfiguration` (connectors layer, Airbyte/Singer runner):

* a property marked secret (`airbyte_secret: true`, singer-sdk's `secret: true`, or
  `writeOnly`) is an `authParameters` entry (sensitive) of the CUSTOM scheme `CUSTOM`: its value
  goes in the profile's `credentialsMap`;
* any other is a CONNECTOR_PROFILE `connectorRuntimeSettings` entry: its value goes in
  `profileProperties`;
* nested objects with declared `properties` are flattened: the key is the path joined with `__`
  (`credentials__api_token` for `{"credentials": {"api_token": ...}}`), each segment's characters
  outside `[A-Za-z0-9_]` turned into `_` (AppFlow keys are `[\\w]+`);
* objects without declared properties, `oneOf`/`anyOf` choices and arrays are one key whose
  value is JSON text (`{"option_title":"API Token","api_token":"..."}`), secret when any of their
  branches holds a secret.

Values arrive as text (AppFlow's property values are strings) and are converted by the schema's
type: integer, number, boolean (`true`/`false`), JSON text for objects and arrays. A property's
schema `default` is filled in when the profile leaves it out. Keys the operator fixes in an alias's
`config` are not offered (the alias's value is used). A declarative manifest fixed that way
(`__injected_declarative_manifest`) contributes its own `spec.connection_specification`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluice.connectors.base import ConnectorError

MANIFEST_KEY = "__injected_declarative_manifest"
_NOT_WORD = re.compile(r"\W")
_DESCRIPTION_OK = re.compile(r"[^\s\w/!@#+=.-]")


@dataclass(frozen=True)
class Setting:
    """One profile key and where its value goes in the connector's config."""

    key: str
    path: tuple[str, ...]
    kind: str  # string, integer, number, boolean, json
    secret: bool = False
    required: bool = False
    title: str = ""
    default: Any = None


def _types(schema: Mapping[str, Any]) -> list[str]:
    declared = schema.get("type")
    kinds = declared if isinstance(declared, list) else [declared] if declared else []
    return [str(k) for k in kinds if k != "null"]


def _is_secret(schema: Mapping[str, Any]) -> bool:
    if schema.get("airbyte_secret") or schema.get("secret") or schema.get("writeOnly"):
        return True
    branches = [*(schema.get("oneOf") or []), *(schema.get("anyOf") or [])]
    nested = list((schema.get("properties") or {}).values())
    return any(isinstance(b, Mapping) and _is_secret(b) for b in [*branches, *nested])


def _kind(schema: Mapping[str, Any]) -> str:
    if schema.get("oneOf") or schema.get("anyOf"):
        return "json"
    kinds = _types(schema)
    kind = kinds[0] if kinds else "string"
    return kind if kind in ("string", "integer", "number", "boolean") else "json"


def effective_schema(schema: Mapping[str, Any], fixed: Mapping[str, Any]) -> dict[str, Any]:
    """The config schema profiles fill: `schema` less the operator's fixed keys, plus a fixed
    declarative manifest's own connection specification."""
    properties = {k: v for k, v in (schema.get("properties") or {}).items() if k not in fixed}
    required = [k for k in schema.get("required") or [] if k not in fixed]
    manifest = fixed.get(MANIFEST_KEY)
    if isinstance(manifest, Mapping):
        inner = (manifest.get("spec") or {}).get("connection_specification") or {}
        properties.update(inner.get("properties") or {})
        required += [k for k in inner.get("required") or [] if k not in required]
    return {**schema, "properties": properties, "required": required}


def settings_of(schema: Mapping[str, Any]) -> list[Setting]:
    """The profile keys of a config schema, in the schema's order."""
    found: list[Setting] = []

    def walk(node: Mapping[str, Any], path: tuple[str, ...], required_here: bool) -> None:
        required = set(node.get("required") or [])
        for name, child in (node.get("properties") or {}).items():
            if not isinstance(child, Mapping):
                continue
            child_path = (*path, str(name))
            needed = required_here and name in required
            if _types(child)[:1] == ["object"] and child.get("properties") and not (
                    child.get("oneOf") or child.get("anyOf")):
                walk(child, child_path, needed)
                continue
            key = "__".join(_NOT_WORD.sub("_", part) for part in child_path)
            found.append(Setting(key=key, path=child_path, kind=_kind(child), secret=_is_secret(child),
                                 required=needed and "default" not in child,
                                 title=str(child.get("title") or name), default=child.get("default")))

    walk(schema, (), True)
    return found


def describe(text: str) -> str:
    """`text` within AppFlow's `Description`/`Label` pattern and length."""
    return " ".join(_DESCRIPTION_OK.sub(" ", text).split())[:128] or "value"


def _convert(setting: Setting, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        if setting.kind == "integer":
            return int(raw)
        if setting.kind == "number":
            return float(raw)
        if setting.kind == "boolean":
            lowered = raw.strip().lower()
            if lowered not in ("true", "false"):
                raise ValueError(raw)
            return lowered == "true"
        if setting.kind == "json":
            return json.loads(raw)
    except ValueError as exc:
        # Never quote the value: it may be a secret.
        raise ConnectorError("InvalidArgument", f"The profile's {setting.key} must be "
                             f"{'JSON text' if setting.kind == 'json' else 'a ' + setting.kind}.") from exc
    return raw


def _put(config: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = config
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[path[-1]] = value


def _merge(base: dict[str, Any], fixed: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in fixed.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def connector_config(schema: Mapping[str, Any], properties: Mapping[str, Any], credentials: Mapping[str, Any],
                     fixed: Mapping[str, Any]) -> dict[str, Any]:
    """The connector's config from a profile's `profileProperties` and `credentialsMap`.

    A schema without properties (a Singer tap that describes none) takes every key as given.
    """
    settings = settings_of(schema)
    given = {**properties, **credentials}
    if not settings:
        return _merge({str(k): v for k, v in given.items()}, fixed)
    config: dict[str, Any] = {}
    missing = []
    for setting in settings:
        raw = given.get(setting.key)
        if raw is None or (isinstance(raw, str) and raw == ""):
            if setting.default is not None:
                _put(config, setting.path, setting.default)
            elif setting.required:
                missing.append(setting.key)
            continue
        _put(config, setting.path, _convert(setting, raw))
    if missing:
        raise ConnectorError("InvalidArgument", f"The profile lacks {', '.join(missing)} (secret values go in "
                             "credentialsMap, the others in profileProperties).")
    return _merge(config, fixed)


def secret_paths(schema: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """Where the secret values sit in a connector config (for redaction)."""
    return [s.path for s in settings_of(schema) if s.secret]
