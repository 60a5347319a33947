# Container and chroot hops started by a context (docs/protocol.md, "Spawning children from a context"):
#
# * docker, podman, buildah, kubectl, lxc (lxc-attach), lxd (lxc exec), jail (jexec), chroot: the controller
#   builds the tool's argv prefix (transports/containers.ts), this module runs prefix + first stage with
#   its stdin/stdout on a socketpair and its stderr captured, and returns once the child wrote its first
#   byte, or raises ContainerError with what the tool printed ("No such container", …).
# * setns (kinds docker, lxc, lxd, machinectl; the machinectl method is setns of kind machinectl): the
#   container's leader pid is asked of the tool, then a forked child joins that process's namespaces, its
#   root and the user, and execs the first stage — no tool sits in the data path.
#
# The same file also runs on the controller's machine outside any context (`launch`): the controller
# starts `python -c <this file> OPTIONS ARGV` to setns from the controller itself. So nothing here
# imports mito.core at module level. Stdlib only, Python 3.6+.
import json
import os
import select
import signal
import socket
import sys
import time

# The user namespace first: the others may belong to it, and joining it grants the rights to join them.
NAMESPACES = ("user", "ipc", "uts", "net", "pid", "mnt", "cgroup")
TOOL_TIMEOUT = 30.0
SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")


class ContainerError(Exception):
    """A hop that could not be started: kind (exited, timeout, not-found, not-running, setns, tool),
    a message naming the container, and what the tool printed."""

    def __init__(self, kind, message, output=""):
        Exception.__init__(self, message)
        self.kind = kind
        self.message = message
        self.output = output

    def to_dict(self):
        return {"kind": self.kind, "message": self.message, "output": self.output}


class Spawned(object):
    def __init__(self, pid, fd, output):
        self.pid = pid
        self.fd = fd
        self.tty = None
        self.output = output


# -- helpers shared by both kinds of spawn ----------------------------------------------------------------

def _close(*fds):
    for fd in fds:
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass


def _kill_reap(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except OSError:
        pass


def _exit_status(pid, limit):
    """The child's exit status when it ends within `limit` seconds, else None (it is left running)."""
    deadline = time.monotonic() + limit
    while True:
        try:
            got, status = os.waitpid(pid, os.WNOHANG)
        except OSError:
            return None
        if got:
            if os.WIFSIGNALED(status):
                return "killed by signal %d" % os.WTERMSIG(status)
            return "exit status %d" % os.WEXITSTATUS(status)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)


def _await_first_byte(pid, sock, err_fd, timeout, what):
    """Waits until the child wrote on its stdout (the first stage's marker) — the data stays queued for
    the caller — or ended, or the time ran out. Returns what it printed on stderr so far."""
    deadline = time.monotonic() + timeout
    err = b""
    err_open = True
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            _kill_reap(pid)
            text = err.decode("utf-8", "replace")
            raise ContainerError("timeout", "%s: the first stage did not start within %gs%s"
                                 % (what, timeout, _tail(text)), text)
        fds = [sock.fileno()] + ([err_fd] if err_open else [])
        try:
            readable = select.select(fds, [], [], min(left, 1.0))[0]
        except InterruptedError:
            continue
        if err_open and err_fd in readable:
            chunk = os.read(err_fd, 65536)
            if chunk:
                err += chunk[:65536 - len(err)] if len(err) < 65536 else b""
            else:
                err_open = False
        if sock.fileno() in readable:
            try:
                peek = sock.recv(1, socket.MSG_PEEK)
            except OSError:
                peek = b""
            if peek:
                return err.decode("utf-8", "replace")
            # stdout closed before the first stage spoke: collect the rest of stderr and the status.
            end = time.monotonic() + 2.0
            while err_open and time.monotonic() < end:
                if not select.select([err_fd], [], [], max(0.0, end - time.monotonic()))[0]:
                    break
                chunk = os.read(err_fd, 65536)
                if not chunk:
                    break
                err += chunk
            status = _exit_status(pid, 2.0)
            if status is None:
                _kill_reap(pid)
                status = "killed after closing its output"
            text = err.decode("utf-8", "replace")
            raise ContainerError(_classify(text), "%s ended before the first stage started (%s)%s"
                                 % (what, status, _tail(text)), text)


def _tail(text):
    text = text.strip()
    return (": " + text[-500:]) if text else ""


def _classify(text):
    low = text.lower()
    if "no such" in low or "not found" in low or "does not exist" in low:
        return "not-found"
    if "not running" in low or "is stopped" in low:
        return "not-running"
    if "permission denied" in low or "operation not permitted" in low:
        return "permission"
    return "exited"


