// Python's shlex.split(line, comments=True) in POSIX mode, which the INI inventory uses for host lines.

export class ShlexError extends Error {
  override name = "ShlexError";
}

export function shlexSplit(line: string): string[] {
  const out: string[] = [];
  let tok = "";
  let inTok = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      if (inTok) out.push(tok);
      tok = "";
      inTok = false;
      i++;
    } else if (c === "#") {
      break;
    } else if (c === "\\") {
      if (i + 1 >= line.length) throw new ShlexError("No escaped character");
      tok += line[i + 1];
      inTok = true;
      i += 2;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ShlexError("No closing quotation");
      tok += line.slice(i + 1, end);
      inTok = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inTok = true;
      for (;;) {
        if (i >= line.length) throw new ShlexError("No closing quotation");
        const d = line[i];
        if (d === '"') {
          i++;
          break;
        }
        if (d === "\\" && i + 1 < line.length && (line[i + 1] === '"' || line[i + 1] === "\\")) {
          tok += line[i + 1];
          i += 2;
        } else {
          tok += d;
          i++;
        }
      }
    } else {
      tok += c;
      inTok = true;
      i++;
    }
  }
  if (inTok) out.push(tok);
  return out;
}
