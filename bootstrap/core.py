"""mito remote core: the runtime a context runs after the first stage (docs/protocol.md).

An I/O loop routes frames between the parent stream and child streams, serves module requests of
children and forwards captured output; the main thread runs calls one after another. The main thread
runs the I/O loop itself while it has no call to run, and an I/O thread runs it while calls run.
Only what every context needs is here: starting children (mito.parent), file transfers (mito.transfer)
and forks linked to the context (mito.fork) are modules a context imports when a call first needs them.
Importable on a target as mito.core. Stdlib only; Python 3.6 to 3.13.
"""

# Only what every context needs is imported here; logging, traceback, tempfile, shutil, socket and
# importlib.util are imported where used, which keeps them off the bootstrap's critical path.
import collections
import errno
import fcntl
import importlib
import io
import json
import os
import select
import signal
import struct
import sys
import threading
import time
import types

# -- framing ---------------------------------------------------------------------------------------------

MAGIC = 0x4D  # "M"
HEADER = struct.Struct(">BBiiiiiI")  # magic, encoding << 4 | flags, dst, src, auth, handle, reply_to, length
HEADER_SIZE = HEADER.size
FLAG_DEAD = 1
FLAG_TAGS = 2
FLAG_BLOBS = 4  # the structured body has a blob table; without it the body is bare JSON
_FLAG_MASK = FLAG_DEAD | FLAG_TAGS | FLAG_BLOBS
ENC_STRUCTURED = 0
ENC_RAW = 1

CALL = 1
READY = 2
GET_MODULE = 3
LOAD_MODULE = 4
FORWARD_LOG = 5
ADD_ROUTE = 6
DEL_ROUTE = 7
SHUTDOWN = 8
CANCEL = 9
FILE_CHUNK = 10
FILE_ACK = 11
DISCONNECT = 12
FIRST_REPLY_HANDLE = 1000
# Sent only by an ancestor: a child sending one of these upward is attacking what is above it.
_DOWNWARD = {CALL: "CALL", LOAD_MODULE: "LOAD_MODULE", SHUTDOWN: "SHUTDOWN", CANCEL: "CANCEL",
             ADD_ROUTE: "ADD_ROUTE", DISCONNECT: "DISCONNECT"}

# How often the I/O thread looks whether a call is taking long (the main thread then still has the loop):
# every TICK_MIN while calls run, backing off to TICK_MAX while the context is idle.
TICK_MIN = 0.002
TICK_MAX = 0.05
POLL_IN = select.POLLIN | select.POLLPRI
POLL_READABLE = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR

MAX_SAFE = (1 << 53) - 1
CHUNK = 256 * 1024


class ProtocolError(Exception):
    pass


class CodecError(ProtocolError):
    pass


class RemoteError(Exception):
    """An error value received from another context."""

    def __init__(self, type_, message, tb="", data=None):
        Exception.__init__(self, "%s: %s" % (type_, message))
        self.type = type_
        self.message = message
        self.traceback = tb
        self.data = data


class Dead(Exception):
    """A dead letter: the message could not be delivered."""


def _prep(o, blobs, st):
    t = type(o)
    if t is str or t is bool or o is None:
        return o
    if t is int:
        if -MAX_SAFE <= o <= MAX_SAFE:
            return o
        st[0] = True
        return {"$i": str(o)}
    if t is float:
        if o != o or o in (float("inf"), float("-inf")) or o.is_integer():
            st[0] = True
            return {"$f": repr(o)}
        return o
    if t is dict:
        out = {}
        for k in o:
            if type(k) is not str:
                st[0] = True
                return {"$d": [[_prep(k, blobs, st), _prep(v, blobs, st)] for k, v in o.items()]}
            out[k] = _prep(o[k], blobs, st)
        if len(out) == 1:
            k = next(iter(out))
            if k[:1] == "$":
                st[0] = True
                return {"$d": [[k, out[k]]]}
        return out
    if t is list:
        return [_prep(x, blobs, st) for x in o]
    if t is tuple:
        st[0] = True
        return {"$t": [_prep(x, blobs, st) for x in o]}
    if t is bytes or t is bytearray or t is memoryview:
        st[0] = True
        blobs.append(bytes(o) if t is not bytes else o)
        return {"$b": len(blobs) - 1}
    if isinstance(o, BaseException):
        st[0] = True
        return {"$e": _error_fields(o, blobs, st)}
    # Subclasses (IntEnum, OrderedDict, namedtuple, str enums) travel as their base type.
    if isinstance(o, bool):
        return bool(o)
    if isinstance(o, int):
        return _prep(int(o), blobs, st)
    if isinstance(o, float):
        return _prep(float(o), blobs, st)
    if isinstance(o, str):
        return str(o)
    if isinstance(o, dict):
        return _prep(dict(o), blobs, st)
    if isinstance(o, tuple):
        return _prep(tuple(o), blobs, st)
    if isinstance(o, (list, set, frozenset)):
        return [_prep(x, blobs, st) for x in o]
    raise CodecError("cannot encode a value of type %s" % t.__name__)


def _error_fields(e, blobs=None, st=None):
    if isinstance(e, RemoteError):
        data = e.data
        if data is not None and blobs is not None:
            data = _prep(data, blobs, st)
        return {"type": e.type, "message": e.message, "traceback": e.traceback, "data": data}
    import traceback
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    data = None
    to_dict = getattr(e, "to_dict", None)
    if callable(to_dict):
        try:
            data = to_dict()
        except Exception:
            data = None
    if data is not None and blobs is not None:
        data = _prep(data, blobs, st)
    return {"type": type(e).__name__, "message": str(e), "traceback": tb, "data": data}


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_dumps_ascii = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), check_circular=False).encode
_U32 = struct.Struct(">I")


def encode_body(value):
    """Returns (body bytes, header flags) for a structured body: bare JSON unless bytes need blobs."""
    blobs = []
    st = [False]
    text = _dumps(_prep(value, blobs, st))
    try:
        js = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: escape them as JSON does
        js = _dumps_ascii(json.loads(text)).encode("ascii")
    flags = FLAG_TAGS if st[0] else 0
    if not blobs:
        return js, flags
    parts = [_U32.pack(len(js)), js, _U32.pack(len(blobs))]
    for b in blobs:
        parts.append(_U32.pack(len(b)))
        parts.append(b)
    return b"".join(parts), flags | FLAG_BLOBS


def decode_body(body, flags=FLAG_TAGS):
    if not flags & FLAG_BLOBS:
        return _parse_json(body, flags & FLAG_TAGS, ())
    n = len(body)
    if n < 8:
        raise CodecError("structured body of %d bytes is too short" % n)
    jlen = _U32.unpack_from(body, 0)[0]
    if jlen > n - 8:
        raise CodecError("JSON length %d exceeds the body (%d bytes)" % (jlen, n))
    off = 4 + jlen
    count = _U32.unpack_from(body, off)[0]
    off += 4
    if count > (n - off) // 4:
        raise CodecError("blob count %d exceeds the body" % count)
    blobs = []
    mv = memoryview(body)
    for i in range(count):
        if off + 4 > n:
            raise CodecError("truncated blob header")
        blen = _U32.unpack_from(body, off)[0]
        off += 4
        if blen > n - off:
            raise CodecError("blob %d length %d exceeds the body" % (i, blen))
        blobs.append(bytes(mv[off:off + blen]))
        off += blen
    if off != n:
        raise CodecError("%d trailing bytes after the blobs" % (n - off))
    return _parse_json(mv[4:4 + jlen], True, blobs)


# What a decoder accepts (docs/protocol.md "Limits"): nesting of arrays and objects (tags included), their
# number in one body (each costs json.loads ~60 bytes and time, so 128 MB of "[]," would cost gigabytes),
# and the digits of a big integer (int() is quadratic in them; 4300 is Python's own limit since 3.11).
MAX_DEPTH = 512
MAX_CONTAINERS = 1000000
MAX_INT_DIGITS = 4300
_JSON_STRINGS = None
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_NESTING_STEP = [0] * 256
_NESTING_STEP[0x5B] = _NESTING_STEP[0x7B] = 1
_NESTING_STEP[0x5D] = _NESTING_STEP[0x7D] = -1
_INT_TEXT = None
_FLOAT_TEXT = None


