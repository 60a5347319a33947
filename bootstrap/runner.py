# -*- coding: utf-8 -*-
"""mito.runner: the module runtime inside the persistent target interpreter.

Entry points called by the controller (by module path ``mito.runner``):

- ``run_module(name, args, ...)``: a mito built-in module (``mito.modules.<name>``).
- ``run_ansible_module(source, args, ...)``: an Ansible module's source text, run
  in-process when it is new-style Python, else written to the private temp dir
  and executed.
- ``start_async(...)`` / ``async_status(jid)``: Ansible-compatible async jobs.
- ``read_environment_files()``: /etc/environment and ~/.pam_environment.

``run_module`` and ``run_ansible_module`` also take ``mark`` and ``after`` (task pipelining,
docs/pipelining.md): a call with ``mark`` remembers whether its result lets the tasks sent after it
run; a call with ``after`` runs only when the call marked so ended that way, else it runs nothing and
answers ``{"_mito_cancelled": True}``.

Every entry point returns a JSON-shaped dict and never raises for module
failures: a crashing module becomes ``MODULE FAILURE`` and the interpreter stays
usable.  Process state (environment, cwd, argv, stdin/stdout, umask) is restored
after each run.
"""

import atexit
import hashlib
import importlib
import io
import json
import locale
import os
import re
import shlex
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback

# In-process runs change process-wide state (cwd, environ, sys.stdout); one at a time.
_RUN_LOCK = threading.RLock()

# Built-in modules that leave state behind in the interpreter: pip imports pip's own packaging.
ALWAYS_FORK_MODULES = frozenset(("pip",))

# Ansible modules that may exec() a new interpreter (apt/dnf re-run themselves after installing
# their Python bindings) or import bindings that keep global state: never in the shared process.
ANSIBLE_FORK_MODULES = frozenset((
    "apt", "apt_repository", "dnf", "dnf5", "yum", "package_facts", "pip", "package",
))

_MODULE_ARGS_RE = re.compile(br"<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>")
# An Ansible module imports module_utils: ansible-core's, its collection's (under `plugins`), or relatively
# (`from ..module_utils`); a module importing only its collection's helpers is one too.
_NEW_STYLE_RE = re.compile(
    br"(?:from +(?:\.{2,} *|ansible\.|ansible_collections\.[^.]+\.[^.]+\.plugins\.)module_utils.* +import "
    br"|import +ansible\.module_utils\.|import +ansible_collections\.[^.]+\.[^.]+\.plugins\.module_utils)")
_REPLACER = b"#<<INCLUDE_ANSIBLE_MODULE_COMMON>>"


class _Saved(object):
    """Process-wide state a module may change, captured and restored around a run."""

    def __init__(self):
        # os.environ's own encoded table, copied and compared in C: read through os.environ, every variable
        # was decoded twice per run (a fifth of an in-process `command` run's CPU, its spawn aside).
        data = getattr(os.environ, "_data", None)
        self.raw_environ = dict(data) if isinstance(data, dict) else None
        self.environ = None if self.raw_environ is not None else dict(os.environ)
        try:
            self.cwd = os.getcwd()
        except OSError:
            self.cwd = None
        self.argv = list(sys.argv)
        self.stdin, self.stdout, self.stderr = sys.stdin, sys.stdout, sys.stderr
        self.umask = os.umask(0o022)
        os.umask(self.umask)
        self.path = list(sys.path)
        self.excepthook = sys.excepthook
        try:
            self.locale = locale.setlocale(locale.LC_ALL)  # AnsibleModule sets the locale
        except locale.Error:
            self.locale = None

    def restore(self):
        sys.excepthook = self.excepthook
        self._restore_environ()
        if self.cwd is not None:
            try:
                os.chdir(self.cwd)
            except OSError:
                pass
        sys.argv[:] = self.argv
        sys.stdin, sys.stdout, sys.stderr = self.stdin, self.stdout, self.stderr
        os.umask(self.umask)
        sys.path[:] = self.path
        if self.locale is not None:
            try:
                locale.setlocale(locale.LC_ALL, self.locale)
            except locale.Error:
                pass

    def _restore_environ(self):
        if self.raw_environ is not None:
            if getattr(os.environ, "_data", None) == self.raw_environ:
                return
            saved = dict((os.fsdecode(k), os.fsdecode(v)) for k, v in self.raw_environ.items())
        else:
            saved = self.environ
            if dict(os.environ) == saved:
                return
        for k in list(os.environ):
            if k not in saved:
                del os.environ[k]
        for k, v in saved.items():
            if os.environ.get(k) != v:
                os.environ[k] = v


class _AtexitCapture(object):
    """Collect atexit hooks a module registers, to run them when the module ends
    instead of when the persistent interpreter exits."""

    def __init__(self):
        self.hooks = []
        self._orig = None

    def __enter__(self):
        self._orig = atexit.register

        def register(fn, *a, **kw):
            self.hooks.append((fn, a, kw))
            return fn
        atexit.register = register
        return self

    def __exit__(self, *exc):
        atexit.register = self._orig
        for fn, a, kw in reversed(self.hooks):
            try:
                fn(*a, **kw)
            except Exception:
                pass
        return False


class _TextCapture(io.TextIOWrapper):
    def __init__(self):
        io.TextIOWrapper.__init__(self, io.BytesIO(), encoding="utf-8", errors="replace",
                                  write_through=True)

    def value(self):
        self.flush()
        return self.buffer.getvalue().decode("utf-8", "replace")


def _apply_context(environment, cwd):
    if environment:
        for k, v in environment.items():
            if v is None:
                os.environ.pop(str(k), None)
            else:
                os.environ[str(k)] = str(v)
    if cwd:
        os.chdir(os.path.expanduser(cwd))


def _module_failure(msg, stdout="", stderr="", exc=None, rc=1):
    res = {
        "failed": True,
        "changed": False,
        "msg": msg,
        "module_stdout": stdout,
        "module_stderr": stderr,
        "rc": rc,
    }
    if exc:
        res["exception"] = exc
    return res


def _lines_placeholders(result):
    # stdout_lines/stderr_lines are filled in by the controller, as Ansible's action layer adds them on
    # its controller (sent from here, every big output would travel twice). None marks where they go:
    # after the module's own keys, before changed/failed, the order Ansible's results have.
    for k in ("stdout", "stderr"):
        if k in result and k + "_lines" not in result:
            result[k + "_lines"] = None
    return result


