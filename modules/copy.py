"""copy (target side): put content that already reached the target into place.

The controller sends either ``content`` (str or bytes, inline in the task call) or
``src``, a path on the target (the transferred temp file, or any file/dir with
``remote_src``), plus ``checksum`` (sha1 of the source as the controller saw it).
The destination is written atomically: hidden temp file in the destination
directory, fsync, rename.
"""

import base64
import os
import shutil
import stat
import tempfile

from mito.modules import _common as C

ARGUMENT_SPEC = {
    "src": {"type": "path"},
    "_original_basename": {"type": "str"},
    # the controller streamed src beside dest for this task alone: it may be renamed into place
    "_move_src": {"type": "bool", "default": False, "internal": True},
    # censored in the invocation, but not masked in the output: Ansible's copy never hands the
    # content to the module, so a short content like "0" must not turn "0644" into "********644"
    "content": {"type": "raw", "no_log": True, "mask_output": False},
    "_content_base64": {"type": "str", "no_log": True, "mask_output": False, "internal": True},
    "dest": {"type": "path", "required": True},
    "backup": {"type": "bool", "default": False},
    "force": {"type": "bool", "default": True},
    "validate": {"type": "str"},
    "directory_mode": {"type": "raw"},
    "remote_src": {"type": "bool", "default": False},
    "local_follow": {"type": "bool"},
    "checksum": {"type": "str"},
    # sha1 and md5 of src as the target wrote it, hashed as the bytes arrived: src need not be read again
    "_src_checksums": {"type": "dict", "internal": True},
    # the controller-side source the diff's "after" header names (the target only sees bytes or a temp file)
    "_diff_after_header": {"type": "str", "internal": True},
    "follow": {"type": "bool", "default": False},
    # an option of Ansible's copy action, not of its module
    "decrypt": {"type": "bool", "default": True, "internal": True},
}
ADD_FILE_COMMON_ARGS = True
SUPPORTS_CHECK_MODE = True
NO_LOG_EXEMPT_KEYS = ("diff",)
MUTUALLY_EXCLUSIVE = [["content", "src"]]
REQUIRED_ONE_OF = [["content", "src", "_content_base64"]]


# Ansible's max_diff_size default: larger files are not diffed, the output says so instead.
MAX_DIFF_SIZE = 104448


def _diff(before_path, data, src, after_header):
    """--diff for a file about to be replaced, shaped like Ansible's copy/template action's."""
    diff = {}
    if before_path is not None:
        diff["before_header"] = before_path
        if os.path.getsize(before_path) > MAX_DIFF_SIZE:
            diff["dst_larger"] = MAX_DIFF_SIZE
        else:
            before = _read(before_path) or b""
            if b"\x00" in before:
                diff["dst_binary"] = 1
            else:
                diff["before"] = before.decode("utf-8", "replace")
    else:
        diff["before"] = ""
    diff["after_header"] = after_header
    size = len(data) if data is not None else os.path.getsize(src)
    if size > MAX_DIFF_SIZE:
        diff["src_larger"] = MAX_DIFF_SIZE
    else:
        after = data if data is not None else (_read(src) or b"")
        if b"\x00" in after:
            diff["src_binary"] = 1
        else:
            diff["after"] = after.decode("utf-8", "replace")
    if any(k in diff for k in ("dst_larger", "dst_binary", "src_larger", "src_binary")):
        diff.pop("before", None)
        diff.pop("after", None)
    return diff


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except (IOError, OSError):
        return None


def _make_dirs(m, dirname, changed):
    """Create missing parents, giving new ones directory_mode/owner/group."""
    missing = []
    d = dirname
    while d and not os.path.exists(d):
        missing.append(d)
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    for d in reversed(missing):
        os.mkdir(d)
        args = {"path": d, "mode": m.params["directory_mode"], "owner": m.params["owner"],
                "group": m.params["group"]}
        changed = m.set_fs_attributes_if_different(args, changed)
    return bool(missing) or changed