def _check_shape(js):
    """Refuses JSON nested deeper than MAX_DEPTH or holding more than MAX_CONTAINERS arrays and objects
    before json.loads builds any of it; most bodies have too few brackets to need more than a count. The
    rest is done by C loops (regex, translate, accumulate), not a Python loop per bracket."""
    global _JSON_STRINGS
    if js.count(b"[") + js.count(b"{") <= MAX_DEPTH:
        return
    if _JSON_STRINGS is None:
        import re
        _JSON_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
    brackets = _JSON_STRINGS.sub(b"", js).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") > MAX_CONTAINERS:
        raise CodecError("body holds more than %d arrays and objects" % MAX_CONTAINERS)
    import itertools
    if max(itertools.accumulate(map(_NESTING_STEP.__getitem__, brackets)), default=0) > MAX_DEPTH:
        raise CodecError("body nested deeper than %d levels" % MAX_DEPTH)


def _parse_json(js, tagged, blobs):
    js = bytes(js)
    _check_shape(js)
    try:
        text = js.decode("utf-8", "surrogatepass")
        if not tagged:
            return json.loads(text)
        return json.loads(text, object_hook=_make_hook(blobs))
    except CodecError:
        raise
    except (ValueError, UnicodeDecodeError) as e:
        raise CodecError("bad JSON in body: %s" % e)
    except RecursionError:
        # Within MAX_DEPTH only when the caller's own stack is already deep.
        raise CodecError("body nested too deep to decode here")


def _tag_int(x):
    global _INT_TEXT
    if _INT_TEXT is None:
        import re
        _INT_TEXT = re.compile(r"-?[0-9]{1,%d}\Z" % MAX_INT_DIGITS)
    if type(x) is not str or not _INT_TEXT.match(x):
        raise CodecError("bad big integer %.40r" % (x,))
    return int(x)


def _tag_float(x):
    global _FLOAT_TEXT
    if _FLOAT_TEXT is None:
        import re
        _FLOAT_TEXT = re.compile(r"(nan|-?inf|-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?)\Z")
    if type(x) is not str or not _FLOAT_TEXT.match(x):
        raise CodecError("bad float %.40r" % (x,))
    return float(x)


def _tag_dict(x):
    if type(x) is not list:
        raise CodecError("bad dict tag")
    out = {}
    for p in x:
        if type(p) not in (list, tuple) or len(p) != 2:
            raise CodecError("bad dict pair")
        try:
            out[_hashable(p[0])] = p[1]
        except TypeError:
            raise CodecError("unhashable dict key of type %s" % type(p[0]).__name__)
    return out


def _tag_error(x):
    if type(x) is not dict:
        raise CodecError("bad error tag")

    def text(key, default):
        v = x.get(key, default)
        return v if type(v) is str else str(v)

    return RemoteError(text("type", "Exception"), text("message", ""), text("traceback", ""), x.get("data"))


def _make_hook(blobs):
    def hook(d):
        if len(d) != 1:
            return d
        for k in d:
            if k[:1] != "$":
                return d
            x = d[k]
            if k == "$b":
                if type(x) is not int or not 0 <= x < len(blobs):
                    raise CodecError("bad blob index %.40r" % (x,))
                return blobs[x]
            if k == "$t":
                if type(x) is not list:
                    raise CodecError("bad tuple tag")
                return tuple(x)
            if k == "$i":
                return _tag_int(x)
            if k == "$f":
                return _tag_float(x)
            if k == "$d":
                return _tag_dict(x)
            if k == "$e":
                return _tag_error(x)
            raise CodecError("unknown tag %.40s" % k)
    return hook


def _hashable(k):
    if isinstance(k, list):
        return tuple(_hashable(x) for x in k)
    return k


class Message(object):
    __slots__ = ("flags", "encoding", "dst", "src", "auth", "handle", "reply_to", "body", "stream")

    def __init__(self, flags, encoding, dst, src, auth, handle, reply_to, body, stream=None):
        self.flags = flags
        self.encoding = encoding
        self.dst = dst
        self.src = src
        self.auth = auth
        self.handle = handle
        self.reply_to = reply_to
        self.body = body
        self.stream = stream

    def value(self):
        if self.flags & FLAG_DEAD:
            raise Dead(bytes(self.body).decode("utf-8", "replace"))
        if self.encoding == ENC_RAW:
            return bytes(self.body)
        return decode_body(self.body, self.flags)


def frame(dst, src, auth, handle, reply_to, value=None, raw=None, flags=0):
    """One encoded frame (header + body) ready to write."""
    if raw is not None:
        enc = ENC_RAW
        body = raw
    else:
        enc = ENC_STRUCTURED
        body, body_flags = encode_body(value)
        flags |= body_flags
    return HEADER.pack(MAGIC, enc << 4 | flags, dst, src, auth, handle, reply_to, len(body)) + body


# -- streams and router ----------------------------------------------------------------------------------

def _wait_fd(fd, write, timeout):
    """True once fd is readable (or writable), False on timeout (seconds; None waits forever)."""
    p = select.poll()
    p.register(fd, select.POLLOUT if write else POLL_IN)
    try:
        return bool(p.poll(None if timeout is None else max(0, int(timeout * 1000))))
    except (OSError, select.error) as e:
        if e.args and e.args[0] == errno.EINTR:
            return False
        raise


def _set_nonblock(fd):
    fl = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)


def _write_all(fd, data):
    mv = memoryview(data)
    while mv:
        try:
            n = os.write(fd, mv)
        except (BlockingIOError, InterruptedError):
            _wait_fd(fd, True, None)
            continue
        mv = mv[n:]


class Stream(object):
    """A byte pipe to the parent or a direct child. send() may be called from any thread: it writes
    directly when nothing is queued (lowest latency) and queues the rest for the I/O thread."""

    def __init__(self, router, rfd, wfd, name, remote_id=None, pid=None, tty=None):
        self.router = router
        self.rfd = rfd
        self.wfd = wfd
        self.name = name
        self.remote_id = remote_id
        self.pid = pid
        self.tty = tty
        self.buf = bytearray()
        self.pending = collections.deque()
        self.lock = threading.Lock()
        self.closed = False
        self.sent_modules = set()
        self.wake_sent = False
        self.rbuf = bytearray(CHUNK)
        self.rview = memoryview(self.rbuf)
        _set_nonblock(wfd)
        if rfd != wfd:
            _set_nonblock(rfd)

    def send(self, data, defer=False):
        """defer: more replies are about to follow (a pipelined burst); queue this one for the I/O thread,
        which writes the whole batch with one writev, instead of one write per reply."""
        wake = False
        with self.lock:
            if self.closed:
                return False
            if defer:
                self.pending.append(data)
                wake = not self.wake_sent
                self.wake_sent = True
            elif not self.pending:
                try:
                    n = os.write(self.wfd, data)
                except (BlockingIOError, InterruptedError):
                    n = 0
                except OSError:
                    return False  # the reader side sees the end and reports the stream gone
                if n == len(data):
                    return True
                data = memoryview(data)[n:]
                wake = True
            self.pending.append(data)
        if wake:
            self.router.wake()
        return True

    def flush_some(self):
        with self.lock:
            self.wake_sent = False
            pending = self.pending
            while pending:
                batch = list(pending)[:512]  # IOV_MAX is 1024 on Linux
                try:
                    n = os.writev(self.wfd, batch)
                except (BlockingIOError, InterruptedError):
                    return
                for data in batch:
                    if n >= len(data):
                        n -= len(data)
                        pending.popleft()
                    else:
                        pending[0] = memoryview(data)[n:]
                        return

    def read_frames(self, max_size):
        """Reads what is available; returns (frames, eof). Raises ProtocolError on a corrupt frame."""
        try:
            n = os.readv(self.rfd, [self.rbuf])  # into a reused buffer: no allocation per read
        except (BlockingIOError, InterruptedError):
            return [], False
        except OSError:
            n = 0
        if not n:
            return [], True
        buf = self.buf
        buf += self.rview[:n]
        out = []
        off = 0
        size = len(buf)
        view = memoryview(buf)
        try:
            while size - off >= HEADER_SIZE:
                frame = self._frame_at(buf, view, off, size, max_size)
                if frame is None:
                    break
                out.append(frame)
                off += len(frame[1])
        finally:
            view.release()  # before the resize below, which an exported view would forbid
            del buf[:off]  # once per read, not per frame
        return out, False

    def _frame_at(self, buf, view, off, size, max_size):
        """The (Message, raw bytes) starting at buf[off], or None while it is incomplete. The frame is copied
        out of the buffer once; the message's body is a view of that copy (file chunks are written from
        it, never copied again)."""
        magic, kind, dst, src, auth, handle, reply_to, length = HEADER.unpack_from(buf, off)
        if magic != MAGIC:
            raise ProtocolError("corrupt frame from %s: bad magic 0x%02x" % (self.name, magic))
        enc = kind >> 4
        flags = kind & 15
        if enc not in (ENC_STRUCTURED, ENC_RAW):
            raise ProtocolError("corrupt frame from %s: unknown encoding %d" % (self.name, enc))
        if flags & ~_FLAG_MASK:
            raise ProtocolError("corrupt frame from %s: unknown flags 0x%x" % (self.name, flags))
        if length > max_size:
            raise ProtocolError("corrupt frame from %s: message of %d bytes exceeds the maximum of %d"
                                % (self.name, length, max_size))
        end = off + HEADER_SIZE + length
        if size < end:
            return None
        raw = view[off:end].tobytes()
        return Message(flags, enc, dst, src, auth, handle, reply_to, memoryview(raw)[HEADER_SIZE:], self), raw

    def close(self):
        with self.lock:
            if self.closed:
                return
            self.closed = True
            self.pending.clear()
        for fd in set((self.rfd, self.wfd)):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.tty is not None:
            self.router.forget_tty(self.tty)


