"""OData on the wire (connectors layer, shared by SAP OData and Microsoft Dynamics 365).

What the two connectors share because the protocol is the same, whoever serves it:

* `filters` - a flow's Filter tasks and incremental window as a `$filter` expression, literals
  written by each property's EDM type (V2 and V4 conventions);
* `types` - EDM primitive types as the REST layer's field types;
* `payload` - the records, count and server-driven links of a JSON answer (V2's `{"d": ...}`,
  V4's `{"value": [...], "@odata.nextLink": ...}`);
* `links` - following a link the service answered without sending credentials elsewhere;
* `paging` - V4 server-driven paging (`Prefer: odata.maxpagesize`, `@odata.nextLink`) as a REST
  layer `Paginator`.

Vendor dialects stay in the vendor folders: SAP's annotations, catalog service, `/Date()/` values
and `$batch` writes (`sapodata/`); Dataverse's table definitions and lookup columns (`dynamics365/`).
"""
