"""systemd: control systemd units with systemctl (state, enabled, masked, daemon-reload)."""

import os

ARGUMENT_SPEC = {
    "name": {"type": "str", "aliases": ["service", "unit"]},
    "state": {"type": "str", "choices": ["reloaded", "restarted", "started", "stopped"]},
    "enabled": {"type": "bool"},
    "force": {"type": "bool"},
    "masked": {"type": "bool"},
    "daemon_reload": {"type": "bool", "default": False, "aliases": ["daemon-reload"]},
    "daemon_reexec": {"type": "bool", "default": False, "aliases": ["daemon-reexec"]},
    "scope": {"type": "str", "default": "system", "choices": ["global", "system", "user"]},
    "no_block": {"type": "bool", "default": False},
}
SUPPORTS_CHECK_MODE = True
REQUIRED_ONE_OF = [["state", "enabled", "masked", "daemon_reload", "daemon_reexec"]]
REQUIRED_BY = {"state": "name", "enabled": "name", "masked": "name"}


def parse_show(text):
    """systemctl show output: Key=Value lines; values in {...} may span lines."""
    out = {}
    key = None
    buf = []
    for line in text.splitlines():
        if key is not None:
            buf.append(line)
            if line.rstrip().endswith("}"):
                out[key] = "\n".join(buf)
                key = None
            continue
        if "=" not in line:
            continue
        k, v = line.split("=", 1)
        if v.lstrip().startswith("{") and not v.rstrip().endswith("}"):
            key, buf = k, [v]
            continue
        out[k] = v
    return out


def is_running(status):
    return status.get("ActiveState") in ("active", "activating", "reloading")


def state_action(state, running):
    """The service command that reaches ``state`` from ``running`` (None: nothing to do)."""
    if state == "started":
        return None if running else "start"
    if state == "stopped":
        return "stop" if running else None
    if state == "restarted":
        return "restart"
    if state == "reloaded":
        return "reload" if running else "start"
    return None


def systemd_booted():
    return os.path.isdir("/run/systemd/system")


def main(m):
    return control(m)


def control(m):
    p = m.params
    unit = p["name"]
    for opt in ("state", "enabled", "masked"):
        if p[opt] is not None and not unit:
            m.fail_json(msg="missing parameter(s) required by '%s': name" % opt)
    systemctl = m.get_bin_path("systemctl", True)
    base = [systemctl]
    if p["scope"] != "system":
        base.append("--%s" % p["scope"])
    if p["no_block"]:
        base.append("--no-block")
    if p["force"]:
        base.append("--force")
    if not systemd_booted() and p["scope"] != "global":
        if unit:
            # Ansible, finding neither show nor list-unit-files working, runs bare systemctl and fails
            # with what it says (e.g. "System has not been booted with systemd as init system")
            m.run_command(" ".join(base), check_rc=True)
        m.fail_json(msg="systemd is not the init system here (no /run/systemd/system): cannot manage %s" % unit
                    if unit else "systemd is not the init system here (no /run/systemd/system)")
    res = {"name": unit, "changed": False, "status": {}}
    if p["daemon_reload"] and not m.check_mode:
        m.run_command(base + ["daemon-reload"], check_rc=True)
    if p["daemon_reexec"] and not m.check_mode:
        m.run_command(base + ["daemon-reexec"], check_rc=True)
    if not unit:
        return res
    if "." not in unit:
        unit_q = unit + ".service" if "@" not in unit else unit
    else:
        unit_q = unit
    rc, out, err = m.run_command(base + ["show", unit_q])
    if rc != 0:
        m.fail_json(msg="Error loading unit file '%s': %s" % (unit, err.strip()))
    status = parse_show(out)
    res["status"] = status
    found = status.get("LoadState") != "not-found" or status.get("UnitFileState") not in (None, "")
    is_masked = status.get("LoadState") == "masked" or status.get("UnitFileState") == "masked"

    if p["masked"] is not None and p["masked"] != is_masked:
        res["changed"] = True
        if not m.check_mode:
            rc, o, e = m.run_command(base + ["mask" if p["masked"] else "unmask", unit_q])
            if rc != 0:
                m.fail_json(msg="Unable to %s service %s: %s" % ("mask" if p["masked"] else "unmask", unit, e))
        is_masked = p["masked"]
    if (p["state"] or p["enabled"] is not None) and not found:
        m.fail_json(msg="Could not find the requested service %s: host" % unit)
    if p["enabled"] is not None:
        rc, o, e = m.run_command(base + ["is-enabled", unit_q])
        enabled_now = rc == 0 and o.strip() not in ("static", "indirect", "alias")
        if o.strip() in ("static", "indirect", "alias", "generated", "transient"):
            enabled_now = p["enabled"]  # cannot be toggled; Ansible reports no change
        if enabled_now != p["enabled"]:
            res["changed"] = True
            if not m.check_mode:
                rc, o, e = m.run_command(base + ["enable" if p["enabled"] else "disable", unit_q])
                if rc != 0:
                    m.fail_json(msg="Unable to %s service %s: %s" % ("enable" if p["enabled"] else "disable",
                                                                     unit, e))
        res["enabled"] = p["enabled"]
    if p["state"]:
        if is_masked:
            m.fail_json(msg="Service is in unknown state", status=status)
        action = state_action(p["state"], is_running(status))
        if action:
            res["changed"] = True
            if not m.check_mode:
                rc, o, e = m.run_command(base + [action, unit_q])
                if rc != 0:
                    m.fail_json(msg="Unable to %s service %s: %s" % (action, unit, e))
        res["state"] = p["state"]
    return res
