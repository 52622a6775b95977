"""sluice.connectors.aws_identity: who signs, refusal without an identity, secrets out of repr."""

from __future__ import annotations

import pytest

from sluice.connectors import aws_identity
from sluice.connectors.aws_identity import SERVER, AwsIdentity, from_settings, resolve, unconfigured
from sluice.connectors.base import ConnectorError


def test_an_account_without_an_identity_is_refused_naming_the_command() -> None:
    identity = unconfigured("210987654321")
    for use in (identity.session, identity.require, identity.aws_account_id):
        with pytest.raises(ConnectorError) as caught:
            use()
        assert caught.value.code == "InvalidArgument"
        assert "account 210987654321 has no AWS identity configured" in caught.value.message
        assert "sluice accounts aws" in caught.value.message


def test_settings_become_identities() -> None:
    keys = from_settings("1", {"kind": "keys", "access_key_id": "AKIAX", "secret_access_key": "shh",
                               "session_token": "tok"})
    assert keys.kind == "keys" and not keys.is_server
    frozen = keys.session("eu-west-1").get_credentials().get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == ("AKIAX", "shh", "tok")
    role = from_settings("1", {"kind": "role", "role_arn": "arn:aws:iam::222222222222:role/t", "external_id": "e"})
    assert role.aws_account_id() == "222222222222"
    assert from_settings("1", None).kind == "none" and from_settings("1", {"kind": "?"}).kind == "none"
    assert resolve(None) is SERVER and SERVER.is_server


def test_secrets_stay_out_of_repr() -> None:
    identity = AwsIdentity(kind="keys", account_id="1", access_key_id="AKIAX", secret_access_key="shh",
                           session_token="tok", external_id="ext")
    text = repr(identity)
    assert "shh" not in text and "tok" not in text and "ext" not in text and "AKIAX" not in text


def test_only_role_arns_are_assumed() -> None:
    with pytest.raises(ConnectorError, match="not an IAM role ARN"):
        SERVER.assume("arn:aws:s3:::bucket")
    assert aws_identity.ROLE_ARN.match("arn:aws:iam::123456789012:role/path/name")
