"""blockinfile: keep a marked block of lines in a text file."""

import os
import re

from mito.modules import _common as C

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True, "aliases": ["dest", "destfile", "name"]},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "marker": {"type": "str", "default": "# {mark} ANSIBLE MANAGED BLOCK"},
    "block": {"type": "str", "default": "", "aliases": ["content"]},
    "insertafter": {"type": "str"},
    "insertbefore": {"type": "str"},
    "create": {"type": "bool", "default": False},
    "backup": {"type": "bool", "default": False},
    "validate": {"type": "str"},
    "marker_begin": {"type": "str", "default": "BEGIN"},
    "marker_end": {"type": "str", "default": "END"},
}
MUTUALLY_EXCLUSIVE = [["insertbefore", "insertafter"]]
ADD_FILE_COMMON_ARGS = True
SUPPORTS_CHECK_MODE = True

NL = os.linesep.encode()


def _text(b):
    return b.decode("utf-8", "replace")


def main(m):
    p = m.params
    path = p["path"]
    if os.path.isdir(path):
        m.fail_json(rc=256, msg="Path %s is a directory !" % path)
    exists = os.path.exists(path)
    if not exists:
        if not p["create"]:
            m.fail_json(rc=257, msg="Path %s does not exist !" % path)
        parent = os.path.dirname(path)
        if parent and not os.path.exists(parent) and not m.check_mode:
            try:
                os.makedirs(parent)
            except OSError as e:
                m.fail_json(msg="Error creating %s Error code: %s Error description: %s"
                            % (parent, e.errno, e.strerror))
        original = None
        lines = []
    else:
        with open(path, "rb") as f:
            original = f.read()
        lines = original.splitlines(True)
    diff = {"before": "", "after": "", "before_header": "%s (content)" % path,
            "after_header": "%s (content)" % path}
    if m.diff_mode and original:
        diff["before"] = _text(original)

    present = p["state"] == "present"
    if not present and not exists:
        return {"changed": False, "msg": "File %s not present" % path}
    insertbefore, insertafter = p["insertbefore"], p["insertafter"]
    if insertbefore is None and insertafter is None:
        insertafter = "EOF"
    if insertafter not in (None, "EOF"):
        anchor = re.compile(C.to_bytes(insertafter))
    elif insertbefore not in (None, "BOF"):
        anchor = re.compile(C.to_bytes(insertbefore))
    else:
        anchor = None

    marker = C.to_bytes(p["marker"])
    begin = marker.replace(b"{mark}", C.to_bytes(p["marker_begin"])) + NL
    end = marker.replace(b"{mark}", C.to_bytes(p["marker_end"])) + NL
    block = C.to_bytes(p["block"])
    if present and block:
        if not block.endswith(NL):
            block += NL
        new_lines = [begin] + block.splitlines(True) + [end]
    else:
        new_lines = []

    at_begin = at_end = None
    for i, line in enumerate(lines):
        if line == begin:
            at_begin = i
        if line == end:
            at_end = i
    if at_begin is None or at_end is None:
        pos = None
        if anchor is not None:
            if anchor.flags & re.MULTILINE:
                mt = anchor.search(original or b"")
                if mt:
                    if insertafter:
                        pos = (original or b"").count(b"\n", 0, mt.end())
                    else:
                        pos = (original or b"").count(b"\n", 0, mt.start())
            else:
                for i, line in enumerate(lines):
                    if anchor.search(line):
                        pos = i
            if pos is None:
                pos = len(lines)
            elif insertafter is not None:
                pos += 1
        elif insertbefore is not None:
            pos = 0
        else:
            pos = len(lines)
    elif at_begin < at_end:
        lines[at_begin:at_end + 1] = []
        pos = at_begin
    else:
        lines[at_end:at_begin + 1] = []
        pos = at_end
    if pos > 0 and not lines[pos - 1].endswith(NL):
        lines[pos - 1] += NL
    lines[pos:pos] = new_lines
    result = b"".join(lines)
    if m.diff_mode:
        diff["after"] = _text(result)

    if original == result:
        msg, changed = "", False
    elif original is None:
        msg, changed = "File created", True
    elif not new_lines:
        msg, changed = "Block removed", True
    else:
        msg, changed = "Block inserted", True

    backup_file = None
    if changed and not m.check_mode:
        if p["backup"] and exists:
            backup_file = C.backup_local(path)
        C.write_validated(m, result, path, p["validate"])
    if m.check_mode and not exists:
        return {"changed": changed, "msg": msg, "diff": diff}
    attr_diff = {}
    msg, changed = C.check_file_attrs(m, path, changed, msg, attr_diff)
    attr_diff["before_header"] = attr_diff["after_header"] = "%s (file attributes)" % path
    res = {"changed": changed, "msg": msg, "diff": [diff, attr_diff]}
    if backup_file:
        res["backup_file"] = backup_file
    return res
