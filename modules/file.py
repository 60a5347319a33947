"""file: files, directories, links, hard links, touch and removal, with mode/owner/group."""

import errno
import os
import shutil
import stat
import time


ARGUMENT_SPEC = {
    "state": {"type": "str", "choices": ["absent", "directory", "file", "hard", "link", "touch"]},
    "path": {"type": "path", "required": True, "aliases": ["dest", "name"]},
    "_original_basename": {"type": "str"},
    "recurse": {"type": "bool", "default": False},
    "force": {"type": "bool", "default": False},
    "follow": {"type": "bool", "default": True},
    "modification_time": {"type": "str"},
    "modification_time_format": {"type": "str", "default": "%Y%m%d%H%M.%S"},
    "access_time": {"type": "str"},
    "access_time_format": {"type": "str", "default": "%Y%m%d%H%M.%S"},
    "src": {"type": "path"},
    "_diff_peek": {"type": "bool"},
}
ADD_FILE_COMMON_ARGS = True
SUPPORTS_CHECK_MODE = True


def file_state(path):
    try:
        s = os.lstat(path)
    except OSError:
        return "absent"
    if stat.S_ISLNK(s.st_mode):
        return "link"
    if stat.S_ISDIR(s.st_mode):
        return "directory"
    if s.st_nlink > 1:
        return "hard"
    return "file"


def _timestamp(value, fmt, default):
    if value is None:
        value = default
    if value == "preserve":
        return None
    if value == "now":
        return "now"
    try:
        return time.mktime(time.strptime(value, fmt))
    except ValueError as e:
        raise ValueError("Error while obtaining timestamp for time %s using format %s: %s" % (value, fmt, e))


def _update_times(m, path, mtime, atime, diff, changed):
    if mtime is None and atime is None:
        return changed
    s = os.lstat(path)
    now = time.time()
    want_m = s.st_mtime if mtime is None else (now if mtime == "now" else mtime)
    want_a = s.st_atime if atime is None else (now if atime == "now" else atime)
    if mtime == "now" or atime == "now" or want_m != s.st_mtime or want_a != s.st_atime:
        if diff is not None:
            diff["before"]["mtime"] = s.st_mtime
            diff["before"]["atime"] = s.st_atime
            diff["after"]["mtime"] = want_m
            diff["after"]["atime"] = want_a
        if not m.check_mode:
            os.utime(path, (want_a, want_m))
        return True
    return changed


def _attrs(m, path, changed, diff, follow=True):
    args = m.file_args(path)
    return m.set_fs_attributes_if_different(args, changed, diff, follow)


def _finish(m, path, changed, diff, extra=None):
    res = {"path": path, "changed": changed, "diff": diff}
    if extra:
        res.update(extra)
    return m.add_path_info(res, path)


def _recurse(m, path, follow, changed, diff):
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            fp = os.path.join(root, name)
            if os.path.islink(fp):
                changed = m.set_fs_attributes_if_different(m.file_args(fp), changed, None, follow=False)
                if follow and os.path.exists(fp):
                    changed = m.set_fs_attributes_if_different(m.file_args(fp), changed, None, True)
            else:
                changed = m.set_fs_attributes_if_different(m.file_args(fp), changed, None, True)
    return changed


