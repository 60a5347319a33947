"""setup: gather facts about the target (Linux first), with gather_subset and filter."""

import datetime
import fcntl
import fnmatch
import getpass
import glob
import json
import os
import platform
import pwd
import re
import socket
import struct
import sys
import time

ARGUMENT_SPEC = {
    "gather_subset": {"type": "list", "elements": "str", "default": ["all"]},
    "gather_timeout": {"type": "int", "default": 10},
    "filter": {"type": "list", "elements": "str", "default": []},
    "fact_path": {"type": "path", "default": "/etc/ansible/facts.d"},
}
SUPPORTS_CHECK_MODE = True

MIN_SUBSETS = ("apparmor", "cmdline", "date_time", "distribution", "dns", "env", "fips", "local", "lsb",
               "pkg_mgr", "platform", "python", "selinux", "service_mgr", "ssh_pub_keys", "user")
ALL_SUBSETS = MIN_SUBSETS + ("hardware", "network", "virtual")

DISTRIBUTION_NAMES = {
    "debian": "Debian", "ubuntu": "Ubuntu", "centos": "CentOS", "rhel": "RedHat", "fedora": "Fedora",
    "almalinux": "AlmaLinux", "rocky": "Rocky", "ol": "OracleLinux", "amzn": "Amazon", "alpine": "Alpine",
    "arch": "Archlinux", "archarm": "Archlinux", "opensuse-leap": "openSUSE Leap",
    "opensuse-tumbleweed": "openSUSE Tumbleweed", "sles": "SLES", "sled": "SLED", "gentoo": "Gentoo",
    "linuxmint": "Linux Mint", "raspbian": "Debian", "kali": "Kali", "devuan": "Devuan", "pop": "Pop!_OS",
    "manjaro": "Manjaro", "void": "Void", "nixos": "NixOS", "clear-linux-os": "ClearLinux",
    "virtuozzo": "Virtuozzo", "cloudlinux": "CloudLinux", "scientific": "Scientific", "eurolinux": "EuroLinux",
}
OS_FAMILY = {
    "RedHat": ["RedHat", "Fedora", "CentOS", "Scientific", "SLC", "Ascendos", "CloudLinux", "PSBM",
               "OracleLinux", "OVS", "OEL", "Amazon", "Virtuozzo", "XenServer", "Alibaba", "EulerOS",
               "openEuler", "AlmaLinux", "Rocky", "TencentOS", "EuroLinux", "Kylin Linux Advanced Server"],
    "Debian": ["Debian", "Ubuntu", "Raspbian", "Neon", "KDE neon", "Linux Mint", "SteamOS", "Devuan",
               "Kali", "Cumulus Linux", "Pop!_OS", "Parrot", "Parrot GNU/Linux"],
    "Suse": ["SuSE", "SLES", "SLED", "openSUSE", "openSUSE Tumbleweed", "SLES_SAP", "SUSE_LINUX",
             "openSUSE Leap"],
    "Archlinux": ["Archlinux", "Antergos", "Manjaro"],
    "Gentoo": ["Gentoo", "Funtoo"],
    "Alpine": ["Alpine"],
    "Void": ["Void"],
}
FAMILY_OF = dict((d, fam) for fam, ds in OS_FAMILY.items() for d in ds)

PKG_MGRS = [("/usr/bin/rpm-ostree", "atomic_container"), ("/usr/bin/dnf", "dnf"), ("/usr/bin/yum", "yum"),
            ("/usr/bin/apt-get", "apt"), ("/usr/bin/zypper", "zypper"), ("/usr/sbin/urpmi", "urpmi"),
            ("/usr/bin/pacman", "pacman"), ("/sbin/apk", "apk"), ("/usr/bin/emerge", "portage"),
            ("/usr/sbin/pkg", "pkgng"), ("/usr/bin/xbps-install", "xbps"), ("/usr/local/bin/brew", "homebrew"),
            ("/opt/local/bin/port", "macports"), ("/usr/sbin/swlist", "swdepot"), ("/usr/bin/swupd", "swupd")]


def _read(path, default=None):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except (IOError, OSError):
        return default


def _kv_file(path):
    out = {}
    for line in (_read(path) or "").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip().strip('"').strip("'")
    return out


# ------------------------------------------------------------------ subsets

