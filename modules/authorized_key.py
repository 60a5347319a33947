"""authorized_key: manage keys in a user's ~/.ssh/authorized_keys."""

import os
import pwd
import re
import shlex

from mito.modules import _common as C
from mito.modules import _http

ARGUMENT_SPEC = {
    "user": {"type": "str", "required": True},
    "key": {"type": "str", "required": True, "no_log": False},
    "path": {"type": "path"},
    "manage_dir": {"type": "bool", "default": True},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "key_options": {"type": "str"},
    "exclusive": {"type": "bool", "default": False},
    "comment": {"type": "str"},
    "validate_certs": {"type": "bool", "default": True},
    "follow": {"type": "bool", "default": False},
}
SUPPORTS_CHECK_MODE = True

KEY_TYPE_RE = re.compile(r"^(ssh-|ecdsa-|sk-|rsa-sha2)[\w@.-]*$|^(ssh-rsa|ssh-dss|ssh-ed25519)$")


def parse_key(line):
    """(options, type, blob, comment) or None for comments/garbage."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    lex = shlex.shlex(line, posix=False)
    lex.whitespace_split = True
    lex.whitespace = " \t"
    lex.quotes = '"'
    lex.commenters = ""
    try:
        tokens = list(lex)
    except ValueError:
        tokens = line.split()
    for i, tok in enumerate(tokens):
        if KEY_TYPE_RE.match(tok) and i + 1 < len(tokens):
            options = " ".join(tokens[:i]) or None
            comment = " ".join(tokens[i + 2:]) or None
            return (options, tok, tokens[i + 1], comment)
    return None


def render(options, ktype, blob, comment):
    s = "%s %s" % (ktype, blob)
    if options:
        s = options + " " + s
    if comment:
        s += " " + comment
    return s


def main(m):
    p = m.params
    try:
        user = pwd.getpwnam(p["user"])
    except KeyError:
        m.fail_json(msg="Failed to lookup user %s: user does not exist" % p["user"])
    keyfile = p["path"] or os.path.join(user.pw_dir, ".ssh", "authorized_keys")
    if p["follow"]:
        keyfile = os.path.realpath(keyfile)
    key_text = p["key"]
    if key_text.startswith(("http://", "https://")):
        r, info = _http.fetch(key_text, validate_certs=p["validate_certs"])
        if r is None:
            m.fail_json(msg="Error getting key from: %s" % key_text)
        key_text = r.read().decode("utf-8", "replace")
    wanted = []
    for line in key_text.splitlines():
        parsed = parse_key(line)
        if parsed is None:
            if line.strip() and not line.strip().startswith("#"):
                m.fail_json(msg="invalid key specified: %s" % line)
            continue
        options, ktype, blob, comment = parsed
        if p["key_options"]:
            options = p["key_options"]
        if p["comment"] is not None:
            comment = p["comment"]
        wanted.append((options, ktype, blob, comment))

    lines = []
    if os.path.exists(keyfile):
        with open(keyfile) as f:
            lines = f.read().splitlines()
    before = "\n".join(lines) + ("\n" if lines else "")
    want_blobs = dict((w[2], w) for w in wanted)
    out = []
    placed = set()
    for line in lines:
        parsed = parse_key(line)
        if parsed is None:
            if not p["exclusive"] or not line.strip() or line.strip().startswith("#"):
                out.append(line)
            continue
        blob = parsed[2]
        if blob in want_blobs:
            if p["state"] == "absent" or blob in placed:
                continue
            out.append(render(*want_blobs[blob]))
            placed.add(blob)
        elif not p["exclusive"]:
            out.append(line)
    if p["state"] == "present":
        for w in wanted:
            if w[2] not in placed:
                out.append(render(*w))
                placed.add(w[2])
    after = "\n".join(out) + ("\n" if out else "")
    changed = after != before
    if changed and not m.check_mode:
        d = os.path.dirname(keyfile)
        if not os.path.isdir(d):
            if not p["manage_dir"]:
                m.fail_json(msg="Directory %s does not exist and manage_dir is false" % d)
            os.makedirs(d, 0o700)
            os.chown(d, user.pw_uid, user.pw_gid)
        existed = os.path.exists(keyfile)
        C.write_atomic(keyfile, after.encode("utf-8"))
        if not existed:
            os.chmod(keyfile, 0o600)
            os.chown(keyfile, user.pw_uid, user.pw_gid)
    return {"changed": changed, "key": p["key"], "key_options": p["key_options"], "keyfile": keyfile,
            "manage_dir": p["manage_dir"], "path": p["path"], "state": p["state"], "user": p["user"],
            "exclusive": p["exclusive"], "validate_certs": p["validate_certs"], "follow": p["follow"],
            "comment": p["comment"],
            "diff": {"before": before, "after": after, "before_header": keyfile, "after_header": keyfile}}
