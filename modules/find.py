"""find: files matching name patterns, age, size, content and type."""

import fnmatch
import os
import re
import stat as st_
import time

from mito.modules import _common as C
from mito.modules.stat import stat_dict

ARGUMENT_SPEC = {
    "paths": {"type": "list", "required": True, "aliases": ["name", "path"], "elements": "str"},
    "patterns": {"type": "list", "default": [], "aliases": ["pattern"], "elements": "str"},
    "excludes": {"type": "list", "aliases": ["exclude"], "elements": "str"},
    "contains": {"type": "str"},
    "read_whole_file": {"type": "bool", "default": False},
    "file_type": {"type": "str", "default": "file", "choices": ["any", "directory", "file", "link"]},
    "age": {"type": "str"},
    "age_stamp": {"type": "str", "default": "mtime", "choices": ["atime", "ctime", "mtime"]},
    "size": {"type": "str"},
    "recurse": {"type": "bool", "default": False},
    "hidden": {"type": "bool", "default": False},
    "follow": {"type": "bool", "default": False},
    "get_checksum": {"type": "bool", "default": False},
    "checksum_algorithm": {"type": "str", "default": "sha1",
                           "choices": ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"],
                           "aliases": ["checksum", "checksum_algo"]},
    "use_regex": {"type": "bool", "default": False},
    "depth": {"type": "int"},
}
SUPPORTS_CHECK_MODE = True

_UNITS_AGE = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_UNITS_SIZE = {"b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}


def _names_match(name, patterns, excludes, use_regex):
    if use_regex:
        ok = not patterns or any(re.compile(p).match(name) for p in patterns)
        return ok and not (excludes and any(re.compile(e).match(name) for e in excludes))
    ok = not patterns or any(fnmatch.fnmatch(name, p) for p in patterns)
    return ok and not (excludes and any(fnmatch.fnmatch(name, e) for e in excludes))


def _age_ok(s, age, stamp):
    if age is None:
        return True
    delta = time.time() - getattr(s, "st_" + stamp)
    return delta >= age if age >= 0 else delta <= abs(age)


def _size_ok(s, size):
    if size is None:
        return True
    return s.st_size >= size if size >= 0 else s.st_size <= abs(size)


def _contains(path, rx, whole):
    try:
        with open(path, "rb") as f:
            if whole:
                return bool(rx.search(f.read().decode("utf-8", "replace")))
            for line in f:
                if rx.match(line.decode("utf-8", "replace")):
                    return True
    except (IOError, OSError):
        pass
    return False


def main(m):
    p = m.params
    age = size = None
    if p["age"] is not None:
        mt = re.match(r"^(-?\d+)(s|m|h|d|w)?$", p["age"].lower())
        if not mt:
            m.fail_json(age=p["age"], msg="failed to process age")
        age = int(mt.group(1)) * _UNITS_AGE[mt.group(2) or "s"]
    if p["size"] is not None:
        mt = re.match(r"^(-?\d+)(b|k|m|g|t)?$", p["size"].lower())
        if not mt:
            m.fail_json(size=p["size"], msg="failed to process size")
        size = int(mt.group(1)) * _UNITS_SIZE[mt.group(2) or "b"]
    rx = re.compile(p["contains"]) if p["contains"] else None
    patterns = p["patterns"]
    excludes = p["excludes"] or []
    ftype = p["file_type"]
    found, examined, skipped = [], 0, {}

    for root_path in p["paths"]:
        root_path = os.path.expanduser(os.path.expandvars(root_path))
        if not os.path.isdir(root_path):
            msg = "%s was skipped as it does not seem to be a valid directory or it cannot be accessed" % root_path
            skipped[root_path] = msg
            m.warn(msg)
            continue
        base_depth = root_path.rstrip(os.sep).count(os.sep)
        for root, dirs, files in os.walk(root_path, followlinks=p["follow"]):
            depth = root.rstrip(os.sep).count(os.sep) - base_depth + 1
            if p["depth"] is not None and depth > p["depth"]:
                del dirs[:]
                continue
            if not p["recurse"]:
                dirs_snapshot = list(dirs)
                del dirs[:]
            else:
                dirs_snapshot = list(dirs)
                if not p["hidden"]:
                    dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in sorted(files + dirs_snapshot):
                if name.startswith(".") and not p["hidden"]:
                    continue
                full = os.path.join(root, name)
                examined += 1
                try:
                    s = os.stat(full) if p["follow"] else os.lstat(full)
                except OSError:
                    continue
                if not _names_match(name, patterns, excludes, p["use_regex"]):
                    continue
                if not (_age_ok(s, age, p["age_stamp"])):
                    continue
                mode = s.st_mode
                is_link = st_.S_ISLNK(mode)
                if ftype == "directory" and not st_.S_ISDIR(mode):
                    continue
                if ftype == "file" and not st_.S_ISREG(mode):
                    continue
                if ftype == "link" and not is_link:
                    continue
                if st_.S_ISREG(mode):
                    if not _size_ok(s, size):
                        continue
                    if rx is not None and not _contains(full, rx, p["read_whole_file"]):
                        continue
                elif ftype == "any" and (size is not None or rx is not None) and not st_.S_ISDIR(mode):
                    continue
                info = stat_dict(full, s)
                for k in ("exists", "blocks", "block_size", "device_type"):
                    info.pop(k, None)
                info["pw_name"] = C.user_name(s.st_uid)
                info["gr_name"] = C.group_name(s.st_gid)
                if p["get_checksum"] and st_.S_ISREG(mode):
                    info["checksum"] = C.checksum(full, p["checksum_algorithm"])
                found.append(info)
    msg = "All paths examined" if not skipped else "Not all paths examined, check warnings for details"
    return {"files": found, "changed": False, "matched": len(found), "examined": examined, "msg": msg,
            "skipped_paths": skipped}
