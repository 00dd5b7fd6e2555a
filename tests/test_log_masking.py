"""Personal numbers never reach a log line: what a Rasa debug line, an action's failure and a traceback
quote from the user is masked (cases/log_masking.py)."""
from __future__ import annotations

import io
import logging

import pytest
import structlog

from cases import log_masking

PHONE, CCCD, SI = "0912345678", "001203004567", "0123456789"


@pytest.fixture()
def captured():
    log_masking.install()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("test.log_masking")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    yield log, stream
    log.removeHandler(handler)


def test_numbers_in_messages_and_arguments_are_masked(captured):
    log, stream = captured
    log.info("user wrote: sdt %s, cccd " + CCCD, PHONE)
    log.warning("si number %s in %r", SI, {"text": f"so bhxh {SI}"})
    out = stream.getvalue()
    for number in (PHONE, CCCD, SI):
        assert number not in out
    assert "*******678" in out and "*********567" in out
    # What is not a personal number stays as it was: amounts, dates, case numbers.
    log.info("mức đóng 330.000 đồng, ngày 01/07/2026, hồ sơ #42, 1500000")
    assert "mức đóng 330.000 đồng, ngày 01/07/2026, hồ sơ #42, 1500000" in stream.getvalue()


def test_a_traceback_quoting_the_text_is_masked(captured):
    log, stream = captured
    try:
        raise ValueError(f"cannot parse 'gọi em {PHONE}'")
    except ValueError:
        log.exception("turn failed")
    out = stream.getvalue()
    assert "ValueError" in out and "turn failed" in out and PHONE not in out


def test_structlog_lines_as_rasa_configures_them_are_masked(captured):
    """Rasa's structlog renders to stdlib logging (rasa.utils.log_utils.configure_structlog); its parse line
    carries the user's text."""
    log, stream = captured
    structlog.configure(processors=[structlog.processors.KeyValueRenderer()],
                        logger_factory=structlog.stdlib.LoggerFactory(), cache_logger_on_first_use=False)
    try:
        structlog.get_logger("test.log_masking").debug("processor.message.parse", parse_data_text=f"cccd toi {CCCD}")
    finally:
        structlog.reset_defaults()
    out = stream.getvalue()
    assert "processor.message.parse" in out and CCCD not in out and "567" in out


def test_installing_twice_masks_once():
    log_masking.install()
    first = logging.getLogRecordFactory()
    log_masking.install()
    assert logging.getLogRecordFactory() is first
