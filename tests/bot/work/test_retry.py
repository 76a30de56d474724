"""bot.work.retry: outages are waited out with capped back-off, refusals give up, unexplained failures are bounded."""

from __future__ import annotations

from bot.work.delivery import Refused, RetryLater
from bot.work.retry import MAX_HINTED_DELAY, MAX_RETRY_DELAY, RetryPlan, plan_retry, retry_delay


def test_an_outage_is_never_given_up_and_the_wait_is_capped() -> None:
    down = RetryLater("HTTP 503", 5.0)
    delays = [plan_retry(down, n, max_attempts=8) for n in range(1, 1000)]
    assert not any(p.give_up for p in delays)
    assert [p.delay for p in delays[:7]] == [5, 10, 20, 40, 80, 160, 300]
    assert max(p.delay for p in delays) == MAX_RETRY_DELAY
    # 30 minutes of 5xx: the total wait before the 10th try is under 30 minutes, so it keeps trying.
    assert sum(p.delay for p in delays[:9]) < 30 * 60


def test_a_rate_limit_hint_is_honoured_within_reason() -> None:
    assert plan_retry(RetryLater("429", 120.0), 1, max_attempts=8).delay == 120.0
    assert retry_delay(1, 10**9) == MAX_HINTED_DELAY
    assert retry_delay(1, -5) == 5.0


def test_a_refusal_gives_up_at_once_and_an_unexplained_failure_after_max_attempts() -> None:
    assert plan_retry(Refused("HTTP 400 50035"), 1, max_attempts=8) == RetryPlan(give_up=True)
    odd = RetryLater("HTTP 404 10008", 30.0, bounded=True)
    assert [plan_retry(odd, n, max_attempts=3).give_up for n in (1, 2, 3)] == [False, False, True]
