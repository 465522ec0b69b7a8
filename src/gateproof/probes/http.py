"""One HTTP request and what came back, as evidence; the request helper every probe uses.

:func:`send` never retries, always has a timeout, and turns transport trouble into probe
errors that name the URL and the setting it came from. A target that refused a connection
(or, when asked, did not answer in time) is remembered for the rest of the run: later
probes of it fail at once with the same cause instead of waiting again, so a dead component
costs one timeout per run, not one per check.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gateproof.errors import ProbeError, UnreachableError
from gateproof.evidence import curl_command

if TYPE_CHECKING:
    import httpx

EXCERPT = 400
# Headers httpx adds by itself: noise in a reproducer.
_IMPLICIT = {"host", "accept", "accept-encoding", "connection", "user-agent", "content-length"}
_dead: dict[str, ProbeError] = {}
_dead_lock = threading.Lock()


class NoAnswerError(ProbeError):
    """The target accepted the connection but did not answer within the read timeout."""


class BadBodyError(ProbeError):
    """The target answered, but not in the format asked for (HTML instead of JSON, a stream
    that is not SSE). Where that format is part of the item, the test turns it into a failure
    of the item (``Check.body``); elsewhere it stays "could not check"."""


@dataclass(frozen=True)
class Exchange:
    """A request and its answer. ``curl`` repeats the request with secrets masked."""

    method: str
    url: str
    status: int
    headers: dict[str, str]
    text: str
    elapsed_ms: float
    curl: str
    setting: str = ""
    lines: list[str] = field(default_factory=list)  # streamed bodies, line by line

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def excerpt(self, limit: int = EXCERPT) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= limit else text[:limit] + f"... ({len(self.text)} chars)"

    def summary(self) -> str:
        return f"{self.method} {self.url} -> {self.status} in {self.elapsed_ms:.0f} ms"

    def error(self, message: str) -> BadBodyError:
        """A body in the wrong format, naming URL, setting and the reproducer."""
        return BadBodyError(
            message,
            target=self.url,
            setting=self.setting,
            hint=f"look at the component's log. Reproduce with:\n    {self.curl}",
        )

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON is a probe error ("could not check")."""
        __tracebackhide__ = True
        try:
            return json.loads(self.text)
        except ValueError as exc:
            raise self.error(
                f"{self.method} {self.url} answered {self.status} with a body that is not "
                f"JSON ({exc}): {self.excerpt(200)!r}"
            ) from None


def origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def forget_dead_targets() -> None:
    """Forget every remembered dead target (a new run, or a component restarted)."""
    with _dead_lock:
        _dead.clear()


def _remember(url: str, error: ProbeError) -> ProbeError:
    with _dead_lock:
        _dead.setdefault(origin(url), error)
    return error


def remember_dead(url: str, error: ProbeError) -> ProbeError:
    """Remember ``url``'s origin as dead (probes whose client library is not httpx: Redis
    ``redis://host:port``, Prometheus through requests). Returns ``error`` for ``raise``."""
    return _remember(url, error)


def known_dead(url: str) -> ProbeError | None:
    """The error to raise at once when ``url``'s origin was found dead earlier this run."""
    return _known_dead(url)


def _known_dead(url: str) -> ProbeError | None:
    with _dead_lock:
        earlier = _dead.get(origin(url))
    if earlier is None:
        return None
    first_line = str(earlier).splitlines()[0]
    return type(earlier)(
        f"not tried again: an earlier request this run failed ({first_line})",
        target=url,
        setting=earlier.setting,
        hint=earlier.hint,
    )


def _curl(request: httpx.Request, body: str | None) -> str:
    shown = {k: v for k, v in request.headers.items() if k.lower() not in _IMPLICIT}
    if body is not None:
        shown.pop("content-type", None)  # curl_command adds it with -d
    return curl_command(request.method, str(request.url), headers=shown, json_body=body)


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    setting: str,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: httpx.Timeout | float | None = None,
    stream: bool = False,
    remember_timeouts: bool = False,
) -> Exchange:
    """Send one request (``stream``: read the body line by line) and return the exchange."""
    __tracebackhide__ = True  # a failure shows the test and the probe error, not our frames
    import httpx

    body = None if json_body is None else json.dumps(json_body, separators=(",", ":"))
    extra = dict(headers or {})
    if body is not None:
        extra.setdefault("content-type", "application/json")
    request = client.build_request(
        method, url, content=body, headers=extra, timeout=timeout or client.timeout
    )
    full_url, curl = str(request.url), _curl(request, body)
    earlier = _known_dead(full_url)
    if earlier is not None:
        raise earlier
    began = time.perf_counter()
    try:
        response = client.send(request, stream=stream)
        try:
            lines = _read_lines(response, began, request) if stream else []
            text = "\n".join(lines) if stream else response.text
        finally:
            response.close()
    except UnreachableError as exc:  # the lead's gateway transport already names it
        raise _remember(full_url, exc) from None
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        error = UnreachableError(
            f"could not connect to {origin(full_url)}: {exc or type(exc).__name__}",
            target=full_url,
            setting=setting,
            hint=f"start the component, or fix the setting. Reproduce with:\n    {curl}",
        )
        raise _remember(full_url, error) from None
    except httpx.TimeoutException as exc:
        waited = time.perf_counter() - began
        late = NoAnswerError(
            f"{method} {full_url}: no answer within {waited:.1f} s ({type(exc).__name__})",
            target=full_url,
            setting=setting,
            hint=f"the component accepts connections but does not answer; look at its log. "
            f"Reproduce with:\n    {curl}",
        )
        raise (_remember(full_url, late) if remember_timeouts else late) from None
    except httpx.HTTPError as exc:
        raise ProbeError(
            f"{method} {full_url}: {type(exc).__name__}: {exc}",
            target=full_url,
            setting=setting,
            hint=f"Reproduce with:\n    {curl}",
        ) from None
    return Exchange(
        method=method,
        url=full_url,
        status=response.status_code,
        headers={k.lower(): v for k, v in response.headers.items()},
        text=text,
        elapsed_ms=(time.perf_counter() - began) * 1000,
        curl=curl,
        setting=setting,
        lines=lines,
    )


def _read_lines(response: httpx.Response, began: float, request: httpx.Request) -> list[str]:
    """Every line of a streamed body; the whole stream must end within the read timeout."""
    import httpx

    budget = float(request.extensions.get("timeout", {}).get("read") or 30.0)
    lines: list[str] = []
    for line in response.iter_lines():
        lines.append(line)
        if time.perf_counter() - began > budget:
            raise httpx.ReadTimeout("stream still running after the read timeout", request=request)
    return lines
