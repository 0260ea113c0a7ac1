/**
 * Reading a YAML configuration against a zod schema, shared by the topology and the RADIUS
 * server's file: every problem is one line naming the path of the bad field
 * (`isps[1].lns.address: an IPv4 address like 192.0.2.1`). Values are never echoed, so a
 * secret in a bad field does not reach the message. Hostile documents (oversize, alias
 * bombs, deep nesting) are problems like any other, never a throw.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';

function pathString(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(top level)';
}

/** A configuration is a few kilobytes; 1 MiB is generous and keeps a hostile one cheap to refuse. */
export const MAX_CONFIG_BYTES = 1 << 20;
/**
 * Aliases allowed when building values. yaml's own default (100) already stops the
 * billion-laughs expansion; named here so the limit is ours, and its error a problem line.
 */
export const MAX_ALIAS_COUNT = 100;

/** Parses YAML text and validates it; `{ok:false, problems}` lists YAML syntax errors or schema issues with their paths. */
export function parseYamlConfig<S extends z.ZodType>(text: string, schema: S): { ok: true; value: z.infer<S> } | { ok: false; problems: string[] } {
  if (text.length > MAX_CONFIG_BYTES) return { ok: false, problems: [`(top level): the document is ${text.length} characters; at most ${MAX_CONFIG_BYTES}`] };
  let js: unknown;
  try {
    const doc = parseDocument(text, { prettyErrors: true });
    if (doc.errors.length) {
      // The parser catches its own stack overflow and reports it as a syntax error.
      return { ok: false, problems: doc.errors.map((e) => (/call stack/i.test(e.message) ? '(top level): the document is nested too deeply' : e.message.split('\n')[0]!)) };
    }
    js = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // yaml throws for resource exhaustion (alias expansion) and stack depth: refuse, no trace.
    const why = e instanceof RangeError ? 'nested too deeply' : /alias/i.test((e as Error).message) ? `more than ${MAX_ALIAS_COUNT} alias expansions (a YAML alias bomb?)` : 'cannot be read as YAML';
    return { ok: false, problems: [`(top level): the document ${why}`] };
  }
  const r = schema.safeParse(js);
  if (!r.success) return { ok: false, problems: r.error.issues.map((i) => `${pathString(i.path)}: ${/received undefined$/.test(i.message) ? 'required, missing' : i.message}`) };
  return { ok: true, value: r.data };
}

/** A config file's text, or the problem of reading it (`cannot read: ENOENT`, too big) for the caller's error. */
export function readConfigText(file: string): { ok: true; text: string } | { ok: false; problem: string } {
  try {
    // Refused before it is read: a configuration is a few kilobytes.
    const size = statSync(file).size;
    if (size > MAX_CONFIG_BYTES) return { ok: false, problem: `(top level): the file is ${size} bytes; at most ${MAX_CONFIG_BYTES} are read` };
    return { ok: true, text: readFileSync(file, 'utf8') };
  } catch (e) {
    return { ok: false, problem: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}
