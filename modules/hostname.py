"""hostname: set the system's hostname (hostnamectl where systemd runs, else /etc/hostname + hostname)."""

import os
import socket

from mito.modules import _common as C

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "use": {"type": "str", "choices": ["alpine", "debian", "freebsd", "generic", "macos", "macosx", "darwin",
                                       "openbsd", "openrc", "redhat", "sles", "solaris", "systemd"]},
}
SUPPORTS_CHECK_MODE = True


def _strategy(m):
    use = m.params["use"]
    if use:
        return "systemd" if use == "systemd" else "file"
    if os.path.isdir("/run/systemd/system") and m.get_bin_path("hostnamectl"):
        return "systemd"
    return "file"


def _permanent(strategy, m):
    if strategy == "systemd":
        rc, out, _ = m.run_command([m.get_bin_path("hostnamectl", True), "--static", "status"])
        if rc == 0:
            return out.strip()
    try:
        with open("/etc/hostname") as f:
            return f.read().strip()
    except IOError:
        return ""


def main(m):
    name = m.params["name"]
    strategy = _strategy(m)
    current = socket.gethostname()
    permanent = _permanent(strategy, m)
    changed = False
    if current != name or permanent != name:
        changed = True
        if not m.check_mode:
            if strategy == "systemd":
                m.run_command([m.get_bin_path("hostnamectl", True), "set-hostname", name], check_rc=True)
            else:
                C.write_atomic("/etc/hostname", (name + "\n").encode("utf-8"))
                m.run_command([m.get_bin_path("hostname", True), name], check_rc=True)
    short = name.split(".")[0]
    try:
        fqdn = socket.getfqdn() if not changed else name
    except Exception:
        fqdn = name
    facts = {"ansible_hostname": short, "ansible_nodename": name, "ansible_fqdn": fqdn,
             "ansible_domain": ".".join(fqdn.split(".")[1:])}
    return {"changed": changed, "name": name, "ansible_facts": facts,
            "diff": {"before": "hostname = %s\n" % current, "after": "hostname = %s\n" % name}}
