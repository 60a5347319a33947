// Path helpers shared by the build scripts (node:path plus file-URL conversion).
import { fileURLToPath } from "node:url";
export { basename, dirname, join, relative, resolve } from "node:path";
export function fromFileUrl(url: string): string {
  return fileURLToPath(url);
}
