"""Logs go to stdout as one JSON object per line, at the level DJANGO_LOG_LEVEL names."""

import datetime as dt
import json
import logging
import logging.config
import runpy
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from config.logging import JsonFormatter

SETTINGS_FILE = Path(settings.BASE_DIR) / "config" / "settings.py"
CONFIGURED = ("", "django", "django.request", "django.security")


def format_record(name, level, message, *args, exc_info=None, **extra):
    record = logging.getLogger(name).makeRecord(
        name, level, __file__, 1, message, args, exc_info, extra=extra
    )
    line = JsonFormatter().format(record)
    assert "\n" not in line and "\r" not in line
    return json.loads(line)


def test_a_record_is_one_json_object_with_time_level_logger_and_message():
    entry = format_record("cooperation.views", logging.INFO, "Loaded %d events", 3)
    assert entry["level"] == "INFO"
    assert entry["logger"] == "cooperation.views"
    assert entry["message"] == "Loaded 3 events"
    assert entry["time"].endswith("Z")
    logged_at = dt.datetime.fromisoformat(entry["time"])
    assert logged_at.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.UTC) - logged_at) < dt.timedelta(minutes=1)
    assert "exc_info" not in entry and "status_code" not in entry and "path" not in entry


def test_an_exception_travels_as_one_string_field():
    try:
        raise ValueError("bad value\non two lines")
    except ValueError:
        entry = format_record(
            "cooperation", logging.ERROR, "Import failed", exc_info=sys.exc_info()
        )
    assert entry["message"] == "Import failed"
    assert entry["exc_info"].startswith("Traceback (most recent call last):")
    assert entry["exc_info"].endswith("ValueError: bad value\non two lines")


def test_a_not_found_request_carries_status_and_path_without_the_query():
    request = RequestFactory().get("/events/no-such-visit/", {"q": "what a visitor typed"})
    entry = format_record(
        "django.request",
        logging.WARNING,
        "Not Found: %s",
        request.path,
        status_code=404,
        request=request,
    )
    assert entry["status_code"] == 404
    assert entry["path"] == "/events/no-such-visit/"
    assert entry["message"] == "Not Found: /events/no-such-visit/"
    assert "what a visitor typed" not in json.dumps(entry)


def test_a_server_error_carries_status_path_and_traceback():
    request = RequestFactory().get("/events/")
    try:
        raise RuntimeError("template exploded")
    except RuntimeError:
        entry = format_record(
            "django.request",
            logging.ERROR,
            "Internal Server Error: %s",
            request.path,
            exc_info=sys.exc_info(),
            status_code=500,
            request=request,
        )
    assert entry["level"] == "ERROR"
    assert entry["status_code"] == 500
    assert entry["path"] == "/events/"
    assert "RuntimeError: template exploded" in entry["exc_info"]


@pytest.fixture
def logging_from_settings(capsys):
    """Apply settings.LOGGING afresh inside a test, so that its stdout is capsys's.

    The loggers' handlers and levels are put back afterwards.
    """
    saved = {
        name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level)
        for name in CONFIGURED
    }

    def configure():
        logging.config.dictConfig(settings.LOGGING)
        return capsys

    yield configure
    for name, (handlers, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)


def stdout_entries(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_settings_send_django_loggers_to_stdout_as_json(logging_from_settings):
    capsys = logging_from_settings()
    for name in CONFIGURED:
        # pytest adds its own capturing handlers to the root logger; ours is the JSON one.
        (handler,) = [
            h for h in logging.getLogger(name).handlers if isinstance(h.formatter, JsonFormatter)
        ]
        assert handler.stream is sys.stdout
    logging.getLogger("django.security.csrf").warning("CSRF cookie not set.")
    logging.getLogger("cooperation.transfer").info("Imported %d records", 12)
    logging.getLogger("cooperation.transfer").debug("below the default level")
    entries = stdout_entries(capsys)
    assert [(e["logger"], e["level"], e["message"]) for e in entries] == [
        ("django.security.csrf", "WARNING", "CSRF cookie not set."),
        ("cooperation.transfer", "INFO", "Imported 12 records"),
    ]


def test_a_missing_page_is_logged_as_json_with_status_and_path(client, db, logging_from_settings):
    capsys = logging_from_settings()
    assert client.get("/events/no-such-visit/").status_code == 404
    entries = stdout_entries(capsys)
    assert {
        "logger": "django.request",
        "level": "WARNING",
        "status_code": 404,
        "path": "/events/no-such-visit/",
    }.items() <= entries[-1].items()


def settings_from_environment(monkeypatch, **environ):
    for name in ("DJANGO_LOG_LEVEL", "DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_log_level_defaults_to_info(monkeypatch):
    logging_setting = settings_from_environment(monkeypatch)["LOGGING"]
    assert logging_setting["root"]["level"] == "INFO"
    assert logging_setting["loggers"]["django.request"]["level"] == "INFO"


def test_log_level_comes_from_the_environment(monkeypatch):
    logging_setting = settings_from_environment(monkeypatch, DJANGO_LOG_LEVEL="warning")["LOGGING"]
    assert logging_setting["root"]["level"] == "WARNING"
    assert {logger["level"] for logger in logging_setting["loggers"].values()} == {"WARNING"}


def test_an_unknown_log_level_stops_start_up(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_LOG_LEVEL"):
        settings_from_environment(monkeypatch, DJANGO_LOG_LEVEL="verbose")
