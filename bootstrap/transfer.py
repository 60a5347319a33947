"""mito.transfer: files to and from a context (docs/protocol.md "File transfer").

Loaded on demand, by the first call that writes or sends a file (the controller pushes it ahead of that
call); a context that never transfers a file never loads it. A transfer is a numbered stream of FILE_CHUNK
messages (raw body: u32 transfer id + data; empty data = end) answered by FILE_ACK [id, bytes consumed] so
the sender keeps at most a window of unconsumed data in flight. Chunks are routed like any message, so hops
forward them without copies on disk. Chunks that arrive before this module is loaded (they follow the call
that loads it) wait in mito.core, which hands them over when this module claims them below.
"""
import collections
import os
import threading

from mito import core


TRANSFER_CHUNK = 128 * 1024
TRANSFER_WINDOW = 8 * 1024 * 1024


class TransferError(IOError):
    pass


class _Incoming(object):
    def __init__(self):
        self.chunks = collections.deque()
        self.ready = threading.Lock()
        self.ready.acquire()
        self.sender = None
        self.consumed = 0
        self.acked = 0


class _Outgoing(object):
    def __init__(self):
        self.acked = 0
        self.ready = threading.Lock()
        self.ready.acquire()


class Transfers(object):
    def __init__(self):
        self.incoming = {}
        self.outgoing = {}
        self.closed = set()
        self.lock = threading.Lock()
        self.partial_paths = set()  # hidden temp files to remove if the interpreter dies mid-transfer
        self.ending = False  # set as the interpreter ends: no partial file may be created after the sweep

    def new_partial(self, path):
        """Creates the hidden temp file beside `path` and records it, both under the lock taken to sweep them
        as the interpreter ends: the I/O thread may end the interpreter at any moment, and whatever file
        exists then must be on the list it removes."""
        import tempfile
        with self.lock:
            if self.ending:
                raise IOError("mito: this interpreter is ending; %s was left as it was" % path)
            fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".mito-part",
                                       dir=os.path.dirname(os.path.abspath(path)))
            self.partial_paths.add(tmp)
        return fd, tmp

    def commit(self, tmp, path, scratch):
        """Renames a finished partial file over `path`, under the same lock. A scratch upload stays listed
        under its new name until a later call moves it into place."""
        with self.lock:
            if self.ending:
                raise IOError("mito: this interpreter is ending; %s was left as it was" % path)
            os.rename(tmp, path)
            self.partial_paths.discard(tmp)
            if scratch:
                self.partial_paths.add(os.path.abspath(path))

    def end(self):
        """The interpreter is ending: the partial files to remove, and no new ones from here on."""
        with self.lock:
            self.ending = True
            return list(self.partial_paths)

    def _incoming(self, tid):
        with self.lock:
            t = self.incoming.get(tid)
            if t is None:
                t = self.incoming[tid] = _Incoming()
            return t

    def on_chunk(self, msg):
        body = msg.body
        if len(body) < 4:
            return
        tid = core._U32.unpack_from(body, 0)[0]
        if tid in self.closed:
            return
        t = self._incoming(tid)
        t.sender = msg.src
        t.chunks.append(memoryview(body)[4:])  # a view: the data is written and hashed, never copied
        try:
            t.ready.release()
        except RuntimeError:
            pass

    def on_ack(self, msg):
        tid, consumed = msg.value()
        t = self.outgoing.get(tid)
        if t is not None:
            t.acked = max(t.acked, consumed)
            try:
                t.ready.release()
            except RuntimeError:
                pass

    def chunks(self, tid, timeout=300.0):
        """Yields the data of incoming transfer tid until its end; acknowledges as it consumes."""
        t = self._incoming(tid)
        try:
            while True:
                while not t.chunks:
                    if not t.ready.acquire(True, timeout):
                        raise TransferError("mito: transfer %d stalled for %gs" % (tid, timeout))
                data = t.chunks.popleft()
                if not data:
                    return
                t.consumed += len(data)
                if t.consumed - t.acked >= TRANSFER_WINDOW // 4:
                    t.acked = t.consumed
                    core._router.send(t.sender, core.FILE_ACK, [tid, t.consumed])
                yield data
        finally:
            self.close(tid)

    def close(self, tid):
        with self.lock:
            self.incoming.pop(tid, None)
            self.closed.add(tid)

    def send(self, dst, tid, fileobj):
        """Streams fileobj to context dst as transfer tid, keeping at most a window unacknowledged."""
        t = self.outgoing[tid] = _Outgoing()
        sent = 0
        head = core._U32.pack(tid)
        try:
            while True:
                data = fileobj.read(TRANSFER_CHUNK)
                while sent - t.acked >= TRANSFER_WINDOW:
                    if not t.ready.acquire(True, 300.0):
                        raise TransferError("mito: transfer %d: no acknowledgement for 300s" % tid)
                core._router.send(dst, core.FILE_CHUNK, raw=head + data)
                if not data:
                    return sent
                sent += len(data)
        finally:
            self.outgoing.pop(tid, None)


