// apt runs against this Debian machine's dpkg database and apt lists: only what is
// possible offline (installed packages, check mode). service is driven with a SysV init
// script the test installs and removes; systemd is not PID 1 here.
import { assert, assertEquals, assertStringIncludes } from "./_assert.ts";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { userInfo } from "node:os";
import { callMany, run, runTwice, sh, tempDir } from "./modules_harness.ts";

const dpkgInstalled = (p: string) => {
  try {
    return sh(`dpkg-query -W -f '\${Status}' ${p}`).endsWith(" installed");
  } catch {
    return false;
  }
};

Deno.test("apt: an installed package is ok; absent for a missing one is ok", () => {
  assert(existsSync("/usr/bin/dpkg-query"), "needs a Debian-family machine");
  const [present, absent] = callMany([
    { fn: "run_module", args: ["apt", { name: "coreutils", state: "present" }] },
    { fn: "run_module", args: ["apt", { name: "mito-no-such-package", state: "absent" }] },
  ]);
  assertEquals(present.changed, false);
  assertEquals(present.failed, false);
  assertEquals(present.cache_updated, false);
  assertEquals(typeof present.cache_update_time, "number");
  assertEquals(absent.changed, false);
});

Deno.test("apt: check mode reports an install without installing; removal in check mode too", () => {
  const candidate = sh("apt-cache policy sl | sed -n 's/ *Candidate: //p'").trim();
  if (!candidate || candidate === "(none)") {
    throw new Error("apt lists lack the 'sl' package; run apt-get update");
  }
  assertEquals(dpkgInstalled("sl"), false);
  const r = run("apt", { name: "sl", state: "present" }, { check_mode: true });
  assertEquals(r.failed, false, r.msg);
  assertEquals(r.changed, true);
  assertStringIncludes(r.stdout, "Inst sl");
  assertEquals(dpkgInstalled("sl"), false);
  assert(dpkgInstalled("rsync"), "the test machine has rsync installed");
  const rm = run("apt", { name: "rsync", state: "absent" }, { check_mode: true });
  assertEquals(rm.changed, true);
  assertStringIncludes(rm.stdout, "Remv rsync");
  assert(dpkgInstalled("rsync"));
  const v = run("apt", { name: `coreutils=${sh("dpkg-query -W -f '${Version}' coreutils")}` });
  assertEquals(v.changed, false);
  const bad = run("apt", { name: "mito-no-such-package" }, { check_mode: true });
  assertEquals(bad.failed, true);
});

Deno.test("service (SysV): start, idempotent start, stop via an init script", () => {
  if (userInfo().uid !== 0) throw new Error("this test needs root (it installs an init script)");
  const name = `mito-svc-${Date.now().toString(36)}`;
  const d = tempDir();
  const pidfile = join(d, "pid");
  const script = `/etc/init.d/${name}`;
  writeFileSync(
    script,
    `#!/bin/sh
PIDFILE=${pidfile}
case "$1" in
  start) setsid sleep 60 >/dev/null 2>&1 < /dev/null & echo $! > $PIDFILE ;;
  stop) [ -f $PIDFILE ] && kill $(cat $PIDFILE) 2>/dev/null; rm -f $PIDFILE ;;
  restart) $0 stop; $0 start ;;
  status) [ -f $PIDFILE ] && kill -0 $(cat $PIDFILE) 2>/dev/null ;;
  *) exit 3 ;;
esac
`,
    { mode: 0o755 },
  );
  try {
    const chk = run("service", { name, state: "started" }, { check_mode: true });
    assertEquals(chk.changed, true);
    assertEquals(existsSync(pidfile), false);
    const [a, b] = runTwice("service", { name, state: "started", use: "sysvinit" });
    assertEquals([a.changed, b.changed], [true, false]);
    assertEquals(a.state, "started");
    assertEquals(a.name, name);
    assert(existsSync(pidfile));
    const [s1, s2] = runTwice("service", { name, state: "stopped", use: "sysvinit" });
    assertEquals([s1.changed, s2.changed], [true, false]);
    assertEquals(existsSync(pidfile), false);
    const missing = run("service", { name: "mito-no-such-service", state: "started", use: "sysvinit" });
    assertEquals(missing.failed, true);
    assertEquals(missing.msg, "Could not find the requested service mito-no-such-service: host");
  } finally {
    if (existsSync(pidfile)) {
      try {
        Deno.kill(parseInt(readFileSync(pidfile, "utf-8")), "SIGTERM");
      } catch { /* already gone */ }
    }
    rmSync(script, { force: true });
  }
});

