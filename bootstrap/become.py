"""Become hops (sudo, su, doas) and interactive spawns (ssh to the next bastion) from inside a context.

The child's stdin and stdout are one end of a socketpair that afterwards carries the protocol; its stderr
is a pipe, or a PTY (also its controlling terminal) only where the method needs one: a password to type,
or sudo's requiretty. Chroots and containers often have no /dev/pts, and a hop that needs no terminal
must still start there, as Ansible's does.
The handshake ends when the child writes its first byte on the socket (the first stage's greeting):
nothing is read from it here, so the protocol sees every byte. Failures raise BecomeError naming the
exact cause. Stdlib only; Python 3.6 to 3.13.
"""

import binascii
import errno
import fcntl
import os
import re
import select
import shlex
import signal
import socket
import termios
import threading
import time

DEFAULT_TIMEOUT = 30.0


class BecomeError(Exception):
    """A hop that could not start. kind is one of: wrong-password, password-required, requiretty,
    unknown-user, not-allowed, timeout, exec-failed, exited, bad-flags."""

    def __init__(self, kind, message, output=""):
        Exception.__init__(self, message)
        self.kind = kind
        self.message = message
        self.output = output

    def to_dict(self):
        return {"kind": self.kind, "message": self.message, "output": self.output}


# -- argv building -------------------------------------------------------------------------------------

def _split_flags(flags):
    if flags is None:
        return []
    if isinstance(flags, str):
        return shlex.split(flags)
    return list(flags)


# sudo(8) options: letters that take an argument, and those that do not.
_SUDO_WITH_ARG = set("CDghpRrTtUu")
_SUDO_NO_ARG = set("AbEeHiKklnPSsVv")
# Options mito forwards unchanged; others are either handled (-n, -S, -p, -u) or refused.
_SUDO_FORWARD = set("EHiPsgCDhRrTtk")
_SUDO_REFUSED = {
    "b": "runs the command in the background, detached from the protocol",
    "e": "edits files instead of running a command",
    "K": "only removes the cached credentials",
    "l": "only lists privileges",
    "V": "only prints the version",
    "v": "only validates credentials",
    "A": "reads the password through an askpass program instead of mito's terminal",
    "U": "only applies to -l",
}


def parse_sudo_flags(flags):
    """Splits become_flags/sudo_flags into flags to forward and the user named by -u (if any).
    -n is dropped (mito adds it itself when no password is given), -S is kept for sudo_argv to drop
    where mito types a password, -p is replaced by mito's prompt marker; flags that cannot work raise
    BecomeError."""
    words = _split_flags(flags)
    forward = []
    user = None
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word.startswith("--"):
            raise BecomeError("bad-flags", "sudo flag %s is not supported by mito" % word)
        if not word.startswith("-") or word == "-":
            raise BecomeError("bad-flags", "unexpected argument %r in sudo flags" % word)
        j = 1
        while j < len(word):
            c = word[j]
            j += 1
            if c in _SUDO_WITH_ARG:
                arg = word[j:]
                if not arg:
                    if i >= len(words):
                        raise BecomeError("bad-flags", "sudo flag -%s needs an argument" % c)
                    arg = words[i]
                    i += 1
                if c == "u":
                    user = arg
                elif c == "p":
                    pass
                elif c in _SUDO_FORWARD:
                    forward.extend(["-" + c, arg])
                else:
                    raise BecomeError("bad-flags", "sudo flag -%s is not supported by mito" % c)
                break
            if c not in _SUDO_NO_ARG:
                raise BecomeError("bad-flags", "-%s is not a sudo(8) flag" % c)
            if c in _SUDO_REFUSED:
                raise BecomeError("bad-flags", "sudo flag -%s %s" % (c, _SUDO_REFUSED[c]))
            if c == "n":
                continue
            forward.append("-" + c)
    return forward, user


def sudo_argv(command, user="root", password=None, path="sudo", flags=None, marker=None):
    """sudo [flags] -u USER -p MARKER [-n] -- command..."""
    forward, flag_user = parse_sudo_flags(flags)
    if flag_user is not None and user is not None and flag_user != user:
        raise BecomeError(
            "bad-flags", "sudo flags name user %s but the become user is %s" % (flag_user, user))
    if password is not None:
        # typed on mito's PTY: stdin is the protocol's, not a password's (Ansible's -S pipes it there)
        forward = [f for f in forward if f != "-S"]
    argv = [path or "sudo"] + forward + ["-u", user or flag_user or "root"]
    argv += ["-p", marker]
    if password is None:
        argv.append("-n")
    return argv + ["--"] + list(command)


