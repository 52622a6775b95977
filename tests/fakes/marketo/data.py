"""Seeded records of the fake subscription, made on demand from (seed, index) so 500k leads cost no memory.

Lead `i` (id `i`, 1-based) and activity `k` are pure functions of the seed and their index; the subscription
(`state.py`) keeps only what tests or writes changed. Seeded leads are created across `SPAN` from the state's
`epoch` (by default `default_epoch()`: the seed ends a month before today, so a full pull spans months, not
years), in id order; seeded activities likewise in id order, so "since a datetime" and "after this id" agree.
"""

from __future__ import annotations

import datetime as dt
import random

from .schema import CHANGE_DATA_VALUE, asset_iso, iso

SPAN = dt.timedelta(days=180)


def default_epoch() -> dt.datetime:
    """Midnight (UTC) SPAN plus 30 days ago: seeded updates (up to 20 days after creation) stay in the past."""
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - SPAN - dt.timedelta(days=30)

FIRST_NAMES = ("Ana", "José", "Zoë", "Łukasz", "Søren", "美咲", "Олег", "Aoife", "Nguyễn", "François", "Chloé",
               "Mohammed", "Priya", "Björn", "Ngozi", "Mateus", "Hana", "O'Neil", "Émile", "Kwame")
LAST_NAMES = ("García", "Müller", "O'Brien", "Kowalski", "Sørensen", "山田", "Иванов", "Ní Bhriain", "Trần",
              "Dubois", "Smith", "Al-Farsi", "Iyer", "Lindqvist", "Okafor", "Silva", "Kim", "D'Angelo")
COMPANIES = ("Acme Corp", "Globex GmbH", "Initech", "Umbrella Plc", "Soylent & Co", "Hooli", "Stark Industries",
             "Wayne Enterprises", "Ünïcode Ltd", "株式会社テスト", None)
TITLES = ("CTO", "VP Marketing", "Data Engineer", "Head of Growth", "Analyst", None)
COUNTRIES = ("United States", "Germany", "France", "Japan", "Brazil", "India", "Nigeria", "Poland", None)
CITIES = ("Berlin", "São Paulo", "Kraków", "東京", "Lagos", "Austin", "Paris", None)
STATUSES = ("Open", "Working", "Nurturing", "Qualified", "Unqualified")
SOURCES = ("Website", "Webinar", "Trade Show", "Paid Search", "List Import", None)
TIERS = ("Gold", "Silver", "Bronze", None)
INTERESTS = ("Analytics, Automation", "Email — nurture", "CRM sync\nand reporting", "", None)

ACTIVITY_MIX = (1, 1, 1, 2, 6, 6, 10, 10, CHANGE_DATA_VALUE)
FORMS = ((1001, "Contact Us"), (1002, "Webinar Signup"), (1003, "Téléchargement eBook"))
PAGES = ((71, "www.example.com/pricing"), (72, "www.example.com/blog/ünïcode"), (73, "www.example.com/"))
EMAILS = ((5001, "Newsletter — June"), (5002, "Webinar Reminder"), (5003, "Welcome 👋"))


def lead_created_at(lead_id: int, count: int, epoch: dt.datetime) -> dt.datetime:
    """When seeded lead `lead_id` of `count` was created (ids spread evenly over SPAN)."""
    step = SPAN / max(count, 1)
    return epoch + step * (lead_id - 1)


def seeded_lead(seed: int, lead_id: int, count: int, epoch: dt.datetime) -> dict:
    """Every field of seeded lead `lead_id`, nulls included."""
    rnd = random.Random(seed * 1_000_003 + lead_id)
    created = lead_created_at(lead_id, count, epoch)
    updated = created + dt.timedelta(seconds=rnd.randrange(0, 20 * 86400))
    first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
    birth = None if rnd.random() < 0.4 else dt.date(1960 + rnd.randrange(40), rnd.randrange(1, 13),
                                                      rnd.randrange(1, 29)).isoformat()
    return {
        "id": lead_id,
        # Email addresses are ASCII only (Leads page, "Create and Update").
        "email": f"lead{lead_id}@example{lead_id % 7}.com",
        "firstName": first,
        "lastName": last,
        "company": rnd.choice(COMPANIES),
        "title": rnd.choice(TITLES),
        "phone": None if rnd.random() < 0.3 else f"+1-555-{rnd.randrange(1000, 9999)}",
        "country": rnd.choice(COUNTRIES),
        "city": rnd.choice(CITIES),
        "leadStatus": rnd.choice(STATUSES),
        "leadScore": rnd.randrange(0, 200),
        "annualRevenue": None if rnd.random() < 0.3 else round(rnd.uniform(1e4, 5e7), 2),
        "numberOfEmployees": rnd.choice((None, 5, 50, 250, 1200, 18000)),
        "dateOfBirth": birth,
        "unsubscribed": rnd.random() < 0.1,
        "website": None if rnd.random() < 0.5 else f"https://www.example{lead_id % 7}.com/",
        "leadSource": rnd.choice(SOURCES),
        "createdAt": iso(created),
        "updatedAt": iso(updated),
        "cookies": None if rnd.random() < 0.5 else f"_mch-example.com-{1536605780000 + lead_id}-{rnd.randrange(10**5)}",
        "customerTier": rnd.choice(TIERS),
        "productInterest": rnd.choice(INTERESTS),
        "accountNumber": None if rnd.random() < 0.2 else 100000 + lead_id,
        "engagementRate": None if rnd.random() < 0.2 else round(rnd.random(), 4),
        "lastWebinarAt": None if rnd.random() < 0.6 else iso(created + dt.timedelta(days=rnd.randrange(1, 60))),
    }


