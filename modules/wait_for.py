"""wait_for: wait for a port, a file, a string in a file or on a socket, or for them to go away."""

import os
import re
import select
import socket
import time

ARGUMENT_SPEC = {
    "host": {"type": "str", "default": "127.0.0.1"},
    "timeout": {"type": "int", "default": 300},
    "connect_timeout": {"type": "int", "default": 5},
    "delay": {"type": "int", "default": 0},
    "port": {"type": "int"},
    "active_connection_states": {"type": "list", "elements": "str",
                                 "default": ["ESTABLISHED", "FIN_WAIT1", "FIN_WAIT2", "SYN_RECV", "SYN_SENT",
                                             "TIME_WAIT"]},
    "path": {"type": "path"},
    "search_regex": {"type": "str"},
    "state": {"type": "str", "default": "started",
              "choices": ["absent", "drained", "present", "started", "stopped"]},
    "exclude_hosts": {"type": "list", "elements": "str"},
    "sleep": {"type": "int", "default": 1},
    "msg": {"type": "str"},
}
SUPPORTS_CHECK_MODE = True

TCP_STATES = {"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1", "05": "FIN_WAIT2",
              "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0A": "LISTEN",
              "0B": "CLOSING"}


def _connect(host, port, timeout):
    return socket.create_connection((host, port), timeout)


def _port_open(host, port, timeout):
    try:
        s = _connect(host, port, timeout)
    except (socket.error, OSError):
        return False
    try:
        s.shutdown(socket.SHUT_RDWR)
    except (socket.error, OSError):
        pass
    s.close()
    return True


def _active_connections(port, states):
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.readlines()[1:]
        except IOError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 4:
                continue
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and TCP_STATES.get(fields[3]) in states:
                n += 1
    return n


def _file_match(path, rx):
    if rx is None:
        # any existing path will do, a directory too, as Ansible's os.stat
        return os.path.exists(path)
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except (IOError, OSError):
        return None
    if rx is None:
        return True
    return rx.search(text)


def main(m):
    p = m.params
    host, port, path, state = p["host"], p["port"], p["path"], p["state"]
    timeout, delay = p["timeout"], p["delay"]
    rx = re.compile(p["search_regex"], re.MULTILINE) if p["search_regex"] else None
    if port and path:
        m.fail_json(msg="port and path parameter can not both be passed to wait_for", elapsed=0)
    if path and state == "stopped":
        m.fail_json(msg="state=stopped should only be used for checking a port in the wait_for module",
                    elapsed=0)
    if path and state == "drained":
        m.fail_json(msg="state=drained should only be used for checking a port in the wait_for module",
                    elapsed=0)
    if p["exclude_hosts"] is not None and state != "drained":
        m.fail_json(msg="exclude_hosts should only be with state=drained", elapsed=0)
    start = time.time()
    if m.check_mode:
        return {"changed": False, "elapsed": 0}
    if delay:
        time.sleep(delay)
    deadline = time.time() + timeout
    match_groups, match_groupdict = (), {}

    def elapsed():
        return int(time.time() - start)

    if not port and not path and state != "drained":
        time.sleep(timeout)
    elif state in ("absent", "stopped"):
        while True:
            if path:
                if not os.path.exists(path):
                    break
            elif not _port_open(host, port, p["connect_timeout"]):
                break
            if time.time() >= deadline:
                what = ("%s to be absent" % path) if path else ("%s:%s to stop" % (host, port))
                m.fail_json(msg=p["msg"] or "Timeout when waiting for %s." % what, elapsed=elapsed())
            time.sleep(p["sleep"])
    elif state in ("started", "present"):
        while True:
            if path:
                found = _file_match(path, rx)
                if found:
                    if rx is not None:
                        match_groups, match_groupdict = found.groups(), found.groupdict()
                    break
            else:
                left = max(0.1, min(p["connect_timeout"], deadline - time.time()))
                try:
                    s = _connect(host, port, left)
                except (socket.error, OSError):
                    s = None
                if s is not None:
                    if rx is None:
                        try:
                            s.shutdown(socket.SHUT_RDWR)
                        except (socket.error, OSError):
                            pass
                        s.close()
                        break
                    data = b""
                    matched = None
                    try:
                        while time.time() < deadline:
                            r, _, _ = select.select([s], [], [], max(0, deadline - time.time()))
                            if not r:
                                break
                            chunk = s.recv(1024)
                            if not chunk:
                                break
                            data += chunk
                            matched = rx.search(data.decode("utf-8", "replace"))
                            if matched:
                                break
                    finally:
                        s.close()
                    if matched:
                        match_groups, match_groupdict = matched.groups(), matched.groupdict()
                        break
            if time.time() >= deadline:
                if path:
                    if rx is not None and os.path.exists(path):
                        msg = "Timeout when waiting for search string %s in %s" % (p["search_regex"], path)
                    else:
                        msg = "Timeout when waiting for file %s" % path
                elif rx is not None:
                    msg = "Timeout when waiting for search string %s in %s:%s" % (p["search_regex"], host, port)
                else:
                    msg = "Timeout when waiting for %s:%s" % (host, port)
                m.fail_json(msg=p["msg"] or msg, elapsed=elapsed())
            time.sleep(p["sleep"])
    elif state == "drained":
        while _active_connections(port, p["active_connection_states"]):
            if time.time() >= deadline:
                m.fail_json(msg=p["msg"] or "Timeout when waiting for %s:%s to drain" % (host, port),
                            elapsed=elapsed())
            time.sleep(p["sleep"])
    return {"changed": False, "state": state, "port": port, "search_regex": p["search_regex"],
            "match_groups": list(match_groups), "match_groupdict": match_groupdict, "path": path,
            "elapsed": elapsed()}
