"""sysctl: keep a kernel parameter in a sysctl file and, optionally, in the running kernel."""

import os
import re

from mito.modules import _common as C

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True, "aliases": ["key"]},
    "value": {"type": "str", "aliases": ["val"]},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "reload": {"type": "bool", "default": True},
    "sysctl_file": {"type": "path", "default": "/etc/sysctl.conf"},
    "ignoreerrors": {"type": "bool", "default": False},
    "sysctl_set": {"type": "bool", "default": False},
}
SUPPORTS_CHECK_MODE = True
REQUIRED_IF = [["state", "present", ["value"]]]


def _norm(v):
    return " ".join(str(v).split()) if v is not None else None


def _proc_path(name):
    return "/proc/sys/" + name.replace(".", "/")


def _kernel_value(m, name):
    rc, out, err = m.run_command([m.get_bin_path("sysctl", True), "-n", "-e", name])
    if rc != 0:
        return None
    return _norm(out)


def main(m):
    p = m.params
    name, state, path = p["name"].strip(), p["state"], p["sysctl_file"]
    value = _norm(p["value"])
    if value is not None and value.lower() in ("true", "yes", "on"):
        value = "1"
    elif value is not None and value.lower() in ("false", "no", "off"):
        value = "0"
    if state == "present" and value in (None, ""):
        m.fail_json(msg="value cannot be None or empty string")
    # Only a run that touches the kernel needs the key to exist (a chroot without /proc edits the file).
    touches_kernel = (p["sysctl_set"] and state == "present") or p["reload"]
    if touches_kernel and not p["ignoreerrors"] and not os.path.exists(_proc_path(name)):
        m.fail_json(msg="setting %s failed: %s does not exist" % (name, _proc_path(name)))
    lines = []
    if os.path.exists(path):
        with open(path) as f:
            lines = f.read().splitlines()
    file_value = None
    out = []
    changed = False
    seen = False
    for line in lines:
        mt = re.match(r"^\s*([^#;=\s][^=]*?)\s*=\s*(.*?)\s*$", line)
        if mt and mt.group(1) == name:
            file_value = _norm(mt.group(2))
            if state == "absent":
                changed = True
                continue
            if seen:
                changed = True  # duplicate definitions collapse into one
                continue
            seen = True
            if file_value != value:
                changed = True
            out.append("%s=%s" % (name, value))
        else:
            out.append(line)
    if state == "present" and not seen:
        out.append("%s=%s" % (name, value))
        changed = True
    res = {"changed": changed}
    if changed and not m.check_mode:
        d = os.path.dirname(path)
        if d and not os.path.isdir(d):
            os.makedirs(d)
        C.write_atomic(path, ("\n".join(out) + "\n").encode("utf-8"))
    if p["sysctl_set"] and state == "present":
        current = _kernel_value(m, name)
        if current != value:
            res["changed"] = True
            if not m.check_mode:
                rc, o, err = m.run_command([m.get_bin_path("sysctl", True), "-w", "%s=%s" % (name, value)])
                if rc != 0 and not p["ignoreerrors"]:
                    m.fail_json(msg="setsysctl failed: %s" % (err.strip() or o.strip()))
    elif changed and p["reload"] and not m.check_mode:
        rc, o, err = m.run_command([m.get_bin_path("sysctl", True), "-p", path])
        if rc != 0 and not p["ignoreerrors"]:
            m.fail_json(msg="Failed to reload sysctl: %s" % (err.strip() or o.strip()))
    return res
