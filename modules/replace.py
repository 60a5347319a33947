"""replace: regular-expression substitution across a file (optionally between after/before)."""

import os
import re

from mito.modules import _common as C

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True, "aliases": ["dest", "destfile", "name"]},
    "regexp": {"type": "str", "required": True},
    "replace": {"type": "str", "default": ""},
    "after": {"type": "str"},
    "before": {"type": "str"},
    "backup": {"type": "bool", "default": False},
    "validate": {"type": "str"},
    "encoding": {"type": "str", "default": "utf-8"},
}
ADD_FILE_COMMON_ARGS = True
SUPPORTS_CHECK_MODE = True


def main(m):
    p = m.params
    path, encoding = p["path"], p["encoding"]
    res = {"rc": 0}
    if os.path.isdir(path):
        m.fail_json(rc=256, msg="Path %s is a directory !" % path)
    if not os.path.exists(path):
        m.fail_json(rc=257, msg="Path %s does not exist !" % path)
    try:
        with open(path, "rb") as f:
            contents = f.read().decode(encoding)
    except (IOError, OSError, UnicodeDecodeError) as e:
        m.fail_json(msg="Unable to read the contents of %s: %s" % (path, e))

    pattern = ""
    if p["after"] and p["before"]:
        pattern = "%s(?P<subsection>.*?)%s" % (p["after"], p["before"])
    elif p["after"]:
        pattern = "%s(?P<subsection>.*)" % p["after"]
    elif p["before"]:
        pattern = "(?P<subsection>.*)%s" % p["before"]
    span = None
    if pattern:
        mt = re.search(re.compile(pattern, re.DOTALL), contents)
        if not mt:
            res.update({"changed": False,
                        "msg": "Pattern for before/after params did not match the given file: %s" % pattern})
            return res
        section = mt.group("subsection")
        span = (mt.start("subsection"), mt.end("subsection"))
    else:
        section = contents

    new_section, count = re.subn(re.compile(p["regexp"], re.MULTILINE), p["replace"], section)
    changed = False
    msg = ""
    if count > 0 and new_section != section:
        new = contents[:span[0]] + new_section + contents[span[1]:] if span else new_section
        msg = "%s replacements made" % count
        changed = True
        if m.diff_mode:
            res["diff"] = {"before_header": path, "before": contents, "after_header": path, "after": new}
        if not m.check_mode:
            if p["backup"]:
                res["backup_file"] = C.backup_local(path)
            C.write_validated(m, new.encode(encoding), path, p["validate"])
    res["msg"], res["changed"] = C.check_file_attrs(m, path, changed, msg)
    return res