class Router(object):
    def __init__(self, config, rfd, wfd):
        self.id = config["id"]
        self.parent_ids = list(config.get("parent_ids") or [0])
        self.parent_id = self.parent_ids[-1]
        self.above = frozenset(self.parent_ids)  # who may send down to this context (docs "Authority")
        self.max_size = int(config.get("max_message_size") or 128 * 1024 * 1024)
        self.parent = Stream(self, rfd, wfd, "parent", self.parent_id)
        self.children = {}  # rfd -> Stream
        self.routes = {}  # context id -> child Stream
        self.handlers = {}  # reply handle -> callable(Message)
        self.next_handle = FIRST_REPLY_HANDLE
        self.lock = threading.Lock()
        self.ttys = {}  # fd -> Stream owning it
        self.extra_readers = {}  # fd -> callable(fd) -> bool keep
        self.wake_r, self.wake_w = os.pipe()
        _set_nonblock(self.wake_r)
        _set_nonblock(self.wake_w)
        self.shutting_down = False
        self.fds_changed = 0  # bumped whenever a watched fd is replaced (same counts, other fds)
        self._read_key = None
        self._plain_key = None
        self._read_base = {}
        self._streams = [self.parent]
        self._poller = select.poll()
        self._registered = {}
        # The baton: which thread runs the I/O loop (see lead()). `baton` guards the hand-overs.
        self.baton = threading.Lock()
        self.io_leads = False
        self.main_busy = False
        self.main_calls = 0
        self.main_waiting = False
        self.io_turn = threading.Lock()  # held while the I/O thread follows; released to give it the loop
        self.io_turn.acquire()
        self.main_turn = threading.Lock()  # held while the main thread waits for the loop back
        self.main_turn.acquire()

    def wake(self):
        try:
            os.write(self.wake_w, b"x")
        except OSError:
            pass

    def alloc_handle(self, fn, peer=None):
        """A reply handle for a message to context `peer`: only `peer` may answer it (None: an ancestor,
        as any message from the parent stream is)."""
        with self.lock:
            h = self.next_handle
            self.next_handle += 1
            self.handlers[h] = (fn, peer)
        return h

    def send(self, dst, handle, value=None, reply_to=0, raw=None, flags=0, defer=False):
        data = frame(dst, self.id, self.id, handle, reply_to, value, raw, flags)
        if len(data) - HEADER_SIZE > self.max_size:
            # The receiver would have to drop the stream; refuse here so only this message fails.
            raise CodecError("message of %d bytes exceeds the maximum of %d" % (len(data) - HEADER_SIZE,
                                                                              self.max_size))
        self.route_out(data, dst, defer)

    def route_out(self, data, dst, defer=False):
        stream = self.routes.get(dst)
        if stream is None:
            stream = self.parent
        stream.send(data, defer)

    def reply(self, msg, value=None, raw=None, defer=False):
        if msg.reply_to:
            self.send(msg.src, msg.reply_to, value, raw=raw, defer=defer)

    def dead_letter(self, msg, reason):
        if msg.reply_to and not msg.flags & FLAG_DEAD:
            self.route_out(frame(msg.src, self.id, self.id, msg.reply_to, 0,
                                 raw=reason.encode("utf-8"), flags=FLAG_DEAD), msg.src)

    def forget_tty(self, fd):
        """Closes a hop's PTY master: on its EOF, or when the hop's stream ends, whichever comes first.
        Only the first closes it; by the second the number may already name another fd (a new hop's)."""
        with self.lock:
            owner = self.ttys.pop(fd, None)
            self.fds_changed += 1
        if owner is None:
            return
        owner.tty = None
        try:
            os.close(fd)
        except OSError:
            pass

    def add_child(self, stream):
        """Attaches a child's stream. Its ancestors learnt the route from the controller (ADD_ROUTE)
        before it was started: routes only ever come from above."""
        with self.lock:
            self.fds_changed += 1
            self.children[stream.rfd] = stream
            self.routes[stream.remote_id] = stream
            if stream.tty is not None:
                self.ttys[stream.tty] = stream
        self.wake()

    # Incoming: called on the thread leading the I/O loop, for every frame. The rules are those of
    # docs/protocol.md "Authority": from the parent stream only what an ancestor sent, for this context or
    # one below it; from a child stream only what its own subtree sent, addressed upward, with handles a
    # context may send upward. A child breaking them is cut off; the parent stream is trusted as a whole
    # (it can end this context anyway), so what is wrong there is only dropped.
    def on_frame(self, msg, raw):
        stream = msg.stream
        if stream is self.parent:
            if msg.src not in self.above or msg.auth not in self.above:
                _warn("mito: dropped a message from context %d (authority %d) on the parent stream of context "
                      "%d: only its ancestors send down" % (msg.src, msg.auth, self.id))
                return
            if msg.dst == self.id:
                self.dispatch(msg)
                return
            target = self.routes.get(msg.dst)
            if target is None or not target.send(raw):
                self.dead_letter(msg, "mito: no route to context %d from context %d" % (msg.dst, self.id))
            return
        if stream.closed:
            return  # the rest of a batch read before the stream was cut off
        if self.routes.get(msg.src) is not stream or self.routes.get(msg.auth) is not stream:
            return self.violation(stream, "it sent a message as context %d (authority %d)" % (msg.src, msg.auth))
        h = msg.handle
        if h in _DOWNWARD:
            return self.violation(stream, "it sent %s, which only an ancestor may send" % _DOWNWARD[h])
        if msg.dst == self.id:
            if h == GET_MODULE and msg.src == stream.remote_id:
                _importer.on_request(msg)
            elif h >= FIRST_REPLY_HANDLE and self._peer_of(h) == msg.src:
                self.dispatch(msg)
            else:
                self.violation(stream, "it sent a message with handle %d to context %d" % (h, self.id))
            return
        if msg.dst not in self.above:
            return self.violation(stream, "it sent a message to context %d; a context may send only to its "
                                          "ancestors" % msg.dst)
        if h == GET_MODULE:
            return self.violation(stream, "it asked context %d for a module; it must ask its parent" % msg.dst)
        if h == DEL_ROUTE and msg.dst == 0:
            self._forget_routes(msg, stream)
        if not self.parent.send(raw):
            self.dead_letter(msg, "mito: context %d lost its parent" % self.id)

    def _peer_of(self, handle):
        with self.lock:
            entry = self.handlers.get(handle)
        return None if entry is None else entry[1]

    def violation(self, stream, detail):
        """Cuts a child off for breaking the protocol; the controller hears why with DEL_ROUTE."""
        if stream.pid and not stream.closed:  # before on_child_gone reaps it: the pid is still ours
            try:
                os.kill(stream.pid, signal.SIGKILL)
            except OSError:
                pass  # e.g. a setuid sudo: closing its stream is what disconnects it
        self.on_child_gone(stream, detail, violation=True)

    def _forget_routes(self, msg, stream):
        """A DEL_ROUTE passing up from a child: only routes through that child's stream, never the child
        itself (its own stream ending says that)."""
        try:
            ids = msg.value()
        except Exception:
            return
        if type(ids) is not list:
            return
        with self.lock:
            for i in ids:
                if type(i) is int and self.routes.get(i) is stream and i != stream.remote_id:
                    del self.routes[i]

    def dispatch(self, msg):
        """A message for this context from an ancestor, or a reply from the context its handle was for."""
        h = msg.handle
        if h >= FIRST_REPLY_HANDLE:
            with self.lock:
                entry = self.handlers.pop(h, None)
            if entry is not None:
                entry[0](msg)
            return
        if h == CALL:
            _runtime.enqueue(msg)
        elif h == CANCEL:
            _runtime.cancel(msg)
        elif h == SHUTDOWN:
            _runtime.begin_shutdown("shutdown requested")
        elif h == FILE_CHUNK or h == FILE_ACK:
            _transfer_messages.put(msg)
        elif h == LOAD_MODULE:
            _importer.on_load(msg)
        elif h == ADD_ROUTE:
            self._add_route(msg)
        elif h == DISCONNECT:
            self._disconnect(msg)
        else:
            self.dead_letter(msg, "mito: context %d has no handle %d" % (self.id, h))

    def _add_route(self, msg):
        """ADD_ROUTE [id, via]: context id is being started behind our descendant via."""
        child, via = msg.value()
        with self.lock:
            stream = self.routes.get(via)
            if stream is not None and child != self.id and child not in self.above:
                self.routes[child] = stream

    def _disconnect(self, msg):
        """DISCONNECT [id, reason]: the controller caught our child id breaking the protocol."""
        child, reason = msg.value()
        with self.lock:
            stream = self.routes.get(child)
        if stream is not None and stream.remote_id == child:
            self.violation(stream, reason)

    def on_child_gone(self, stream, reason, violation=False):
        stream.close()
        with self.lock:
            first = self.children.get(stream.rfd) is stream  # not again after a violation cut it off
            if first:
                del self.children[stream.rfd]
            self.fds_changed += 1
            ids = [i for i, s in self.routes.items() if s is stream]
            for i in ids:
                del self.routes[i]
        if ids and not self.shutting_down:
            if stream.remote_id in ids:  # first: a trailing reason is about it
                ids.remove(stream.remote_id)
                ids.insert(0, stream.remote_id)
            self.send(0, DEL_ROUTE, ids + [reason] if violation else ids)
        if stream.pid and first:
            _reap(stream.pid)

    def _poll_sync(self, poller, registered):
        """Brings the poll registrations in line with what is wanted now; returns the write fd -> Stream
        map of streams with queued output. poll, unlike select, has no FD_SETSIZE limit. In the common
        case (same fds, nothing queued) this is a few comparisons: it runs between reading a call and
        blocking, i.e. while the main thread waits for the GIL to run that call."""
        key = (len(self.children), len(self.ttys), len(self.extra_readers), self.fds_changed)
        if key != self._read_key:
            with self.lock:
                self._streams = list(self.children.values()) + [self.parent]
                base = dict.fromkeys(self.children, POLL_IN)
                for fd in self.ttys:
                    base[fd] = POLL_IN
            for fd in self.extra_readers:
                base[fd] = POLL_IN
            base[self.wake_r] = POLL_IN
            base[self.parent.rfd] = POLL_IN
            self._read_base = base
            self._read_key = key
        writers = {}
        for s in self._streams:
            if s.pending:
                writers[s.wfd] = s
        if not writers and self._plain_key == key:
            return writers  # the registrations are exactly the read set already
        want = dict(self._read_base)
        for fd in writers:
            want[fd] = want.get(fd, 0) | select.POLLOUT
        for fd in list(registered):
            if fd not in want:
                try:
                    poller.unregister(fd)
                except (KeyError, ValueError, OSError):
                    pass
                del registered[fd]
        for fd, ev in want.items():
            old = registered.get(fd)
            if old != ev:
                try:
                    if old is None:
                        poller.register(fd, ev)
                    else:
                        poller.modify(fd, ev)
                    registered[fd] = ev
                except (ValueError, OSError):  # closed meanwhile: the next round drops it
                    registered.pop(fd, None)
                    self.fds_changed += 1
        self._plain_key = None if writers else (len(self.children), len(self.ttys), len(self.extra_readers),
                                                 self.fds_changed)
        return writers

    def lead(self, main):
        """Runs the I/O loop on this thread while it has the baton; returns the reason the context ends, or
        None on the main thread once calls are queued.

        The main thread leads while it has no call to run, so a call it reads runs without a thread switch
        (waking another thread for it was a third of a local round trip). While it runs calls the I/O
        thread sleeps: short calls finish before anything else needs the loop. It takes the loop over when
        one call has run for a whole tick, or at once when a call is about to wait for messages
        (lend_loop), and hands it back when the main thread has no calls left."""
        while True:
            if main and _runtime.queue and not _runtime.stopping:
                return None
            reason = self._iterate()
            if reason is not None:
                return reason
            if not main and self.main_waiting:
                with self.baton:
                    self.main_waiting = False
                    self.io_leads = False
                self.main_turn.release()
                self.follow()

    def follow(self):
        """The I/O thread while the main thread leads or runs calls: returns when it has the loop."""
        tick = TICK_MIN
        seen = -1
        while True:
            if self.io_turn.acquire(True, tick):
                return
            with self.baton:
                if self.io_leads:
                    # lend_loop handed the loop over between the timeout and here: its permit must not stay
                    # behind, or the next follow() would return at once while the main thread leads.
                    self.io_turn.acquire(False)
                    return
                if self.main_busy and self.main_calls == seen:
                    self.io_leads = True
                    return
                # Idle contexts wake rarely; a busy one is checked every TICK_MIN.
                tick = TICK_MIN if self.main_busy else min(tick * 2, TICK_MAX)
                seen = self.main_calls

    def call_started(self):
        with self.baton:
            self.main_busy = True
            self.main_calls += 1

    def lend_loop(self):
        """The main thread is about to wait for messages inside a call: the I/O thread must lead now."""
        with self.baton:
            if self.io_leads or not self.main_busy:
                return
            self.io_leads = True
        self.io_turn.release()

    def calls_done(self):
        """The main thread has no calls left: it leads again, taking the loop back if it was handed over."""
        with self.baton:
            self.main_busy = False
            if not self.io_leads:
                return
            self.main_waiting = True
        self.wake()
        self.main_turn.acquire()

    def _iterate(self):
        """One poll and what it found."""
        writers = self._poll_sync(self._poller, self._registered)
        try:
            events = self._poller.poll()
        except (OSError, select.error) as e:
            if e.args and e.args[0] == errno.EINTR:
                return None
            raise
        for fd, ev in events:
            if ev & select.POLLNVAL:
                self._prune()
                continue
            if ev & select.POLLOUT and fd in writers:
                writers[fd].flush_some()
            if not ev & POLL_READABLE:
                continue
            if fd == self.wake_r:
                try:
                    os.read(self.wake_r, 4096)
                except OSError:
                    pass
            elif fd == self.parent.rfd:
                try:
                    frames, eof = self.parent.read_frames(self.max_size)
                except ProtocolError as e:
                    return "protocol error on the parent stream: %s" % e
                for msg, raw in frames:
                    self._safe(msg, raw)
                if eof:
                    return "parent stream closed"
            elif fd in self.children:
                s = self.children[fd]
                try:
                    frames, eof = s.read_frames(self.max_size)
                except ProtocolError as e:
                    _warn("mito: %s" % e, 40)
                    frames, eof = [], True
                for msg, raw in frames:
                    self._safe(msg, raw)
                if eof:
                    self.on_child_gone(s, "stream closed")
            elif fd in self.ttys:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    self.forget_tty(fd)
            elif fd in self.extra_readers:
                if not self.extra_readers[fd](fd):
                    del self.extra_readers[fd]
                    self.fds_changed += 1
        if self.shutting_down and not self.parent.pending:
            return "shutdown"
        return None

    def _safe(self, msg, raw):
        try:
            self.on_frame(msg, raw)
        except Exception:
            import traceback
            _warn("mito: failed to handle a message for handle %d: %s" % (msg.handle, traceback.format_exc()),
                  40)

    def _prune(self):
        for fd, s in list(self.children.items()):
            try:
                os.fstat(fd)
            except OSError:
                self.on_child_gone(s, "fd closed")
        for fd in list(self.ttys):
            try:
                os.fstat(fd)
            except OSError:
                self.ttys.pop(fd, None)


