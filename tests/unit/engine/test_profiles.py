"""Profiles as connectors see them: unwrapped members, and refreshed credentials sealed back."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from sluice.api.runtime import open_runtime
from sluice.config import Settings
from sluice.engine.profiles import profile_view, unwrap
from sluice.store.models import ConnectorProfile


def test_unwrap_takes_the_one_member() -> None:
    assert unwrap({"Salesforce": {"instanceUrl": "u"}}) == ("Salesforce", {"instanceUrl": "u"})
    assert unwrap(None) == (None, {})
    assert unwrap({"a": 1, "b": 2}) == (None, {"a": 1, "b": 2})


def test_saved_credentials_are_sealed_in_the_union_form(tmp_path: Path) -> None:
    rt = open_runtime(Settings(data_dir=tmp_path, access_key_id="AKIDPROF", secret_access_key="s", workers=0))
    account = rt.default_keys.account_id
    with rt.store.admin() as session:
        session.add(ConnectorProfile(
            account_id=account, region="us-east-1", name="p", arn="arn:p", connector_type="Salesforce",
            connection_mode="Public", credentials_arn="arn:c", properties={"Salesforce": {"instanceUrl": "u"}},
            credentials_enc=rt.store.box.seal_json({"Salesforce": {"accessToken": "old"}}, "arn:p"),
            created_at=0.0, last_updated_at=0.0,
        ))
    with rt.store.admin() as session:
        row = session.scalars(select(ConnectorProfile)).one()
        view = profile_view(rt.store, row)
    assert view.properties == {"instanceUrl": "u"}
    assert view.credentials == {"accessToken": "old"}
    assert view.save_credentials is not None
    view.save_credentials({"accessToken": "new"})
    with rt.store.admin() as session:
        row = session.scalars(select(ConnectorProfile)).one()
        assert b"new" not in row.credentials_enc  # sealed, not stored in the clear
        assert rt.store.box.open_json(row.credentials_enc, row.arn) == {"Salesforce": {"accessToken": "new"}}
    rt.store.engine.dispose()
