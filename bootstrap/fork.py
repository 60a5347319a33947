"""mito.fork: os.fork() for code running in a context, with a link back to it (docs/protocol.md "Forks").

Loaded on demand, by the contexts whose calls fork (the runner's isolated modules and async jobs, a
module's own use of fork()); the core itself only detaches every fork (mito.core's _detach_fork).

The link is a socketpair made before the fork. The child sends over it what it would send its context
(GET_MODULE, FORWARD_LOG frames); a thread of the context serves it, answering module requests from the
importer the context already has (asking its parent only for what it lacks) and relaying log records.
Mitogen instead makes each fork a context of its own with a route to the controller; here that would make
the controller learn a context per forked module (routes, authority, its per-context record of modules
sent), cost a controller round trip for modules the context already holds, and still need the child kept
off the context's stream. Through the link an import costs one local round trip at most, and everything
importing on demand works in the child unchanged: this module is in its sys.modules from the fork on.
The link carries nothing the context runs: it answers module requests from its own cache (code from
above) and passes log records up.
"""
import os
import select
import signal
import sys
import threading
import time

from mito import core

PR_SET_PDEATHSIG = 1
_libc = [None]  # the C library for prctl, loaded in the context before its first fork (False: none)


def _close_stale():
    """Closes, in a child of fork(), the context's stream fds it inherited: the ones still open as what
    they were at the fork (a process between may have closed one and reused its number)."""
    for fd, identity in core._forks.stale:
        if identity is not None and core._fd_identity(fd) == identity:
            try:
                os.close(fd)
            except OSError:
                pass
    core._forks.stale = []


def _frame_reader_next(reader, deadline):
    """The next Message on a link (blocking until `deadline`, a monotonic time or None), None at its end.
    Raises _LinkTimeout when the deadline passes."""
    buf = reader.buf
    while True:
        if len(buf) >= core.HEADER_SIZE:
            view = memoryview(buf)
            try:
                got = core.Stream._frame_at(reader, buf, view, 0, len(buf), 1 << 31)
            finally:
                view.release()
            if got is not None:
                del buf[:len(got[1])]
                return got[0]
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise _LinkTimeout()
        if not core._wait_fd(reader.fd, False, left):
            continue
        try:
            data = os.read(reader.fd, core.CHUNK)
        except InterruptedError:
            continue
        except OSError:
            data = b""
        if not data:
            return None
        buf += data


class _LinkTimeout(Exception):
    pass


class _Link(object):
    """The end of its link in a child of fork(): the router's parent stream there, and the importer's source."""

    def __init__(self, fd, context_id):
        self.fd = fd
        self.context_id = context_id
        self.name = "the link to context %d" % context_id
        self.buf = bytearray()
        self.pending = ()
        self.lock = threading.Lock()  # one request and its answer at a time
        self.wlock = threading.Lock()

    def send(self, data, defer=False):
        try:
            with self.wlock:
                core._write_all(self.fd, data)
            return True
        except OSError:
            return False

    def fetch(self, importer, fullname, timeout):
        """The importer's cache entry of `fullname`, asked of the context; waits at most `timeout` seconds."""
        gone = "mito: cannot import %s: context %d, which this process was forked from, is gone" % (
            fullname, self.context_id)
        with self.lock:
            if fullname in importer.cache:
                return importer.cache[fullname]
            me = importer.router.id
            if not self.send(core.frame(self.context_id, me, me, core.GET_MODULE, 0, fullname)):
                raise ImportError(gone, name=fullname)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    msg = _frame_reader_next(self, deadline)
                except _LinkTimeout:
                    raise ImportError("mito: no answer for module %s from context %d within %gs" % (
                        fullname, self.context_id, timeout), name=fullname)
                except core.ProtocolError as e:
                    raise ImportError("mito: cannot import %s: %s" % (fullname, e), name=fullname)
                if msg is None:
                    raise ImportError(gone, name=fullname)
                if msg.handle != core.LOAD_MODULE:
                    continue
                if msg.flags & core.FLAG_DEAD:  # the context's own failure to get it, which names the module
                    raise ImportError(bytes(msg.body).decode("utf-8", "replace"), name=fullname)
                name, entry = importer._entry(msg)
                importer.cache[name] = entry
                if name == fullname:
                    return entry


