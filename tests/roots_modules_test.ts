// The modules real roles use, applied to a Debian root through the chroot connection (issue 22): three
// identical copies of the bookworm root, one each for ansible-playbook, mito with Ansible's modules (the
// default where ansible-core is installed) and mito with its built-in modules. Each runs
// tests/roots/modules.yml twice; every mito run must give ansible-playbook's screen output, recap and exit
// code, and leave the same files behind. Packages come from a local flat repository built here, so apt
// works offline and fast.
import * as fs from "node:fs";
import * as path from "node:path";
import { assertEquals } from "./_assert.ts";
import { normalise, recapLines } from "./_compare.ts";
import { debianRoots } from "./connections_env.ts";
import { DENO, httpServer, ROOT, runInAsync } from "./_run.ts";
import { rootTree, treeDiff } from "../scripts/_root_tree.ts";
import {
  buildGitRepo,
  buildRepo,
  buildWheel,
  killProcessesIn,
  prepareRoot,
  run,
  sha,
} from "../scripts/_root_assets.ts";

const DIR = path.join(ROOT, "tests/roots");

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
  buildRepo(work, path.join(opt, "mito-repo"), ["mito-hello", "mito-extra"]);
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
      for (const r of RUNNERS) prepareRoot(source, roots[r], assets.opt);
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
          // Ansible's modules warn as they do under ansible-playbook (mount: no /proc/self/mountinfo in a
          // chroot); mito's built-ins do not repeat every module's warnings.
          if (r === "mito-ansible") assertEquals(m.stderr, a.stderr, `${what}: warnings and errors`);
          assertEquals(normalise(m.stdout.replaceAll(roots[r], "ROOT")).split("\n"), want.split("\n"), what);
          assertEquals(recapLines(m.stdout), recapLines(a.stdout), `${what}: recap`);
          assertEquals(m.code, a.code, `${what}: exit code`);
          assertEquals(treeDiff(wantTree, rootTree(roots[r])), [], `${what}: files`);
        }
      }
    } finally {
      await server.stop();
      for (const r of RUNNERS) killProcessesIn(path.join(base, r));
      fs.rmSync(base, { recursive: true, force: true });
    }
  },
});
