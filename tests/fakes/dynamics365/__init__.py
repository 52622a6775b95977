"""A fake Microsoft Dynamics 365 environment: the Dataverse Web API (OData v4) and the Microsoft
identity platform's token endpoint, served over https for the tests.

Follows Microsoft's documentation:

* Web API overview and request headers (`OData-MaxVersion`/`OData-Version: 4.0`, JSON answers
  `{"@odata.context": ..., "value": [...]}`):
  https://learn.microsoft.com/power-apps/developer/data-platform/webapi/overview,
  https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors;
* queries (`$select`, `$filter`, `$top`, `$count`; the primary key is always returned; a row's
  `@odata.etag`): https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/overview,
  https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/filter-rows;
* paging (`Prefer: odata.maxpagesize=N`, at most 5,000; `Preference-Applied`; `@odata.nextLink`
  carrying the query and a `$skiptoken` paging cookie; no `$skip`):
  https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results;
* formatted values (`Prefer: odata.include-annotations="OData.Community.Display.V1.FormattedValue"`):
  https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/select-columns#formatted-values;
* lookup columns as `_<name>_value`:
  https://learn.microsoft.com/power-apps/developer/data-platform/webapi/web-api-properties#lookup-properties;
* table definitions (`EntityDefinitions`, `EntityDefinitions(LogicalName='x')/Attributes`, labels
  as `{"LocalizedLabels": [...], "UserLocalizedLabel": {...}}`):
  https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api;
* errors `{"error": {"code": "0x...", "message": "..."}}`, and service protection limits: 429 with
  `Retry-After` seconds and code 0x80072322:
  https://learn.microsoft.com/power-apps/developer/data-platform/api-limits;
* 401 without a body and with a `WWW-Authenticate: Bearer authorization_uri=...` challenge when
  the token is missing, wrong or expired;
* tokens: `POST /{tenant}/oauth2/v2.0/token` with the refresh_token or authorization_code grant,
  errors `{"error": "invalid_grant", "error_description": "AADSTS70000: ...", "error_codes": [...]}`:
  https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow.

Rows are flat, as Dataverse answers without `$expand` (a related row is a lookup's id); nested
JSON appears only in the table definitions (labels). `$filter` understands what Sluice sends
(query.py): `eq ne gt ge lt le`, `and or not`, parentheses, `contains` / `startswith` /
`endswith`, and literals: quoted text (`''` for a quote), numbers, `true` / `false` / `null`,
GUIDs and ISO dates and date-times, unquoted. Text compares case-insensitively, as Dataverse's
default collation does. `$orderby` is answered with `$top` only (no paging of sorted reads);
`$expand`, `$apply`, `$skip` and fetchXml are refused with a 400.

Test controls on `state` (model.Environment): `throttle_next(n, retry_after)`,
`expire_tokens()`, `fail_next(status, code, message)`, `update(table, index, **values)`,
`add(table, n)`, and the `log` of requests (plus `prefers`, the Prefer header of each data request).
"""
