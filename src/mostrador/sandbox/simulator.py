"""Buyer traffic for the sandbox: questions, purchases, post-sale messages and claims at configured rates.

The simulator is an outside client: it creates buyers, discovers sellers and listings over the
`/_sandbox` control API and then acts like buyers' apps over HTTP. Arrivals form one Poisson process
(exponential gaps, the kind of each event drawn by its rate) from a seeded RNG, so a seed fixes the
order of events and their texts; `speed` only stretches or squeezes the waits between them.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import typer

from mostrador.sandbox.catalog import SITE_MARKETS
from mostrador.sandbox.phrases import QuestionGenerator
from mostrador.sandbox.sim_http import SandboxGateway, SimulatorError, SimulatorSetupError
from mostrador.sandbox.sim_traffic import EVENT_KINDS, BuyerTraffic, SimEvent, SimulatorStats
from mostrador.sandbox.sim_world import build_world

__all__ = [
    "SimEvent",
    "SimulatorConfig",
    "SimulatorError",
    "SimulatorSetupError",
    "SimulatorStats",
    "event_schedule",
    "register_simulate",
    "run_simulator",
]


@dataclass(frozen=True)
class SimulatorConfig:
    """One simulator run. Rates are events per simulated minute; `speed` is simulated seconds per real
    second (`float("inf")` runs events back to back). The run ends at `duration_s` simulated seconds,
    after `max_events`, or when stopped; with neither limit it runs until stopped."""

    sandbox_url: str
    seed: int = 0
    sites: tuple[str, ...] = ("MLA", "MLM", "MLB")
    buyers_per_site: int = 3
    questions_per_minute: float = 6.0
    purchases_per_minute: float = 1.0
    messages_per_minute: float = 1.0
    claims_per_minute: float = 0.2
    attachment_share: float = 0.2
    duration_s: float | None = 600.0
    max_events: int | None = None
    speed: float = 1.0
    create_demo_shop: bool = False
    noise_level: float = 0.35
    multi_intent_share: float = 0.3
    max_retries: int = 4
    backoff_base_s: float = 0.5
    backoff_max_s: float = 8.0
    request_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        rates = self.rates()
        if any(rate < 0 for rate in rates.values()) or not any(rates.values()):
            raise ValueError("rates must be >= 0 and at least one must be positive")
        if not self.sites or any(s not in SITE_MARKETS for s in self.sites):
            raise ValueError(f"sites must be among {sorted(SITE_MARKETS)}")
        for name in ("attachment_share", "noise_level", "multi_intent_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.speed <= 0 or self.buyers_per_site < 1:
            raise ValueError("speed must be > 0 and buyers_per_site >= 1")

    def rates(self) -> dict[str, float]:
        return {
            "question": self.questions_per_minute,
            "purchase": self.purchases_per_minute,
            "message": self.messages_per_minute,
            "claim": self.claims_per_minute,
        }


def event_schedule(config: SimulatorConfig) -> Iterator[tuple[float, str]]:
    """Endless `(simulated second, kind)` arrivals: exponential gaps at the total rate, kinds by weight."""
    rng = random.Random(f"schedule:{config.seed}")
    rates = config.rates()
    total_per_s = sum(rates.values()) / 60
    weights = [rates[kind] for kind in EVENT_KINDS]
    moment = 0.0
    while True:
        moment += rng.expovariate(total_per_s)
        yield moment, rng.choices(EVENT_KINDS, weights=weights)[0]


async def run_simulator(config: SimulatorConfig, stop: asyncio.Event | None = None) -> SimulatorStats:
    """Create buyers, discover listings, then generate traffic until a limit or `stop`; returns counts.

    Raises `SimulatorSetupError` when there is nothing to simulate against; once traffic starts,
    failures are counted, never raised.
    """
    stop = stop or asyncio.Event()
    stats = SimulatorStats()
    started = time.monotonic()
    timeout = httpx.Timeout(config.request_timeout_s)
    async with httpx.AsyncClient(base_url=config.sandbox_url.rstrip("/"), timeout=timeout) as client:
        gateway = SandboxGateway(
            client,
            max_retries=config.max_retries,
            backoff_base_s=config.backoff_base_s,
            backoff_max_s=config.backoff_max_s,
            jitter=random.Random(f"jitter:{config.seed}"),
            stop=stop,
        )
        world = await build_world(
            gateway,
            config.sites,
            config.buyers_per_site,
            config.seed,
            create_demo_shop=config.create_demo_shop,
        )
        stats.buyers_created, stats.sellers = world.buyers_created, world.sellers
        stats.listings = sum(len(listings) for listings in world.listings.values())
        questions = QuestionGenerator(
            config.seed, multi_intent_share=config.multi_intent_share, noise_level=config.noise_level
        )
        traffic = BuyerTraffic(
            gateway,
            world,
            random.Random(f"traffic:{config.seed}"),
            questions,
            stats,
            attachment_share=config.attachment_share,
        )
        clock_start = time.monotonic()
        for moment, kind in event_schedule(config):
            if stop.is_set() or _limit_reached(config, moment, stats.events):
                break
            if not await _wait_until(clock_start + moment / config.speed, stop):
                break
            await traffic.perform(kind)
        stats.retries = gateway.retries
    stats.elapsed_s = time.monotonic() - started
    return stats


def _limit_reached(config: SimulatorConfig, moment: float, events: int) -> bool:
    if config.max_events is not None and events >= config.max_events:
        return True
    return config.duration_s is not None and moment > config.duration_s


async def _wait_until(deadline: float, stop: asyncio.Event) -> bool:
    """Sleep until `deadline` (monotonic); False when stopped first."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return not stop.is_set()
    try:
        await asyncio.wait_for(stop.wait(), timeout=remaining)
    except TimeoutError:
        return True
    return False