def main(m):
    p = m.params
    src, dest = p["src"], p["dest"]
    content = p["content"]
    if p["_content_base64"] is not None:
        content = base64.b64decode(p["_content_base64"])
    if isinstance(content, (bytearray, memoryview)):
        content = bytes(content)
    if content is not None:
        data = C.to_bytes(content) if not isinstance(content, bytes) else content
    else:
        data = None
        if not os.path.exists(src):
            m.fail_json(msg="Source %s not found" % src)
        if not os.access(src, os.R_OK):
            m.fail_json(msg="Source %s not readable" % src)
        if os.path.isdir(src):
            if not p["remote_src"]:
                m.fail_json(msg="Remote copy does not support recursive copy of directory: %s" % src)
            return _copy_tree(m, src, dest)
    if data is not None:
        checksum_src = C.checksum_bytes(data)
        md5_src = C.checksum_bytes(data, "md5")
        size_src = len(data)
    elif p["_src_checksums"] and not p["remote_src"]:
        checksum_src, md5_src = p["_src_checksums"].get("sha1"), p["_src_checksums"].get("md5")
        size_src = os.path.getsize(src)
    else:
        checksum_src, md5_src = C.checksums(src, ("sha1", "md5"))
        size_src = os.path.getsize(src)
    if p["checksum"] and checksum_src != p["checksum"]:
        m.fail_json(msg="Copied file does not match the expected checksum. Transfer failed.",
                    checksum=checksum_src, expected_checksum=p["checksum"])

    changed = False
    basename = p["_original_basename"] or (os.path.basename(src) if src else None)
    if dest.endswith(os.sep):
        if basename:
            dest = os.path.join(dest, basename)
        dirname = os.path.dirname(dest)
        if not os.path.exists(dirname):
            if m.check_mode:
                return {"msg": "dest directory %s would be created" % dirname, "changed": True, "src": src}
            changed = _make_dirs(m, dirname, changed)
    if os.path.isdir(dest):
        if not basename:
            m.fail_json(msg="can not use content with a dir as dest")
        dest = os.path.join(dest, basename)

    checksum_dest = None
    if os.path.lexists(dest):
        if os.path.islink(dest) and p["follow"]:
            dest = os.path.realpath(dest)
        if not p["force"]:
            return {"msg": "file already exists", "src": src, "dest": dest, "changed": False}
        if os.access(dest, os.R_OK) and os.path.isfile(dest):
            checksum_dest = C.checksum(dest)
    elif not os.path.exists(os.path.dirname(dest) or "."):
        m.fail_json(msg="Destination directory %s does not exist" % os.path.dirname(dest))
    if not os.access(os.path.dirname(dest) or ".", os.W_OK) and not p["unsafe_writes"]:
        m.fail_json(msg="Destination %s not writable" % os.path.dirname(dest))

    diff = {}
    backup_file = None
    written = None  # the file renamed into place, the result's src when there was no src file
    rewrite = checksum_src != checksum_dest or os.path.islink(dest)
    if rewrite:
        if m.diff_mode:
            existing = dest if checksum_dest is not None else None
            header = p["_diff_after_header"] or src or "dynamically generated"
            diff = _diff(existing, data, src, header)
        if not m.check_mode:
            try:
                if p["backup"] and os.path.exists(dest):
                    backup_file = C.backup_local(dest)
                if os.path.islink(dest):
                    os.unlink(dest)
                written = _install(m, src, data, dest)
            except (IOError, OSError) as e:
                m.fail_json(msg="failed to copy: %s to %s" % (src, dest), details=str(e))
        changed = True

    if rewrite:
        res = {"dest": dest, "src": src or written, "md5sum": md5_src, "checksum": checksum_src,
               "size": size_src, "changed": changed}
    else:
        # Same content: Ansible's action hands over to the file module, whose result names the path
        res = {"dest": dest, "path": dest, "checksum": checksum_src, "changed": changed}
    if backup_file:
        res["backup_file"] = backup_file
    if os.path.exists(dest):
        attr_diff = {} if m.diff_mode else None
        mode = p["mode"]
        if mode == "preserve" and src:
            mode = "0%03o" % stat.S_IMODE(os.stat(src).st_mode)
        args = {"path": dest, "mode": mode, "owner": p["owner"], "group": p["group"]}
        res["changed"] = m.set_fs_attributes_if_different(args, res["changed"], attr_diff)
        # Same content, other mode/owner: Ansible shows the file module's before/after of the path.
        if not diff and attr_diff:
            for side in ("before", "after"):
                attr_diff[side]["path"] = dest
            diff = attr_diff
    if diff:
        res["diff"] = diff
    m.add_path_info(res, dest)
    res["state"] = "file"
    return res


