"""Log records as JSON, one object per line, for a log collector reading stdout.

Each line carries time (ISO 8601, UTC), level, logger and message; a record about a
request (django.request, django.security) adds its status code and path, and an exception
travels as one "exc_info" string, so a traceback never spans several lines of the log.
The path is the address without its query string, which may hold what a visitor typed.
"""

import datetime as dt
import json
import logging


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        status_code = getattr(record, "status_code", None)
        if status_code is not None:
            entry["status_code"] = status_code
        # django.request and django.security pass the request; runserver's django.server
        # passes a socket, which has no path.
        path = getattr(getattr(record, "request", None), "path", None)
        if isinstance(path, str):
            entry["path"] = path
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        # ASCII escapes keep every line break, including U+2028, inside the JSON string.
        return json.dumps(entry, default=str)
