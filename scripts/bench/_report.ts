// Pure reporting for the playbook benchmark: medians per scenario, link and runner; the targets of
// issue 6 as met/missed; the tables (Markdown, printed as they are written); the SVG chart; and the
// "## playbooks" section of docs/benchmarks.md, merged with the figures of earlier runs.

export type LinkName = "loopback" | "lan26ms";
export const LINKS: readonly LinkName[] = ["loopback", "lan26ms"];

/** One measured run. */
export interface RunRecord {
  scenario: string;
  link: LinkName;
  runner: string;
  ok: boolean;
  wallS: number;
  cpuS: number;
  maxRssMiB: number;
  treePssMiB: number;
  /** From the latency proxy (lan26ms only). */
  upBytes?: number;
  downBytes?: number;
  connections?: number;
  /** Last lines of output of a failed run. */
  tail?: string;
}

/** Medians of the successful runs of one scenario × link × runner. */
export interface Summary {
  scenario: string;
  link: LinkName;
  runner: string;
  runs: number;
  ok: number;
  wall_s?: number;
  cpu_s?: number;
  max_rss_mib?: number;
  tree_pss_mib?: number;
  up_bytes?: number;
  down_bytes?: number;
  connections?: number;
  /** When and how it was measured (figures of several bench runs are merged in the document). */
  date: string;
  rounds: number;
  load: number;
  /** The bench command line's arguments. */
  args: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export function summarize(
  records: RunRecord[],
  meta: { date: string; rounds: number; load: number; args: string },
): Summary[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) {
    const key = `${r.scenario}\0${r.link}\0${r.runner}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: Summary[] = [];
  for (const rs of groups.values()) {
    const good = rs.filter((r) => r.ok);
    const s: Summary = {
      scenario: rs[0].scenario,
      link: rs[0].link,
      runner: rs[0].runner,
      runs: rs.length,
      ok: good.length,
      ...meta,
    };
    if (good.length) {
      const m = (f: (r: RunRecord) => number | undefined, digits: number) => {
        const xs = good.map(f).filter((x): x is number => x !== undefined && !Number.isNaN(x));
        return xs.length ? round(median(xs), digits) : undefined;
      };
      const fields = {
        wall_s: m((r) => r.wallS, 3),
        cpu_s: m((r) => r.cpuS, 2),
        max_rss_mib: m((r) => r.maxRssMiB, 1),
        tree_pss_mib: m((r) => r.treePssMiB, 1),
        up_bytes: m((r) => r.upBytes, 0),
        down_bytes: m((r) => r.downBytes, 0),
        connections: m((r) => r.connections, 0),
      };
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) (s as any)[k] = v;
    }
    out.push(s);
  }
  return out;
}

const key = (s: Summary) => `${s.scenario}\0${s.link}\0${s.runner}`;

/** Earlier figures with this run's replacing those of the same scenario, link and runner. */
export function mergeSummaries(old: Summary[], fresh: Summary[]): Summary[] {
  const freshKeys = new Set(fresh.map(key));
  return [...old.filter((s) => !freshKeys.has(key(s))), ...fresh];
}

/** Orders summaries by the given scenario order, then link, then runner order. */
export function sortSummaries(all: Summary[], scenarioOrder: string[], runnerOrder: string[]): Summary[] {
  const idx = (list: readonly string[], x: string) => {
    const i = list.indexOf(x);
    return i < 0 ? list.length : i;
  };
  return [...all].sort((a, b) =>
    idx(scenarioOrder, a.scenario) - idx(scenarioOrder, b.scenario) ||
    a.scenario.localeCompare(b.scenario) ||
    idx(LINKS, a.link) - idx(LINKS, b.link) ||
    idx(runnerOrder, a.runner) - idx(runnerOrder, b.runner)
  );
}

export function fmtSeconds(s: number): string {
  return s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
}

export function fmtBytes(b: number): string {
  if (b < 1024) return `${b} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${(b / 1024 / 1024).toFixed(1)} MiB`;
}

export function fmtRatio(x: number): string {
  return x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`;
}

function wallCell(s: Summary | undefined): string {
  if (!s) return "—";
  if (s.ok === 0) return `failed (${s.runs}/${s.runs})`;
  const t = fmtSeconds(s.wall_s!);
  return s.ok < s.runs ? `${t} (${s.runs - s.ok}/${s.runs} failed)` : t;
}

function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
}

/** The mito runners (compared with the others) among those present. */
const MITO_RUNNERS = ["mito", "mito-bin", "mito-auto", "mito-bin-auto"];

function find(all: Summary[], scenario: string, link: string, runner: string): Summary | undefined {
  return all.find((s) => s.scenario === scenario && s.link === link && s.runner === runner);
}

