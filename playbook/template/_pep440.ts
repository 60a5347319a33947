// PEP 440 versions as the `version` test's version_type='pep440' compares them (Python packaging's
// Version): epoch, release, pre/post/dev releases and local labels, with its normalisations.
const PATTERN = new RegExp(
  "^\\s*v?(?:(?:(\\d+)!)?(\\d+(?:\\.\\d+)*)" + // epoch, release
    "(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\\d+)?)?" + // pre-release
    "(?:(?:-(\\d+))|(?:[-_.]?(post|rev|r)[-_.]?(\\d+)?))?" + // post-release
    "(?:[-_.]?(dev)[-_.]?(\\d+)?)?)" + // dev release
    "(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\\s*$", // local version
  "i",
);

/** packaging's InvalidVersion. */
export class InvalidVersion extends Error {}

/** Sorts below, or above, every other value of its slot (packaging's Infinity and NegativeInfinity). */
const LOW = -Infinity;
const HIGH = Infinity;

type Key = (number | string | Key)[];

/** The comparison key of a version (packaging's _cmpkey). */
export function pep440Key(text: string): Key {
  const m = PATTERN.exec(text);
  if (!m) throw new InvalidVersion(`Invalid version: '${text}'`);
  const release = m[2].split(".").map(Number);
  while (release.length > 1 && release.at(-1) === 0) release.pop();
  const preLetter = m[3]?.toLowerCase();
  const pre = preLetter === undefined ? undefined : [
    { alpha: "a", a: "a", beta: "b", b: "b", c: "rc", pre: "rc", preview: "rc", rc: "rc" }[preLetter]!,
    Number(m[4] ?? 0),
  ];
  const post = m[5] !== undefined ? Number(m[5]) : m[6] !== undefined ? Number(m[7] ?? 0) : undefined;
  const dev = m[8] !== undefined ? Number(m[9] ?? 0) : undefined;
  // a dev release of a final version sorts before its pre-releases
  const preKey: Key | number = pre === undefined
    ? (post === undefined && dev !== undefined ? LOW : HIGH)
    : pre;
  const local: Key | number = m[10] === undefined
    ? LOW
    : m[10].toLowerCase().split(/[-_.]/).map((p) => /^\d+$/.test(p) ? [Number(p), ""] : [LOW, p]);
  return [Number(m[1] ?? 0), release, preKey, post ?? LOW, dev ?? HIGH, local];
}

/** -1, 0 or 1, as two keys compare in Python (tuples element by element, the shorter first). */
export function compareKeys(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareKeys(a[i], b[i]);
      if (c) return c;
    }
    return Math.sign(a.length - b.length);
  }
  // the infinities compare with anything; a number and a tuple never meet in one slot otherwise
  const inf = (x: unknown): x is number => typeof x === "number" && !Number.isFinite(x);
  if (inf(a) && inf(b)) return a === b ? 0 : a > b ? 1 : -1;
  if (inf(a)) return a > 0 ? 1 : -1;
  if (inf(b)) return b > 0 ? -1 : 1;
  return a === b ? 0 : (a as number | string) < (b as number | string) ? -1 : 1;
}
