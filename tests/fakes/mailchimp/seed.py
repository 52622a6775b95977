"""Seeded Mailchimp records: lists, members, segments, campaigns, reports and their details, automations, stores."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime
from typing import Any

BASE = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
PEOPLE = ["Zoë Müller", "José Álvarez", "李小龙", "Ngozi Okafor", "Søren Kierkegaard", "Ana-María Núñez",
          "Siobhán O'Brien", "Amélie Poulain", "Björk Guðmundsdóttir", "Łukasz Żuk", "Ω Omega", "Priya Raman"]
CLIENTS = ["Gmail", "Apple Mail", "Outlook 2019", "Thunderbird", ""]
LANGUAGES = ["en", "de", "es", "fr", "zh", ""]


def when(seconds: float | None) -> str:
    """Mailchimp's time format (ISO 8601, whole seconds, `+00:00`); "" for no time."""
    if seconds is None:
        return ""
    return datetime.fromtimestamp(int(seconds), UTC).isoformat()


def hex_id(*parts: Any, length: int = 10) -> str:
    return hashlib.md5("/".join(str(p) for p in parts).encode()).hexdigest()[:length]


def links(path: str) -> list[dict[str, Any]]:
    return [{"rel": "self", "href": f"https://us21.api.mailchimp.com/3.0{path}", "method": "GET",
             "targetSchema": "https://us21.api.mailchimp.com/schema/3.0/Definitions/Lists/Response.json"}]


def a_list(seed: int, index: int, members: int) -> dict[str, Any]:
    rng = random.Random(seed * 7919 + index)
    list_id = hex_id(seed, "list", index)
    name = ["Newsletter", "Käufer & Kunden", "Événements 2024", "ベータテスター"][index % 4]
    return {
        "id": list_id, "web_id": 100000 + index, "name": name,
        "contact": {"company": "Acme Coöperative", "address1": f"{index + 1} Main St", "address2": "",
                    "city": "Zürich", "state": "ZH", "zip": "8001", "country": "CH", "phone": ""},
        "permission_reminder": "You signed up on our website.", "use_archive_bar": rng.random() < 0.5,
        "campaign_defaults": {"from_name": "Acme", "from_email": "news@acme.example", "subject": "", "language": "en"},
        "notify_on_subscribe": "", "notify_on_unsubscribe": "", "date_created": when(BASE + index * 86400),
        "list_rating": rng.randint(0, 5), "email_type_option": False,
        "subscribe_url_short": f"http://eepurl.com/{list_id[:6]}",
        "subscribe_url_long": f"https://acme.us21.list-manage.com/subscribe?u=abc&id={list_id}",
        "beamer_address": f"us21-{list_id}@inbound.mailchimp.com", "visibility": rng.choice(["pub", "prv"]),
        "double_optin": rng.random() < 0.3, "has_welcome": False, "marketing_permissions": False, "modules": [],
        "stats": {"member_count": members, "unsubscribe_count": 0, "cleaned_count": 0, "campaign_count": 0,
                  "avg_sub_rate": 0, "open_rate": round(rng.random() * 60, 2), "last_sub_date": ""},
        "campaign_last_sent": "", "_links": links(f"/lists/{list_id}"),
    }