def _finish(result, invocation_args, no_log, m=None):
    result = _lines_placeholders(dict(result))
    result.setdefault("changed", False)
    result["failed"] = bool(result.get("failed", False))
    if m is not None:
        if m.warnings:
            result["warnings"] = list(result.get("warnings", [])) + m.warnings
        if m.deprecations:
            result["deprecations"] = list(result.get("deprecations", [])) + m.deprecations
    if invocation_args is not None and not no_log:
        result["invocation"] = {"module_args": invocation_args}
    return result


# ------------------------------------------------------------- built-ins

def _censor(params, spec, placeholder):
    out = {}
    for k, v in params.items():
        opt = spec.get(k) or {}
        if opt.get("no_log") and v is not None:
            out[k] = placeholder
        elif isinstance(v, dict) and opt.get("options"):
            out[k] = _censor(v, opt["options"], placeholder)
        elif isinstance(v, list) and opt.get("options"):
            out[k] = [_censor(i, opt["options"], placeholder) if isinstance(i, dict) else i for i in v]
        else:
            out[k] = v
    return out


def _run_builtin(name, args, check_mode, diff, no_log, tmpdir, verbosity, shown=None):
    from mito.modules import _common as C
    if not re.match(r"^[a-z_][a-z0-9_]*$", name or "") or name.startswith("_"):
        return _module_failure("invalid module name: %r" % (name,))
    try:
        mod = importlib.import_module("mito.modules." + name)
    except ImportError as e:
        if getattr(e, "name", None) == "mito.modules." + name:
            return {"failed": True, "changed": False,
                    "msg": "The module %s was not found in mito's built-in modules" % name}
        raise
    spec = dict(getattr(mod, "ARGUMENT_SPEC", {}))
    if getattr(mod, "ADD_FILE_COMMON_ARGS", False):
        for k, v in C.FILE_COMMON_ARGS.items():
            spec.setdefault(k, v)
    args = dict(args or {})
    check_mode = bool(args.pop("_ansible_check_mode", check_mode))
    diff = bool(args.pop("_ansible_diff", diff))
    shell = args.pop("_ansible_shell_executable", None)
    try:
        params, secrets = C.validate(
            shown or name, spec, args,
            getattr(mod, "MUTUALLY_EXCLUSIVE", ()), getattr(mod, "REQUIRED_ONE_OF", ()),
            getattr(mod, "REQUIRED_TOGETHER", ()), getattr(mod, "REQUIRED_IF", ()))
    except C.ValidationError as e:
        censored = dict((k, v) for k, v in args.items() if not k.startswith("_ansible_"))
        censored = _censor(censored, spec, C.NO_LOG_PLACEHOLDER)
        return _finish({"failed": True, "msg": str(e)}, censored, no_log)
    invocation = _censor(params, spec, C.NO_LOG_PLACEHOLDER)
    supports_check = getattr(mod, "SUPPORTS_CHECK_MODE", False)
    m = C.Module(name, params, check_mode=check_mode, diff=diff, tmpdir=tmpdir, no_log=no_log,
                 no_log_values=secrets, supports_check_mode=supports_check, verbosity=verbosity,
                 shell=shell)
    if check_mode and not supports_check:
        return _finish({"skipped": True, "changed": False,
                        "msg": "remote module (%s) does not support check mode" % name},
                       invocation, no_log)
    try:
        ret = mod.main(m)
        result = dict(ret) if isinstance(ret, dict) else {}
    except C.ModuleExit as e:  # exit_json and fail_json (ModuleFail is a ModuleExit)
        result = e.result
    finally:
        m.cleanup()
    # copy/template show their (no_log) content in the diff, as Ansible's action plugins do
    exempt = dict((k, result.pop(k)) for k in getattr(mod, "NO_LOG_EXEMPT_KEYS", ()) if k in result)
    result = C.remove_values(result, m.no_log_values)
    result.update(exempt)
    result = C.ansible_path_info(result)
    return _finish(result, invocation, no_log, m)


# -- task pipelining: the calls of tasks sent before the earlier ones answered ----------------------------

# Marks of the calls whose result let the calls sent after them run (the newest _CACHE_MAX).
_CHAIN_OK = {}
CANCELLED = "_mito_cancelled"


def _lets_chain_go_on(result):
    """Whether a task's result leaves what follows it as it was when the later calls were sent: the
    controller fails a result with ``failed`` or a non-zero ``rc`` (and no ``failed``), stops a host
    that is unreachable, and reads returned facts and skips into its variables; any of them stops."""
    if not isinstance(result, dict):
        return False
    if result.get("failed") or result.get("unreachable") or result.get("skipped"):
        return False
    if "failed" not in result and "rc" in result and result["rc"] not in (0, "0"):
        return False
    return not result.get("ansible_facts") and CANCELLED not in result


def _chained(after, mark, run):
    """Runs ``run()`` unless ``after`` names a call that did not end in a way that lets it run."""
    if after is not None and not _CHAIN_OK.get(after):
        return {CANCELLED: True}
    result = run()
    if mark is not None and _lets_chain_go_on(result):
        _remember(_CHAIN_OK, mark, True)
    return result


def run_module(name, args, check_mode=False, diff=False, no_log=False, environment=None, cwd=None,
               tmpdir=None, isolation="inproc", verbosity=0, module_name=None, mark=None, after=None,
               time_limit=None):
    """Run mito's built-in module ``name`` with ``args`` (a dict); returns the result dict.
    ``module_name`` is the name the run asked for, shown in its messages (``name`` if absent).
    ``time_limit`` (seconds, the task's ``timeout``): see _within."""
    if time_limit:
        isolation = "none"  # the fork _within makes is the module's own already
    return _chained(after, mark, _within(time_limit, lambda: _run_module(
        name, args, check_mode, diff, no_log, environment, cwd, tmpdir, isolation, verbosity, module_name)))


def _run_module(name, args, check_mode=False, diff=False, no_log=False, environment=None, cwd=None,
                tmpdir=None, isolation="inproc", verbosity=0, module_name=None):
    if isolation == "fork" or (name in ALWAYS_FORK_MODULES and isolation == "inproc"):
        return _in_fork(_run_module, name, args, check_mode=check_mode, diff=diff, no_log=no_log,
                        environment=environment, cwd=cwd, tmpdir=tmpdir,
                        isolation="none", verbosity=verbosity, module_name=module_name)
    with _RUN_LOCK:
        return _run_builtin_inproc(name, args, check_mode, diff, no_log, environment, cwd, tmpdir, verbosity,
                                   module_name or name)