def _fork_with_stdio(run):
    """Forks a child whose fds 0/1 are one end of a socketpair and fd 2 a pipe; `run()` executes in the
    child and never returns. Returns (pid, parent socket, stderr read end)."""
    parent, child = socket.socketpair()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            parent.close()
            os.close(err_r)
            os.dup2(child.fileno(), 0)
            os.dup2(child.fileno(), 1)
            os.dup2(err_w, 2)
            child.close()
            os.close(err_w)
            run()
        except BaseException as e:
            _child_fail(e)
        os._exit(1)
    child.close()
    os.close(err_w)
    return pid, parent, err_r


def _child_fail(e):
    try:
        msg = getattr(e, "message", None) or str(e) or e.__class__.__name__
        os.write(2, ("mito: %s\n" % msg).encode("utf-8", "replace"))
    finally:
        os._exit(126)


def _started(pid, parent, err_r, timeout, what):
    try:
        output = _await_first_byte(pid, parent, err_r, timeout, what)
    except BaseException:
        parent.close()
        _close(err_r)
        raise
    fd = os.dup(parent.fileno())
    parent.close()
    _relay_stderr(err_r)
    return Spawned(pid, fd, output)


def _relay_stderr(fd):
    """What the tool prints later (kubectl warnings, docker errors at exit) goes to this context's stderr,
    which reaches the controller as log records; the pipe is closed when the tool ends."""
    import threading

    def relay():
        try:
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                os.write(2, chunk)
        except OSError:
            pass
        finally:
            _close(fd)

    t = threading.Thread(target=relay, name="mito-hop-stderr")
    t.daemon = True
    t.start()


# -- tools whose argv the controller built ----------------------------------------------------------------

def spawn_prefixed(options, argv):
    """docker/podman/buildah/kubectl/lxc/lxd/jail/chroot: options["prefix"] + the first stage's argv."""
    prefix = list(options.get("prefix") or [])
    if not prefix:
        raise ContainerError("options", "mito: no tool argv for this container hop")
    full = prefix + list(argv)
    env = options.get("env")
    what = "%s (%s)" % (options.get("what") or prefix[0], " ".join(prefix))

    def run():
        if env:
            os.environ.update(env)
        try:
            os.execvp(full[0], full)
        except OSError as e:
            # chroot and jexec live in sbin, which a login's PATH often lacks.
            for d in SBIN if "/" not in full[0] else ():
                if os.access(os.path.join(d, full[0]), os.X_OK):
                    os.execv(os.path.join(d, full[0]), full)
            raise ContainerError("exec", "cannot run %s: %s" % (full[0], e.strerror))

    pid, parent, err_r = _fork_with_stdio(run)
    return _started(pid, parent, err_r, float(options.get("timeout") or TOOL_TIMEOUT), what)


# -- setns ------------------------------------------------------------------------------------------------

def _run_tool(argv, what, timeout=TOOL_TIMEOUT):
    import subprocess
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        raise ContainerError("tool", "%s: cannot run %s: %s" % (what, argv[0], e.strerror))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise ContainerError("timeout", "%s: %s did not answer within %gs" % (what, " ".join(argv), timeout))
    out = out.decode("utf-8", "replace")
    err = err.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise ContainerError(_classify(err + out), "%s: %s failed (exit status %d)%s"
                             % (what, " ".join(argv), proc.returncode, _tail(err or out)), err + out)
    return out


def _pid_from(text, pattern):
    import re
    m = re.search(pattern, text, re.I | re.M)
    return int(m.group(1)) if m else None


def pid_query(options):
    """The argv asking the tool for the container's leader pid, and how to read its answer."""
    kind = options.get("kind")
    name = options.get("container")
    if kind == "docker":
        return [options.get("docker_path") or "docker", "inspect", "--format", "{{.State.Pid}}", name], r"^\s*(\d+)\s*$"
    if kind == "lxc":
        return [options.get("lxc_info_path") or "lxc-info", "--pid", "--name", name], r"^\s*PID:\s*(\d+)"
    if kind == "lxd":
        return [options.get("lxc_path") or "lxc", "info", name], r"^\s*PID:\s*(\d+)"
    if kind == "machinectl":
        return ([options.get("machinectl_path") or "/bin/machinectl", "show", "--property=Leader", name],
                r"^\s*Leader=(\d+)")
    raise ContainerError("options", "mito: setns kind must be docker, lxc, lxd or machinectl, not %r" % (kind,))


def leader_pid(options):
    """Asks docker/lxc-info/lxc/machinectl for the pid of the container's root process."""
    name = options.get("container")
    if not name:
        raise ContainerError("options", "mito: setns needs the container's name")
    what = "%s container %s" % (options.get("kind"), name)
    argv, pattern = pid_query(options)
    out = _run_tool(argv, what, float(options.get("timeout") or TOOL_TIMEOUT))
    pid = _pid_from(out, pattern)
    if not pid:
        raise ContainerError("not-running", "%s is not running (%s answered %r)" % (what, argv[0], out.strip()[:200]),
                             out)
    return pid


