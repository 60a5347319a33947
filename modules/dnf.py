"""dnf: RPM packages through the dnf command line (no python3-dnf bindings needed).

Written from Ansible's documented behaviour; this machine is Debian, so only argument
handling and the refusal without dnf are tested here.
"""

import re

ARGUMENT_SPEC = {
    "name": {"type": "list", "elements": "str", "aliases": ["pkg"], "default": []},
    "list": {"type": "str"},
    "state": {"type": "str", "choices": ["absent", "present", "installed", "removed", "latest"]},
    "enablerepo": {"type": "list", "elements": "str", "default": []},
    "disablerepo": {"type": "list", "elements": "str", "default": []},
    "conf_file": {"type": "str"},
    "disable_gpg_check": {"type": "bool", "default": False},
    "update_cache": {"type": "bool", "default": False, "aliases": ["expire-cache"]},
    "update_only": {"type": "bool", "default": False},
    "installroot": {"type": "str", "default": "/"},
    "exclude": {"type": "list", "elements": "str", "default": []},
    "security": {"type": "bool", "default": False},
    "bugfix": {"type": "bool", "default": False},
    "enable_plugin": {"type": "list", "elements": "str", "default": []},
    "disable_plugin": {"type": "list", "elements": "str", "default": []},
    "allowerasing": {"type": "bool", "default": False},
    "nobest": {"type": "bool"},
    "autoremove": {"type": "bool", "default": False},
    "download_only": {"type": "bool", "default": False},
    "download_dir": {"type": "str"},
    "cacheonly": {"type": "bool", "default": False},
    "releasever": {"type": "str"},
    "validate_certs": {"type": "bool", "default": True},
    "sslverify": {"type": "bool", "default": True},
    "lock_timeout": {"type": "int", "default": 30},
    "install_weak_deps": {"type": "bool", "default": True},
    "install_repoquery": {"type": "bool", "default": True},
    "skip_broken": {"type": "bool", "default": False},
    "use_backend": {"type": "str", "default": "auto"},
}
SUPPORTS_CHECK_MODE = True
REQUIRED_ONE_OF = [["name", "list", "update_cache"]]
MUTUALLY_EXCLUSIVE = [["name", "list"]]
BINARY = "dnf"


def _installed(m, spec):
    if spec.startswith("@") or "/" in spec:
        return None  # groups, modules, files and URLs: let the package manager decide
    rc, out, _ = m.run_command(["rpm", "-q", spec], environ_update={"LANG": "C", "LC_ALL": "C"})
    return rc == 0


def _base(m, binary):
    p = m.params
    cmd = [binary, "-y", "-q"]
    if p["conf_file"]:
        cmd += ["-c", p["conf_file"]]
    if p["disable_gpg_check"]:
        cmd.append("--nogpgcheck")
    if p["installroot"] != "/":
        cmd += ["--installroot", p["installroot"]]
    if p["releasever"]:
        cmd += ["--releasever", p["releasever"]]
    for r in p["enablerepo"]:
        cmd += ["--enablerepo", r]
    for r in p["disablerepo"]:
        cmd += ["--disablerepo", r]
    for e in p["exclude"]:
        cmd += ["--exclude", e]
    for pl in p["enable_plugin"]:
        cmd += ["--enableplugin", pl]
    for pl in p["disable_plugin"]:
        cmd += ["--disableplugin", pl]
    if p["allowerasing"]:
        cmd.append("--allowerasing")
    if p["nobest"] is True:
        cmd.append("--nobest")
    if p["cacheonly"]:
        cmd.append("--cacheonly")
    if p["skip_broken"]:
        cmd.append("--skip-broken")
    if not p["install_weak_deps"]:
        cmd.append("--setopt=install_weak_deps=False")
    if not p["sslverify"] or not p["validate_certs"]:
        cmd.append("--setopt=sslverify=False")
    if p["security"]:
        cmd.append("--security")
    if p["bugfix"]:
        cmd.append("--bugfix")
    if p["download_only"]:
        cmd.append("--downloadonly")
        if p["download_dir"]:
            cmd += ["--downloaddir", p["download_dir"]]
    return cmd


