"""A fake Marketo Engage subscription served over https for tests (REST, Asset and Bulk Extract APIs).

It answers as Marketo's developer documentation describes (https://experienceleague.adobe.com/en/docs/
marketo-developer/marketo/rest/rest-api, mirrored in github.com/AdobeDocs/marketo-developer.en, and the
endpoint reference `swagger-mapi.json` there):

- Authentication: https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/authentication
- Error codes: https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes
- Paging tokens: https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/paging-tokens
- Leads: https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/lead-database/leads
- Activities: https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/lead-database/activities
- Bulk extract: https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/bulk-extract/bulk-extract
  (and bulk-lead-extract, bulk-activity-extract)
- Programs: https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/assets/programs
- Campaigns: https://developer.adobe.com/marketo-apis/api/mapi#tag/Campaigns

Start one with `FakeMarketo` from `tests.fakes.marketo.server`, or run
`python -m tests.fakes.marketo --port N --leads N` for an out-of-process server.
"""
