"""Structured JSON logs. Log lines carry ids and event names, never content.

uvicorn's access log names every request's target; a filter leaves out what could hold a
password or a code (``kit.security.redact_target``).
"""

from __future__ import annotations

import logging

import structlog

from eportfolio.kit.security import redact_target

# uvicorn logs each request on "uvicorn.access", and an accepted WebSocket on "uvicorn.error".
_REQUEST_LOGGERS = ("uvicorn.access", "uvicorn.error")


class RedactedTargets(logging.Filter):
    """Rewrites the request target among a record's arguments (uvicorn passes it as one, e.g.
    ``'%s - "%s %s HTTP/%s" %d'``), before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                redact_target(arg) if isinstance(arg, str) and arg.startswith("/") else arg for arg in record.args
            )
        return True


def redact_request_logs() -> None:
    for name in _REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactedTargets) for f in logger.filters):
            logger.addFilter(RedactedTargets())


def configure(level: str = "INFO") -> None:
    logging.basicConfig(format="%(message)s", level=level)
    redact_request_logs()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )
