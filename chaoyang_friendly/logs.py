"""Logging: one time zone (TIME_ZONE, with its offset written in every line), a request id and the client's
address on every record written while a request is served, and JSON lines when LOG_FORMAT=json.

`logging_config()` builds settings.LOGGING; gunicorn.conf.py uses the same formatters for gunicorn's own log.
"""

import logging
import time
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
client_ip_var: ContextVar[str] = ContextVar("client_ip", default="-")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(request_id)s %(client_ip)s %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `client_ip` to every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "client_ip"):
            record.client_ip = client_ip_var.get()
        return True


class LocalTimeFormatter(logging.Formatter):
    """asctime in local time (TZ, which Django sets from TIME_ZONE) with its UTC offset and milliseconds."""

    converter = time.localtime

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime(DATE_FORMAT, self.converter(record.created))
        return f"{stamp[:-5]}.{int(record.msecs):03d}{stamp[-5:]}"


def json_formatter_class() -> str:
    return "chaoyang_friendly.logs.JsonFormatter"


try:
    from pythonjsonlogger.json import JsonFormatter as _JsonBase
except ImportError:  # pragma: no cover - python-json-logger is in requirements.txt
    _JsonBase = None  # type: ignore[assignment,misc]

if _JsonBase is not None:

    class JsonFormatter(_JsonBase, LocalTimeFormatter):  # type: ignore[misc,valid-type]
        """One JSON object per line; `asctime` as above, non-ASCII (Chinese) kept readable."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("json_ensure_ascii", False)
            kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
            super().__init__(*args, **kwargs)

        def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
            return LocalTimeFormatter.formatTime(self, record, datefmt)


def formatters() -> dict[str, dict[str, Any]]:
    return {
        "text": {"()": "chaoyang_friendly.logs.LocalTimeFormatter", "fmt": TEXT_FORMAT},
        "json": {"()": json_formatter_class(), "fmt": JSON_FIELDS},
    }


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """settings.LOGGING for LOG_FORMAT `fmt` ("text" or "json")."""
    if fmt not in {"text", "json"}:
        raise ValueError(f"LOG_FORMAT must be 'text' or 'json', not {fmt!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_context": {"()": "chaoyang_friendly.logs.RequestContextFilter"}},
        "formatters": formatters(),
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": fmt, "filters": ["request_context"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # The access log (chaoyang_friendly.middleware): with the client's address, not the proxy's.
            "chaoyang.access": {"level": "INFO"},
        },
    }