def su_argv(command, user="root", path="su", flags=None, shell=None):
    """su [flags] [-s SHELL] USER -c 'command' (the command string runs under the user's shell)."""
    argv = [path or "su"] + _split_flags(flags)
    if shell:
        argv += ["-s", shell]
    return argv + [user or "root", "-c", " ".join(shlex.quote(w) for w in command)]


def doas_argv(command, user="root", password=None, path="doas", flags=None):
    """doas [flags] [-n] -u USER -- command..."""
    argv = [path or "doas"] + [f for f in _split_flags(flags) if f != "-n"]
    if password is None:
        argv.append("-n")
    return argv + ["-u", user or "root", "--"] + list(command)


# -- prompt and failure recognition --------------------------------------------------------------------

# "Password:" as su and PAM print it in common locales (lower-cased, without the colon).
_PASSWORD_WORDS = [
    "password", "passwort", "mot de passe", "contraseña", "contrasena", "senha", "palavra-passe",
    "wachtwoord", "lösenord", "losenord", "adgangskode", "passord", "salasana", "hasło", "haslo",
    "heslo", "jelszó", "parola", "parolă", "пароль", "лозинка", "密码", "密碼", "口令", "パスワード",
    "암호", "비밀번호", "סיסמה", "كلمة المرور", "şifre", "sifre", "κωδικός", "geslo", "lozinka",
    "slaptažodis", "parole", "salasõna", "contrasenya", "pasahitza", "mật khẩu", "รหัสผ่าน", "पासवर्ड",
    "passphrase",
]
_PASSWORD_PROMPT = re.compile(
    r"(?:^|[\s(\[])(?:%s)(?: for [^\n:]*)?\s*[:：]\s*$" % "|".join(re.escape(w) for w in _PASSWORD_WORDS),
    re.IGNORECASE | re.UNICODE)

# (kind, pattern, message) checked against the PTY output, first match wins.
_SUDO_ERRORS = [
    ("requiretty", re.compile(r"sorry, you must have a tty"), "sudo requires a TTY (requiretty) and none could be used"),
    ("password-required", re.compile(r"a (?:terminal is required|password is required)"), "sudo needs a password and none was given"),
    ("wrong-password", re.compile(r"incorrect password attempt|Sorry, try again"), "sudo rejected the password (wrong password)"),
    ("unknown-user", re.compile(r"unknown user|user \S+ does not exist"), "the become user does not exist"),
    ("not-allowed", re.compile(r"is not in the sudoers file|is not allowed to execute|not allowed to run sudo"), "sudo does not allow this user to run the command as the become user"),
]
_SU_ERRORS = [
    ("wrong-password", re.compile(r"Authentication failure|incorrect password|Sorry\.?\s*$|Authentifizierungsfehler|Échec de l'authentification", re.M), "su rejected the password (wrong password)"),
    ("unknown-user", re.compile(r"does not exist|[Uu]nknown (?:login|user)|No passwd entry"), "the become user does not exist"),
    ("not-allowed", re.compile(r"[Pp]ermission denied|not allowed"), "su does not allow this user to become the target user"),
]
_DOAS_ERRORS = [
    ("password-required", re.compile(r"Authori[sz]ation required|Authentication required|a tty is required"), "doas needs a password and none was given"),
    ("wrong-password", re.compile(r"Authentication failed|Authorization failed"), "doas rejected the password (wrong password)"),
    ("unknown-user", re.compile(r"unknown user|user \S+ does not exist|No such user"), "the become user does not exist"),
    ("not-allowed", re.compile(r"Operation not permitted|not permitted"), "doas does not permit this user to run the command as the become user"),
]
# The same causes transports/_ssh_argv.ts finds for an ssh started by the controller.
_SSH_ERRORS = [
    ("hostkey-changed", re.compile(r"Host key for .* has changed|REMOTE HOST IDENTIFICATION HAS CHANGED"), "ssh: the host key has changed since it was recorded in known_hosts"),
    ("hostkey-unknown", re.compile(r"No \S+ host key is known for|Host key verification failed"), "ssh: the host key is not in known_hosts and host key checking is enforced"),
    ("auth", re.compile(r"Permission denied \(|Too many authentication failures|Authentication failed"), "ssh: authentication failed"),
    ("refused", re.compile(r"Connection refused"), "ssh: connection refused"),
    ("timeout", re.compile(r"timed out"), "ssh: connection timed out"),
    ("dns", re.compile(r"Could not resolve hostname|Name or service not known"), "ssh: the host name could not be resolved"),
    ("unreachable", re.compile(r"No route to host|Network is unreachable|Connection reset|Connection closed by"), "ssh: the host is unreachable"),
]


