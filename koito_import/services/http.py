"""The one HTTP client every service uses (httpx, imported here only, and this module only when
a sync runs: start-up stays light): timeouts, a User-Agent naming koito-import and its version,
pacing, and retries of transient failures with exponential backoff and jitter."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from koito_import import __version__
from koito_import.services.base import Fetched, Secrets, ServiceError, Transient

CONNECT_TIMEOUT_S = 10.0
RETRIES = 5
BACKOFF_S = 1.0  # the first retry waits about this long, each next one twice as long

# What a service client makes of an answer: the document, or Transient / ServiceError raised.
Judge = Callable[[int, Any, Mapping[str, str]], Any]
NOT_JSON = object()  # the document of an answer whose body is not JSON


USER_AGENT = f"koito-import/{__version__} (listening history into Koito)"


@dataclass(slots=True)
class Policy:
    """How politely and how patiently to ask."""

    timeout_s: float = 30.0  # reading an answer
    retries: int = RETRIES
    backoff_s: float = BACKOFF_S
    min_interval_s: float = 0.0  # between two requests (Last.fm: 0.2, five a second)


class Http:
    """GET requests to one service, counted in `stats`; every failure a ServiceError that names
    the service (`name`) and shows no secret."""

    def __init__(
        self,
        name: str,
        policy: Policy,
        stats: Fetched,
        secrets: Secrets,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.policy = policy
        self.stats = stats
        self.secrets = secrets
        self.sleep = sleep
        self._not_before = 0.0  # monotonic time before which no request may leave
        timeout = httpx.Timeout(policy.timeout_s, connect=CONNECT_TIMEOUT_S)
        self._client = httpx.Client(
            timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=True
        )

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        params: Mapping[str, Any],
        judge: Judge,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """The judged document of `GET url?params`, asked again while the failure is
        transient, at most `policy.retries` times."""
        for attempt in range(self.policy.retries + 1):
            try:
                return judge(*self._ask(url, params, headers))
            except Transient as failure:
                if attempt == self.policy.retries:
                    raise self.error(
                        f"{failure.problem}; gave up after {self.policy.retries} retries"
                    ) from None
                self.stats.retries += 1
                self._hold(failure.wait_s if failure.wait_s is not None else self._backoff(attempt))
        raise AssertionError("unreachable")

    def error(self, problem: str) -> ServiceError:
        return ServiceError(self.secrets.mask(f"{self.name}: {problem}"))

    def _ask(
        self, url: str, params: Mapping[str, Any], headers: Mapping[str, str] | None
    ) -> tuple[int, Any, Mapping[str, str]]:
        self._pace()
        self.stats.requests += 1
        try:
            response = self._client.get(url, params=params, headers=headers or {})
        except httpx.TimeoutException:
            # httpx's messages can quote the request's URL, key and all: none of them is shown.
            raise Transient(f"no answer within {self.policy.timeout_s:g} s") from None
        except httpx.TransportError as exc:
            raise Transient(f"cannot reach the server ({type(exc).__name__})") from None
        self._note_limits(response.headers)
        try:
            document = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            document = NOT_JSON
        return response.status_code, document, response.headers

    def _pace(self) -> None:
        now = time.monotonic()
        if self._not_before > now:
            self.sleep(self._not_before - now)
        self._not_before = max(self._not_before, time.monotonic()) + self.policy.min_interval_s

    def _hold(self, seconds: float) -> None:
        self._not_before = max(self._not_before, time.monotonic() + seconds)

    def _backoff(self, attempt: int) -> float:
        """Exponential, with full jitter above half of it (many cron jobs retrying at once
        should not come back at once)."""
        return self.policy.backoff_s * 2**attempt * (0.5 + random.random() / 2)

    def _note_limits(self, headers: Mapping[str, str]) -> None:
        """ListenBrainz (and any service speaking its headers): none left in this window,
        so wait until it resets."""
        remaining, reset_in = (
            headers.get("X-RateLimit-Remaining"),
            headers.get("X-RateLimit-Reset-In"),
        )
        if remaining is not None and reset_in is not None:
            try:
                if int(remaining) <= 0:
                    self._hold(float(reset_in))
            except ValueError:
                pass  # a header we cannot read is no instruction