def _reap(pid):
    """Reaps a child without blocking the I/O thread for long."""
    def wait():
        for _ in range(100):
            try:
                got, _ = os.waitpid(pid, os.WNOHANG)
            except OSError:
                return
            if got:
                return
            time.sleep(0.05)
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
    t = threading.Thread(target=wait, name="mito-reap")
    t.daemon = True
    t.start()


# -- importer --------------------------------------------------------------------------------------------

class Importer(object):
    """Client (meta path finder, at the end of sys.meta_path) and, for children, a caching responder."""

    def __init__(self, router, importable):
        self.router = router
        self.importable = set(importable)
        self.local = frozenset()  # the importable packages this interpreter has of its own (_local_packages)
        # Packages this interpreter has too, but whose copy must not serve the modules the controller runs: a
        # release other than the controller's (_local_packages). Their names are the controller's alone.
        self.foreign = frozenset()
        self.pinned = set()  # names a module_utils folder overrides: the controller's even under a local package
        # While the core warms up (_warm) nobody reads messages: a name the controller would serve is then
        # not asked for but noted here (None: not warming), and the warm import that needed it is undone.
        self.offline = None
        self.cache = {}  # fullname -> (is_pkg, filename, source bytes, related) or None
        self.pending = {}  # fullname -> threading.Event
        self.waiting_children = {}  # fullname -> [(stream, ctx id)]
        self.lock = threading.Lock()

    # meta path finder protocol
    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top not in self.importable:
            return None
        if top in self.local and fullname not in self.cache and self._found_after(fullname, path, target):
            return None
        if self.missed_offline(fullname):
            return None
        entry = self.get(fullname)
        if entry is None:
            # Finders after this one (six's, for its `moves`) get their turn; as the last one, say why.
            if sys.meta_path and sys.meta_path[-1] is self:
                raise ImportError("mito: the controller does not serve %s" % fullname, name=fullname)
            return None
        import importlib.util
        return importlib.util.spec_from_loader(fullname, self, origin=entry[1], is_package=entry[0])

    def missed_offline(self, fullname):
        """Whether `fullname` must not be asked for now (the core is warming up) and was noted instead."""
        if self.offline is None or fullname in self.cache:
            return False
        self.offline.append(fullname)
        return True

    def claims(self, fullname):
        """Whether `fullname` must come from the controller although this interpreter may have it: its
        package is a foreign release, or a module_utils folder overrides it (or a package above it)."""
        if fullname.partition(".")[0] in self.foreign:
            return True
        for name in self.pinned:
            if fullname == name or fullname.startswith(name + "."):
                return True
        return False

    def pin(self, names):
        """From now on `names` (and what is below them) come from the controller (see claims). A pinned
        name this interpreter already imported from its own copy is stale, and so is every module of its
        copy that may hold it: all of that package's locally loaded modules are forgotten, to be imported
        again (from disk, and the pinned ones from the controller) by the next module that needs them."""
        new = [n for n in names if n not in self.pinned]
        if not new:
            return
        self.pinned.update(new)
        stale = set()
        for name, module in list(sys.modules.items()):
            if any(name == n or name.startswith(n + ".") for n in new) and \
                    getattr(module, "__loader__", None) is not self:
                stale.add(name.partition(".")[0])
        for name, module in list(sys.modules.items()):
            if name.partition(".")[0] in stale and getattr(module, "__loader__", None) is not self:
                del sys.modules[name]

    def _found_after(self, fullname, path, target):
        """Whether a finder after this one knows `fullname` (six's, for its `moves`). Asked first for a
        package this interpreter has of its own: the name is that copy's (its six's), and asking the
        controller first would cost a round trip to learn that it does not serve it."""
        try:
            later = sys.meta_path[sys.meta_path.index(self) + 1:]
        except ValueError:
            return False
        for finder in later:
            try:
                find_spec = getattr(finder, "find_spec", None)
                if find_spec is not None:
                    if find_spec(fullname, path, target) is not None:
                        return True
                elif getattr(finder, "find_module", None) is not None and finder.find_module(fullname, path):
                    return True  # an older six
            except Exception:
                continue
        return False

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        entry = self.cache.get(module.__name__)
        if entry is None:
            raise ImportError("mito: %s vanished from the module cache" % module.__name__)
        is_pkg, filename, source = entry[0], entry[1], entry[2]
        module.__file__ = filename
        if is_pkg:
            module.__path__ = []
        code = compile(source, filename, "exec", dont_inherit=True)
        exec(code, module.__dict__)

    def get_source(self, fullname):
        entry = self.cache.get(fullname)
        if entry is None:
            return None
        return entry[2].decode("utf-8", "replace")

    def is_package(self, fullname):
        entry = self.cache.get(fullname)
        return bool(entry and entry[0])

    def prefetch(self, fullname):
        """Before a call imports `fullname`: ask for it at once, so its parent packages and related
        modules arrive in the same answer instead of one request per package level. Skipped when the
        top-level package exists locally (local modules win)."""
        if fullname in sys.modules or fullname in self.cache:
            return
        top = fullname.partition(".")[0]
        if top not in self.importable or top in sys.modules and top != "mito" and not self.claims(fullname):
            return
        if top != "mito" and not self.claims(fullname):
            import importlib.machinery
            if importlib.machinery.PathFinder.find_spec(top) is not None:
                return
        self.get(fullname)

    def get(self, fullname, timeout=None):
        """The cache entry of `fullname` (None: not served), asking the parent context the first time. A
        process forked from the context asks the context over its link instead (see mito.fork); one forked
        without a link cannot import on demand and says so at once. Bounded by the config's import_timeout."""
        if timeout is None:
            timeout = _import_timeout()
        if os.getpid() != _forks.pid:
            _detach_fork()
        if _forks.detached:
            if _forks.link is None:
                if fullname in self.cache:
                    return self.cache[fullname]
                raise ImportError("mito: cannot import %s: this process was forked from context %d without a "
                                  "link to it (use mito.fork.fork)" % (fullname, self.router.id), name=fullname)
            # The context bounds its own wait by `timeout` and then answers with its error, which names the
            # module better than a timeout here would.
            return _forks.link.fetch(self, fullname, timeout + LINK_MARGIN)
        with self.lock:
            if fullname in self.cache:
                return self.cache[fullname]
            ev = self.pending.get(fullname)
            ask = ev is None
            if ask:
                ev = self.pending[fullname] = threading.Event()
        if ask:
            self.router.send(self.router.parent_id, GET_MODULE, fullname)
        self.router.lend_loop()
        if not ev.wait(timeout):
            raise ImportError("mito: no answer from the parent for module %s within %gs" % (fullname, timeout),
                              name=fullname)
        return self.cache.get(fullname)

    def on_load(self, msg):
        fullname, entry = self._entry(msg)
        with self.lock:
            self.cache[fullname] = entry
            ev = self.pending.pop(fullname, None)
            waiters = self.waiting_children.pop(fullname, [])
        for stream, ctx in waiters:
            self._serve(stream, ctx, fullname)
        if ev is not None:
            ev.set()

    def on_request(self, msg):
        fullname = msg.value()
        with self.lock:
            known = fullname in self.cache
            if not known:
                self.waiting_children.setdefault(fullname, []).append((msg.stream, msg.src))
                ask = fullname not in self.pending
                if ask:
                    self.pending[fullname] = threading.Event()
        if known:
            self._serve(msg.stream, msg.src, fullname)
        elif ask:
            self.router.send(self.router.parent_id, GET_MODULE, fullname)

    @staticmethod
    def _entry(msg):
        """(fullname, cache entry) of a LOAD_MODULE message."""
        fullname, is_pkg, filename, source, related = msg.value()
        return fullname, None if source is None else (bool(is_pkg), filename, source, list(related or ()))

    def _serve(self, stream, ctx, fullname):
        entry = self.cache.get(fullname)
        if entry is not None:
            for name in entry[3]:
                rel = self.cache.get(name)
                if rel is not None and name not in stream.sent_modules:
                    self._send(stream, ctx, name, rel)
        self._send(stream, ctx, fullname, entry)

    def _send(self, stream, ctx, name, entry):
        stream.sent_modules.add(name)
        stream.send(self._load_frame(ctx, name, entry))

    def _load_frame(self, ctx, name, entry):
        if entry is None:
            value = [name, False, None, None, []]
        else:
            value = [name, entry[0], entry[1], entry[2], entry[3]]
        return frame(ctx, self.router.id, self.router.id, LOAD_MODULE, 0, value)


