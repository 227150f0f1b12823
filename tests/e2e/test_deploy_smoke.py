"""CI smoke test of the deployable artefact: build and start deploy/Containerfile's image when asked
(`MOSTRADOR_SMOKE_IMAGE=1`) and this machine has a usable container engine, else run the very command
the image runs (its ENTRYPOINT + CMD, with the same ENV) from this checkout; either way /healthz and
/readyz must answer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from mostrador.cli.servers import free_port

from .conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CONTAINERFILE = ROOT / "deploy" / "Containerfile"
PORT = "8000"  # the port the image's CMD listens on


def instruction(name: str) -> list[str]:
    """An exec-form instruction of the Containerfile (`ENTRYPOINT ["…"]`), as a list."""
    for line in CONTAINERFILE.read_text().splitlines():
        if line.startswith(f"{name} "):
            return list(json.loads(line[len(name) + 1 :]))
    raise AssertionError(f"{CONTAINERFILE} has no {name}")


def image_env() -> dict[str, str]:
    """The ENV block of the Containerfile (KEY=VALUE pairs over continued lines)."""
    text = CONTAINERFILE.read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            for pair in line[4:].split():
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def container_engine() -> str | None:
    """docker (or podman) when present and usable (`info` answers) and the run asks for an image build
    (`MOSTRADOR_SMOKE_IMAGE=1`): building pulls a base image, which a machine without a registry mirror
    cannot, so an ordinary run tests the image's own command instead."""
    if os.environ.get("MOSTRADOR_SMOKE_IMAGE") != "1":
        return None
    for engine in ("docker", "podman"):
        path = shutil.which(engine)
        if path is None:
            continue
        try:
            done = subprocess.run([path, "info"], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return path
    return None


@contextmanager
def in_a_container(engine: str) -> Iterator[str]:
    tag = f"mostrador-smoke:{uuid.uuid4().hex[:8]}"
    name = tag.replace(":", "-")
    build = [engine, "build", "-f", str(CONTAINERFILE), "-t", tag, str(ROOT)]
    subprocess.run(build, check=True, timeout=1800)
    port = free_port()
    subprocess.run([engine, "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:{PORT}", tag], check=True)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run([engine, "rm", "-f", name], capture_output=True)
        subprocess.run([engine, "rmi", "-f", tag], capture_output=True)


@contextmanager
def as_the_image_runs(tmp_path: Path, model_cache_dir: Path) -> Iterator[str]:
    """ENTRYPOINT + CMD with the image's ENV, on a loopback port; `mostrador` is this checkout's."""
    command = instruction("ENTRYPOINT") + instruction("CMD")
    assert command[0] == "mostrador", command
    port = str(free_port())
    argv = [sys.executable, "-m", "mostrador.cli.main"] + [
        port if arg == PORT else "127.0.0.1" if arg == "0.0.0.0" else arg for arg in command[1:]
    ]
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOSTRADOR_", "PROMETHEUS_"))}
    env.update(image_env())
    env.update(
        {
            "MOSTRADOR_DATA_DIR": str(tmp_path / "data"),  # the image's volume
            "MOSTRADOR_CACHE_DIR": str(model_cache_dir),  # trained once per test run
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),  # per-host mode, as the systemd units run it
        }
    )
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}"
        assert list(metrics_dir.glob("*.db")), "multi-process mode wrote no metric files"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        print((tmp_path / "serve.log").read_text(errors="replace")[-3000:])


def answers(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None


def test_the_image_or_its_command_starts_and_is_ready(tmp_path: Path, model_cache_dir: Path) -> None:
    engine = container_engine()
    runs = in_a_container(engine) if engine else as_the_image_runs(tmp_path, model_cache_dir)
    with runs as base:
        health = wait_for(
            lambda: (r := answers(f"{base}/healthz")) is not None and r, timeout=240, interval=0.2
        )
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        ready = wait_for(
            lambda: (r := answers(f"{base}/readyz")) is not None and r.status_code == 200 and r,
            timeout=120,
            interval=0.2,
        )
        assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "dbos": "ok"}
        assert ready.headers["x-request-id"]
        if engine is None:  # from the host itself: loopback, no proxy
            scrape = httpx.get(f"{base}/metrics", timeout=10)
            assert scrape.status_code == 200
            assert "mostrador_notifications_received_total" in scrape.text
            assert "mostrador_queue_depth_up 1.0" in scrape.text
