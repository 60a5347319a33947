"""lineinfile: make sure one line is (or is not) in a text file."""

import os
import re

from mito.modules import _common as C

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True, "aliases": ["dest", "destfile", "name"]},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "regexp": {"type": "str", "aliases": ["regex"]},
    "search_string": {"type": "str"},
    "line": {"type": "str", "aliases": ["value"]},
    "insertafter": {"type": "str"},
    "insertbefore": {"type": "str"},
    "backrefs": {"type": "bool", "default": False},
    "create": {"type": "bool", "default": False},
    "backup": {"type": "bool", "default": False},
    "firstmatch": {"type": "bool", "default": False},
    "validate": {"type": "str"},
}
MUTUALLY_EXCLUSIVE = [["insertbefore", "insertafter"], ["regexp", "search_string"], ["backrefs", "search_string"]]
ADD_FILE_COMMON_ARGS = True
SUPPORTS_CHECK_MODE = True

NL = os.linesep.encode()


def _b(s):
    return C.to_bytes(s)


def _read_lines(path):
    with open(path, "rb") as f:
        return f.readlines()


def _finish(m, path, lines, changed, msg, diff, extra=None):
    if m.diff_mode:
        diff["after"] = b"".join(lines).decode("utf-8", "replace")
    backup = ""
    if changed and not m.check_mode:
        if m.params["backup"] and os.path.exists(path):
            backup = C.backup_local(path)
        C.write_validated(m, b"".join(lines), path, m.params["validate"])
    res = {"changed": changed, "msg": msg, "backup": backup}
    res.update(extra or {})
    if m.check_mode and not os.path.exists(path):
        res["diff"] = diff
        return res
    attr_diff = {}
    msg, changed = C.check_file_attrs(m, path, changed, msg, attr_diff)
    attr_diff["before_header"] = attr_diff["after_header"] = "%s (file attributes)" % path
    res.update({"changed": changed, "msg": msg, "diff": [diff, attr_diff]})
    return res


def present(m, path, regexp, search_string, line, insertafter, insertbefore):
    p = m.params
    diff = {"before": "", "after": "", "before_header": "%s (content)" % path,
            "after_header": "%s (content)" % path}
    if not os.path.exists(path):
        if not p["create"]:
            m.fail_json(rc=257, msg="Destination %s does not exist !" % path)
        parent = os.path.dirname(path)
        if parent and not os.path.exists(parent) and not m.check_mode:
            try:
                os.makedirs(parent)
            except OSError as e:
                m.fail_json(msg="Error creating %s (%s)" % (parent, e))
        lines = []
    else:
        lines = _read_lines(path)
    if m.diff_mode:
        diff["before"] = b"".join(lines).decode("utf-8", "replace")

    want = _b(line)
    anchor = None
    if insertafter not in (None, "BOF", "EOF"):
        anchor = re.compile(_b(insertafter))
    elif insertbefore not in (None, "BOF"):
        anchor = re.compile(_b(insertbefore))

    found_at, insert_at = -1, -1
    match = None
    if regexp is not None:
        rx = re.compile(_b(regexp))
        for i, cur in enumerate(lines):
            mt = rx.search(cur)
            if mt:
                found_at, match = i, mt
                if p["firstmatch"]:
                    break
    if search_string is not None:
        needle = _b(search_string)
        for i, cur in enumerate(lines):
            if needle in cur:
                found_at, match = i, True
                if p["firstmatch"]:
                    break
    if not match:
        for i, cur in enumerate(lines):
            if want == cur.rstrip(b"\r\n"):
                found_at = i
            elif anchor is not None and anchor.search(cur):
                if insertafter:
                    insert_at = i + 1
                    if p["firstmatch"]:
                        break
                if insertbefore:
                    insert_at = i
                    if p["firstmatch"]:
                        break

    msg, changed = "", False

    def ends_open():
        return lines and lines[-1][-1:] not in (b"\n", b"\r")

    if found_at != -1:
        use_backrefs = p["backrefs"] and match is not None and match is not True
        new = match.expand(want) if use_backrefs else want
        if not new.endswith(NL):
            new += NL
        if lines[found_at] != new:
            lines[found_at] = new
            msg, changed = "line replaced", True
    elif p["backrefs"]:
        pass  # backrefs and no match: leave the file alone
    elif insertbefore == "BOF" or insertafter == "BOF":
        lines.insert(0, want + NL)
        msg, changed = "line added", True
    elif insertafter == "EOF" or insert_at == -1:
        if ends_open():
            lines.append(NL)
        lines.append(want + NL)
        msg, changed = "line added", True
    elif insertafter and insert_at != -1:
        if len(lines) == insert_at:
            if lines[insert_at - 1].rstrip(b"\r\n") != want:
                lines.append(want + NL)
                msg, changed = "line added", True
        elif want != lines[insert_at].rstrip(b"\r\n"):
            lines.insert(insert_at, want + NL)
            msg, changed = "line added", True
    else:
        lines.insert(insert_at, want + NL)
        msg, changed = "line added", True
    return _finish(m, path, lines, changed, msg, diff)


def absent(m, path, regexp, search_string, line):
    if not os.path.exists(path):
        return {"changed": False, "msg": "file not present"}
    diff = {"before": "", "after": "", "before_header": "%s (content)" % path,
            "after_header": "%s (content)" % path}
    lines = _read_lines(path)
    if m.diff_mode:
        diff["before"] = b"".join(lines).decode("utf-8", "replace")
    rx = re.compile(_b(regexp)) if regexp is not None else None
    want = _b(line) if line is not None else None
    found = []

    def keep(cur):
        if rx is not None:
            hit = rx.search(cur)
        elif search_string is not None:
            hit = _b(search_string) in cur
        else:
            hit = want == cur.rstrip(b"\r\n")
        if hit:
            found.append(cur)
        return not hit

    lines = [cur for cur in lines if keep(cur)]
    changed = len(found) > 0
    msg = "%s line(s) removed" % len(found) if changed else ""
    return _finish(m, path, lines, changed, msg, diff, {"found": len(found)})


def main(m):
    p = m.params
    path, regexp, search_string, line = p["path"], p["regexp"], p["search_string"], p["line"]
    if regexp == "" or search_string == "":
        name = "regular expression" if regexp == "" else "search string"
        msg = ("The %s is an empty string, which will match every line in the file. This may have "
               "unintended consequences, such as replacing the last line in the file rather than appending."
               % name)
        if regexp == "":
            msg += " If this is desired, use '^' to match every line in the file and avoid this warning."
        m.warn(msg)
    if os.path.isdir(path):
        m.fail_json(rc=256, msg="Path %s is a directory !" % path)
    if p["state"] == "present":
        if p["backrefs"] and regexp is None:
            m.fail_json(msg="regexp is required with backrefs=true")
        if line is None:
            m.fail_json(msg="line is required with state=present")
        ins_bef, ins_aft = p["insertbefore"], p["insertafter"]
        if ins_bef is None and ins_aft is None:
            ins_aft = "EOF"
        return present(m, path, regexp, search_string, line, ins_aft, ins_bef)
    if (regexp, search_string, line) == (None, None, None):
        m.fail_json(msg="one of line, search_string, or regexp is required with state=absent")
    return absent(m, path, regexp, search_string, line)
