"""A connector's config schema as profile keys, and a profile back as config (settings_map.py)."""

from __future__ import annotations

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.external.settings_map import (
    MANIFEST_KEY,
    connector_config,
    describe,
    effective_schema,
    secret_paths,
    settings_of,
)

SPEC = {
    "type": "object",
    "required": ["api_key", "credentials", "start_date"],
    "properties": {
        "api_key": {"type": "string", "airbyte_secret": True, "title": "API key"},
        "start_date": {"type": "string", "title": "Start date (UTC)"},
        "count": {"type": "integer", "default": 1000},
        "ratio": {"type": ["null", "number"]},
        "verbose": {"type": "boolean"},
        "credentials": {"type": "object", "required": ["client_id"], "properties": {
            "client_id": {"type": "string"},
            "client-secret": {"type": "string", "airbyte_secret": True}}},
        "auth": {"oneOf": [{"properties": {"token": {"type": "string", "airbyte_secret": True}}},
                           {"properties": {"user": {"type": "string"}}}]},
        "repos": {"type": "array", "items": {"type": "string"}},
    },
}


def test_leaves_become_keys_secrets_become_auth_parameters() -> None:
    settings = {s.key: s for s in settings_of(SPEC)}
    assert list(settings) == ["api_key", "start_date", "count", "ratio", "verbose", "credentials__client_id",
                              "credentials__client_secret", "auth", "repos"]
    assert [k for k, s in settings.items() if s.secret] == ["api_key", "credentials__client_secret", "auth"]
    assert settings["credentials__client_id"].required and not settings["count"].required  # it has a default
    assert settings["credentials__client_secret"].path == ("credentials", "client-secret")
    assert (settings["auth"].kind, settings["repos"].kind, settings["ratio"].kind) == ("json", "json", "number")


def test_a_profile_becomes_typed_nested_config_with_defaults() -> None:
    config = connector_config(
        SPEC,
        {"start_date": "2024-01-01", "ratio": "0.5", "verbose": "TRUE", "credentials__client_id": "abc",
         "repos": '["a/b", "c/d"]'},
        {"api_key": "k-123", "credentials__client_secret": "s-456", "auth": '{"token": "t-789"}'},
        {})
    assert config == {"api_key": "k-123", "start_date": "2024-01-01", "count": 1000, "ratio": 0.5, "verbose": True,
                      "credentials": {"client_id": "abc", "client-secret": "s-456"}, "auth": {"token": "t-789"},
                      "repos": ["a/b", "c/d"]}


def test_missing_required_keys_and_bad_values_are_refused_without_quoting_values() -> None:
    with pytest.raises(ConnectorError, match="lacks api_key, start_date, credentials__client_id"):
        connector_config(SPEC, {}, {}, {})
    with pytest.raises(ConnectorError) as bad:
        connector_config(SPEC, {"start_date": "x", "credentials__client_id": "a"},
                         {"api_key": "k", "auth": "{not json secret-value"}, {})
    assert bad.value.code == "InvalidArgument" and "secret-value" not in bad.value.message


def test_fixed_keys_are_not_offered_and_a_fixed_manifest_brings_its_spec() -> None:
    manifest = {"spec": {"connection_specification": {"required": ["base_url"], "properties": {
        "base_url": {"type": "string"}, "token": {"type": "string", "airbyte_secret": True}}}}}
    base = {"type": "object", "required": [MANIFEST_KEY], "properties": {MANIFEST_KEY: {"type": "object"}}}
    schema = effective_schema(base, {MANIFEST_KEY: manifest})
    assert [(s.key, s.secret, s.required) for s in settings_of(schema)] == [("base_url", False, True),
                                                                            ("token", True, False)]
    config = connector_config(schema, {"base_url": "https://x"}, {"token": "t"}, {MANIFEST_KEY: manifest})
    assert config == {"base_url": "https://x", "token": "t", MANIFEST_KEY: manifest}


def test_a_schema_without_properties_takes_keys_as_given() -> None:
    assert connector_config({}, {"a": "1"}, {"b": "2"}, {"c": 3}) == {"a": "1", "b": "2", "c": 3}


def test_secret_paths_and_descriptions() -> None:
    assert secret_paths(SPEC) == [("api_key",), ("credentials", "client-secret"), ("auth",)]
    assert describe("Start date (UTC): *when*") == "Start date UTC when"
