"""get_url: download a file over HTTP(S)/FTP to the target, with checksum and force semantics."""

import hashlib
import os
import re
import shutil
import tempfile
import time

from mito.modules import _common as C
from mito.modules import _http

ARGUMENT_SPEC = {
    "url": {"type": "str", "required": True},
    "dest": {"type": "path", "required": True},
    "backup": {"type": "bool", "default": False},
    "checksum": {"type": "str", "default": ""},
    "timeout": {"type": "int", "default": 10},
    "headers": {"type": "dict"},
    "tmp_dest": {"type": "path"},
    "force": {"type": "bool", "default": False},
    "use_proxy": {"type": "bool", "default": True},
    "validate_certs": {"type": "bool", "default": True},
    "url_username": {"type": "str", "aliases": ["username"]},
    "url_password": {"type": "str", "aliases": ["password"], "no_log": True},
    "force_basic_auth": {"type": "bool", "default": False},
    "http_agent": {"type": "str", "default": "ansible-httpget"},
    "unredirected_headers": {"type": "list", "elements": "str", "default": []},
    "decompress": {"type": "bool", "default": True},
    "use_gssapi": {"type": "bool", "default": False},
    "use_netrc": {"type": "bool", "default": True},
    "client_cert": {"type": "path"},
    "client_key": {"type": "path"},
    "ciphers": {"type": "list", "elements": "str"},
}
ADD_FILE_COMMON_ARGS = True
SUPPORTS_CHECK_MODE = True


def _expected_checksum(m, spec):
    """'algo:hexdigest' or 'algo:URL of a checksum file' -> (algo, digest)."""
    try:
        algo, value = spec.split(":", 1)
    except ValueError:
        m.fail_json(msg="The checksum parameter has to be in format <algorithm>:<checksum>")
    algo = algo.lower()
    if algo not in hashlib.algorithms_available:
        m.fail_json(msg="Unsupported hash algorithm: %s" % algo)
    if value.startswith(("http://", "https://", "ftp://", "file://")):
        r, info = _http.fetch(value, timeout=m.params["timeout"], validate_certs=m.params["validate_certs"])
        if r is None:
            m.fail_json(msg="Request failed", status_code=info["status"], response=info.get("msg"), url=value)
        lines = r.read().decode("utf-8", "replace").splitlines()
        name = os.path.basename(m.params["url"].split("?")[0])
        digest = None
        for line in lines:
            parts = line.split()
            if len(parts) == 1 and len(lines) == 1:
                digest = parts[0]
            elif len(parts) >= 2 and os.path.basename(parts[1].lstrip("*").lstrip("./")) == name:
                digest = parts[0]
                break
        if digest is None:
            m.fail_json(msg="Unable to find a checksum for file '%s' in '%s'" % (name, value))
        value = digest
    value = re.sub(r"\W+", "", value).lower()
    try:
        int(value, 16)
    except ValueError:
        m.fail_json(msg="The checksum format is invalid")
    return algo, value


def main(m):
    p = m.params
    url, dest = p["url"], p["dest"]
    dest_is_dir = os.path.isdir(dest)
    algo = expected = None
    if p["checksum"]:
        algo, expected = _expected_checksum(m, p["checksum"])
    last_mod = None
    if not dest_is_dir and os.path.exists(dest):
        mismatch = False
        if not p["force"] and expected:
            if C.checksum(dest, algo) == expected:
                res = {"msg": "file already exists", "dest": dest, "url": url, "changed": False}
                return _attrs(m, res, dest)
            mismatch = True
        # As Ansible: without force, ask the server only for a newer copy (If-Modified-Since);
        # a checksum mismatch forces the download.
        last_mod = os.stat(dest).st_mtime
        if mismatch:
            p["force"] = True

    start = time.time()
    headers = dict(p["headers"] or {})
    if last_mod is not None and not p["force"]:
        headers["If-Modified-Since"] = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(last_mod))
    r, info = _http.fetch(url, headers=headers, timeout=p["timeout"], validate_certs=p["validate_certs"],
                          username=p["url_username"], password=p["url_password"],
                          force_basic_auth=p["force_basic_auth"], http_agent=p["http_agent"],
                          unredirected_headers=p["unredirected_headers"])
    elapsed = int(time.time() - start)
    if r is None and info["status"] == 304:
        res = {"url": url, "dest": dest, "changed": False, "msg": info.get("msg", ""),
               "status_code": 304, "elapsed": elapsed}
        return _attrs(m, res, dest)
    if r is None:
        m.fail_json(msg="Request failed", status_code=info["status"], response=info.get("msg", ""), url=url,
                    dest=dest, elapsed=elapsed)
    if dest_is_dir:
        name = _http.filename_from_response(r) or os.path.basename(r.geturl().split("?")[0]) or "index.html"
        dest = os.path.join(dest, name)

    tmp_dir = p["tmp_dest"] or m.tmpdir
    if not os.path.isdir(tmp_dir):
        tmp_dir = None
    fd, tmpsrc = tempfile.mkstemp(prefix="mito-get_url-", dir=tmp_dir)
    m.cleanup_files.append(tmpsrc)
    with os.fdopen(fd, "wb") as f:
        shutil.copyfileobj(r, f)
    r.close()

    checksum_src = C.checksum(tmpsrc)
    checksum_dest = C.checksum(dest) if os.path.isfile(dest) else None
    if expected:
        got = C.checksum(tmpsrc, algo)
        if got != expected:
            m.fail_json(msg="The checksum for %s did not match %s; it was %s." % (tmpsrc, expected, got),
                        url=url, dest=dest)
    if os.path.exists(dest):
        if not os.access(dest, os.W_OK):
            m.fail_json(msg="Destination %s is not writable" % dest)
    elif not os.path.isdir(os.path.dirname(dest) or "."):
        m.fail_json(msg="Destination %s does not exist" % os.path.dirname(dest))
    res = {"url": url, "dest": dest, "src": tmpsrc, "elapsed": elapsed, "status_code": info["status"],
           "msg": info.get("msg", ""), "checksum_src": checksum_src, "size": os.path.getsize(tmpsrc)}
    changed = checksum_src != checksum_dest
    backup_file = None
    if changed and not m.check_mode:
        if p["backup"] and os.path.exists(dest):
            backup_file = C.backup_local(dest)
        C.copy_atomic(tmpsrc, dest)
    res["changed"] = changed
    res["checksum_dest"] = checksum_dest  # what dest held before, as Ansible reports it
    res["md5sum"] = C.md5(dest) if os.path.exists(dest) else None
    if backup_file:
        res["backup_file"] = backup_file
    if m.check_mode and not os.path.exists(dest):
        return res
    return _attrs(m, res, dest)


def _attrs(m, res, dest):
    if os.path.exists(dest):
        args = m.file_args(dest)
        res["changed"] = m.set_fs_attributes_if_different(args, res.get("changed", False))
        m.add_path_info(res, dest)
    return res
