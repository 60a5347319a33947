"""Seeded fuzzer for the target side's frame and body decoders (bootstrap/core.py), run by
tests/protocol_fuzz_test.ts: random bytes, mutated valid frames and hostile JSON go through Stream.read_frames
(over a real pipe) and decode_body; anything but ProtocolError (CodecError is one) is a finding.

usage: python3 protocol_fuzz.py CORE_PY SEED CASES
prints one JSON line: {"cases": n, "frames": n, "decoded": n, "refused": n, "findings": [...]}
"""
import importlib.util
import json
import os
import random
import struct
import sys
import traceback

spec = importlib.util.spec_from_file_location("core_under_test", sys.argv[1])
core = importlib.util.module_from_spec(spec)
spec.loader.exec_module(core)

SEED = int(sys.argv[2])
CASES = int(sys.argv[3])
MAX_SIZE = 1 << 20
rnd = random.Random(SEED)

TAGS = ["$b", "$i", "$f", "$t", "$d", "$e", "$x", "$"]
KEYS = ["a", "", "$", "type", "message", "data", "__proto__", "toString", "constructor", "__class__"]
TAILS = [b"[", b"{", b"\"", b"\\", b"]}", b"\xff\xfe", b"\xed\xa0\x80"]
INTERESTING_U32 = [0, 1, 2, 3, 4, 7, 8, 0x7F, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF]


def value(depth=0):
    """A value the encoder accepts: the seeds that mutations start from."""
    k = rnd.randrange(13 if depth < 4 else 8)
    if k == 0:
        return None
    if k == 1:
        return rnd.random() < 0.5
    if k == 2:
        return rnd.randrange(-1000, 1000)
    if k == 3:
        return rnd.choice([2 ** 60, -(2 ** 70), 10 ** 30])
    if k == 4:
        return rnd.choice([0.5, -1.25, 1.0, float("inf"), float("nan"), 1e300])
    if k == 5:
        return "".join(rnd.choice("ab$\"\\\u00e9\u2028\U0001f600") for _ in range(rnd.randrange(6)))
    if k == 6:
        return bytes(rnd.randrange(256) for _ in range(rnd.randrange(8)))
    if k == 7:
        return rnd.choice(TAGS)
    if k == 8:
        return [value(depth + 1) for _ in range(rnd.randrange(4))]
    if k == 9:
        return tuple(value(depth + 1) for _ in range(rnd.randrange(4)))
    if k == 10:
        return dict((rnd.choice(KEYS + TAGS), value(depth + 1)) for _ in range(rnd.randrange(4)))
    if k == 11:
        return {rnd.randrange(5): value(depth + 1), (1, "x"): value(depth + 1)}
    return core.RemoteError("E", "m", "tb", value(depth + 1))


def hostile(depth=0):
    """JSON-shaped data with tag objects whose payloads have any type."""
    k = rnd.randrange(10 if depth < 5 else 6)
    if k == 0:
        return None
    if k == 1:
        return rnd.choice([True, False, 0, -1, 1.5, 2 ** 64, 1e308])
    if k == 2:
        return rnd.choice(["", "x", "1", "-5", "nan", "inf", "1e999", "9" * 5000, "0x10", "1_0", " 1"])
    if k == 3:
        return rnd.choice(KEYS + TAGS)
    if k == 4:
        return [hostile(depth + 1) for _ in range(rnd.randrange(3))]
    if k == 5:
        return {rnd.choice(TAGS): hostile(depth + 1)}
    if k == 6:
        return {rnd.choice(TAGS): [hostile(depth + 1), hostile(depth + 1)]}
    if k == 7:
        return {"$d": [[hostile(depth + 1), hostile(depth + 1)] for _ in range(rnd.randrange(3))]}
    if k == 8:
        return {"$e": dict((rnd.choice(KEYS), hostile(depth + 1)) for _ in range(rnd.randrange(4)))}
    return dict((rnd.choice(KEYS + TAGS), hostile(depth + 1)) for _ in range(rnd.randrange(3)))


def blob_table(js, blobs):
    parts = [struct.pack(">I", len(js)), js, struct.pack(">I", len(blobs))]
    for b in blobs:
        parts += [struct.pack(">I", len(b)), b]
    return b"".join(parts)


def mutate(data):
    data = bytearray(data)
    for _ in range(rnd.randrange(1, 4)):
        k = rnd.randrange(7)
        if k == 0 and data:
            i = rnd.randrange(len(data))
            data[i] ^= 1 << rnd.randrange(8)
        elif k == 1 and data:
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        elif k == 2 and data:
            del data[rnd.randrange(len(data)):]
        elif k == 3:
            i = rnd.randrange(len(data) + 1)
            data[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 8)))
        elif k == 4 and len(data) >= 4:
            i = rnd.randrange(len(data) - 3)
            data[i:i + 4] = struct.pack(">I", rnd.choice(INTERESTING_U32 + [len(data), len(data) - i]))
        elif k == 5 and data:
            i = rnd.randrange(len(data))
            j = rnd.randrange(i, len(data) + 1)
            data[j:j] = data[i:j]
        elif k == 6:
            data[rnd.randrange(len(data) + 1):] = rnd.choice(TAILS)
    return bytes(data)


