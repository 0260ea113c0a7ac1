/**
 * Runs tshark over a capture and returns every malformed packet and every expert item of
 * severity warning or error. Tests compare that list with an explicit allow-list.
 */
import { execFileSync } from 'node:child_process';

export interface ExpertItem {
  frame: number;
  severity: 'warning' | 'error';
  message: string;
}

const SEVERITY = { 0x600000: 'warning', 0x800000: 'error' } as const;

export function tsharkAvailable(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Expert warnings/errors and malformed packets in `file`. `decodeAs` e.g. ['udp.port==1812,radius']. */
export function tsharkProblems(file: string, decodeAs: string[] = []): ExpertItem[] {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=\u0001',
    '-e', 'frame.number', '-e', '_ws.expert.severity', '-e', '_ws.expert.message', '-e', '_ws.malformed',
    '-Y', '_ws.expert.severity >= 0x600000 || _ws.malformed'];
  for (const d of decodeAs) args.push('-d', d);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const items: ExpertItem[] = [];
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    const [frame, sev = '', msg = '', malformed = ''] = line.split('\t');
    const sevs = sev.split('\u0001');
    const msgs = msg.split('\u0001');
    sevs.forEach((s, i) => {
      const n = Number(s);
      if (n >= 0x600000) items.push({ frame: Number(frame), severity: (SEVERITY as Record<number, 'warning' | 'error'>)[n] ?? 'error', message: msgs[i] ?? '' });
    });
    if (malformed && !items.some((x) => x.frame === Number(frame))) items.push({ frame: Number(frame), severity: 'error', message: `malformed: ${malformed}` });
  }
  return items;
}

/** One-line-per-frame summary (the Info column), for names in diagrams and for test messages. */
export function tsharkSummary(file: string, decodeAs: string[] = []): string[] {
  const args = ['-r', file, '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info'];
  for (const d of decodeAs) args.push('-d', d);
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n').filter(Boolean);
}
