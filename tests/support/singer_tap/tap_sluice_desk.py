"""tap-sluice-desk: a Singer tap reading the ticket desk fake (tests/fakes/ticket_desk), standard library only.

It follows the Singer spec (https://github.com/singer-io/getting-started/blob/master/docs/SPEC.md)
and the conventions of singer-sdk taps:

* `--about --format json` prints `{"name", "settings"}`, the settings a JSON schema (`secret: true`
  on the API token);
* `--config CONFIG --discover` prints the catalog: streams `tickets` (incremental by `updated_at`)
  and `priorities` (full table), each with `metadata` breadcrumbs (`table-key-properties`,
  `valid-replication-keys`, `inclusion`);
* `--config CONFIG --catalog CATALOG [--state STATE]` syncs the selected streams: SCHEMA, RECORD and
  STATE messages (`{"bookmarks": {"tickets": {"updated_at": ...}}}`) on stdout, one per line;
  `replication-method: INCREMENTAL` starts after the state's bookmark (or `start_date`).

HTTP failures are printed to stderr as `CRITICAL <status> <the API's message>` with exit code 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

NAME = "tap-sluice-desk"
SETTINGS = {
    "type": "object",
    "required": ["base_url", "api_token"],
    "properties": {
        "base_url": {"type": "string", "title": "Base URL"},
        "api_token": {"type": "string", "title": "API token", "secret": True},
        "start_date": {"type": "string", "format": "date-time", "title": "Start date"},
        "page_size": {"type": "integer", "default": 40, "title": "Page size"},
        "options": {"type": "object", "title": "Options", "properties": {
            "include_public": {"type": "boolean", "default": True, "title": "Include public tickets"}}},
    },
}
TICKET_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "subject": {"type": ["null", "string"]},
        "status": {"type": ["null", "string"]},
        "priority": {"type": ["null", "integer"]},
        "score": {"type": ["null", "number"]},
        "is_public": {"type": ["null", "boolean"]},
        "requester": {"type": ["null", "object"]},
        "tags": {"type": ["null", "array"], "items": {"type": "string"}},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}
PRIORITY_SCHEMA = {"type": "object", "properties": {"priority": {"type": "integer"}, "name": {"type": "string"}}}
PRIORITIES = [{"priority": 1, "name": "low"}, {"priority": 2, "name": "normal"}, {"priority": 3, "name": "high"},
              {"priority": 4, "name": "urgent"}]


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")


def fail(text: str) -> None:
    sys.stderr.write(f"CRITICAL {text}\n")
    sys.exit(1)


def get(config: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    url = f"{config['base_url'].rstrip('/')}/api/v2/tickets?{urllib.parse.urlencode(params)}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {config['api_token']}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except urllib.error.HTTPError as exc:
        try:
            said = json.loads(exc.read())["error"]["message"]
        except (ValueError, KeyError, TypeError):
            said = exc.reason
        fail(f"{exc.code} {said}")
    raise AssertionError("unreachable")


def metadata(keys: list[str], replication: list[str], properties: dict[str, Any]) -> list[dict[str, Any]]:
    top: dict[str, Any] = {"table-key-properties": keys, "inclusion": "available", "selected-by-default": False}
    if replication:
        top["valid-replication-keys"] = replication
    else:
        top["forced-replication-method"] = "FULL_TABLE"
    entries = [{"breadcrumb": [], "metadata": top}]
    for name in properties:
        automatic = name in keys or name in replication
        entries.append({"breadcrumb": ["properties", name],
                        "metadata": {"inclusion": "automatic" if automatic else "available"}})
    return entries


def discover(config: dict[str, Any]) -> dict[str, Any]:
    get(config, {"per_page": "1"})  # the credentials work
    return {"streams": [
        {"tap_stream_id": "tickets", "stream": "tickets", "schema": TICKET_SCHEMA, "key_properties": ["id"],
         "metadata": metadata(["id"], ["updated_at"], TICKET_SCHEMA["properties"])},
        {"tap_stream_id": "priorities", "stream": "priorities", "schema": PRIORITY_SCHEMA,
         "key_properties": ["priority"], "metadata": metadata(["priority"], [], PRIORITY_SCHEMA["properties"])},
    ]}


def top_metadata(stream: dict[str, Any]) -> dict[str, Any]:
    for entry in stream.get("metadata") or []:
        if not entry.get("breadcrumb"):
            return dict(entry.get("metadata") or {})
    return {}


def sync_tickets(config: dict[str, Any], meta: dict[str, Any], state: dict[str, Any]) -> None:
    emit({"type": "SCHEMA", "stream": "tickets", "schema": TICKET_SCHEMA, "key_properties": ["id"],
          "bookmark_properties": ["updated_at"]})
    incremental = meta.get("replication-method") == "INCREMENTAL"
    bookmark = (state.get("bookmarks") or {}).get("tickets", {}).get("updated_at") if incremental else None
    params = {"per_page": str(config.get("page_size") or 40)}
    since = bookmark or config.get("start_date")
    if since:
        params["updated_after"] = since
    newest = bookmark
    include_public = (config.get("options") or {}).get("include_public", True)
    while True:
        page = get(config, params)
        for ticket in page["data"]:
            newest = max(newest or "", ticket["updated_at"])
            if include_public or not ticket.get("is_public"):
                emit({"type": "RECORD", "stream": "tickets", "record": ticket})
        if incremental and newest:
            emit({"type": "STATE", "value": {"bookmarks": {**(state.get("bookmarks") or {}),
                                                           "tickets": {"updated_at": newest}}}})
        cursor = page["meta"].get("next_cursor")
        if not cursor:
            return
        params["cursor"] = cursor


def sync(config: dict[str, Any], catalog: dict[str, Any], state: dict[str, Any]) -> None:
    for stream in catalog.get("streams") or []:
        meta = top_metadata(stream)
        if not (meta.get("selected") or stream.get("selected")):
            continue
        if stream["tap_stream_id"] == "tickets":
            sync_tickets(config, meta, state)
        elif stream["tap_stream_id"] == "priorities":
            emit({"type": "SCHEMA", "stream": "priorities", "schema": PRIORITY_SCHEMA, "key_properties": ["priority"]})
            for row in PRIORITIES:
                emit({"type": "RECORD", "stream": "priorities", "record": row})


def main() -> None:
    parser = argparse.ArgumentParser(prog=NAME)
    parser.add_argument("--config")
    parser.add_argument("--catalog")
    parser.add_argument("--properties")
    parser.add_argument("--state")
    parser.add_argument("--discover", action="store_true")
    parser.add_argument("--about", action="store_true")
    parser.add_argument("--format")
    args = parser.parse_args()
    if args.about:
        print(json.dumps({"name": NAME, "settings": SETTINGS}, indent=2))
        return
    if not args.config:
        fail("--config is required")
    with open(args.config) as handle:
        config = json.load(handle)
    if args.discover:
        print(json.dumps(discover(config), indent=2))
        return
    catalog_path = args.catalog or args.properties
    if not catalog_path:
        fail("--catalog is required")
    with open(catalog_path) as handle:
        catalog = json.load(handle)
    state: dict[str, Any] = {}
    if args.state:
        with open(args.state) as handle:
            state = json.load(handle) or {}
    sync(config, catalog, state)


if __name__ == "__main__":
    main()