# -- forks of a context ----------------------------------------------------------------------------------
# A process forked from a context (a module run in isolation, an async job, a module's own fork) has no I/O
# thread, and the context's stream is not its to use: frames it wrote there would interleave with the
# context's own (a corrupt stream ends the context) and the answers would reach the context, never the fork.
# So every fork is detached at once (an at-fork hook; a pid check where Python has none): its router sends
# nowhere, and it imports nothing on demand, unless mito.fork made it, which gives it a link to the context
# (bootstrap/fork.py: only contexts that fork load it).

# A linked child waits this much longer than the context does for its parent, so the context's own error,
# which names the module, is what it reports.
LINK_MARGIN = 5.0


class _Forks(object):
    def __init__(self):
        self.home = os.getpid()  # the context's own process
        self.pid = self.home  # the process this state was last brought in line with
        self.detached = False
        self.link = None  # this process's link to the context it was forked from (mito.fork's _Link)
        self.served = set()  # the context's ends of its live links: closed in each new fork
        self.stale = []  # inherited fds of the context's streams, closed by mito.fork's child


_forks = _Forks()


def _import_timeout():
    return float(_config.get("import_timeout") or 60)


class _Detached(object):
    """A forked process's router's parent stream when it has no link: what it sends goes nowhere."""
    pending = ()

    def send(self, data, defer=False):
        return False


