"""known_hosts: add or remove a host's key in an ssh known_hosts file."""

import base64
import hashlib
import hmac
import os

from mito.modules import _common as C

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True, "aliases": ["host"]},
    "key": {"type": "str", "no_log": False},
    "path": {"type": "path", "default": "~/.ssh/known_hosts"},
    "hash_host": {"type": "bool", "default": False},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
}
SUPPORTS_CHECK_MODE = True


def _host_patterns(name):
    """The spellings a host takes in known_hosts: name, or [name]:port when a port is given."""
    if name.startswith("[") and "]:" in name:
        return [name]
    return [name]


def _hashed_match(field, name):
    try:
        _, magic, salt, digest = field.split("|")
    except ValueError:
        return False
    if magic != "1":
        return False
    mac = hmac.new(base64.b64decode(salt), name.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode() == digest


def _line_hosts_match(line, name):
    parts = line.split()
    if len(parts) < 3 or line.lstrip().startswith("#"):
        return False
    hosts = parts[0]
    if parts[0].startswith("@"):  # @cert-authority / @revoked markers
        if len(parts) < 4:
            return False
        hosts = parts[1]
    if hosts.startswith("|1|"):
        return _hashed_match(hosts, name)
    return name in hosts.split(",")


def _key_parts(line):
    parts = line.split()
    if parts and parts[0].startswith("@"):
        parts = parts[1:]
    return (parts[1], parts[2]) if len(parts) >= 3 else (None, None)


def _hash_name(name):
    salt = os.urandom(20)
    mac = hmac.new(salt, name.encode(), hashlib.sha1).digest()
    return "|1|%s|%s" % (base64.b64encode(salt).decode(), base64.b64encode(mac).decode())


def main(m):
    p = m.params
    name, key, path, state = p["name"].lower(), p["key"], p["path"], p["state"]
    if state == "present" and not key:
        m.fail_json(msg="No key specified when adding a host")
    want_type = want_blob = None
    if key:
        fields = key.split()
        if fields and fields[0].startswith("@"):
            fields = fields[1:]
        if len(fields) < 3:
            m.fail_json(msg="Invalid key specified: %s" % key)
        host_field = fields[0]
        if not host_field.startswith("|1|") and name not in host_field.lower().split(","):
            m.fail_json(msg="Host parameter does not match hashed host field in supplied key"
                        if host_field.startswith("|1|") else
                        "Host parameter (%s) does not match the key's host field (%s)" % (name, host_field))
        want_type, want_blob = fields[1], fields[2]
    lines = []
    existed_before = os.path.exists(path)
    if existed_before:
        with open(path) as f:
            lines = f.read().splitlines()
    before = "\n".join(lines) + ("\n" if lines else "")
    out = []
    found_exact = False
    changed = False
    for line in lines:
        if _line_hosts_match(line, name):
            ktype, blob = _key_parts(line)
            if state == "absent":
                changed = True
                continue
            if ktype == want_type:
                if blob == want_blob and not found_exact:
                    found_exact = True
                    out.append(line)
                else:
                    changed = True  # stale key of the same type is replaced
                continue
        out.append(line)
    if state == "present" and not found_exact:
        entry = key.strip()
        if p["hash_host"]:
            parts = entry.split()
            idx = 1 if parts[0].startswith("@") else 0
            parts[idx] = _hash_name(name)
            entry = " ".join(parts)
        out.append(entry)
        changed = True
    after = "\n".join(out) + ("\n" if out else "")
    if changed and not m.check_mode:
        d = os.path.dirname(path)
        if d and not os.path.isdir(d):
            os.makedirs(d, 0o700)
        existed = os.path.exists(path)
        C.write_atomic(path, after.encode("utf-8"))
        if not existed:
            os.chmod(path, 0o644)
    return {"changed": changed, "hash_host": p["hash_host"], "key": key, "name": name, "path": path,
            "state": state, "diff": {"before": before, "after": after,
                                     "before_header": path if existed_before else "/dev/null",
                                     "after_header": path}}
