"""The Mailchimp objects AppFlow lists, with Mailchimp's own names (connectors layer, Mailchimp).

AppFlow's Mailchimp page (https://docs.aws.amazon.com/appflow/latest/userguide/connectors-mailchimp.html,
"Supported objects") lists Abuse Report, Automation, Campaign, Click Detail, List, Open Detail,
Segment, Segment Member, Store and Unsubscribed; cdk-appflow's stack names the campaign object
`campaigns`, the API's collection name. So each entity is named by its Marketing API collection
(`lists`, `campaigns`, `abuse-reports`, ...), labelled as AppFlow labels it, and its fields are the
API reference's response members (https://mailchimp.com/developer/marketing/api/), with AppFlow's
data types (`String`, `DateTime`, `Struct`, ...) as `fieldType` and its filter operators. List
members (`members`) and campaign reports (`reports`) are offered too: they are the collections
the per-list and per-campaign objects hang from, and the ones most flows want.
"""

from __future__ import annotations

from typing import Any

from sluice.connectors.rest.entities import Entity, Field, Static

from .reads import Fanout, Paged, Parent, PushDown

AWS_TYPES = {"string": "String", "integer": "Integer", "double": "Float", "boolean": "Boolean",
             "datetime": "DateTime", "date": "Date", "struct": "Struct", "array": "List", "json": "Struct"}
RANGE = ("LESS_THAN", "GREATER_THAN")
EQUAL = ("EQUAL_TO",)


def _f(name: str, kind: str = "string", filters: tuple[str, ...] = (), **options: Any) -> Field:
    label = options.pop("label", None) or name.replace("_", " ").title().replace("Id", "ID").replace("Url", "URL")
    return Field(name, kind, label=label, filters=filters, vendor_type=AWS_TYPES[kind], **options)


def _when(name: str, incremental: bool = False) -> Field:
    """A time field Mailchimp filters by (`since_<name>` / `before_<name>`)."""
    return _f(name, "datetime", RANGE, timestamp=incremental)


ID = _f("id", primary_key=True, nullable=False, label="ID")
LIST_ID = _f("list_id", label="List ID")
CAMPAIGN_ID = _f("campaign_id", label="Campaign ID")
MERGE_FIELDS = _f("merge_fields", "json", label="Merge Field")
VIP = _f("vip", "boolean")
LIST_IS_ACTIVE = _f("list_is_active", "boolean")
LOCATION = _f("location", "struct", members=(_f("latitude", "double"), _f("longitude", "double"),
                                               _f("gmtoff", "integer"), _f("dstoff", "integer"), _f("country_code"),
                                               _f("timezone"), _f("region")))
MEMBER_STATS = _f("stats", "struct", members=(_f("avg_open_rate", "double"), _f("avg_click_rate", "double")))
TAGS = _f("tags", "array", item=_f("", "struct", members=(_f("id", "integer"), _f("name"))))

MEMBER_FIELDS = (
    ID, _f("email_address"), _f("unique_email_id", label="Unique Email ID"), _f("contact_id"), _f("full_name"),
    _f("web_id", "integer", label="Web ID"), _f("email_type"), _f("status", filters=EQUAL), _f("unsubscribe_reason"),
    MERGE_FIELDS, _f("interests", "json"), MEMBER_STATS, _f("ip_signup"), _f("timestamp_signup", "datetime"),
    _f("ip_opt"), _f("timestamp_opt", "datetime", RANGE), _f("member_rating", "integer"),
    _f("last_changed", "datetime", RANGE, timestamp=True), _f("language"), VIP, _f("email_client"), LOCATION,
    _f("source"), _f("tags_count", "integer"), TAGS, LIST_ID,
)

LISTS = Entity(
    "lists", label="List", path="/lists", records="lists", read=Paged("lists"),
    plan=PushDown("lists", {"date_created": ("since_date_created", "before_date_created"),
                            "campaign_last_sent": ("since_campaign_last_sent", "before_campaign_last_sent")}),
    fields=(ID, _f("web_id", "integer", label="Web_ID"), _f("name"),
            _f("contact", "struct", members=(_f("company"), _f("address1"), _f("address2"), _f("city"), _f("state"),
                                             _f("zip"), _f("country"), _f("phone"))),
            _f("permission_reminder"), _f("use_archive_bar", "boolean"), _f("campaign_defaults", "struct", members=(
                _f("from_name"), _f("from_email"), _f("subject"), _f("language"))),
            _f("notify_on_subscribe"), _f("notify_on_unsubscribe"), _when("date_created", incremental=True),
            _f("list_rating", "integer"), _f("email_type_option", "boolean"), _f("subscribe_url_short"),
            _f("subscribe_url_long"), _f("beamer_address"), _f("visibility"), _f("double_optin", "boolean"),
            _f("has_welcome", "boolean"), _f("marketing_permissions", "boolean"), _f("modules", "array", item=_f("")),
            _f("stats", "json"), _when("campaign_last_sent")))