Deno.test("systemd: without systemd as init it fails with systemctl's own words, as Ansible's does", () => {
  if (existsSync("/run/systemd/system")) return; // real systemd hosts are covered by the e2e suite
  const r = run("systemd", { name: "ssh", state: "started" });
  assertEquals(r.failed, true);
  assertEquals(
    String(r.msg).split("\n")[0],
    "System has not been booted with systemd as init system (PID 1). Can't operate.",
  );
});

Deno.test("dnf/yum: a clear refusal where the package manager is missing", () => {
  if (existsSync("/usr/bin/dnf")) return; // RPM hosts are covered by the e2e suite
  const [dnf, yum, bad] = callMany([
    { fn: "run_module", args: ["dnf", { name: ["vim"], state: "present" }] },
    { fn: "run_module", args: ["yum", { name: ["vim"] }] },
    { fn: "run_module", args: ["dnf", { name: ["vim"], list: "vim" }] },
  ]);
  assertEquals(dnf.msg, "dnf is not installed on this host");
  assertEquals(dnf.failed, true);
  assertEquals(yum.msg, "yum is not installed on this host");
  assertEquals(bad.msg, "parameters are mutually exclusive: name|list");
});

Deno.test("systemd: systemctl show parsing and the state-to-command rule", () => {
  const show = [
    "Id=ssh.service",
    "ActiveState=active",
    "ExecStart={ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D ;",
    "  ignore_errors=no }",
    "LoadState=loaded",
    "UnitFileState=enabled",
  ].join("\n");
  const [parsed, ...actions] = callMany([
    { fn: "mito.modules.systemd:parse_show", args: [show] },
    { fn: "mito.modules.systemd:state_action", args: ["started", true] },
    { fn: "mito.modules.systemd:state_action", args: ["started", false] },
    { fn: "mito.modules.systemd:state_action", args: ["stopped", true] },
    { fn: "mito.modules.systemd:state_action", args: ["reloaded", false] },
    { fn: "mito.modules.systemd:state_action", args: ["restarted", true] },
  ]);
  assertEquals(parsed.ActiveState, "active");
  assertEquals(parsed.UnitFileState, "enabled");
  assertEquals(parsed.ExecStart, "{ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D ;\n  ignore_errors=no }");
  assertEquals(actions, [null, "start", "stop", "start", "restart"]);
});

Deno.test("apt: update_cache in check mode reports the update without running it", () => {
  const stamp = existsSync("/var/lib/apt/periodic/update-success-stamp")
    ? "/var/lib/apt/periodic/update-success-stamp"
    : "/var/lib/apt/lists";
  const before = Deno.statSync(stamp).mtime?.getTime();
  const [only, fresh, withPkg] = callMany([
    { fn: "run_module", args: ["apt", { update_cache: true }], kwargs: { check_mode: true } },
    {
      fn: "run_module",
      args: ["apt", { update_cache: true, cache_valid_time: 10 ** 9 }],
      kwargs: { check_mode: true },
    },
    {
      fn: "run_module",
      args: ["apt", { update_cache: true, name: "coreutils" }],
      kwargs: { check_mode: true },
    },
  ]);
  assertEquals([only.changed, only.cache_updated], [true, true]);
  assertEquals([fresh.changed, fresh.cache_updated], [false, false]);
  assertEquals([withPkg.changed, withPkg.cache_updated], [false, true]);
  assertEquals(typeof only.cache_update_time, "number");
  assertEquals(Deno.statSync(stamp).mtime?.getTime(), before);
});
