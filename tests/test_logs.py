import json
import logging
from pathlib import Path

import pytest

from c5qa.app.logs import MASK, configure, event
from c5qa.app.service import Service
from c5qa.settings import Settings

log = logging.getLogger("c5qa.test")


def test_text_lines_carry_fields_and_respect_the_level(
    tmp_path: Path, restore_logging: None
) -> None:
    target = tmp_path / "c5qa.log"
    configure(Settings(log_level="INFO", log_file=str(target)))
    configure(Settings(log_level="INFO", log_file=str(target)))  # again: still one handler
    event(log, logging.INFO, "index.done", documents=3, rebuilt="")
    event(log, logging.DEBUG, "answer", ms=1.0)
    logging.getLogger("some.library").info("chatter")
    chatty = logging.getLogger("chatty.library")
    chatty.setLevel(logging.DEBUG)  # as bm25s does with its own logger
    chatty.debug("building index")
    lines = target.read_text().splitlines()
    assert len(lines) == 1
    assert ' INFO    c5qa.test index.done documents=3 rebuilt=""' in lines[0]


def test_json_lines_and_secrets_masked_everywhere(tmp_path: Path, restore_logging: None) -> None:
    target = tmp_path / "c5qa.log"
    configure(
        Settings(log_level="DEBUG", log_format="json", log_file=str(target), auth="ann:pw-9876")
    )
    event(log, logging.WARNING, "odd", detail="token pw-9876 leaked", n=2)
    log.info("message with %s", "pw-9876")
    try:
        raise RuntimeError("failed with pw-9876")
    except RuntimeError:
        log.exception("crashed")
    logging.getLogger("some.library").warning("library saw pw-9876")
    text = target.read_text()
    assert "pw-9876" not in text
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["event"] for r in records] == [
        "odd",
        f"message with {MASK}",
        "crashed",
        f"library saw {MASK}",
    ]
    assert records[0]["detail"] == f"token {MASK} leaked" and records[0]["n"] == 2
    assert records[2]["level"] == "ERROR" and "RuntimeError" in records[2]["traceback"]


def test_bad_logging_settings_are_named() -> None:
    with pytest.raises(ValueError, match="log_level"):
        configure(Settings(log_level="LOUD"))
    with pytest.raises(ValueError, match="log_format"):
        configure(Settings(log_format="xml"))


def test_index_runs_are_logged_with_their_failures(
    small_service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    corpus = small_service.settings.corpus_dir
    (corpus / "junk.pdf").write_bytes(b"not a pdf at all")
    with caplog.at_level(logging.INFO, logger="c5qa"):
        small_service.index()
    events = {r.getMessage(): getattr(r, "fields", {}) for r in caplog.records}
    assert events["index.skipped"]["source"] == "junk.pdf" and events["index.skipped"]["reason"]
    done = events["index.done"]
    assert done["documents"] == 4 and done["failed"] == 1 and done["embedded"] > 0
    assert "index.start" in events
    with caplog.at_level(logging.INFO, logger="c5qa"):
        small_service.store()
    assert caplog.records[-1].fields == {"generation": done["generation"]}
