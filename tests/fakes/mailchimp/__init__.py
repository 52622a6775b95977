"""A fake Mailchimp Marketing API 3.0 account, served over https.

It answers as Mailchimp's public docs say:
- https://mailchimp.com/developer/marketing/docs/fundamentals/ - `/3.0` under the data centre's
  host; HTTP basic auth with any user name and the API key as the password, or an OAuth 2 access
  token as a bearer token (https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/);
- https://mailchimp.com/developer/marketing/docs/methods-parameters/ - `count` (default 10, at
  most 1,000) and `offset` paging with `total_items`; `fields` / `exclude_fields` partial
  responses in dot notation (`campaigns.id`);
- https://mailchimp.com/developer/marketing/docs/errors/ - RFC 7807 problem documents
  `{type, title, status, detail, instance}`: 401 "API Key Invalid", 404 "Resource Not Found",
  429 "Too Many Requests" past 10 simultaneous connections;
- https://mailchimp.com/developer/marketing/api/ - `/ping` ("Everything's Chimpy!"), the API root
  (the account), and the collections and their envelope keys:
  `/lists` (`lists`), `/lists/{id}/members` (`members`, `since_last_changed`,
  `since_timestamp_opt`, `status`), `/lists/{id}/segments` (`segments`, `since_created_at`,
  `since_updated_at`, `type`), `/lists/{id}/segments/{id}/members`, `/campaigns` (`campaigns`,
  `since_create_time`, `since_send_time`, `status`, `type`, `list_id`, `folder_id`), `/reports` (`reports`,
  `since_send_time`), `/reports/{id}/abuse-reports` (`abuse_reports`), `/click-details`
  (`urls_clicked`), `/open-details` (`members`), `/unsubscribed` (`unsubscribes`), `/automations`
  (`automations`), `/ecommerce/stores` (`stores`); each `since_*` keeps records after the time,
  each `before_*` those before it; empty dates are "".

Records come from a fixed random seed (nested objects, nulls and "", unicode names); list
members, the bulk of an account, are generated on demand, so `members` can be 500k. Test controls
(not Mailchimp's API) are on `MailchimpAccount`: `throttle_next`, `edit_member`, `add_campaign`,
`now`. The self-test drives it with Mailchimp's own client (tests/unit/fakes/test_mailchimp_sdk.py).

Start one with `FakeMailchimp` from `tests.fakes.mailchimp.server`, or
`python -m tests.fakes.mailchimp --port N --members 100000`.
"""
