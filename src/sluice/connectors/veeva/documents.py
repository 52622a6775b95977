"""Vault documents: their records, and their files handed to the destination (connectors layer, Veeva).

`VeevaSourceProperties` with `object: documents`:

* `documentType` - only documents of that type (its label or its name, e.g. `promotional_piece__c`,
  resolved with `GET /api/{version}/metadata/objects/documents/types`), as `type__v = '<label>'` in VQL;
* `includeAllVersions` - every version (`FROM ALLVERSIONS documents`), else the latest of each;
* `includeSourceFiles` - each document version's file: `GET /api/{version}/objects/documents/{id}/file`
  (latest) or `.../versions/{major}/{minor}/file`, named by its `Content-Disposition`;
* `includeRenditions` - each rendition Vault lists (`GET .../renditions`: `renditionTypes`), from
  `.../renditions/{type}`.

Veeva's docs: https://developer.veevavault.com/api/24.1/#documents (Retrieve Document File, Retrieve
Document Version File, Retrieve Document Renditions, Download Document Rendition File).

Files are streamed to a temporary file (memory above 8 MiB spills to disk) and handed to the run's
destinations through `RunContext.files`, under `<document id>/<major>_<minor>/<file name>` - the keys
AppFlow writes, as AWS's own sample reads them back (https://github.com/aws-samples/
aws-ai-appflow-veeva-integration, `code/source/AVAIAppFlowListener.py`) - and renditions under
`<document id>/<major>_<minor>/renditions/<rendition type>/<file name>` (AppFlow does not say); the S3
destination stages them with the run and publishes them beside the records (docs/connectors/veeva.md).
A document without a file (a placeholder) or a rendition Vault no longer has is skipped with a warning
in the run's log.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, cast
from urllib.parse import unquote

import orjson

from sluice.connectors.base import ConnectorError, RunContext, report
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Field, Page, Query
from sluice.connectors.rest.pages import read_pages
from sluice.connectors.veeva.session import API_VERSION, failure
from sluice.connectors.veeva.vql import NextPage, query_request, select, where

VERSION_FIELDS = ("id", "major_version_number__v", "minor_version_number__v")
SPOOL_BYTES = 8 * 1024 * 1024
_FILENAME = re.compile(r"""filename="?([^";]+)"?""", re.IGNORECASE)
_FILENAME_STAR = re.compile(r"""filename\*=(?:UTF-8|utf-8)''([^;]+)""")


@dataclass(frozen=True)
class DocumentOptions:
    """The document members of `VeevaSourceProperties`."""

    document_type: str = ""
    source_files: bool = False
    renditions: bool = False
    all_versions: bool = False

    @classmethod
    def of(cls, props: Mapping[str, Any]) -> DocumentOptions:
        return cls(str(props.get("documentType") or "").strip(), bool(props.get("includeSourceFiles")),
                   bool(props.get("includeRenditions")), bool(props.get("includeAllVersions")))

    @property
    def files(self) -> bool:
        return self.source_files or self.renditions


def document_type_label(client: RestClient, wanted: str) -> str:
    """The label of the document type `wanted` names (by label or name); `InvalidArgument` when none."""
    body = client.json(Request("GET", f"/api/{API_VERSION}/metadata/objects/documents/types"))
    types = body.get("types") if isinstance(body, Mapping) else None
    known: list[str] = []
    for item in types or []:
        if not isinstance(item, Mapping):
            continue
        label, name = str(item.get("label") or ""), str(item.get("value") or "").rstrip("/").rpartition("/")[2]
        known.append(label)
        if wanted in (label, name):
            return label
    raise ConnectorError("InvalidArgument", f"the Vault has no document type {wanted!r} (its types: "
                         f"{', '.join(known) or 'none'})")


def read_documents(client: RestClient, query: Query, fields: Sequence[Field], options: DocumentOptions,
                   ctx: RunContext, counted: Any = None) -> Iterator[Page]:
    """The documents' pages; with files asked for, each page's files are handed over before it is yielded."""
    columns = [*(query.columns or [f.name for f in fields])]
    names = {f.name for f in fields}
    columns += [name for name in (*VERSION_FIELDS, "filename__v") if name in names and name not in columns]
    terms = where(query, fields)
    if options.document_type:
        label = document_type_label(client, options.document_type).replace("\\", "\\\\").replace("'", "\\'")
        terms.append(f"type__v = '{label}'")
    source = "ALLVERSIONS documents" if options.all_versions else "documents"
    request = query_request(API_VERSION, select(columns, source, terms))
    files = ctx.files if options.files else None
    if options.files and files is None:
        report(ctx, "warning", "the flow asks for document files but none of its destinations takes files "
               "(only Amazon S3 does): only the document records are moved", "warning")
    for page in read_pages(client, request, NextPage(), "data", "documents"):
        if files is not None:
            for record in page.records:
                handed = _hand_files(client, record, options, files, ctx)
                if counted is not None:
                    counted(handed)
        yield page


def _hand_files(client: RestClient, record: Mapping[str, Any], options: DocumentOptions,
                files: Any, ctx: RunContext) -> int:
    doc, major, minor = (record.get(name) for name in VERSION_FIELDS)
    if doc is None or major is None or minor is None:
        raise ConnectorError("ServerError", "a Vault document record came without its id and version numbers")
    base = f"/api/{API_VERSION}/objects/documents/{doc}"
    if options.all_versions:
        base += f"/versions/{major}/{minor}"
    folder = f"{doc}/{major}_{minor}"  # AppFlow's own layout (see the module docstring)
    handed = 0
    if options.source_files:
        if record.get("filename__v") is None and "filename__v" in record:
            report(ctx, "warning", f"document {doc} version {major}.{minor} has no source file (a placeholder): "
                   "skipped", "warning")
        else:
            handed += _download(client, f"{base}/file", folder, files, ctx)
    if options.renditions:
        listed = client.json(Request("GET", f"{base}/renditions"))
        kinds = listed.get("renditionTypes") if isinstance(listed, Mapping) else None
        for kind in kinds or []:
            handed += _download(client, f"{base}/renditions/{kind}", f"{folder}/renditions/{kind}", files, ctx)
    return handed


def _download(client: RestClient, path: str, folder: str, files: Any, ctx: RunContext) -> int:
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        body = cast(BinaryIO, spool)
        answer = client.call(Request("GET", path, headers={"Accept": "*/*"}), into=body)
        if answer.response.headers.get("content-type", "").startswith("application/json"):
            body.seek(0)
            try:
                parsed = orjson.loads(body.read())
            except orjson.JSONDecodeError:
                parsed = None
            found = failure(parsed)
            if found is not None:
                report(ctx, "warning", f"Veeva Vault has no file at {path} ({found[0]}: {found[1]}): skipped",
                       "warning")
                return 0
        name = file_name(answer.response.headers.get("content-disposition", ""), path)
        body.seek(0)
        files(f"{folder}/{name}", body)
    return 1


def file_name(disposition: str, path: str) -> str:
    """The file's name from `Content-Disposition` (`filename*=UTF-8''...` first, then `filename=`; else the
    path's last segment), safe as one key segment."""
    star, plain = _FILENAME_STAR.search(disposition), _FILENAME.search(disposition)
    if star:  # RFC 6266 / 5987: the UTF-8 name, percent-encoded
        name = unquote(star.group(1).strip().strip('"'))
    else:
        name = plain.group(1).strip() if plain else path.rstrip("/").rpartition("/")[2]
    name = re.sub(r"[\x00-\x1f/\\]", "_", name).strip(". ") or "file"
    return name[:200]
