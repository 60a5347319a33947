"""group: add, modify or remove a local group (groupadd/groupmod/groupdel)."""

import grp

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "gid": {"type": "int"},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "force": {"type": "bool", "default": False},
    "system": {"type": "bool", "default": False},
    "local": {"type": "bool", "default": False},
    "non_unique": {"type": "bool", "default": False},
}
SUPPORTS_CHECK_MODE = True
REQUIRED_IF = [["non_unique", True, ["gid"]]]


def _info(name):
    try:
        return grp.getgrnam(name)
    except KeyError:
        return None


def main(m):
    p = m.params
    name, state = p["name"], p["state"]
    res = {"name": name, "state": state, "changed": False}
    current = _info(name)
    if state == "absent":
        if current is not None:
            res["changed"] = True
            if not m.check_mode:
                cmd = [m.get_bin_path("groupdel", True)]
                if p["force"]:
                    cmd.append("-f")
                rc, out, err = m.run_command(cmd + [name])
                if rc != 0:
                    m.fail_json(name=name, msg=err.strip() or out.strip(), rc=rc)
        return res
    if current is None:
        res["changed"] = True
        if not m.check_mode:
            cmd = [m.get_bin_path("groupadd", True)]
            if p["gid"] is not None:
                cmd += ["-g", str(p["gid"])]
                if p["non_unique"]:
                    cmd.append("-o")
            if p["system"]:
                cmd.append("-r")
            rc, out, err = m.run_command(cmd + [name])
            if rc != 0:
                m.fail_json(name=name, msg=err.strip() or out.strip(), rc=rc)
    elif p["gid"] is not None and current.gr_gid != p["gid"]:
        res["changed"] = True
        if not m.check_mode:
            cmd = [m.get_bin_path("groupmod", True), "-g", str(p["gid"])]
            if p["non_unique"]:
                cmd.append("-o")
            rc, out, err = m.run_command(cmd + [name])
            if rc != 0:
                m.fail_json(name=name, msg=err.strip() or out.strip(), rc=rc)
    now = _info(name)
    res["system"] = p["system"]
    if now is not None:
        res["gid"] = now.gr_gid
    elif p["gid"] is not None:
        res["gid"] = p["gid"]
    return res
