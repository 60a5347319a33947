"""tempfile: create a temporary file or directory and return its path."""

import os
import tempfile

ARGUMENT_SPEC = {
    "state": {"type": "str", "default": "file", "choices": ["file", "directory"]},
    "path": {"type": "path"},
    "prefix": {"type": "str", "default": "ansible."},
    "suffix": {"type": "str", "default": ""},
}


def main(m):
    p = m.params
    try:
        if p["state"] == "file":
            fd, path = tempfile.mkstemp(prefix=p["prefix"], suffix=p["suffix"], dir=p["path"])
            os.close(fd)
        else:
            path = tempfile.mkdtemp(prefix=p["prefix"], suffix=p["suffix"], dir=p["path"])
    except Exception as e:
        m.fail_json(msg="Failed to create temporary %s: %s" % (p["state"], e))
    return {"changed": True, "path": path}
