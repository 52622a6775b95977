"""Deterministic Slack-shaped records for the fake workspace: ids, users, channels and message bodies.

Shapes follow Slack's object references (https://docs.slack.dev/reference/objects/user-object,
https://docs.slack.dev/reference/objects/conversation-object and
https://docs.slack.dev/messaging/retrieving-messages): a message is keyed by its `ts` string
("seconds.microseconds", unique within a conversation), carries `user`, `text`, `blocks` (rich text),
and sometimes `attachments` (bot messages), `reactions`, `files`, `edited`, `subtype`.
Every record comes from a `random.Random` seeded by (seed, owner, index), so a message can be made
again on demand: big workspaces never hold their messages in memory.
"""

from __future__ import annotations

import random
import string
from typing import Any

ALNUM = string.ascii_uppercase + string.digits
EPOCH = 1704067200  # 2024-01-01T00:00:00Z: seeded history starts here
STEP_US = 97_003_217  # microseconds between two seeded top-level messages of one conversation
REPLY_STEP_US = 1_000_003  # between a thread's seeded replies (at most 5, so they stay before the next parent)

PHRASES = [
    "Déploiement terminé ✅", "Ship it 🚀", "日本語のメッセージです :tada:", "Привет всем, как дела?",
    "naïve café résumé — ça marche", "Can someone review <https://github.com/acme/api/pull/42|PR #42>?",
    "The build is red again :rotating_light:", "`SELECT count(*) FROM events` returns 0",
    "Lunch? 🍜🍣", "Zürich office is closed on Monday", "¿Alguien tiene acceso al panel?",
    "Quarterly numbers are in 📈", "Retro notes: what went well / what didn't", "中文也可以吗 🙂",
    "Please update the runbook", "مرحبا بالجميع", "Standup in 5 ⏰", "Thanks! 🙏",
    "Incident resolved; root cause was a stale DNS entry", "Ελληνικά: καλημέρα",
]
EMOJI = ["thumbsup", "tada", "eyes", "white_check_mark", "rocket", "heart", "joy", "fire", "pray", "100"]
FIRST = ["Ada", "Grace", "Linus", "Margaret", "Zoë", "José", "Søren", "Aiko", "Priya", "Olusegun", "Élodie",
         "Björn", "Mei", "Rafael", "Anya", "Kwame", "Chloé", "Dmitri", "Hana", "Mateo"]
LAST = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Núñez", "Kierkegaard", "Tanaka", "Patel", "Adeyemi",
        "Dubois", "Åberg", "Zhang", "García", "Ivanova", "Mensah", "Lefèvre", "Volkov", "Sato", "O'Brien"]
TIMEZONES = [("America/Los_Angeles", "Pacific Standard Time", -28800), ("Europe/Paris", "Central European Time", 3600),
             ("Asia/Tokyo", "Japan Standard Time", 32400), ("America/New_York", "Eastern Standard Time", -18000),
             ("Asia/Kolkata", "India Standard Time", 19800)]
CHANNEL_NAMES = ["general", "random", "engineering", "design", "support", "sales-emea", "incidents",
                 "data-platform", "équipe-paris", "release-train", "customer-feedback", "ops-alerts"]


def make_id(prefix: str, rng: random.Random, length: int = 10) -> str:
    """A Slack-style id: a type letter then upper-case letters and digits (`C07ABC12DEF`)."""
    return prefix + "".join(rng.choice(ALNUM) for _ in range(length))


def ts_str(us: int) -> str:
    """A message `ts` from integer microseconds since the epoch."""
    return f"{us // 1_000_000}.{us % 1_000_000:06d}"


def ts_us(ts: str) -> int:
    """Integer microseconds of a `ts` string (ValueError when it is not a number)."""
    seconds, _, fraction = ts.partition(".")
    if not seconds.isdigit() or (fraction and not fraction.isdigit()):
        raise ValueError(ts)
    return int(seconds) * 1_000_000 + int((fraction + "000000")[:6] or 0)


def users(count: int, team_id: str, seed: int) -> list[dict[str, Any]]:
    """Slackbot, `count` people (one deleted, one admin, one guest) and two bot users."""
    rng = random.Random(f"{seed}:users")
    people: list[dict[str, Any]] = [_slackbot(team_id)]
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        handle = f"{first}.{last}".lower().replace("'", "").replace(" ", "") + str(n)
        tz, tz_label, tz_offset = rng.choice(TIMEZONES)
        people.append({
            "id": make_id("U0", rng, 9), "team_id": team_id, "name": handle, "deleted": n == 3,
            "color": f"{rng.randrange(0x1000000):06x}", "real_name": f"{first} {last}",
            "tz": tz, "tz_label": tz_label, "tz_offset": tz_offset,
            "profile": _profile(rng, team_id, f"{first} {last}", handle,
                                email=f"{handle}@acme.example.com", status=rng.random() < 0.3),
            "is_admin": n == 0, "is_owner": n == 0, "is_primary_owner": n == 0,
            "is_restricted": n == 5, "is_ultra_restricted": False, "is_bot": False, "is_app_user": False,
            "updated": EPOCH - rng.randrange(86400 * 400), "is_email_confirmed": n != 7, "has_2fa": rng.random() < 0.5,
            "who_can_share_contact_card": "EVERYONE",
        })
    for name in ("deploy-bot", "pagerbot"):
        people.append({
            "id": make_id("U0", rng, 9), "team_id": team_id, "name": name, "deleted": False,
            "color": f"{rng.randrange(0x1000000):06x}", "real_name": name,
            "tz": "America/Los_Angeles", "tz_label": "Pacific Standard Time", "tz_offset": -28800,
            "profile": {**_profile(rng, team_id, name, name, email=None, status=False),
                        "bot_id": make_id("B0", rng, 9), "api_app_id": make_id("A0", rng, 9), "always_active": True},
            "is_admin": False, "is_owner": False, "is_primary_owner": False, "is_restricted": False,
            "is_ultra_restricted": False, "is_bot": True, "is_app_user": False,
            "updated": EPOCH - rng.randrange(86400 * 400), "is_email_confirmed": False,
            "who_can_share_contact_card": "EVERYONE",
        })
    return people