def _detach_fork():
    """In a new process forked from a context (or from one of its forks): forgets the context's streams and
    the locks and waits other threads of the parent held at the fork. Never raises (it runs as an at-fork
    hook, also in children about to exec)."""
    if os.getpid() == _forks.pid:
        return
    try:
        _forks.pid = os.getpid()
        first = not _forks.detached
        _forks.detached = True
        for fd in list(_forks.served):  # only the context may hold these (their children watch for its end)
            try:
                os.close(fd)
            except OSError:
                pass
        _forks.served = set()
        link = _forks.link
        if link is not None:
            link.lock = threading.Lock()
            link.wlock = threading.Lock()
        r = _router
        if r is not None and first:
            stale = [r.parent.rfd, r.parent.wfd, r.wake_r, r.wake_w] + list(r.ttys) + list(r.extra_readers)
            for st in r.children.values():
                stale.extend((st.rfd, st.wfd))
            _forks.stale = [(fd, _fd_identity(fd)) for fd in set(stale)]
        if r is not None:
            r.lock = threading.Lock()
            r.parent = link if link is not None else _Detached()
            r.routes = {}
            r.children = {}
            r.ttys = {}
            r.extra_readers = {}
            r.wake = lambda: None
        if _importer is not None:
            _importer.lock = threading.Lock()
            _importer.pending = {}
            _importer.waiting_children = {}
    except Exception:
        pass


def _fd_identity(fd):
    try:
        st = os.fstat(fd)
        return (st.st_dev, st.st_ino)
    except OSError:
        return None


def _end_stray_fork(exc=None):
    """A process forked inside a call came back to the context's call loop (code that forked and then
    returned, raised or called sys.exit where it should have exited): it ends here, with the status its
    own program would have had, before it could answer the call, read the context's stream or run the
    context's exit path."""
    if os.getpid() == _forks.home:
        return
    if isinstance(exc, SystemExit):
        os._exit(exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1)
    os._exit(0 if exc is None else 1)


# -- logging and captured output -------------------------------------------------------------------------

def _warn(text, level=30):
    try:
        if os.getpid() != _forks.pid:
            _detach_fork()
        _router.send(0, FORWARD_LOG, ["mito", level, text])
    except Exception:
        pass


_logging_hooked = [False]


class _LoggingWatcher(object):
    """First on sys.meta_path until `logging` is imported: loads it normally, then hooks it, so contexts
    that never log never pay for importing it."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "logging":
            return None
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass
        import importlib.machinery
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _HookedLoader(spec.loader)
        return spec


class _HookedLoader(object):
    def __init__(self, real):
        self.real = real

    def create_module(self, spec):
        return self.real.create_module(spec)

    def exec_module(self, module):
        self.real.exec_module(module)
        _hook_logging()

    def __getattr__(self, name):
        return getattr(self.real, name)


def _hook_logging():
    """Forwards the `logging` root to the controller."""
    if _logging_hooked[0]:
        return
    _logging_hooked[0] = True
    import logging

    class ForwardHandler(logging.Handler):
        def emit(self, record):
            try:
                if os.getpid() != _forks.pid:
                    _detach_fork()
                _router.send(0, FORWARD_LOG, [record.name, record.levelno, self.format(record)])
            except Exception:
                pass

    handler = ForwardHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(int(_config.get("log_level") or logging.WARNING))


def _capture(fd, name):
    """Points fd (1 or 2) at a pipe whose lines are forwarded as FORWARD_LOG records named `name`."""
    r, w = os.pipe()
    os.dup2(w, fd)
    os.close(w)
    _set_nonblock(r)
    pending = [b""]

    def on_readable(rfd):
        try:
            data = os.read(rfd, 65536)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            data = b""
        buf = pending[0] + data
        if data:
            lines = buf.split(b"\n")
            pending[0] = lines.pop()
        else:
            lines = [buf] if buf else []
            pending[0] = b""
        for line in lines:
            _router.send(0, FORWARD_LOG, [name, 20 if name == "stdout" else 30,
                                          line.decode("utf-8", "replace")])
        return bool(data)
    _router.extra_readers[r] = on_readable


# -- temp dir --------------------------------------------------------------------------------------------

_temp_lock = threading.Lock()
_temp_dir = [None]


def _expand(p):
    return os.path.expanduser(os.path.expandvars(p))


def _temp_candidates():
    out = []
    if _config.get("remote_tmp"):
        out.append(_expand(_config["remote_tmp"]))
    for p in _config.get("system_tmpdirs") or []:
        out.append(_expand(p))
    for var in ("TMPDIR", "TEMP", "TMP"):
        if os.environ.get(var):
            out.append(os.environ[var])
    out.extend(["/tmp", "/var/tmp", "/usr/tmp"])
    try:
        out.append(os.getcwd())
    except OSError:
        pass
    return out


def _usable_tmp(base):
    try:
        if not os.path.isdir(base):
            os.makedirs(base, 0o700)
        import tempfile
        # The pid in the name lets a later interpreter tell a dir whose owner was killed (see _sweep).
        path = tempfile.mkdtemp(prefix="mito_%d_" % os.getpid(), dir=base)
    except OSError:
        return None
    probe = os.path.join(path, ".exec-probe")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o700)
        os.close(fd)
        ok = os.access(probe, os.X_OK)  # refused on noexec mounts
        os.unlink(probe)
    except OSError:
        ok = False
    if not ok:
        import shutil
        shutil.rmtree(path, ignore_errors=True)
        return None
    return path


def get_temp_dir():
    """This interpreter's private temp dir: created on first use, removed at shutdown."""
    with _temp_lock:
        if _temp_dir[0] is None:
            tried = []
            for base in _temp_candidates():
                path = _usable_tmp(base)
                if path:
                    _temp_dir[0] = path
                    _sweep(base)
                    break
                tried.append(base)
            else:
                raise IOError("mito: no writable, exec-allowed temp dir among: %s" % ", ".join(tried))
        return _temp_dir[0]


