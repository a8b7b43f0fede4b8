"""The redacting wire logger: no ws token, recovery token or frame token survives into a log line."""

from __future__ import annotations

import logging

import pytest

from server.ringsense.wslog import redact, wire_log


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /ws?access_token=abc.def&wsc=w1 HTTP/1.1", "GET /ws?access_token=REDACTED&wsc=REDACTED HTTP/1.1"),
        ('[{"wsc": {"token": "w1", "sequence": 3}}]', '[{"wsc": {"token": "REDACTED", "sequence": 3}}]'),
        ("connection closed (1000)", "connection closed (1000)"),
    ],
    ids=["query", "frame-token", "no-secret"],
)
def test_redact_replaces_every_token_and_leaves_other_text_alone(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_the_wire_logger_redacts_its_message_and_its_arguments(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger=wire_log.name):
        wire_log.debug("> GET %s HTTP/1.1 after access_token=inline-secret", "/ws?access_token=arg-secret&wsc=w9")
    assert "secret" not in caplog.text and "w9" not in caplog.text
    assert "/ws?access_token=REDACTED&wsc=REDACTED" in caplog.text