def a_member(seed: int, list_id: str, index: int) -> dict[str, Any]:
    rng = random.Random(int(hex_id(seed, list_id, index), 16))
    person = PEOPLE[index % len(PEOPLE)]
    email = f"member{index}@{['example.com', 'beispiel.de', 'exemple.fr'][index % 3]}"
    status = rng.choice(["subscribed", "subscribed", "subscribed", "unsubscribed", "cleaned", "pending"])
    changed = BASE + index * 600 + rng.randint(0, 599)
    first, _, last = person.partition(" ")
    tags = [{"id": 7001 + t, "name": ["vip", "käufer", "beta"][t]} for t in range(rng.randint(0, 3))]
    has_location = rng.random() < 0.7
    return {
        "id": hashlib.md5(email.encode()).hexdigest(), "email_address": email, "unique_email_id": hex_id(email),
        "contact_id": hex_id("contact", email, length=24), "full_name": person, "web_id": 500000 + index,
        "email_type": "html", "status": status,
        "unsubscribe_reason": "N/A (Unsubscribed by admin)" if status == "unsubscribed" else None,
        "consents_to_one_to_one_messaging": True,
        "merge_fields": {"FNAME": first, "LNAME": last, "ADDRESS": "" if index % 4 else
                         {"addr1": "Bahnhofstrasse 1", "city": "Zürich", "zip": "8001", "country": "CH"}},
        "interests": {hex_id("interest", n): rng.random() < 0.5 for n in range(2)},
        "stats": {"avg_open_rate": round(rng.random(), 2), "avg_click_rate": round(rng.random() / 3, 2)},
        "ip_signup": "", "timestamp_signup": "", "ip_opt": f"198.51.100.{index % 250}",
        "timestamp_opt": when(BASE + index * 600), "member_rating": rng.randint(1, 5),
        "last_changed": when(changed), "language": rng.choice(LANGUAGES), "vip": rng.random() < 0.05,
        "email_client": rng.choice(CLIENTS),
        "location": {"latitude": round(rng.uniform(-60, 60), 4), "longitude": round(rng.uniform(-170, 170), 4),
                     "gmtoff": 0, "dstoff": 0, "country_code": rng.choice(["CH", "DE", "US", "JP"]),
                     "timezone": "", "region": ""} if has_location else
                    {"latitude": 0, "longitude": 0, "gmtoff": 0, "dstoff": 0, "country_code": "", "timezone": "",
                     "region": ""},
        "source": rng.choice(["Admin Add", "API - Generic", "Hosted Signup Form"]), "tags_count": len(tags),
        "tags": tags, "list_id": list_id, "_links": links(f"/lists/{list_id}/members/{index}"),
    }


def a_segment(seed: int, list_id: str, index: int) -> dict[str, Any]:
    kind = ["saved", "static", "fuzzy"][index % 3]
    return {"id": 10000 + index * 10 + int(list_id[:2], 16) % 10, "name": ["Öffner", "VIPs", "Récents"][index % 3],
            "member_count": 0, "type": kind, "created_at": when(BASE + 3600 * (index + 1)),
            "updated_at": when(BASE + 7200 * (index + 1)),
            "options": {"match": "any", "conditions": [{"field": "EMAIL", "op": "contains", "value": "example"}]}
            if kind == "saved" else None, "list_id": list_id, "_links": links(f"/lists/{list_id}/segments")}


def a_campaign(seed: int, index: int, list_ids: list[str], created: float | None = None) -> dict[str, Any]:
    rng = random.Random(seed * 104729 + index)
    campaign_id = hex_id(seed, "campaign", index)
    status = "sent" if index % 10 < 7 else rng.choice(["save", "paused", "schedule"])
    create = created if created is not None else BASE + index * 21600 + rng.randint(0, 3600)
    list_id = list_ids[index % len(list_ids)]
    sent = status == "sent"
    return {
        "id": campaign_id, "web_id": 900000 + index, "parent_campaign_id": "",
        "type": rng.choice(["regular", "regular", "plaintext", "rss", "absplit"]), "create_time": when(create),
        "archive_url": f"http://eepurl.com/c{campaign_id[:5]}",
        "long_archive_url": f"https://us21.campaign-archive.com/?u=abc&id={campaign_id}", "status": status,
        "emails_sent": rng.randint(50, 5000) if sent else 0, "send_time": when(create + 3600) if sent else "",
        "content_type": "template", "needs_block_refresh": False, "resendable": sent and rng.random() < 0.5,
        "recipients": {"list_id": list_id, "list_is_active": True, "list_name": "Newsletter",
                       "segment_text": "" if index % 3 else "<p>Öffner der letzten 30 Tage</p>",
                       "recipient_count": rng.randint(50, 5000)},
        "settings": {"subject_line": f"Neuigkeiten Nr. {index} — ¡Hola!", "title": f"Campaign {index}",
                     "from_name": "Acme", "reply_to": "news@acme.example",
                     "folder_id": "" if index % 4 else f"f{index % 3}"},
        "tracking": {"opens": True, "html_clicks": True, "text_clicks": False},
        "ab_split_opts": {"split_test": "subject", "pick_winner": "opens"} if index % 5 == 4 else None,
        "social_card": None, "rss_opts": None, "variate_settings": None,
        "report_summary": {"opens": rng.randint(0, 900), "unique_opens": rng.randint(0, 500),
                           "open_rate": round(rng.random(), 3), "clicks": rng.randint(0, 300),
                           "subscriber_clicks": rng.randint(0, 200), "click_rate": round(rng.random() / 4, 3)}
        if sent else None,
        "delivery_status": {"enabled": False}, "_links": links(f"/campaigns/{campaign_id}"),
    }


