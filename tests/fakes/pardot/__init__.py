"""A fake Account Engagement (Pardot) business unit: API v5 object queries and the Salesforce token endpoint.

It answers as Salesforce's public docs say:
- https://developer.salesforce.com/docs/marketing/pardot/guide/version5overview.html - `GET
  /api/v5/objects/<object>?fields=...` with `Authorization: Bearer <token>` and `Pardot-Business-Unit-Id`;
  `fields` is required and only the fields named come back (a nested object's members as `campaign.id`);
  `limit` (default 200, at most 1000), `orderBy` (`id`, `createdAt`, `updatedAt`, `asc`/`desc`), filters
  `createdAt`/`updatedAt` + `After`, `AfterOrEqualTo`, `Before`, `BeforeOrEqualTo`,
  `idGreaterThan(OrEqualTo)` / `idLessThan(OrEqualTo)` and `deleted` (`true`, `false` - the default -
  or `all`); the answer is `{"nextPageToken", "nextPageUrl", "values"}` and a request with
  `nextPageToken` carries the query on by itself; errors are `{"code": <number>, "message"}`;
- https://developer.salesforce.com/docs/marketing/pardot/guide/error-codes.html - 184 (invalid or inactive
  access token, 401), 181 (business unit id missing or invalid), 66 (more than five concurrent requests,
  429); the fake answers a bad parameter or unknown field with 400 and code 55 ("Invalid parameter");
- https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm - the Salesforce
  token endpoint `POST /services/oauth2/token` (refresh_token and authorization_code grants, answered
  `{"access_token", "instance_url", "token_type", "issued_at", "scope"}`; a bad grant is 400
  `{"error": "invalid_grant", "error_description"}`), served by the same fake so one server stands for
  login.salesforce.com and pi.pardot.com.

Objects: prospects (with three custom fields listed by `custom-fields`), campaigns, lists, list-memberships,
visitors, visitor-activities, opportunities, forms, list-emails, users, tags. Records are generated lazily
from a fixed seed (the prospect count is a constructor argument), with nulls, nested objects and unicode.
Test controls (not the vendor's API): `state.throttle_next(...)`, `state.expire_tokens()`,
`state.edit(...)` / `state.add(...)`, `state.log` (a RequestLog).
Start one with `FakePardot` from `tests.fakes.pardot.server`, or `python -m tests.fakes.pardot --port N`.
"""