def register_simulate(app: typer.Typer) -> None:
    """Add `simulate`: run buyer traffic against a sandbox and print the stats as JSON."""

    @app.command("simulate", help="Simulated buyers: questions, purchases, messages and claims (JSON stats).")
    def simulate(
        sandbox_url: str = typer.Option("http://127.0.0.1:8099", help="Base URL of a running sandbox."),
        seed: int = typer.Option(0, help="Same seed, same buyers, same events in the same order."),
        sites: str = typer.Option("MLA,MLM,MLB", help="Comma-separated site ids."),
        buyers_per_site: int = typer.Option(3),
        questions_per_minute: float = typer.Option(6.0),
        purchases_per_minute: float = typer.Option(1.0),
        messages_per_minute: float = typer.Option(1.0),
        claims_per_minute: float = typer.Option(0.2),
        attachment_share: float = typer.Option(0.2, help="Share of post-sale messages with a photo."),
        duration: float | None = typer.Option(600.0, help="Simulated seconds to run."),
        max_events: int | None = typer.Option(None, help="Stop after this many events."),
        speed: float = typer.Option(1.0, help="Simulated seconds per real second; inf = no waiting."),
        create_demo_shop: bool = typer.Option(False, help="Open a demo seller on sites that have none."),
        transcript: bool = typer.Option(False, help="Include every event in the JSON output."),
    ) -> None:
        try:
            config = SimulatorConfig(
                sandbox_url=sandbox_url,
                seed=seed,
                sites=tuple(s.strip() for s in sites.split(",") if s.strip()),
                buyers_per_site=buyers_per_site,
                questions_per_minute=questions_per_minute,
                purchases_per_minute=purchases_per_minute,
                messages_per_minute=messages_per_minute,
                claims_per_minute=claims_per_minute,
                attachment_share=attachment_share,
                duration_s=duration,
                max_events=max_events,
                speed=speed,
                create_demo_shop=create_demo_shop,
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        try:
            stats = asyncio.run(_run_until_interrupted(config))
        except SimulatorError as exc:
            typer.echo(f"simulate: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(json.dumps(stats.as_dict(transcript=transcript), ensure_ascii=False, indent=2))


async def _run_until_interrupted(config: SimulatorConfig) -> SimulatorStats:
    """Ctrl-C ends the run gracefully, so the stats of what happened are still printed."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Signal handlers can only be installed by the main thread, and not on Windows event loops.
    if sys.platform != "win32" and threading.current_thread() is threading.main_thread():
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    return await run_simulator(config, stop)
