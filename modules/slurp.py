"""slurp: return a file's content, base64-encoded."""

import base64
import errno

ARGUMENT_SPEC = {"src": {"type": "path", "required": True, "aliases": ["path"]}}
SUPPORTS_CHECK_MODE = True


def main(m):
    src = m.params["src"]
    try:
        with open(src, "rb") as f:
            data = f.read()
    except (IOError, OSError) as e:
        if e.errno == errno.ENOENT:
            msg = "file not found: %s" % src
        elif e.errno == errno.EACCES:
            msg = "file is not readable: %s" % src
        elif e.errno == errno.EISDIR:
            msg = "source is a directory and must be a file: %s" % src
        else:
            msg = "unable to slurp file: %s" % e
        m.fail_json(msg)
    return {"content": base64.b64encode(data).decode("ascii"), "source": src, "encoding": "base64",
            "changed": False}