const okWall = (s: Summary | undefined) => s && s.ok > 0 ? s.wall_s : undefined;

/** Wall-time medians, one row per scenario × link, ratios of each mito runner against the others. */
export function wallTable(all: Summary[], runnerOrder: string[]): string[] {
  const runners = runnerOrder.filter((r) => all.some((s) => s.runner === r));
  const mitos = runners.filter((r) => MITO_RUNNERS.includes(r));
  const others = ["mitogen", "ansible"].filter((r) => runners.includes(r));
  const header = ["scenario", "link", ...runners];
  for (const m of mitos) for (const o of others) header.push(`${m} vs ${o}`);
  const rows: string[][] = [];
  const seen = new Set<string>();
  for (const s of all) {
    const k = `${s.scenario}\0${s.link}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const row = [s.scenario, s.link, ...runners.map((r) => wallCell(find(all, s.scenario, s.link, r)))];
    for (const m of mitos) {
      for (const o of others) {
        const a = okWall(find(all, s.scenario, s.link, m));
        const b = okWall(find(all, s.scenario, s.link, o));
        row.push(a && b ? fmtRatio(b / a) : "—");
      }
    }
    rows.push(row);
  }
  return table(header, rows);
}

/** CPU, memory, bytes and connections per run (medians), one row per scenario × link × runner. */
export function resourceTable(all: Summary[]): string[] {
  const header = [
    "scenario",
    "link",
    "runner",
    "wall",
    "CPU",
    "max RSS",
    "tree PSS",
    "bytes up",
    "bytes down",
  ];
  header.push("conns", "ok/runs", "measured");
  const num = (x: number | undefined, f: (x: number) => string) => x === undefined ? "n/a" : f(x);
  const mib = (x: number) => `${x.toFixed(1)} MiB`;
  const rows = all.map((s) => [
    s.scenario,
    s.link,
    s.runner,
    num(s.wall_s, fmtSeconds),
    num(s.cpu_s, fmtSeconds),
    num(s.max_rss_mib, mib),
    num(s.tree_pss_mib, mib),
    num(s.up_bytes, fmtBytes),
    num(s.down_bytes, fmtBytes),
    num(s.connections, String),
    `${s.ok}/${s.runs}`,
    s.date,
  ]);
  return table(header, rows);
}

export interface TargetResult {
  target: string;
  runner: string;
  link: LinkName;
  /** Measured value as shown, and the goal. */
  value: string;
  goal: string;
  met: boolean;
}

/** The targets of issue 6, for every mito runner and link with the figures they need. */
/**
 * `valueBytes`: the largest value a scenario's controller holds (big-values), by scenario name; its target
 * is the peak RSS of the controller process (max RSS) over that size.
 */
export function evaluateTargets(
  all: Summary[],
  items: Record<string, number>,
  valueBytes: Record<string, number> = {},
): TargetResult[] {
  const out: TargetResult[] = [];
  const mitos = MITO_RUNNERS.filter((r) => all.some((s) => s.runner === r));
  const speedup = (target: string, scenario: string, link: LinkName, min: number) => {
    for (const m of mitos) {
      const a = okWall(find(all, scenario, link, m));
      const b = okWall(find(all, scenario, link, "mitogen"));
      if (!a || !b) continue;
      out.push({
        target,
        runner: m,
        link,
        value: `${fmtRatio(b / a)} (${fmtSeconds(a)} vs ${fmtSeconds(b)})`,
        goal: `≥ ${min}× Mitogen`,
        met: b / a >= min,
      });
    }
  };
  for (const login of ["", "-root"]) {
    speedup(`loop-100-items${login} on loopback`, `loop-100-items${login}`, "loopback", 5);
    speedup(`loop-100-items${login} over 26 ms`, `loop-100-items${login}`, "lan26ms", 6);
  }
  speedup("loop-100-copies over 26 ms", "loop-100-copies", "lan26ms", 6);
  // Issue 18: Ansible's own modules (mito-auto, mito-bin-auto) at the speed of mito's built-ins (mito,
  // mito-bin: the same build), same play. The whole run's ratio: its fixed part (start, connection) is
  // shared, so the per-task ratio is above it.
  for (const scenario of ["loop-100-items", "loop-100-items-root"]) {
    for (const link of LINKS) {
      for (const [auto, builtin] of [["mito-auto", "mito"], ["mito-bin-auto", "mito-bin"]]) {
        const a = okWall(find(all, scenario, link, auto));
        const b = okWall(find(all, scenario, link, builtin));
        if (!a || !b) continue;
        out.push({
          target: `${scenario}, Ansible's command module vs mito's`,
          runner: auto,
          link,
          value: `${fmtRatio(a / b)} (${fmtSeconds(a)} vs ${fmtSeconds(b)})`,
          goal: `≤ 1.25× ${builtin}`,
          met: a / b <= 1.25,
        });
      }
    }
  }
  // Issue 15: a collection's module in the loop, against the same loop of command, per mito runner.
  for (const link of LINKS) {
    for (const m of mitos) {
      const a = okWall(find(all, "loop-100-collection", link, m));
      const b = okWall(find(all, "loop-100-items", link, m));
      if (!a || !b) continue;
      out.push({
        target: "loop-100-collection (community.general.ini_file) vs loop-100-items (command)",
        runner: m,
        link,
        value: `${fmtRatio(a / b)} (${fmtSeconds(a)} vs ${fmtSeconds(b)})`,
        goal: "≤ 1.3× command",
        met: a / b <= 1.3,
      });
    }
  }
  for (const link of LINKS) {
    speedup("fanout 200 hosts", "fanout-200", link, 5);
    for (const m of mitos) {
      const big = find(all, "fanout-200", link, m);
      if (!big?.tree_pss_mib) continue;
      // The slope between 50 and 200 hosts is the per-host cost; the whole peak / 200 when 50 is missing.
      const small = find(all, "fanout-50", link, m);
      const perHost = small?.tree_pss_mib
        ? (big.tree_pss_mib - small.tree_pss_mib) / 150
        : big.tree_pss_mib / 200;
      out.push({
        target: "fanout 200 hosts, controller memory per host",
        runner: m,
        link,
        value: `${perHost.toFixed(2)} MiB${small?.tree_pss_mib ? " (200 vs 50 hosts)" : " (peak / 200)"}`,
        goal: "≤ 2 MiB",
        met: perHost <= 2,
      });
    }
    for (const s of all) {
      if (!s.scenario.startsWith("file-transfer") || s.link !== link || !mitos.includes(s.runner)) continue;
      const base = okWall(find(all, s.scenario, link, "ssh-cat"));
      const mine = okWall(s);
      if (!base || !mine) continue;
      out.push({
        target: `${s.scenario} vs ssh-cat`,
        runner: s.runner,
        link,
        value: `${Math.round((base / mine) * 100)}% (${fmtSeconds(mine)} vs ${fmtSeconds(base)})`,
        goal: "≥ 90%",
        met: base / mine >= 0.9,
      });
    }
  }
  for (const [scenario, bytes] of Object.entries(valueBytes)) {
    for (const link of LINKS) {
      const ratio = (runner: string) => {
        const s = find(all, scenario, link, runner);
        return s?.ok && s.max_rss_mib
          ? { mib: s.max_rss_mib, x: (s.max_rss_mib * 1024 * 1024) / bytes }
          : undefined;
      };
      const others = ["ansible", "mitogen"].flatMap((r) => {
        const o = ratio(r);
        return o ? [`${r} ${fmtRatio(o.x)}`] : [];
      });
      for (const m of mitos) {
        const mine = ratio(m);
        if (!mine) continue;
        out.push({
          target: `${scenario}: controller peak RSS / largest value`,
          runner: m,
          link,
          value: `${fmtRatio(mine.x)} (${mine.mib.toFixed(1)} MiB${
            others.length ? "; " + others.join(", ") : ""
          })`,
          goal: "≤ 4×",
          met: mine.x <= 4,
        });
      }
    }
  }
  for (const m of mitos) {
    for (const link of LINKS) {
      const a = find(all, "loop-100-items", link, m);
      const b = find(all, "loop-100-items", link, "mitogen");
      if (!a?.ok || !b?.ok || a.up_bytes === undefined || b.up_bytes === undefined) continue;
      const n = items["loop-100-items"] ?? 100;
      const per = (s: Summary) => (s.up_bytes! + s.down_bytes!) / n;
      out.push({
        target: "loop-100-items bytes per item",
        runner: m,
        link,
        value: `${fmtBytes(Math.round(per(a)))} vs ${fmtBytes(Math.round(per(b)))} (${
          Math.round(per(a) / per(b) * 100)
        }%)`,
        goal: "≤ 50% of Mitogen's",
        met: per(a) <= per(b) / 2,
      });
    }
  }
  return out;
}

/** The modules each mito runner's tasks run; mito-auto's are what a user with ansible-core gets. */
const MODULE_PATHS: Record<string, string> = {
  mito: "mito's built-in",
  "mito-bin": "mito's built-in",
  "mito-auto": "Ansible's (the default)",
  "mito-bin-auto": "Ansible's (the default)",
};

export function targetTable(targets: TargetResult[]): string[] {
  return table(
    ["target", "runner", "modules", "link", "measured", "goal", "status"],
    targets.map((t) => [
      t.target,
      t.runner,
      MODULE_PATHS[t.runner] ?? "—",
      t.link,
      t.value,
      t.goal,
      t.met ? "met" : "missed",
    ]),
  );
}

const COLOURS: Record<string, string> = {
  ansible: "#c0504d",
  mitogen: "#f79646",
  mito: "#4f81bd",
  "mito-bin": "#1f497d",
  "mito-auto": "#8064a2",
  "mito-bin-auto": "#4b2c6f",
  "ssh-cat": "#7f7f7f",
};

function esc(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * Horizontal bars of the median wall time, one group per scenario × link, on a log scale (the runners
 * differ by up to two orders of magnitude). Hand-written SVG, no dependencies.
 */
export function chartSvg(all: Summary[], runnerOrder: string[]): string {
  const runners = runnerOrder.filter((r) => all.some((s) => s.runner === r && s.ok > 0));
  const groups: { label: string; bars: { runner: string; wall: number }[] }[] = [];
  for (const s of all) {
    if (!s.ok || s.wall_s === undefined) continue;
    const label = `${s.scenario} · ${s.link}`;
    let g = groups.find((x) => x.label === label);
    if (!g) groups.push(g = { label, bars: [] });
    g.bars.push({ runner: s.runner, wall: s.wall_s });
  }
  const left = 230, width = 900, barH = 11, gap = 10, top = 46;
  const plotW = width - left - 90;
  const walls = groups.flatMap((g) => g.bars.map((b) => b.wall));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...walls, 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...walls, 1))));
  const x = (v: number) => left + (Math.log10(v / lo) / Math.log10(hi / lo)) * plotW;
  let y = top;
  const parts: string[] = [];
  for (const g of groups) {
    const h = g.bars.length * barH;
    parts.push(
      `<text x="${left - 8}" y="${y + h / 2 + 4}" text-anchor="end" class="label">${esc(g.label)}</text>`,
    );
    for (const b of g.bars) {
      const w = Math.max(1, x(b.wall) - left);
      parts.push(
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${
          COLOURS[b.runner] ?? "#999"
        }"><title>${esc(b.runner)}: ${fmtSeconds(b.wall)}</title></rect>`,
        `<text x="${(left + w + 4).toFixed(1)}" y="${y + barH - 3}" class="value">${
          fmtSeconds(b.wall)
        }</text>`,
      );
      y += barH;
    }
    y += gap;
  }
  const height = y + 24;
  const ticks: string[] = [];
  for (let v = lo; v <= hi * 1.0001; v *= 10) {
    const tx = x(v).toFixed(1);
    ticks.push(
      `<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${y - gap}" class="grid"/>`,
      `<text x="${tx}" y="${y + 8}" text-anchor="middle" class="value">${
        v >= 1 ? v : v.toFixed(-Math.log10(v))
      } s</text>`,
    );
  }
  const legend = runners.map((r, i) =>
    `<rect x="${left + i * 110}" y="14" width="10" height="10" fill="${COLOURS[r] ?? "#999"}"/>` +
    `<text x="${left + i * 110 + 14}" y="23" class="label">${esc(r)}</text>`
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    "<style>.label{font:12px sans-serif;fill:#222}.value{font:10px sans-serif;fill:#444}" +
    ".grid{stroke:#ddd;stroke-width:1}</style>",
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="8" y="23" class="label">median wall time (log scale)</text>`,
    ...legend,
    ...ticks,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

/** The figures of an earlier run, from the JSON block of the "## playbooks" section. */
export function previousSummaries(markdown: string): Summary[] {
  const section = /^## playbooks\n[\s\S]*?(?=^## |(?![\s\S]))/m.exec(markdown)?.[0];
  const json = section && /```json\n(.*)\n```/.exec(section)?.[1];
  if (!json) return [];
  try {
    const parsed = JSON.parse(json);
    return Array.isArray(parsed.results) ? parsed.results : [];
  } catch {
    return [];
  }
}

/**
 * Puts `section` (starting "## playbooks\n") in place of the previous harness section and of the
 * hand-measured "## playbooks: …" sections it replaces, keeping every other section (rpc, notes) as is.
 */
export function replaceSection(markdown: string, section: string): string {
  const re = /^## playbooks(?:\n|:[^\n]*\n)[\s\S]*?(?=^## |(?![\s\S]))/gm;
  let placed = false;
  const body = section.trimEnd() + "\n\n";
  const text = markdown.replace(re, () => {
    if (placed) return "";
    placed = true;
    return body;
  });
  return placed ? text.trimEnd() + "\n" : markdown.trimEnd() + "\n\n" + body.trimEnd() + "\n";
}
