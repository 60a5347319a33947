"""user: local accounts on Linux with the shadow tools (useradd/usermod/userdel)."""

import grp
import os
import pwd
import shutil
import time

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True, "aliases": ["user"]},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "uid": {"type": "int"},
    "non_unique": {"type": "bool", "default": False},
    "group": {"type": "str"},
    "groups": {"type": "list", "elements": "str"},
    "comment": {"type": "str"},
    "home": {"type": "path"},
    "shell": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "login_class": {"type": "str"},
    "password_expire_max": {"type": "int", "no_log": False},
    "password_expire_min": {"type": "int", "no_log": False},
    "hidden": {"type": "bool"},
    "seuser": {"type": "str"},
    "force": {"type": "bool", "default": False},
    "remove": {"type": "bool", "default": False},
    "create_home": {"type": "bool", "default": True, "aliases": ["createhome"]},
    "skeleton": {"type": "str"},
    "system": {"type": "bool", "default": False},
    "move_home": {"type": "bool", "default": False},
    "append": {"type": "bool", "default": False},
    "generate_ssh_key": {"type": "bool"},
    "ssh_key_bits": {"type": "int", "default": 0, "no_log": False},
    "ssh_key_type": {"type": "str", "default": "rsa", "no_log": False},
    "ssh_key_file": {"type": "path", "no_log": False},
    "ssh_key_comment": {"type": "str", "no_log": False},
    "ssh_key_passphrase": {"type": "str", "no_log": True},
    "update_password": {"type": "str", "default": "always", "choices": ["always", "on_create"], "no_log": False},
    "expires": {"type": "float"},
    "password_lock": {"type": "bool", "no_log": False},
    "local": {"type": "bool"},
    "profile": {"type": "str"},
    "authorization": {"type": "str"},
    "role": {"type": "str"},
    "umask": {"type": "str"},
}
SUPPORTS_CHECK_MODE = True


