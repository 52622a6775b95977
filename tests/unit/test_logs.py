"""sluice/logs.py: secrets are scrubbed from log lines and tracebacks; chatty libraries are clamped."""

from __future__ import annotations

import io
import json
import logging

import pytest

from sluice import logs


@pytest.mark.parametrize(("line", "secret"), [
    ("Authorization: Bearer 00D5g000004!AQ4AQ.abcdefgh", "00D5g000004"),
    ("{'Authorization': 'Basic dXNlcjpwYXNz', 'Accept': 'application/json'}", "dXNlcjpwYXNz"),
    ('Response body: b\'{"ARN":"a","SecretString":"{\\\\"clientId\\\\":\\\\"cid\\\\",'
     '\\\\"clientSecret\\\\":\\\\"sm-secret-1\\\\"}"}\'', "sm-secret-1"),
    ("grant_type=client_credentials&client_id=cid&client_secret=form-secret-2&scope=api", "form-secret-2"),
    ('{"access_token": "tok-3", "instance_url": "https://acme.my.salesforce.com"}', "tok-3"),
    ('{"refreshToken": "5Aep-4", "instanceUrl": "x"}', "5Aep-4"),
    ("GET /callback?code=c&access_token=qs-token-5 HTTP/1.1", "qs-token-5"),
    ("export AWS_SECRET_ACCESS_KEY=abc/def+ghi6", "abc/def+ghi6"),
    ("sending with bearer sk_live_abcdefghijkl7", "sk_live_abcdefghijkl7"),
])
def test_secrets_are_redacted(line: str, secret: str) -> None:
    clean = logs.redact(line)
    assert secret not in clean and "***" in clean


@pytest.mark.parametrize("line", [
    "the connector does not support BASIC authentication",
    "Salesforce refused the access token (INVALID_SESSION_ID) and the profile has no refresh token",
    "run 1234: reading Account through REST_SYNC",
    "could not reach Salesforce's token endpoint at https://login.salesforce.com",
])
def test_ordinary_lines_are_kept(line: str) -> None:
    assert logs.redact(line) == line


def test_the_filter_scrubs_arguments_and_tracebacks() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(logs.RedactSecrets())
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token answer: %s", {"access_token": "arg-secret-1"})
        try:
            raise RuntimeError('body {"client_secret": "exc-secret-2"}')
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert "arg-secret-1" not in text and "exc-secret-2" not in text
    assert "RuntimeError" in text and "token answer" in text


def test_configure_clamps_libraries_that_print_bodies() -> None:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), {n: logging.getLogger(n).level for n in ("botocore", "httpx")})
    try:
        root.handlers = [logging.StreamHandler(io.StringIO())]
        logs.configure("debug")
        assert root.level == logging.DEBUG
        assert logging.getLogger("botocore").getEffectiveLevel() == logging.INFO
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        assert any(isinstance(f, logs.RedactSecrets) for f in root.handlers[0].filters)
    finally:
        root.setLevel(saved[0])
        root.handlers = saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


def test_json_lines_carry_fields_and_stay_redacted() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(logs.RedactSecrets())
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("tests.logs.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("retry: %s", '{"access_token": "json-secret-3"}',
                       extra={"fields": {"executionId": "run-1", "kind": "retry", "seq": 4, "message": "not me"}})
    finally:
        logger.removeHandler(handler)
    (line,) = [json.loads(text) for text in out.getvalue().splitlines()]
    assert line["level"] == "warning" and line["logger"] == "tests.logs.json"
    assert line["executionId"] == "run-1" and line["kind"] == "retry" and line["seq"] == 4
    assert line["message"].startswith("retry: ") and "json-secret-3" not in line["message"]
    assert line["time"].endswith("Z")


def test_configure_writes_json_when_asked() -> None:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    try:
        root.handlers = [logging.StreamHandler(io.StringIO())]
        logs.configure("info", "json")
        assert isinstance(root.handlers[0].formatter, logs.JsonFormatter)
        root.handlers = [logging.StreamHandler(io.StringIO())]
        logs.configure("info", "text")
        assert not isinstance(root.handlers[0].formatter, logs.JsonFormatter)
    finally:
        root.setLevel(saved[0])
        root.handlers = saved[1]
