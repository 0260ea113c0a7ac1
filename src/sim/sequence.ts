/**
 * Sequence diagrams of a session: a list of messages between named boxes, written as
 * mermaid text (sequence.mmd) and as a self-contained HTML page with an inline SVG
 * (sequence.html) that opens offline: no script, no font, nothing from the network.
 */

export interface SequenceMessage {
  /** Milliseconds on the network's clock. */
  readonly at: number;
  readonly from: string;
  readonly to: string;
  /** The message as Wireshark's Info column names it. */
  readonly label: string;
  /** The protocol column (PPPoED, PPP LCP, L2TP, RADIUS, ICMP...). */
  readonly protocol: string;
}

function mermaidText(s: string): string {
  // Mermaid treats ';' and '#' specially in messages; keep them readable.
  return s.replace(/;/g, ',').replace(/#/g, 'no. ').replace(/[\r\n]+/g, ' ');
}

export function toMermaid(participants: readonly string[], messages: readonly SequenceMessage[], title?: string): string {
  const lines = ['sequenceDiagram'];
  if (title) lines.push(`    title ${mermaidText(title)}`);
  for (const p of participants) lines.push(`    participant ${p}`);
  for (const m of messages) lines.push(`    ${m.from}->>${m.to}: ${mermaidText(`${m.protocol} ${m.label}`)}`);
  return lines.join('\n') + '\n';
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const COLORS: Record<string, string> = {
  PPPoED: '#6a3d9a',
  'PPP LCP': '#1f78b4',
  'PPP CHAP': '#e31a1c',
  'PPP PAP': '#e31a1c',
  'PPP IPCP': '#33a02c',
  L2TP: '#ff7f00',
  RADIUS: '#b15928',
  ICMP: '#555555',
};

/** An HTML page with the diagram drawn as inline SVG, and the mermaid source beside it. */
export function toHtml(participants: readonly string[], messages: readonly SequenceMessage[], title: string): string {
  const colW = 190;
  const rowH = 26;
  const top = 60;
  const width = Math.max(600, participants.length * colW + 40);
  const height = top + messages.length * rowH + 40;
  const x = (p: string): number => 20 + colW / 2 + participants.indexOf(p) * colW;
  const parts: string[] = [];
  participants.forEach((p) => {
    const cx = x(p);
    parts.push(`<rect x="${cx - 70}" y="10" width="140" height="30" rx="4" fill="#f4f4f4" stroke="#333"/>`);
    parts.push(`<text x="${cx}" y="30" text-anchor="middle" font-weight="bold">${esc(p)}</text>`);
    parts.push(`<line x1="${cx}" y1="40" x2="${cx}" y2="${height - 10}" stroke="#999" stroke-dasharray="4 3"/>`);
  });
  messages.forEach((m, i) => {
    const y = top + i * rowH + 12;
    const x1 = x(m.from);
    const x2 = x(m.to);
    const color = COLORS[m.protocol] ?? '#000';
    const dir = x2 > x1 ? -1 : 1;
    parts.push(`<line x1="${x1}" y1="${y}" x2="${x2 + dir * 2}" y2="${y}" stroke="${color}" stroke-width="1.4"/>`);
    parts.push(`<path d="M${x2} ${y} l${dir * 8} -4 l0 8 z" fill="${color}"/>`);
    const tx = Math.min(x1, x2) + 6;
    parts.push(`<text x="${tx}" y="${y - 4}" font-size="11" fill="${color}"><title>t=${m.at.toFixed(3)} ms</title>${esc(`${m.protocol} ${m.label}`)}</text>`);
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">${parts.join('')}</svg>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:16px}pre{background:#f8f8f8;padding:8px;font-size:12px}</style></head>
<body><h1>${esc(title)}</h1>
<p>${messages.length} messages. Labels are the names Wireshark gives; hover an arrow label for its time.</p>
${svg}
<h2>Mermaid source</h2><pre>${esc(toMermaid(participants, messages, title))}</pre>
</body></html>
`;
}
