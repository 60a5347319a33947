"""stat: facts about one path, with Ansible's full key set."""

import errno
import os
import stat as st_

from mito.modules import _common as C

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True, "aliases": ["dest", "name"]},
    "follow": {"type": "bool", "default": False},
    "get_md5": {"type": "bool", "default": False},
    "get_checksum": {"type": "bool", "default": True},
    "get_mime": {"type": "bool", "default": True, "aliases": ["mime", "mime_type", "mime-type"]},
    "get_attributes": {"type": "bool", "default": True, "aliases": ["attr", "attributes"]},
    "checksum_algorithm": {"type": "str", "default": "sha1",
                           "choices": ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"],
                           "aliases": ["checksum", "checksum_algo"]},
}
SUPPORTS_CHECK_MODE = True

# lsattr letters and the names Ansible reports for them
ATTR_NAMES = {
    "A": "noatime", "a": "append", "c": "compressed", "C": "nocow", "d": "nodump",
    "D": "dirsync", "e": "extents", "E": "encrypted", "h": "blocksize", "i": "immutable",
    "I": "indexed", "j": "journalled", "N": "inline", "s": "zero", "S": "synchronous",
    "t": "notail", "T": "blockroot", "u": "undelete", "X": "compressedraw", "Z": "compresseddirty",
    "F": "casefold", "P": "projinherit", "V": "verity", "x": "dax",
}


def stat_dict(path, s):
    mode = s.st_mode
    out = {
        "exists": True, "path": path, "mode": "%04o" % st_.S_IMODE(mode),
        "isdir": st_.S_ISDIR(mode), "ischr": st_.S_ISCHR(mode), "isblk": st_.S_ISBLK(mode),
        "isreg": st_.S_ISREG(mode), "isfifo": st_.S_ISFIFO(mode), "islnk": st_.S_ISLNK(mode),
        "issock": st_.S_ISSOCK(mode), "uid": s.st_uid, "gid": s.st_gid, "size": s.st_size,
        "inode": s.st_ino, "dev": s.st_dev, "nlink": s.st_nlink, "atime": s.st_atime,
        "mtime": s.st_mtime, "ctime": s.st_ctime,
    }
    for who in ("usr", "grp", "oth"):
        for perm in ("r", "w", "x"):
            out[perm + who] = bool(mode & getattr(st_, "S_I%s%s" % (perm.upper(), who.upper())))
    out["isuid"] = bool(mode & st_.S_ISUID)
    out["isgid"] = bool(mode & st_.S_ISGID)
    out["blocks"] = s.st_blocks
    out["block_size"] = s.st_blksize
    out["device_type"] = s.st_rdev
    return out


def file_attributes(m, path):
    out = {"version": None, "attributes": [], "attr_flags": ""}
    lsattr = m.get_bin_path("lsattr")
    if not lsattr:
        return out
    rc, so, _ = m.run_command([lsattr, "-vd", path])
    if rc == 0 and so.strip():
        fields = so.split()
        if len(fields) >= 2:
            out["version"] = fields[0]
            flags = fields[1].replace("-", "")
            out["attr_flags"] = flags
            out["attributes"] = [ATTR_NAMES[f] for f in flags if f in ATTR_NAMES]
    return out


def main(m):
    p = m.params
    path = p["path"]
    try:
        s = os.stat(path) if p["follow"] else os.lstat(path)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return {"changed": False, "stat": {"exists": False}}
        m.fail_json(msg=e.strerror)
    out = stat_dict(path, s)
    out["readable"] = os.access(path, os.R_OK)
    out["writeable"] = os.access(path, os.W_OK)
    out["executable"] = os.access(path, os.X_OK)
    if out["islnk"]:
        out["lnk_source"] = os.path.realpath(path)
        out["lnk_target"] = os.readlink(path)
    name = C.user_name(s.st_uid)
    if name != str(s.st_uid):
        out["pw_name"] = name
    gname = C.group_name(s.st_gid)
    if gname != str(s.st_gid):
        out["gr_name"] = gname
    if out["isreg"] and out["readable"]:
        if p["get_md5"]:
            out["md5"] = C.md5(path)
        if p["get_checksum"]:
            out["checksum"] = C.checksum(path, p["checksum_algorithm"])
    if p["get_mime"]:
        out["mimetype"] = out["charset"] = "unknown"
        filecmd = m.get_bin_path("file")
        if filecmd:
            rc, so, _ = m.run_command([filecmd, "--mime-type", "--mime-encoding", path])
            if rc == 0:
                try:
                    mimetype, charset = so.rsplit(":", 1)[1].split(";")
                    out["mimetype"] = mimetype.strip()
                    out["charset"] = charset.split("=")[1].strip()
                except (IndexError, ValueError):
                    pass
    if p["get_attributes"]:
        out.update(file_attributes(m, path))
    return {"changed": False, "stat": out}
