"""mount: fstab entries and active mounts (present, mounted, unmounted, remounted, absent, ephemeral)."""

import os

from mito.modules import _common as C

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True, "aliases": ["name"]},
    "src": {"type": "path"},
    "fstype": {"type": "str"},
    "opts": {"type": "str"},
    "dump": {"type": "str", "default": "0"},
    "passno": {"type": "str", "default": "0"},
    "state": {"type": "str", "required": True,
              "choices": ["absent", "absent_from_fstab", "mounted", "present", "unmounted", "remounted",
                          "ephemeral"]},
    "fstab": {"type": "str"},
    "boot": {"type": "bool", "default": True},
    "backup": {"type": "bool", "default": False},
}
SUPPORTS_CHECK_MODE = True
REQUIRED_IF = [["state", "mounted", ["src", "fstype"]], ["state", "present", ["src", "fstype"]],
               ["state", "ephemeral", ["src", "fstype"]]]


def _esc(s):
    return s.replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011").replace("\n", "\\012")


def _unesc(s):
    for a, b in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        s = s.replace(a, b)
    return s


def mounted_at(path):
    """The /proc/mounts fields of the last mount on path, or None."""
    found = None
    real = os.path.realpath(path)
    try:
        with open("/proc/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 4 and _unesc(fields[1]) in (path, real):
                    found = [_unesc(x) for x in fields]
    except IOError:
        pass
    return found


def _entry(p):
    opts = p["opts"] or "defaults"
    if not p["boot"]:
        opts = ",".join([o for o in opts.split(",") if o not in ("defaults", "auto")] + ["noauto"])
    return [_esc(p["src"]), _esc(p["path"]), p["fstype"], opts, p["dump"], p["passno"]]


def set_fstab(m, fstab, want):
    """Make the fstab line for want[1] match want; returns (changed, new_text)."""
    lines = []
    if os.path.exists(fstab):
        with open(fstab) as f:
            lines = f.read().splitlines()
    out, changed, seen = [], False, False
    for line in lines:
        fields = line.split()
        if not line.strip() or line.lstrip().startswith("#") or len(fields) < 4 or fields[1] != want[1]:
            out.append(line)
            continue
        if seen:
            changed = True
            continue
        seen = True
        have = fields + ["0", "0"][len(fields) - 4:] if len(fields) < 6 else fields[:6]
        if have != want:
            changed = True
            out.append("\t".join(want) if "\t" in line else " ".join(want))
        else:
            out.append(line)
    if not seen:
        out.append(" ".join(want))
        changed = True
    return changed, "\n".join(out) + "\n"


def unset_fstab(fstab, path):
    if not os.path.exists(fstab):
        return False, ""
    with open(fstab) as f:
        lines = f.read().splitlines()
    out = [l for l in lines if l.lstrip().startswith("#") or len(l.split()) < 2 or l.split()[1] != _esc(path)]
    return len(out) != len(lines), "\n".join(out) + ("\n" if out else "")


def _write_fstab(m, fstab, text, res):
    if m.check_mode:
        return
    if m.params["backup"] and os.path.exists(fstab):
        res["backup_file"] = C.backup_local(fstab)
    C.write_atomic(fstab, text.encode("utf-8"))


def _mount(m, p, remount=False):
    cmd = [m.get_bin_path("mount", True)]
    if remount:
        cmd += ["-o", "remount"]
        if p["opts"]:
            cmd[-1] += "," + p["opts"]
        cmd.append(p["path"])
    else:
        if p["fstype"]:
            cmd += ["-t", p["fstype"]]
        if p["opts"] and p["opts"] != "defaults":
            cmd += ["-o", p["opts"]]
        cmd += [p["src"], p["path"]]
    rc, out, err = m.run_command(cmd)
    if rc != 0:
        m.fail_json(msg="Error mounting %s: %s" % (p["path"], err.strip() or out.strip()))


def _umount(m, path):
    rc, out, err = m.run_command([m.get_bin_path("umount", True), path])
    if rc != 0:
        m.fail_json(msg="Error unmounting %s: %s" % (path, err.strip() or out.strip()))


def main(m):
    p = m.params
    fstab = p["fstab"] or "/etc/fstab"
    path, state = p["path"], p["state"]
    if state != "ephemeral" and not os.path.exists(fstab):
        # Ansible creates a missing fstab (and its directory) first, check mode or not
        try:
            if not os.path.exists(os.path.dirname(fstab)):
                os.makedirs(os.path.dirname(fstab))
            open(fstab, "a").close()
        except PermissionError:
            m.fail_json(msg="Failed to open %s due to permission issue" % fstab)
        except Exception as e:
            m.fail_json(msg="Failed to open %s due to %s" % (fstab, e))
    if path != "/" and path.endswith("/"):
        path = p["path"] = path.rstrip("/")
    res = {"name": path, "dump": p["dump"], "fstab": fstab, "fstype": p["fstype"], "opts": p["opts"],
           "passno": p["passno"], "src": p["src"], "boot": p["boot"], "changed": False}
    current = mounted_at(path)
    if state in ("absent", "absent_from_fstab"):
        changed, text = unset_fstab(fstab, path)
        if changed:
            _write_fstab(m, fstab, text, res)
            res["changed"] = True
        if state == "absent" and current is not None:
            res["changed"] = True
            if not m.check_mode:
                _umount(m, path)
                try:
                    os.rmdir(path)
                except OSError:
                    pass
        return res
    if state == "unmounted":
        if current is not None:
            res["changed"] = True
            if not m.check_mode:
                _umount(m, path)
        return res
    if state == "remounted":
        if current is None:
            m.fail_json(msg="Cannot remount %s: not mounted" % path)
        res["changed"] = True
        if not m.check_mode:
            _mount(m, p, remount=True)
        return res
    if state in ("present", "mounted"):
        changed, text = set_fstab(m, fstab, _entry(p))
        if changed:
            _write_fstab(m, fstab, text, res)
            res["changed"] = True
    if state in ("mounted", "ephemeral"):
        if current is None:
            res["changed"] = True
            if not m.check_mode:
                if not os.path.isdir(path):
                    os.makedirs(path)
                _mount(m, p)
        elif state == "mounted" and res["changed"]:
            if not m.check_mode:
                _mount(m, p, remount=True)
        elif state == "ephemeral" and (current[0] != p["src"] or current[2] != p["fstype"]):
            m.fail_json(msg="Ephemeral mount point is already mounted with a different source or type")
    return res
