# -*- coding: utf-8 -*-
"""What mito's built-in modules get from the runtime: the counterpart of
Ansible's AnsibleModule, written our way.

A module file defines ``ARGUMENT_SPEC`` (a dict name -> option spec), optional
``MUTUALLY_EXCLUSIVE``, ``REQUIRED_ONE_OF``, ``REQUIRED_TOGETHER``,
``REQUIRED_IF``, ``SUPPORTS_CHECK_MODE`` and ``ADD_FILE_COMMON_ARGS``, and a
``main(m)`` function taking a :class:`Module`.  ``main`` ends by calling
``m.exit_json(...)``/``m.fail_json(...)`` (both raise) or by returning the
result dict.

Stdlib only; Python 3.6 through 3.13.
"""

import errno
import grp
import hashlib
import json
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
import tempfile
import time

NO_LOG_PLACEHOLDER = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

BOOLEANS_TRUE = frozenset(("y", "yes", "on", "1", "true", "t"))
BOOLEANS_FALSE = frozenset(("n", "no", "off", "0", "false", "f"))

# Options every file-changing module accepts, as Ansible's add_file_common_args.
FILE_COMMON_ARGS = {
    "mode": {"type": "raw"},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "seuser": {"type": "str"},
    "serole": {"type": "str"},
    "selevel": {"type": "str"},
    "setype": {"type": "str"},
    "attributes": {"type": "str", "aliases": ["attr"]},
    "unsafe_writes": {"type": "bool", "default": False},
}

# Internal keys the controller may pass along with module arguments.
INTERNAL_KEYS = frozenset((
    "_ansible_check_mode", "_ansible_no_log", "_ansible_debug", "_ansible_diff",
    "_ansible_verbosity", "_ansible_version", "_ansible_module_name",
    "_ansible_syslog_facility", "_ansible_selinux_special_fs", "_ansible_socket",
    "_ansible_shell_executable", "_ansible_keep_remote_files", "_ansible_tmpdir",
    "_ansible_remote_tmp", "_ansible_string_conversion_action",
    "_ansible_ignore_unknown_opts", "_ansible_target_log_info",
))



def _cmd_text(args):
    """A command as Ansible's run_command reports it on failure: a string, list items shell-quoted."""
    if isinstance(args, (list, tuple)):
        return " ".join(shlex.quote(to_text(a)) for a in args)
    return to_text(args)

class ModuleExit(Exception):
    """Raised by exit_json: carries the finished result."""

    def __init__(self, result):
        Exception.__init__(self, result.get("msg", ""))
        self.result = result


class ModuleFail(ModuleExit):
    """Raised by fail_json and by argument validation."""


class ValidationError(Exception):
    pass


# ---------------------------------------------------------------- coercion

def to_text(value, errors="replace"):
    if isinstance(value, bytes):
        return value.decode("utf-8", errors)
    if isinstance(value, str):
        return value
    return str(value)


def to_bytes(value, errors="surrogateescape"):
    if isinstance(value, bytes):
        return value
    return to_text(value).encode("utf-8", errors)