_PARTIALS = ".partials"  # mito.transfer lists its partial files here, for the next interpreter's _sweep
# In the name of an upload that waits beside its destination for a later call to move it into place
# (mito.transfer's receive_file, scratch): only such names and ".mito-part" files are ever removed as leftovers.
UPLOAD_MARK = ".mito-upload-"


def _remove_partials(dead_dir, uid):
    try:
        with open(os.path.join(dead_dir, _PARTIALS)) as f:
            paths = f.read().splitlines()
    except (IOError, OSError):
        return
    for p in paths:
        try:
            if (p.endswith(".mito-part") or UPLOAD_MARK in os.path.basename(p)) and os.lstat(p).st_uid == uid:
                os.unlink(p)
        except OSError:
            pass


def _sweep(base):
    """Removes private temp dirs in `base` left by interpreters of this account that were killed (their
    shutdown never ran: a transfer's partial file may still be there). A dir whose pid is alive, or not
    ours, is left alone; pid reuse can only make a stale dir look alive, never the reverse."""
    import re
    import shutil
    try:
        names = os.listdir(base)
    except OSError:
        return
    uid = os.getuid()
    for name in names:
        m = re.match(r"^mito_(\d+)_", name)
        if not m or int(m.group(1)) == os.getpid():
            continue
        path = os.path.join(base, name)
        try:
            if os.lstat(path).st_uid != uid:
                continue
            os.kill(int(m.group(1)), 0)
        except ProcessLookupError:
            _remove_partials(path, uid)
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def _remove_temp_dir():
    with _temp_lock:
        path = _temp_dir[0]
        _temp_dir[0] = None
    if path:
        import shutil
        shutil.rmtree(path, ignore_errors=True)


# -- calls -----------------------------------------------------------------------------------------------

class Runtime(object):
    """Calls run on the main thread (signal handlers only work there), one after another. Whichever thread
    leads the I/O loop queues them (Router.lead)."""

    def __init__(self):
        self.queue = collections.deque()
        self.failed_chains = {}
        self.stopping = False

    def enqueue(self, msg):
        self.queue.append(msg)

    def cancel(self, msg):
        handle = msg.value()
        for m in list(self.queue):
            if m.reply_to == handle:
                try:
                    self.queue.remove(m)
                except ValueError:
                    pass

    def begin_shutdown(self, reason):
        self.stopping = True
        _router.shutting_down = True
        _router.wake()

    def run(self):
        """The main thread: leads the I/O loop until calls arrive, runs them, and so on; returns the reason
        the context ends when it ends while this thread leads."""
        queue = self.queue
        while True:
            reason = _router.lead(True)
            if reason is not None:
                return reason
            while queue and not self.stopping:
                msg = queue.popleft()
                _router.call_started()
                try:
                    self.call(msg)
                except Exception as e:  # the loop outlives any one call, whatever went wrong answering it
                    _warn("mito: call on handle %d could not be answered: %s" % (msg.reply_to, e), 40)
            _router.calls_done()

    def call(self, msg):
        try:
            body = msg.value()
            modname, _, fname = body[0].partition(":")
            args = body[1] if len(body) > 1 else ()
            kwargs = body[2] if len(body) > 2 else None
            chain = body[3] if len(body) > 3 else None
        except Exception as e:
            _router.reply(msg, RemoteError(*_describe(e, "?", "?")))
            return
        if chain is not None and chain in self.failed_chains:
            if msg.reply_to:
                _router.reply(msg, self.failed_chains.pop(chain))
            return
        try:
            obj = sys.modules.get(modname)
            if obj is None:
                _importer.prefetch(modname)
                obj = importlib.import_module(modname)
            for part in fname.split("."):
                obj = getattr(obj, part)
            if obj in _WAITING_CALLS:
                _router.lend_loop()
            result = obj(*(args or ()), **(kwargs or {}))
        except BaseException as e:  # SystemExit from a called function must not end the context
            _end_stray_fork(e)
            if isinstance(e, KeyboardInterrupt):
                raise
            err = RemoteError(*_describe(e, modname, fname))
            if msg.reply_to:
                if chain is not None:
                    self.failed_chains.pop(chain, None)
                try:
                    _router.reply(msg, err, defer=bool(self.queue))
                except Exception as e2:  # e.g. to_dict() data the codec cannot carry
                    _router.reply(msg, RemoteError(err.type, "%s (its details could not be sent: %s)"
                                                   % (err.message, e2), err.traceback))
            elif chain is not None:
                self.failed_chains.setdefault(chain, err)
            else:  # nobody waits for this answer: the failure still reaches the controller's log
                _warn("mito: %s.%s (no reply wanted) failed: %s" % (modname, fname, err), 30)
            return
        _end_stray_fork()
        if msg.reply_to:
            if chain is not None:
                self.failed_chains.pop(chain, None)
            try:
                _router.reply(msg, result, defer=bool(self.queue))
            except Exception as e:  # CodecError, or an object whose encoding itself failed
                _router.reply(msg, RemoteError("CodecError", "%s.%s returned %s" % (modname, fname, e)))


def _describe(e, modname, fname):
    f = _error_fields(e)
    data = f["data"]
    if data is None:
        data = {"call": "%s.%s" % (modname, fname)}
    elif isinstance(data, dict):
        data.setdefault("call", "%s.%s" % (modname, fname))
    return f["type"], f["message"], f["traceback"], data


# -- modules loaded on demand ----------------------------------------------------------------------------
# Child spawning (mito.parent), file transfers (mito.transfer) and forks with a link (mito.fork) are not part
# of the core: a context imports them through the importer when a call first needs them (docs/protocol.md
# "Core and modules loaded on demand"). These are the core's hooks for them.

# Functions that wait for messages while they run (spawning a child, file transfers): the I/O thread leads
# from their start. Their modules mark them with waits() as they load.
_WAITING_CALLS = set()


def waits(fn):
    _WAITING_CALLS.add(fn)
    return fn


_finishers = []  # what those modules clean up as the interpreter ends (at_finish)


def at_finish(fn):
    _finishers.append(fn)


