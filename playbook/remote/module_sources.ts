// An Ansible module's source travels to an interpreter once: later calls there name it by its digest
// (mito.runner keeps the sources it was given, by digest). A 13 KiB module sent with each of a loop's
// hundred items was most of the bytes and of the encoding work of such a loop.
import { createHash } from "node:crypto";
import type { Context } from "../../transports/broker.ts";
import { RemoteError } from "../../core/codec.ts";

const digests = new WeakMap<Uint8Array, string>();
const held = new WeakMap<Context, Set<string>>();

/** sha1 hex of a module's source (computed once per source buffer). */
export function sourceDigest(source: Uint8Array): string {
  let d = digests.get(source);
  if (d === undefined) {
    d = createHash("sha1").update(source).digest("hex");
    digests.set(source, d);
  }
  return d;
}

/**
 * Calls mito.runner.run_ansible_module in `ctx`: with the source the first time this context sees it,
 * with its digest alone afterwards. An interpreter that lacks it all the same (SourceNotCached) gets the
 * call again with the source.
 */
export async function callWithSource<T>(
  ctx: Context,
  source: Uint8Array,
  args: Record<string, unknown>,
  kwargs: Record<string, unknown>,
): Promise<T> {
  const digest = sourceDigest(source);
  let set = held.get(ctx);
  if (!set) held.set(ctx, set = new Set());
  const call = (src: Uint8Array | null) =>
    ctx.call<T>("mito.runner", "run_ansible_module", [src, args], { ...kwargs, digest });
  if (!set.has(digest)) {
    set.add(digest);
    return call(source);
  }
  try {
    return await call(null);
  } catch (e) {
    if (!(e instanceof RemoteError && e.type === "SourceNotCached")) throw e;
    return call(source);
  }
}
