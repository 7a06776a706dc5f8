"""Two shard processes through the shared REST proxy: Discord's limits kept for both.

The real proxy (``node proxy/server.js``, ``@discordjs/proxy``) runs in front of the fake Discord,
which allows 50 requests per second across the bot. Two bot processes (``python -m bot``, shards
0 and 1 of 2, one fresh PostgreSQL database, ``WALKWELL_RATE_LIMITS=proxy``) send every REST
request through it while 600 reminders fall due in the same minute: each is delivered exactly
once, the global limit never answers 429, and the fan-out runs at 90% or more of 50 per second
end to end (from the due instant to the last reminder). Waits for one real minute.

Skipped only when Node is missing (or PostgreSQL is unreachable), and neither is allowed under
``CI=true`` or ``WALKWELL_REQUIRE_PROXY=1``: there they fail.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from tests.e2e.fanout import (
    ADMIN_DSN,
    ProxyUnavailable,
    node_command,
    postgres_database,
    proxy_fanout,
    proxy_required,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_missing_node_is_a_failure_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CI", "WALKWELL_REQUIRE_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert not proxy_required()
    monkeypatch.setenv("CI", "true")
    assert proxy_required()
    monkeypatch.delenv("CI")
    monkeypatch.setenv("WALKWELL_REQUIRE_PROXY", "1")
    assert proxy_required()
    monkeypatch.setenv("PATH", "")
    with pytest.raises(ProxyUnavailable):
        node_command()


async def test_two_shards_through_the_proxy_deliver_600_reminders_once_at_the_global_rate(
    tmp_path: Path,
) -> None:
    try:
        node_command()
    except ProxyUnavailable as missing:
        if proxy_required():
            pytest.fail(f"{missing}, and CI=true or WALKWELL_REQUIRE_PROXY=1")
        pytest.skip(f"{missing}; set WALKWELL_REQUIRE_PROXY=1 to make this a failure")
    async with contextlib.AsyncExitStack() as stack:
        try:
            url = await stack.enter_async_context(postgres_database())
        except Exception as exc:
            message = f"PostgreSQL at {ADMIN_DSN} is unreachable ({type(exc).__name__}: {exc})"
            if proxy_required() or os.environ.get("WALKWELL_REQUIRE_POSTGRES") == "1":
                pytest.fail(message)
            pytest.skip(f"{message}; set WALKWELL_REQUIRE_POSTGRES=1 to make this a failure")
        result = await proxy_fanout(tmp_path, url, count=600, processes=2)
    summary = result.summary()
    assert result.lost == 0 and result.duplicates == 0, summary
    assert set(result.delivered.values()) == {1}, summary
    assert result.nonce_dedupes == 0, summary  # not even a second attempt reached Discord
    assert result.http_429["global"] == 0, summary
    assert result.fraction_of_global_rate >= 0.9, summary