class _Method(object):
    def __init__(self, name, errors, prompt):
        self.name = name
        self.errors = errors
        self.prompt = prompt  # function(text_since_last_answer) -> bool


# -- the spawn -------------------------------------------------------------------------------------------

class Spawned(object):
    """A child whose handshake succeeded: fd carries the protocol (its stdin and stdout), tty is the read
    end of its stderr (a PTY master, also its controlling terminal, or a pipe) which the caller must keep
    open and drain until the child exits, since closing it hangs the child up (or breaks its stderr)."""

    def __init__(self, pid, fd, tty, output):
        self.pid = pid
        self.fd = fd
        self.tty = tty
        self.output = output


def _openpty_noecho():
    master, slave = os.openpty()
    attrs = termios.tcgetattr(slave)
    # No echo: the typed password never comes back on the master. sudo/su restore what they find.
    attrs[3] &= ~(termios.ECHO | termios.ECHONL)
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    return master, slave


def _terminal(want_pty):
    """(read end, child's end) of the child's stderr: a PTY when wanted and one can be had, else a pipe.
    A password is typed only where a prompt shows, so a pipe in its place fails as the method's own
    words say (sudo: a terminal is required), never silently."""
    if want_pty:
        try:
            return _openpty_noecho() + (True,)
        except OSError:  # no /dev/pts (ENODEV, ENOENT) or no PTYs left
            pass
    r, w = os.pipe()
    return r, w, False


def _child(argv, sock_fd, slave, env):
    try:
        os.setsid()
        try:
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        except (OSError, IOError):
            pass
        os.dup2(sock_fd, 0)
        os.dup2(sock_fd, 1)
        os.dup2(slave, 2)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        # Ignored across exec: where the hop execs the child directly (doas, a plain su), the child ends up
        # as the PTY's session leader, and the parent closes the master once no one holds the slave open;
        # that hangup must not kill it. Its lifetime follows its protocol stream instead.
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        if env is None:
            os.execvp(argv[0], argv)
        else:
            os.execvpe(argv[0], argv, env)
    except BaseException as e:
        try:
            os.write(2, ("mito: cannot execute %s: %s\n" % (argv[0], e)).encode("utf-8", "replace"))
        finally:
            os._exit(127)
    os._exit(127)


def _kill(pid):
    """SIGKILL and reap, bounded: a hop that already switched its real uid cannot be signalled, but the
    hangup of its terminal (the caller closed the PTY master first) makes it exit on its own."""
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    if _wait_status(pid, 5.0) is None:
        threading.Thread(target=_reap_blocking, args=(pid,), name="mito-become-reap", daemon=True).start()


def _reap_blocking(pid):
    try:
        os.waitpid(pid, 0)
    except OSError:
        pass


def _read_tty(fd):
    try:
        return os.read(fd, 65536)
    except OSError as e:
        if e.errno == errno.EIO:  # Linux: every slave fd closed
            return b""
        raise