_transfers = Transfers()


def _on_message(msg):
    """FILE_CHUNK or FILE_ACK for this context (mito.core's router checked where it came from)."""
    if msg.handle == core.FILE_CHUNK:
        _transfers.on_chunk(msg)
    else:
        _transfers.on_ack(msg)


def _remove_partial_files():
    """The interpreter is ending: no partial file of a transfer may stay behind."""
    for path in _transfers.end():
        try:
            os.unlink(path)
        except OSError:
            pass


def _journal_partial(tmp):
    """Notes a partial file's path in the private temp dir, so that if this interpreter is killed
    mid-transfer the next one (mito.core's _sweep) can remove it from wherever it was being written."""
    try:
        with open(os.path.join(core.get_temp_dir(), core._PARTIALS), "a") as f:
            f.write(tmp + "\n")
    except (IOError, OSError):
        pass


def _digests(names):
    """Hash objects for sha1 and the extra algorithm `names`; None for one the system refuses (md5 under
    FIPS)."""
    import hashlib
    out = [("sha1", hashlib.sha1())]
    for name in names or ():
        try:
            out.append((name, hashlib.new(name)))
        except ValueError:
            out.append((name, None))
    return out


def _atomic_write(path, mode, pieces, digests=None, scratch=False):
    """Writes the byte strings of `pieces` to a hidden temp file beside `path`, fsyncs it, applies `mode`
    and renames it over `path`: a failure at any point leaves `path` as it was. Returns {"size", "sha1"}
    plus the hex digest of each extra algorithm in `digests` (hashed as the data arrives, so nobody has to
    read the file again). `scratch`: `path` stays listed for removal (see receive_file)."""
    path = os.path.expanduser(path)
    fd, tmp = _transfers.new_partial(path)
    _journal_partial(tmp)
    hashes = _digests(digests)
    updates = [h.update for _, h in hashes if h is not None]
    size = 0
    try:
        with os.fdopen(fd, "wb") as f:
            for data in pieces:
                f.write(data)
                for update in updates:
                    update(data)
                size += len(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        _transfers.commit(tmp, path, scratch)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    finally:
        _transfers.partial_paths.discard(tmp)
    result = {"size": size}
    for name, h in hashes:
        result[name] = h.hexdigest() if h is not None else None
    return result


@core.waits
def receive_file(transfer_id, path, mode=None, digests=None, scratch=False):
    """Writes incoming transfer `transfer_id` atomically to `path` (see _atomic_write). `scratch`: `path` is
    an upload a later call moves into place (its name carries UPLOAD_MARK); until then it is removed like
    a partial file if this interpreter ends or is killed."""
    if scratch and core.UPLOAD_MARK not in os.path.basename(path):
        raise ValueError("mito: a scratch upload's name must contain %r: %s" % (core.UPLOAD_MARK, path))
    try:
        result = _atomic_write(path, mode, _transfers.chunks(transfer_id), digests, scratch)
    finally:
        _transfers.close(transfer_id)  # later chunks of an abandoned transfer are dropped
    if scratch:
        _journal_partial(os.path.abspath(os.path.expanduser(path)))
    return result


def write_file(path, data, mode=None, digests=None):
    """The small-file path: `data` arrived inside the call; same atomic write as receive_file."""
    return _atomic_write(path, mode, (data,), digests)


@core.waits
def read_transfer(transfer_id):
    """All data of incoming transfer `transfer_id` as bytes (for callers that want it in memory)."""
    return b"".join(_transfers.chunks(transfer_id))


@core.waits
def send_file(transfer_id, path):
    """Streams the file at `path` to the controller as transfer `transfer_id`; returns its size."""
    with open(os.path.expanduser(path), "rb") as f:
        st = os.fstat(f.fileno())
        return {"size": _transfers.send(0, transfer_id, f), "mode": st.st_mode & 0o7777, "mtime": st.st_mtime}


core.at_finish(_remove_partial_files)
core.claim_transfer_messages(_on_message)
