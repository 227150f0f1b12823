"""Per-host metrics (PROMETHEUS_MULTIPROC_DIR): values written by separate processes add up in one
scrape. Each process is a real Python interpreter with the variable set before it imports anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mostrador.observability.metrics import Metrics

from .test_ops import sample

RECORD = """
from mostrador.observability.metrics import Metrics
m = Metrics()
m.notification(200, "accepted")
m.meli_call("answers", 200, None, 0.05)
m.answer("{channel}", "{author}")
"""


def record_in_a_process(directory: Path, channel: str, author: str) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    code = RECORD.format(channel=channel, author=author)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)


def test_a_scrape_adds_up_every_process_of_the_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record_in_a_process(tmp_path, "chan", "bot")
    record_in_a_process(tmp_path, "chan", "agent")
    record_in_a_process(tmp_path, "chan", "bot")
    assert len(list(tmp_path.glob("counter_*.db"))) == 3  # one file per process
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    text = Metrics().render().decode()
    assert sample(text, "mostrador_notifications_received_total") == 3
    assert sample(text, "mostrador_notifications_acknowledged_total", outcome="accepted") == 3
    assert sample(text, "mostrador_meli_calls_total", family="answers", status="2xx") == 3
    assert sample(text, "mostrador_meli_call_seconds_count", family="answers") == 3
    assert sample(text, "mostrador_answers_total", channel="chan", author="bot") == 2
    assert sample(text, "mostrador_answers_total", channel="chan", author="agent") == 1
    assert "process_cpu_seconds_total" not in text  # per-process figures mean nothing summed


def test_without_the_directory_a_scrape_shows_this_process_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    first, second = Metrics(), Metrics()
    first.notification(413, None)
    assert sample(first.render().decode(), "mostrador_notifications_refused_total", status="413") == 1
    assert sample(second.render().decode(), "mostrador_notifications_refused_total", status="413") == 0
    assert "process_cpu_seconds_total" in first.render().decode()