def spawn(argv, method, password=None, timeout=None, env=None, prompt=None, answer_on_stdin=False, pty=None):
    """Starts argv with the protocol on a socketpair and its stderr on a PTY (pty true; by default when a
    password may have to be typed) or a pipe; answers the password prompt once, and returns a Spawned once
    the child writes its first byte on the socket. answer_on_stdin types the password into the socket
    instead of the terminal, for programs whose PAM conversation reads stdin (util-linux su): they read
    it with one read() before the child exists, so nothing else is consumed."""
    errors = {"sudo": _SUDO_ERRORS, "su": _SU_ERRORS, "doas": _DOAS_ERRORS}.get(method, _SSH_ERRORS)
    if prompt is None:
        def prompt(text):
            return _PASSWORD_PROMPT.search(text) is not None
    timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    if pty is None:
        pty = password is not None
    parent_sock, child_sock = socket.socketpair()
    master, slave, _ = _terminal(pty)
    pid = os.fork()
    if pid == 0:
        parent_sock.close()
        os.close(master)
        _child(argv, child_sock.fileno(), slave, env)
    child_sock.close()
    os.close(slave)
    try:
        answer_fd = parent_sock.fileno() if answer_on_stdin else master
        output = _handshake(pid, parent_sock, master, answer_fd, method, errors, prompt, password, timeout, argv)
    except BaseException as e:
        # Hang the hop up first (EOF on its terminal and stdin), then kill what is left.
        parent_sock.close()
        os.close(master)
        if not getattr(e, "reaped", False):
            _kill(pid)
        raise
    fd = os.dup(parent_sock.fileno())
    parent_sock.close()
    return Spawned(pid, fd, master, output)


def _classify(errors, text):
    for kind, pattern, message in errors:
        m = pattern.search(text)
        if m:
            if errors is _SSH_ERRORS:  # name the line ssh printed, as the controller-side classifier does
                start = text.rfind("\n", 0, m.start()) + 1
                end = text.find("\n", m.end())
                message = "%s (%s)" % (message, text[start:end if end >= 0 else len(text)].strip())
            return kind, message
    return None


def _handshake(pid, sock, master, answer_fd, method, errors, prompt, password, timeout, argv):
    """Watches the PTY for prompts and errors and the socket for the child's first byte. Raises
    BecomeError on failure; spawn() then hangs the hop up and kills it."""
    deadline = time.monotonic() + timeout
    raw = b""
    answered_at = None  # len(raw) when the password was typed; later output judges it
    tty_open = True
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            text = raw.decode("utf-8", "replace")
            raise BecomeError("timeout", "%s did not start the child within %gs (last output: %r)"
                              % (method, timeout, text[-200:]), text)
        watch = [sock, master] if tty_open else [sock]
        try:
            readable = select.select(watch, [], [], remaining)[0]
        except (OSError, select.error) as e:  # Python 3.6 may still surface EINTR
            if e.args[0] == errno.EINTR:
                continue
            raise
        if master in readable:
            chunk = _read_tty(master)
            if not chunk:
                tty_open = False
            raw += chunk
            text = raw.decode("utf-8", "replace")
            since = raw[answered_at or 0:].decode("utf-8", "replace")
            found = _classify(errors, since)
            if found and (found[0] != "wrong-password" or answered_at is not None):
                raise BecomeError(found[0], found[1], text)
            if since.strip() and prompt(since):
                if password is None:
                    raise BecomeError("password-required",
                                      "%s asked for a password and none was given" % method, text)
                if answered_at is not None:
                    raise BecomeError("wrong-password", "%s rejected the password (wrong password)" % method, text)
                os.write(answer_fd, password.encode("utf-8") + b"\n")
                answered_at = len(raw)
                continue
        if sock in readable:
            try:
                first = sock.recv(1, socket.MSG_PEEK)
            except OSError:
                first = b""
            text = raw.decode("utf-8", "replace")
            if first:
                return text
            # The child closed the socket without a byte: it failed; collect what it said.
            raw = _drain(master, raw, tty_open)
            text = raw.decode("utf-8", "replace")
            found = _classify(errors, raw[answered_at or 0:].decode("utf-8", "replace"))
            if found:
                raise BecomeError(found[0], found[1], text)
            status = _wait_status(pid)
            if status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 127:
                # ssh passes on the remote shell's "command not found"; others could not exec at all.
                kind = "python-missing" if method == "ssh" else "exec-failed"
            else:
                kind = "exited"
            message = "%s exited (%s) before the child started: %s" % (
                argv[0], _describe_status(status), text.strip()[-300:] or "no output")
            err = BecomeError(kind, message, text)
            err.reaped = status is not None  # then never signal it: the pid may be recycled
            raise err


