"""Settings of one sandbox instance, passed to `create_app` (nothing is read from the environment)."""

from __future__ import annotations

from dataclasses import dataclass, field

# §4.4: suggested retry schedule, offsets from the first attempt (8 attempts over about an hour).
DEFAULT_RETRY_SCHEDULE_S: tuple[float, ...] = (0, 30, 60, 120, 240, 480, 900, 1800)


@dataclass(frozen=True)
class RateLimitBudgets:
    """Per-app budgets per minute of sandbox time (§10: messaging 500 rpm GET + 500 rpm POST/PUT)."""

    messaging_read_per_minute: int = 500
    messaging_write_per_minute: int = 500
    # No public global number exists (§10); None disables the general budget.
    general_per_minute: int | None = None


@dataclass(frozen=True)
class SandboxConfig:
    """Everything that shapes one emulator instance.

    `public_url` is the sandbox's own base URL, used in links, redirects and attachment URLs.
    """

    public_url: str = "http://127.0.0.1:8099"
    seed: int = 0
    notification_timeout_s: float = 0.5
    retry_schedule_s: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE_S
    missed_feeds_retention_s: float = 2 * 24 * 3600
    # §4.4 "fall back": after this many notifications dropped to missed feeds in a row, the topic is
    # switched off for that app. None keeps topics on forever.
    topic_switch_off_after: int | None = None
    rate_limits: RateLimitBudgets = field(default_factory=RateLimitBudgets)
    access_token_ttl_s: int = 21600
    authorization_code_ttl_s: int = 600
    refresh_token_ttl_s: int = 183 * 24 * 3600
    idle_grant_ttl_s: int = 4 * 30 * 24 * 3600
    # Orders progress paid -> shipped -> delivered after these many sandbox seconds.
    order_ship_after_s: float = 24 * 3600
    order_deliver_after_s: float = 72 * 3600
    # The seller must hand a shipment to the carrier within this long of the sale; later counts in
    # the seller's `delayed_handling_time` metric (§3.2).
    handling_time_s: float = 24 * 3600
    clock_speed: float = 1.0