def main(m):
    p = m.params
    path = p["path"]
    state = p["state"]
    follow = p["follow"]
    prev = file_state(path)
    if state is None:
        if prev != "absent":
            state = prev if prev in ("file", "directory", "link", "hard") else "file"
        elif p["recurse"]:
            state = "directory"
        else:
            state = "file"
    if p["recurse"] and state != "directory":
        m.fail_json(path=path, msg="recurse option requires state to be 'directory'")
    # without src, an existing link (or hard link) only gets its attributes
    if state == "link" and p["src"] is None and prev != "link":
        m.fail_json(msg="src is required for creating new symlinks")
    if state == "hard" and p["src"] is None and prev != "hard":
        m.fail_json(msg="src is required for creating new hardlinks")
    if p["src"] is not None and state not in ("link", "hard"):
        m.fail_json(msg="src option requires state to be 'link' or 'hard'", path=path)
    # an existing directory given as dest of a link gets the source's basename
    if state in ("link", "hard") and prev == "directory" and not os.path.islink(path) and p["src"]:
        base = p["_original_basename"] or os.path.basename(p["src"].rstrip("/"))
        path = os.path.join(path, base)
        prev = file_state(path)
    try:
        mtime = _timestamp(p["modification_time"], p["modification_time_format"],
                           "now" if state == "touch" else "preserve")
        atime = _timestamp(p["access_time"], p["access_time_format"], "now" if state == "touch" else "preserve")
    except ValueError as e:
        m.fail_json(msg=str(e), path=path)
    diff = {"before": {"path": path}, "after": {"path": path}}
    if prev != state:
        diff["before"]["state"] = prev
        diff["after"]["state"] = state

    if state == "absent":
        return _absent(m, path, prev, diff)
    if state == "file":
        return _file(m, path, prev, follow, mtime, atime, diff)
    if state == "directory":
        return _directory(m, path, prev, follow, mtime, atime, diff)
    if state == "touch":
        return _touch(m, path, prev, follow, mtime, atime, diff)
    if state == "link":
        return _link(m, path, prev, p["src"], mtime, atime, diff)
    return _hard(m, path, prev, p["src"], mtime, atime, diff)


def _absent(m, path, prev, diff):
    if prev == "absent":
        return {"path": path, "changed": False, "state": "absent"}
    if not m.check_mode:
        try:
            if prev == "directory":
                shutil.rmtree(path)
            else:
                os.unlink(path)
        except OSError as e:
            if e.errno != errno.ENOENT:
                m.fail_json(msg="rmtree failed: %s" % e if prev == "directory" else "unlinking failed: %s" % e,
                            path=path)
    return {"path": path, "changed": True, "diff": diff, "state": "absent"}


def _file(m, path, prev, follow, mtime, atime, diff):
    if prev == "absent":
        m.fail_json(msg="file (%s) is absent, cannot continue" % path, path=path,
                    state="absent")
    if prev == "link" and follow and os.path.isfile(path):
        prev = "file"
    elif prev not in ("file", "hard"):
        m.fail_json(msg="file (%s) is %s, cannot continue" % (path, prev), path=path)
    changed = _attrs(m, path, False, diff, follow)
    changed = _update_times(m, path, mtime, atime, diff, changed)
    return _finish(m, path, changed, diff)


def _directory(m, path, prev, follow, mtime, atime, diff):
    if prev == "link" and follow and os.path.isdir(path):
        prev = "directory"
    changed = False
    if prev == "absent":
        if m.check_mode:
            return {"path": path, "changed": True, "diff": diff, "state": "directory"}
        curpath = ""
        parts = path.strip("/").split("/")
        if path.startswith("/"):
            curpath = "/"
        for part in parts:
            curpath = os.path.join(curpath, part)
            if not os.path.exists(curpath):
                try:
                    os.mkdir(curpath)
                except OSError as e:
                    if not (e.errno == errno.EEXIST and os.path.isdir(curpath)):
                        m.fail_json(path=path, msg="There was an issue creating %s as requested: %s"
                                    % (curpath, e))
                changed = True
                changed = _attrs(m, curpath, changed, diff)
    elif prev != "directory":
        m.fail_json(path=path, msg="%s already exists as a %s" % (path, prev))
    changed = _attrs(m, path, changed, diff, follow)
    changed = _update_times(m, path, mtime, atime, diff, changed)
    if m.params["recurse"]:
        changed = _recurse(m, path, follow, changed, diff)
    return _finish(m, path, changed, diff)


def _touch(m, path, prev, follow, mtime, atime, diff):
    changed = False
    if prev == "absent":
        changed = True
        if m.check_mode:
            return {"dest": path, "changed": True, "diff": diff}
        try:
            open(path, "ab").close()
        except (IOError, OSError) as e:
            m.fail_json(path=path, msg="Error, could not touch target: %s" % e)
    elif prev not in ("file", "directory", "hard", "link"):
        m.fail_json(path=path, msg="Cannot touch other than files, directories, and hardlinks (%s is %s)"
                    % (path, prev))
    changed = _attrs(m, path, changed, diff, follow)
    changed = _update_times(m, path, mtime, atime, diff, changed)
    return {"dest": path, "changed": changed, "diff": diff}


