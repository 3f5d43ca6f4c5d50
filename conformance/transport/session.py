"""The one HTTP session every request of a run goes through.

Schemathesis' `case.call(session=...)`, the Hypothesis state machine, the deterministic
probes, preflight and cleanup all send through `GuardedSession.send`, the lowest level of
`requests`: so the write guard, the pacing, the request budget, the timeout, the body
limit and TLS verification cannot be bypassed by any caller's keyword arguments, and every
request on the wire (each redirect hop too) is reported once, in order, as an `Exchange`.

Redirects are followed here, hop by hop, and only when harmless: a GET or HEAD to the
target's own origin. A redirected write or login is never re-sent (a 307 would repeat its
body), and a redirect to another origin is never followed (it would carry the credentials
there); the 3xx answer is returned as is, for the check to judge, and noted once.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.exceptions import InsecureRequestWarning

from conformance.errors import RunCutShort
from conformance.results.exchange import Exchange
from conformance.transport.bounded import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DeadlineAdapter,
    headers_by,
    read_body,
)
from conformance.transport.pacing import Pacer, Rate
from conformance.transport.policy import SAFE_METHODS, WritePolicy

ExchangeSink = Callable[[Exchange], None]


class BudgetExhausted(RunCutShort):
    """The run reached --max-requests; a safety stop the user can raise deliberately."""


CLEANUP_TIME_UP = "cleanup ran out of time after Ctrl-C"


class CleanupTimeUp(RunCutShort):
    """Cleanup ran out of the time it was given (after Ctrl-C the user is waiting to get out)."""


class GuardedSession(requests.Session):
    """A `requests.Session` that enforces the run's safety rules on every request it sends.

    - `policy`: the write guard; a refused request raises `WriteBlocked` and never leaves.
    - `on_exchange`: called with each request/response (or transport error), raw.
    - `timeout`: seconds for the whole of each request, body included; replaces whatever
      the caller passed (Schemathesis always passes its own default).
    - `max_response_bytes`: a larger body raises `ResponseTooLarge` instead of filling memory.
    - `verify`: True, False (--insecure) or a CA bundle path; a caller cannot weaken it.
    - `rate`: requests are spaced to this rate; None sends as fast as the target answers.
    - `max_requests`: the request budget; the next request after it raises `BudgetExhausted`.
      `cleanup_reserve` of them are kept for `cleaning_up()`, so that a run that spent its
      budget can still close what it opened; `cleaning_up(within=s)` also ends cleanup after
      s seconds (`CleanupTimeUp`), each request given only the time left.
    - `interrupted`: true once the user pressed Ctrl-C; no request but cleanup leaves after it.

    Credentials are ordinary session headers (`session.headers.update(resolve_auth(...))`),
    so a check can still send a request without them, or with wrong ones, on purpose.
    """

    def __init__(
        self,
        policy: WritePolicy,
        *,
        on_exchange: ExchangeSink | None = None,
        timeout: float = 10.0,
        verify: bool | str = True,
        rate: Rate | None = None,
        max_requests: int | None = None,
        cleanup_reserve: int = 0,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        interrupted: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__()
        for prefix in ("http://", "https://"):  # the deadline covers the headers too
            self.mount(prefix, DeadlineAdapter())
        self.policy = policy
        self.verify = verify
        self.timeout = timeout
        self.max_requests = max_requests
        self.cleanup_reserve = cleanup_reserve
        self._cleaning_up = False
        self._cleanup_ends: float | None = None  # monotonic time cleanup must be over by, if any
        self._interrupted = interrupted
        self.max_response_bytes = max_response_bytes
        self.requests_sent = 0
        self.unfollowed_redirects: list[str] = []  # one line per redirect answered but not followed
        self._on_exchange = on_exchange
        self._pacer = Pacer(rate) if rate else None

    def unpace(self) -> None:
        """Send as fast as the target answers from now on: it was proven disposable."""
        self._pacer = None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        follow = kwargs.pop("allow_redirects", True)
        kwargs.pop("stream", None)  # every body is streamed, within the limits, by `_hop`
        if self.verify is not True or not kwargs.get("verify"):
            kwargs["verify"] = self.verify
        response = self._hop(request, **kwargs)
        history: list[requests.Response] = []
        while follow and response.is_redirect and len(history) < self.max_redirects:
            target = urljoin(response.url, self.get_redirect_target(response) or "")
            refusal = self._redirect_refusal(request.method or "GET", target)
            if refusal is not None:
                self.unfollowed_redirects.append(
                    f"{request.method} {urlsplit(response.url).path} answered {response.status_code} "
                    f"to {target}: not followed ({refusal})"
                )
                break
            hop = request.copy()
            hop.prepare_url(target, None)
            history.append(response)
            response = self._hop(hop, **kwargs)
        response.history = history
        return response

    def _redirect_refusal(self, method: str, target: str) -> str | None:
        if method.upper() not in SAFE_METHODS:
            return "a redirected write or login is never re-sent"
        if not self.policy.same_origin(target):
            return "another origin; the run's credentials stay with the target"
        return None

    def _hop(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """One request on the wire: guarded, budgeted, paced, bounded and reported."""
        if self._interrupted() and not self._cleaning_up:
            # Ctrl-C raised where it was swallowed (Python drops an exception raised in a GC
            # callback, which Hypothesis installs): the next request raises it again.
            raise KeyboardInterrupt
        self.policy.check(request.method or "GET", request.url or "")
        self._spend_budget()
        if self._pacer and not self._pacer.wait(by=self._cleanup_ends):
            raise CleanupTimeUp(CLEANUP_TIME_UP)  # the next slot comes after cleanup's end
        timeout = self._time_for_request()
        started, deadline = time.perf_counter(), time.monotonic() + timeout
        try:
            with self._quiet_if_insecure(), headers_by(deadline):
                response = super().send(
                    request, allow_redirects=False, stream=True, **{**kwargs, "timeout": timeout}
                )
            response._content = read_body(response, deadline=deadline, limit=self.max_response_bytes)
            response._content_consumed = True
            response.raw.release_conn()
        except requests.RequestException as error:
            self._report(request, error=error, elapsed=time.perf_counter() - started)
            raise
        self._report(request, response=response, elapsed=time.perf_counter() - started)
        return response

    def _spend_budget(self) -> None:
        """Count one request; raises `BudgetExhausted` when the budget (or cleanup's share) is spent."""
        if self.max_requests is not None and self._cleaning_up:
            if self.requests_sent >= self.max_requests:
                raise BudgetExhausted(
                    f"the {self.cleanup_reserve} requests kept for cleanup are spent; raise --max-requests"
                )
        elif self.max_requests is not None and self.requests_sent >= self.max_requests - self.cleanup_reserve:
            kept = f" ({self.cleanup_reserve} more kept for cleanup)" if self.cleanup_reserve else ""
            raise BudgetExhausted(
                f"request budget of {self.max_requests} exhausted{kept}; raise --max-requests"
            )
        self.requests_sent += 1

    def _time_for_request(self) -> float:
        """--timeout, or less: what is left of cleanup's time; none left raises `CleanupTimeUp`."""
        if self._cleanup_ends is None:
            return self.timeout
        left = self._cleanup_ends - time.monotonic()
        if left <= 0:
            raise CleanupTimeUp(CLEANUP_TIME_UP)
        return min(self.timeout, left)

    @contextlib.contextmanager
    def cleaning_up(self, within: float | None = None) -> Iterator[None]:
        """Send with the requests kept for cleanup (the rest of the budget, plus the reserve),
        for at most `within` seconds when given."""
        self._cleaning_up = True
        self._cleanup_ends = None if within is None else time.monotonic() + within
        try:
            yield
        finally:
            self._cleaning_up = False
            self._cleanup_ends = None

    def _quiet_if_insecure(self) -> contextlib.AbstractContextManager[Any]:
        """--insecure was asked for once; do not repeat urllib3's warning on every request."""
        if self.verify is False:
            return warnings.catch_warnings(action="ignore", category=InsecureRequestWarning)
        return contextlib.nullcontext()

    def _report(
        self,
        request: requests.PreparedRequest,
        *,
        response: requests.Response | None = None,
        error: Exception | None = None,
        elapsed: float,
    ) -> None:
        if self._on_exchange is None:
            return
        exchange = Exchange(
            method=request.method or "GET",
            url=request.url or "",
            request_headers=dict(request.headers),
            request_body=_text(request.body),
            elapsed_ms=elapsed * 1000,
            error=None if error is None else f"{type(error).__name__}: {error}",
        )
        if response is not None:
            exchange.status = response.status_code
            exchange.response_headers = dict(response.headers)
            exchange.response_body = _text(response.content, response.encoding)
        self._on_exchange(exchange)


def _text(body: object, encoding: str | None = None) -> str | None:
    """A body as text for evidence; bytes decoded leniently, streamed bodies described."""
    if body is None or isinstance(body, str):
        return body
    if isinstance(body, bytes):
        try:
            return body.decode(encoding or "utf-8", errors="replace")
        except LookupError:  # a charset Python does not know
            return body.decode("utf-8", errors="replace")
    return f"<streamed body: {type(body).__name__}>"
