// The modules real roles use, applied to a Debian root through the chroot connection (issue 22): three
// identical copies of the bookworm root, one each for ansible-playbook, mito with Ansible's modules (the
// default where ansible-core is installed) and mito with its built-in modules. Each runs
// tests/roots/modules.yml twice; every mito run must give ansible-playbook's screen output, recap and exit
// code, and leave the same files behind. Packages come from a local flat repository built here, so apt
// works offline and fast.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { assertEquals } from "./_assert.ts";
import { normalise, recapLines } from "./_compare.ts";
import { debianRoots } from "./connections_env.ts";
import { DENO, httpServer, ROOT, runInAsync } from "./_run.ts";
import { rootTree, treeDiff } from "../scripts/_root_tree.ts";

const DIR = path.join(ROOT, "tests/roots");

function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const sha = (algo: string, data: Uint8Array | string) => createHash(algo).update(data).digest("hex");

/** A Debian package of `name` 1.0 that ships /usr/share/<name>/README. */
function buildDeb(work: string, repo: string, name: string): string {
  const root = path.join(work, name);
  fs.mkdirSync(path.join(root, "DEBIAN"), { recursive: true });
  fs.mkdirSync(path.join(root, "usr/share", name), { recursive: true });
  fs.writeFileSync(path.join(root, "usr/share", name, "README"), `${name}, a package of mito's tests\n`);
  fs.writeFileSync(
    path.join(root, "DEBIAN/control"),
    [
      `Package: ${name}`,
      "Version: 1.0",
      "Architecture: all",
      "Maintainer: mito tests <tests@example.invalid>",
      `Description: ${name} for the module matrix`,
      "",
    ].join("\n"),
  );
  const deb = path.join(repo, `${name}_1.0_all.deb`);
  run("dpkg-deb", ["--root-owner-group", "-Zgzip", "--build", root, deb]);
  const data = fs.readFileSync(deb);
  const control = run("dpkg-deb", ["-f", deb]).trimEnd();
  return [
    control,
    `Filename: ./${path.basename(deb)}`,
    `Size: ${data.length}`,
    `MD5sum: ${sha("md5", data)}`,
    `SHA256: ${sha("sha256", data)}`,
    "",
  ].join("\n");
}

/** A flat apt repository (`deb [trusted=yes] file:/opt/mito-repo ./`) with two packages. */
function buildRepo(work: string, repo: string): void {
  fs.mkdirSync(repo, { recursive: true });
  const packages = ["mito-hello", "mito-extra"].map((n) => buildDeb(work, repo, n)).join("\n");
  fs.writeFileSync(path.join(repo, "Packages"), packages);
  fs.writeFileSync(
    path.join(repo, "Release"),
    [
      "Origin: mito-tests",
      "Label: mito-tests",
      "Date: Mon, 07 Dec 2026 00:00:00 UTC",
      "SHA256:",
      ` ${sha("sha256", packages)} ${Buffer.byteLength(packages)} Packages`,
      "",
    ].join("\n"),
  );
}

/** A pure-Python wheel, mitohello 1.0, made with zipfile (a wheel is a zip with its dist-info). */
function buildWheel(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  run("/usr/bin/python3", [
    "-c",
    `
import base64, hashlib, sys, zipfile
files = {
    "mitohello/__init__.py": b"GREETING = 'hello'\\n",
    "mitohello-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: mitohello\\nVersion: 1.0\\n",
    "mitohello-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\\nGenerator: mito-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, data in files.items():
        z.writestr(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (name, digest, len(data)))
    record.append("mitohello-1.0.dist-info/RECORD,,")
    z.writestr("mitohello-1.0.dist-info/RECORD", "\\n".join(record) + "\\n")
`,
    path.join(dir, "mitohello-1.0-py3-none-any.whl"),
  ]);
}

/** A bare git repository with one commit on `main`, its dates fixed so every build is the same. */
function buildGitRepo(work: string, bare: string): void {
  const env = {
    PATH: "/usr/bin:/bin",
    HOME: work,
    GIT_AUTHOR_NAME: "mito",
    GIT_AUTHOR_EMAIL: "tests@example.invalid",
    GIT_COMMITTER_NAME: "mito",
    GIT_COMMITTER_EMAIL: "tests@example.invalid",
    GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
    GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
  };
  const src = path.join(work, "src");
  fs.mkdirSync(src);
  run("git", ["init", "-q", "-b", "main", src], { env });
  fs.writeFileSync(path.join(src, "README"), "checked out by the git module\n");
  run("git", ["add", "README"], { cwd: src, env });
  run("git", ["commit", "-q", "-m", "first"], { cwd: src, env });
  run("git", ["clone", "-q", "--bare", src, bare], { env });
}

