import { assert, assertEquals } from "./_assert.ts";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { hostname, userInfo } from "node:os";
import { callMany, PYTHON, run } from "./modules_harness.ts";

function osRelease(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync("/etc/os-release", "utf-8").split("\n")) {
    const m = line.match(/^(\w+)=(.*)$/);
    if (m) out[m[1]] = m[2].replace(/^"|"$/g, "");
  }
  return out;
}

Deno.test("setup gathers the common facts with Ansible's names and types", () => {
  const r = run("setup", {});
  assertEquals(r.changed, false);
  const f = r.ansible_facts;
  assertEquals(f.module_setup, true);
  assertEquals(f.gather_subset, ["all"]);
  assertEquals(f.ansible_system, "Linux");
  assertEquals(f.ansible_nodename, hostname());
  assertEquals(f.ansible_hostname, hostname().split(".")[0]);
  assertEquals(f.ansible_user_id, userInfo().username);
  assertEquals(f.ansible_user_uid, userInfo().uid);
  assertEquals(f.ansible_user_dir, userInfo().homedir);
  assertEquals(f.ansible_python.executable, PYTHON);
  assertEquals(f.ansible_python.type, "cpython");
  assertEquals(f.ansible_python.version_info.length, 5);
  const osr = osRelease();
  if (osr.ID === "debian") {
    assertEquals(f.ansible_distribution, "Debian");
    assertEquals(f.ansible_os_family, "Debian");
    assertEquals(f.ansible_distribution_version, readFileSync("/etc/debian_version", "utf-8").trim());
    assertEquals(f.ansible_distribution_release, osr.VERSION_CODENAME);
    assertEquals(f.ansible_pkg_mgr, "apt");
  }
  assertEquals(f.ansible_distribution_major_version, f.ansible_distribution_version.split(".")[0]);
  assert(f.ansible_interfaces.includes("lo"));
  assertEquals(f.ansible_lo.ipv4.address, "127.0.0.1");
  assertEquals(f.ansible_lo.type, "loopback");
  assert(f.ansible_memtotal_mb > 0);
  assert(f.ansible_processor_vcpus >= 1);
  assert(f.ansible_mounts.some((m: any) => m.mount === "/"));
  assertEquals(typeof f.ansible_date_time.epoch, "string");
  assertEquals(f.ansible_env.PATH, Deno.env.get("PATH"));
  assertEquals(typeof f.ansible_service_mgr, "string");
  assertEquals(typeof f.ansible_selinux.status, "string");
});

Deno.test("setup's default_ipv4 matches the kernel's default route", () => {
  const f = run("setup", { gather_subset: ["network"] }).ansible_facts;
  const route = readFileSync("/proc/net/route", "utf-8").split("\n").slice(1).map((l) =>
    l.trim().split(/\s+/)
  );
  const def = route.find((r) => r[1] === "00000000" && r[7] === "00000000");
  if (!def) {
    assertEquals(f.ansible_default_ipv4, {});
    return;
  }
  assertEquals(f.ansible_default_ipv4.interface, def[0]);
  const gw = parseInt(def[2], 16);
  assertEquals(
    f.ansible_default_ipv4.gateway,
    [gw & 255, (gw >> 8) & 255, (gw >> 16) & 255, gw >>> 24].join("."),
  );
  assertEquals(f.ansible_default_ipv4.address, f[`ansible_${def[0]}`].ipv4.address);
});

Deno.test("gather_subset and filter select facts", () => {
  const [min, filtered, bad] = callMany([
    { fn: "run_module", args: ["setup", { gather_subset: "!all" }] },
    { fn: "run_module", args: ["setup", { filter: ["ansible_distribution*"] }] },
    { fn: "run_module", args: ["setup", { gather_subset: ["bogus"] }] },
  ]);
  assert("ansible_distribution" in min.ansible_facts);
  assert(!("ansible_mounts" in min.ansible_facts));
  assert(!("ansible_interfaces" in min.ansible_facts));
  const keys = Object.keys(filtered.ansible_facts).filter((k) => k.startsWith("ansible_")).sort();
  assert(keys.length >= 4);
  assert(keys.every((k) => k.startsWith("ansible_distribution")));
  assertEquals(bad.failed, true);
});

Deno.test("setup agrees with ansible-core's setup on the stable facts", () => {
  const ans = spawnSync("/usr/bin/ansible", ["localhost", "-m", "setup", "-o"], {
    encoding: "utf-8",
    timeout: 120_000,
  });
  assertEquals(ans.status, 0, ans.stderr);
  const theirs = JSON.parse(ans.stdout.slice(ans.stdout.indexOf("{"))).ansible_facts;
  const ours = run("setup", {}).ansible_facts;
  for (
    const k of [
      "ansible_distribution",
      "ansible_distribution_version",
      "ansible_distribution_major_version",
      "ansible_distribution_release",
      "ansible_os_family",
      "ansible_system",
      "ansible_kernel",
      "ansible_architecture",
      "ansible_hostname",
      "ansible_nodename",
      "ansible_fqdn",
      "ansible_domain",
      "ansible_user_id",
      "ansible_user_dir",
      "ansible_user_shell",
      "ansible_pkg_mgr",
      "ansible_service_mgr",
      "ansible_default_ipv4",
      "ansible_all_ipv4_addresses",
      "ansible_processor_vcpus",
      "ansible_processor_count",
      "ansible_processor_cores",
      "ansible_memtotal_mb",
      "ansible_lsb",
      "ansible_dns",
      "ansible_selinux",
      "ansible_python_version",
      "ansible_lo",
    ]
  ) {
    assertEquals(ours[k], theirs[k], k);
  }
});
