"""A low-code Airbyte manifest reading the ticket desk (for `airbyte-source-declarative-manifest`).

Written for the tests with the declarative components of the Airbyte CDK
(https://docs.airbyte.com/connector-development/config-based/understanding-the-yaml-file/yaml-overview):
a `SimpleRetriever` with a bearer `HttpRequester`, a `DpathExtractor` on `data`, `CursorPagination`
on `meta.next_cursor`, and a `DatetimeBasedCursor` on `updated_at`; the request sends the state's
cursor (or `start_date`) as `updated_after`, so incremental reads start after it. Its `spec` asks
`base_url`, `api_token` (secret) and `start_date`.
"""

from __future__ import annotations

from typing import Any

FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "subject": {"type": ["null", "string"]},
        "status": {"type": ["null", "string"]},
        "priority": {"type": ["null", "integer"]},
        "score": {"type": ["null", "number"]},
        "is_public": {"type": ["null", "boolean"]},
        "requester": {"type": ["null", "object"], "properties": {"name": {"type": "string"},
                                                                   "email": {"type": "string"}}},
        "assignee": {"type": ["null", "string"]},
        "tags": {"type": ["null", "array"], "items": {"type": "string"}},
        "created_at": {"type": ["null", "string"], "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}


def manifest(per_page: int = 50) -> dict[str, Any]:
    """The manifest, as `__injected_declarative_manifest` takes it."""
    return {
        "version": "6.5.0",
        "type": "DeclarativeSource",
        "check": {"type": "CheckStream", "stream_names": ["tickets"]},
        "streams": [{
            "type": "DeclarativeStream",
            "name": "tickets",
            "primary_key": ["id"],
            "schema_loader": {"type": "InlineSchemaLoader", "schema": SCHEMA},
            "retriever": {
                "type": "SimpleRetriever",
                "requester": {
                    "type": "HttpRequester",
                    "url_base": "{{ config['base_url'] }}",
                    "path": "/api/v2/tickets",
                    "http_method": "GET",
                    "authenticator": {"type": "BearerAuthenticator", "api_token": "{{ config['api_token'] }}"},
                    # The classic low-code pattern: the request reads the stream's state (or the
                    # start date), which also keeps the CDK on its sequential cursor.
                    "request_parameters": {
                        "per_page": str(per_page),
                        "updated_after": "{{ stream_state.get('updated_at', config['start_date']) }}",
                    },
                },
                "record_selector": {"type": "RecordSelector",
                                    "extractor": {"type": "DpathExtractor", "field_path": ["data"]}},
                "paginator": {
                    "type": "DefaultPaginator",
                    "pagination_strategy": {"type": "CursorPagination",
                                            "cursor_value": "{{ response.meta.next_cursor }}",
                                            "stop_condition": "{{ not response.meta.next_cursor }}"},
                    "page_token_option": {"type": "RequestOption", "inject_into": "request_parameter",
                                          "field_name": "cursor"},
                },
            },
            "incremental_sync": {
                "type": "DatetimeBasedCursor",
                "cursor_field": "updated_at",
                "datetime_format": FORMAT,
                "cursor_datetime_formats": [FORMAT],
                "start_datetime": {"type": "MinMaxDatetime", "datetime": "{{ config['start_date'] }}",
                                   "datetime_format": FORMAT},
            },
        }],
        "spec": {
            "type": "Spec",
            "connection_specification": {
                "type": "object",
                "required": ["base_url", "api_token"],
                "properties": {
                    "base_url": {"type": "string", "title": "Base URL"},
                    "api_token": {"type": "string", "title": "API token", "airbyte_secret": True},
                    "start_date": {"type": "string", "title": "Start date", "default": "2000-01-01T00:00:00.000000Z"},
                },
            },
        },
    }
