"""The chat's metrics are in the default registry, under the names ``/metrics`` shows."""

from __future__ import annotations

from prometheus_client import REGISTRY

from eportfolio.chat import metrics


def _value(name: str, labels: dict[str, str] | None = None) -> float:
    value = REGISTRY.get_sample_value(name, labels or {})
    assert value is not None, f"{name} is not in the default registry"
    return value


def test_the_chat_metrics_are_registered_and_count() -> None:
    sockets = _value("eportfolio_chat_open_sockets")
    metrics.OPEN_SOCKETS.inc()
    assert _value("eportfolio_chat_open_sockets") == sockets + 1
    metrics.OPEN_SOCKETS.dec()
    sent = _value("eportfolio_chat_messages_sent_total")
    metrics.MESSAGES_SENT.inc()
    assert _value("eportfolio_chat_messages_sent_total") == sent + 1
    batches = _value("eportfolio_chat_group_commit_batch_size_count")
    metrics.BATCH_SIZE.observe(3)
    assert _value("eportfolio_chat_group_commit_batch_size_count") == batches + 1
    assert _value("eportfolio_chat_group_commit_batch_size_bucket", {"le": "4.0"}) >= 1