def _serve_link(fd, pid):
    """The context's side of a link, on a thread of its own until the child's end closes."""
    reader = _Link(fd, core._router.id)
    reader.name = "the link to forked process %d" % pid
    sent = set()
    try:
        while True:
            try:
                msg = _frame_reader_next(reader, None)
            except core.ProtocolError as e:
                core._warn("mito: %s" % e, 40)
                return
            if msg is None:
                return
            try:
                if msg.handle == core.GET_MODULE:
                    _answer_link(fd, sent, msg.value())
                elif msg.handle == core.FORWARD_LOG:
                    core._router.send(0, core.FORWARD_LOG, msg.value())
            except OSError:
                return
            except Exception as e:
                core._warn("mito: a request of forked process %d failed: %s" % (pid, e), 40)
    finally:
        core._forks.served.discard(fd)
        try:
            os.close(fd)
        except OSError:
            pass


def _answer_link(fd, sent, fullname):
    me = core._router.id
    try:
        entry = core._importer.get(fullname)
    except ImportError as e:
        core._write_all(fd, core.frame(me, me, me, core.LOAD_MODULE, 0, raw=str(e).encode("utf-8"),
                                       flags=core.FLAG_DEAD))
        return
    frames = []
    for name in entry[3] if entry is not None else ():
        rel = core._importer.cache.get(name)
        if rel is not None and name not in sent:
            sent.add(name)
            frames.append(core._importer._load_frame(me, name, rel))
    sent.add(fullname)
    frames.append(core._importer._load_frame(me, fullname, entry))
    core._write_all(fd, b"".join(frames))


def _pdeathsig():
    """Asks the kernel to kill this process when the thread that forked it ends (Linux); False elsewhere."""
    libc = _libc[0]
    if not libc:
        return False
    try:
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except Exception:
        return False


def _load_libc():
    """Loaded in the context, before its first fork, so no child pays for it."""
    if _libc[0] is None:
        _libc[0] = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes
                _libc[0] = ctypes.CDLL(None, use_errno=True)
            except Exception:
                pass


def _watch_link(fd):
    """The fallback where the kernel cannot tie a child's life to its parent's: the link's far end closes
    when the context's process ends, however it ends."""
    def watch():
        p = select.poll()
        p.register(fd, 0)  # only hang-ups: the link's data is the importer's to read
        while True:
            try:
                if p.poll(None):
                    os._exit(1)
            except InterruptedError:
                continue
            except Exception:
                os._exit(1)
    t = threading.Thread(target=watch, name="mito-parent-watch")
    t.daemon = True
    t.start()


def fork(die_with_parent=True, _kernel_watch=True):
    """os.fork() for code running in a context: the child imports modules on demand and logs through the
    context (over a link, above) and never touches the context's stream. Returns the child's pid, or 0 in
    the child. die_with_parent: the child is killed when the context's process ends (PR_SET_PDEATHSIG where
    the fork happens on the main thread, else a watch of the link); without it (async jobs, which outlive
    the connection as Ansible's do) it runs on, and its imports fail at once once the context is gone."""
    import socket
    _load_libc()
    parent_pid = os.getpid()
    on_main = threading.current_thread() is threading.main_thread()
    ours, theirs = socket.socketpair()
    ours_fd, theirs_fd = ours.detach(), theirs.detach()
    try:
        pid = os.fork()
    except BaseException:
        os.close(ours_fd)
        os.close(theirs_fd)
        raise
    if pid == 0:
        os.close(ours_fd)
        core._detach_fork()
        _close_stale()
        if core._forks.link is not None:  # inherited from a linked parent: this child has its own now
            try:
                os.close(core._forks.link.fd)
            except OSError:
                pass
        link = core._forks.link = _Link(theirs_fd, core._router.id)
        core._router.parent = link
        if die_with_parent:
            if on_main and _kernel_watch and _pdeathsig():
                if os.getppid() != parent_pid:  # it ended before the signal was armed
                    os._exit(1)
            else:
                _watch_link(theirs_fd)
        return 0
    os.close(theirs_fd)
    core._forks.served.add(ours_fd)
    t = threading.Thread(target=_serve_link, args=(ours_fd, pid), name="mito-fork-%d" % pid)
    t.daemon = True
    t.start()
    return pid