interface Assets {
  /** Copied into each root's /opt. */
  opt: string;
  /** Served over HTTP. */
  http: string;
  vars: Record<string, string>;
}

function buildAssets(base: string): Assets {
  const work = path.join(base, "build");
  const opt = path.join(base, "opt");
  const http = path.join(base, "http");
  for (const d of [work, opt, http]) fs.mkdirSync(d, { recursive: true });
  buildRepo(work, path.join(opt, "mito-repo"));
  buildWheel(path.join(opt, "wheels"));
  buildGitRepo(work, path.join(opt, "src.git"));
  const payload = "fetched by get_url\n";
  fs.writeFileSync(path.join(http, "payload.txt"), payload);
  const content = path.join(work, "bundle");
  fs.mkdirSync(path.join(content, "static"), { recursive: true });
  fs.writeFileSync(path.join(content, "static/index.html"), "<p>unpacked</p>\n");
  const bundle = path.join(base, "bundle.tar.gz");
  run("tar", ["--owner=0", "--group=0", "--mtime=2026-01-01", "-czf", bundle, "-C", content, "."]);
  return { opt, http, vars: { payload_sha256: sha("sha256", payload), bundle } };
}

/** A copy of the root whose apt sees only the local repository. */
function prepareRoot(source: string, dest: string, assets: Assets): void {
  run("cp", ["-a", source, dest]);
  run("cp", [
    "-a",
    ...fs.readdirSync(assets.opt).map((n) => path.join(assets.opt, n)),
    path.join(dest, "opt"),
  ]);
  fs.writeFileSync(path.join(dest, "etc/apt/sources.list"), "");
  const d = path.join(dest, "etc/apt/sources.list.d");
  for (const f of fs.readdirSync(d)) fs.rmSync(path.join(d, f));
}

const RUNNERS = ["ansible", "mito-ansible", "mito-builtin"] as const;
type Runner = typeof RUNNERS[number];

Deno.test({
  name: "roots: the modules roles use, on a bookworm root through chroot — mito (Ansible's modules and " +
    "built-ins) leaves what ansible-playbook leaves, prints what it prints, twice",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const source = debianRoots().bookworm;
    // Beside the cached roots, so the copies stay on one filesystem.
    const base = fs.mkdtempSync(path.join(path.dirname(source), ".matrix-"));
    fs.chmodSync(base, 0o755);
    const server = { stop: () => Promise.resolve() };
    try {
      const assets = buildAssets(base);
      const roots = Object.fromEntries(RUNNERS.map((r) => [r, path.join(base, r)])) as Record<Runner, string>;
      for (const r of RUNNERS) prepareRoot(source, roots[r], assets);
      const http = await httpServer(assets.http);
      server.stop = http.stop;
      const vars = Object.entries({ ...assets.vars, ...http.vars }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
      const inventory = (r: Runner) => {
        const file = path.join(base, `${r}.ini`);
        fs.writeFileSync(
          file,
          `[roots]\nt ansible_connection=community.general.chroot ansible_host=${roots[r]}\n`,
        );
        return file;
      };
      const args = (r: Runner) => ["-i", inventory(r), "modules.yml", ...vars];
      const mito = (r: Runner, modules: string) =>
        runInAsync(DIR, DENO, ["run", "-A", path.join(ROOT, "cli/main.ts"), "run", ...args(r)], {
          MITO_MODULES: modules,
        });
      for (const round of ["first", "second"]) {
        const [a, ma, mb] = await Promise.all([
          runInAsync(DIR, "/usr/bin/ansible-playbook", args("ansible")),
          mito("mito-ansible", "ansible"),
          mito("mito-builtin", "builtin"),
        ]);
        assertEquals(a.code, 0, `ansible-playbook, ${round} run:\n${a.stdout}${a.stderr}`);
        const want = normalise(a.stdout.replaceAll(roots.ansible, "ROOT"));
        const wantTree = rootTree(roots.ansible);
        for (const [r, m] of [["mito-ansible", ma], ["mito-builtin", mb]] as const) {
          const what = `${r}, ${round} run`;
          assertEquals(m.stderr, "", `${what}: mito wrote errors`);
          assertEquals(normalise(m.stdout.replaceAll(roots[r], "ROOT")).split("\n"), want.split("\n"), what);
          assertEquals(recapLines(m.stdout), recapLines(a.stdout), `${what}: recap`);
          assertEquals(m.code, a.code, `${what}: exit code`);
          assertEquals(treeDiff(wantTree, rootTree(roots[r])), [], `${what}: files`);
        }
      }
    } finally {
      await server.stop();
      fs.rmSync(base, { recursive: true, force: true });
    }
  },
});