def _slackbot(team_id: str) -> dict[str, Any]:
    return {"id": "USLACKBOT", "team_id": team_id, "name": "slackbot", "deleted": False, "color": "757575",
            "real_name": "Slackbot", "tz": "America/Los_Angeles", "tz_label": "Pacific Standard Time",
            "tz_offset": -28800,
            "profile": {"title": "", "phone": "", "skype": "", "real_name": "Slackbot",
                        "real_name_normalized": "Slackbot",
                        "display_name": "Slackbot", "display_name_normalized": "Slackbot", "fields": None,
                        "status_text": "", "status_emoji": "", "status_emoji_display_info": [],
                        "status_expiration": 0, "avatar_hash": "sv41d8cd98f0", "always_active": True,
                        "first_name": "slackbot", "last_name": "", "team": team_id},
            "is_admin": False, "is_owner": False, "is_primary_owner": False, "is_restricted": False,
            "is_ultra_restricted": False, "is_bot": False, "is_app_user": False, "updated": 0,
            "is_email_confirmed": False, "who_can_share_contact_card": "EVERYONE"}


def _profile(rng: random.Random, team_id: str, real_name: str, handle: str, *, email: str | None,
             status: bool) -> dict[str, Any]:
    avatar = f"{rng.randrange(16 ** 12):012x}"
    first, _, last = real_name.partition(" ")
    profile: dict[str, Any] = {
        "title": rng.choice(["", "Engineer", "Designer", "Support lead", "Ingénieure"]), "phone": "", "skype": "",
        "real_name": real_name, "real_name_normalized": real_name, "display_name": handle,
        "display_name_normalized": handle, "fields": None,
        "status_text": "In a meeting 📅" if status else "", "status_emoji": ":calendar:" if status else "",
        "status_emoji_display_info": [], "status_expiration": 0, "avatar_hash": avatar,
        "first_name": first, "last_name": last, "team": team_id,
        "image_24": f"https://avatars.slack-edge.com/2024-01-01/{avatar}_24.png",
        "image_72": f"https://avatars.slack-edge.com/2024-01-01/{avatar}_72.png",
    }
    if email is not None:
        profile["email"] = email
    return profile


