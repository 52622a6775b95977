"""A fake Asana (REST API 1.0 and its OAuth token endpoint), served over https.

It answers as Asana's public docs say:
- https://developers.asana.com/docs/authentication, /docs/personal-access-token and /docs/oauth -
  personal access tokens and OAuth access tokens as `Authorization: Bearer`; OAuth access tokens
  expire after an hour (`expires_in: 3600`) and are renewed at `POST /-/oauth_token` with
  `grant_type=refresh_token`, `client_id`, `client_secret` and `refresh_token` (form), answering
  `{access_token, expires_in, token_type: "bearer", data: {id, gid, name, email}}`; a bad grant is
  `{"error": "invalid_grant", "error_description": ...}` (400);
- https://developers.asana.com/docs/pagination - `limit` 1..100 and an opaque `offset` token;
  `next_page: {offset, path, uri}` or null; an unpaginated request for a large result is refused
  ("The result is too large. You should use pagination (may require specifying a workspace)!");
- https://developers.asana.com/docs/inputoutput-options - `{"data": ...}` envelopes; compact records
  (`gid`, `name`, `resource_type`, and `resource_subtype` for tasks) unless `opt_fields` names the
  properties to return (`gid` always comes); a nested record named there comes as `gid` and
  `resource_type` only, unless its own properties are named too (`assignee.name`);
- https://developers.asana.com/docs/errors and /docs/rate-limits - `{"errors": [{"message",
  "help", "phrase"}]}`; 400 for bad parameters, 401 "Not Authorized", 402 "Payment Required" for
  premium features, 404 "Not Found", 429 with
  `Retry-After` (seconds);
- the API reference - `GET /users/me`, `/workspaces`, `/users?workspace=`,
  `/workspaces/{gid}/teams` (organizations only), `/projects?workspace=&archived=`,
  `/projects/{gid}/sections`, `/tags?workspace=`, `/tasks?project=&modified_since=` (one of
  project, tag, section or assignee + workspace is required), `/goals?workspace=&is_workspace_level=`,
  `/portfolios?workspace=&owner=` (owner required; `me` is the token's user; both answer 402 Payment
  Required in a workspace whose plan lacks them, as the personal workspace's does) and
  `/workspaces/{gid}/audit_log_events?start_at=&end_at=&event_type=&actor_type=` (organizations only;
  whole records, oldest first; `start_at` inclusive, `end_at` exclusive).

Records come from a fixed random seed: nested compact records, nulls, unicode names and notes,
custom fields; tasks are generated on demand (so `tasks` can be 500k) and every tenth task is in
a second project, as multi-homed tasks are. Test controls (not Asana's API) are on `AsanaAccount`:
`throttle_next`, `expire_tokens`, `edit_task`, `now`. The self-test drives it with Asana's own
client, the `asana` package v5 (tests/unit/fakes/test_asana_sdk.py).

Start one with `FakeAsana` from `tests.fakes.asana.server`, or `python -m tests.fakes.asana --port N`.
"""
