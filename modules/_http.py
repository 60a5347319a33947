"""HTTP client shared by get_url and uri: urllib with Ansible's result conventions."""

import base64
import os
import re
import ssl

try:
    import urllib.request as urlreq
    import urllib.error as urlerr
    from http.cookiejar import CookieJar
except ImportError:  # pragma: no cover - Python 2 is not a target
    raise

FOLLOW_SAFE_METHODS = ("GET", "HEAD")


class _Redirects(urlreq.HTTPRedirectHandler):
    def __init__(self, policy):
        self.policy = policy

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        policy = self.policy
        if policy in ("none", "no", False, "False", "false"):
            return None
        if policy == "safe" and req.get_method() not in FOLLOW_SAFE_METHODS:
            return None
        new = urlreq.HTTPRedirectHandler.redirect_request(self, req, fp, code, msg, headers, newurl)
        if new is not None and policy == "all" and req.get_method() not in FOLLOW_SAFE_METHODS and code in (307, 308):
            new = urlreq.Request(newurl, data=req.data, headers=dict(req.header_items()), method=req.get_method())
        return new


def fetch(url, method="GET", data=None, headers=None, timeout=10, validate_certs=True, follow_redirects="safe",
          username=None, password=None, force_basic_auth=False, http_agent="ansible-httpget",
          unredirected_headers=None):
    """Return (response or None, info). info has url, status, msg, cookies, cookies_string, and
    the response headers with lower-cased names (and 'body' for HTTP errors)."""
    headers = dict(headers or {})
    if http_agent and not any(k.lower() == "user-agent" for k in headers):
        headers["User-Agent"] = http_agent
    if username is not None and (force_basic_auth or password is not None):
        token = base64.b64encode(("%s:%s" % (username, password or "")).encode("utf-8")).decode("ascii")
        headers["Authorization"] = "Basic " + token
    if isinstance(data, str):
        data = data.encode("utf-8")
    req = urlreq.Request(url, data=data, method=method)
    for k, v in headers.items():
        if unredirected_headers and k in unredirected_headers:
            req.add_unredirected_header(k, str(v))
        else:
            req.add_header(k, str(v))
    ctx = ssl.create_default_context()
    if not validate_certs:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    jar = CookieJar()
    opener = urlreq.build_opener(urlreq.HTTPSHandler(context=ctx), _Redirects(follow_redirects),
                                 urlreq.HTTPCookieProcessor(jar))
    info = {"url": url, "status": -1}
    try:
        r = opener.open(req, timeout=timeout)
    except urlerr.HTTPError as e:
        info.update(dict((k.lower(), v) for k, v in e.headers.items()) if e.headers else {})
        try:
            body = e.read()
        except Exception:
            body = b""
        info.update({"status": e.code, "msg": "HTTP Error %d: %s" % (e.code, e.reason), "body": body,
                     "url": e.geturl() or url})
        _cookies(info, jar)
        return None, info
    except urlerr.URLError as e:
        info["msg"] = "Request failed: %s" % e
        return None, info
    except (OSError, ValueError) as e:
        info["msg"] = "Connection failure: %s" % e
        return None, info
    info.update(dict((k.lower(), v) for k, v in r.headers.items()))
    length = r.headers.get("Content-Length")
    info.update({"url": r.geturl(), "status": r.status,
                 "msg": "OK (%s bytes)" % (length if length is not None else "unknown")})
    _cookies(info, jar)
    return r, info


def _cookies(info, jar):
    cookies = dict((c.name, c.value) for c in jar)
    info["cookies"] = cookies
    info["cookies_string"] = "; ".join("%s=%s" % kv for kv in cookies.items())


def filename_from_response(r):
    cd = r.headers.get("Content-Disposition", "") if r is not None else ""
    m = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', cd)
    if m:
        return os.path.basename(m.group(1))
    return None

