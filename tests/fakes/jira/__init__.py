"""A fake Jira Cloud site (REST API v2 and v3) with Atlassian's OAuth 2.0 (3LO) platform, over https.

Both REST versions serve the same resources under `/rest/api/2/...` and `/rest/api/3/...` (the site
and the gateway). They differ where Atlassian says they do: version 3 sends rich text (`description`,
`environment`, textarea custom fields, comment bodies) as Atlassian Document Format objects,
version 2 as wiki-markup strings (richtext.py). AppFlow's Jira Cloud connector uses version 2
(https://docs.aws.amazon.com/appflow/latest/userguide/connectors-jira-cloud.html, "Supported Jira
API version"), so version 2 is what Sluice must call; version 3 stays so the fake tells them apart.

It answers as Atlassian's developer documentation says:
- https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/ (authorization-code and
  rotating refresh-token grants at `POST /oauth/token`, JSON body - form bodies are taken too;
  `GET /oauth/token/accessible-resources`; calls through `/ex/jira/{cloudId}/rest/api/{2|3}/...`)
- https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/ (email + API token
  on the site's own `/rest/api/{2|3}/...`)
- https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-issue-search/ (enhanced
  search `GET|POST /rest/api/{2|3}/search/jql`: `jql`, `fields`, `maxResults`, `nextPageToken`,
  `isLast`; unbounded JQL refused)
- https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-issues/ (`GET /issue/{issueIdOrKey}`,
  `fields`; 404 for an issue that does not exist or cannot be seen)
- https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/#version (what version 3 adds:
  ADF in rich-text fields and comment bodies) and
  https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/ (ADF nodes)
- https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-issue-fields/ (`GET /field`)
- https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-projects/ (`GET /project/search`,
  `startAt`/`maxResults`/`isLast`, `keys`, `typeKey`, `expand`; and the older `GET /project` list)
- https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-users/ (`GET /users/search`)
- https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-myself/ (`GET /myself`)
- https://developer.atlassian.com/cloud/jira/platform/rest/v2/intro/#status-codes (error body
  `{"errorMessages": [...], "errors": {...}}`)
- https://developer.atlassian.com/cloud/jira/platform/rate-limiting/ (429 with `Retry-After`)
- https://support.atlassian.com/jira-software-cloud/docs/use-advanced-search-with-jira-query-language-jql/
  (dates as `"yyyy/MM/dd HH:mm"` in the searching user's time zone; `jql.py` lists the subset the
  fake evaluates)

Start one in a thread with `FakeJira` from `tests.fakes.jira.server` (its `state` is the `Site`:
seeded issues, projects, users, OAuth app, controls, request log), or
`python -m tests.fakes.jira --port N --issues 100000`.
"""
