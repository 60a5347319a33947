"""mito.parent: what a context needs to start children of its own (docs/protocol.md "Spawning children").

Loaded on demand, by a context the controller asks to start a child (connect_child): a become hop, a
container, the next ssh bastion, a local interpreter `via` it. Leaf contexts, most of them, never load it.
What a child may send its parent (routing, the authority checks, serving it modules) stays in mito.core:
nothing a child sends makes its parent import or run anything, this module included.
"""
import importlib
import json
import os
import time

from mito import core


class SpawnError(Exception):
    def __init__(self, kind, message, output=""):
        Exception.__init__(self, message)
        self.kind = kind
        self.message = message
        self.output = output

    def to_dict(self):
        return {"kind": self.kind, "message": self.message, "output": self.output}


class _Spawned(object):
    def __init__(self, pid, fd, tty=None, output=""):
        self.pid = pid
        self.fd = fd
        self.tty = tty
        self.output = output


def _spawn_local(options, argv):
    import socket
    parent, child = socket.socketpair()
    env = options.get("env")
    pid = os.fork()
    if pid == 0:
        try:
            parent.close()
            os.dup2(child.fileno(), 0)
            os.dup2(child.fileno(), 1)
            if env:
                os.environ.update(env)
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    child.close()
    fd = os.dup(parent.fileno())
    parent.close()
    return _Spawned(pid, fd)


SPAWN_METHODS = {"local": _spawn_local}
# Modules of the embedded package that add spawn methods (their SPAWN_METHODS: mito.become has sudo, su,
# doas and ssh; mito.containers the container tools, chroot and setns), imported in turn the first time a
# method is asked for that is not known yet, so a context that never starts such a hop never loads them.
_METHOD_MODULES = ["mito.become", "mito.containers"]


def _spawn_method(name):
    while name not in SPAWN_METHODS and _METHOD_MODULES:
        mod = importlib.import_module(_METHOD_MODULES.pop(0))
        SPAWN_METHODS.update(getattr(mod, "SPAWN_METHODS", {}))
    try:
        return SPAWN_METHODS[name]
    except KeyError:
        raise SpawnError("unknown-method", "mito: unknown spawn method %r" % (name,))


def first_stage_argv(python):
    code = core._config["stage"]
    if python and all(c.isalnum() or c in "/._-+" for c in python):
        return [python, "-c", code]
    return ["/bin/sh", "-c", "%s -c '%s'" % (python or "python3", code)]


MARKER = b"MITO000"


def _expect_marker(fd, timeout):
    """Reads up to the first stage's marker line `MITO000 <bytecode magic hex>`; returns the magic."""
    deadline = time.monotonic() + timeout
    seen = b""
    while not (MARKER in seen and seen.endswith(b"\n")):
        left = deadline - time.monotonic()
        if left <= 0:
            raise SpawnError("timeout", "the child did not start its first stage within %gs (output %r)"
                             % (timeout, seen[-200:]), seen.decode("utf-8", "replace"))
        if not core._wait_fd(fd, False, left):
            continue
        try:
            chunk = os.read(fd, 1)  # byte by byte: nothing after the marker may be consumed
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            chunk = b""
        if not chunk:
            raise SpawnError("exited", "the child exited before its first stage started (output %r)"
                             % seen[-300:], seen.decode("utf-8", "replace"))
        seen += chunk
        if len(seen) > 65536 + len(MARKER):
            raise SpawnError("garbage", "no first-stage marker in 64 KiB of child output")
    return seen[seen.index(MARKER) + len(MARKER):].strip().decode("ascii", "replace")


@core.waits
def connect_child(child_id, method, options, config):
    """Starts a child context with the named spawn method and attaches its stream (docs/protocol.md)."""
    options = options or {}
    argv = first_stage_argv(options.get("python") or "python3")
    proc = _spawn_method(method)(options, argv)
    rfd = getattr(proc, "rfd", None)
    wfd = getattr(proc, "wfd", None)
    if rfd is None:
        rfd = wfd = proc.fd
    tty = getattr(proc, "tty", None)
    try:
        magic = _expect_marker(rfd, float(options.get("timeout") or 30))
        cfg = json.dumps(config).encode("utf-8")
        code = core._compiled_core_for(magic)
        source = core._core_z[0]  # the core crosses each hop once: the child gets what this context got
        u32 = core._U32.pack
        core._write_all(wfd, b"".join([u32(len(source)), source, u32(len(code)), code, u32(len(cfg)), cfg]))
    except BaseException:
        for fd in set((rfd, wfd, tty)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        core._reap(proc.pid)
        raise
    stream = core.Stream(core._router, rfd, wfd, "context %d" % child_id, child_id, proc.pid, tty)
    core._router.add_child(stream)
    shown = getattr(proc, "shown", None)
    return dict({"pid": proc.pid}, **({"exec": shown} if shown else {}))
