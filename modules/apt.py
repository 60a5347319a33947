"""apt: Debian/Ubuntu packages through dpkg-query and apt-get (no python3-apt needed)."""

import fnmatch
import os
import random
import re
import time

ARGUMENT_SPEC = {
    "name": {"type": "list", "elements": "str", "aliases": ["package", "pkg"]},
    "state": {"type": "str", "default": "present",
              "choices": ["absent", "build-dep", "fixed", "latest", "present"]},
    "update_cache": {"type": "bool", "aliases": ["update-cache"]},
    "update_cache_retries": {"type": "int", "default": 5},
    "update_cache_retry_max_delay": {"type": "int", "default": 12},
    "cache_valid_time": {"type": "int", "default": 0},
    "purge": {"type": "bool", "default": False},
    "force": {"type": "bool", "default": False},
    "upgrade": {"type": "str", "choices": ["dist", "full", "no", "safe", "yes"], "default": "no"},
    "dpkg_options": {"type": "str", "default": "force-confdef,force-confold"},
    "install_recommends": {"type": "bool", "aliases": ["install-recommends"]},
    "default_release": {"type": "str", "aliases": ["default-release"]},
    "autoremove": {"type": "bool", "default": False},
    "autoclean": {"type": "bool", "default": False},
    "fail_on_autoremove": {"type": "bool", "default": False},
    "only_upgrade": {"type": "bool", "default": False},
    "force_apt_get": {"type": "bool", "default": False},
    "clean": {"type": "bool", "default": False},
    "allow_unauthenticated": {"type": "bool", "default": False, "aliases": ["allow-unauthenticated"]},
    "allow_downgrade": {"type": "bool", "default": False,
                        "aliases": ["allow-downgrade", "allow_downgrades", "allow-downgrades"]},
    "allow_change_held_packages": {"type": "bool", "default": False},
    "lock_timeout": {"type": "int", "default": 60},
    "deb": {"type": "path"},
    "policy_rc_d": {"type": "int"},
}
SUPPORTS_CHECK_MODE = True
MUTUALLY_EXCLUSIVE = [["deb", "name", "upgrade"]]
REQUIRED_ONE_OF = [["autoremove", "deb", "name", "upgrade", "update_cache", "autoclean", "clean"]]

ENV = {"DEBIAN_FRONTEND": "noninteractive", "DEBIAN_PRIORITY": "critical", "LANG": "C", "LC_ALL": "C"}
STAMP = "/var/lib/apt/periodic/update-success-stamp"
LISTS = "/var/lib/apt/lists"


def installed_version(m, name):
    """The installed version of a package, or None."""
    rc, out, _ = m.run_command(["dpkg-query", "-W", "-f", "${Status}\t${Version}\n", name],
                               environ_update=ENV)
    if rc != 0:
        return None
    for line in out.splitlines():
        status, _, version = line.partition("\t")
        # Status is "want flag state": only state 'installed' counts (not config-files etc.)
        if status.split()[-1:] == ["installed"]:
            return version
    return None


def candidate_version(m, name):
    rc, out, _ = m.run_command(["apt-cache", "policy", name], environ_update=ENV)
    mt = re.search(r"^\s*Candidate:\s*(\S+)", out, re.M)
    if rc != 0 or not mt or mt.group(1) == "(none)":
        return None
    return mt.group(1)


def expand(m, names):
    """Expand wildcards against the package cache, as Ansible does with fnmatch."""
    out = []
    for n in names:
        if any(c in n for c in "*?[") and "=" not in n:
            rc, so, _ = m.run_command(["apt-cache", "pkgnames"], environ_update=ENV)
            hits = sorted(p for p in so.split() if fnmatch.fnmatch(p, n))
            if not hits:
                m.fail_json(msg="No package(s) matching '%s' available" % n)
            out.extend(hits)
        else:
            out.append(n)
    return out


def split_version(spec):
    if "=" in spec:
        name, version = spec.split("=", 1)
        return name, version
    return spec, None


def cache_mtime():
    """When apt's lists were last refreshed, as Ansible's apt tells it: the periodic success stamp,
    else the lists directory; 0 when neither exists."""
    for path in (STAMP, LISTS):
        try:
            return os.stat(path).st_mtime
        except OSError:
            continue
    return 0


def update_cache(m, res):
    """apt-get update unless the lists are younger than cache_valid_time; retried with backoff
    like Ansible's. cache_updated is true only when the refresh moved the lists' mtime (an update
    that fetched nothing new is no change), or in check mode, which changes nothing."""
    p = m.params
    before = cache_mtime()
    res["cache_update_time"] = int(before)
    if before + p["cache_valid_time"] >= time.time():
        return
    if m.check_mode:
        res["cache_updated"] = True
        return
    err = ""
    for attempt in range(max(1, p["update_cache_retries"])):
        rc, out, err = m.run_command(["apt-get", "update", "-q"], environ_update=ENV)
        if rc == 0:
            after = cache_mtime()
            res["cache_updated"] = int(after) != int(before)
            res["cache_update_time"] = int(after)
            return
        err = err.strip() or out.strip()
        if attempt + 1 < p["update_cache_retries"]:
            time.sleep(min(2 ** attempt + random.random(), p["update_cache_retry_max_delay"]))
    m.fail_json(msg="Failed to update apt cache: %s" % (err or "unknown reason"))


