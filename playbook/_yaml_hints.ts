// The advice ansible-playbook appends to an error that points at a line of a YAML file, when that line
// shows one of the usual mistakes (unquoted `{{ }}`, an extra colon, unbalanced quotes, a tab). The
// wording must be Ansible's own: users search for it and tests compare output byte for byte.

const UNQUOTED_VARIABLE = `We could be wrong, but this one looks like it might be an issue with
missing quotes. Always quote template expression brackets when they
start a value. For instance:

    with_items:
      - {{ foo }}

Should be written as:

    with_items:
      - "{{ foo }}"
`;

const DICT = `This one looks easy to fix. YAML thought it was looking for the start of a
hash/dictionary and was confused to see a second "{". Most likely this was
meant to be an ansible template evaluation instead, so we have to give the
parser a small hint that we wanted a string instead. The solution here is to
just quote the entire value.

For instance, if the original line was:

    app_path: {{ base_path }}/foo

It should be written as:

    app_path: "{{ base_path }}/foo"
`;

const UNQUOTED_COLON = `This one looks easy to fix. There seems to be an extra unquoted colon in the line
and this is confusing the parser. It was only expecting to find one free
colon. The solution is just add some quotes around the colon, or quote the
entire line after the first colon.

For instance, if the original line was:

    copy: src=file.txt dest=/path/filename:with_colon.txt

It can be written as:

    copy: src=file.txt dest='/path/filename:with_colon.txt'

Or:

    copy: 'src=file.txt dest=/path/filename:with_colon.txt'
`;

const PARTIALLY_QUOTED = `This one looks easy to fix. It seems that there is a value started
with a quote, and the YAML parser is expecting to see the line ended
with the same kind of quote. For instance:

    when: "ok" in result.stdout

Could be written as:

   when: '"ok" in result.stdout'

Or equivalently:

   when: "'ok' in result.stdout"
`;

const UNBALANCED_QUOTES = `We could be wrong, but this one looks like it might be an issue with
unbalanced quotes. If starting a value with a quote, make sure the
line ends with the same set of quotes. For instance this arbitrary
example:

    foo: "bad" "wolf"

Could be written as:

    foo: '"bad" "wolf"'
`;

const LEADING_TAB = `There appears to be a tab character at the start of the line.

YAML does not use tabs for formatting. Tabs should be replaced with spaces.

For example:
    - name: update tooling
      vars:
        version: 1.2.3
#    ^--- there is a tab there.

Should be written as:
    - name: update tooling
      vars:
        version: 1.2.3
# ^--- all spaces here.
`;

/** Said instead of the usual excerpt when the line before the reported one is k=v shorthand. */
export const KV_AND_YAML =
  "There appears to be both 'k=v' shorthand syntax and YAML in this task. Only one syntax may be used.\n";

/** A line holding `name=value` (Python's \w is Unicode-aware, hence the property classes). */
export const KV_SHORTHAND = /[\p{L}\p{N}_]+\s*=\s*[\p{L}\p{N}_/-]+/u;

const count = (s: string, c: string) => s.split(c).length - 1;

/**
 * The advice for the offending line (with its newline, as read from the file) and the 1-based column
 * the error points at; "" when the line shows none of the mistakes Ansible looks for. The checks and
 * their order are Ansible's, quirks included (the `{{` check fires unless both quote styles precede one).
 */
export function yamlHints(line: string, column: number): string {
  let out = line.includes("\t") ? LEADING_TAB : "";
  const chars = [...line];
  const compact = line.replaceAll(" ", "");
  if (line.includes("{{") && line.includes("}}") && (!line.includes('"{{') || !line.includes("'{{"))) {
    out += UNQUOTED_VARIABLE;
  } else if (compact.includes(":{{") && compact.includes("}}")) {
    out += DICT;
  } else if (chars.length > 1 && chars.length > column && chars[column] === ":" && count(line, ":") > 1) {
    out += UNQUOTED_COLON;
  } else {
    const parts = line.split(":");
    if (parts.length > 1) {
      const middle = parts[1].trim();
      const quote = (c: string | undefined) => c === "'" || c === '"';
      const partial = (middle.startsWith("'") && !middle.endsWith("'")) ||
        (middle.startsWith('"') && !middle.endsWith('"'));
      const unbalanced = (middle.length > 0 && quote(middle[0]) && quote(middle[middle.length - 1]) &&
        count(line, "'") > 2) || count(line, '"') > 2;
      if (partial) out += PARTIALLY_QUOTED;
      if (unbalanced) out += UNBALANCED_QUOTES;
    }
  }
  return out;
}