def _setns_function():
    if hasattr(os, "setns"):  # Python 3.12+
        return os.setns
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)

    def setns(fd, nstype=0):
        if libc.setns(fd, nstype) == -1:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
    return setns


def _open_namespaces(pid):
    """Opens (before joining any) every namespace of `pid` that differs from ours, and its root."""
    opened = []
    try:
        for ns in NAMESPACES:
            path = "/proc/%d/ns/%s" % (pid, ns)
            try:
                if os.readlink(path) == os.readlink("/proc/self/ns/%s" % ns):
                    continue
            except OSError:
                continue  # a namespace type this kernel does not have
            opened.append((ns, os.open(path, os.O_RDONLY)))
        root = os.open("/proc/%d/root" % pid, os.O_RDONLY)
    except OSError as e:
        _close(*[fd for _, fd in opened])
        raise ContainerError("setns", "cannot open the namespaces of pid %d: %s" % (pid, e.strerror))
    return opened, root


def _enter(pid, setns):
    """Joins the namespaces and the root directory of `pid` (in a single-threaded, forked process)."""
    opened, root = _open_namespaces(pid)
    for ns, fd in opened:
        try:
            setns(fd, 0)
        except OSError as e:
            raise ContainerError("setns", "setns(%s namespace of pid %d): %s" % (ns, pid, e.strerror))
        os.close(fd)
    os.fchdir(root)
    os.chroot(".")
    os.chdir("/")
    os.close(root)


def _db_entries(path):
    try:
        with open(path) as f:
            return [line.rstrip("\n").split(":") for line in f if line.strip() and not line.startswith("#")]
    except IOError:
        return []


def become_user(username):
    """Switches to `username` as the (new) root's /etc/passwd and /etc/group describe it; sets HOME,
    USER, LOGNAME and goes to the home directory."""
    entry = None
    for e in _db_entries("/etc/passwd"):
        if len(e) >= 7 and (e[0] == username or (username.isdigit() and e[2] == username)):
            entry = e
            break
    if entry is None:
        if not username.isdigit():
            raise ContainerError("user", "no user %r in the container's /etc/passwd" % (username,))
        uid = gid = int(username)
        name, home = username, "/"
    else:
        name, uid, gid, home = entry[0], int(entry[2]), int(entry[3]), entry[5] or "/"
    groups = [gid] + [int(g[2]) for g in _db_entries("/etc/group")
                      if len(g) >= 4 and g[2].isdigit() and name in g[3].split(",")]
    os.setgroups(sorted(set(groups)))
    os.setgid(gid)
    os.setuid(uid)
    os.environ.update({"HOME": home, "USER": name, "LOGNAME": name})
    try:
        os.chdir(home)
    except OSError:
        os.chdir("/")


def enter_and_exec(pid, username, argv, setns, env=None):
    """In a forked child: joins the container, forks once more so the program is inside its pid
    namespace too, and execs argv there as `username`. The middle process waits for it and exits with
    its status, holding none of the program's stdio (so its end is seen as EOF)."""
    _enter(pid, setns)
    inner = os.fork()
    if inner == 0:
        try:
            if env:
                os.environ.update(env)
            if username:
                become_user(username)
            os.execvp(argv[0], argv)
        except BaseException as e:
            _child_fail(e)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    while True:
        try:
            _, status = os.waitpid(inner, 0)
            break
        except InterruptedError:
            continue
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def spawn_setns(options, argv):
    """setns: the leader pid from the tool, then a child in that process's namespaces and root."""
    pid = leader_pid(options)
    setns = _setns_function()  # resolved before forking: nothing is imported in the child
    what = "setns into %s container %s (pid %d)" % (options.get("kind"), options.get("container"), pid)
    child, parent, err_r = _fork_with_stdio(
        lambda: enter_and_exec(pid, options.get("username"), list(argv), setns, options.get("env")))
    return _started(child, parent, err_r, float(options.get("timeout") or TOOL_TIMEOUT), what)


def launch(options, argv):
    """The controller's own setns (no context on its machine): this process joins the container and runs
    the first stage there on its own stdin/stdout; it never returns."""
    try:
        pid = leader_pid(options)
        enter_and_exec(pid, options.get("username"), argv, _setns_function(), options.get("env"))
    except BaseException as e:
        _child_fail(e)


# mito.parent merges these into its spawn-method registry the first time one of them is asked for.
SPAWN_METHODS = {
    "docker": spawn_prefixed,
    "podman": spawn_prefixed,
    "buildah": spawn_prefixed,
    "kubectl": spawn_prefixed,
    "lxc": spawn_prefixed,
    "lxd": spawn_prefixed,
    "jail": spawn_prefixed,
    "chroot": spawn_prefixed,
    "setns": spawn_setns,
}


if __name__ == "__main__" and len(sys.argv) == 3:
    launch(json.loads(sys.argv[1]), json.loads(sys.argv[2]))