def apt_get(m, action, pkgs, extra=()):
    p = m.params
    cmd = ["apt-get", "-y", "-q"]
    for opt in (p["dpkg_options"] or "").split(","):
        if opt.strip():
            cmd += ["-o", "Dpkg::Options::=--%s" % opt.strip()]
    if m.check_mode:
        cmd.append("-s")
    if p["install_recommends"] is True:
        cmd.append("--install-recommends")
    elif p["install_recommends"] is False:
        cmd.append("--no-install-recommends")
    if p["default_release"]:
        cmd += ["-t", p["default_release"]]
    if p["force"] or p["allow_unauthenticated"]:
        cmd.append("--allow-unauthenticated")
    if p["force"] or p["allow_downgrade"]:
        cmd.append("--allow-downgrades")
    if p["allow_change_held_packages"]:
        cmd.append("--allow-change-held-packages")
    if p["only_upgrade"]:
        cmd.append("--only-upgrade")
    cmd += list(extra) + [action] + list(pkgs)
    rc, out, err = m.run_command(cmd, environ_update=ENV)
    return cmd, rc, out, err


def main(m):
    p = m.params
    res = {"changed": False, "cache_updated": False}
    res["cache_update_time"] = int(cache_mtime())
    if p["update_cache"] or p["cache_valid_time"]:
        update_cache(m, res)
    if not p["name"] and p["upgrade"] in ("no", None) and not p["deb"]:
        # nothing but the cache: its update is the change, as in Ansible
        res["changed"] = res["cache_updated"]
    if p["clean"] and not m.check_mode:
        m.run_command(["apt-get", "clean"], environ_update=ENV, check_rc=True)
        res["changed"] = True

    if p["upgrade"] not in ("no", None):
        mode = {"yes": "upgrade", "safe": "upgrade", "full": "dist-upgrade", "dist": "dist-upgrade"}[p["upgrade"]]
        cmd, rc, out, err = apt_get(m, mode, [])
        if rc != 0:
            m.fail_json(msg="'%s' failed: %s" % (" ".join(cmd), err.strip()), rc=rc, stdout=out, stderr=err)
        changed = bool(re.search(r"^(Inst|Remv|Conf) ", out, re.M)) if m.check_mode else \
            not re.search(r"0 upgraded, 0 newly installed", out)
        res.update({"changed": res["changed"] or changed, "msg": out, "stdout": out, "stderr": err})
        return res

    if p["deb"]:
        return install_deb(m, res)

    names = expand(m, p["name"] or [])
    state = p["state"]
    if state == "fixed":
        cmd, rc, out, err = apt_get(m, "install", [], ["--fix-broken"])
        res.update({"changed": bool(re.search(r"^(Inst|Remv|Conf) ", out, re.M)) or "newly installed" in out,
                    "stdout": out, "stderr": err})
        return res
    todo = []
    for spec in names:
        name, version = split_version(spec)
        have = installed_version(m, name)
        if state in ("present", "build-dep"):
            if state == "build-dep" or have is None or (version and not fnmatch.fnmatch(have, version)):
                todo.append(spec)
        elif state == "latest":
            if version:
                m.fail_json(msg="version number inconsistent with state=latest: %s" % spec)
            cand = candidate_version(m, name)
            if have is None or (cand is not None and cand != have):
                todo.append(name)
        elif state == "absent":
            if have is not None and (not version or fnmatch.fnmatch(have, version)):
                todo.append(name)
    if todo:
        if state == "absent":
            action = "purge" if p["purge"] else "remove"
        elif state == "build-dep":
            action = "build-dep"
        else:
            action = "install"
        cmd, rc, out, err = apt_get(m, action, todo, ["--auto-remove"] if (p["autoremove"] and state == "absent")
                                    else [])
        if rc != 0:
            m.fail_json(msg="'%s' failed: %s" % (" ".join(cmd), err.strip() or out.strip()), rc=rc,
                        stdout=out, stderr=err, cache_updated=res["cache_updated"],
                        cache_update_time=res["cache_update_time"])
        res.update({"changed": True, "stdout": out, "stderr": err})
        if state != "absent" and not m.check_mode:
            res["diff"] = {"prepared": out}
    elif p["autoremove"] and state != "absent":
        cmd, rc, out, err = apt_get(m, "autoremove", [])
        if re.search(r"^Remv ", out, re.M) or re.search(r"[1-9]\d* to remove", out):
            res.update({"changed": True, "stdout": out, "stderr": err})
    if p["autoclean"] and not m.check_mode:
        m.run_command(["apt-get", "autoclean"], environ_update=ENV)
    return res


def install_deb(m, res):
    p = m.params
    deb = p["deb"]
    if not os.path.exists(deb):
        m.fail_json(msg="Unable to install package: %s does not exist" % deb)
    rc, out, err = m.run_command(["dpkg-deb", "-f", deb, "Package", "Version"], environ_update=ENV)
    if rc != 0:
        m.fail_json(msg="Unable to install package: %s" % err.strip())
    fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    if installed_version(m, fields.get("Package", "")) == fields.get("Version") and not p["force"]:
        return res
    if m.check_mode:
        res["changed"] = True
        return res
    rc, out, err = m.run_command(["dpkg", "-i", deb], environ_update=ENV)
    if rc != 0:
        m.fail_json(msg="%s failed" % "dpkg -i", rc=rc, stdout=out, stderr=err)
    res.update({"changed": True, "stdout": out, "stderr": err})
    return res