def _drain(master, raw, tty_open):
    end = time.monotonic() + 1.0
    while tty_open and time.monotonic() < end:
        if not select.select([master], [], [], max(0.0, end - time.monotonic()))[0]:
            break
        chunk = _read_tty(master)
        if not chunk:
            break
        raw += chunk
    return raw


def _wait_status(pid, limit=2.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            got, status = os.waitpid(pid, os.WNOHANG)
        except OSError:
            return None
        if got:
            return status
        time.sleep(0.01)
    return None


def _describe_status(status):
    if status is None:
        return "still running"
    if os.WIFSIGNALED(status):
        return "signal %d" % os.WTERMSIG(status)
    return "status %d" % os.WEXITSTATUS(status)


def unique_marker():
    return "mito-sudo-password-%s:" % binascii.hexlify(os.urandom(8)).decode("ascii")


def _shown(proc, argv_of, command):
    """The command a become hop ran, for the controller to show as Ansible's connections show their EXEC
    lines (-vvv): its first stage (the last word of `command`) as a placeholder; no password is in it."""
    proc.shown = " ".join(shlex.quote(a) for a in argv_of(list(command[:-1]) + ["<mito bootstrap>"]))
    return proc


def become(method, command, user="root", password=None, path=None, flags=None, timeout=None, env=None):
    """Spawns `command` (the child's first stage argv) under sudo, su or doas as `user`."""
    if method == "sudo":
        marker = unique_marker()
        argv = sudo_argv(command, user, password, path, flags, marker)
        shown = lambda c: sudo_argv(c, user, password, path, flags, marker)  # noqa: E731

        def prompt(text):
            # The marker, or PAM's own prompt where a module does not let sudo replace it.
            return marker in text or _PASSWORD_PROMPT.search(text) is not None
        try:
            return _shown(spawn(argv, "sudo", password, timeout, env, prompt), shown, command)
        except BecomeError as e:
            # Defaults requiretty: only now is a terminal worth asking for (none may exist at all).
            if e.kind != "requiretty" or password is not None:
                raise
        return _shown(spawn(argv, "sudo", password, timeout, env, prompt, pty=True), shown, command)
    if method == "su":
        proc = spawn(su_argv(command, user, path, flags), "su", password, timeout, env, answer_on_stdin=True)
        return _shown(proc, lambda c: su_argv(c, user, path, flags), command)
    if method == "doas":
        proc = spawn(doas_argv(command, user, password, path, flags), "doas", password, timeout, env)
        return _shown(proc, lambda c: doas_argv(c, user, password, path, flags), command)
    raise BecomeError("bad-flags", "unknown become method %r" % (method,))


def ssh(argv, password=None, timeout=None, env=None):
    """Spawns an ssh(1) hop (argv built by the controller) from this context. Passwords and key
    passphrases are typed on the PTY; ssh's own failure output is in BecomeError.output for the
    controller to classify."""
    # ssh asks for passwords and key passphrases on its terminal even when none is given (BatchMode off).
    return spawn(argv, "ssh", password, timeout, env, pty=True)


def _become_method(method):
    def spawn_method(options, argv):
        return become(method, argv, user=options.get("user") or "root", password=options.get("password"),
                      path=options.get("path"), flags=options.get("flags"), timeout=options.get("timeout"),
                      env=options.get("env"))
    return spawn_method


def _spawn_ssh(options, argv):
    # options["argv"] is the whole ssh command line (built by the controller, remote command included).
    try:
        return ssh(options["argv"], password=options.get("password"), timeout=options.get("timeout"),
                   env=options.get("env"))
    except BecomeError as e:
        # Say which host, as the controller's own ssh errors do ("ssh to HOST: ...").
        host = options.get("host")
        if host and e.message.startswith("ssh: "):
            e.message = "ssh to %s: %s" % (host, e.message[5:])
            e.args = (e.message,)
        raise


# mito.parent merges this into its spawn-method registry (docs/protocol.md, "Spawning children").
SPAWN_METHODS = {
    "sudo": _become_method("sudo"),
    "su": _become_method("su"),
    "doas": _become_method("doas"),
    "ssh": _spawn_ssh,
}
