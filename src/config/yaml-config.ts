/**
 * Reading a YAML configuration against a zod schema, shared by the topology and the RADIUS
 * server's file: every problem is one line naming the path of the bad field
 * (`isps[1].lns.address: an IPv4 address like 192.0.2.1`). Values are never echoed, so a
 * secret in a bad field does not reach the message.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';

function pathString(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(top level)';
}

/** Parses YAML text and validates it; `{ok:false, problems}` lists YAML syntax errors or schema issues with their paths. */
export function parseYamlConfig<S extends z.ZodType>(text: string, schema: S): { ok: true; value: z.infer<S> } | { ok: false; problems: string[] } {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) return { ok: false, problems: doc.errors.map((e) => e.message.split('\n')[0]!) };
  const r = schema.safeParse(doc.toJS());
  if (!r.success) return { ok: false, problems: r.error.issues.map((i) => `${pathString(i.path)}: ${/received undefined$/.test(i.message) ? 'required, missing' : i.message}`) };
  return { ok: true, value: r.data };
}

/** A config file's text, or the problem of reading it (`cannot read: ENOENT`) for the caller's error. */
export function readConfigText(file: string): { ok: true; text: string } | { ok: false; problem: string } {
  try {
    return { ok: true, text: readFileSync(file, 'utf8') };
  } catch (e) {
    return { ok: false, problem: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}
