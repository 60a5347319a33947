"""unarchive (target side): unpack a tar or zip archive that is on the target into dest.

Extraction uses Python's tarfile/zipfile, so no tar/unzip binary is needed.  An
archive counts as already unpacked when every member exists in dest with the same
type, size and (tar) mtime or (zip) CRC, like Ansible's --diff based check.
"""

import fnmatch
import os
import shutil
import stat
import tarfile
import time
import zipfile
import zlib


ARGUMENT_SPEC = {
    "src": {"type": "path", "required": True},
    "dest": {"type": "path", "required": True},
    "remote_src": {"type": "bool", "default": False},
    "creates": {"type": "path"},
    "list_files": {"type": "bool", "default": False},
    "keep_newer": {"type": "bool", "default": False},
    "exclude": {"type": "list", "elements": "str", "default": []},
    "include": {"type": "list", "elements": "str", "default": []},
    "extra_opts": {"type": "list", "elements": "str", "default": []},
    "validate_certs": {"type": "bool", "default": True},
    "io_buffer_size": {"type": "int", "default": 65536},
    "copy": {"type": "bool", "default": True},
    "decrypt": {"type": "bool", "default": True},
}
ADD_FILE_COMMON_ARGS = True
SUPPORTS_CHECK_MODE = True
MUTUALLY_EXCLUSIVE = [["include", "exclude"]]


def _selected(name, include, exclude):
    if include and not any(fnmatch.fnmatch(name, pat) for pat in include):
        return False
    return not any(fnmatch.fnmatch(name, pat) for pat in exclude)


def _safe_target(m, dest, name):
    target = os.path.realpath(os.path.join(dest, name))
    root = os.path.realpath(dest)
    if target != root and not target.startswith(root + os.sep):
        m.fail_json(msg="Archive member %s would be extracted outside of %s" % (name, dest))
    return os.path.join(dest, name)


class Tar(object):
    def __init__(self, path):
        self.tf = tarfile.open(path, "r:*")
        comp = {"gz": "TgzArchive", "bz2": "TarBzipArchive", "xz": "TarXzArchive"}
        self.handler = "TarArchive"
        with open(path, "rb") as f:
            magic = f.read(6)
        if magic[:2] == b"\x1f\x8b":
            self.handler = comp["gz"]
        elif magic[:3] == b"BZh":
            self.handler = comp["bz2"]
        elif magic[:6] == b"\xfd7zXZ\x00":
            self.handler = comp["xz"]

    def members(self):
        return [(mb.name.rstrip("/"), mb) for mb in self.tf.getmembers()]

    def names(self):
        return [mb.name + ("/" if mb.isdir() and not mb.name.endswith("/") else "") for mb in self.tf.getmembers()]

    def is_current(self, target, mb):
        try:
            st = os.lstat(target)
        except OSError:
            return False
        if not _same_attributes(st, mb):
            return False
        if mb.isdir():
            return stat.S_ISDIR(st.st_mode)
        if mb.issym():
            return stat.S_ISLNK(st.st_mode) and os.readlink(target) == mb.linkname
        if mb.isfile():
            return stat.S_ISREG(st.st_mode) and st.st_size == mb.size and int(st.st_mtime) == int(mb.mtime)
        return True

    def extract(self, mb, dest):
        self.tf.extract(mb, dest, set_attrs=True)


class Zip(object):
    handler = "ZipArchive"

    def __init__(self, path):
        self.zf = zipfile.ZipFile(path)

    def members(self):
        return [(i.filename.rstrip("/"), i) for i in self.zf.infolist()]

    def names(self):
        return [i.filename for i in self.zf.infolist()]

    def is_current(self, target, info):
        try:
            st = os.lstat(target)
        except OSError:
            return False
        if info.filename.endswith("/"):
            return stat.S_ISDIR(st.st_mode)
        if not stat.S_ISREG(st.st_mode) or st.st_size != info.file_size:
            return False
        crc = 0
        with open(target, "rb") as f:
            while True:
                block = f.read(65536)
                if not block:
                    break
                crc = zlib.crc32(block, crc)
        return (crc & 0xffffffff) == info.CRC

    def extract(self, info, dest):
        path = self.zf.extract(info, dest)
        mode = (info.external_attr >> 16) & 0o7777
        if mode and not info.filename.endswith("/"):
            os.chmod(path, mode)
        t = time.mktime(info.date_time + (0, 0, -1))
        os.utime(path, (t, t))


def open_archive(path):
    if zipfile.is_zipfile(path):
        return Zip(path)
    try:
        return Tar(path)
    except tarfile.TarError:
        return None


def main(m):
    p = m.params
    src, dest = p["src"], p["dest"]
    if p["creates"] and os.path.exists(p["creates"]):
        # Ansible's unarchive action checks this before the module runs: the task is skipped
        return {"skipped": True, "changed": False, "msg": "skipped, since %s exists" % p["creates"]}
    if not os.path.exists(src):
        m.fail_json(msg="Source '%s' does not exist" % src)
    if not os.access(src, os.R_OK):
        m.fail_json(msg="Source '%s' not readable" % src)
    if not os.path.isdir(dest):
        m.fail_json(msg="Destination '%s' is not a directory" % dest)
    if p["extra_opts"]:
        m.warn("extra_opts are not used: mito unpacks with Python's tarfile/zipfile")
    archive = open_archive(src)
    if archive is None:
        m.fail_json(msg="Failed to find handler for \"%s\". Make sure the required command to extract the file "
                        "is installed." % src)
    res = {"dest": dest, "src": src, "handler": archive.handler, "changed": False,
           "extract_results": {"cmd": ["python:%s" % archive.handler, src, dest], "rc": 0, "out": "", "err": ""}}
    todo = []
    for name, mb in archive.members():
        if not name or not _selected(name, p["include"], p["exclude"]):
            continue
        target = _safe_target(m, dest, name)
        if archive.is_current(target, mb):
            continue
        if p["keep_newer"] and os.path.exists(target) and not os.path.isdir(target):
            mtime = getattr(mb, "mtime", None)
            if mtime is not None and os.path.getmtime(target) > mtime:
                continue
        todo.append((target, mb))
    if todo:
        res["changed"] = True
        if not m.check_mode:
            for target, mb in todo:
                if os.path.lexists(target) and not os.path.isdir(target):
                    os.unlink(target)
                elif os.path.isdir(target) and not os.path.islink(target) and not _is_dir_member(mb):
                    shutil.rmtree(target)
                archive.extract(mb, dest)
    if not m.check_mode:
        for name, _mb in archive.members():
            if name and _selected(name, p["include"], p["exclude"]):
                target = os.path.join(dest, name)
                if os.path.lexists(target):
                    res["changed"] = m.set_fs_attributes_if_different(m.file_args(target), res["changed"],
                                                                      follow=not os.path.islink(target))
    if p["list_files"]:
        res["files"] = [n for n in archive.names() if _selected(n.rstrip("/"), p["include"], p["exclude"])]
    return res


def _same_attributes(st, mb):
    """What tar --diff also compares, and Ansible's unarchive with it, where tar extracting as root keeps the
    archive's modes and owners: a member's mode and owner (the "./" member's are the destination's own)."""
    if os.geteuid() != 0 or mb.issym():
        return True
    return (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (mb.mode & 0o7777, mb.uid, mb.gid)


def _is_dir_member(mb):
    if isinstance(mb, tarfile.TarInfo):
        return mb.isdir()
    return mb.filename.endswith("/")
