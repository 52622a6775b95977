"""The fake Mailchimp account: its records, credentials, clock and test controls."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from tests.fakes.common.https import RequestLog
from tests.fakes.common.lazy import Lazy
from tests.fakes.common.throttle import Throttles

from . import seed


class MailchimpAccount:
    """One account: `lists` audiences sharing `members` members, `campaigns` campaigns (7 in 10 sent)."""

    def __init__(self, members: int = 300, campaigns: int = 30, lists: int = 3, seed_value: int = 21) -> None:
        self.seed = seed_value
        self.api_key = f"{secrets.token_hex(16)}-us21"
        self.tokens: set[str] = set()
        self.log = RequestLog()
        self.throttles = Throttles()
        self.now: Callable[[], float] = time.time
        self.lock = threading.Lock()
        self.lists = [seed.a_list(seed_value, i, members // lists + (1 if i < members % lists else 0))
                      for i in range(lists)]
        self.list_ids = [entry["id"] for entry in self.lists]
        self.sizes = {entry["id"]: entry["stats"]["member_count"] for entry in self.lists}
        self.edited: dict[tuple[str, int], dict[str, Any]] = {}
        self.segments = {list_id: [seed.a_segment(seed_value, list_id, n) for n in range(3)]
                         for list_id in self.list_ids}
        self.campaigns = [seed.a_campaign(seed_value, i, self.list_ids) for i in range(campaigns)]
        self.automations = [seed.an_automation(i) for i in range(5)]
        self.stores = [seed.a_store(i, self.list_ids[0]) for i in range(2)]
        self._details: dict[str, dict[str, list[Any]]] = {}

    # -- credentials ------------------------------------------------------------------------

    def issue_token(self) -> str:
        """An OAuth 2 access token (Mailchimp's never expire); tests skip the browser part of OAuth."""
        token = secrets.token_hex(16)
        self.tokens.add(token)
        return token

    # -- records -----------------------------------------------------------------------------

    def member(self, list_id: str, index: int) -> dict[str, Any]:
        """One member of a list (generated, or as last edited)."""
        return self.edited.get((list_id, index)) or seed.a_member(self.seed, list_id, index)

    def members(self, list_id: str) -> Lazy:
        """A list's members, in order (made as they are read)."""
        return Lazy(lambda index: self.member(list_id, index), self.sizes[list_id])

    def segment_members(self, list_id: str, segment_id: str) -> Iterator[dict[str, Any]]:
        """A segment's members: every (n+2)-th member of the list for the segment at position n."""
        for position, segment in enumerate(self.segments[list_id]):
            if str(segment["id"]) == segment_id:
                step = position + 2
                for index in range(0, self.sizes[list_id], step):
                    yield self.member(list_id, index)

    def reports(self) -> list[dict[str, Any]]:
        """A report for each sent campaign."""
        return [seed.a_report(c) for c in self.campaigns if c["status"] == "sent"]

    def details(self, campaign_id: str) -> dict[str, list[Any]] | None:
        """A sent campaign's report details (None: no such sent campaign)."""
        campaign = next((c for c in self.campaigns if c["id"] == campaign_id and c["status"] == "sent"), None)
        if campaign is None:
            return None
        if campaign_id not in self._details:
            list_id = campaign["recipients"]["list_id"]
            sample = [self.member(list_id, i) for i in range(min(12, self.sizes[list_id]))]
            self._details[campaign_id] = seed.report_details(self.seed, campaign, sample)
        return self._details[campaign_id]

    # -- test controls (not Mailchimp's API) ------------------------------------------------------

    def throttle_next(self, count: int = 1, after: int = 0, path: str = "/3.0/") -> None:
        """Answer the next `count` requests under `path` with 429 Too Many Requests."""
        self.throttles.add(count, after, path, retry_after=None)

    def edit_member(self, list_id: str, index: int, **changes: Any) -> dict[str, Any]:
        """Change a member now: its `last_changed` becomes the account clock's current second."""
        with self.lock:
            record = {**self.member(list_id, index), **changes, "last_changed": seed.when(self.now())}
            self.edited[(list_id, index)] = record
            return record

    def add_campaign(self, **changes: Any) -> dict[str, Any]:
        """A new (unsent) campaign created now."""
        with self.lock:
            campaign = seed.a_campaign(self.seed, len(self.campaigns), self.list_ids, created=self.now())
            campaign.update(status="save", send_time="", emails_sent=0, report_summary=None, **changes)
            self.campaigns.append(campaign)
            return campaign
