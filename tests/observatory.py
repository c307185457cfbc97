"""The Mozilla HTTP Observatory's score, computed from one response.

The rules are those of the Observatory's published scoring methodology (the MDN HTTP
Observatory, "HTTP Observatory Scoring Methodology"): every site starts at 100, each test
adds its modifier, bonuses count only when the score without them is 90 or more, and 100
or more is an A+. The tests here are the ones a response can answer: Content Security
Policy, cookies, CORS headers, the redirection from http, Referrer-Policy, HSTS,
Subresource Integrity, X-Content-Type-Options, X-Frame-Options and
Cross-Origin-Resource-Policy. (HSTS preloading needs the browsers' preload list and is
scored as not preloaded.)
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

GRADES = [
    (100, "A+"),
    (90, "A"),
    (85, "A-"),
    (80, "B+"),
    (70, "B"),
    (65, "B-"),
    (60, "C+"),
    (50, "C"),
    (45, "C-"),
    (40, "D+"),
    (30, "D"),
    (25, "D-"),
    (0, "F"),
]
SIX_MONTHS = 15768000
PRIVATE_REFERRER = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}
UNSAFE_REFERRER = {"origin", "origin-when-cross-origin", "unsafe-url"}
VALID_REFERRER = PRIVATE_REFERRER | UNSAFE_REFERRER | {"no-referrer-when-downgrade"}
# Sources that allow any script from anywhere (or from any host over a scheme).
BROAD = {"*", "http:", "https:", "data:", "blob:", "filesystem:"}


@dataclass
class Report:
    results: dict = field(default_factory=dict)

    def add(self, test, result, modifier):
        self.results[test] = (result, modifier)

    @property
    def score(self):
        penalties = sum(m for _, m in self.results.values() if m < 0)
        bonuses = sum(m for _, m in self.results.values() if m > 0)
        score = 100 + penalties
        if score >= 90:
            score += bonuses
        return max(score, 0)

    @property
    def grade(self):
        return next(grade for floor, grade in GRADES if self.score >= floor)


def parse_csp(header):
    policy = {}
    for part in header.split(";"):
        tokens = part.strip().split()
        if not tokens:
            continue
        name = tokens[0].lower()
        if not re.fullmatch(r"[a-z-]+", name) or name in policy:
            raise ValueError(f"invalid directive {tokens[0]!r}")
        policy[name] = [token.lower() for token in tokens[1:]]
    return policy


def csp_result(headers):
    header = headers.get("Content-Security-Policy")
    if not header:
        return "csp-not-implemented", -25, {}
    try:
        policy = parse_csp(header)
    except ValueError:
        return "csp-header-invalid", -25, {}
    default = policy.get("default-src")
    script = policy.get("script-src", default)
    objects = policy.get("object-src", default)
    style = policy.get("style-src", default)
    passive = policy.get("img-src", default) or []
    passive += policy.get("media-src", default) or []
    if script is None or objects is None:
        return "csp-implemented-with-unsafe-inline", -20, policy
    # A nonce or a hash makes a CSP2 browser ignore 'unsafe-inline'.
    keyed = any(s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) for s in script)
    if ("'unsafe-inline'" in script and not keyed) or BROAD & set(script + objects):
        return "csp-implemented-with-unsafe-inline", -20, policy
    active = [
        s
        for name, sources in policy.items()
        if name not in {"img-src", "media-src"}
        for s in sources
    ]
    if any(s == "http:" or s.startswith("http://") for s in active):
        return "csp-implemented-with-insecure-scheme", -20, policy
    if "'unsafe-eval'" in script:
        return "csp-implemented-with-unsafe-eval", -10, policy
    if any(s == "http:" or s.startswith("http://") for s in passive):
        return "csp-implemented-with-insecure-scheme-in-passive-content-only", -10, policy
    if style and ({"'unsafe-inline'"} | BROAD) & set(style):
        return "csp-implemented-with-unsafe-inline-in-style-src-only", 0, policy
    if default == ["'none'"]:
        return "csp-implemented-with-no-unsafe-default-src-none", 10, policy
    return "csp-implemented-with-no-unsafe", 5, policy


def hsts_max_age(headers):
    header = headers.get("Strict-Transport-Security")
    if not header:
        return None
    match = re.search(r"max-age=\"?(\d+)\"?", header, re.IGNORECASE)
    return int(match.group(1)) if match else -1


def cookies_result(cookies, hsts):
    """`cookies`: the response's SimpleCookie (each morsel with its attributes)."""
    if not cookies:
        return "cookies-not-found", 0
    worst = ("cookies-secure-with-httponly-sessions-and-samesite", 5)
    for name, morsel in cookies.items():
        lowered = name.lower()
        session = any(word in lowered for word in ("login", "sess"))
        samesite = morsel["samesite"]
        if session and not morsel["secure"]:
            candidate = (
                ("cookies-session-without-secure-flag-but-protected-by-hsts", -10)
                if hsts
                else ("cookies-session-without-secure-flag", -40)
            )
        elif session and not morsel["httponly"]:
            candidate = ("cookies-session-without-httponly-flag", -30)
        elif not morsel["secure"]:
            candidate = (
                ("cookies-without-secure-flag-but-protected-by-hsts", -5)
                if hsts
                else ("cookies-without-secure-flag", -20)
            )
        elif samesite and samesite.lower() not in {"strict", "lax", "none"}:
            candidate = ("cookies-samesite-flag-invalid", -20)
        elif "csrf" in lowered and not samesite:
            candidate = ("cookies-anticsrf-without-samesite-flag", -20)
        elif not samesite:
            candidate = ("cookies-secure-with-httponly-sessions", 0)
        else:
            continue
        worst = min(worst, candidate, key=lambda result: result[1])
    return worst


class ScriptFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))


def sri_result(content_type, html, origin):
    if "html" not in content_type:
        return "sri-not-implemented-response-not-html", 0
    finder = ScriptFinder()
    finder.feed(html)
    external = [
        s
        for s in finder.scripts
        if s.get("src") and urlsplit(s["src"]).netloc not in {"", urlsplit(origin).netloc}
    ]
    if not any(s.get("src") for s in finder.scripts):
        return "sri-not-implemented-but-no-scripts-loaded", 0
    if not external:
        return "sri-not-implemented-but-all-scripts-loaded-from-secure-origin", 0
    if all(s.get("integrity") for s in external):
        if all(s["src"].startswith("https://") for s in external):
            return "sri-implemented-and-external-scripts-loaded-securely", 5
        return "sri-implemented-but-external-scripts-not-loaded-securely", -20
    if all(s["src"].startswith("https://") for s in external):
        return "sri-not-implemented-but-external-scripts-loaded-securely", -5
    return "sri-not-implemented-and-external-scripts-not-loaded-securely", -50


def assess(response, http_response, origin):
    """Score `response` (fetched over https) and `http_response` (the same path over http)."""
    headers = response.headers
    report = Report()
    result, modifier, policy = csp_result(headers)
    report.add("content-security-policy", result, modifier)

    max_age = hsts_max_age(headers)
    if max_age is None:
        report.add("strict-transport-security", "hsts-not-implemented", -20)
    elif max_age < 0:
        report.add("strict-transport-security", "hsts-header-invalid", -20)
    elif max_age < SIX_MONTHS:
        report.add(
            "strict-transport-security", "hsts-implemented-max-age-less-than-six-months", -10
        )
    else:
        report.add("strict-transport-security", "hsts-implemented-max-age-at-least-six-months", 0)

    report.add("cookies", *cookies_result(response.cookies, bool(max_age and max_age > 0)))

    allow_origin = headers.get("Access-Control-Allow-Origin")
    if allow_origin is None:
        report.add(
            "cross-origin-resource-sharing", "cross-origin-resource-sharing-not-implemented", 0
        )
    elif allow_origin.strip() == "*" and headers.get("Access-Control-Allow-Credentials"):
        report.add(
            "cross-origin-resource-sharing",
            "cross-origin-resource-sharing-implemented-with-universal-access",
            -50,
        )
    else:
        report.add(
            "cross-origin-resource-sharing",
            "cross-origin-resource-sharing-implemented-with-public-access",
            0,
        )

    location = http_response.headers.get("Location", "")
    origin_host = urlsplit(origin).netloc
    if http_response.status_code not in (301, 302, 307, 308):
        report.add("redirection", "redirection-missing", -20)
    elif not location.startswith("https://"):
        report.add("redirection", "redirection-not-to-https", -20)
    elif urlsplit(location).netloc != origin_host:
        report.add("redirection", "redirection-off-host-from-http", -5)
    else:
        report.add("redirection", "redirection-to-https", 0)

    referrer = headers.get("Referrer-Policy")
    if not referrer:
        report.add("referrer-policy", "referrer-policy-not-implemented", 0)
    else:
        values = [v.strip().lower() for v in referrer.split(",") if v.strip()]
        if not values or any(v not in VALID_REFERRER for v in values):
            report.add("referrer-policy", "referrer-policy-header-invalid", -5)
        elif values[-1] in PRIVATE_REFERRER:
            report.add("referrer-policy", "referrer-policy-private", 5)
        elif values[-1] in UNSAFE_REFERRER:
            report.add("referrer-policy", "referrer-policy-unsafe", -5)
        else:
            report.add("referrer-policy", "referrer-policy-no-referrer-when-downgrade", 0)

    html = response.content.decode("utf-8", "replace") if not response.streaming else ""
    report.add("subresource-integrity", *sri_result(headers.get("Content-Type", ""), html, origin))

    nosniff = headers.get("X-Content-Type-Options")
    if nosniff is None:
        report.add("x-content-type-options", "x-content-type-options-not-implemented", -5)
    elif nosniff.strip().lower() != "nosniff":
        report.add("x-content-type-options", "x-content-type-options-header-invalid", -5)
    else:
        report.add("x-content-type-options", "x-content-type-options-nosniff", 0)

    frame = headers.get("X-Frame-Options", "").strip().lower()
    if "frame-ancestors" in policy:
        report.add("x-frame-options", "x-frame-options-implemented-via-csp", 5)
    elif frame in {"deny", "sameorigin"}:
        report.add("x-frame-options", "x-frame-options-sameorigin-or-deny", 0)
    elif frame:
        report.add("x-frame-options", "x-frame-options-header-invalid", -20)
    else:
        report.add("x-frame-options", "x-frame-options-not-implemented", -20)

    corp = headers.get("Cross-Origin-Resource-Policy")
    if corp is None:
        report.add("cross-origin-resource-policy", "corp-not-implemented", 0)
    elif corp.strip().lower() in {"same-origin", "same-site", "cross-origin"}:
        report.add("cross-origin-resource-policy", "corp-implemented", 0)
    else:
        report.add("cross-origin-resource-policy", "corp-header-invalid", -5)
    return report