def _pw(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def _shadow_hash(name):
    try:
        with open("/etc/shadow") as f:
            for line in f:
                fields = line.split(":")
                if fields[0] == name:
                    return fields[1]
    except (IOError, OSError):
        pass
    return None


def _gid_of(m, group):
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        try:
            return grp.getgrgid(int(group)).gr_gid
        except (KeyError, ValueError):
            m.fail_json(msg="Group %s does not exist" % group)


def _current_groups(name, primary_gid):
    return sorted(g.gr_name for g in grp.getgrall() if name in g.gr_mem and g.gr_gid != primary_gid)


def _want_groups(m):
    groups = [g.strip() for g in (m.params["groups"] or []) if g.strip()]
    for g in groups:
        _gid_of(m, g)
    return groups


def _run(m, cmd):
    rc, out, err = m.run_command(cmd)
    if rc != 0:
        m.fail_json(name=m.params["name"], msg=err.strip() or out.strip(), rc=rc)
    return rc, out, err


def create(m):
    p = m.params
    cmd = [m.get_bin_path("useradd", True)]
    if p["uid"] is not None:
        cmd += ["-u", str(p["uid"])]
        if p["non_unique"]:
            cmd.append("-o")
    if p["group"] is not None:
        cmd += ["-g", str(_gid_of(m, p["group"]))]
    elif _group_exists(p["name"]):
        # a group named like the user exists already: make it the primary group, as Ansible does
        cmd += ["-g", str(_gid_of(m, p["name"]))]
    else:
        cmd.append("-U")
    groups = _want_groups(m)
    if groups:
        cmd += ["-G", ",".join(groups)]
    if p["comment"] is not None:
        cmd += ["-c", p["comment"]]
    if p["home"] is not None:
        parent = os.path.dirname(p["home"])
        if p["create_home"] and parent and not os.path.isdir(parent):
            os.makedirs(parent, 0o755)
        cmd += ["-d", p["home"]]
    if p["shell"] is not None:
        cmd += ["-s", p["shell"]]
    if p["expires"] is not None:
        cmd += ["-e", _expire_date(p["expires"])]
    if p["password"] is not None:
        cmd += ["-p", p["password"]]
    if p["create_home"]:
        cmd.append("-m")
        if p["skeleton"]:
            cmd += ["-k", p["skeleton"]]
        if p["umask"]:
            cmd += ["-K", "UMASK=" + p["umask"]]
    else:
        cmd.append("-M")
    if p["system"]:
        cmd.append("-r")
    cmd.append(p["name"])
    return _run(m, cmd)


def _group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def _expire_date(value):
    if value < 0:
        return ""
    return time.strftime("%Y-%m-%d", time.gmtime(value))


def modify(m, info):
    p = m.params
    cmd = []
    if p["uid"] is not None and info.pw_uid != p["uid"]:
        cmd += ["-u", str(p["uid"])]
        if p["non_unique"]:
            cmd.append("-o")
    if p["group"] is not None:
        gid = _gid_of(m, p["group"])
        if info.pw_gid != gid:
            cmd += ["-g", str(gid)]
    if p["groups"] is not None:
        want = _want_groups(m)
        have = _current_groups(p["name"], info.pw_gid)
        primary = grp.getgrgid(info.pw_gid).gr_name if p["group"] is None else p["group"]
        want_set = set(g for g in want if g != primary)
        if p["append"]:
            if not want_set.issubset(have):
                cmd += ["-a", "-G", ",".join(sorted(want_set))]
        elif want_set != set(have):
            cmd += ["-G", ",".join(sorted(want_set))]
    if p["comment"] is not None and info.pw_gecos != p["comment"]:
        cmd += ["-c", p["comment"]]
    if p["home"] is not None and info.pw_dir != p["home"]:
        cmd += ["-d", p["home"]]
        if p["move_home"]:
            cmd.append("-m")
    if p["shell"] is not None and info.pw_shell != p["shell"]:
        cmd += ["-s", p["shell"]]
    if p["password"] is not None and p["update_password"] == "always":
        if _shadow_hash(p["name"]) != p["password"]:
            cmd += ["-p", p["password"]]
    if p["password_lock"] is not None:
        h = _shadow_hash(p["name"]) or ""
        if p["password_lock"] and not h.startswith("!"):
            cmd.append("-L")
        elif p["password_lock"] is False and h.startswith("!"):
            cmd.append("-U")
    if p["expires"] is not None:
        cmd += ["-e", _expire_date(p["expires"])]
        if _current_expiry(p["name"]) == _expire_days(p["expires"]):
            cmd = cmd[:-2]
    if not cmd:
        return None, "", ""
    if m.check_mode:
        return 0, "", ""
    return _run(m, [m.get_bin_path("usermod", True)] + cmd + [p["name"]])


def _current_expiry(name):
    try:
        with open("/etc/shadow") as f:
            for line in f:
                fields = line.rstrip("\n").split(":")
                if fields[0] == name and len(fields) > 7:
                    return fields[7]
    except (IOError, OSError):
        pass
    return None


def _expire_days(value):
    if value < 0:
        return ""
    return str(int(value // 86400))


def remove(m):
    cmd = [m.get_bin_path("userdel", True)]
    if m.params["force"]:
        cmd.append("-f")
    if m.params["remove"]:
        cmd.append("-r")
    return _run(m, cmd + [m.params["name"]])


def ssh_key(m, info, res):
    p = m.params
    path = p["ssh_key_file"] or os.path.join(".ssh", "id_%s" % p["ssh_key_type"])
    if not os.path.isabs(path):
        path = os.path.join(info.pw_dir, path)
    res["ssh_key_file"] = path
    if not os.path.exists(path):
        if not m.check_mode:
            d = os.path.dirname(path)
            if not os.path.isdir(d):
                os.makedirs(d, 0o700)
                os.chown(d, info.pw_uid, info.pw_gid)
            cmd = [m.get_bin_path("ssh-keygen", True), "-t", p["ssh_key_type"], "-q", "-f", path,
                   "-N", p["ssh_key_passphrase"] or ""]
            if p["ssh_key_bits"]:
                cmd += ["-b", str(p["ssh_key_bits"])]
            cmd += ["-C", p["ssh_key_comment"] or "ansible-generated on %s" % os.uname()[1]]
            _run(m, cmd)
            for f in (path, path + ".pub"):
                os.chown(f, info.pw_uid, info.pw_gid)
        res["changed"] = True
    if os.path.exists(path + ".pub"):
        rc, out, err = m.run_command([m.get_bin_path("ssh-keygen", True), "-l", "-f", path])
        res["ssh_fingerprint"] = out.strip() if rc == 0 else err.strip()
        with open(path + ".pub") as f:
            res["ssh_public_key"] = f.read().strip()


def main(m):
    p = m.params
    name = p["name"]
    res = {"name": name, "state": p["state"]}
    info = _pw(name)
    rc = None
    if p["state"] == "absent":
        if info is not None:
            if m.check_mode:
                return {"changed": True, "name": name, "state": "absent"}
            remove(m)
            rc = 0
            res["force"], res["remove"] = p["force"], p["remove"]
        res["changed"] = rc is not None
        return res
    if info is None:
        if m.check_mode:
            return {"changed": True, "name": name, "state": "present"}
        rc, _out, _err = create(m)
        res["system"] = p["system"]
        res["create_home"] = p["create_home"]
    else:
        rc, _out, _err = modify(m, info)
        res["append"] = p["append"]
        res["move_home"] = p["move_home"]
    if p["password"] is not None:
        res["password"] = "NOT_LOGGING_PASSWORD"
    res["changed"] = rc is not None
    info = _pw(name)
    if info is not None:
        res.update({"uid": info.pw_uid, "group": info.pw_gid, "comment": info.pw_gecos, "home": info.pw_dir,
                    "shell": info.pw_shell})
        if p["groups"] is not None:
            res["groups"] = ",".join(p["groups"])
        if p["create_home"] and not os.path.exists(info.pw_dir):
            if not m.check_mode:
                skel = p["skeleton"] or "/etc/skel"
                if os.path.isdir(skel):
                    shutil.copytree(skel, info.pw_dir, symlinks=True)
                else:
                    os.makedirs(info.pw_dir)
                for root, dirs, files in os.walk(info.pw_dir):
                    for n in [root] + [os.path.join(root, x) for x in dirs + files]:
                        os.lchown(n, info.pw_uid, info.pw_gid)
            res["changed"] = True
        if p["generate_ssh_key"]:
            ssh_key(m, info, res)
        changed = _password_expiry(m, name)
        res["changed"] = res["changed"] or changed
    return res


def _password_expiry(m, name):
    p = m.params
    args = []
    fields = None
    try:
        with open("/etc/shadow") as f:
            for line in f:
                parts = line.rstrip("\n").split(":")
                if parts[0] == name:
                    fields = parts
    except (IOError, OSError):
        return False
    if fields is None:
        return False
    if p["password_expire_min"] is not None and fields[3] != str(p["password_expire_min"]):
        args += ["-m", str(p["password_expire_min"])]
    if p["password_expire_max"] is not None and fields[4] != str(p["password_expire_max"]):
        args += ["-M", str(p["password_expire_max"])]
    if not args:
        return False
    if not m.check_mode:
        _run(m, [m.get_bin_path("chage", True)] + args + [name])
    return True