def boolean(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low in BOOLEANS_TRUE:
            return True
        if low in BOOLEANS_FALSE:
            return False
    raise TypeError("The value '%s' is not a valid boolean.  Valid booleans include: %s"
                    % (value, ", ".join(repr(v) for v in sorted(BOOLEANS_TRUE | BOOLEANS_FALSE)
                                        + [0, 1, 0.0, 1.0, True, False])))


def _split_kv(text):
    """Split 'a=1 b="x y",c=2' into pairs, honouring quotes."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace = ", \t\n"
    lexer.whitespace_split = True
    out = {}
    for field in lexer:
        if "=" not in field:
            raise TypeError("dictionary requested, could not parse JSON or key=value")
        k, v = field.split("=", 1)
        out[k] = v
    return out


def _to_str(v):
    if isinstance(v, str):
        return v
    if isinstance(v, bytes):
        return v.decode("utf-8", "surrogateescape")
    if isinstance(v, (list, dict)):
        raise TypeError("'%s' is not a string and conversion is not allowed" % type(v).__name__)
    return str(v)


def _to_int(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            pass
    raise TypeError("%s cannot be converted to an int" % type(v))


def _to_float(v):
    if isinstance(v, float):
        return v
    if isinstance(v, (int, str, bytes)) and not isinstance(v, bool):
        try:
            return float(v)
        except ValueError:
            pass
    raise TypeError("%s cannot be converted to a float" % type(v))


def _to_list(v):
    if isinstance(v, list):
        return v
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, str):
        return [s for s in v.split(",")] if v else []
    if isinstance(v, (int, float)):
        return [str(v)]
    raise TypeError("%s cannot be converted to a list" % type(v))


def _to_dict(v):
    if isinstance(v, dict):
        return v
    if isinstance(v, str):
        s = v.strip()
        if s.startswith("{"):
            try:
                return json.loads(s)
            except ValueError:
                raise TypeError("unable to evaluate string as dictionary")
        if not s:
            return {}
        return _split_kv(s)
    raise TypeError("%s cannot be converted to a dict" % type(v))


def _to_path(v):
    return os.path.expanduser(os.path.expandvars(_to_str(v)))


def _to_jsonarg(v):
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v)
    if isinstance(v, bytes):
        return v.decode("utf-8").strip()
    if isinstance(v, str):
        return v.strip()
    raise TypeError("%s cannot be converted to a json string" % type(v))


def _to_bytes_size(v):
    return human_to_bytes(v)


CONVERTERS = {
    "str": _to_str,
    "int": _to_int,
    "float": _to_float,
    "bool": boolean,
    "list": _to_list,
    "dict": _to_dict,
    "path": _to_path,
    "raw": lambda v: v,
    "jsonarg": _to_jsonarg,
    "json": _to_jsonarg,
    "bytes": _to_bytes_size,
}


def human_to_bytes(v):
    if isinstance(v, int):
        return v
    m = re.match(r"^\s*(\d*\.?\d*)\s*([KMGTPEZY]?)(i?B?)?\s*$", str(v), re.I)
    if not m or not m.group(1):
        raise TypeError("%s cannot be converted to a Byte value" % v)
    mult = 1024 ** "BKMGTPEZY".index((m.group(2) or "B").upper())
    return int(round(float(m.group(1)) * mult))


def convert(value, type_name, elements=None):
    if callable(type_name):
        return type_name(value)
    fn = CONVERTERS.get(type_name or "str")
    if fn is None:
        raise TypeError("unknown type %s" % type_name)
    out = fn(value)
    if type_name == "list" and elements:
        out = [convert(e, elements) for e in out]
    return out


# --------------------------------------------------------------- validation

def _fmt_list(names):
    return ", ".join(names)


def validate(module_name, spec, params, mutually_exclusive=(), required_one_of=(),
             required_together=(), required_if=(), prefix=""):
    """Validate and coerce ``params`` against ``spec``; returns (params, no_log_values).

    Raises ValidationError with Ansible's wording on the first class of error found.
    """
    params = dict(params)
    no_log_values = set()
    alias_map = {}
    all_aliases = []
    for name, opt in spec.items():
        for a in opt.get("aliases") or ():
            alias_map[a] = name
            all_aliases.append(a)

    for alias, name in alias_map.items():
        if alias in params:
            if name in params and params[name] != params[alias]:
                pass  # Ansible keeps the canonical name's value but warns; we do the same silently
            else:
                params[name] = params[alias]
            del params[alias]

    unsupported = sorted(k for k in params if k not in spec and k not in INTERNAL_KEYS)
    if unsupported:
        # mito's own options between the controller and its modules ("internal") are not Ansible's.
        supported = ", ".join(sorted(k for k, o in spec.items() if not o.get("internal")))
        if all_aliases:
            supported += " (%s)" % ", ".join(sorted(all_aliases))
        if prefix:
            raise ValidationError("%s. Supported parameters include: %s." % (
                ", ".join(prefix + u for u in unsupported), supported))
        raise ValidationError("Unsupported parameters for (%s) module: %s. Supported parameters include: %s."
                              % (module_name, ", ".join(unsupported), supported))

    for k in list(params):
        if k in INTERNAL_KEYS:
            del params[k]

    def given(name):
        return params.get(name) is not None

    for group in mutually_exclusive:
        hit = [n for n in group if given(n)]
        if len(hit) > 1:
            raise ValidationError("parameters are mutually exclusive: %s" % "|".join(group))

    missing = [n for n, o in spec.items() if o.get("required") and not given(n)]
    if missing:
        raise ValidationError("missing required arguments: %s" % _fmt_list(sorted(missing)))

    for name, opt in spec.items():
        if not given(name):
            if "default" in opt and opt["default"] is not None:
                params[name] = opt["default"]
                if isinstance(params[name], (list, dict)):
                    params[name] = json.loads(json.dumps(params[name]))
            else:
                params[name] = None
        value = params[name]
        if value is not None:
            type_name = opt.get("type", "str")
            try:
                value = convert(value, type_name, opt.get("elements"))
            except (TypeError, ValueError) as e:
                raise ValidationError("argument '%s' is of type %s and we were unable to convert to %s: %s"
                                      % (prefix + name, type(value), type_name, e))
            if opt.get("options") and value is not None:
                subs = value if type_name == "list" else [value]
                checked = []
                for sub in subs:
                    sv, snl = validate(module_name, opt["options"], sub or {},
                                       opt.get("mutually_exclusive", ()), opt.get("required_one_of", ()),
                                       opt.get("required_together", ()), opt.get("required_if", ()),
                                       prefix=prefix + name + ".")
                    no_log_values |= snl
                    checked.append(sv)
                value = checked if type_name == "list" else checked[0]
            params[name] = value
            choices = opt.get("choices")
            if choices is not None:
                vals = value if isinstance(value, list) else [value]
                for v in vals:
                    if v not in choices:
                        # Ansible lets 'yes'/'no' style strings match bool choices
                        raise ValidationError("value of %s must be one of: %s, got: %s"
                                              % (prefix + name, ", ".join(str(c) for c in choices), v))
            if opt.get("no_log") and opt.get("mask_output", True) and value not in ("", None):
                if isinstance(value, bytes):
                    no_log_values.add(value.decode("utf-8", "replace"))
                elif isinstance(value, (list, tuple)):
                    no_log_values.update(str(v) for v in value)
                elif isinstance(value, dict):
                    no_log_values.update(str(v) for v in value.values())
                else:
                    no_log_values.add(str(value))

    for group in required_one_of:
        if not any(given(n) for n in group):
            raise ValidationError("one of the following is required: %s" % _fmt_list(group))

    for group in required_together:
        hit = [n for n in group if given(n)]
        if hit and len(hit) != len(group):
            raise ValidationError("parameters are required together: %s" % _fmt_list(group))

    for rule in required_if:
        key, val, reqs = rule[0], rule[1], rule[2]
        any_of = len(rule) > 3 and rule[3]
        if params.get(key) == val:
            missing = [n for n in reqs if not given(n)]
            if (any_of and len(missing) == len(reqs)) or (not any_of and missing):
                raise ValidationError("%s is %s but %s of the following are missing: %s"
                                      % (key, val, "any" if any_of else "all", _fmt_list(missing)))

    return params, no_log_values


def remove_values(value, secrets):
    """Replace no_log secrets in a result, as Ansible's remove_values does."""
    if not secrets:
        return value
    if isinstance(value, dict):
        return dict((k, remove_values(v, secrets)) for k, v in value.items())
    if isinstance(value, list):
        return [remove_values(v, secrets) for v in value]
    if isinstance(value, str):
        if value in secrets:
            return "********"
        for s in secrets:
            if s and s in value:
                value = value.replace(s, "********")
        return value
    return value


# --------------------------------------------------------------------- files

def checksum(path, algorithm="sha1"):
    """Hex digest of a file, or None when it is not a readable regular file."""
    if not os.path.exists(path) or os.path.isdir(path):
        return None
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while True:
            block = f.read(65536)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def checksums(path, algorithms=("sha1", "md5")):
    """Hex digests of a file for several algorithms in one read (None for one the system refuses, e.g. md5
    under FIPS); None when the path is not a readable regular file."""
    if not os.path.exists(path) or os.path.isdir(path):
        return None
    hs = []
    for a in algorithms:
        try:
            hs.append(hashlib.new(a))
        except ValueError:
            hs.append(None)
    with open(path, "rb") as f:
        while True:
            block = f.read(1 << 20)
            if not block:
                break
            for h in hs:
                if h is not None:
                    h.update(block)
    return [h.hexdigest() if h is not None else None for h in hs]


def checksum_bytes(data, algorithm="sha1"):
    return hashlib.new(algorithm, to_bytes(data)).hexdigest()


def md5(path):
    try:
        return checksum(path, "md5")
    except ValueError:  # FIPS
        return None


def backup_local(path):
    """Copy ``path`` beside itself with Ansible's backup name; returns the backup path or ''."""
    if not os.path.exists(path):
        return ""
    ext = time.strftime("%Y-%m-%d@%H:%M:%S~", time.localtime(time.time()))
    dest = "%s.%s.%s" % (path, os.getpid(), ext)
    shutil.copy2(path, dest)
    # the backup keeps the original's owner and group too, as Ansible's preserved_copy; one who may
    # not give files away keeps the backup as their own
    try:
        st, new = os.stat(path), os.stat(dest)
        if (new.st_uid, new.st_gid) != (st.st_uid, st.st_gid):
            os.chown(dest, st.st_uid, st.st_gid)
    except OSError as e:
        if e.errno != errno.EPERM:
            raise
    return dest


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_move(src, dest, keep_dest_attrs=True):
    """Rename ``src`` over ``dest`` atomically, keeping the destination's mode and
    ownership when it existed, else giving a fresh file the default 0666 & ~umask."""
    try:
        st = os.stat(dest)
    except OSError:
        st = None
    if st is not None and keep_dest_attrs:
        os.chmod(src, stat.S_IMODE(st.st_mode))
        try:
            os.chown(src, st.st_uid, st.st_gid)
        except OSError:
            pass
    elif st is None:
        os.chmod(src, 0o666 & ~current_umask())
    try:
        os.rename(src, dest)
    except OSError as e:
        if e.errno not in (errno.EXDEV, errno.EBUSY, errno.EPERM):
            raise
        # Cross-device (or a bind-mounted file): fall back to copying into place.
        shutil.copyfile(src, dest)
        os.unlink(src)
    # The directory is not fsynced after the rename: the new file's data already is (the writers fsync
    # it), so a crash leaves the old file or the new one, never a torn one; only whether the rename
    # itself survived is left to the file system, as Ansible's atomic_move and Mitogen's transfers leave
    # it. Forcing it cost a disk flush per written file (2-4 ms each, half the target's time of a
    # template or lineinfile task; docs/pipelining.md, Part 4).


def write_atomic(dest, data, keep_dest_attrs=True):
    """Write bytes to a hidden temp file in dest's directory, fsync and rename over dest."""
    d = os.path.dirname(os.path.abspath(dest))
    fd, tmp = tempfile.mkstemp(prefix=".mito_tmp_", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(to_bytes(data))
            f.flush()
            os.fsync(f.fileno())
        atomic_move(tmp, dest, keep_dest_attrs)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def copy_atomic(src, dest, keep_dest_attrs=True):
    d = os.path.dirname(os.path.abspath(dest))
    fd, tmp = tempfile.mkstemp(prefix=".mito_tmp_", dir=d)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out)
            out.flush()
            os.fsync(out.fileno())
        atomic_move(tmp, dest, keep_dest_attrs)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def resolve_uid(owner):
    if owner is None:
        return None
    try:
        return int(owner)
    except ValueError:
        try:
            return pwd.getpwnam(owner).pw_uid
        except KeyError:
            raise ValueError("chown failed: failed to look up user %s" % owner)


def resolve_gid(group):
    if group is None:
        return None
    try:
        return int(group)
    except ValueError:
        try:
            return grp.getgrnam(group).gr_gid
        except KeyError:
            raise ValueError("chgrp failed: failed to look up group %s" % group)


_PERM_BITS = {
    "u": {"r": stat.S_IRUSR, "w": stat.S_IWUSR, "x": stat.S_IXUSR, "s": stat.S_ISUID, "t": 0},
    "g": {"r": stat.S_IRGRP, "w": stat.S_IWGRP, "x": stat.S_IXGRP, "s": stat.S_ISGID, "t": 0},
    "o": {"r": stat.S_IROTH, "w": stat.S_IWOTH, "x": stat.S_IXOTH, "s": 0, "t": stat.S_ISVTX},
}
_WHO_MASK = {"u": 0o4700, "g": 0o2070, "o": 0o1007}


def symbolic_mode(current, spec, is_dir=False):
    """Apply a chmod-style symbolic mode ('u+rwx,g-w,o=r,a+X') to ``current``."""
    mode = stat.S_IMODE(current)
    for clause in spec.split(","):
        m = re.match(r"^([ugoa]*)([-+=])([rwxXst]*|[ugo])$", clause)
        if not m:
            raise ValueError("bad symbolic permission for mode: %s" % spec)
        who, op, perms = m.group(1) or "a", m.group(2), m.group(3)
        if "a" in who:
            who = "ugo"
        for w in who:
            if perms in ("u", "g", "o"):
                # copy permissions from another class
                src = {"u": (mode >> 6) & 7, "g": (mode >> 3) & 7, "o": mode & 7}[perms]
                shift = {"u": 6, "g": 3, "o": 0}[w]
                bits = src << shift
            else:
                bits = 0
                for p in perms:
                    if p == "X":
                        if is_dir or mode & 0o111:
                            bits |= _PERM_BITS[w]["x"]
                    else:
                        bits |= _PERM_BITS[w][p]
            if op == "+":
                mode |= bits
            elif op == "-":
                mode &= ~bits
            else:
                mode = (mode & ~(_WHO_MASK[w] & ~(0o6000 if is_dir and w != "o" else 0))) | bits
    return mode


def parse_mode(mode, current=None, is_dir=False):
    """Return the integer mode wanted by a module's ``mode`` option, or None."""
    if mode is None:
        return None
    if isinstance(mode, bool):
        raise ValueError("mode must be in octal or symbolic form")
    if isinstance(mode, int):
        return mode
    mode = str(mode).strip()
    if re.match(r"^[0-7]+$", mode):
        return int(mode, 8)
    if mode == "preserve":
        return None
    return symbolic_mode(current if current is not None else 0, mode, is_dir)


def mode_str(m):
    return "0%03o" % stat.S_IMODE(m)


def path_info(path, follow=False):
    """The keys Ansible's add_path_info puts in file results."""
    info = {"path": path}
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except OSError:
        info["state"] = "absent"
        return info
    if stat.S_ISLNK(st.st_mode):
        state = "link"
        info["src"] = os.readlink(path)
    elif stat.S_ISDIR(st.st_mode):
        state = "directory"
    elif st.st_nlink > 1:
        state = "hard"
    else:
        state = "file"
    info.update({
        "uid": st.st_uid, "gid": st.st_gid, "owner": user_name(st.st_uid),
        "group": group_name(st.st_gid), "mode": mode_str(st.st_mode), "state": state,
        "size": st.st_size,
    })
    return info


def ansible_path_info(result):
    """What AnsibleModule does to every result naming a 'path' (or else a 'dest'): describe
    that path's owner, mode, type and size, or mark it absent."""
    path = result.get("path", result.get("dest"))
    if not isinstance(path, str):
        return result
    try:
        st = os.lstat(path)
        os.stat(path)  # a dangling link counts as absent, like os.path.exists
    except OSError:
        result["state"] = "absent"
        return result
    info = path_info(path)
    for k in ("uid", "gid", "owner", "group", "mode", "state", "size"):
        result[k] = info[k]
    result["size"] = st.st_size
    return result


# --------------------------------------------------------------- the module

class Module(object):
    """The handle a module's main() receives."""

    def __init__(self, name, params, check_mode=False, diff=False, tmpdir=None, no_log=False,
                 no_log_values=(), supports_check_mode=False, verbosity=0, shell=None):
        self.name = name
        # ansible_shell_executable (_ansible_shell_executable): the shell of use_unsafe_shell commands
        self.shell = shell or "/bin/sh"
        self.params = params
        self.check_mode = check_mode
        self.diff_mode = diff
        self._tmpdir = tmpdir
        self.no_log = no_log
        self.no_log_values = set(no_log_values)
        self.supports_check_mode = supports_check_mode
        self.verbosity = verbosity
        self.warnings = []
        self.deprecations = []
        self.cleanup_files = []

    @property
    def tmpdir(self):
        """The interpreter's private temp dir (mito.core's, made on first use), else the system's."""
        if self._tmpdir is None:
            try:
                from mito import core
                self._tmpdir = core.get_temp_dir()
            except Exception:
                self._tmpdir = tempfile.gettempdir()
        return self._tmpdir

    # -- results
    def warn(self, msg):
        self.warnings.append(msg)

    def deprecate(self, msg, version=None, date=None, collection_name=None):
        d = {"msg": msg, "collection_name": collection_name}
        if date:
            d["date"] = date
        else:
            d["version"] = version
        self.deprecations.append(d)

    def exit_json(self, **result):
        result.setdefault("changed", False)
        raise ModuleExit(result)

    def fail_json(self, msg, **result):
        result["msg"] = msg
        result["failed"] = True
        raise ModuleFail(result)

    # -- commands
    def get_bin_path(self, name, required=False, opt_dirs=()):
        # Ansible's order, also in its failure message: opt_dirs, PATH, then the sbin dirs PATH lacks
        paths = [d for d in opt_dirs if d and os.path.exists(d)]
        paths += os.environ.get("PATH", "").split(os.pathsep)
        paths += [d for d in ("/sbin", "/usr/sbin", "/usr/local/sbin") if d not in paths and os.path.exists(d)]
        for d in paths:
            if not d:
                continue
            p = os.path.join(d, name)
            if os.path.isfile(p) and os.access(p, os.X_OK):
                return p
        if required:
            self.fail_json(msg="Failed to find required executable \"%s\" in paths: %s"
                           % (name, os.pathsep.join(paths)))
        return None

    def run_command(self, args, check_rc=False, cwd=None, data=None, binary_data=False,
                    use_unsafe_shell=False, environ_update=None, executable=None,
                    encoding="utf-8", errors="replace", umask=None):
        """Run a command; returns (rc, stdout, stderr) as text."""
        if isinstance(args, (list, tuple)):
            argv = [to_text(a) for a in args]
            if use_unsafe_shell:
                argv = [executable or self.shell, "-c", " ".join(shlex.quote(a) for a in argv)]
        else:
            if use_unsafe_shell:
                argv = [executable or self.shell, "-c", args]
            else:
                argv = shlex.split(to_text(args))
        env = None
        if environ_update:
            env = dict(os.environ)
            env.update(dict((k, to_text(v)) for k, v in environ_update.items()))
        if cwd is not None:
            cwd = os.path.expanduser(cwd)
        stdin = subprocess.PIPE if data is not None else subprocess.DEVNULL
        if data is not None and not binary_data:
            data = to_text(data) + "\n"
        old_umask = None
        if umask is not None:
            old_umask = os.umask(umask)
        try:
            p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 cwd=cwd, env=env, close_fds=True)
            out, err = p.communicate(to_bytes(data) if data is not None else None)
            rc = p.returncode
        except OSError as e:
            if check_rc:
                self.fail_json(msg=to_text(e), cmd=_cmd_text(args), rc=e.errno, stdout="", stderr="")
            return 2, "", "[Errno %s] %s" % (e.errno, e.strerror)
        finally:
            if old_umask is not None:
                os.umask(old_umask)
        out = out.decode(encoding, errors)
        err = err.decode(encoding, errors)
        if check_rc and rc != 0:
            self.fail_json(msg=err.rstrip() or out.rstrip(), cmd=_cmd_text(args), rc=rc, stdout=out, stderr=err)
        return rc, out, err

    # -- file attributes
    def file_args(self, path=None):
        p = self.params
        return {
            "path": path if path is not None else p.get("path") or p.get("dest"),
            "mode": p.get("mode"), "owner": p.get("owner"), "group": p.get("group"),
            "attributes": p.get("attributes"),
        }

    def set_fs_attributes_if_different(self, file_args, changed=False, diff=None, follow=True):
        """Apply mode/owner/group; honours check mode; records before/after in ``diff``."""
        path = file_args["path"]
        if path is None:
            return changed
        changed = self.set_owner_if_different(path, file_args.get("owner"), changed, diff, follow)
        changed = self.set_group_if_different(path, file_args.get("group"), changed, diff, follow)
        changed = self.set_mode_if_different(path, file_args.get("mode"), changed, diff, follow)
        changed = self.set_attributes_if_different(path, file_args.get("attributes"), changed, diff)
        wanted_se = [k for k in ("seuser", "serole", "setype", "selevel") if self.params.get(k)]
        if wanted_se and os.path.exists("/sys/fs/selinux/enforce"):
            self.warn("%s not applied to %s: mito does not set SELinux contexts yet"
                      % (", ".join(wanted_se), path))
        return changed

    def set_attributes_if_different(self, path, attributes, changed, diff=None):
        """chattr flags: '+i' adds, '-i' removes, 'i' or '=i' sets exactly (Ansible's syntax)."""
        if not attributes or os.path.islink(path):
            return changed
        op, flags = "=", attributes
        if attributes[0] in "+-=":
            op, flags = attributes[0], attributes[1:]
        lsattr = self.get_bin_path("lsattr")
        chattr = self.get_bin_path("chattr")
        if not lsattr or not chattr:
            self.warn("attributes=%s not applied: lsattr/chattr are not installed" % attributes)
            return changed
        rc, out, err = self.run_command([lsattr, "-d", path])
        have = out.split()[0].replace("-", "") if rc == 0 and out.split() else ""
        if op == "+":
            needed = any(f not in have for f in flags)
        elif op == "-":
            needed = any(f in have for f in flags)
        else:
            needed = set(have) != set(flags)
        if not needed:
            return changed
        self._diff_put(diff, "attributes", have, op + flags)
        if not self.check_mode:
            rc, out, err = self.run_command([chattr, op + flags, path])
            if rc != 0 or err.strip():
                self.fail_json(msg="Error while setting attributes: %s" % (out + err).strip(), path=path)
        return True

    def _lstat(self, path, follow):
        try:
            return os.stat(path) if follow else os.lstat(path)
        except OSError as e:
            self.fail_json(msg="path %s does not exist" % path if e.errno == errno.ENOENT else to_text(e),
                           path=path)

    def _diff_put(self, diff, key, before, after):
        if diff is not None:
            diff.setdefault("before", {})[key] = before
            diff.setdefault("after", {})[key] = after

    def set_owner_if_different(self, path, owner, changed, diff=None, follow=True):
        return self._set_id_if_different(path, owner, changed, diff, follow, "owner")

    def set_group_if_different(self, path, group, changed, diff=None, follow=True):
        return self._set_id_if_different(path, group, changed, diff, follow, "group")

    def _set_id_if_different(self, path, wanted, changed, diff, follow, kind):
        """chown or chgrp path to a user/group name or number when it differs."""
        if wanted is None:
            return changed
        st = self._lstat(path, follow)
        is_owner = kind == "owner"
        try:
            want = resolve_uid(wanted) if is_owner else resolve_gid(wanted)
        except ValueError as e:
            self.fail_json(msg=str(e), path=path)
        have = st.st_uid if is_owner else st.st_gid
        if have == want:
            return changed
        self._diff_put(diff, kind, have, want)
        if not self.check_mode:
            try:
                ids = (want, -1) if is_owner else (-1, want)
                (os.chown if follow else os.lchown)(path, *ids)
            except OSError as e:
                self.fail_json(msg="%s failed: %s" % ("chown" if is_owner else "chgrp", e), path=path)
        return True

    def set_mode_if_different(self, path, mode, changed, diff=None, follow=True):
        if mode is None:
            return changed
        st = self._lstat(path, follow)
        if stat.S_ISLNK(st.st_mode):
            return changed  # Linux cannot chmod a symlink itself
        try:
            want = parse_mode(mode, st.st_mode, stat.S_ISDIR(st.st_mode))
        except ValueError as e:
            self.fail_json(msg="mode must be in octal or symbolic form", path=path, details=str(e))
        if want is None:
            return changed
        have = stat.S_IMODE(st.st_mode)
        if have != want:
            self._diff_put(diff, "mode", mode_str(have), mode_str(want))
            if not self.check_mode:
                try:
                    os.chmod(path, want)
                except OSError as e:
                    self.fail_json(msg="chmod failed: %s" % e, path=path)
            return True
        return changed

    def add_path_info(self, result, path=None):
        path = path or result.get("path") or result.get("dest")
        info = path_info(path)
        info.pop("path", None)
        if info.get("state") == "absent":
            result["state"] = "absent"
            return result
        for k, v in info.items():
            result.setdefault(k, v)
        return result

    def tmp_file(self, prefix="mito-"):
        fd, path = tempfile.mkstemp(prefix=prefix, dir=self.tmpdir if os.path.isdir(self.tmpdir) else None)
        os.close(fd)
        self.cleanup_files.append(path)
        return path

    def cleanup(self):
        for p in self.cleanup_files:
            try:
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    os.unlink(p)
            except OSError:
                pass
        self.cleanup_files = []


def text_diff_pair(before, after, before_header, after_header):
    return {"before": before, "after": after, "before_header": before_header,
            "after_header": after_header}


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "surrogateescape")


def write_validated(m, data, dest, validate=None, validate_msg="failed to validate: rc:%s error:%s"):
    """Write bytes to a temp file beside dest, run the module's validate command on it,
    then rename it over dest (resolving a symlinked dest first)."""
    dest = os.path.realpath(dest)
    d = os.path.dirname(dest)
    fd, tmp = tempfile.mkstemp(prefix=".mito_tmp_", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if validate:
            if "%s" not in validate:
                m.fail_json(msg="validate must contain %%s: %s" % validate)
            rc, _out, err = m.run_command(validate % tmp)
            if rc != 0:
                m.fail_json(msg=validate_msg % (rc, err))
        atomic_move(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def check_file_attrs(m, path, changed, message, diff=None):
    """Apply mode/owner/group; extend the message as Ansible's line-editing modules do."""
    if m.set_fs_attributes_if_different(m.file_args(path), False, diff):
        if changed:
            message += " and "
        changed = True
        message += "ownership, perms or SE linux context changed"
    return message, changed
