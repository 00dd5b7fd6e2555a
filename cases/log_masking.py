"""Personal numbers masked in every log line a process writes (Law 91/2025/QH15 on personal data protection).

Rasa logs the text of each message it parses (``processor.message.parse parse_data_text=...`` at debug level),
the action server logs failures with the turn, the channels log webhook bodies they reject. Every one of
these goes through Python's ``logging`` (Rasa's structlog output too: its logger factory is
``structlog.stdlib.LoggerFactory``), so the mask is applied where every record is made: a log record factory
that renders the message and masks phone, 12-digit ID-card (CCCD) and social-insurance numbers in it with
``cases.repository.mask`` ("0912345678" → "*******678"). Records below the logger's level are never made,
so the mask costs nothing for them.

``install()`` is called on import by every process's entry module: the Rasa pipeline (``bot/components.py``),
the action server (``actions/actions.py``), the staff console and the outreach jobs. It is idempotent.
"""
from __future__ import annotations

import logging
from typing import Any

from cases.repository import mask

_INSTALLED = "_ansinh_masks_personal_numbers"


def masked_record(record: logging.LogRecord) -> logging.LogRecord:
    """``record`` with its rendered message masked (message and arguments replaced only when something was
    masked; a message whose arguments do not fit is left for logging's own error report)."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - logging reports a bad format string itself, later
        return record
    hidden = mask(message)
    if hidden != message:
        record.msg, record.args = hidden, ()
    if record.exc_info and not record.exc_text:
        # A traceback can quote the text (a ValueError with the user's message): render it now, masked.
        record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
    return record


def install() -> None:
    """Mask personal numbers in every log record made from now on in this process."""
    current = logging.getLogRecordFactory()
    if getattr(current, _INSTALLED, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return masked_record(current(*args, **kwargs))

    setattr(factory, _INSTALLED, True)
    logging.setLogRecordFactory(factory)
