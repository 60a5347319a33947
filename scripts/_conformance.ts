// The pure half of scripts/conformance: which of ansible-core's integration targets this machine can run
// and how (read from the target's files and its `aliases`), and what two runs of one target are compared
// on (exit codes and PLAY RECAP lines, optionally the task and result lines).

/** How a target runs, or why it is left out. */
export type TargetKind =
  | { kind: "role" } // tasks/main.yml: ansible-test applies it through a one-play wrapper on testhost
  | { kind: "script" } // runme.sh: ansible-test runs it with the integration directory around it
  | { kind: "skip"; reason: string };

/** What classify reads of a target: which of its files exist and its aliases file's text. */
export interface TargetFiles {
  name: string;
  hasRunme: boolean;
  hasTasksMain: boolean;
  aliases: string;
  /** The target's text files (inventories, playbooks), read for the addresses its hosts connect to. */
  texts?: string[];
}

/**
 * Host addresses a target's files set literally (`ansible_host=…`, `ansible_ssh_host: …`) that are not
 * this machine's loopback: such a target sends traffic off the machine (an unreachable-host test tries
 * 169.254.x.x, a delegation test 4.2.2.2), which runs here must not.
 */
export function offMachineAddresses(texts: string[]): string[] {
  const out = new Set<string>();
  for (const text of texts) {
    for (const m of text.matchAll(/ansible_(?:ssh_)?host\s*(?:=(?!=)|:)\s*["']?([\w:][^\s"'{},]*)/g)) {
      const a = m[1];
      if (!/^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(a)) out.add(a);
    }
  }
  return [...out].sort();
}

/** The aliases of a target's `aliases` file: one a line, `#` comments dropped. */
export function parseAliases(text: string): string[] {
  return text.split("\n").map((l) => l.replace(/#.*/, "").trim()).filter((l) => l !== "");
}

// Aliases naming something this machine lacks (no containers, no Windows, no cloud, no network beyond
// loopback) or that ansible-test itself would not run here. Needs ansible-test handles for itself and we
// do too are absent: needs/root (we are root), needs/target/* (the whole targets folder is copied).
const SKIPPING: [RegExp, string][] = [
  [/^disabled$/, "disabled in ansible-core"],
  [/^unsupported$/, "unsupported in ansible-core's CI"],
  [/^unstable$/, "marked unstable in ansible-core"],
  [/^hidden$/, "a helper target (hidden), run only as another target's dependency"],
  [/^destructive$/, "destructive (changes the machine: packages, users, services)"],
  [/^(windows|shippable\/windows\/)/, "needs a Windows host"],
  [/^network\//, "needs a network device"],
  [/^cloud\//, "needs a cloud service"],
  [/^shippable\/generic\//, "a generic target (runs ansible-test or pip in its own environment)"],
  [/^shippable\/galaxy\//, "needs Galaxy servers"],
  [/^needs\/httptester$/, "needs ansible-test's HTTP test container (network)"],
  [/^needs\/ssh$/, "needs ansible-test's ssh set-up to the test host"],
  [/^needs\/privileged$/, "needs a privileged container"],
  [/^needs\/file\//, "needs a file from ansible-core's source tree outside the targets"],
  [/^setup\/(always|once)\//, "needs a setup target that installs packages with pip (network)"],
];

/** A target's kind from its files and aliases (the first skipping alias gives the reason). */
export function classify(t: TargetFiles): TargetKind {
  if (t.name.startsWith("ansible-test")) return { kind: "skip", reason: "tests ansible-test itself" };
  for (const alias of parseAliases(t.aliases)) {
    for (const [re, reason] of SKIPPING) {
      if (re.test(alias)) return { kind: "skip", reason: `${alias}: ${reason}` };
    }
  }
  const away = offMachineAddresses(t.texts ?? []);
  if (away.length) return { kind: "skip", reason: `connects to hosts off this machine (${away.join(", ")})` };
  if (t.hasRunme) return { kind: "script" };
  if (t.hasTasksMain) return { kind: "role" };
  return { kind: "skip", reason: "neither runme.sh nor tasks/main.yml" };
}

/** True when the role wrapper gathers facts: ansible-test's default for a POSIX test host, unless aliased. */
export function gathersFacts(aliases: string): boolean {
  return !parseAliases(aliases).some((a) => a.startsWith("gather_facts/no"));
}

/**
 * Every PLAY RECAP line of an output, in order, its spacing collapsed: a runme.sh target runs many
 * playbooks, and each recap counts. Lines inside a recap are sorted (hosts are listed in name order by
 * both tools, but a sort makes that no part of the comparison).
 */
export function recaps(out: string): string[] {
  const result: string[] = [];
  const lines = out.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith("PLAY RECAP")) continue;
    const block: string[] = [];
    for (i++; i < lines.length && / : ok=\d/.test(lines[i]); i++) {
      block.push(lines[i].replace(/\s+/g, " ").trim());
    }
    result.push(...block.sort());
    i--;
  }
  return result;
}

/**
 * The task headers and result lines of an output, without their JSON or messages: the skeleton of a
 * run (which tasks ran, on which hosts, with which outcome), for `--diff`.
 */
export function taskLines(out: string): string[] {
  return out.split("\n")
    .filter((l) =>
      /^(PLAY|TASK|RUNNING HANDLER) \[/.test(l) ||
      /^(ok|changed|failed|fatal|skipping|included|unreachable|FAILED - RETRYING): \[/.test(l)
    )
    .map((l) => l.replace(/\*+$/, "").replace(/( => | \| |: \{).*$/, "").trimEnd());
}

export interface RunOutcome {
  code: number;
  stdout: string;
  timedOut: boolean;
}

/** Where two runs of a target part, in words; empty when they agree. */
export function differences(a: RunOutcome, m: RunOutcome, opts: { diff?: boolean } = {}): string[] {
  const out: string[] = [];
  if (a.timedOut || m.timedOut) {
    out.push(
      `timed out: ${[a.timedOut && "ansible-playbook", m.timedOut && "mito"].filter(Boolean).join(", ")}`,
    );
  }
  if (a.code !== m.code) out.push(`exit ${a.code} vs ${m.code}`);
  const ra = recaps(a.stdout);
  const rm = recaps(m.stdout);
  const at = ra.findIndex((l, i) => l !== rm[i]);
  if (at >= 0 || ra.length !== rm.length) {
    const i = at >= 0 ? at : Math.min(ra.length, rm.length);
    out.push(
      `recap ${i + 1} of ${ra.length} vs ${rm.length}: "${ra[i] ?? "(none)"}" vs "${rm[i] ?? "(none)"}"`,
    );
  }
  if (opts.diff) {
    const ta = taskLines(a.stdout);
    const tm = taskLines(m.stdout);
    const i = ta.findIndex((l, k) => l !== tm[k]);
    if (i >= 0 || ta.length !== tm.length) {
      const k = i >= 0 ? i : Math.min(ta.length, tm.length);
      out.push(`task line ${k + 1}: "${ta[k] ?? "(end)"}" vs "${tm[k] ?? "(end)"}"`);
    }
  }
  return out;
}
