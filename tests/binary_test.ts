// The one-file program: built as a Node single executable, copied alone into an empty directory and run
// with a PATH that has neither node nor deno, it prints its version and runs a real playbook. Building it
// prints no warnings.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertEquals, assertStringIncludes } from "./_assert.ts";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const { VERSION } = await import("../cli/version.ts");

Deno.test("dist/mito runs from an empty directory without node or deno on PATH", () => {
  const build = spawnSync(path.join(ROOT, "node_modules/deno/deno"), ["task", "-q", "sea"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 300_000,
  });
  assertEquals(build.status, 0, build.stderr);
  // Nothing in the build's output looks like a failure (esbuild's and postject's warnings once did).
  assertEquals(`${build.stdout}${build.stderr}`.split("\n").filter((l) => /warn|error/i.test(l)), []);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-bin-"));
  try {
    const exe = path.join(dir, "mito");
    fs.copyFileSync(path.join(ROOT, "dist/mito"), exe);
    fs.chmodSync(exe, 0o755);
    // Only what a playbook's commands need: no node, no deno.
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    for (const tool of ["sh", "hostname", "echo"]) fs.symlinkSync(`/bin/${tool}`, path.join(bin, tool));
    const env = { PATH: bin, HOME: dir, LANG: "C.UTF-8" };
    const which = spawnSync("/bin/sh", ["-c", "command -v node deno"], { env, encoding: "utf8" });
    assertEquals(which.stdout, "", "node or deno is reachable on the test PATH");

    const version = spawnSync(exe, ["--version"], { cwd: dir, env, encoding: "utf8", timeout: 30_000 });
    assertEquals(version.stdout, `mito ${VERSION}\n`);
    assertEquals(version.stderr, "");
    assertEquals(version.status, 0);

    const help = spawnSync(exe, ["--help"], { cwd: dir, env, encoding: "utf8", timeout: 30_000 });
    assertStringIncludes(help.stdout, "usage: mito <command> [options]");

    fs.writeFileSync(
      path.join(dir, "hosts"),
      "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
    );
    fs.writeFileSync(
      path.join(dir, "play.yml"),
      "- hosts: localhost\n  gather_facts: false\n  tasks:\n" +
        '    - copy:\n        content: "built {{ 6 * 7 }}\\n"\n        dest: ' + path.join(dir, "out.txt") +
        "\n" +
        "    - command: hostname\n      register: h\n" +
        "    - assert:\n        that: h.stdout | length > 0\n",
    );
    const play = spawnSync(exe, ["run", "-i", "hosts", "play.yml"], {
      cwd: dir,
      env: { ...env, MITO_MODULES: "builtin" },
      encoding: "utf8",
      timeout: 60_000,
    });
    assertEquals(play.stderr, "");
    assertStringIncludes(
      play.stdout,
      "localhost                  : ok=3    changed=2    unreachable=0    failed=0",
    );
    assertEquals(play.status, 0);
    assertEquals(fs.readFileSync(path.join(dir, "out.txt"), "utf8"), "built 42\n");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
