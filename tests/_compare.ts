// Comparing a mito run's screen output with ansible-playbook's: what differs between any two runs of the
// same playbook (times, the order several hosts finish in) is normalised away, everything else must match.
/**
 * Output of one run made comparable with another's: timestamps and durations differ between any two
 * runs, and with several hosts each task's results are printed in the order the hosts finish, so the
 * entries of a task's block (a result line and its indented continuation) are sorted.
 */
export function normalise(out: string): string {
  const text = out.replace(/"(start|end|delta)": "[^"]*"/g, '"$1": "…"');
  const blocks = text.split(/\n\n(?=\S)/);
  return blocks.map((block) => {
    const lines = block.split("\n");
    const head: string[] = [];
    while (lines.length && !isEntryStart(lines[0])) head.push(lines.shift()!);
    const entries: string[] = [];
    for (const line of lines) {
      if (isEntryStart(line) || !entries.length) entries.push(line);
      else entries[entries.length - 1] += "\n" + line;
    }
    return [...head, ...entries.sort()].join("\n");
  }).join("\n\n");
}

function isEntryStart(line: string): boolean {
  return /^([a-z]+: \[|\[WARNING\]|\[DEPRECATION WARNING\])/.test(line);
}

export function recapLines(out: string): string[] {
  return out.slice(out.lastIndexOf("PLAY RECAP")).split("\n").filter((l) => / : ok=/.test(l)).sort();
}
