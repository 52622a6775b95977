"""One external connector (an Airbyte source or a Singer tap) as a Sluice CustomConnector label.

`ExternalConnector(label)` installs the connector on first use (`install.py`) and answers what the
service and the engine ask of a label (connectors layer, Airbyte/Singer runner):

* `configuration()` - the `ConnectorConfiguration` DescribeConnector answers: a source (no
  destination), OnDemand and Scheduled, every `ScheduleFrequencyType`, the CustomConnector
  operators (the engine applies them all; nothing is pushed into the connector), CUSTOM
  authentication whose `authParameters` are the connector's secret settings, and its other
  settings as CONNECTOR_PROFILE `connectorRuntimeSettings` (`settings_map.py`); the installed
  version as `connectorVersion` and `supportedApiVersions`;
* `check_profile(profile)` - the profile's keys against the schema, then the connector's own
  `check` (Singer: a `--discover`); a failure refuses the profile quoting the connector's message;
* `list_entities` / `describe_entity` - the streams of `discover`, their JSON schemas as fields
  (`fields.py`);
* `open_source` - a run's reader (`source.py`).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from sluice.connectors.base import ConnectorError, EntityPage, ProfileView, RunContext, Source
from sluice.connectors.configuration import ALL_FREQUENCIES, ON_DEMAND_AND_SCHEDULED, connector_configuration
from sluice.connectors.custom_connector import CAPABILITIES as CUSTOM_CAPABILITIES
from sluice.connectors.entity_pages import entity_page
from sluice.connectors.external import install
from sluice.connectors.external.fields import fields_of
from sluice.connectors.external.labels import ExternalLabel
from sluice.connectors.external.process import secret_values
from sluice.connectors.external.protocols import Airbyte, Singer, Stream, runner
from sluice.connectors.external.settings_map import (
    Setting,
    connector_config,
    describe,
    effective_schema,
    secret_paths,
    settings_of,
)
from sluice.connectors.rest.entities import Entity
from sluice.connectors.rest.metadata import entity_field

CUSTOM_AUTH = "CUSTOM"
_DATA_TYPES = {"string": "String", "integer": "Long", "number": "Double", "boolean": "Boolean", "json": "JSON"}
OPERATORS = tuple(CUSTOM_CAPABILITIES["supportedOperators"])
DISCOVER_SECONDS = 300.0


def _auth_parameter(setting: Setting) -> dict[str, Any]:
    return {"key": setting.key, "isRequired": setting.required, "label": describe(setting.title),
            "description": describe(setting.title), "isSensitiveField": True}


def _runtime_setting(setting: Setting) -> dict[str, Any]:
    return {"key": setting.key, "dataType": _DATA_TYPES[setting.kind], "isRequired": setting.required,
            "label": describe(setting.title), "description": describe(setting.title), "scope": "CONNECTOR_PROFILE"}


def profile_values(profile: ProfileView) -> tuple[dict[str, Any], dict[str, Any]]:
    """(profileProperties, credentialsMap) of a CustomConnector profile."""
    properties = profile.properties.get("profileProperties") or {}
    credentials = profile.credentials or {}
    kind = str(credentials.get("authenticationType") or CUSTOM_AUTH).upper()
    if credentials and kind != CUSTOM_AUTH:
        raise ConnectorError("InvalidArgument", f"The {profile.connector_label} connector profile uses {kind} "
                             "authentication; external connectors take CUSTOM (their secrets in credentialsMap).")
    secrets = (credentials.get("custom") or {}).get("credentialsMap") or {}
    return dict(properties), dict(secrets)


class ExternalConnector:
    """An Airbyte source or Singer tap, installed on first use."""

    def __init__(self, label: ExternalLabel) -> None:
        self.label = label
        self._lock = threading.Lock()
        # sha256 of a config -> (expiry on the monotonic clock, its streams); no secret is a key.
        self._discovered: dict[str, tuple[float, list[Stream]]] = {}

    @cached_property
    def installed(self) -> install.Installed:
        return install.installed(self.label)

    def runner(self, secrets: list[str] | None = None,
               on_refused: Callable[[str], None] | None = None) -> Airbyte | Singer:
        """The protocol runner (`secrets`: values to redact from what it reports; `on_refused`: told
        of each connection the egress proxy refused)."""
        return runner(self.label.protocol, self.installed, secrets or [], on_refused)

    @cached_property
    def schema(self) -> dict[str, Any]:
        """The config schema profiles fill (the alias's fixed keys left out)."""
        return effective_schema(self.runner().spec(), self.label.config)

    def configuration(self) -> dict[str, Any]:
        """The label's `ConnectorConfiguration`."""
        settings = settings_of(self.schema)
        kind = "Airbyte source" if self.label.protocol == "airbyte" else "Singer tap"
        config = connector_configuration(
            connector_type="CustomConnector",
            name=self.label.package,
            description=describe(f"{kind} {self.installed.package} {self.installed.version} run by Sluice"),
            metadata={},
            source=True,
            destination=False,
            triggers=ON_DEMAND_AND_SCHEDULED,
            frequencies=ALL_FREQUENCIES,
            operators=OPERATORS,
            authentication_config={
                "isBasicAuthSupported": False, "isApiKeyAuthSupported": False, "isOAuth2Supported": False,
                "isCustomAuthSupported": True,
                "customAuthConfigs": [{"customAuthenticationType": CUSTOM_AUTH,
                                       "authParameters": [_auth_parameter(s) for s in settings if s.secret]}],
            },
        )
        config["connectorOwner"] = "Airbyte" if self.label.protocol == "airbyte" else "Singer"
        config["connectorLabel"] = self.label.label
        config["connectorVersion"] = self.installed.version
        config["supportedApiVersions"] = [self.installed.version]
        plain = [_runtime_setting(s) for s in settings if not s.secret]
        if plain:
            config["connectorRuntimeSettings"] = plain
        return config

    def config_for(self, profile: ProfileView) -> tuple[dict[str, Any], list[str]]:
        """(the connector config a profile gives, the secret values in it)."""
        properties, credentials = profile_values(profile)
        config = connector_config(self.schema, properties, credentials, self.label.config)
        secrets = [str(v) for v in credentials.values() if v is not None]
        return config, secrets + secret_values(config, secret_paths(self.schema))

    def check_profile(self, profile: ProfileView) -> Mapping[str, Any]:
        """The credentials to store, once the connector's own check passed.

        An update that keeps the stored credentials (none given) of a connector that has secret
        settings is checked for its properties only: the connector cannot run without the secrets.
        """
        settings = settings_of(self.schema)
        if not profile.credentials and any(s.secret for s in settings):
            properties, _ = profile_values(profile)
            missing = [s.key for s in settings if not s.secret and s.required and s.default is None
                       and not str(properties.get(s.key) or "").strip()]
            if missing:
                raise ConnectorError("InvalidArgument", f"The profile lacks {', '.join(missing)}.")
            return {}
        config, secrets = self.config_for(profile)
        self.runner(secrets).check(config)
        return dict(profile.credentials or {})

    def streams(self, profile: ProfileView) -> list[Stream]:
        """The connector's streams for a profile: its `discover`, reused for `DISCOVER_SECONDS` for
        the same config (each run needs its stream's catalog entry; a connector process costs seconds)."""
        config, secrets = self.config_for(profile)
        key = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()
        with self._lock:
            cached = self._discovered.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        streams = self.runner(secrets).discover(config)
        with self._lock:
            self._discovered[key] = (time.monotonic() + DISCOVER_SECONDS, streams)
        return streams

    def stream(self, profile: ProfileView, name: str) -> Stream:
        """One stream by name; ResourceNotFound naming the ones there are."""
        streams = self.streams(profile)
        for stream in streams:
            if stream.name == name:
                return stream
        raise ConnectorError("ResourceNotFound", f"{self.label.label} has no stream {name} "
                             f"(it has {', '.join(s.name for s in streams) or 'none'}).")

    # -- MetadataProvider ----------------------------------------------------------------
    def list_entities(self, profile: ProfileView, parent: str | None, max_results: int | None,
                      next_token: str | None) -> EntityPage:
        """The streams as entities (no nesting)."""
        if parent:
            return EntityPage(entities=[])
        entities = [{"name": s.name, "label": s.name, "hasNestedEntities": False,
                     "description": describe(f"{s.name} stream of {self.label.package}")}
                    for s in self.streams(profile)]
        return entity_page(entities, max_results, next_token, "external")

    def describe_entity(self, profile: ProfileView, entity_name: str) -> list[dict[str, Any]]:
        """The stream's fields as `ConnectorEntityField`s."""
        stream = self.stream(profile, entity_name)
        entity = Entity(name=stream.name, fields=tuple(fields_of(stream)))
        supported = frozenset(OPERATORS)
        return [entity_field(field, entity, supported) for field in entity.fields]

    def open_source(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> Source:
        from sluice.connectors.external.source import ExternalSource

        return ExternalSource(self, profile, props, ctx)
