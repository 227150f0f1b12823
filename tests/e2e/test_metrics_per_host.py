"""PostgreSQL mode on one host: a web-only process and a worker serving /metrics for the host. What the
web process counted (webhooks) and what the worker counted (Mercado Libre calls, answers) show up in
one scrape, from either process."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from mostrador.cli.servers import free_port

from ..app.test_ops import sample
from ..conftest import PG_URL
from .conftest import wait_for
from .test_crash_recovery import deployment  # noqa: F401 - the same child-process deployment

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="a separate worker process needs PostgreSQL (CI runs this pass)"),
]


def scrape(url: str) -> str | None:
    try:
        r = httpx.get(f"{url}/metrics", timeout=5)
    except httpx.HTTPError:
        return None
    return r.text if r.status_code == 200 else None


@pytest.mark.timeout(300)
def test_one_scrape_reports_the_web_process_and_the_worker(
    deployment: dict[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    sandbox, world, app = deployment["sandbox"], deployment["world"], deployment["app"]
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    app.stop()
    app.env = {
        **app.env,
        "MOSTRADOR_RUN_WORKERS": "false",
        "MOSTRADOR_EXECUTOR_ID": "web-1",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    app.start()
    port = free_port()
    cmd = [sys.executable, "-m", "mostrador.cli.main", "worker", "--executor-id", "worker-1"]
    with (tmp_path / "worker.log").open("ab") as out:
        worker = subprocess.Popen(
            [*cmd, "--metrics-port", str(port)], env=app.env, stdout=out, stderr=subprocess.STDOUT
        )
    worker_url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: (r := scrape(worker_url)) is not None and r, timeout=60, interval=0.2)

        def ready() -> bool:  # 503 "dbos: not launched yet" while the worker starts
            return httpx.get(f"{worker_url}/readyz", timeout=5).status_code == 200

        wait_for(ready, timeout=60, interval=0.2)
        api = httpx.Client(base_url=sandbox.url, timeout=10)
        seller = {"Authorization": f"Bearer {world['seller']['access_token']}"}
        item = next(
            i
            for i in world["items"]
            if api.get(f"/items/{i}", headers=seller).json()["available_quantity"] > 0
        )
        buyer = api.post(
            "/_sandbox/users", json={"nickname": "MB1", "site_id": "MLA", "role": "buyer"}
        ).json()
        api.post(
            "/questions",
            json={"item_id": item, "text": "hola, tenés stock?"},
            headers={"Authorization": f"Bearer {buyer['access_token']}"},
        ).raise_for_status()

        def counted() -> str | None:
            text = scrape(worker_url)
            return text if text and sample(text, "mostrador_answers_total", author="bot") >= 1 else None

        try:
            # A fresh worker's first decision may train the bot's model (seconds on a busy machine).
            from_worker = wait_for(counted, timeout=150, interval=0.3)
        finally:
            api.close()
        assert sample(from_worker, "mostrador_notifications_received_total") >= 1  # the web process's
        assert sample(from_worker, "mostrador_meli_calls_total", family="answers", status="2xx") >= 1
        assert sample(from_worker, "mostrador_queue_depth_up") == 1
        from_web = scrape(app.url)
        assert from_web is not None
        assert sample(from_web, "mostrador_answers_total", author="bot") == sample(
            from_worker, "mostrador_answers_total", author="bot"
        )
    except BaseException:
        print((tmp_path / "worker.log").read_text(errors="replace")[-4000:])
        print(scrape(worker_url))
        raise
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
