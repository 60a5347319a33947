"""service: start/stop/restart/reload and enable services, via systemd when it runs,
else SysV init scripts (/etc/init.d, update-rc.d/chkconfig) or OpenRC."""

import glob
import os
import re
import time

from mito.modules import systemd as _systemd

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["reloaded", "restarted", "started", "stopped"]},
    "sleep": {"type": "int"},
    "pattern": {"type": "str"},
    "enabled": {"type": "bool"},
    "runlevel": {"type": "str", "default": "default"},
    "arguments": {"type": "str", "default": "", "aliases": ["args"]},
    "use": {"type": "str", "default": "auto"},
}
SUPPORTS_CHECK_MODE = True
REQUIRED_ONE_OF = [["state", "enabled"]]


def _pattern_running(pattern):
    rx = re.compile(pattern)
    for d in glob.glob("/proc/[0-9]*"):
        try:
            with open(d + "/cmdline", "rb") as f:
                cmd = f.read().replace(b"\x00", b" ").decode("utf-8", "replace").strip()
        except (IOError, OSError):
            continue
        if cmd and rx.search(cmd) and int(os.path.basename(d)) != os.getpid():
            return True
    return False


def _sysv(m):
    p = m.params
    name = p["name"]
    script = "/etc/init.d/" + name
    service_bin = m.get_bin_path("service")
    if not os.path.exists(script) and not service_bin:
        m.fail_json(msg="Could not find the requested service %s: host" % name)
    if not os.path.exists(script):
        m.fail_json(msg="Could not find the requested service %s: host" % name)
    args = p["arguments"].split() if p["arguments"] else []

    def run(action):
        if service_bin:
            return m.run_command([service_bin, name, action] + args)
        return m.run_command([script, action] + args)

    res = {"name": name, "changed": False}
    if p["state"]:
        if p["pattern"]:
            running = _pattern_running(p["pattern"])
        else:
            rc, out, err = run("status")
            running = rc == 0
        action = _systemd.state_action(p["state"], running)
        if action:
            res["changed"] = True
            if not m.check_mode:
                if action == "restart" and not running:
                    rc, out, err = run("start")
                else:
                    rc, out, err = run(action)
                if rc != 0:
                    m.fail_json(msg=(err.strip() or out.strip() or "%s %s failed" % (name, action)), rc=rc,
                                stdout=out, stderr=err)
                if p["sleep"] and action == "restart":
                    time.sleep(p["sleep"])
        res["state"] = p["state"]
    if p["enabled"] is not None:
        links = glob.glob("/etc/rc[2345].d/S??%s" % name)
        enabled_now = bool(links)
        if enabled_now != p["enabled"]:
            res["changed"] = True
            if not m.check_mode:
                updater = m.get_bin_path("update-rc.d")
                chk = m.get_bin_path("chkconfig")
                if updater:
                    cmd = [updater, name, "enable" if p["enabled"] else "disable"]
                    if p["enabled"] and not glob.glob("/etc/rc?.d/[SK]??%s" % name):
                        cmd = [updater, name, "defaults"]
                elif chk:
                    cmd = [chk, name, "on" if p["enabled"] else "off"]
                else:
                    m.fail_json(msg="no tool found to enable or disable SysV service %s" % name)
                rc, out, err = m.run_command(cmd)
                if rc != 0:
                    m.fail_json(msg=err.strip() or out.strip(), rc=rc)
        res["enabled"] = p["enabled"]
    return res


def main(m):
    p = m.params
    use = p["use"]
    if use == "auto":
        use = "systemd" if _systemd.systemd_booted() else "sysvinit"
    if use == "systemd":
        m.params = {"name": p["name"], "state": p["state"], "enabled": p["enabled"], "force": None,
                    "masked": None, "daemon_reload": False, "daemon_reexec": False, "scope": "system",
                    "no_block": False}
        return _systemd.control(m)
    if use in ("sysvinit", "service", "sysv"):
        return _sysv(m)
    m.fail_json(msg="mito's service module does not support the %s service manager yet" % use)