class _Parked(object):
    """Messages for a module loaded on demand that may arrive before it is: file-transfer chunks follow the
    call that loads mito.transfer, and the I/O thread reads them while that call waits for the main thread.
    They wait here until the module claims them. Only an ancestor can send them (Router.on_frame)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.handler = None
        self.messages = []

    def put(self, msg):
        with self.lock:
            if self.handler is None:
                self.messages.append(msg)
                return
        self.handler(msg)

    def claim(self, handler):
        """From now on `handler` takes the messages, first those that waited, in order."""
        with self.lock:
            for msg in self.messages:
                handler(msg)
            self.messages = []
            self.handler = handler


_transfer_messages = _Parked()
claim_transfer_messages = _transfer_messages.claim


# -- startup ---------------------------------------------------------------------------------------------

_config = {}
_core_z = [b""]
_core_code = [None, None, None]  # this core's code object, its bytecode magic (hex), _compiled_core_for's answer
_booted_from_bytecode = [False]
_router = None
_importer = None
_runtime = Runtime()


def _compiled_core_for(magic):
    """The bytecode magic followed by zlib(marshal(code)) of this core, for a child whose magic (hex) equals
    ours, else b"" (the child compiles the source: the first stage uses bytecode only behind its own magic).
    A child trusts its parent anyway."""
    code, own = _core_code[0], _core_code[1]
    if code is None or not magic or magic != own:
        return b""
    if _core_code[2] is None:
        import marshal
        import zlib
        _core_code[2] = bytes.fromhex(own) + zlib.compress(marshal.dumps(code), 1)
    return _core_code[2]


def compiled_core():
    """This core's compiled form (see _compiled_core_for), which the controller sends beside the source to
    the next context it starts with the same interpreter: one that matches skips compiling the core."""
    return _compiled_core_for(_core_code[1])


def _install_package():
    pkg = sys.modules.get("mito")
    if pkg is None:
        pkg = types.ModuleType("mito")
        pkg.__path__ = []
        pkg.__file__ = "mito/__init__.py"
        pkg.__package__ = "mito"
        pkg.__loader__ = _importer
        sys.modules["mito"] = pkg
    me = sys.modules[__name__]
    me.__package__ = "mito"
    pkg.core = me
    _importer.cache["mito"] = (True, "mito/__init__.py", b"", [])
    _importer.cache["mito.core"] = (False, "mito/core.py", b"", [])


def _warm(names):
    """Imports what the first call will import (the config's ``warm``: the runner's standard library, and
    ``ansible.module_utils.basic`` when the run uses Ansible's modules) in the round trip between READY and
    that call, when this interpreter has nothing else to do. Whatever fails to import here fails the same
    way, and is reported, when a call imports it. Only modules this interpreter has of its own: nobody
    reads messages yet, so asking the controller for one would wait for the import timeout. A name under
    an importable package (one the controller serves) is warmed only where READY listed that package as
    local (its release is the controller's); should its import need a name only the controller has, what
    it loaded of the importable packages is forgotten, so the call imports all of it as it would have
    (with the controller's answer, not with an ImportError fallback taken here)."""
    import importlib.machinery
    for name in names:
        top = name.partition(".")[0]
        try:
            if top in _importer.importable:
                if top not in _importer.local or _importer.claims(name):
                    continue
            elif name in sys.builtin_module_names:
                pass
            elif "." in name or importlib.machinery.PathFinder.find_spec(name) is None:
                continue
            before = set(sys.modules)
            _importer.offline = []
            try:
                importlib.import_module(name)
            except Exception:
                pass
            if _importer.offline:
                for loaded in set(sys.modules) - before:
                    if loaded.partition(".")[0] in _importer.importable:
                        del sys.modules[loaded]
        except Exception:
            pass
        finally:
            _importer.offline = None


def _name_process(name):
    try:
        with open("/proc/self/comm", "w") as f:
            f.write(name[:15])
    except (IOError, OSError):
        pass


def _info():
    try:
        import pwd
        user = pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        user = str(os.getuid())
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = None
    return {"id": _config["id"], "pid": os.getpid(), "python": list(sys.version_info[:3]),
            "executable": sys.executable, "user": user, "uid": os.getuid(),
            "hostname": os.uname()[1], "cwd": cwd, "bytecode": _booted_from_bytecode[0],
            "local": sorted(_importer.local)}


class _ControllerFirst(object):
    """First on sys.meta_path: the names the importer claims (a foreign release's, pinned ones) are the
    controller's, asked before the path finders that would find this interpreter's own copy."""

    def __init__(self, importer):
        self.importer = importer

    def find_spec(self, fullname, path=None, target=None):
        if not self.importer.claims(fullname) or self.importer.missed_offline(fullname):
            return None
        if self.importer.get(fullname) is None:
            # Later finders get their turn (six's, for its `moves`); the path finders cannot reach the local
            # copy from here: every package above this name is the controller's, with an empty __path__.
            return None
        import importlib.util
        entry = self.importer.cache[fullname]
        return importlib.util.spec_from_loader(fullname, self.importer, origin=entry[1], is_package=entry[0])


def _release_of(spec, relpath):
    """The `__version__` a package's own copy declares in `relpath` (inside the package), read as text:
    importing it would load that copy. None when it has no such file."""
    import re
    for base in spec.submodule_search_locations or []:
        try:
            with open(os.path.join(base, relpath), "rb") as f:
                m = re.search(br"""^__version__\s*=\s*['"]([^'"]+)['"]""", f.read(), re.M)
        except (IOError, OSError):
            continue
        return m.group(1).decode("ascii", "replace") if m else None
    return None


def _local_packages(importable, releases=None):
    """The importable top-level packages (other than mito) this interpreter has of its own, as two sets:
    those whose modules the finders before the importer may serve (so the controller pushes none of them
    ahead of a call), and foreign ones, whose copy is another release than the controller's (`releases`:
    top -> [file inside the package, version]): Ansible runs modules only with the controller's
    module_utils, so theirs are never used."""
    import importlib.machinery
    releases = releases or {}
    found, foreign = set(), set()
    for top in importable:
        if top == "mito":
            continue
        try:
            spec = importlib.machinery.PathFinder.find_spec(top)
            if spec is None:
                continue
            if top in releases and _release_of(spec, releases[top][0]) != releases[top][1]:
                foreign.add(top)
            else:
                found.add(top)
        except Exception:  # a broken sys.path entry: then it is not ours to rely on
            pass
    return frozenset(found), frozenset(foreign)


def _shutdown_children():
    for s in list(_router.children.values()):
        s.close()
        if s.pid:
            try:
                os.kill(s.pid, signal.SIGTERM)
            except OSError:
                pass


def _io_main():
    _router.follow()
    reason = "unknown"
    try:
        reason = _router.lead(False)
    except BaseException:
        import traceback
        reason = "I/O thread crashed: %s" % traceback.format_exc()
    _finish(reason)


def _finish(reason):
    _end_stray_fork()  # the context's temp dir and children are not a fork's to clean up
    try:
        _shutdown_children()
        _remove_temp_dir()
        for fn in _finishers:
            try:
                fn()
            except Exception:
                pass
        deadline = time.monotonic() + 2.0
        while _router.parent.pending and time.monotonic() < deadline:
            if not _wait_fd(_router.parent.wfd, True, 0.1):
                continue
            try:
                _router.parent.flush_some()
            except OSError:
                break
    finally:
        os._exit(0)


def _main(core_z, config_bytes, magic=b"", code=None, from_bytecode=False):
    global _router, _importer, _config
    _core_z[0] = core_z
    _core_code[0] = code
    _core_code[1] = magic.hex() if magic else None
    _booted_from_bytecode[0] = from_bytecode
    _config = json.loads(config_bytes.decode("utf-8"))
    # The protocol leaves fds 0/1 for private fds: stray prints and child output can never reach it.
    rfd = os.dup(0)
    wfd = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.close(null)
    _router = Router(_config, rfd, wfd)
    _importer = Importer(_router, _config.get("importable") or ["mito"])
    _importer.local, _importer.foreign = _local_packages(_importer.importable, _config.get("releases"))
    _install_package()
    sys.meta_path.append(_importer)
    sys.meta_path.insert(0, _ControllerFirst(_importer))
    if hasattr(os, "register_at_fork"):  # 3.7+; on 3.6 the importer and the log senders check the pid
        os.register_at_fork(after_in_child=_detach_fork)
    _capture(1, "stdout")
    _capture(2, "stderr")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="replace",
                                  line_buffering=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                  errors="backslashreplace", line_buffering=True)
    if "logging" in sys.modules:
        _hook_logging()
    else:
        sys.meta_path.insert(0, _LoggingWatcher())
    if _config.get("name"):
        _name_process(_config["name"])
    # The controller decides when a context ends (SHUTDOWN or EOF, both clean up); a stray SIGINT from a
    # terminal must not kill it mid-call. A handler, unlike SIG_IGN, is not inherited by programs it runs.
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    _router.send(0, READY, _info())
    t = threading.Thread(target=_io_main, name="mito-io")
    t.daemon = True
    t.start()
    # Before this thread leads the loop: calls arriving meanwhile wait unread, and run after it.
    _warm(_config.get("warm") or ())
    try:
        reason = _runtime.run()
    except BaseException:
        import traceback
        reason = "main thread crashed: %s" % traceback.format_exc()
    _finish(reason)