def platform_facts():
    node = platform.node()
    try:
        fqdn = socket.getfqdn()
    except Exception:
        fqdn = node
    bits = platform.architecture()[0].replace("bit", "")
    machine = platform.machine()
    facts = {
        "system": platform.system(), "kernel": platform.release(), "kernel_version": platform.version(),
        "machine": machine, "python_version": platform.python_version(), "fqdn": fqdn,
        "hostname": node.split(".")[0], "nodename": node, "domain": ".".join(fqdn.split(".")[1:]),
        "userspace_bits": bits, "architecture": machine,
        "userspace_architecture": machine if not (machine == "x86_64" and bits == "32") else "i386",
    }
    mid = _read("/etc/machine-id") or _read("/var/lib/dbus/machine-id")
    if mid:
        facts["machine_id"] = mid.strip()
    return facts


def distribution_facts():
    osr = _kv_file("/etc/os-release") or _kv_file("/usr/lib/os-release")
    system = platform.system()
    facts = {"distribution": system, "distribution_version": "NA", "distribution_release": "NA",
             "distribution_major_version": "NA", "os_family": system}
    if system != "Linux":
        facts["distribution_release"] = platform.release()
        facts["distribution_version"] = platform.version()
        return facts
    dist_id = osr.get("ID", "").lower()
    name = DISTRIBUTION_NAMES.get(dist_id, osr.get("NAME", "OtherLinux") if dist_id else "OtherLinux")
    version = osr.get("VERSION_ID", "NA")
    release = osr.get("VERSION_CODENAME") or osr.get("UBUNTU_CODENAME") or "NA"
    file_path = "/etc/os-release"
    if name == "Debian":
        dv = (_read("/etc/debian_version") or "").strip()
        if dv:
            version = dv
        if release == "NA":
            m = re.search(r"\((\w+)\)", osr.get("VERSION", ""))
            if m:
                release = m.group(1)
    elif name in ("RedHat", "CentOS", "Rocky", "AlmaLinux", "OracleLinux"):
        rel = _read("/etc/redhat-release") or ""
        m = re.search(r"release (\d+(?:\.\d+)*)", rel)
        if m:
            version = m.group(1)
        m = re.search(r"\((.*)\)", rel)
        if m:
            release = m.group(1)
        file_path = "/etc/redhat-release"
    elif name == "Alpine":
        version = (_read("/etc/alpine-release") or version).strip()
        file_path = "/etc/alpine-release"
    facts.update({
        "distribution": name, "distribution_version": version, "distribution_release": release,
        "distribution_major_version": version.split(".")[0] if version != "NA" else "NA",
        "distribution_file_path": file_path, "distribution_file_variety": name,
        "distribution_file_parsed": True, "os_family": FAMILY_OF.get(name, name),
    })
    if "." in version and name != "NA":
        facts["distribution_minor_version"] = version.split(".")[1]
    return facts


def python_facts():
    vi = sys.version_info
    return {
        "python": {
            "version": {"major": vi[0], "minor": vi[1], "micro": vi[2], "releaselevel": vi[3],
                        "serial": vi[4]},
            "version_info": list(vi), "executable": sys.executable, "has_sslcontext": True,
            "type": sys.implementation.name,
        },
    }


def is_chroot_facts():
    try:
        root, init_root = os.stat("/"), os.stat("/proc/1/root/.")
        return {"is_chroot": (root.st_ino, root.st_dev) != (init_root.st_ino, init_root.st_dev)}
    except OSError:
        pass
    # without access to init's root: compare / with its filesystem's root inode number
    fstype = "ext4"
    for line in (_read("/proc/mounts") or "").splitlines():
        f = line.split()
        if len(f) > 2 and f[1] == "/":
            fstype = f[2]
    want = {"btrfs": 256, "xfs": 128}.get(fstype, 2)
    try:
        return {"is_chroot": os.stat("/").st_ino != want}
    except OSError:
        return {"is_chroot": None}


def user_facts():
    uid = os.getuid()
    try:
        name = getpass.getuser()
    except Exception:
        name = str(uid)
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        try:
            pw = pwd.getpwuid(uid)
        except KeyError:
            pw = None
    facts = {"user_id": name, "real_user_id": uid, "effective_user_id": os.geteuid(),
             "real_group_id": os.getgid(), "effective_group_id": os.getegid()}
    if pw is not None:
        facts.update({"user_uid": pw.pw_uid, "user_gid": pw.pw_gid, "user_gecos": pw.pw_gecos,
                      "user_dir": pw.pw_dir, "user_shell": pw.pw_shell})
    return facts