MEMBERS = Entity(
    "members", label="List Member", path="/lists/{0}/members", records="members",
    plan=PushDown("members", {"last_changed": ("since_last_changed", "before_last_changed"),
                              "timestamp_opt": ("since_timestamp_opt", "before_timestamp_opt")},
                  {"status": "status"}),
    read=Fanout((Parent("/lists", "lists"),), "members"), fields=MEMBER_FIELDS)

SEGMENTS = Entity(
    "segments", label="Segment", path="/lists/{0}/segments", records="segments",
    plan=PushDown("segments", {"created_at": ("since_created_at", "before_created_at"),
                               "updated_at": ("since_updated_at", "before_updated_at")}, {"type": "type"}),
    read=Fanout((Parent("/lists", "lists"),), "segments"),
    fields=(_f("id", "integer", primary_key=True, nullable=False, label="ID"), _f("name"),
            _f("member_count", "integer"), _f("type", filters=EQUAL), _when("created_at"),
            _when("updated_at", incremental=True), _f("options", "json", label="Option"), LIST_ID))

SEGMENT_MEMBERS = Entity(
    "segment-members", label="Segment Member", path="/lists/{0}/segments/{1}/members", records="members",
    plan=PushDown("members"),
    read=Fanout((Parent("/lists", "lists"), Parent("/lists/{0}/segments", "segments")), "members"),
    fields=tuple(f for f in MEMBER_FIELDS if f.name not in ("contact_id", "full_name", "unsubscribe_reason",
                                                           "source", "tags_count", "tags")))

CAMPAIGNS = Entity(
    "campaigns", label="Campaign", path="/campaigns", records="campaigns", read=Paged("campaigns"),
    plan=PushDown("campaigns", {"create_time": ("since_create_time", "before_create_time"),
                                "send_time": ("since_send_time", "before_send_time")},
                  {"status": "status", "type": "type", "list_id": "list_id", "folder_id": "folder_id"},
                  {"list_id": "recipients.list_id", "folder_id": "settings.folder_id"}),
    fields=(ID, _f("web_id", "integer", label="Web ID"), _f("parent_campaign_id", label="Parent Campaign ID"),
            _f("type", filters=EQUAL, values=("regular", "plaintext", "absplit", "rss", "variate")),
            _when("create_time", incremental=True), _f("archive_url"), _f("long_archive_url"),
            _f("status", filters=EQUAL, values=("save", "paused", "schedule", "sending", "sent")),
            _f("emails_sent", "integer", label="Email Sent"), _when("send_time"), _f("content_type"),
            _f("needs_block_refresh", "boolean"), _f("resendable", "boolean"),
            _f("recipients", "struct", label="Recipient", members=(
                LIST_ID, LIST_IS_ACTIVE, _f("list_name"), _f("segment_text"), _f("recipient_count", "integer"))),
            _f("settings", "json", label="Setting"), _f("variate_settings", "json"), _f("tracking", "json"),
            _f("rss_opts", "json"), _f("ab_split_opts", "json"), _f("social_card", "json"),
            _f("report_summary", "struct", members=(
                _f("opens", "integer"), _f("unique_opens", "integer"), _f("open_rate", "double"),
                _f("clicks", "integer"), _f("subscriber_clicks", "integer"), _f("click_rate", "double"))),
            _f("delivery_status", "struct", members=(_f("enabled", "boolean"),)),
            # AppFlow's "List ID" and "Folder ID" (EQUAL_TO): the members Mailchimp filters campaigns by.
            _f("list_id", filters=EQUAL, path="recipients.list_id", label="List ID"),
            _f("folder_id", filters=EQUAL, path="settings.folder_id", label="Folder ID")))

COUNTS = (_f("opens_total", "integer"), _f("unique_opens", "integer"), _f("open_rate", "double"))
REPORTS = Entity(
    "reports", label="Report", path="/reports", records="reports", read=Paged("reports"),
    plan=PushDown("reports", {"send_time": ("since_send_time", "before_send_time")}, {"type": "type"}),
    fields=(ID, _f("campaign_title"), _f("type", filters=EQUAL), LIST_ID, LIST_IS_ACTIVE, _f("list_name"),
            _f("subject_line"), _f("preview_text"), _f("emails_sent", "integer"), _f("abuse_reports", "integer"),
            _f("unsubscribed", "integer"), _when("send_time", incremental=True),
            _f("bounces", "struct", members=(_f("hard_bounces", "integer"), _f("soft_bounces", "integer"),
                                             _f("syntax_errors", "integer"))),
            _f("opens", "struct", members=COUNTS),
            _f("clicks", "struct", members=(_f("clicks_total", "integer"), _f("unique_clicks", "integer"),
                                            _f("click_rate", "double"))),
            _f("list_stats", "json")))