def _install(m, src, data, dest):
    """Write src (a path) or data (bytes) to dest atomically, validating first. Answers the temporary
    file that was renamed into place."""
    d = os.path.dirname(os.path.abspath(dest))
    if (data is None and m.params["_move_src"] and not m.params["remote_src"]
            and os.path.dirname(os.path.abspath(src)) == d):
        tmp = src  # already written and fsynced beside dest: no second copy
    else:
        fd, tmp = tempfile.mkstemp(prefix=".mito_tmp_", dir=d)
        try:
            with os.fdopen(fd, "wb") as out:
                if data is not None:
                    out.write(data)
                else:
                    with open(src, "rb") as inp:
                        shutil.copyfileobj(inp, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            os.unlink(tmp)
            raise
    try:
        if m.params["remote_src"] and src:
            shutil.copystat(src, tmp)
        validate = m.params["validate"]
        if validate:
            if "%s" not in validate:
                m.fail_json(msg="validate must contain %%s: %s" % validate)
            mode = C.parse_mode(m.params["mode"], 0o600) if m.params["mode"] not in (None, "preserve") else None
            if mode is not None:
                os.chmod(tmp, mode)
            rc, out_, err = m.run_command(validate % tmp)
            if rc != 0:
                extra = {}
                if m.params["checksum"]:
                    # Ansible's copy action adds the controller's checksum to the module's failure
                    extra["checksum"] = m.params["checksum"]
                m.fail_json(msg="failed to validate", exit_status=rc, stdout=out_, stderr=err, **extra)
        _prepare_attrs(m, src, tmp, dest)
        os.rename(tmp, dest)  # the directory is not fsynced: see _common.atomic_move
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return tmp


def _prepare_attrs(m, src, tmp, dest):
    """Give the temp file its final mode and ownership before it is renamed into place, so the
    destination never exists, even briefly, with looser permissions than asked for."""
    p = m.params
    try:
        st = os.stat(dest)
    except OSError:
        st = None
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~C.current_umask()
    if p["mode"] == "preserve" and src:
        mode = stat.S_IMODE(os.stat(src).st_mode)
    elif p["mode"] is not None:
        try:
            mode = C.parse_mode(p["mode"], mode)
        except ValueError:
            pass  # reported by the attribute pass after the move
    os.chmod(tmp, mode)
    uid = st.st_uid if st is not None else -1
    gid = st.st_gid if st is not None else -1
    try:
        if p["owner"] is not None:
            uid = C.resolve_uid(p["owner"])
        if p["group"] is not None:
            gid = C.resolve_gid(p["group"])
        if uid != -1 or gid != -1:
            os.chown(tmp, uid, gid)
    except (OSError, ValueError):
        pass  # the attribute pass after the move reports the failure


def _copy_tree(m, src, dest):
    """remote_src directory copy: 'dir/' copies the contents, 'dir' the directory itself."""
    if not src.endswith(os.sep):
        dest = os.path.join(dest, os.path.basename(src.rstrip(os.sep)))
    changed = False
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        target_dir = os.path.normpath(os.path.join(dest, rel))
        if not os.path.isdir(target_dir):
            changed = True
            if not m.check_mode:
                os.makedirs(target_dir)
                shutil.copystat(root, target_dir)
        if not m.check_mode or os.path.isdir(target_dir):
            args = {"path": target_dir, "mode": m.params["directory_mode"], "owner": m.params["owner"],
                    "group": m.params["group"]}
            if os.path.isdir(target_dir):
                changed = m.set_fs_attributes_if_different(args, changed)
        for name in files:
            s = os.path.join(root, name)
            t = os.path.join(target_dir, name)
            if os.path.islink(s) and not m.params["local_follow"]:
                want = os.readlink(s)
                if not (os.path.islink(t) and os.readlink(t) == want):
                    changed = True
                    if not m.check_mode:
                        if os.path.lexists(t):
                            os.unlink(t)
                        os.symlink(want, t)
                continue
            if C.checksum(s) != (C.checksum(t) if os.path.isfile(t) else None):
                changed = True
                if not m.check_mode:
                    C.copy_atomic(s, t, keep_dest_attrs=False)
                    shutil.copystat(s, t)
            if os.path.exists(t):
                args = {"path": t, "mode": m.params["mode"], "owner": m.params["owner"],
                        "group": m.params["group"]}
                changed = m.set_fs_attributes_if_different(args, changed)
    return {"dest": dest, "src": src, "changed": changed}