def env_facts():
    return {"env": dict(os.environ)}


def date_time_facts():
    epoch = time.time()
    now = datetime.datetime.fromtimestamp(epoch)
    utc = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=epoch)
    return {"date_time": {
        "year": now.strftime("%Y"), "month": now.strftime("%m"), "weekday": now.strftime("%A"),
        "weekday_number": now.strftime("%w"), "weeknumber": now.strftime("%W"), "day": now.strftime("%d"),
        "hour": now.strftime("%H"), "minute": now.strftime("%M"), "second": now.strftime("%S"),
        "epoch": str(int(epoch)), "epoch_int": str(int(epoch)), "date": now.strftime("%Y-%m-%d"),
        "time": now.strftime("%H:%M:%S"), "iso8601_micro": utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "iso8601": utc.strftime("%Y-%m-%dT%H:%M:%SZ"), "iso8601_basic": now.strftime("%Y%m%dT%H%M%S%f"),
        "iso8601_basic_short": now.strftime("%Y%m%dT%H%M%S"), "tz": time.strftime("%Z"),
        "tz_dst": time.tzname[1], "tz_offset": time.strftime("%z"),
    }}


def dns_facts():
    dns = {}
    for line in (_read("/etc/resolv.conf") or "").splitlines():
        f = line.split()
        if not f or f[0].startswith(("#", ";")):
            continue
        if f[0] == "nameserver" and len(f) > 1:
            dns.setdefault("nameservers", []).append(f[1])
        elif f[0] == "domain" and len(f) > 1:
            dns["domain"] = f[1]
        elif f[0] == "search":
            dns["search"] = f[1:]
        elif f[0] == "sortlist":
            dns["sortlist"] = f[1:]
        elif f[0] == "options":
            for o in f[1:]:
                k, _, v = o.partition(":")
                dns.setdefault("options", {})[k] = v or True
    return {"dns": dns}


def cmdline_facts():
    raw = (_read("/proc/cmdline") or "").strip()
    if not raw:
        return {}
    cmd, proc = {}, {}
    for tok in raw.split():
        k, eq, v = tok.partition("=")
        val = v if eq else True
        cmd[k] = val
        if k in proc:
            proc[k] = proc[k] if isinstance(proc[k], list) else [proc[k]]
            proc[k].append(val)
        else:
            proc[k] = val
    return {"cmdline": cmd, "proc_cmdline": proc}


def fips_facts():
    return {"fips": (_read("/proc/sys/crypto/fips_enabled") or "0").strip() == "1"}


def apparmor_facts():
    return {"apparmor": {"status": "enabled" if os.path.exists("/sys/kernel/security/apparmor") else "disabled"}}


def selinux_facts():
    try:
        import selinux  # noqa: F401 -- only presence matters here
        present = True
    except ImportError:
        present = False
    facts = {"selinux_python_present": present}
    enforce = _read("/sys/fs/selinux/enforce")
    if enforce is None:
        facts["selinux"] = {"status": "disabled"}
    else:
        cfg = _kv_file("/etc/selinux/config")
        facts["selinux"] = {
            "status": "enabled", "mode": "enforcing" if enforce.strip() == "1" else "permissive",
            "config_mode": cfg.get("SELINUX", "unknown"), "type": cfg.get("SELINUXTYPE", "unknown"),
            "policyvers": int((_read("/sys/fs/selinux/policyvers") or "0").strip() or 0),
        }
    return facts


def lsb_facts():
    lsb = {}
    data = _kv_file("/etc/lsb-release")
    exe = next((p for p in ("/usr/bin/lsb_release", "/bin/lsb_release") if os.access(p, os.X_OK)), None)
    if exe:
        import subprocess
        try:
            out = subprocess.check_output([exe, "-a"], stderr=subprocess.DEVNULL).decode("utf-8", "replace")
        except (OSError, subprocess.CalledProcessError):
            out = ""
        keys = {"Distributor ID": "id", "Release": "release", "Description": "description",
                "Codename": "codename"}
        for line in out.splitlines():
            k, _, v = line.partition(":")
            if k.strip() in keys and v.strip():
                lsb[keys[k.strip()]] = v.strip()
        if "release" in lsb:
            lsb["major_release"] = lsb["release"].split(".")[0]
    elif data:
        lsb = {"id": data.get("DISTRIB_ID"), "release": data.get("DISTRIB_RELEASE"),
               "codename": data.get("DISTRIB_CODENAME"), "description": data.get("DISTRIB_DESCRIPTION")}
        lsb = dict((k, v) for k, v in lsb.items() if v)
        if "release" in lsb:
            lsb["major_release"] = lsb["release"].split(".")[0]
    return {"lsb": lsb}


