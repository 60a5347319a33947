"""command: run a program without a shell (shell=True via _uses_shell, as the shell module does)."""

import datetime
import glob
import os
import shlex

ARGUMENT_SPEC = {
    "_raw_params": {"type": "str"},
    "_uses_shell": {"type": "bool", "default": False},
    "argv": {"type": "list", "elements": "str"},
    "chdir": {"type": "path"},
    "executable": {"type": "str"},
    "creates": {"type": "path"},
    "removes": {"type": "path"},
    "stdin": {"type": "str"},
    "stdin_add_newline": {"type": "bool", "default": True},
    "strip_empty_ends": {"type": "bool", "default": True},
}
SUPPORTS_CHECK_MODE = True


def main(m):
    p = m.params
    shell = p["_uses_shell"]
    args, argv, executable = p["_raw_params"], p["argv"], p["executable"]
    r = {"changed": False, "stdout": "", "stderr": "", "rc": None, "cmd": None, "start": None,
         "end": None, "delta": None, "msg": ""}

    if not shell and executable:
        m.warn("As of Ansible 2.4, the parameter 'executable' is no longer supported with the "
               "'command' module. Not using '%s'." % executable)
        executable = None
    if (not args or not args.strip()) and not argv:
        r["rc"] = 256
        m.fail_json(msg="no command given", **_without(r, "msg"))
    if args and argv:
        r["rc"] = 256
        m.fail_json(msg="only command or argv can be given, not both", **_without(r, "msg"))

    if not shell and args:
        args = shlex.split(args)
    args = args or argv
    if shell and isinstance(args, list):
        args = " ".join(shlex.quote(a) for a in args)
    r["cmd"] = args

    if p["chdir"]:
        try:
            os.chdir(p["chdir"])
        except OSError as e:
            m.fail_json(msg="Unable to change directory before execution: %s" % e, **_without(r, "msg"))

    shoulda = "Would" if m.check_mode else "Did"
    if p["creates"] and glob.glob(p["creates"]):
        r["msg"] = "%s not run command since '%s' exists" % (shoulda, p["creates"])
        r["stdout"] = "skipped, since %s exists" % p["creates"]
        r["rc"] = 0
    if not r["msg"] and p["removes"] and not glob.glob(p["removes"]):
        r["msg"] = "%s not run command since '%s' does not exist" % (shoulda, p["removes"])
        r["stdout"] = "skipped, since %s does not exist" % p["removes"]
        r["rc"] = 0
    if r["msg"]:
        return r

    r["changed"] = True
    if not m.check_mode:
        start = datetime.datetime.now()
        r["rc"], r["stdout"], r["stderr"] = m.run_command(
            args, executable=executable, use_unsafe_shell=shell, data=p["stdin"],
            binary_data=not p["stdin_add_newline"])
        end = datetime.datetime.now()
        r["start"], r["end"], r["delta"] = str(start), str(end), str(end - start)
    else:
        r["rc"] = 0
        r["msg"] = "Command would have run if not in check mode"
        if p["creates"] is None and p["removes"] is None:
            r["skipped"] = True
            r["changed"] = False

    if p["strip_empty_ends"]:
        r["stdout"] = r["stdout"].rstrip("\r\n")
        r["stderr"] = r["stderr"].rstrip("\r\n")
    if r["rc"] != 0:
        m.fail_json(msg="non-zero return code", **_without(r, "msg"))
    return r


def _without(d, key):
    return dict((k, v) for k, v in d.items() if k != key)
