"""Mitogen's side of `deno task bench rpc`: the same measurements as mito's, with Debian's python3-mitogen,
against the same target interpreter. Prints one JSON object on stdout.

usage: /usr/bin/python3 _mitogen_rpc.py JSON_CONFIG
config: {"python": "/usr/bin/python3", "rounds": 5, "calls": 2000, "pipelined": 5000,
         "ssh": {"hostname", "port", "username", "identity_file", "known_hosts"} or null}
"""

import json
import operator
import os
import sys
import time

import mitogen.master


def io_bytes(pid):
    """Bytes the process moved through read()/write() so far (Linux /proc/PID/io rchar + wchar)."""
    with open("/proc/%d/io" % pid) as f:
        fields = dict(line.split(": ") for line in f.read().splitlines())
    return int(fields["rchar"]) + int(fields["wchar"])


def measure(router, connect, cfg):
    boots = []
    for _ in range(cfg["rounds"]):
        t0 = time.perf_counter()
        ctx = connect()
        ctx.call(operator.add, 1, 2)
        boots.append(time.perf_counter() - t0)
        ctx.shutdown(wait=True)
    ctx = connect()
    pid = ctx.call(os.getpid)
    for _ in range(200):  # warm up
        ctx.call(operator.add, 1, 2)
    n = cfg["calls"]
    before = io_bytes(pid)
    t0 = time.perf_counter()
    for i in range(n):
        ctx.call(operator.add, 1, i)
    rtt = (time.perf_counter() - t0) / n
    wire = (io_bytes(pid) - before) / float(n)
    m = cfg["pipelined"]
    t0 = time.perf_counter()
    receivers = [ctx.call_async(operator.add, 1, i) for i in range(m)]
    for r in receivers:
        r.get().unpickle()
    rate = m / (time.perf_counter() - t0)
    ctx.shutdown(wait=True)
    boots.sort()
    return {
        "bootstrap_ms": round(boots[len(boots) // 2] * 1000, 2),
        "rtt_us": round(rtt * 1e6, 2),
        "pipelined_per_s": round(rate),
        "wire_bytes_per_call": round(wire, 1),
    }


def main():
    cfg = json.loads(sys.argv[1])
    broker = mitogen.master.Broker()
    router = mitogen.master.Router(broker)
    out = {"version": ".".join(map(str, mitogen.__version__))}
    try:
        python = cfg["python"]
        out["local"] = measure(router, lambda: router.local(python_path=python), cfg)
        ssh = cfg.get("ssh")
        if ssh:
            def connect():
                return router.ssh(
                    hostname=ssh["hostname"], port=ssh["port"], username=ssh["username"],
                    identity_file=ssh["identity_file"], python_path=python, check_host_keys="enforce",
                    ssh_args=["-o", "UserKnownHostsFile=" + ssh["known_hosts"]], compression=False)
            out["ssh"] = measure(router, connect, cfg)
    finally:
        broker.shutdown()
        broker.join()
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
