"""Structured, levelled logs for maintainers: one line per event, with the facts as fields.

Modules log through ``logging.getLogger("c5qa.<module>")`` and ``event()``; only the entry
points (CLI, app) call ``configure`` with the ``Settings``. Every secret the settings hold is
masked in every record the handler writes, whichever library's logger emitted it. (uvicorn's
own loggers do not propagate here; they log requests, and passwords only travel in the body of
the login POST, which nothing logs.)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import Any

from c5qa.app.auth import secrets
from c5qa.settings import Settings

MASK = "***"
_HANDLER_NAME = "c5qa"


def event(logger: logging.Logger, level: int, name: str, **fields: Any) -> None:
    """Log ``name`` (e.g. "index.skipped") with its fields kept apart from the message, so the
    JSON format can emit them as keys and the text format as ``key=value``."""
    if logger.isEnabledFor(level):
        logger.log(level, name, extra={"fields": fields})


class _Redact(logging.Filter):
    def __init__(self, secrets: set[str]) -> None:
        super().__init__()
        self.secrets = sorted((s for s in secrets if s), key=len, reverse=True)

    def _mask(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self.secrets:
                value = value.replace(secret, MASK)
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = self._mask(record.getMessage())
            record.args = None
            fields = getattr(record, "fields", None)
            if fields:
                record.fields = {k: self._mask(v) for k, v in fields.items()}
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = self._mask(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


class _OthersAtWarning(logging.Filter):
    """Other libraries speak at WARNING and up, whatever level their own loggers are set to
    (bm25s sets DEBUG on its own); their INFO is HTTP and model-loading chatter."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.startswith("c5qa") or record.levelno >= self.level


def _timestamp(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _trace(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    if record.exc_text:  # already formatted (and masked) by the redaction filter
        return record.exc_text
    return formatter.formatException(record.exc_info) if record.exc_info else ""


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {})
        pairs = " ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in fields.items())
        line = f"{_timestamp(record)} {record.levelname:<7} {record.name} {record.getMessage()}"
        line = f"{line} {pairs}" if pairs else line
        trace = _trace(self, record)
        return f"{line}\n{trace}" if trace else line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        trace = _trace(self, record)
        if trace:
            entry["traceback"] = trace
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(settings: Settings) -> None:
    """Send c5qa's records at ``log_level`` and up, and everyone's warnings, to stderr or
    ``log_file``; calling it again replaces the handler rather than adding a second one."""
    level = logging.getLevelName(settings.log_level.upper())
    if not isinstance(level, int):
        raise ValueError(f"setting 'log_level': unknown level {settings.log_level!r}")
    if settings.log_format not in ("text", "json"):
        raise ValueError(f"setting 'log_format': {settings.log_format!r} is not text or json")
    handler: logging.Handler = (
        logging.FileHandler(Path(settings.log_file), encoding="utf-8")
        if settings.log_file
        else logging.StreamHandler(sys.stderr)
    )
    handler.name = _HANDLER_NAME
    handler.setLevel(level)
    handler.addFilter(_OthersAtWarning(max(level, logging.WARNING)))
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(_Redact(secrets(settings)))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.name == _HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(max(level, logging.WARNING))
    logging.getLogger("c5qa").setLevel(level)
