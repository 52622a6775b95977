"""Webhooks per account (store layer): add, list, remove, and the ones a run report goes to.

Written only by `sluice webhooks`; read by `engine/run_reports.py` at each run's end. The
signing secret is sealed with the store's key and opened only to sign a delivery.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from sluice.store.models import Webhook as WebhookRow
from sluice.store.repository import Store


@dataclass(frozen=True)
class Webhook:
    """One registered URL and its signing secret (kept out of `repr`)."""

    id: int
    account_id: str
    url: str
    secret: str = field(repr=False)


def _context(account_id: str) -> str:
    return f"webhook:{account_id}"


def add(store: Store, account_id: str, url: str, secret: str) -> int:
    """Register `url` for `account_id`; returns its id."""
    with store.admin() as session:
        sealed = store.box.seal(secret.encode(), _context(account_id))
        row = WebhookRow(account_id=account_id, url=url, secret_enc=sealed, created_at=time.time())
        session.add(row)
        session.flush()
        return int(row.id)


def listed(store: Store, account_id: str | None = None) -> list[tuple[int, str, str]]:
    """(id, account id, URL) of every webhook, or one account's; no secrets."""
    with store.admin() as session:
        query = select(WebhookRow.id, WebhookRow.account_id, WebhookRow.url).order_by(WebhookRow.id)
        if account_id is not None:
            query = query.where(WebhookRow.account_id == account_id)
        return [(int(i), str(a), str(u)) for i, a, u in session.execute(query).all()]


def remove(store: Store, webhook_id: int, account_id: str | None = None) -> bool:
    """Forget webhook `webhook_id` (of `account_id` when given); False when there is none."""
    with store.admin() as session:
        query = delete(WebhookRow).where(WebhookRow.id == webhook_id)
        if account_id is not None:
            query = query.where(WebhookRow.account_id == account_id)
        return bool(session.execute(query).rowcount)  # type: ignore[attr-defined]


def for_account(store: Store, account_id: str) -> list[Webhook]:
    """The account's webhooks with their secrets, for signing deliveries."""
    with store.admin() as session:
        rows = session.scalars(select(WebhookRow).where(WebhookRow.account_id == account_id)).all()
        return [Webhook(int(r.id), r.account_id, r.url, store.box.open(r.secret_enc, _context(account_id)).decode())
                for r in rows]
