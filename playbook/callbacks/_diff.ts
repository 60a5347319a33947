// Unified diffs as Python's difflib.unified_diff prints them (3 lines of context), for --diff output.

type Op = { tag: "equal" | "delete" | "insert"; a: number; b: number };

function lcsOps(a: string[], b: string[]): Op[] {
  const n = a.length, m = b.length;
  // Trim common prefix and suffix so the quadratic table covers only the changed middle.
  let pre = 0;
  while (pre < n && pre < m && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < n - pre && suf < m - pre && a[n - 1 - suf] === b[m - 1 - suf]) suf++;
  const A = a.slice(pre, n - suf), B = b.slice(pre, m - suf);
  const table: Uint32Array[] = [];
  for (let i = 0; i <= A.length; i++) table.push(new Uint32Array(B.length + 1));
  for (let i = A.length - 1; i >= 0; i--) {
    for (let j = B.length - 1; j >= 0; j--) {
      table[i][j] = A[i] === B[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const ops: Op[] = [];
  for (let k = 0; k < pre; k++) ops.push({ tag: "equal", a: k, b: k });
  let i = 0, j = 0;
  while (i < A.length || j < B.length) {
    if (i < A.length && j < B.length && A[i] === B[j]) {
      ops.push({ tag: "equal", a: pre + i++, b: pre + j++ });
    } else if (j < B.length && (i === A.length || table[i][j + 1] >= table[i + 1][j])) {
      // difflib lists deletions before insertions within a change; collect then reorder below.
      ops.push({ tag: "insert", a: pre + i, b: pre + j++ });
    } else {
      ops.push({ tag: "delete", a: pre + i++, b: pre + j });
    }
  }
  for (let k = 0; k < suf; k++) ops.push({ tag: "equal", a: n - suf + k, b: m - suf + k });
  // Within each run of changes, put deletions first, as difflib's replace blocks do.
  const out: Op[] = [];
  let run: Op[] = [];
  const flush = () => {
    // Deletions moved ahead of insertions start where the run starts on the "b" side too.
    const b0 = Math.min(...run.map((o) => o.b));
    out.push(
      ...run.filter((o) => o.tag === "delete").map((o) => ({ ...o, b: b0 })),
      ...run.filter((o) => o.tag === "insert"),
    );
    run = [];
  };
  for (const o of ops) {
    if (o.tag === "equal") {
      flush();
      out.push(o);
    } else run.push(o);
  }
  flush();
  return out;
}

function range(start: number, len: number): string {
  let begin = start + 1;
  if (len === 1) return `${begin}`;
  if (len === 0) begin -= 1;
  return `${begin},${len}`;
}

/** Lines keep their line endings (like splitlines(True)); returns the diff's lines. */
export function unifiedDiff(
  a: string[],
  b: string[],
  fromFile: string,
  toFile: string,
  context = 3,
): string[] {
  const ops = lcsOps(a, b);
  const changes = ops.map((o, i) => (o.tag === "equal" ? -1 : i)).filter((i) => i >= 0);
  if (changes.length === 0) return [];
  const out = [`--- ${fromFile}\n`, `+++ ${toFile}\n`];
  // Group changes whose context windows overlap into hunks.
  const groups: [number, number][] = [];
  for (const c of changes) {
    const lo = Math.max(0, c - context), hi = Math.min(ops.length - 1, c + context);
    const last = groups[groups.length - 1];
    if (last && lo <= last[1] + 1) last[1] = hi;
    else groups.push([lo, hi]);
  }
  for (const [lo, hi] of groups) {
    const slice = ops.slice(lo, hi + 1);
    const aStart = slice[0].a, bStart = slice[0].b;
    const aLen = slice.filter((o) => o.tag !== "insert").length;
    const bLen = slice.filter((o) => o.tag !== "delete").length;
    out.push(`@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@\n`);
    for (const o of slice) {
      if (o.tag === "equal") out.push(" " + a[o.a]);
      else if (o.tag === "delete") out.push("-" + a[o.a]);
      else out.push("+" + b[o.b]);
    }
  }
  return out;
}

/** Python's str.splitlines(True). */
export function splitLinesKeep(s: string): string[] {
  const out: string[] = [];
  const re = /[^\n\r]*(\r\n|\n|\r|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    if (m[0] === "") break;
    out.push(m[0]);
  }
  return out;
}
