"""The gateway log scanner on lines written the way LiteLLM and Python write them (no stack):
what counts as an error, what is a client's fault, and which lines fall in the window.
The live selftests show the same through DEP-03 against the running gateway."""

from __future__ import annotations

import datetime as dt
import json

from gateproof.probes.gateway_log import scan_lines

START = dt.datetime(2026, 11, 27, 12, 0, 0)


def record(level: str, message: str, minutes: int = 1) -> str:
    stamp = (START + dt.timedelta(minutes=minutes)).isoformat()
    return json.dumps({"message": message, "level": level, "timestamp": stamp})


def scan(*lines: str, tag: str = "dep03-tag") -> tuple[int, list[str], int, bool]:
    found = scan_lines("log", list(lines), START.timestamp(), tag, windowed=False)
    return found.records, found.errors, found.client_caused, found.tag_found


def test_errors_before_the_start_do_not_count() -> None:
    records, errors, _client, _tag = scan(
        record("ERROR", "old crash", minutes=-5),
        "Traceback (most recent call last):",
        '  File "x.py", line 1, in f',
        "ValueError: old",
        record("INFO", "GET /health/liveliness?gateproof=dep03-tag 200"),
    )
    assert (records, errors) == (1, [])


def test_plain_text_errors_and_tracebacks_count() -> None:
    _records, errors, _client, _tag = scan(
        record("INFO", "started"),
        "Traceback (most recent call last):",
        '  File "proxy.py", line 9, in run',
        "    boom()",
        "RuntimeError: worker died",
        "ERROR:    Exception in ASGI application",
        "2026-11-27 12:03:00,123 - CRITICAL - out of memory",
        "INFO:     127.0.0.1 - GET /health 200",
    )
    assert errors == [
        "(no stamp) traceback: RuntimeError: worker died",
        "(no stamp) ERROR ERROR: Exception in ASGI application",
        "2026-11-27T12:03:00 CRITICAL 2026-11-27 12:03:00,123 - CRITICAL - out of memory",
    ]


def test_client_errors_are_set_apart() -> None:
    _records, errors, client, _tag = scan(
        record(
            "ERROR",
            "Exception occured - litellm_call_id=1 - 400: {'error': 'Invalid model "
            "name passed in model=nope'}",
        ),
        record("ERROR", "user_api_key_auth(): Exception occured - No api key passed in."),
        record("ERROR", "litellm.APIConnectionError: upstream refused"),
    )
    assert client == 2
    assert len(errors) == 1 and "APIConnectionError" in errors[0]


def test_the_tag_proves_the_log_is_live() -> None:
    assert scan(record("INFO", "GET /health/liveliness?gateproof=dep03-tag 200"))[3]
    assert not scan(record("INFO", "GET /health/liveliness 200"))[3]
    assert not scan()[3]  # an empty file (rotated without reopen)