def case():
    """(bytes for the stream, or None) and a list of (body, flags) to decode directly."""
    k = rnd.randrange(6)
    if k == 0:
        return bytes(rnd.randrange(256) for _ in range(rnd.randrange(64))), []
    if k == 1:
        v = value()
        frame = core.frame(1, 2, 2, rnd.choice([1, 3, 1000]), rnd.choice([0, 1001]), v)
        return mutate(frame), []
    if k == 2:
        body, flags = core.encode_body(value())
        return None, [(mutate(body), flags), (body, rnd.randrange(16))]
    if k == 3:
        js = json.dumps(hostile()).encode()
        blobs = [b"x" * rnd.randrange(4) for _ in range(rnd.randrange(3))]
        return None, [(js, core.FLAG_TAGS), (blob_table(js, blobs), core.FLAG_TAGS | core.FLAG_BLOBS)]
    if k == 4:
        js = json.dumps(hostile()).encode()
        return None, [(mutate(js), rnd.choice([0, core.FLAG_TAGS])),
                      (mutate(blob_table(js, [b"ab"])), core.FLAG_BLOBS | core.FLAG_TAGS)]
    # A valid frame sequence, cut anywhere.
    frames = b"".join(core.frame(1, 2, 2, 3, 0, value()) for _ in range(rnd.randrange(1, 4)))
    return frames[:rnd.randrange(len(frames) + 1)], []


SPECIAL = [
    # Lengths far beyond the maximum: refused from the header alone.
    (core.HEADER.pack(core.MAGIC, 0, 1, 2, 2, 3, 0, 0xFFFFFFFF), []),
    (None, [(b"[" * 200000 + b"]" * 200000, 0), (b"[" * 200000 + b"]" * 200000, core.FLAG_TAGS)]),
    (None, [(b"{\"a\":" * 100000 + b"1" + b"}" * 100000, core.FLAG_TAGS)]),
    (None, [(b"{\"$t\":" * 100000 + b"[]" + b"}" * 100000, core.FLAG_TAGS)]),
    (None, [(b"{\"$d\":[[" * 20000 + b"1,2" + b"]]}" * 20000, core.FLAG_TAGS)]),
    (None, [(b"{\"$d\":[[" + b"[" * 5000 + b"]" * 5000 + b",1]]}", core.FLAG_TAGS)]),
    (None, [(b"{\"$i\":\"" + b"9" * 1000000 + b"\"}", core.FLAG_TAGS)]),
    (None, [(struct.pack(">I", 2) + b"[]" + struct.pack(">I", 0xFFFFFFFF), core.FLAG_BLOBS)]),
    (None, [(struct.pack(">I", 0xFFFFFFF0) + b"[]", core.FLAG_BLOBS)]),
]


def main():
    rfd, wfd = os.pipe()
    stream = core.Stream(None, rfd, wfd, "fuzz")
    findings = []
    stats = {"cases": 0, "frames": 0, "decoded": 0, "refused": 0}

    def finding(what, data):
        findings.append({"case": stats["cases"], "what": what, "input": bytes(data[:200]).hex(),
                         "length": len(data), "error": traceback.format_exc(limit=3)[-600:]})

    def decode(body, flags):
        try:
            core.decode_body(body, flags)
            stats["decoded"] += 1
        except core.ProtocolError:
            stats["refused"] += 1
        except Exception:
            finding("decode_body flags=%d" % flags, body)

    def feed(data):
        stream.buf = bytearray()
        off = 0
        while off < len(data):
            n = min(len(data) - off, rnd.randrange(1, 40000))
            os.write(wfd, data[off:off + n])
            off += n
            try:
                frames, _ = stream.read_frames(MAX_SIZE)
            except core.ProtocolError:
                stats["refused"] += 1
                while True:  # drain what the dead stream left in the pipe
                    try:
                        if not os.read(rfd, 65536):
                            break
                    except BlockingIOError:
                        break
                return
            except Exception:
                finding("read_frames", data)
                return
            for msg, _raw in frames:
                stats["frames"] += 1
                if msg.encoding == core.ENC_STRUCTURED and not msg.flags & core.FLAG_DEAD:
                    decode(msg.body, msg.flags)

    todo = SPECIAL + [None] * CASES
    for item in todo:
        data, bodies = item if item is not None else case()
        stats["cases"] += 1
        if data is not None:
            feed(data)
        for body, flags in bodies:
            decode(body, flags)
    stats["findings"] = findings[:20]
    stats["finding_count"] = len(findings)
    sys.stdout.write(json.dumps(stats) + "\n")


main()
