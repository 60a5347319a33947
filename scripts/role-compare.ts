// A developer's tool (CI does not run it): applies a role's converge playbook to two fresh copies of a
// Debian root through the chroot connection, ansible-playbook on one and mito on the other, and reports
// where they differ: exit codes, recaps, screen output and the files left behind.
//
//   deno run -A scripts/role-compare.ts ROLE_DIR [--playbook FILE] [--suite bookworm] [--twice]
//       [--modules ansible|builtin] [--keep] [-e k=v …]
//
// ROLE_DIR is a role checked out under the name its playbook uses (e.g. /var/tmp/roles/geerlingguy.ntp);
// its parent is the roles path. The playbook defaults to the role's molecule/default/converge.yml; its
// hosts are the one host `instance`, as molecule names it. The roots come from scripts/testenv-roots (run
// `scripts/testenv-roots up` first); their apt sources are the machine's mirror, so package installs
// download for real. Exit code 0 when both runs agree, 1 when they differ, 2 on bad usage.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { normalise, recapLines } from "../tests/_compare.ts";
import { runInAsync } from "../tests/_run.ts";
import { rootTree, treeDiff } from "./_root_tree.ts";
import { killProcessesIn } from "./_root_assets.ts";
import { dirname, fromFileUrl, join } from "./_paths.ts";

const REPO = dirname(dirname(fromFileUrl(import.meta.url)));

interface Options {
  role: string;
  playbook: string;
  suite: string;
  twice: boolean;
  keep: boolean;
  modules: string;
  extra: string[];
}

function usage(msg: string): never {
  console.error(`role-compare: ${msg}`);
  console.error(
    "usage: role-compare.ts ROLE_DIR [--playbook FILE] [--suite SUITE] [--twice] " +
      "[--modules ansible|builtin] [--keep] [-e k=v …]",
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Partial<Options> & { extra: string[] } = {
    suite: "bookworm",
    twice: false,
    keep: false,
    modules: "ansible",
    extra: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === "--playbook") o.playbook = path.resolve(value());
    else if (a === "--suite") o.suite = value();
    else if (a === "--modules") o.modules = value();
    else if (a === "--twice") o.twice = true;
    else if (a === "--keep") o.keep = true;
    else if (a === "-e") o.extra.push("-e", value());
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else if (o.role) usage(`one role at a time (${o.role} and ${a})`);
    else o.role = path.resolve(a);
  }
  if (!o.role) usage("which role?");
  if (!fs.existsSync(path.join(o.role, "tasks"))) usage(`${o.role} has no tasks/ folder: not a role`);
  o.playbook ??= path.join(o.role, "molecule/default/converge.yml");
  if (!fs.existsSync(o.playbook)) usage(`no playbook ${o.playbook} (give one with --playbook)`);
  return o as Options;
}

function rootOf(suite: string): string {
  const r = spawnSync(join(REPO, "scripts/testenv-roots"), ["path", suite], { encoding: "utf8" });
  if (r.status !== 0) usage(`the ${suite} root is not built: run scripts/testenv-roots up`);
  return r.stdout.trim();
}

/** A run of `cmd` in `cwd` with runInAsync's clean environment, and its wall time. */
async function runTool(cmd: string, args: string[], cwd: string, env: Record<string, string>) {
  const started = Date.now();
  const r = await runInAsync(cwd, cmd, args, env, { timeoutMs: 1800_000 }); // a role may download for minutes
  return { ...r, seconds: (Date.now() - started) / 1000 };
}

/** The first lines where two normalised outputs part, with a little context. */
function firstDifference(a: string, m: string): string {
  const al = a.split("\n");
  const ml = m.split("\n");
  const i = al.findIndex((l, k) => l !== ml[k]);
  if (i < 0 && al.length === ml.length) return "";
  const at = i < 0 ? Math.min(al.length, ml.length) : i;
  const show = (ls: string[]) => ls.slice(Math.max(0, at - 3), at + 6).map((l) => `    ${l}`).join("\n");
  return `  ansible-playbook (line ${at + 1}):\n${show(al)}\n  mito:\n${show(ml)}`;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const source = rootOf(o.suite);
  const base = fs.mkdtempSync(path.join(path.dirname(source), ".role-compare-"));
  fs.chmodSync(base, 0o755);
  let differs = false;
  try {
    const cfg = path.join(base, "ansible.cfg");
    fs.writeFileSync(
      cfg,
      `[defaults]\nroles_path = ${path.dirname(o.role)}\ninterpreter_python = /usr/bin/python3\n` +
        "retry_files_enabled = false\n",
    );
    const roots = { ansible: path.join(base, "ansible"), mito: path.join(base, "mito") };
    const inventories: Record<string, string> = {};
    for (const [k, root] of Object.entries(roots)) {
      const c = spawnSync("cp", ["-a", source, root]);
      if (c.status !== 0) throw new Error(`cp -a ${source} ${root} failed: ${c.stderr}`);
      inventories[k] = path.join(base, `${k}.ini`);
      fs.writeFileSync(
        inventories[k],
        `[all]\ninstance ansible_connection=community.general.chroot ansible_host=${root}\n`,
      );
    }
    const env = { ANSIBLE_CONFIG: cfg, ANSIBLE_NOCOLOR: "1" };
    const cwd = path.dirname(o.playbook);
    for (const round of o.twice ? ["first", "second"] : ["first"]) {
      const [a, m] = await Promise.all([
        runTool("/usr/bin/ansible-playbook", ["-i", inventories.ansible, o.playbook, ...o.extra], cwd, env),
        runTool(
          join(REPO, "node_modules/deno/deno"),
          ["run", "-A", join(REPO, "cli/main.ts"), "run", "-i", inventories.mito, o.playbook, ...o.extra],
          cwd,
          { ...env, MITO_MODULES: o.modules },
        ),
      ]);
      console.log(`== ${path.basename(o.role)}, ${round} run`);
      console.log(
        `  ansible-playbook: exit ${a.code} in ${a.seconds.toFixed(1)} s  ${recapLines(a.stdout)[0] ?? ""}`,
      );
      console.log(
        `  mito:             exit ${m.code} in ${m.seconds.toFixed(1)} s  ${recapLines(m.stdout)[0] ?? ""}`,
      );
      const out = firstDifference(
        normalise(a.stdout.replaceAll(roots.ansible, "ROOT")),
        normalise(m.stdout.replaceAll(roots.mito, "ROOT")),
      );
      if (out) console.log(`  output differs:\n${out}`);
      if (m.stderr.trim()) console.log(`  mito's stderr:\n${m.stderr.trimEnd().replace(/^/gm, "    ")}`);
      const files = treeDiff(rootTree(roots.ansible), rootTree(roots.mito));
      for (const f of files.slice(0, 40)) console.log(`  file: ${f}`);
      if (files.length > 40) console.log(`  … and ${files.length - 40} more paths`);
      const same = a.code === m.code && !out && files.length === 0;
      console.log(`  ${same ? "SAME" : "DIFFERENT"}`);
      differs ||= !same;
    }
  } finally {
    // Services a role started in its chroot run on the host's kernel: ended by pid before anything else.
    for (const root of [path.join(base, "ansible"), path.join(base, "mito")]) {
      const pids = killProcessesIn(root);
      if (pids.length) {
        console.log(`ended ${pids.length} process(es) left running in ${root}: ${pids.join(" ")}`);
      }
    }
    if (o.keep) console.log(`kept ${base}`);
    else fs.rmSync(base, { recursive: true, force: true });
  }
  process.exit(differs ? 1 : 0);
}

await main();