def _run_builtin_inproc(name, args, check_mode, diff, no_log, environment, cwd, tmpdir, verbosity, shown):
    _refresh_process_state()
    saved = _Saved()
    out = _TextCapture()
    try:
        _apply_context(environment, cwd)
        sys.stdin = io.StringIO("")
        sys.stdout = out
        with _AtexitCapture():
            return _run_builtin(name, args, check_mode, diff, no_log, tmpdir, verbosity, shown)
    except SystemExit as e:
        return _module_failure("MODULE FAILURE\nSee stdout/stderr for the exact error",
                               out.value(), "module exited with sys.exit(%r)" % (e.code,), rc=_code(e))
    except BaseException:
        tb = traceback.format_exc()
        return _module_failure("MODULE FAILURE\nSee stdout/stderr for the exact error",
                               out.value(), tb, exc=tb)
    finally:
        saved.restore()


def _refresh_process_state():
    """Before each task: pick up edits of the environment files and of resolv.conf."""
    try:
        refresh_environment()
        refresh_resolver()
    except Exception:
        pass


def _code(e):
    c = e.code
    if c is None:
        return 0
    return c if isinstance(c, int) else 1


# ------------------------------------------------------------- forking

def _fork(die_with_parent):
    """mito.fork's fork() inside a context (the child keeps importing on demand through it, and dies with
    it when asked); a plain fork where the runner runs outside one (the test harness)."""
    core = sys.modules.get("mito.core")
    if core is not None and getattr(core, "_router", None) is not None:
        # By name, unlike the runner's other imports of mito: the controller's push of the runner carries
        # what it always imports, and only isolated modules and async jobs fork.
        return importlib.import_module("mito.fork").fork(die_with_parent=die_with_parent)
    return os.fork()


TIMED_OUT = "_mito_timed_out"


def _within(time_limit, run):
    """``run`` as is without a time limit; else ``run`` in a fork of its own process group that is killed,
    with every process the module started, when the limit passes: the run then answers ``{"failed": True, TIMED_OUT: time_limit}``
    (the controller words the failure as Ansible's task timeout does)."""
    if not time_limit:
        return run
    return lambda: _in_fork(run, time_limit=float(time_limit))


def _in_fork(fn, *args, **kwargs):
    """Run fn in a forked child and pass the JSON result back over a pipe. ``time_limit`` (a keyword of
    its own, not passed to fn) puts the child in its own process group, killed once that many seconds
    passed without its result."""
    time_limit = kwargs.pop("time_limit", None)
    r, w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = _fork(die_with_parent=True)
    if pid == 0:  # child
        code = 0
        try:
            _after_fork()
            _FORKED[0] = True
            os.close(r)
            if time_limit is not None:
                os.setpgid(0, 0)
            try:
                res = fn(*args, **kwargs)
            except BaseException:
                tb = traceback.format_exc()
                res = _module_failure("MODULE FAILURE", "", tb, exc=tb)
            data = json.dumps(res).encode("utf-8")
            view = memoryview(data)
            while view:
                n = os.write(w, view)
                view = view[n:]
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    if time_limit is not None:
        try:
            os.setpgid(pid, pid)  # as the child does: whichever comes first, the group exists before a kill
        except OSError:
            pass
    deadline = None if time_limit is None else time.time() + time_limit
    chunks = []
    while True:
        if deadline is not None and not _readable(r, deadline):
            _kill_group(pid)
            os.close(r)
            os.waitpid(pid, 0)
            return {"failed": True, TIMED_OUT: time_limit}
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    data = b"".join(chunks)
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError:
        return _module_failure("MODULE FAILURE\nThe forked module process died (status %d)" % status,
                               data.decode("utf-8", "replace"), "")


def _readable(fd, deadline):
    """Whether ``fd`` has something to read (or its end) before ``deadline`` (time.time())."""
    import select
    left = deadline - time.time()
    if left <= 0:
        return False
    ready, _, _ = select.select([fd], [], [], left)
    return bool(ready)