def _link(m, path, prev, src, mtime, atime, diff):
    force = m.params["force"]
    if src is None:
        abs_src = None
    elif not os.path.isabs(src):
        relpath = os.path.dirname(path)
        abs_src = os.path.normpath(os.path.join(relpath, src))
    else:
        abs_src = src
    if abs_src is not None and not os.path.exists(abs_src) and not force:
        m.fail_json(path=path, src=src,
                    msg='src file does not exist, use "force=yes" if you really want to create the link: %s'
                    % abs_src)
    changed = False
    if prev == "link":
        if src is not None and os.readlink(path) != src:
            changed = True
            diff["before"]["src"] = os.readlink(path)
            diff["after"]["src"] = src
    elif prev == "hard" or prev == "file":
        if not force:
            m.fail_json(dest=path, src=src, msg="refusing to convert from %s to symlink for %s" % (prev, path))
        changed = True
    elif prev == "directory":
        if not force:
            m.fail_json(dest=path, src=src, msg="refusing to convert from directory to symlink for %s" % path)
        if os.listdir(path):
            m.fail_json(dest=path, src=src, msg="the directory %s is not empty, refusing to convert it" % path)
        changed = True
    elif prev == "absent":
        changed = True
    if changed and not m.check_mode:
        if prev == "absent":
            try:
                os.symlink(src, path)
            except OSError as e:
                m.fail_json(path=path, msg="Error while linking: %s" % e)
        else:
            tmp = os.path.join(os.path.dirname(path), ".%s.%s.mito_tmp" % (os.getpid(), time.time()))
            try:
                if prev == "directory":
                    os.rmdir(path)
                os.symlink(src, tmp)
                os.rename(tmp, path)
            except OSError as e:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                m.fail_json(path=path, msg="Error while replacing: %s" % e)
    if m.check_mode and not os.path.lexists(path):
        return {"dest": path, "src": src, "changed": changed, "diff": diff}
    changed = _attrs(m, path, changed, diff, follow=False)
    changed = _update_times_link(m, path, mtime, atime, diff, changed)
    res = {"dest": path, "src": src, "changed": changed, "diff": diff}
    return m.add_path_info(res, path)


def _update_times_link(m, path, mtime, atime, diff, changed):
    if os.path.exists(path):
        return _update_times(m, path, mtime, atime, diff, changed)
    return changed


def _hard(m, path, prev, src, mtime, atime, diff):
    force = m.params["force"]
    if src is not None and not os.path.isabs(src):
        m.fail_json(msg="absolute paths are required", path=path)
    if src is not None and not os.path.exists(src):
        m.fail_json(path=path, msg="src does not exist", dest=path, src=src)
    changed = False
    if src is None:
        pass
    elif prev == "hard" or prev == "file":
        if os.stat(path).st_ino != os.stat(src).st_ino:
            if prev == "file" and not force and os.stat(path).st_nlink == 1:
                m.fail_json(dest=path, src=src, msg="Cannot link, file exists at destination")
            changed = True
    elif prev == "link":
        if not force:
            m.fail_json(dest=path, src=src, msg="Cannot link, link exists at destination")
        changed = True
    elif prev == "directory":
        if not force:
            m.fail_json(dest=path, src=src, msg="Cannot link, directory exists at destination")
        changed = True
    else:
        changed = True
    if changed and not m.check_mode:
        try:
            if prev == "absent":
                os.link(src, path)
            else:
                tmp = os.path.join(os.path.dirname(path), ".%s.%s.mito_tmp" % (os.getpid(), time.time()))
                os.link(src, tmp)
                if prev == "directory":
                    os.rmdir(path)
                os.rename(tmp, path)
        except OSError as e:
            m.fail_json(path=path, msg="Error while linking: %s" % e)
    if m.check_mode and not os.path.exists(path):
        return {"dest": path, "src": src, "changed": changed, "diff": diff}
    changed = _attrs(m, path, changed, diff)
    changed = _update_times(m, path, mtime, atime, diff, changed)
    return m.add_path_info({"dest": path, "src": src, "changed": changed, "diff": diff}, path)
