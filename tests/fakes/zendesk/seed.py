"""Deterministic seed records for the fake Zendesk account, generated on demand from their index.

Nothing is stored for seeded records: record `i` of an entity is a pure function of `(i, sizes)`,
so an account of 500,000 tickets costs no memory and no start-up time. Values are picked from
small pools with an integer hash (no `random.Random` per record: the benchmark reads every
record). Shapes follow the JSON formats in Zendesk's API reference (Tickets, Users,
Organizations, Groups, Ticket Fields, User Fields): nested `via`/`satisfaction_rating`/`photo`,
arrays (`tags`, `collaborator_ids`, `domain_names`), tickets' `custom_fields` as `[{id, value}]`
and users' `user_fields` as `{key: value}`, nulls and non-ASCII text.

Seeded `updated_at` grows with the index (ties impossible up to ~30 M records), which keeps the
incremental exports' `(timestamp, id)` order the index order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

EPOCH = 1704067200  # 2024-01-01T00:00:00Z: the oldest seeded change
SPAN = 31_536_000  # seeded changes spread over one year
USER_BASE = 361_000_000_000  # Zendesk user, organization and group ids are large integers
ORG_BASE = 360_000_000_000
GROUP_BASE = 359_000_000_000
FIELD_BASE = 360_010_000_000
MASK = (1 << 64) - 1


def mix(i: int, salt: int) -> int:
    """A well-spread 64-bit hash of (i, salt) (splitmix64's finaliser)."""
    z = (i * 0x9E3779B97F4A7C15 + salt * 0xD1B54A32D192ED03 + 0x632BE59BD9B4E019) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def iso(ts: int) -> str:
    """Zendesk's timestamp format: ISO 8601 UTC with a Z, whole seconds."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Sizes:
    """How many records of each entity the account is seeded with."""

    tickets: int = 300
    users: int = 120
    organizations: int = 25
    groups: int = 6

    def counts(self) -> dict[str, int]:
        """Seed counts by entity name."""
        return {"tickets": self.tickets, "users": self.users, "organizations": self.organizations,
                "groups": self.groups}


def stamp_of(i: int, n: int) -> int:
    """The seeded `updated_at` (epoch seconds) of record `i` of `n`: strictly increasing in `i`."""
    return EPOCH + (i * SPAN) // max(n, 1) + i % 2  # `+ i % 2` keeps neighbours apart when n > SPAN/2


SUBJECTS = ("Help, my printer is on fire!", "Cannot log in to the portal", "Refund for order",
            "Impression échouée sur l'imprimante du 3e étage", "打印机着火了", "Ошибка входа в личный кабинет",
            "Invoice shows the wrong VAT 💸", "Feature request: dark mode", "Package arrived damaged",
            "Password reset email never arrives", "API returns 500 on /orders", "Wie ändere ich meine Adresse?")
BODIES = ("The fire is very colorful.", "I tried three browsers; same error every time.",
          "Could you please look into this today?\nThanks,\n— Zoë", "Bonjour, rien ne fonctionne depuis hier.",
          "请尽快处理。", "Steps: 1) open app 2) tap 'Pay' 3) crash", "")
STATUSES = ("new", "open", "open", "pending", "hold", "solved", "solved", "closed")
PRIORITIES = (None, "low", "normal", "normal", "high", "urgent")
TYPES = (None, "question", "incident", "problem", "task")
CHANNELS = ("email", "web", "api", "mobile", "chat")
TAGS = ("vip", "billing", "bug", "printer", "refund", "enterprise", "über", "手机", "follow_up")
FIRST = ("Johnny", "Zoë", "Sigrún", "Amélie", "Ólafur", "Li", "Анна", "Mateo", "Aiko", "Nnamdi", "Siobhán", "Ravi")
LAST = ("Agent", "Müller", "O'Brien", "Nakamura", "Søndergaard", "García", "Иванова", "Okafor", "Dubois", "Chen")
DOMAINS = ("example.com", "example.org", "exämple.net", "corp.example")
ROLES = ("end-user", "end-user", "end-user", "end-user", "agent", "admin")
LOCALES = ("en-US", "fr", "de", "ja", "ru", "es", "zh-cn")
ZONES = ("Copenhagen", "Pacific Time (US & Canada)", "Tokyo", "Berlin", "Moscow", "UTC")
ORG_NAMES = ("Groablet Enterprises", "Acme Corp", "Société Générale de Test", "株式会社テスト", "Nordlys AS",
             "Umbrella Ltd", "Initech", "Ørsted Demo", "Globex", "Стройинвест")
GROUP_NAMES = ("Support", "Billing", "Tier 2", "Escalations", "Onboarding", "Équipe FR", "VIP desk", "Night shift")
PLANS = ("free", "starter", "growth", "enterprise")


def pick(pool: tuple[Any, ...], i: int, salt: int) -> Any:
    """A deterministic element of `pool` for record `i`."""
    return pool[mix(i, salt) % len(pool)]


# --- field definitions (metadata answered by /ticket_fields and /user_fields) -------------------------------------
@dataclass(frozen=True)
class FieldDef:
    """One custom field: its id, Zendesk type, title, key (user fields) and options (dropdowns)."""

    id: int
    type: str
    title: str
    key: str | None = None
    options: tuple[str, ...] = ()
    regexp: str | None = None


TICKET_CUSTOM = (
    FieldDef(FIELD_BASE + 1, "integer", "Order number"),
    FieldDef(FIELD_BASE + 2, "tagger", "Product", options=("printer", "scanner", "software", "über_device")),
    FieldDef(FIELD_BASE + 3, "decimal", "Refund amount"),
    FieldDef(FIELD_BASE + 4, "checkbox", "Escalated"),
    FieldDef(FIELD_BASE + 5, "date", "Promised by"),
    FieldDef(FIELD_BASE + 6, "textarea", "Internal notes"),
    FieldDef(FIELD_BASE + 7, "multiselect", "Topics", options=("shipping", "returns", "warranty", "setup")),
    FieldDef(FIELD_BASE + 8, "regexp", "Serial", regexp=r"\A[A-Z]{2}-\d{4}\z"),
)
TICKET_SYSTEM = (("subject", "Subject"), ("description", "Description"), ("status", "Status"),
                 ("tickettype", "Type"), ("priority", "Priority"), ("group", "Group"), ("assignee", "Assignee"))
USER_CUSTOM = (
    FieldDef(FIELD_BASE + 101, "dropdown", "Plan", key="plan", options=PLANS),
    FieldDef(FIELD_BASE + 102, "checkbox", "VIP", key="vip"),
    FieldDef(FIELD_BASE + 103, "date", "Signed up", key="signup_date"),
    FieldDef(FIELD_BASE + 104, "decimal", "Lifetime value", key="lifetime_value"),
    FieldDef(FIELD_BASE + 105, "integer", "Seats", key="seats"),
    FieldDef(FIELD_BASE + 106, "text", "Nickname", key="nickname"),
)


def custom_value(field: FieldDef, i: int) -> Any:
    """A seeded value for custom field `field` on record `i` (about one in five is null)."""
    h = mix(i, field.id & 0xFFFF)
    if h % 5 == 0:
        return False if field.type == "checkbox" else None
    if field.type == "integer":
        return int(h % 100_000)
    if field.type == "decimal":
        return round((h % 1_000_000) / 100, 2)
    if field.type == "checkbox":
        return bool(h & 2)
    if field.type == "date":
        return iso(EPOCH + int(h % SPAN))[:10]
    if field.type in ("tagger", "dropdown"):
        return field.options[h % len(field.options)]
    if field.type == "multiselect":
        return [o for k, o in enumerate(field.options) if (h >> (k + 3)) & 1]
    if field.type == "regexp":
        return f"{'ABCDEFGH'[h % 8]}{'XYZQ'[(h >> 4) % 4]}-{h % 10000:04d}"
    return pick(BODIES, i, field.id & 0xFF) or None


# --- records ------------------------------------------------------------------------------------------------------
def ticket(i: int, sizes: Sizes, base_url: str) -> dict[str, Any]:
    """Seeded ticket `i` (id i + 1) as the Tickets API answers it, with `generated_timestamp`."""
    tid = i + 1
    h = mix(i, 1)
    updated = stamp_of(i, sizes.tickets)
    created = updated - int(h % (30 * 86400))
    requester = USER_BASE + (h >> 8) % max(sizes.users, 1) if sizes.users else None
    assignee = USER_BASE + (h >> 16) % max(sizes.users, 1) if sizes.users and h % 4 else None
    org = ORG_BASE + (h >> 24) % sizes.organizations if sizes.organizations and h % 3 else None
    group = GROUP_BASE + (h >> 32) % sizes.groups if sizes.groups and h % 5 else None
    subject = pick(SUBJECTS, i, 2)
    channel = pick(CHANNELS, i, 3)
    tags = [t for k, t in enumerate(TAGS) if (h >> (40 + k)) & 1 and k < 4 + h % 3]
    status = pick(STATUSES, i, 4)
    custom = [{"id": f.id, "value": custom_value(f, i)} for f in TICKET_CUSTOM]
    rating = ({"score": "good" if h & 1 else "bad", "id": 1000 + i, "comment": pick(BODIES, i, 5) or None}
              if status in ("solved", "closed") and h % 3 == 0 else None)
    return {
        "url": f"{base_url}/api/v2/tickets/{tid}.json", "id": tid,
        "external_id": f"ext-t-{tid}" if h % 7 == 0 else None,
        "via": {"channel": channel, "source": {
            "from": {"address": f"customer{(h >> 8) % 997}@{pick(DOMAINS, i, 6)}", "name": pick(FIRST, i, 7)}
            if channel == "email" else {},
            "to": {"address": "support@company.example", "name": "Support"} if channel == "email" else {},
            "rel": None}},
        "created_at": iso(created), "updated_at": iso(updated), "generated_timestamp": updated,
        "type": pick(TYPES, i, 8), "subject": subject, "raw_subject": subject,
        "description": pick(BODIES, i, 9) or subject, "priority": pick(PRIORITIES, i, 10), "status": status,
        "recipient": "support@company.example" if channel == "email" else None,
        "requester_id": requester, "submitter_id": requester, "assignee_id": assignee,
        "organization_id": org, "group_id": group,
        "collaborator_ids": [USER_BASE + (h >> s) % max(sizes.users, 1) for s in (3, 9)][: h % 3] if sizes.users
        else [],
        "follower_ids": [], "email_cc_ids": [], "forum_topic_id": None, "problem_id": None,
        "has_incidents": False, "is_public": bool(h % 11), "due_at": iso(updated + 86400 * 3) if h % 9 == 0 else None,
        "tags": tags, "custom_fields": custom, "fields": custom, "satisfaction_rating": rating,
        "sharing_agreement_ids": [], "followup_ids": [], "ticket_form_id": 360000000001, "brand_id": 360000000002,
        "allow_channelback": False, "allow_attachments": True, "from_messaging_channel": False,
    }


def user(i: int, sizes: Sizes, base_url: str) -> dict[str, Any]:
    """Seeded user `i` (id USER_BASE + i) as the Users API answers it."""
    uid = USER_BASE + i
    h = mix(i, 11)
    updated = stamp_of(i, sizes.users)
    first, last = pick(FIRST, i, 12), pick(LAST, i, 13)
    role = pick(ROLES, i, 14)
    return {
        "id": uid, "url": f"{base_url}/api/v2/users/{uid}.json", "name": f"{first} {last}",
        "email": seed_email(i), "created_at": iso(updated - int(h % (200 * 86400))), "updated_at": iso(updated),
        "time_zone": pick(ZONES, i, 15), "iana_time_zone": "Europe/Copenhagen", "phone": f"+4570{h % 1000000:06d}"
        if h % 3 == 0 else None, "shared_phone_number": None,
        "photo": {"id": 928374 + i, "name": "avatar.png", "content_type": "image/png", "size": 166144,
                  "content_url": f"{base_url}/photos/{uid}.png",
                  "thumbnails": [{"id": 928375 + i, "name": "avatar_thumb.png", "content_type": "image/png",
                                  "size": 58298}]} if h % 4 == 0 else None,
        "locale_id": 1 + h % 8, "locale": pick(LOCALES, i, 16),
        "organization_id": ORG_BASE + (h >> 8) % sizes.organizations if sizes.organizations and h % 3 else None,
        "role": role, "verified": bool(h & 1), "external_id": f"ext-u-{i}" if h % 2 == 0 else None,
        "tags": [t for k, t in enumerate(TAGS) if (h >> (20 + k)) & 1][:3], "alias": None, "active": True,
        "shared": False, "shared_agent": False, "last_login_at": iso(updated - 3600) if h % 5 else None,
        "two_factor_auth_enabled": None, "signature": None, "details": "", "notes": "",
        "role_type": None, "custom_role_id": None, "moderator": role != "end-user",
        "ticket_restriction": "requested" if role == "end-user" else None,
        "only_private_comments": False, "restricted_agent": role == "agent", "suspended": h % 97 == 0,
        "default_group_id": GROUP_BASE if role != "end-user" and sizes.groups else None,
        "report_csv": False, "user_fields": {f.key: custom_value(f, i) for f in USER_CUSTOM},
    }


def seed_email(i: int) -> str:
    """The e-mail address of seeded user `i` (carries the index, so lookups need no table)."""
    return f"user{i}@{pick(DOMAINS, i, 17)}"


def organization(i: int, sizes: Sizes, base_url: str) -> dict[str, Any]:
    """Seeded organization `i` (id ORG_BASE + i) as the Organizations API answers it."""
    oid = ORG_BASE + i
    h = mix(i, 21)
    updated = stamp_of(i, sizes.organizations)
    name = pick(ORG_NAMES, i, 22)
    return {
        "url": f"{base_url}/api/v2/organizations/{oid}.json", "id": oid, "name": f"{name} #{i}",
        "shared_tickets": bool(h & 1), "shared_comments": bool(h & 2), "external_id": f"ext-o-{i}",
        "created_at": iso(updated - int(h % (400 * 86400))), "updated_at": iso(updated),
        "domain_names": [f"org{i}.{pick(DOMAINS, i, 23)}"] if h % 2 else [], "details": pick(BODIES, i, 24),
        "notes": "", "group_id": GROUP_BASE + h % sizes.groups if sizes.groups and h % 3 == 0 else None,
        "tags": [t for k, t in enumerate(TAGS) if (h >> (10 + k)) & 1][:2],
        "organization_fields": {"region": ("EMEA", "APAC", "AMER", None)[h % 4], "tier": int(h % 3) + 1},
    }


def group(i: int, sizes: Sizes, base_url: str) -> dict[str, Any]:
    """Seeded group `i` (id GROUP_BASE + i) as the Groups API answers it."""
    gid = GROUP_BASE + i
    updated = stamp_of(i, sizes.groups)
    return {"url": f"{base_url}/api/v2/groups/{gid}.json", "id": gid, "is_public": i % 4 != 3,
            "name": f"{GROUP_NAMES[i % len(GROUP_NAMES)]}{'' if i < len(GROUP_NAMES) else f' {i}'}",
            "description": "", "default": i == 0, "deleted": False,
            "created_at": iso(updated - 86400 * 30), "updated_at": iso(updated)}


def ticket_fields(base_url: str) -> list[dict[str, Any]]:
    """The account's ticket fields: system fields first, then the custom ones (Ticket Fields API shape)."""
    out = []
    for pos, (kind, title) in enumerate(TICKET_SYSTEM):
        fid = FIELD_BASE + 900 + pos
        out.append(_field_json(fid, kind, title, pos, base_url, "ticket_fields", removable=False))
    for pos, f in enumerate(TICKET_CUSTOM, start=len(TICKET_SYSTEM)):
        out.append(_field_json(f.id, f.type, f.title, pos, base_url, "ticket_fields", options=f.options,
                               regexp=f.regexp))
    return out


def user_fields(base_url: str) -> list[dict[str, Any]]:
    """The account's custom user fields (User Fields API shape)."""
    return [_field_json(f.id, f.type, f.title, pos, base_url, "user_fields", key=f.key, options=f.options)
            for pos, f in enumerate(USER_CUSTOM)]


def _field_json(fid: int, kind: str, title: str, position: int, base_url: str, collection: str, *,
                removable: bool = True, key: str | None = None, options: tuple[str, ...] = (),
                regexp: str | None = None) -> dict[str, Any]:
    ts = iso(EPOCH - 86400 * (position + 1))
    field: dict[str, Any] = {
        "url": f"{base_url}/api/v2/{collection}/{fid}.json", "id": fid, "type": kind, "title": title,
        "raw_title": title, "description": "", "raw_description": "", "position": position, "active": True,
        "regexp_for_validation": regexp, "created_at": ts, "updated_at": ts,
    }
    if collection == "ticket_fields":
        field.update({"required": False, "collapsed_for_agents": False, "title_in_portal": title,
                      "raw_title_in_portal": title, "visible_in_portal": True, "editable_in_portal": True,
                      "required_in_portal": False, "tag": None, "removable": removable, "agent_description": None})
    else:
        field.update({"key": key, "system": False, "tag": None})
    if options:
        field["custom_field_options"] = [
            {"id": fid * 10 + k, "name": o.replace("_", " ").title(), "raw_name": o.replace("_", " ").title(),
             "value": o, "default": False} for k, o in enumerate(options)]
    return field
