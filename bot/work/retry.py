"""When a failed post is tried again, and when it is given up: one policy for stories and digests.

- Discord down, slow or rate limiting (`RetryLater`): wait with exponential back-off capped at
  `MAX_RETRY_DELAY`, never giving up by count, so an outage of any length loses nothing and its end is
  noticed within a few minutes.
- A permanent answer (`Refused`): give up at once; the same message would be refused again.
- An unexplained failure (`RetryLater(bounded=True)`): give up after `max_attempts`.

Every give-up is reported to the guild by the caller (`Sink.report_given_up`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.work.delivery import Refused, RetryLater

FIRST_RETRY_DELAY = 5.0
MAX_RETRY_DELAY = 300.0
"""Seconds; the longest wait between two tries while Discord is down."""
MAX_HINTED_DELAY = 3600.0
"""Seconds; a Retry-After longer than this is not believed whole."""


@dataclass(frozen=True, slots=True)
class RetryPlan:
    give_up: bool
    delay: float = 0.0  # seconds until the next try, when not giving up


def plan_retry(outcome: RetryLater | Refused, attempts: int, *, max_attempts: int) -> RetryPlan:
    """What to do after a failed try; `attempts` counts the tries made so far, this one included."""
    if isinstance(outcome, Refused):
        return RetryPlan(give_up=True)
    if outcome.bounded and attempts >= max_attempts:
        return RetryPlan(give_up=True)
    return RetryPlan(give_up=False, delay=retry_delay(attempts, outcome.after_seconds))


def retry_delay(attempts: int, hinted: float = 0.0) -> float:
    """Exponential back-off from FIRST_RETRY_DELAY, capped; at least what Discord asked for (Retry-After)."""
    backoff = min(FIRST_RETRY_DELAY * 2 ** min(max(attempts - 1, 0), 16), MAX_RETRY_DELAY)
    return max(backoff, min(max(hinted, 0.0), MAX_HINTED_DELAY))
