"""uri: talk to HTTP(S) services: methods, bodies (raw/json/form), status checks, content."""

import json
import os
import re
import time
from urllib.parse import urlencode, urljoin

from mito.modules import _common as C
from mito.modules import _http

ARGUMENT_SPEC = {
    "url": {"type": "str", "required": True},
    "dest": {"type": "path"},
    "url_username": {"type": "str", "aliases": ["user"]},
    "url_password": {"type": "str", "aliases": ["password"], "no_log": True},
    "body": {"type": "raw"},
    "body_format": {"type": "str", "default": "raw", "choices": ["form-urlencoded", "json", "raw", "form-multipart"]},
    "src": {"type": "path"},
    "method": {"type": "str", "default": "GET"},
    "return_content": {"type": "bool", "default": False},
    "follow_redirects": {"type": "str", "default": "safe",
                         "choices": ["all", "no", "none", "safe", "urllib2", "yes"]},
    "creates": {"type": "path"},
    "removes": {"type": "path"},
    "status_code": {"type": "list", "elements": "int", "default": [200]},
    "timeout": {"type": "int", "default": 30},
    "headers": {"type": "dict", "default": {}},
    "unix_socket": {"type": "path"},
    "remote_src": {"type": "bool", "default": False},
    "ca_path": {"type": "path"},
    "unredirected_headers": {"type": "list", "elements": "str", "default": []},
    "decompress": {"type": "bool", "default": True},
    "ciphers": {"type": "list", "elements": "str"},
    "use_netrc": {"type": "bool", "default": True},
    "validate_certs": {"type": "bool", "default": True},
    "force_basic_auth": {"type": "bool", "default": False},
    "http_agent": {"type": "str", "default": "ansible-httpget"},
    "use_proxy": {"type": "bool", "default": True},
    "use_gssapi": {"type": "bool", "default": False},
    "force": {"type": "bool", "default": False},
    "client_cert": {"type": "path"},
    "client_key": {"type": "path"},
}
ADD_FILE_COMMON_ARGS = True
SUPPORTS_CHECK_MODE = True
MUTUALLY_EXCLUSIVE = [["body", "src"]]

JSON_CANDIDATES = ("json", "javascript")


def main(m):
    p = m.params
    url, method, body, fmt = p["url"], p["method"], p["body"], p["body_format"]
    headers = dict(p["headers"] or {})
    if not re.match(r"^[A-Z]+$", method):
        m.fail_json(msg="Parameter 'method' needs to be a single word in uppercase, like GET or POST.")
    lower = [h.lower() for h in headers]
    if fmt == "json":
        if not isinstance(body, str):
            body = json.dumps(body)
        if "content-type" not in lower:
            headers["Content-Type"] = "application/json"
    elif fmt == "form-urlencoded":
        if not isinstance(body, str):
            try:
                pairs = body if isinstance(body, list) else list((body or {}).items())
                body = urlencode(pairs, doseq=True)
            except (TypeError, ValueError) as e:
                m.fail_json(msg="failed to parse body as form_urlencoded: %s" % e, elapsed=0)
        if "content-type" not in lower:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif fmt == "form-multipart":
        m.fail_json(msg="body_format=form-multipart is not supported by mito's uri module yet")
    elif body is not None and not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    if p["src"]:
        with open(p["src"], "rb") as f:
            body = f.read()

    if p["creates"] is not None and os.path.exists(p["creates"]):
        return {"stdout": "skipped, since '%s' exists" % p["creates"], "changed": False}
    if p["removes"] is not None and not os.path.exists(p["removes"]):
        return {"stdout": "skipped, since '%s' does not exist" % p["removes"], "changed": False}

    dest = p["dest"]
    if dest and not p["force"] and os.path.isfile(dest):
        headers.setdefault("If-Modified-Since", time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                                              time.gmtime(os.stat(dest).st_mtime)))
    start = time.time()
    follow = {"yes": "all", "urllib2": "safe"}.get(p["follow_redirects"], p["follow_redirects"])
    r, info = _http.fetch(url, method=method, data=body, headers=headers, timeout=p["timeout"],
                          validate_certs=p["validate_certs"], follow_redirects=follow,
                          username=p["url_username"], password=p["url_password"],
                          force_basic_auth=p["force_basic_auth"], http_agent=p["http_agent"],
                          unredirected_headers=p["unredirected_headers"])
    elapsed = int(time.time() - start)
    status_codes = p["status_code"]
    ctype = (info.get("content-type") or "application/octet-stream")
    main_type, _, rest = ctype.partition("/")
    sub_type = rest.split(";")[0].strip()
    charset = "utf-8"
    mt = re.search(r"charset=([\w-]+)", ctype)
    if mt:
        charset = mt.group(1)
    suffix = sub_type.partition("+")[2] if "+" in sub_type else sub_type
    maybe_json = suffix.lower() in JSON_CANDIDATES
    want_output = maybe_json or p["return_content"] or info["status"] not in status_codes
    content = None
    if r is not None:
        content = r.read()
        r.close()
    else:
        content = info.pop("body", b"")
    info.pop("body", None)

    resp = {"redirected": info["url"] != url}
    resp.update(info)
    resp["elapsed"] = elapsed
    resp["status"] = int(resp["status"])
    resp["changed"] = False
    if r is not None and dest is not None:
        if os.path.isdir(dest):
            dest = os.path.join(dest, _http.filename_from_response(r) or "index.html")
        if resp["status"] in status_codes and resp["status"] != 304:
            if not m.check_mode:
                C.write_atomic(dest, content or b"")
            resp["changed"] = True
            if os.path.exists(dest):
                resp["changed"] = m.set_fs_attributes_if_different(m.file_args(dest), True)
        resp["path"] = dest
    out = {}
    for k, v in resp.items():
        out[k.replace("-", "_").lower()] = v
    if "location" in out:
        out["location"] = urljoin(url, out["location"])
    text = None
    if want_output and content is not None:
        text = content.decode(charset, "replace")
        if maybe_json:
            try:
                out["json"] = json.loads(text)
            except ValueError:
                pass
    if out["status"] not in status_codes:
        out["msg"] = "Status code was %s and not %s: %s" % (out["status"], status_codes, out.get("msg", ""))
        if p["return_content"]:
            out["content"] = text
        m.fail_json(**out)
    if p["return_content"]:
        out["content"] = text
    return out
