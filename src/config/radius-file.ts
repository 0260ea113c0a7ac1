/**
 * The embedded RADIUS server's YAML file (`pseudonet radius --config FILE`): read, parsed
 * and validated against the schema of src/roles/radius-server-config.ts; every problem is
 * named with the path of its field and nothing starts.
 */
import path from 'node:path';
import { parseYamlConfig, readConfigText } from './yaml-config.js';
import { radiusServerConfigSchema, semanticProblems, type RadiusServerConfig } from '../roles/radius-server-config.js';

export class RadiusConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid RADIUS server configuration\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** Parses and validates the YAML text. Throws RadiusConfigError listing every problem with its path. */
export function parseRadiusServerConfig(text: string, file = '<radius config>'): RadiusServerConfig {
  const r = parseYamlConfig(text, radiusServerConfigSchema);
  if (!r.ok) throw new RadiusConfigError(file, r.problems);
  const sem = semanticProblems(r.value);
  if (sem.length) throw new RadiusConfigError(file, sem);
  const cfg = r.value;
  if (cfg.accounting.file !== undefined && file !== '<radius config>' && !path.isAbsolute(cfg.accounting.file)) {
    return { ...cfg, accounting: { ...cfg.accounting, file: path.resolve(path.dirname(file), cfg.accounting.file) } };
  }
  return cfg;
}

export function loadRadiusServerConfig(file: string): RadiusServerConfig {
  const r = readConfigText(file);
  if (!r.ok) throw new RadiusConfigError(file, [r.problem]);
  return parseRadiusServerConfig(r.text, file);
}