def pkg_mgr_facts():
    mgr = "unknown"
    for path, name in PKG_MGRS:
        if os.path.exists(path):
            mgr = name
            break
    if mgr in ("dnf", "yum") and os.path.exists("/usr/bin/dnf") and os.path.exists("/usr/bin/yum"):
        mgr = "dnf"
    return {"pkg_mgr": mgr}


def service_mgr_facts():
    comm = (_read("/proc/1/comm") or "").strip()
    if comm in ("init",) or comm.endswith("sh"):
        comm = ""
    if comm and comm != "systemd":
        return {"service_mgr": {"runit-init": "runit", "COMMAND": "openrc"}.get(comm, comm)}
    if comm == "systemd" or os.path.isdir("/run/systemd/system"):
        return {"service_mgr": "systemd"}
    if os.path.exists("/sbin/openrc") or os.path.exists("/sbin/openrc-run"):
        return {"service_mgr": "openrc"}
    if os.path.exists("/sbin/initctl") and "upstart" in (_read("/proc/1/cmdline") or ""):
        return {"service_mgr": "upstart"}
    return {"service_mgr": "sysvinit" if platform.system() == "Linux" else "service"}


def ssh_pub_keys_facts():
    facts = {}
    for kind in ("dsa", "rsa", "ecdsa", "ed25519"):
        data = _read("/etc/ssh/ssh_host_%s_key.pub" % kind)
        if data:
            parts = data.split()
            if len(parts) >= 2:
                facts["ssh_host_key_%s_public" % kind] = parts[1]
                facts["ssh_host_key_%s_public_keytype" % kind] = parts[0]
    return facts


def local_facts(fact_path):
    local = {}
    for fn in sorted(glob.glob(os.path.join(fact_path, "*.fact"))):
        name = os.path.basename(fn)[:-5]
        if os.access(fn, os.X_OK):
            import subprocess
            try:
                out = subprocess.check_output([fn], stderr=subprocess.STDOUT).decode("utf-8", "replace")
            except (OSError, subprocess.CalledProcessError) as e:
                local[name] = "error loading fact - output of running \"%s\" was not utf-8" % fn \
                    if False else "Failure executing fact script (%s), error: %s" % (fn, e)
                continue
        else:
            out = _read(fn, "")
        try:
            local[name] = json.loads(out)
        except ValueError:
            local[name] = _ini(out)
    return {"local": local}


def _ini(text):
    try:
        import configparser
        cp = configparser.ConfigParser()
        cp.read_string(text)
        return dict((s, dict(cp.items(s))) for s in cp.sections())
    except Exception:
        return "error loading facts as JSON or ini - please check content"


