"""assemble (target side): concatenate the fragments in a directory into one file."""

import codecs
import os
import re
import tempfile

from mito.modules import _common as C

ARGUMENT_SPEC = {
    "src": {"type": "path", "required": True},
    "delimiter": {"type": "str"},
    "dest": {"type": "path", "required": True},
    "backup": {"type": "bool", "default": False},
    "remote_src": {"type": "bool", "default": True},
    "regexp": {"type": "str"},
    "ignore_hidden": {"type": "bool", "default": False},
    "validate": {"type": "str"},
    "decrypt": {"type": "bool", "default": True},
}
ADD_FILE_COMMON_ARGS = True


def assemble(src, delimiter, regexp, ignore_hidden):
    out = []
    rx = re.compile(regexp) if regexp else None
    need_newline = False
    between = False
    delim = codecs.escape_decode(C.to_bytes(delimiter))[0] if delimiter else None
    for name in sorted(os.listdir(src)):
        if rx is not None and not rx.search(name):
            continue
        path = os.path.join(src, name)
        if not os.path.isfile(path) or (ignore_hidden and name.startswith(".")):
            continue
        with open(path, "rb") as f:
            data = f.read()
        if need_newline:
            out.append(b"\n")
        if between and delim:
            out.append(delim)
            if delim[-1:] != b"\n":
                out.append(b"\n")
        out.append(data)
        between = True
        need_newline = not data.endswith(b"\n")
    return b"".join(out)


def main(m):
    p = m.params
    src, dest = p["src"], p["dest"]
    if not os.path.exists(src):
        m.fail_json(msg="Source (%s) does not exist" % src)
    if not os.path.isdir(src):
        m.fail_json(msg="Source (%s) is not a directory" % src)
    data = assemble(src, p["delimiter"], p["regexp"], p["ignore_hidden"])
    checksum_src = C.checksum_bytes(data)
    checksum_dest = C.checksum(dest) if os.path.isfile(dest) else None
    res = {"src": src, "dest": dest, "md5sum": C.checksum_bytes(data, "md5"), "checksum": checksum_src,
           "size": len(data), "changed": False}
    if checksum_src != checksum_dest:
        if p["backup"] and checksum_dest is not None:
            res["backup_file"] = C.backup_local(dest)
        if p["validate"]:
            if "%s" not in p["validate"]:
                m.fail_json(msg="validate must contain %%s: %s" % p["validate"])
            fd, tmp = tempfile.mkstemp(dir=m.tmpdir if os.path.isdir(m.tmpdir) else None)
            m.cleanup_files.append(tmp)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            rc, out, err = m.run_command(p["validate"] % tmp)
            if rc != 0:
                m.fail_json(msg="failed to validate: rc:%s error:%s" % (rc, err))
        C.write_atomic(dest, data)
        res["changed"] = True
    res["changed"] = m.set_fs_attributes_if_different(m.file_args(dest), res["changed"])
    res["msg"] = "OK"
    return res
