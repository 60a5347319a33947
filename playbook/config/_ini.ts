// ansible.cfg syntax as Python's configparser reads it for Ansible: [sections], `key = value` or
// `key: value`, keys lower-cased, indented continuation lines, `#`/`;` comment lines, inline `;`
// comments after whitespace. Every value keeps the line it came from for error messages.

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface IniValue {
  value: string;
  line: number;
}

export type IniFile = Map<string, Map<string, IniValue>>;

export function parseConfigIni(text: string, file: string): IniFile {
  const out: IniFile = new Map();
  let section: Map<string, IniValue> | undefined;
  let last: IniValue | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const lineno = i + 1;
    const stripped = raw.trim();
    if (!stripped) {
      last = undefined;
      continue;
    }
    if (stripped[0] === "#" || stripped[0] === ";") continue;
    if (/^\s/.test(raw) && last) {
      last.value += "\n" + stripInline(stripped);
      continue;
    }
    const sm = /^\[([^\]]+)\]\s*(?:[;#].*)?$/.exec(stripped);
    if (sm) {
      const name = sm[1];
      if (!out.has(name)) out.set(name, new Map());
      section = out.get(name);
      last = undefined;
      continue;
    }
    const km = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(stripped);
    if (!km) {
      throw new ConfigError(
        `${file}:${lineno}: expected 'key = value' or a [section] header, got: ${stripped}`,
      );
    }
    if (!section) {
      throw new ConfigError(
        `${file}:${lineno}: File contains no section headers; expected [defaults] before '${stripped}'`,
      );
    }
    last = { value: stripInline(km[2]), line: lineno };
    section.set(km[1].toLowerCase(), last);
  }
  return out;
}

function stripInline(v: string): string {
  const m = /\s;/.exec(v);
  return (m ? v.slice(0, m.index) : v).trim();
}
