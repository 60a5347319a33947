// The runtime and the built-in modules on every Python 3 the machine offers besides Debian's
// (pyenv's 3.6 ... 3.13 where installed): the targets mito supports start at 3.6.
import { assertEquals } from "./_assert.ts";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { homedir } from "node:os";
import { callMany, PYTHON, sh, tempDir } from "./modules_harness.ts";

function interpreters(): string[] {
  const out = [PYTHON];
  const root = join(homedir(), ".pyenv", "versions");
  if (existsSync(root)) {
    for (const v of readdirSync(root).sort()) {
      const exe = join(root, v, "bin", "python3");
      if (/^3\.\d+/.test(v) && existsSync(exe)) out.push(exe);
    }
  }
  return out;
}

for (const python of interpreters()) {
  Deno.test(`built-in modules work on ${python}`, () => {
    const d = tempDir();
    const calls: [string, Record<string, unknown>][] = [
      ["ping", {}],
      ["command", { _raw_params: "echo hi" }],
      ["file", { path: `${d}/dir`, state: "directory", mode: "u=rwx,go=rx" }],
      ["copy", { content: "x\n", dest: `${d}/dir/f`, mode: "0600" }],
      ["lineinfile", { path: `${d}/dir/f`, line: "y" }],
      ["blockinfile", { path: `${d}/dir/f`, block: "z" }],
      ["replace", { path: `${d}/dir/f`, regexp: "^y$", replace: "Y" }],
      ["stat", { path: `${d}/dir/f` }],
      ["find", { paths: [d], recurse: true }],
      ["slurp", { src: `${d}/dir/f` }],
      ["assemble", { src: `${d}/dir`, dest: `${d}/all` }],
      ["cron", { name: "j", job: "true", cron_file: `${d}/cron`, user: "root" }],
      ["known_hosts", { name: "h", key: "h ssh-rsa AAAA", path: `${d}/kh` }],
      ["setup", { gather_subset: ["all"] }],
      ["wait_for", { path: `${d}/all`, timeout: 2 }],
      ["uri", { url: "http://127.0.0.1:9/", status_code: [-1], timeout: 2 }],
      ["tempfile", { path: d }],
      ["sysctl", { name: "vm.swappiness", value: "5", sysctl_file: `${d}/s.conf`, reload: false }],
      ["mount", { path: "/mnt/x", src: "/dev/x", fstype: "ext4", state: "present", fstab: `${d}/fstab` }],
      ["authorized_key", { user: "root", key: "ssh-ed25519 AAAAC3Nza x@y", path: `${d}/ak` }],
      ["unarchive", { src: `${d}/a.tgz`, dest: d, remote_src: true, list_files: true }],
      ["group", { name: "root" }],
      ["apt", { name: "coreutils" }],
      ["script", { path: `${d}/s.sh`, args: "1" }],
      ["stat", { path: `${d}/nope` }],
    ];
    sh(
      `mkdir ${d}/src && echo x > ${d}/src/x && tar -czf ${d}/a.tgz -C ${d} src && printf '#!/bin/sh\\necho $1\\n' > ${d}/s.sh`,
    );
    // cron needs a crontab command even for a cron file (as Ansible's does); this machine may have none.
    sh(`mkdir ${d}/bin && printf '#!/bin/sh\\nexit 0\\n' > ${d}/bin/crontab && chmod 755 ${d}/bin/crontab`);
    const env = { PATH: `${d}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` };
    const res = callMany(calls.map(([m, a]) => ({ fn: "run_module", args: [m, a] })), env, python);
    const failures = res.map((r, i) => r.failed ? `${calls[i][0]}: ${r.msg} ${r.module_stderr ?? ""}` : "")
      .filter((s) => s);
    assertEquals(failures, []);
    assertEquals(
      readFileSync(`${d}/dir/f`, "utf-8"),
      "x\nY\n# BEGIN ANSIBLE MANAGED BLOCK\nz\n# END ANSIBLE MANAGED BLOCK\n",
    );
    assertEquals(
      res[13].ansible_facts.ansible_python.executable.startsWith(python.replace(/python3$/, "")),
      true,
    );
    const src = readFileSync("/usr/lib/python3/dist-packages/ansible/modules/ping.py", "utf-8");
    assertEquals(callMany([{ fn: "detect_style", args: [src] }], {}, python), ["new"]);
  });
}
