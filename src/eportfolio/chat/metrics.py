"""The chat's Prometheus metrics, in the default registry (served at ``/metrics``): per process,
like everything of the chat runtime."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

OPEN_SOCKETS = Gauge("eportfolio_chat_open_sockets", "Chat WebSockets open on this process.")
MESSAGES_SENT = Counter(
    "eportfolio_chat_messages_sent", "People's chat messages committed by this process (a resend is not counted)."
)
BATCH_SIZE = Histogram(
    "eportfolio_chat_group_commit_batch_size",
    "Sends per transaction of the group commit of the socket's sends.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
