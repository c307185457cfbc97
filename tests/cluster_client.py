"""A small HTTP client for tests/test_cluster.py: one visitor's cookies, no redirects followed.

The cluster speaks plain HTTP on loopback, while production settings mark the session and
CSRF cookies Secure (and name them `__Host-…`): a browser's cookie jar would keep them to
itself over HTTP. This client keeps every cookie it is given, as a browser does over the
HTTPS of a real site, so that a sign-in can be followed from one request to the next.
"""

import http.client
import re
import urllib.parse
from html import unescape


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.text = body.decode("utf-8", errors="replace")

    def header(self, name):
        return self.headers.get(name.lower(), "")

    @property
    def upstream(self):
        """The app server that answered (the last nginx tried), from X-Upstream."""
        return self.header("X-Upstream").split(",")[-1].strip()

    def csrf_token(self):
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.text)
        assert match, f"no CSRF token in the page (status {self.status})"
        return unescape(match.group(1))


class Visitor:
    def __init__(self, base_url, timeout=60):
        parsed = urllib.parse.urlsplit(base_url)
        self.host, self.port = parsed.hostname, parsed.port
        self.timeout = timeout
        self.cookies = {}

    def request(self, method, path, data=None, headers=None):
        headers = dict(headers or {})
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            content = raw.read()
            for value in raw.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if "max-age=0" in value.lower() or cookie_value in ("", '""'):
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = cookie_value
            headers_seen = {}
            for name, value in raw.getheaders():
                key = name.lower()
                headers_seen[key] = (
                    f"{headers_seen[key]}, {value}" if key in headers_seen else value
                )
            return Response(raw.status, headers_seen, content)
        finally:
            connection.close()

    def via(self, base_url):
        """The same visitor (the same cookies) asking another server directly."""
        other = Visitor(base_url, self.timeout)
        other.cookies = self.cookies
        return other

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, data, headers=None):
        return self.request("POST", path, data=data, headers=headers)