def run(m, binary=None):
    p = m.params
    wanted = binary or BINARY
    binary = m.get_bin_path(wanted)
    if not binary:
        m.fail_json(msg="%s is not installed on this host" % wanted, results=[], rc=1)
    res = {"changed": False, "msg": "", "rc": 0, "results": []}
    base = _base(m, binary)
    if p["update_cache"]:
        if not m.check_mode:
            rc, out, err = m.run_command(base + ["makecache"])
            if rc != 0:
                m.fail_json(msg="Failed to update the cache: %s" % err.strip(), rc=rc, results=[])
        res["results"].append("Cache updated")
    if p["list"]:
        rc, out, err = m.run_command(base[:1] + ["list", "--quiet", p["list"]])
        res["results"] = [l for l in out.splitlines() if l.strip()]
        return res
    state = p["state"] or ("absent" if p["autoremove"] and not p["name"] else "present")
    if state == "installed":
        state = "present"
    if state == "removed":
        state = "absent"
    names = [n.strip() for n in p["name"] if n.strip()]
    if state == "present":
        todo = [n for n in names if _installed(m, n) is not True]
        action = "install"
    elif state == "latest":
        todo = [n for n in names if n != "*"]
        action = "upgrade"
    else:
        todo = [n for n in names if _installed(m, n) is not False]
        action = "remove"
    if p["autoremove"] and state == "absent" and not names:
        todo, action = [], "autoremove"
    if state == "latest":
        if not names:
            res["msg"] = "Nothing to do"
            return res
        return _latest(m, base, binary, todo, res)  # todo == [] means '*': upgrade everything
    if not todo and action != "autoremove":
        res["msg"] = "Nothing to do"
        return res
    if m.check_mode:
        res["changed"] = True
        res["msg"] = "Check mode: No changes made, but would have if not in check mode"
        res["results"] += ["%s: %s" % (action, n) for n in todo]
        return res
    _do(m, base, action, todo, res)
    return res


def _latest(m, base, binary, names, res):
    """Install what is missing, upgrade what is installed ('*' upgrades everything)."""
    everything = not names
    missing = [] if everything else [n for n in names if _installed(m, n) is False]
    present = [] if everything else [n for n in names if n not in missing]
    rc, _out, _err = m.run_command([binary, "-q", "check-update"] + present) if (present or everything) \
        else (0, "", "")
    upgrades = rc == 100  # dnf/yum check-update: 100 means updates are available
    if not missing and not upgrades:
        res["msg"] = "Nothing to do"
        return res
    if m.check_mode:
        res["changed"] = True
        res["msg"] = "Check mode: No changes made, but would have if not in check mode"
        res["results"] += ["install: %s" % n for n in missing] + (["upgrade: %s" % n for n in present or ["*"]]
                                                                   if upgrades else [])
        return res
    if missing:
        _do(m, base, "install", missing, res)
    if upgrades:
        _do(m, base, "upgrade", present, res)
    return res


def _do(m, base, action, pkgs, res):
    rc, out, err = m.run_command(base + [action] + pkgs, environ_update={"LANG": "C", "LC_ALL": "C"})
    res["rc"] = rc
    if rc != 0:
        res["failures"] = [err.strip() or out.strip()]
        m.fail_json(msg="Failed to %s some of the specified packages" % action, **res)
    lines = [l.strip() for l in out.splitlines() if l.strip()]
    res["results"] += lines
    if not re.search(r"Nothing to do", out + err):
        res["changed"] = True
        res["msg"] = ""
    else:
        res["msg"] = res["msg"] or "Nothing to do"


def main(m):
    return run(m)