def activity_date(activity_id: int, count: int, epoch: dt.datetime) -> dt.datetime:
    """When seeded activity `activity_id` of `count` happened (ids spread evenly over SPAN)."""
    step = SPAN / max(count, 1)
    return epoch + step * (activity_id - 1)


def seeded_activity(seed: int, activity_id: int, count: int, leads: int, epoch: dt.datetime) -> dict:
    """Seeded activity `activity_id`: type, lead, primary attribute and attributes as Get Lead Activities shows."""
    rnd = random.Random(seed * 2_000_003 + activity_id)
    type_id = rnd.choice(ACTIVITY_MIX)
    out: dict = {"id": activity_id, "marketoGUID": str(activity_id), "leadId": rnd.randrange(1, max(leads, 1) + 1),
                 "activityDate": iso(activity_date(activity_id, count, epoch)), "activityTypeId": type_id}
    if type_id == 1:
        page_id, url = rnd.choice(PAGES)
        out.update(primaryAttributeValueId=page_id, primaryAttributeValue=url, attributes=[
            {"name": "Client IP Address", "value": f"10.0.{rnd.randrange(256)}.{rnd.randrange(256)}"},
            {"name": "Query Parameters", "value": ""},
            {"name": "User Agent", "value": "Mozilla/5.0 (X11; Linux x86_64)"},
            {"name": "Webpage URL", "value": "/" + url.split("/", 1)[-1]}])
    elif type_id == 2:
        form_id, name = rnd.choice(FORMS)
        out.update(primaryAttributeValueId=form_id, primaryAttributeValue=name, campaignId=rnd.randrange(1, 40),
                   attributes=[{"name": "Client IP Address", "value": "192.0.2.7"},
                               {"name": "Form Fields", "value": "a:1:{s:5:\"Email\";s:12:\"x@example.com\";}"},
                               {"name": "Webpage ID", "value": rnd.choice(PAGES)[0]}])
    elif type_id in (6, 10):
        mailing_id, name = rnd.choice(EMAILS)
        attrs = ([{"name": "Campaign Run ID", "value": rnd.randrange(1, 900)}, {"name": "Step ID", "value": 3}]
                 if type_id == 6 else
                 [{"name": "Device", "value": rnd.choice(("iPhone", "Desktop"))},
                  {"name": "Is Mobile Device", "value": rnd.random() < 0.5}, {"name": "Platform", "value": "iOS"}])
        out.update(primaryAttributeValueId=mailing_id, primaryAttributeValue=name, campaignId=rnd.randrange(1, 40),
                   attributes=attrs)
    else:
        out.update(primaryAttributeValueId=11, primaryAttributeValue="Lead Score", attributes=[
            {"name": "New Value", "value": str(rnd.randrange(50, 200))},
            {"name": "Old Value", "value": str(rnd.randrange(0, 50))},
            {"name": "Reason", "value": "Score change"}, {"name": "Source", "value": "Marketo Flow Action"}])
        out["fields"] = [{"id": 11, "name": "leadScore", "newValue": out["attributes"][0]["value"],
                          "oldValue": out["attributes"][1]["value"]}]
    return out


PROGRAM_TYPES = (("Default", "Online Advertising"), ("Event", "Tradeshow"), ("Event with Webinar", "Webinar"),
                 ("Engagement", "Nurture"), ("Email", "Email Send"))


def seeded_program(seed: int, index: int, count: int, epoch: dt.datetime) -> dict:
    """Program `index` (0-based) as Get Programs browses it (no tags; asset datetime format)."""
    rnd = random.Random(seed * 3_000_017 + index)
    created = epoch + (SPAN / max(count, 1)) * index
    updated = created + dt.timedelta(hours=rnd.randrange(0, 24 * 30))
    program_type, channel = rnd.choice(PROGRAM_TYPES)
    pid = 1000 + index
    statuses = {"Engagement": rnd.choice(("on", "off")), "Email": rnd.choice(("locked", "unlocked"))}
    status = statuses.get(program_type, "")
    label = rnd.choice(("Q1", "Été", "Launch"))
    return {"id": pid, "name": f"{channel} #{index} \u2013 \u201c{label}\u201d",
            "description": rnd.choice(("", "Spring campaign", "Kampagne für DACH")),
            "createdAt": asset_iso(created), "updatedAt": asset_iso(updated),
            "url": f"https://app-ab12.marketo.com/#PG{pid}A1", "type": program_type, "channel": channel,
            "folder": {"type": "Folder", "value": 20 + index % 5, "folderName": f"Folder {index % 5}"},
            "status": status, "workspace": "Default", "headStart": False,
            "sfdcId": None, "sfdcName": None, "costs": None}


def seeded_campaign(seed: int, index: int, count: int, programs: int, epoch: dt.datetime) -> dict:
    """Smart campaign `index` (0-based) as Get Campaigns lists it."""
    rnd = random.Random(seed * 4_000_037 + index)
    created = epoch + (SPAN / max(count, 1)) * index
    program_index = rnd.randrange(max(programs, 1))
    kind = rnd.choice(("batch", "trigger"))
    program_name = seeded_program(seed, program_index, programs, epoch)["name"]
    out = {"id": 1 + index, "name": f"{'Batch' if kind == 'batch' else 'Trigger'} campaign {index}",
           "description": rnd.choice(("", "Scores form fills", "Relance — nurture")), "type": kind,
           "programName": program_name, "programId": 1000 + program_index,
           "workspaceName": "Default", "createdAt": iso(created),
           "updatedAt": iso(created + dt.timedelta(days=rnd.randrange(0, 10)))}
    if kind == "trigger":
        out["active"] = rnd.random() < 0.7
    return out
