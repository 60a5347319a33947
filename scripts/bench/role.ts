// `deno task bench role`: a role applied to a Debian root through the chroot connection (issue 22): it adds
// a local apt repository, installs three packages from it, templates their configurations (notifying a
// handler), makes a service account and edits a file, then checks the packages with package_facts. Each
// runner gets a fresh copy of the bookworm root (scripts/testenv-roots) per round; only the playbook run
// is timed. Runners: ansible-playbook, Ansible+Mitogen (mitogen_linear: Mitogen has no chroot method, so
// its strategy runs Ansible's chroot plugin), mito with Ansible's modules (what users with ansible-core
// get: MITO_MODULES=auto) and mito with its built-in modules.
//
// Options: --rounds N (2), --runners ansible,mitogen,mito,mito-builtin, --timeout S (600), --no-write.
// Writes its table into docs/benchmarks.md ("## role on a chroot root") and ends with its figures as JSON.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { dirname, fromFileUrl, join } from "../_paths.ts";
import { buildRepo, killProcessesIn, prepareRoot } from "../_root_assets.ts";
import { makeRunner, MITOGEN_STRATEGY_DIR, recapOk } from "./_runners.ts";
import { measure, type Measured } from "./_measure.ts";
import { ansibleCfgText } from "./_scenarios.ts";

const ROOT = dirname(dirname(dirname(fromFileUrl(import.meta.url))));
const PACKAGES = ["mito-web", "mito-cache", "mito-db"];
const RUNNERS = ["ansible", "mitogen", "mito", "mito-builtin"] as const;
type Runner = typeof RUNNERS[number];
const LABELS: Record<Runner, string> = {
  ansible: "ansible-playbook",
  mitogen: "Ansible+Mitogen",
  mito: "mito, Ansible's modules (default)",
  "mito-builtin": "mito, built-in modules",
};

/** The play and its role, by path relative to the play's directory. */
export function roleFiles(): Record<string, string> {
  const list = `[${PACKAGES.join(", ")}]`;
  return {
    "playbook.yml": [
      "- hosts: all",
      "  gather_facts: false",
      "  roles: [site]",
      "  post_tasks:",
      "    - package_facts:",
      "    - assert:",
      "        that:",
      ...PACKAGES.map((p) => `          - "'${p}' in ansible_facts.packages"`),
      "",
    ].join("\n"),
    "roles/site/defaults/main.yml": ["site_port: 8080", "site_workers: 4", ""].join("\n"),
    "roles/site/tasks/main.yml": [
      "- name: the local repository",
      "  apt_repository:",
      "    repo: deb [trusted=yes] file:/opt/mito-repo ./",
      "    filename: mito-local",
      "- name: the packages",
      "  apt:",
      `    name: ${list}`,
      "    state: present",
      "- name: their configuration directories",
      "  file:",
      "    path: /etc/{{ item }}",
      "    state: directory",
      '    mode: "0755"',
      `  loop: ${list}`,
      "- name: their configurations",
      "  template:",
      "    src: service.conf.j2",
      "    dest: /etc/{{ item }}/{{ item }}.conf",
      '    mode: "0644"',
      `  loop: ${list}`,
      "  notify: reload the services",
      "- name: a service account",
      "  user:",
      "    name: mitosite",
      "    system: true",
      "    create_home: false",
      "- name: a line in a shared file",
      "  lineinfile:",
      "    path: /etc/environment",
      "    line: SITE_PORT={{ site_port }}",
      "    create: true",
      "",
    ].join("\n"),
    "roles/site/templates/service.conf.j2": [
      "# {{ item }} on {{ inventory_hostname }}",
      "port {{ site_port }}",
      "workers {{ site_workers }}",
      "",
    ].join("\n"),
    // A chroot has no init: the handler records that it ran instead of reloading anything.
    "roles/site/handlers/main.yml": [
      "- name: reload the services",
      "  command: touch /var/tmp/site-reloaded",
      "",
    ].join("\n"),
  };
}

function rootOf(suite: string): string {
  const r = spawnSync(join(ROOT, "scripts/testenv-roots"), ["path", suite], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`the ${suite} root is not built: run scripts/testenv-roots up`);
  return r.stdout.trim();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length
    ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2)
    : NaN;
}

