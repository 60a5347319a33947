"""script (target side): run a script the controller has already put on the target.

``path`` is the transferred file (made executable here), ``args`` the rest of the
task's command line; creates/removes/chdir/executable as Ansible's script action.
"""

import glob
import os
import shlex
import stat

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "args": {"type": "str", "default": ""},
    "creates": {"type": "path"},
    "removes": {"type": "path"},
    "chdir": {"type": "path"},
    "executable": {"type": "str"},
    "remove_after": {"type": "bool", "default": True},
}
SUPPORTS_CHECK_MODE = True


def main(m):
    p = m.params
    path = p["path"]
    try:
        if p["creates"] and glob.glob(p["creates"]):
            return {"changed": False, "skipped": True, "rc": 0,
                    "msg": "skipped, since %s exists" % p["creates"]}
        if p["removes"] and not glob.glob(p["removes"]):
            return {"changed": False, "skipped": True, "rc": 0,
                    "msg": "skipped, since %s does not exist" % p["removes"]}
        if m.check_mode:
            return {"changed": True, "msg": "Command would have run if not in check mode"}
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        argv = shlex.split(p["executable"]) if p["executable"] else []
        cmd = " ".join(shlex.quote(a) for a in argv + [path])
        if p["args"]:
            cmd += " " + p["args"]
        rc, out, err = m.run_command(cmd, use_unsafe_shell=True, cwd=p["chdir"])
        res = {"changed": True, "rc": rc, "stdout": out, "stderr": err}
        if rc != 0:
            m.fail_json(msg="non-zero return code", **res)
        return res
    finally:
        if p["remove_after"] and not m.check_mode:
            try:
                os.unlink(path)
            except OSError:
                pass