def hardware_facts():
    facts = {}
    cpu = _read("/proc/cpuinfo") or ""
    procs, sockets, cores, siblings = [], set(), {}, {}
    idx = None
    phys = "0"
    vendor = model = None
    for line in cpu.splitlines() + [""]:
        if not line.strip():
            if idx is not None:
                procs += [idx, vendor or "", model or ""] if vendor else [idx, model or ""]
            idx, vendor, model = None, None, None
            continue
        k, _, v = line.partition(":")
        k, v = k.strip(), v.strip()
        if k == "processor":
            idx = v
        elif k == "vendor_id":
            vendor = v
        elif k in ("model name", "Processor", "cpu model", "uarch"):
            model = v
        elif k == "physical id":
            phys = v
            sockets.add(v)
        elif k == "cpu cores":
            cores[phys] = int(v)
        elif k == "siblings":
            siblings[phys] = int(v)
    n_logical = len([l for l in cpu.splitlines() if l.startswith("processor")])
    facts["processor"] = procs
    count = len(sockets) or 1
    per_core = cores.get(phys) or (n_logical // count if n_logical else 1)
    sib = siblings.get(phys) or per_core
    facts["processor_count"] = count
    facts["processor_cores"] = per_core
    facts["processor_threads_per_core"] = max(1, sib // per_core) if per_core else 1
    facts["processor_vcpus"] = n_logical or count * per_core
    try:
        facts["processor_nproc"] = len(os.sched_getaffinity(0))
    except AttributeError:
        facts["processor_nproc"] = n_logical
    mem = {}
    for line in (_read("/proc/meminfo") or "").splitlines():
        k, _, v = line.partition(":")
        try:
            mem[k] = int(v.split()[0])
        except (IndexError, ValueError):
            pass
    mb = lambda key: mem.get(key, 0) // 1024  # noqa: E731
    facts["memtotal_mb"] = mb("MemTotal")
    facts["memfree_mb"] = mb("MemFree")
    facts["swaptotal_mb"] = mb("SwapTotal")
    facts["swapfree_mb"] = mb("SwapFree")
    cached = mb("Buffers") + mb("Cached")
    facts["memory_mb"] = {
        "real": {"total": mb("MemTotal"), "used": mb("MemTotal") - mb("MemFree"), "free": mb("MemFree")},
        "nocache": {"free": mb("MemFree") + cached, "used": mb("MemTotal") - mb("MemFree") - cached},
        "swap": {"total": mb("SwapTotal"), "free": mb("SwapFree"), "used": mb("SwapTotal") - mb("SwapFree"),
                 "cached": mb("SwapCached")},
    }
    facts["mounts"] = mount_facts()
    facts.update(is_chroot_facts())
    up = (_read("/proc/uptime") or "0").split()[0]
    facts["uptime_seconds"] = int(float(up))
    la = (_read("/proc/loadavg") or "0 0 0").split()
    facts["loadavg"] = {"1m": float(la[0]), "5m": float(la[1]), "15m": float(la[2])}
    for key, fn in (("system_vendor", "sys_vendor"), ("product_name", "product_name"),
                    ("product_version", "product_version"), ("product_serial", "product_serial"),
                    ("product_uuid", "product_uuid"), ("bios_vendor", "bios_vendor"),
                    ("bios_version", "bios_version"), ("bios_date", "bios_date"),
                    ("board_vendor", "board_vendor"), ("board_name", "board_name"),
                    ("chassis_vendor", "chassis_vendor")):
        v = _read("/sys/class/dmi/id/" + fn)
        facts[key] = v.strip() if v is not None else "NA"
    return facts


def _unescape_mount(s):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def mount_facts():
    uuids = {}
    for p in glob.glob("/dev/disk/by-uuid/*"):
        try:
            uuids[os.path.realpath(p)] = os.path.basename(p)
        except OSError:
            pass
    mounts = []
    for line in (_read("/proc/mounts") or "").splitlines():
        f = line.split()
        if len(f) < 4:
            continue
        device, mount, fstype, options = [_unescape_mount(x) for x in f[:4]]
        if (not device.startswith(("/", "\\")) and ":/" not in device) or fstype == "none":
            continue
        info = {"mount": mount, "device": device, "fstype": fstype, "options": options,
                "uuid": uuids.get(os.path.realpath(device), "N/A")}
        try:
            st = os.statvfs(mount)
            info.update({
                "size_total": st.f_frsize * st.f_blocks, "size_available": st.f_frsize * st.f_bavail,
                "block_size": st.f_bsize, "block_total": st.f_blocks, "block_available": st.f_bavail,
                "block_used": st.f_blocks - st.f_bavail, "inode_total": st.f_files,
                "inode_available": st.f_favail, "inode_used": st.f_files - st.f_favail,
            })
        except OSError:
            pass
        mounts.append(info)
    return mounts


# ------------------------------------------------------------------ network

SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFBRDADDR, SIOCGIFFLAGS = 0x8915, 0x891B, 0x8919, 0x8913


def _ioctl_addr(sock, req, name):
    try:
        res = fcntl.ioctl(sock.fileno(), req, struct.pack("256s", name.encode()[:15]))
        return socket.inet_ntoa(res[20:24])
    except (IOError, OSError):
        return None


def _hex_ip4(h):
    return socket.inet_ntoa(struct.pack("<I", int(h, 16)))


def _ipv6_addrs():
    out = {}
    for line in (_read("/proc/net/if_inet6") or "").splitlines():
        f = line.split()
        if len(f) < 6:
            continue
        addr = ":".join(f[0][i:i + 4] for i in range(0, 32, 4))
        addr = socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, addr))
        scope_id = int(f[3], 16)
        scope = {0: "global", 0x10: "host", 0x20: "link", 0x40: "site"}.get(scope_id, str(scope_id))
        out.setdefault(f[5], []).append({"address": addr, "prefix": str(int(f[2], 16)), "scope": scope})
    order = {"global": 0, "site": 1, "link": 2, "host": 3}
    for addrs in out.values():
        addrs.sort(key=lambda a: order.get(a["scope"], 4))
    return out


