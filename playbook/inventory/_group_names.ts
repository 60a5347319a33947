// Ansible's to_safe_group_name: which group names a variable could not have, and what
// transform_invalid_group_chars does with them.

/**
 * Ansible's INVALID_VARIABLE_NAMES (`^[\d\W]|[^\w]` on text, where \w is any letter or number and \d a
 * decimal digit): the characters that keep a name from being a variable's. Global: each such character.
 */
export const INVALID_NAME_CHARS = /^(?:\p{Nd}|[^\p{L}\p{N}_])|[^\p{L}\p{N}_]/gu;

/** The warnings Ansible gives (once each) when a group name has such characters. */
export const GROUP_CHARS_REPLACED =
  "Invalid characters were found in group names and automatically replaced, use -vvvv to see details";
export const GROUP_CHARS_KEPT =
  "Invalid characters were found in group names but not replaced, use -vvvv to see details";

/**
 * A group name as Ansible keeps it under transform_invalid_group_chars (`mode`, default never): `always`
 * replaces each invalid character with `_` and warns, `silently` replaces without a word, `never` keeps
 * the name and warns, `ignore` keeps it quietly.
 */
export function safeGroupName(name: string, mode = "never", warn: (m: string) => void = () => {}): string {
  INVALID_NAME_CHARS.lastIndex = 0;
  if (!name || !INVALID_NAME_CHARS.test(name)) return name;
  if (mode === "always" || mode === "silently") {
    if (mode === "always") warn(GROUP_CHARS_REPLACED);
    return name.replace(INVALID_NAME_CHARS, "_");
  }
  if (mode === "never") warn(GROUP_CHARS_KEPT);
  return name;
}
