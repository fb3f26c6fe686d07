from __future__ import annotations

from readme import block_after, run_block
from redis.asyncio.retry import Retry

from openai_agents_session.redis import acl_rules


def test_readme_acl_is_what_acl_rules_returns() -> None:
    """The ACL the README documents is exactly the one the library computes and tests use."""
    documented = " ".join(block_after("### Least-privilege ACL").split())
    assert documented == f"ACL SETUSER app on >password {acl_rules()}"


async def test_readme_production_client_is_configured_to_retry() -> None:
    """The README's production client builds and carries its retry policy and timeouts."""
    client = run_block("### Retries and timeouts")["production_client"]("redis://127.0.0.1:1")
    try:
        connection_kwargs = client.connection_pool.connection_kwargs
        assert connection_kwargs["socket_timeout"] == 5.0
        assert isinstance(connection_kwargs["retry"], Retry)
    finally:
        await client.aclose()