def _iface_type(name):
    t = (_read("/sys/class/net/%s/type" % name) or "").strip()
    if name == "lo" or t == "772":
        return "loopback"
    if os.path.isdir("/sys/class/net/%s/bridge" % name):
        return "bridge"
    if os.path.isdir("/sys/class/net/%s/bonding" % name):
        return "bonding"
    if t == "1":
        return "ether"
    if t == "65534":
        return "tunnel"
    return "unknown"


def network_facts():
    facts = {}
    # glob order, not sorted: Ansible lists interfaces and their addresses in the order sysfs gives them
    names = os.listdir("/sys/class/net") if os.path.isdir("/sys/class/net") else []
    v6 = _ipv6_addrs()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    all4, all6 = [], []
    ifaces = {}
    try:
        for name in names:
            base = "/sys/class/net/" + name
            info = {"device": name, "type": _iface_type(name)}
            mtu = (_read(base + "/mtu") or "").strip()
            if mtu.isdigit():
                info["mtu"] = int(mtu)
            mac = (_read(base + "/address") or "").strip()
            if mac and info["type"] != "loopback":
                info["macaddress"] = mac
            try:
                flags = struct.unpack("H", fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS,
                                                       struct.pack("256s", name.encode()[:15]))[16:18])[0]
                info["active"] = bool(flags & 1)
                info["promisc"] = bool(flags & 0x100)
            except (IOError, OSError):
                info["active"] = (_read(base + "/operstate") or "").strip() in ("up", "unknown")
            addr = _ioctl_addr(sock, SIOCGIFADDR, name)
            if addr:
                mask = _ioctl_addr(sock, SIOCGIFNETMASK, name) or "255.255.255.255"
                a = struct.unpack("!I", socket.inet_aton(addr))[0]
                mk = struct.unpack("!I", socket.inet_aton(mask))[0]
                ipv4 = {"address": addr, "netmask": mask,
                        "network": socket.inet_ntoa(struct.pack("!I", a & mk)),
                        "prefix": str(bin(mk).count("1"))}
                brd = _ioctl_addr(sock, SIOCGIFBRDADDR, name)
                ipv4["broadcast"] = brd if brd and brd != "0.0.0.0" else ""
                info["ipv4"] = ipv4
                if not addr.startswith("127."):
                    all4.append(addr)
            if name in v6:
                info["ipv6"] = v6[name]
                all6.extend(x["address"] for x in v6[name] if x["scope"] != "host")
            ifaces[name] = info
            facts[re.sub(r"[^A-Za-z0-9_]", "_", name)] = info
    finally:
        sock.close()
    facts["interfaces"] = names
    facts["all_ipv4_addresses"] = all4
    facts["all_ipv6_addresses"] = all6
    facts["default_ipv4"] = {}
    for line in (_read("/proc/net/route") or "").splitlines()[1:]:
        f = line.split()
        if len(f) > 7 and f[1] == "00000000" and f[7] == "00000000" and int(f[3], 16) & 1:
            iface = ifaces.get(f[0], {})
            d = {"gateway": _hex_ip4(f[2]), "interface": f[0], "alias": f[0]}
            d.update(iface.get("ipv4", {}))
            for k in ("macaddress", "mtu", "type"):
                if k in iface:
                    d[k] = iface[k]
            facts["default_ipv4"] = d
            break
    facts["default_ipv6"] = {}
    for line in (_read("/proc/net/ipv6_route") or "").splitlines():
        f = line.split()
        if len(f) >= 10 and f[0] == "0" * 32 and f[1] == "00" and f[9] != "lo":
            gw = ":".join(f[4][i:i + 4] for i in range(0, 32, 4))
            iface = ifaces.get(f[9], {})
            d = {"gateway": socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, gw)),
                 "interface": f[9]}
            glob6 = [x for x in iface.get("ipv6", []) if x["scope"] == "global"]
            if glob6:
                d.update(glob6[0])
            for k in ("macaddress", "mtu", "type"):
                if k in iface:
                    d[k] = iface[k]
            facts["default_ipv6"] = d
            break
    return facts