def a_report(campaign: dict[str, Any]) -> dict[str, Any]:
    summary = campaign["report_summary"] or {}
    return {
        "id": campaign["id"], "campaign_title": campaign["settings"]["title"], "type": campaign["type"],
        "list_id": campaign["recipients"]["list_id"], "list_is_active": True, "list_name": "Newsletter",
        "subject_line": campaign["settings"]["subject_line"], "preview_text": "",
        "emails_sent": campaign["emails_sent"], "abuse_reports": 0, "unsubscribed": 0,
        "send_time": campaign["send_time"],
        "bounces": {"hard_bounces": 1, "soft_bounces": 2, "syntax_errors": 0},
        "opens": {"opens_total": summary.get("opens", 0), "unique_opens": summary.get("unique_opens", 0),
                  "open_rate": summary.get("open_rate", 0)},
        "clicks": {"clicks_total": summary.get("clicks", 0), "unique_clicks": summary.get("subscriber_clicks", 0),
                   "click_rate": summary.get("click_rate", 0)},
        "list_stats": {"sub_rate": 0, "unsub_rate": 0, "open_rate": 0, "click_rate": 0},
        "_links": links(f"/reports/{campaign['id']}"),
    }


def report_details(seed: int, campaign: dict[str, Any], members: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """A sent campaign's abuse reports, clicked URLs, opens and unsubscribes."""
    rng = random.Random(int(hex_id(seed, campaign["id"]), 16))
    cid, list_id, sent = campaign["id"], campaign["recipients"]["list_id"], campaign["send_time"]

    def person(member: dict[str, Any]) -> dict[str, Any]:
        return {"campaign_id": cid, "list_id": list_id, "list_is_active": True, "email_id": member["id"],
                "email_address": member["email_address"], "merge_fields": member["merge_fields"], "vip": member["vip"]}

    picked = rng.sample(members, min(len(members), 6)) if members else []
    return {
        "abuse_reports": [{"id": 300 + n, "date": sent, **person(m)} for n, m in enumerate(picked[:rng.randint(0, 2)])],
        "urls_clicked": [{"id": hex_id(cid, "url", n), "url": f"https://acme.example/angebot/{n}?ü=1",
                          "total_clicks": rng.randint(0, 90), "click_percentage": round(rng.random(), 3),
                          "unique_clicks": rng.randint(0, 50), "unique_click_percentage": round(rng.random(), 3),
                          "last_click": sent if n % 2 else "", "ab_split": None, "campaign_id": cid}
                         for n in range(rng.randint(1, 4))],
        "members": [{**person(m), "contact_status": m["status"], "opens_count": 2,
                     "opens": [{"timestamp": sent}, {"timestamp": sent}]} for m in picked[:rng.randint(1, 6)]],
        "unsubscribes": [{**person(m), "timestamp": sent, "reason": rng.choice(["", "Zu viele E-Mails", None])}
                         for m in picked[:rng.randint(0, 3)]],
    }


def an_automation(index: int) -> dict[str, Any]:
    create = BASE + index * 86400 * 3
    return {"id": hex_id("automation", index), "create_time": when(create),
            "start_time": when(create + 3600) if index % 2 == 0 else "",
            "status": ["sending", "paused", "save"][index % 3], "emails_sent": index * 17,
            "recipients": {"list_id": "", "list_is_active": True, "segment_opts": None},
            "settings": {"title": f"Willkommen {index}", "from_name": "Acme"},
            "tracking": {"opens": True}, "trigger_settings": {"workflow_type": "emailSeries"},
            "report_summary": {"opens": index, "unique_opens": index, "open_rate": 0.5}}


def a_store(index: int, list_id: str) -> dict[str, Any]:
    return {"id": f"store_{index}", "list_id": list_id, "name": ["Laden Zürich", "Boutique Paris"][index % 2],
            "platform": "", "domain": f"shop{index}.example", "is_syncing": False,
            "email_address": "shop@acme.example", "currency_code": ["CHF", "EUR"][index % 2], "money_format": "",
            "primary_locale": "de", "timezone": "Europe/Zurich", "phone": None,
            "address": {"address1": "Limmatquai 1", "city": "Zürich", "country_code": "CH"},
            "connected_site": None, "automations": {"abandoned_cart": {"is_supported": False}},
            "list_is_active": True, "created_at": when(BASE + index * 1000), "updated_at": when(BASE + index * 2000)}