AUTOMATIONS = Entity(
    "automations", label="Automation", path="/automations", records="automations", read=Paged("automations"),
    plan=PushDown("automations", {"create_time": ("since_create_time", "before_create_time"),
                                  "start_time": ("since_start_time", "before_start_time")}, {"status": "status"}),
    fields=(ID, _when("create_time", incremental=True), _when("start_time"),
            _f("status", filters=EQUAL, values=("save", "paused", "sending")),
            _f("emails_sent", "integer", label="Email Sent"), _f("recipients", "json", label="Recipient"),
            _f("settings", "json", label="Setting"), _f("tracking", "json"),
            _f("trigger_settings", "json", label="Trigger Setting"), _f("report_summary", "json")))

_BY_CAMPAIGN = (Parent("/reports", "reports"),)

ABUSE_REPORTS = Entity(
    "abuse-reports", label="Abuse Report", path="/reports/{0}/abuse-reports", records="abuse_reports",
    plan=PushDown("abuse_reports"), read=Fanout(_BY_CAMPAIGN, "abuse_reports"),
    fields=(_f("id", "integer", primary_key=True, nullable=False, label="ID"), CAMPAIGN_ID, LIST_ID,
            _f("email_id", label="Email ID"), _f("email_address"), MERGE_FIELDS, VIP, _f("date", "datetime"),
            LIST_IS_ACTIVE))

CLICK_DETAILS = Entity(
    "click-details", label="Click Detail", path="/reports/{0}/click-details", records="urls_clicked",
    plan=PushDown("urls_clicked"), read=Fanout(_BY_CAMPAIGN, "urls_clicked"),
    fields=(ID, _f("url"), _f("total_clicks", "integer", label="Total Click"), _f("click_percentage", "double"),
            _f("unique_clicks", "integer", label="Unique Click"), _f("unique_click_percentage", "double"),
            _f("last_click", "datetime"), _f("ab_split", "json"), CAMPAIGN_ID))

OPEN_DETAILS = Entity(
    "open-details", label="Open Detail", path="/reports/{0}/open-details", records="members",
    plan=PushDown("members"), read=Fanout(_BY_CAMPAIGN, "members"),
    fields=(CAMPAIGN_ID, LIST_ID, LIST_IS_ACTIVE, _f("contact_status"),
            _f("email_id", primary_key=True, label="Email ID"),
            _f("email_address"), MERGE_FIELDS, VIP, _f("opens_count", "integer", label="Open Count"),
            _f("opens", "array", label="Open", item=_f("", "struct", members=(_f("timestamp", "datetime"),)))))

UNSUBSCRIBED = Entity(
    "unsubscribed", label="Unsubscribed", path="/reports/{0}/unsubscribed", records="unsubscribes",
    plan=PushDown("unsubscribes"), read=Fanout(_BY_CAMPAIGN, "unsubscribes"),
    fields=(_f("email_id", primary_key=True, label="Email ID"), _f("email_address"), MERGE_FIELDS, VIP,
            _f("timestamp", "datetime"), _f("reason"), CAMPAIGN_ID, LIST_ID, LIST_IS_ACTIVE))

STORES = Entity(
    "stores", label="Store", path="/ecommerce/stores", records="stores", read=Paged("stores"), plan=PushDown("stores"),
    fields=(ID, LIST_ID, _f("name"), _f("platform"), _f("domain"), _f("is_syncing", "boolean"), _f("email_address"),
            _f("currency_code"), _f("money_format"), _f("primary_locale"), _f("timezone"), _f("phone"),
            _f("address", "json"), _f("connected_site", "json"), _f("automations", "json", label="Automation"),
            LIST_IS_ACTIVE, _f("created_at", "datetime"), _f("updated_at", "datetime")))

CATALOG = Static((ABUSE_REPORTS, AUTOMATIONS, CAMPAIGNS, CLICK_DETAILS, LISTS, MEMBERS, OPEN_DETAILS, REPORTS,
                  SEGMENTS, SEGMENT_MEMBERS, STORES, UNSUBSCRIBED), vendor="Mailchimp")
