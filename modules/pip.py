"""pip: Python packages with pip (system, a given pip executable, or a virtualenv)."""

import os
import re
import shlex
import sys

ARGUMENT_SPEC = {
    "name": {"type": "list", "elements": "str"},
    "version": {"type": "str"},
    "requirements": {"type": "str"},
    "virtualenv": {"type": "path"},
    "virtualenv_site_packages": {"type": "bool", "default": False},
    "virtualenv_command": {"type": "path", "default": "virtualenv"},
    "virtualenv_python": {"type": "str"},
    "state": {"type": "str", "default": "present",
              "choices": ["absent", "forcereinstall", "latest", "present"]},
    "extra_args": {"type": "str"},
    "editable": {"type": "bool", "default": False},
    "chdir": {"type": "path"},
    "executable": {"type": "path"},
    "umask": {"type": "str"},
}
SUPPORTS_CHECK_MODE = True
REQUIRED_ONE_OF = [["name", "requirements"]]
MUTUALLY_EXCLUSIVE = [["name", "requirements"], ["executable", "virtualenv"]]

_NAME_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")


def _canon(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _pip_cmd(m):
    p = m.params
    if p["executable"]:
        return shlex.split(p["executable"]) if " " in p["executable"] else [p["executable"]]
    if p["virtualenv"]:
        return [os.path.join(p["virtualenv"], "bin", "pip")]
    return [sys.executable, "-m", "pip"]


def _ensure_venv(m):
    p = m.params
    venv = p["virtualenv"]
    if not venv or os.path.exists(os.path.join(venv, "bin", "activate")):
        return False
    if m.check_mode:
        return True
    cmd = shlex.split(p["virtualenv_command"])
    if os.path.basename(cmd[0]) == "virtualenv" and not m.get_bin_path(cmd[0]):
        cmd = [p["virtualenv_python"] or sys.executable, "-m", "venv"]
    elif p["virtualenv_python"] and "venv" not in cmd:
        cmd += ["-p", p["virtualenv_python"]]
    if p["virtualenv_site_packages"]:
        cmd.append("--system-site-packages")
    rc, out, err = m.run_command(cmd + [venv], cwd=p["chdir"])
    if rc != 0:
        m.fail_json(msg="Failed to create virtualenv %s: %s" % (venv, err.strip() or out.strip()), cmd=cmd)
    return True


def installed(m, pip):
    rc, out, err = m.run_command(pip + ["list", "--format=freeze", "--disable-pip-version-check"],
                                 cwd=m.params["chdir"])
    if rc != 0:
        m.fail_json(msg="Unable to list installed packages: %s" % (err.strip() or out.strip()), cmd=pip)
    pkgs = {}
    for line in out.splitlines():
        if "==" in line:
            n, v = line.split("==", 1)
            pkgs[_canon(n.strip())] = v.strip()
    return pkgs


def _satisfied(have, spec):
    """Whether an installed version meets a simple version specifier list like '>=1.0,<2'."""
    if not spec:
        return True
    try:
        from pip._vendor.packaging.specifiers import SpecifierSet  # type: ignore
        return SpecifierSet(spec).contains(have, prereleases=True)
    except Exception:
        pass
    for part in spec.split(","):
        part = part.strip()
        mt = re.match(r"^(==|>=|<=|!=|~=|>|<)?\s*(.+)$", part)
        if not mt:
            return False
        op, want = mt.group(1) or "==", mt.group(2)
        a, b = _vkey(have), _vkey(want)
        ok = {"==": a == b, ">=": a >= b, "<=": a <= b, "!=": a != b, ">": a > b, "<": a < b,
              "~=": a >= b}[op]
        if not ok:
            return False
    return True


_VCS_RE = re.compile(r"(svn|git|hg|bzr)\+")


def _vkey(v):
    return [int(x) if x.isdigit() else x for x in re.split(r"[.+-]", v)]


def main(m):
    p = m.params
    state = p["state"]
    if p["version"] and (not p["name"] or len(p["name"]) > 1):
        m.fail_json(msg="version is incompatible with multiple or no names")
    res = {"changed": False, "state": state, "name": p["name"], "version": p["version"],
           "requirements": p["requirements"], "virtualenv": p["virtualenv"]}
    created = _ensure_venv(m)
    res["changed"] = created
    pip = _pip_cmd(m)
    specs = []
    for n in p["name"] or []:
        if p["version"]:
            n = "%s==%s" % (n, p["version"]) if not re.search(r"[<>=!~]", p["version"]) else n + p["version"]
        specs.append(n)
    extra = shlex.split(p["extra_args"]) if p["extra_args"] else []

    if p["requirements"]:
        todo = ["-r", p["requirements"]]
    else:
        have = {} if (m.check_mode and created) else installed(m, pip)
        todo = []
        for spec in specs:
            if "://" in spec or spec.startswith((".", "/", "git+")) or p["editable"]:
                todo.append(spec)
                continue
            mt = _NAME_RE.match(spec)
            if not mt:
                m.fail_json(msg="Unable to parse package specification: %s" % spec)
            name, ver = _canon(mt.group(1)), mt.group(3).strip()
            if state == "absent":
                if name in have:
                    todo.append(mt.group(1))
            elif state == "present":
                if name not in have or not _satisfied(have[name], ver):
                    todo.append(spec)
            else:
                todo.append(spec)
        if not todo:
            return res
    if m.check_mode:
        res["changed"] = True
        return res
    if state == "absent":
        cmd = pip + ["uninstall", "-y"] + extra + todo
    else:
        cmd = pip + ["install", "--disable-pip-version-check"]
        if state == "latest":
            cmd.append("-U")
        elif state == "forcereinstall":
            cmd.append("--force-reinstall")
        if p["editable"]:
            cmd.append("-e")
        cmd += extra + todo
    # As Ansible's pip: a requirements file or a VCS URL is judged by the installed set before and after.
    before = None
    if state != "absent" and (p["requirements"] or any(_VCS_RE.match(s) for s in specs)):
        before = installed(m, pip)
    old_umask = None
    if p["umask"]:
        old_umask = os.umask(int(p["umask"], 8))
    try:
        rc, out, err = m.run_command(cmd, cwd=p["chdir"])
    finally:
        if old_umask is not None:
            os.umask(old_umask)
    res.update({"cmd": " ".join(cmd), "stdout": out, "stderr": err})
    if rc != 0:
        m.fail_json(msg="stdout: %s\n\n:stderr: %s" % (out, err), **res)
    # What pip says it did, as Ansible's pip decides (a reinstall of what is there is no change).
    if state == "absent":
        changed = "Successfully uninstalled" in out
    elif before is None:
        changed = "Successfully installed" in out
    else:
        changed = installed(m, pip) != before
    res["changed"] = changed or created
    return res