def virtual_facts():
    vtype, role = "NA", "NA"
    cgroup = _read("/proc/1/cgroup") or ""
    environ = _read("/proc/1/environ") or ""
    if os.path.exists("/.dockerenv") or "docker" in cgroup:
        vtype, role = "docker", "guest"
    elif os.path.exists("/run/.containerenv") or "container=podman" in environ:
        vtype, role = "podman", "guest"
    elif "container=lxc" in environ or "/lxc/" in cgroup:
        vtype, role = "lxc", "guest"
    elif "container=systemd-nspawn" in environ:
        vtype, role = "systemd-nspawn", "guest"
    else:
        product = (_read("/sys/class/dmi/id/product_name") or "").strip()
        vendor = (_read("/sys/class/dmi/id/sys_vendor") or "").strip()
        if product in ("KVM", "Standard PC (i440FX + PIIX, 1996)", "Standard PC (Q35 + ICH9, 2009)") or \
                vendor == "QEMU":
            vtype, role = "kvm", "guest"
        elif "VMware" in product or vendor.startswith("VMware"):
            vtype, role = "VMware", "guest"
        elif "VirtualBox" in product:
            vtype, role = "virtualbox", "guest"
        elif vendor == "Xen" or os.path.exists("/proc/xen"):
            vtype, role = "xen", "guest"
        elif vendor == "Amazon EC2":
            vtype, role = "kvm", "guest"
        elif vendor == "Microsoft Corporation" and product == "Virtual Machine":
            vtype, role = "VirtualPC", "guest"
        elif "hypervisor" in (_read("/proc/cpuinfo") or ""):
            vtype, role = "kvm", "guest"
    guest = [vtype] if role == "guest" else []
    if vtype in ("docker", "podman", "lxc", "systemd-nspawn"):
        guest.append("container")
    return {"virtualization_type": vtype, "virtualization_role": role,
            "virtualization_tech_guest": guest,
            "virtualization_tech_host": []}


COLLECTORS = {
    "apparmor": apparmor_facts, "cmdline": cmdline_facts, "date_time": date_time_facts,
    "distribution": distribution_facts, "dns": dns_facts, "env": env_facts, "fips": fips_facts,
    "lsb": lsb_facts, "pkg_mgr": pkg_mgr_facts, "platform": platform_facts, "python": python_facts,
    "selinux": selinux_facts, "service_mgr": service_mgr_facts, "ssh_pub_keys": ssh_pub_keys_facts,
    "user": user_facts, "hardware": hardware_facts, "network": network_facts, "virtual": virtual_facts,
}


def resolve_subsets(requested):
    """Ansible's gather_subset algebra: 'all', 'min', names, and '!name' exclusions."""
    include, exclude = set(), set()
    for item in requested:
        item = item.strip()
        if item.startswith("!"):
            name = item[1:]
            if name == "all":
                exclude |= set(ALL_SUBSETS) - set(MIN_SUBSETS)
            elif name == "min":
                exclude |= set(MIN_SUBSETS)
            else:
                exclude.add(name)
        elif item == "all":
            include |= set(ALL_SUBSETS)
        elif item == "min":
            include |= set(MIN_SUBSETS)
        else:
            if item not in ALL_SUBSETS and item != "local":
                raise ValueError("Bad subset '%s' given to Ansible. gather_subset options allowed: all, %s"
                                 % (item, ", ".join(sorted(ALL_SUBSETS))))
            include.add(item)
    if "min" not in [r.strip("!") for r in requested if r.startswith("!")]:
        include |= set(MIN_SUBSETS) - exclude
    return [s for s in ALL_SUBSETS if s in include and s not in exclude]


def main(m):
    p = m.params
    try:
        subsets = resolve_subsets(p["gather_subset"])
    except ValueError as e:
        m.fail_json(msg=str(e))
    facts = {}
    for name in subsets:
        if name == "local":
            facts.update(local_facts(p["fact_path"]))
            continue
        try:
            facts.update(COLLECTORS[name]())
        except Exception as e:  # one broken collector must not lose the others
            m.warn("fact collector %s failed: %s" % (name, e))
    out = {}
    for k, v in facts.items():
        key = "ansible_" + k
        if p["filter"] and not any(fnmatch.fnmatch(key, pat) or fnmatch.fnmatch(k, pat) for pat in p["filter"]):
            continue
        out[key] = v
    out["gather_subset"] = p["gather_subset"]
    out["module_setup"] = True
    return {"ansible_facts": out, "changed": False}