def _kill_group(pid):
    """SIGKILL to the process group ``pid`` leads (to ``pid`` alone if the group is gone)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


# Set in _in_fork's child: the module owns the whole process, its file descriptors included.
_FORKED = [False]

# Set in an async job's worker: Ansible's async_wrapper runs the module as a process of its own and keeps
# what it wrote to stderr beside its result.
_ASYNC_JOB = [False]


def _with_job_stderr(result, stderr):
    if _ASYNC_JOB[0] and stderr:
        result["stderr"] = stderr
    return result


class _FdCapture(object):
    """Points fds 1 and 2 at temp files while a module runs in its own (forked) process: what programs it
    starts write there (a respawned module prints its result so) is its output, as it is under Ansible."""

    def __enter__(self):
        self.saved = []
        for fd in (1, 2):
            f = tempfile.TemporaryFile()
            self.saved.append((fd, os.dup(fd), f))
            os.dup2(f.fileno(), fd)
        return self

    def text(self, fd):
        for n, _, f in self.saved:
            if n == fd:
                f.seek(0)
                return f.read().decode("utf-8", "replace")
        return ""

    def __exit__(self, *exc):
        for fd, old, _ in self.saved:
            os.dup2(old, fd)
            os.close(old)
        return False


class _NoFdCapture(object):
    def __enter__(self):
        return self

    def text(self, fd):
        return ""

    def __exit__(self, *exc):
        return False


def _exec_main(code_obj, glb, home):
    """Runs a module's code as its program's __main__. A process the module forked that comes back here
    (its code ended, raised, or called sys.exit, where its own program would have exited) ends as that
    program's process would: returning would take it into the context's call loop."""
    try:
        exec(code_obj, glb)
    except BaseException as e:
        if os.getpid() == home:
            raise
        if isinstance(e, SystemExit):
            if e.code is not None and not isinstance(e.code, int):
                _write_fd(2, "%s\n" % (e.code,))
            os._exit(_code(e))
        _write_fd(2, traceback.format_exc())
        os._exit(1)
    if os.getpid() != home:
        os._exit(0)


def _write_fd(fd, text):
    try:
        os.write(fd, text.encode("utf-8", "replace"))
    except OSError:
        pass


# ------------------------------------------------------------- Ansible modules

def detect_style(source):
    """Classify module source as Ansible does: 'new', 'jsonargs', 'want_json', 'old' or 'binary'."""
    if isinstance(source, str):
        source = source.encode("utf-8", "surrogateescape")
    head = source[:8192]
    if b"\x00" in head:
        return "binary"
    if _REPLACER in source or _NEW_STYLE_RE.search(source):
        return "new"
    if _MODULE_ARGS_RE.search(source):
        return "jsonargs"
    if b"WANT_JSON" in source:
        return "want_json"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "binary"
    return "old"


def _shebang(source):
    if not source.startswith(b"#!"):
        return None, b""
    line = source.split(b"\n", 1)[0][2:].strip()
    return line.decode("utf-8", "replace"), line


def _interpreter_for(shebang, interpreters):
    """Rewrite a shebang from ansible_<name>_interpreter values, as Ansible does."""
    parts = shlex.split(shebang)
    if not parts:
        return shebang
    prog = parts[0]
    rest = parts[1:]
    if os.path.basename(prog) == "env" and rest:
        prog, rest = rest[0], rest[1:]
    name = os.path.basename(prog)
    interpreters = interpreters or {}
    interp = interpreters.get(name)
    if not interp and name.startswith("python"):
        interp = interpreters.get("python")
    if not interp:
        return shebang
    return " ".join([interp] + [shlex.quote(a) for a in rest])


def _parse_json_output(stdout):
    """Find the JSON object in module output as Ansible's action layer does: lines before the first one
    starting with "{" and after the last one ending with "}" are dropped; trailing text that is not blank
    is a warning the controller shows (under DISPLAY_WARNINGS, never part of the result itself)."""
    lines = stdout.splitlines()
    for start, line in enumerate(lines):
        if line.strip().startswith("{"):
            break
    else:
        raise ValueError("No start of json char found")
    lines = lines[start:]
    for back, line in enumerate(reversed(lines)):
        if line.strip().endswith("}"):
            break
    else:
        raise ValueError("No end of json char found")
    junk = lines[len(lines) - back:] if back else []
    result = json.loads("\n".join(lines[:len(lines) - back]))
    if isinstance(result, dict) and any(j.strip() for j in junk):
        result[DISPLAY_WARNINGS] = ["Module invocation had junk after the JSON data: %s" % "\n".join(junk)]
    return result


# A result's key for warnings the controller shows as they come, outside the result (then drops the key).
DISPLAY_WARNINGS = "_mito_display_warnings"


def _internal_args(args, name, check_mode, diff, no_log, tmpdir, verbosity):
    a = dict(args or {})
    a.setdefault("_ansible_check_mode", bool(check_mode))
    a.setdefault("_ansible_no_log", bool(no_log))
    a.setdefault("_ansible_diff", bool(diff))
    a.setdefault("_ansible_verbosity", verbosity)
    a.setdefault("_ansible_debug", False)
    a.setdefault("_ansible_module_name", name)
    a.setdefault("_ansible_syslog_facility", "LOG_USER")
    a.setdefault("_ansible_selinux_special_fs", ["fuse", "nfs", "vboxsf", "ramfs", "9p", "vfat"])
    a.setdefault("_ansible_string_conversion_action", "warn")
    a.setdefault("_ansible_shell_executable", "/bin/sh")
    a.setdefault("_ansible_keep_remote_files", False)
    a.setdefault("_ansible_version", "2.14.0")
    if tmpdir:
        a.setdefault("_ansible_tmpdir", tmpdir)
        a.setdefault("_ansible_remote_tmp", tmpdir)
    return a


class SourceNotCached(Exception):
    """A call named its module by digest alone, and this interpreter does not hold that source: the
    controller sends it again with the source itself."""


# Module sources by their sha1 hex digest, and code objects by (digest, filename): a controller sends a
# module's source once per interpreter and names it by digest afterwards, and a module run again is not
# compiled again. Bounded: a play's distinct modules are few; a long-lived interpreter forgets the oldest.
_SOURCES = {}
_CODE = {}
_CACHE_MAX = 256


def _remember(table, key, value):
    if len(table) >= _CACHE_MAX:
        table.pop(next(iter(table)))
    table[key] = value
    return value


def _source_digest(source):
    return hashlib.sha1(source).hexdigest()


_STYLES = {}


def _style_of(source, digest):
    """detect_style, once per source a digest names (its regular expressions scan the whole source)."""
    if digest is None:
        return detect_style(source)
    style = _STYLES.get(digest)
    return style if style is not None else _remember(_STYLES, digest, detect_style(source))


def _compiled(source, filename, digest):
    key = (digest or _source_digest(source), filename)
    code_obj = _CODE.get(key)
    if code_obj is None:
        code_obj = _remember(_CODE, key, compile(source, filename, "exec", dont_inherit=True))
    return code_obj


def run_ansible_module(source, args, name="module", check_mode=False, diff=False, no_log=False,
                       environment=None, cwd=None, tmpdir=None, interpreters=None,
                       isolation="inproc", verbosity=0, style=None, path=None, package=None, digest=None,
                       module_name=None, mark=None, after=None, time_limit=None, pinned=None):
    """Run an Ansible module given its source (str or bytes) and arguments.

    ``pinned``: the ``ansible.module_utils`` names module_utils folders override; where this interpreter
    has ansible-core of its own they are imported from the controller all the same (Importer.pin).

    ``name`` is the module's own name (pip, apt: which modules run in a fork); ``module_name`` the name
    the run asked for (``_ansible_module_name``, shown in the module's messages), ``name`` if absent.

    ``digest`` (sha1 hex of the source) keeps the source here for later calls, which may then pass
    ``source=None`` and the digest alone; SourceNotCached is raised when this interpreter lacks it.
    ``time_limit`` (seconds, the task's ``timeout``): see _within."""
    if source is None:
        source = _SOURCES.get(digest)
        if source is None:
            raise SourceNotCached(digest)
    if pinned:
        _pin(pinned)
    if time_limit:
        isolation = "none"  # the fork _within makes is the module's own already
    return _chained(after, mark, _within(time_limit, lambda: _run_ansible_module(
        source, args, name, check_mode, diff, no_log, environment, cwd, tmpdir, interpreters, isolation,
        verbosity, style, path, package, digest, module_name)))


def _pin(names):
    importer = getattr(sys.modules.get("mito.core"), "_importer", None)
    if importer is not None:  # a plain interpreter (tests) imports from its own path only
        importer.pin(names)


def _run_ansible_module(source, args, name, check_mode, diff, no_log, environment, cwd, tmpdir, interpreters,
                        isolation, verbosity, style, path, package, digest, module_name):
    if isinstance(source, str):
        source = source.encode("utf-8", "surrogateescape")
    if digest is not None and digest not in _SOURCES:
        if _source_digest(source) != digest:
            raise ValueError("module source does not match its digest %s" % digest)
        _remember(_SOURCES, digest, source)
    style = style or _style_of(source, digest)
    full_args = _internal_args(args, module_name or name, check_mode, diff, no_log, tmpdir, verbosity)
    shebang, _ = _shebang(source)
    # The context already runs the target's ansible_python_interpreter, so new-style Python
    # modules run right here; a module with a non-Python shebang is executed instead.
    python_inproc = style == "new" and (shebang is None or "python" in shebang)
    if python_inproc:
        if isolation == "fork" or (isolation == "inproc" and name in ANSIBLE_FORK_MODULES):
            return _in_fork(_run_new_style, source, full_args, name, environment, cwd, path, package, digest)
        return _run_new_style(source, full_args, name, environment, cwd, path, package, digest)
    return _run_external(source, full_args, style, name, environment, cwd, tmpdir, interpreters)


def _forget_warnings():
    """Each run of a module starts with no warnings, as in a process of its own: ansible-core's
    module_utils keep them in lists for the life of the interpreter (2.10 and later)."""
    store = sys.modules.get("ansible.module_utils.common.warnings")
    for name in ("_global_warnings", "_global_deprecations"):
        kept = getattr(store, name, None)
        if isinstance(kept, list):
            del kept[:]


def _run_new_style(source, full_args, name, environment, cwd, path, package=None, digest=None):
    with _RUN_LOCK:
        return _run_new_style_locked(source, full_args, name, environment, cwd, path, package, digest)


def _run_new_style_locked(source, full_args, name, environment, cwd, path, package, digest):
    _refresh_process_state()
    saved = _Saved()
    out = _TextCapture()
    err = _TextCapture()
    payload = json.dumps({"ANSIBLE_MODULE_ARGS": full_args}).encode("utf-8")
    basic = None
    code = 0
    home = os.getpid()
    filename = path or "<ansible module %s>" % name
    main = _MainModule("__main__", source, name, package, full_args.get("_ansible_tmpdir"))
    saved_main = sys.modules.get("__main__")
    fds = _FdCapture() if _FORKED[0] else _NoFdCapture()
    try:
        with fds:
            _apply_context(environment, cwd)
            try:
                from ansible.module_utils import basic
                basic._ANSIBLE_ARGS = payload
                _spawn_without_noop_preexec(basic)
            except ImportError:
                basic = None
            _forget_warnings()
            sys.stdin = io.TextIOWrapper(io.BytesIO(payload), encoding="utf-8")
            sys.argv[:] = [path or name]
            sys.stdout, sys.stderr = out, err
            glb = main.__dict__
            glb.update({"__file__": filename, "__builtins__": __builtins__})
            if package:
                # Modules such as setup import their siblings relatively (from ..module_utils import …).
                glb["__package__"] = package
            sys.modules["__main__"] = main
            with _AtexitCapture():
                try:
                    code_obj = _compiled(source, filename, digest)
                    _exec_main(code_obj, glb, home)
                except SystemExit as e:
                    code = _code(e)
                except Exception:
                    # A module's own sys.excepthook sees what escapes it, as in its own process (file
                    # turns its AnsibleModuleError into fail_json there).
                    if sys.excepthook is saved.excepthook:
                        raise
                    try:
                        sys.excepthook(*sys.exc_info())
                        code = 1
                    except SystemExit as e:
                        code = _code(e)
    except BaseException as e:
        tb = traceback.format_exc()
        saved.restore()
        stdout = out.value() + fds.text(1)
        try:
            return _parse_json_output(stdout)  # a module that printed its result then crashed
        except ValueError:
            return _module_failure(_failure_msg(e), stdout, err.value() + fds.text(2) + tb, exc=tb)
    finally:
        saved.restore()
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
        main.remove_modlib()
        if basic is not None:
            basic._ANSIBLE_ARGS = None
    stdout, stderr = out.value() + fds.text(1), err.value() + fds.text(2)
    try:
        result = _parse_json_output(stdout)
    except ValueError:
        return _module_failure("MODULE FAILURE\nSee stdout/stderr for the exact error",
                               stdout, stderr, rc=code)
    if not isinstance(result, dict):
        return _module_failure("MODULE FAILURE\nmodule did not return a dictionary", stdout, stderr)
    _lines_placeholders(_with_job_stderr(result, stderr))
    result.setdefault("changed", False)
    result["failed"] = bool(result.get("failed", False))
    return result


class _BasicSubprocess(type(sys)):
    """The `subprocess` AnsibleModule.run_command sees in a persistent interpreter: the real module, except
    that Popen leaves out run_command's `preexec` hook when that hook does nothing but set the umask (on
    Python 3 its signal restoring is a no-op), passing the umask to Popen instead. Any preexec_fn makes
    Popen fork() the whole interpreter and run Python in the child, where without one it uses vfork(): in
    an interpreter that has imported a play's worth of modules that fork costs more than the module's own
    work (milliseconds per command). The child's state and the result are the same; a hook that is not the
    one recognised here runs untouched."""

    def __init__(self, real, basic):
        type(sys).__init__(self, real.__name__)
        self.__dict__.update(real.__dict__)

        class Popen(real.Popen):
            def __init__(self, args, **kwargs):
                fn = kwargs.get("preexec_fn")
                umask = _noop_preexec_umask(fn, basic) if fn is not None else None
                if umask is not None and "umask" not in kwargs:
                    kwargs.pop("preexec_fn")
                    if umask:
                        kwargs["umask"] = umask
                real.Popen.__init__(self, args, **kwargs)

        self.Popen = Popen


_PREEXEC_NAMES = ("_restore_signal_handlers", "os", "umask")


def _noop_preexec_umask(fn, basic):
    """run_command's own preexec hook on Python 3, unchanged: its umask (0 for none); else None."""
    code = getattr(fn, "__code__", None)
    cells = getattr(fn, "__closure__", None)
    if code is None or cells is None or getattr(basic, "PY2", True):
        return None
    if (getattr(fn, "__qualname__", "") != "AnsibleModule.run_command.<locals>.preexec"
            or code.co_freevars != ("self", "umask") or code.co_names != _PREEXEC_NAMES):
        return None
    try:
        module, umask = cells[0].cell_contents, cells[1].cell_contents
    except ValueError:
        return None
    owner = getattr(basic, "AnsibleModule", None)
    if owner is None or getattr(type(module), "_restore_signal_handlers", None) is not \
            getattr(owner, "_restore_signal_handlers", None):
        return None
    if not umask:
        return 0
    return umask if isinstance(umask, int) and sys.version_info >= (3, 9) else None


def _spawn_without_noop_preexec(basic):
    real = getattr(basic, "subprocess", None)
    if real is subprocess and getattr(basic, "AnsibleModule", None) is not None:
        basic.subprocess = _BasicSubprocess(subprocess, basic)
    sel = getattr(basic, "selectors", None)
    if sel is not None and not isinstance(sel, _BasicSelectors) and hasattr(sel, "DefaultSelector"):
        basic.selectors = _BasicSelectors(sel)


class _BasicSelectors(type(sys)):
    """The `selectors` AnsibleModule.run_command sees: the real module, except that a selector with nothing
    registered answers select() at once. run_command's loop checks its process twice (poll() and poll()
    again); when the process ends between the two checks after both pipes closed, the loop goes round once
    more and selects with nothing to watch, which sleeps its whole timeout: one second added to the
    command. Nothing can come from an empty selector, so the loop ends as it would after that second, the
    result the same. A fast child (vfork, above) makes that window likely: one command in twenty over ssh."""

    def __init__(self, real):
        type(sys).__init__(self, real.__name__)
        self.__dict__.update(real.__dict__)
        for name in ("DefaultSelector", "PollSelector", "EpollSelector", "SelectSelector"):
            cls = getattr(real, name, None)
            if cls is not None:
                setattr(self, name, _answers_at_once_when_empty(cls))


def _answers_at_once_when_empty(cls):
    def select(self, timeout=None):
        if not self.get_map():
            return []
        return cls.select(self, timeout)
    return type(cls.__name__, (cls,), {"select": select})


def _failure_msg(e):
    # An import mito's importer could not get (no answer in time, the context gone, a fork without a link)
    # is named in the message itself: it is the whole story, and the traceback only says where.
    if isinstance(e, ImportError) and str(e).startswith("mito: "):
        return "MODULE FAILURE: %s" % e
    return "MODULE FAILURE\nSee stdout/stderr for the exact error"


class _MainModule(type(sys)):
    """A module's __main__. Beside its globals it answers the two attributes Ansible's respawn_module
    reads from an AnsiballZ payload's __main__: the module's dotted name, and a directory that module and
    everything it imports can be imported from by another interpreter (written on first use: only a
    module that respawns asks for it; removed when the module ends)."""

    def __init__(self, modname, source, name, package, tmpdir):
        type(sys).__init__(self, modname)
        self.__dict__["_mito_run"] = {"source": source, "tmpdir": tmpdir, "dir": None,
                                      "fqn": "%s.%s" % (package, name) if package else "ansible.legacy." + name}

    @property
    def _module_fqn(self):
        return self.__dict__["_mito_run"]["fqn"]

    @property
    def _modlib_path(self):
        run = self.__dict__["_mito_run"]
        if run["dir"] is None:
            run["dir"] = _write_modlib(run["source"], run["fqn"], _private_tmp(run["tmpdir"]))
        return run["dir"]

    def remove_modlib(self):
        d = self.__dict__["_mito_run"]["dir"]
        if d and os.path.basename(d).startswith("ansible_mito_modlib_"):
            import shutil
            shutil.rmtree(d, ignore_errors=True)


def _write_modlib(source, fqn, tmp):
    """A directory holding the module at `fqn` and the modules the importer served (what the module
    imported) with everything they import in turn, fetched now where missing."""
    core = sys.modules.get("mito.core")
    importer = getattr(core, "_importer", None)
    top = fqn.partition(".")[0]
    if importer is None or top not in importer.cache:
        # Not served by mito (a plain interpreter with Ansible installed): where its package lives.
        where = getattr(sys.modules.get(top), "__file__", None)
        return os.path.dirname(os.path.dirname(os.path.abspath(where))) if where else tmp
    cache = importer.cache
    names = set(n for n, e in list(cache.items()) if e is not None and n.partition(".")[0] != "mito")
    queue = list(names)
    while queue:
        entry = cache.get(queue.pop())
        for rel in entry[3] if entry else ():
            if rel not in names and rel.partition(".")[0] != "mito":
                names.add(rel)
                try:
                    importer.get(rel)
                except ImportError:
                    continue
                queue.append(rel)
    d = tempfile.mkdtemp(prefix="ansible_mito_modlib_", dir=tmp)
    files = {}
    for n in names:
        entry = cache.get(n)
        if entry is not None:
            files[n.replace(".", "/") + ("/__init__.py" if entry[0] else ".py")] = entry[2]
    files[fqn.replace(".", "/") + ".py"] = source
    for rel in list(files):  # every directory a package, as in the original tree
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            files.setdefault("/".join(parts[:i]) + "/__init__.py", b"")
    for rel, data in files.items():
        p = os.path.join(d, rel)
        if not os.path.isdir(os.path.dirname(p)):
            os.makedirs(os.path.dirname(p))
        with open(p, "wb") as f:
            f.write(data)
    return d


def _private_tmp(tmpdir):
    """The task's temp dir, else the interpreter's private one (mito.core), else the system's."""
    if tmpdir and os.path.isdir(tmpdir):
        return tmpdir
    try:
        from mito import core
        return core.get_temp_dir()
    except Exception:
        return None


def _old_style_args(args):
    return " ".join("%s=%s" % (k, shlex.quote(v if isinstance(v, str) else json.dumps(v)))
                    for k, v in args.items())


def _run_external(source, full_args, style, name, environment, cwd, tmpdir, interpreters):
    _refresh_process_state()
    workdir = tempfile.mkdtemp(prefix="mito-%s-" % name, dir=_private_tmp(tmpdir))
    try:
        module_path = os.path.join(workdir, name)
        body = source
        argv_extra = []
        if style == "jsonargs":
            body = _MODULE_ARGS_RE.sub(lambda _m: json.dumps(full_args).encode("utf-8"), body)
            body = body.replace(b'"<<SELINUX_SPECIAL_FILESYSTEMS>>"', json.dumps(
                full_args["_ansible_selinux_special_fs"]).encode("utf-8"))
            body = body.replace(b"<<SELINUX_SPECIAL_FILESYSTEMS>>", b",".join(
                s.encode("utf-8") for s in full_args["_ansible_selinux_special_fs"]))
            body = body.replace(b'"<<ANSIBLE_VERSION>>"', json.dumps(full_args["_ansible_version"]).encode())
        if style in ("want_json", "binary", "new"):
            args_path = os.path.join(workdir, "args")
            with open(args_path, "w") as f:
                json.dump(full_args if style != "new" else {"ANSIBLE_MODULE_ARGS": full_args}, f)
            argv_extra = [args_path]
        elif style == "old":
            args_path = os.path.join(workdir, "args")
            user_args = dict((k, v) for k, v in full_args.items() if not k.startswith("_ansible_"))
            user_args.update((k, v) for k, v in full_args.items()
                             if k in ("_ansible_check_mode", "_ansible_no_log", "_ansible_diff"))
            with open(args_path, "w") as f:
                f.write(_old_style_args(user_args))
            argv_extra = [args_path]
        shebang, raw = _shebang(body)
        argv = [module_path]
        if shebang is not None and style != "binary":
            new = _interpreter_for(shebang, interpreters)
            if new != shebang:
                body = b"#!" + new.encode("utf-8") + body[2 + len(raw):]
            argv = shlex.split(new) + [module_path]
        with open(module_path, "wb") as f:
            f.write(body)
        os.chmod(module_path, stat.S_IRWXU)
        env = dict(os.environ)
        for k, v in (environment or {}).items():
            if v is None:
                env.pop(k, None)
            else:
                env[str(k)] = str(v)
        stdin_data = b""
        if style == "new":
            stdin_data = json.dumps({"ANSIBLE_MODULE_ARGS": full_args}).encode("utf-8")
            argv = argv[:]  # new-style read args from stdin
        else:
            argv = argv + argv_extra
        try:
            p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, cwd=os.path.expanduser(cwd) if cwd else None,
                                 env=env, close_fds=True)
            so, se = p.communicate(stdin_data)
        except OSError as e:
            return _module_failure("MODULE FAILURE\nSee stdout/stderr for the exact error", "",
                                   "%s: %s" % (argv[0], e), rc=127)
        stdout = so.decode("utf-8", "replace")
        stderr = se.decode("utf-8", "replace")
        try:
            result = _parse_json_output(stdout)
        except ValueError:
            return _module_failure("MODULE FAILURE\nSee stdout/stderr for the exact error",
                                   stdout, stderr, rc=p.returncode)
        if not isinstance(result, dict):
            return _module_failure("MODULE FAILURE\nmodule did not return a dictionary", stdout, stderr)
        _lines_placeholders(_with_job_stderr(result, stderr))
        result.setdefault("changed", False)
        result["failed"] = bool(result.get("failed", False))
        return result
    finally:
        import shutil
        shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------- async jobs

def _async_dir(async_dir=None):
    d = os.path.expanduser(async_dir or os.environ.get("ANSIBLE_ASYNC_DIR") or "~/.ansible_async")
    if not os.path.isdir(d):
        os.makedirs(d, 0o700)
    return d


def _write_json_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.rename(tmp, path)


def start_async(jid, time_limit, kind, target, args, async_dir=None, **kwargs):
    """Start a job in a detached grandchild; returns Ansible's async start result.

    ``kind`` is 'builtin' (target = module name, run by run_module) or 'ansible'
    (target = module source, run by run_ansible_module).  ``kwargs`` are passed to
    the runner; ``async_dir`` is Ansible's async_dir (default $ANSIBLE_ASYNC_DIR or
    ~/.ansible_async).
    """
    jid = str(jid)
    results_file = os.path.join(_async_dir(async_dir), jid)
    _write_json_atomic(results_file, {"started": 1, "finished": 0, "ansible_job_id": jid})
    if kind == "builtin" and re.match(r"^[a-z][a-z0-9_]*$", target or ""):
        # The job imports on demand through this context only while it lives; an async job outlives the
        # connection (as Ansible's do), so the module and its helpers are imported here first.
        from mito.modules import _common  # noqa: F401
        try:
            importlib.import_module("mito.modules." + target)
        except ImportError:
            pass
    r, w = os.pipe()
    sys.stdout.flush()
    pid = _fork(die_with_parent=False)
    if pid == 0:
        try:
            os.close(r)
            os.setsid()
            pid2 = os.fork()
            if pid2:
                os.write(w, str(pid2).encode())
                os._exit(0)
            os.close(w)
            _async_job(jid, results_file, int(time_limit), kind, target, args, kwargs)
        finally:
            os._exit(0)
    os.close(w)
    os.read(r, 64)
    os.close(r)
    os.waitpid(pid, 0)
    return {"started": 1, "finished": 0, "ansible_job_id": jid, "results_file": results_file,
            "_ansible_suppress_tmpdir_delete": True, "changed": True, "failed": False}


def _after_fork():
    """In a forked child: another thread of the parent may have held the run lock."""
    global _RUN_LOCK
    _RUN_LOCK = threading.RLock()


def _as_job_failure(res):
    """A module that gave no result, reported as Ansible's async_wrapper reports it: what the module wrote
    (its output as ``data``, its error output as ``stderr``), not the keys of a module failure."""
    if not isinstance(res, dict) or "module_stderr" not in res:
        return res
    return {"failed": 1, "msg": res.get("msg"), "data": res.get("module_stdout", ""),
            "stderr": res["module_stderr"]}


def _async_job(jid, results_file, time_limit, kind, target, args, kwargs):
    _after_fork()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    r, w = os.pipe()
    worker = os.fork()
    if worker == 0:
        os.close(r)
        os.setpgid(0, 0)  # its own group, so a timeout kills the module's children too
        _ASYNC_JOB[0] = True
        try:
            if kind == "builtin":
                res = run_module(target, args, **kwargs)
            else:
                res = _as_job_failure(run_ansible_module(target, args, **kwargs))
        except BaseException:
            res = _module_failure("MODULE FAILURE", "", traceback.format_exc())
        data = json.dumps(res).encode("utf-8")
        while data:
            n = os.write(w, data)
            data = data[n:]
        os._exit(0)
    os.close(w)
    deadline = time.time() + time_limit if time_limit > 0 else None
    chunks = []
    while True:
        if deadline is not None and not _readable(r, deadline):
            _kill_group(worker)
            os.waitpid(worker, 0)
            _write_json_atomic(results_file, {
                "failed": 1, "finished": 1, "started": 1, "ansible_job_id": jid, "changed": False,
                "msg": "Job reached maximum time limit of %d seconds." % time_limit})
            return
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.waitpid(worker, 0)
    try:
        res = json.loads(b"".join(chunks).decode("utf-8"))
    except ValueError:
        res = _module_failure("MODULE FAILURE\nasync job produced no result")
    # as Ansible's async_wrapper: junk around the module's JSON is warned about in the job's result
    said = res.pop(DISPLAY_WARNINGS, None) if isinstance(res, dict) else None
    if said:
        kept = res.get("warnings", [])
        res["warnings"] = (kept if isinstance(kept, list) else [kept]) + said
    res.update({"finished": 1, "started": 1, "ansible_job_id": jid})
    _write_json_atomic(results_file, res)


def exec_command(cmd, in_data=None, executable=None):
    """What an action plugin's self._connection.exec_command() runs: the command through the shell, as the
    context's user, with in_data as its stdin; its exit code and its output bytes exactly as written (no
    module in between to decode them)."""
    p = subprocess.Popen([executable or "/bin/sh", "-c", cmd], close_fds=True,
                         stdin=subprocess.DEVNULL if in_data is None else subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(in_data)
    return [p.returncode, out, err]


def async_status(jid, mode="status", async_dir=None):
    """Ansible's async_status: the job's result so far; mode 'cleanup' removes it. The job file's path
    is reported as Ansible's action reports it (results_file, or erased), found or not."""
    jid = str(jid)
    results_file = os.path.join(_async_dir(async_dir), jid)
    where = {"erased": results_file} if mode == "cleanup" else {"results_file": results_file}
    # A job id that is not one name is never looked up (Ansible would read any path it names): not found
    if not re.match(r"^[\w.-]+$", jid) or jid in (".", "..") or not os.path.exists(results_file):
        return dict(where, failed=True, msg="could not find job", ansible_job_id=jid, started=1, finished=1)
    if mode == "cleanup":
        os.unlink(results_file)
        return {"ansible_job_id": jid, "erased": results_file, "changed": False, "failed": False}
    try:
        with open(results_file) as f:
            data = json.load(f)
    except ValueError:
        return {"ansible_job_id": jid, "started": 1, "finished": 0, "results_file": results_file,
                "changed": False, "failed": False}
    data["ansible_job_id"] = jid
    data["results_file"] = results_file
    data.setdefault("started", 1)
    data.setdefault("finished", 0)
    data["finished"] = 1 if data.get("finished") else 0
    data.setdefault("changed", False)
    # as the job wrote it: Ansible's async_wrapper writes 1 for a job that failed (a time limit, no result)
    data.setdefault("failed", False)
    return data


# ------------------------------------------------------------- environment

def _parse_env_file(path, pam=False):
    out = {}
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except (IOError, OSError):
        return out
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].strip()
        if pam and re.match(r"^\w+\s+(DEFAULT|OVERRIDE)=", line):
            name, rest = line.split(None, 1)
            m = re.search(r"OVERRIDE=(\"[^\"]*\"|\S*)", rest) or re.search(r"DEFAULT=(\"[^\"]*\"|\S*)", rest)
            if m:
                val = m.group(1).strip('"')
                if "@{" not in val and "${" not in val:
                    out[name] = val
            continue
        if "=" not in line:
            continue
        k, v = line.split("=", 1)
        k = k.strip()
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", k):
            continue
        v = v.strip()
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
            v = v[1:-1]
        out[k] = v
    return out


_env_file_state = {}


def read_environment_files():
    """Variables from /etc/environment and ~/.pam_environment (later wins), as a PAM login
    would set them."""
    env = _parse_env_file("/etc/environment")
    env.update(_parse_env_file(os.path.expanduser("~/.pam_environment"), pam=True))
    return env


def refresh_environment():
    """Apply changes made to the environment files since the last call to os.environ
    (Mitogen's emulation: a new login would see them).  Returns the changed names."""
    paths = ["/etc/environment", os.path.expanduser("~/.pam_environment")]
    sig = []
    for p in paths:
        try:
            st = os.stat(p)
            sig.append((p, st.st_mtime, st.st_size, st.st_ino))
        except OSError:
            sig.append((p, None))
    if _env_file_state.get("sig") == sig:
        return []
    prev = _env_file_state.get("values", {})
    cur = read_environment_files()
    changed = []
    if "sig" in _env_file_state:
        # the spec's rule: only touch keys the environment still has as the file had them
        for k, v in cur.items():
            if prev.get(k) != v and os.environ.get(k) in (None, prev.get(k)):
                os.environ[k] = v
                changed.append(k)
        for k in prev:
            if k not in cur and os.environ.get(k) == prev[k]:
                del os.environ[k]
                changed.append(k)
    _env_file_state["sig"] = sig
    _env_file_state["values"] = cur
    return sorted(changed)


# ------------------------------------------------------------- resolver

_resolv_state = {}


def refresh_resolver(path="/etc/resolv.conf"):
    """Re-initialise the C library's resolver when resolv.conf changed since the last call
    (a long-lived interpreter would otherwise keep the old nameservers on older glibc).
    Returns True when it re-initialised."""
    try:
        st = os.stat(path)
        sig = (st.st_mtime, st.st_size, st.st_ino)
    except OSError:
        sig = None
    prev = _resolv_state.get("sig", sig)
    _resolv_state["sig"] = sig
    if prev == sig:
        return False
    try:
        import ctypes
        import ctypes.util
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        fn = getattr(libc, "__res_init", None) or getattr(libc, "res_init", None)
        if fn is not None:
            fn()
    except (OSError, AttributeError):
        pass
    return True