const SECTION = "## role on a chroot root";

/** docs/benchmarks.md with this benchmark's section replaced (or added at the end). */
export function withSection(markdown: string, section: string): string {
  const re = /^## role on a chroot root\n[\s\S]*?(?=^## |(?![\s\S]))/m;
  const body = section.trimEnd() + "\n\n";
  return re.test(markdown)
    ? markdown.replace(re, body).trimEnd() + "\n"
    : markdown.trimEnd() + "\n\n" + body.trimEnd() + "\n";
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: "string", default: "2" },
      runners: { type: "string", default: RUNNERS.join(",") },
      timeout: { type: "string", default: "600" },
      "no-write": { type: "boolean", default: false },
    },
  });
  const rounds = Number(values.rounds);
  const runners = values.runners!.split(",").map((r) => r.trim()) as Runner[];
  for (const r of runners) if (!RUNNERS.includes(r)) throw new Error(`unknown runner ${r}`);
  const source = rootOf("bookworm");
  const base = mkdtempSync(join(dirname(source), ".bench-role-"));
  const times: Record<string, number[]> = {};
  try {
    const play = join(base, "play");
    for (const [rel, text] of Object.entries(roleFiles())) {
      mkdirSync(dirname(join(play, rel)), { recursive: true });
      writeFileSync(join(play, rel), text);
    }
    const opt = join(base, "opt");
    buildRepo(join(base, "build"), join(opt, "mito-repo"), PACKAGES);
    for (let round = 1; round <= rounds; round++) {
      for (const r of runners) {
        const rootDir = join(base, `root-${r}`);
        prepareRoot(source, rootDir, opt);
        const inv = join(base, `${r}.ini`);
        writeFileSync(inv, `site ansible_connection=community.general.chroot ansible_host=${rootDir}\n`);
        const cfg = join(base, `${r}.cfg`);
        writeFileSync(cfg, ansibleCfgText(r === "mitogen" ? "mitogen" : "ansible", MITOGEN_STRATEGY_DIR));
        const runner = makeRunner(r === "mito-builtin" ? "mito" : r, {
          root: ROOT,
          mitoModules: r === "mito-builtin" ? "builtin" : "auto",
        });
        const m: Measured = await measure({
          argv: [...runner.command, "-i", inv, "playbook.yml"],
          cwd: play,
          env: { ...runner.env, ANSIBLE_CONFIG: cfg },
          timeoutS: Number(values.timeout),
          timeFile: join(base, "time.txt"),
          succeeded: (code, out) => recapOk(code, out, 1),
        });
        killProcessesIn(rootDir);
        rmSync(rootDir, { recursive: true, force: true });
        if (!m.ok) throw new Error(`${LABELS[r]} failed in round ${round}:\n${m.tail}`);
        (times[r] ??= []).push(m.wallS);
        console.error(`round ${round}: ${LABELS[r]} ${m.wallS.toFixed(2)} s`);
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  const med = Object.fromEntries(runners.map((r) => [r, median(times[r])]));
  const ratio = (a: Runner, b: Runner) =>
    med[a] !== undefined && med[b] !== undefined ? `${(med[a] / med[b]).toFixed(2)}×` : "–";
  const rows = runners.map((r) =>
    `| ${LABELS[r]} | ${med[r].toFixed(2)} s | ${ratio("ansible", r)} | ${
      runners.includes("mitogen") ? ratio("mitogen", r) : "–"
    } |`
  );
  const section = [
    SECTION,
    "",
    `\`deno task bench role\`: a role (3 packages from a local repository, 3 templated configurations`,
    "with a handler, an account, a line edit, package_facts) on a fresh copy of the bookworm root per run,",
    `through the chroot connection. Medians of ${rounds} rounds, ${cpus().length} cores, load average ` +
    `${loadavg()[0].toFixed(1)} at the end.`,
    "",
    "| runner | wall time | ansible-playbook ÷ runner | Ansible+Mitogen ÷ runner |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
  console.log(section);
  if (!values["no-write"]) {
    const doc = join(ROOT, "docs/benchmarks.md");
    writeFileSync(doc, withSection(existsSync(doc) ? readFileSync(doc, "utf8") : "", section));
  }
  console.log(JSON.stringify({ role: { rounds, medianS: med } }));
}