def channels(count: int, direct: int, team_id: str, people: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """`count` channels (the first is #general, every fifth private, the last archived) and `direct` IMs."""
    rng = random.Random(f"{seed}:channels")
    humans = [u for u in people if not u["is_bot"] and u["id"] != "USLACKBOT" and not u["deleted"]]
    out: list[dict[str, Any]] = []
    for n in range(count):
        base = CHANNEL_NAMES[n % len(CHANNEL_NAMES)]
        name = base if n < len(CHANNEL_NAMES) else f"{base}-{n // len(CHANNEL_NAMES)}"
        private = n % 5 == 4
        creator = rng.choice(humans)["id"] if humans else "USLACKBOT"
        created = EPOCH - 86400 * (30 + n)
        out.append({
            "id": make_id("C0", rng, 9), "name": name, "is_channel": True, "is_group": False, "is_im": False,
            "is_mpim": False, "is_private": private, "created": created,
            "is_archived": count >= 4 and n == count - 1, "is_general": n == 0, "unlinked": 0,
            "name_normalized": name, "is_shared": False, "is_org_shared": False, "is_pending_ext_shared": False,
            "pending_shared": [], "context_team_id": team_id, "updated": created * 1000 + rng.randrange(1000),
            "parent_conversation": None, "creator": creator, "is_ext_shared": False, "shared_team_ids": [team_id],
            "pending_connected_team_ids": [], "is_member": True,
            "topic": {"value": rng.choice(["", "Ship fast, fix faster 🚢", "Wiki: https://wiki.acme.example.com"]),
                      "creator": creator, "last_set": created},
            "purpose": {"value": f"Talk about {name.replace('-', ' ')}", "creator": creator, "last_set": created},
            "properties": {"tabs": [{"type": "files", "label": "", "id": "files"}]} if n % 3 == 0 else None,
            "previous_names": ["old-" + name] if n == 2 else [],
            "num_members": rng.randrange(2, max(3, len(humans) + 1)),
        })
    for n in range(direct):
        other = humans[n % len(humans)]["id"] if humans else "USLACKBOT"
        out.append({"id": make_id("D0", rng, 9), "created": EPOCH - 86400 * (10 + n), "is_archived": False,
                    "is_im": True, "is_org_shared": False, "context_team_id": team_id,
                    "updated": (EPOCH - 86400) * 1000, "user": other, "is_user_deleted": False, "priority": 0})
    return out


def message(seed: int, channel_id: str, index: int, us: int, team_id: str, authors: list[str],
            bots: list[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    """The seeded top-level message `index` of a conversation, and its number of seeded replies."""
    rng = random.Random(f"{seed}:{channel_id}:{index}")
    ts = ts_str(us)
    roll = rng.random()
    replies = 0
    if roll < 0.08 and bots:
        bot = rng.choice(bots)
        text = rng.choice(["Deploy of `api` to production finished", f"Build #{rng.randrange(9999)} passed ✅",
                           "Alert: p95 latency above 800 ms 🔥"])
        msg: dict[str, Any] = {
            "type": "message", "subtype": "bot_message", "text": text, "ts": ts,
            "bot_id": bot["profile"]["bot_id"], "username": bot["name"],
            "icons": {"emoji": ":robot_face:"},
            "attachments": [{
                "id": 1, "fallback": text, "color": rng.choice(["36a64f", "ff0000", "439FE0"]),
                "title": rng.choice(["Deployment", "CI", "Monitoring"]), "text": text,
                "fields": [{"title": "Environment", "value": rng.choice(["prod", "staging"]), "short": True},
                           {"title": "Owner", "value": f"<@{rng.choice(authors)}>", "short": True}],
                "footer": "acme-ci", "ts": us // 1_000_000,
            }],
        }
    elif roll < 0.11 and index < 5:
        who = rng.choice(authors)
        msg = {"type": "message", "subtype": "channel_join", "ts": ts, "user": who,
               "text": f"<@{who}> has joined the channel"}
    else:
        who = rng.choice(authors)
        text = " ".join(rng.sample(PHRASES, rng.randrange(1, 3)))
        if rng.random() < 0.15:
            text = f"<@{rng.choice(authors)}> {text}"
        msg = {"client_msg_id": _uuid(rng), "type": "message", "text": text, "user": who, "ts": ts,
               "blocks": [_rich_text(rng, text)], "team": team_id}
        if rng.random() < 0.07:
            file_id = make_id("F0", rng, 9)
            name = rng.choice(["report.pdf", "screenshot.png", "données.csv", "notes.txt"])
            msg["files"] = [{"id": file_id, "created": us // 1_000_000, "timestamp": us // 1_000_000, "name": name,
                             "title": name, "mimetype": _mime(name), "filetype": name.rsplit(".", 1)[1],
                             "user": who, "size": rng.randrange(200, 5_000_000), "mode": "hosted",
                             "is_external": False, "is_public": True,
                             "url_private": f"https://files.slack.com/files-pri/{team_id}-{file_id}/{name}",
                             "permalink": f"https://acme.slack.com/files/{who}/{file_id}/{name}"}]
            msg["upload"] = False
            msg["display_as_bot"] = False
        if rng.random() < 0.05:
            msg["edited"] = {"user": who, "ts": ts_str(us + rng.randrange(1, 50) * 1_000_000)}
        if rng.random() < 0.12:
            replies = rng.randrange(1, 6)
    if rng.random() < 0.25 and msg.get("subtype") != "channel_join":
        names = rng.sample(EMOJI, rng.randrange(1, 4))
        msg["reactions"] = [{"name": n, "users": (u := rng.sample(authors, min(len(authors), rng.randrange(1, 4)))),
                             "count": len(u)} for n in names]
    return msg, replies


def reply(seed: int, channel_id: str, parent: dict[str, Any], k: int, us: int, team_id: str,
          authors: list[str]) -> dict[str, Any]:
    """Seeded reply `k` of a thread whose parent is `parent`."""
    rng = random.Random(f"{seed}:{channel_id}:{parent['ts']}:{k}")
    who = rng.choice(authors)
    text = rng.choice(PHRASES)
    msg: dict[str, Any] = {"client_msg_id": _uuid(rng), "type": "message", "text": text, "user": who,
                           "ts": ts_str(us), "blocks": [_rich_text(rng, text)], "team": team_id,
                           "thread_ts": parent["ts"], "parent_user_id": parent.get("user")}
    if rng.random() < 0.15:
        msg["reactions"] = [{"name": "thumbsup", "users": [parent.get("user") or who], "count": 1}]
    return msg


def _rich_text(rng: random.Random, text: str) -> dict[str, Any]:
    return {"type": "rich_text", "block_id": "".join(rng.choice(string.ascii_letters + string.digits + "+/=")
                                                    for _ in range(5)),
            "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _mime(name: str) -> str:
    return {"pdf": "application/pdf", "png": "image/png", "csv": "text/csv"}.get(name.rsplit(".", 1)[1], "text/plain")
