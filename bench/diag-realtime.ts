/**
 * Scratch diagnosis of the realtime access chain (not a bench entry): the chain of
 * bench/real.bench.ts's `load --realtime` from checkout ROOT, with `show counters` of the sse
 * and nte polled every 250 ms and every box event line kept, all written to OUT.
 * node --import tsx bench/diag-realtime.ts ROOT OUT [homes] [window] [extra up args...]
 */
import path from 'node:path';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { Lab, CHAIN_RADIUS } from '../test/real/lab.js';
import { loadTopology } from '../src/config/topology.js';
import { withHomes } from '../src/config/generate.js';
import { ispPlan } from '../src/config/derive.js';
import { ipv4ToString } from '../src/wire/bytes.js';
import { controlRequest } from '../src/io/control.js';

const [root, out, homesArg, windowArg, quietArg, profArg] = process.argv.slice(2);
const n = Number(homesArg ?? 10000);
const window = Number(windowArg ?? 256);
const quiet = quietArg === 'quiet';
const prof = profArg === 'prof';
const sepRadius = !!process.env.DIAG_RADIUS;
mkdirSync(out!, { recursive: true });
const lab = new Lab('tail');
const main = path.join(root!, 'src/cli/main.ts');
const pn = (name: string, ns: string, args: string[], node: string[] = []) => lab.spawn(name, ns, process.execPath, [...node, '--import', 'tsx', main, ...args]);
function ust(pid: number): [number, number] {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return [Number(rest[11]) / 100, Number(rest[12]) / 100];
}
function cpu(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100;
}
try {
  const hns = lab.ns('h'), sns = lab.ns('s'), nns = lab.ns('n');
  lab.veth(hns, 'h0', sns, 'acc');
  lab.veth(sns, 'car0', nns, 'car1');
  lab.veth(nns, 'core0', nns, 'core1');
  const topo = path.join(out!, 'topology.yaml');
  writeFileSync(topo, `name: diag
sse: { name: sse, address: 192.0.2.254, interfaces: { access: acc, carrier: car0 } }
isps:
  - name: isp-a
    domain: isp-a.example
    lns: { name: nte-a, address: 192.0.2.1, hostName: nte-a.isp-a.example, tunnelSecret: s, lcpEchoInterval: ${process.env.DIAG_ECHO ?? 1}, lcpEchoFailure: 3, interfaces: { carrier: car1, core: core0${sepRadius ? ', radius: rad0' : ''} } }
${sepRadius ? `    radius: { address: ${CHAIN_RADIUS.address}, secret: ${CHAIN_RADIUS.secret} }\n` : ''}    pool: 198.51.100.0/24
    gateway: 198.51.100.1
    dns: [198.51.100.53]
server: { address: 203.0.113.10, gateway: 203.0.113.1 }
router: { ispSide: 10.255.0.1, serverSide: 203.0.113.1 }
`);
  const sock = (b: string) => path.join(out!, `${b}.sock`);
  const q = quiet ? ['--quiet'] : [];
  const nodeProf = (b: string) => (prof ? ['--cpu-prof', `--cpu-prof-dir=${path.join(out!, `prof-${b}`)}`] : []);
  let radius: ReturnType<typeof pn> | undefined;
  if (sepRadius) {
    const rns = lab.ns('r');
    lab.veth(nns, 'rad0', rns, 'rad1');
    lab.exec(rns, 'ip', ['addr', 'add', `${CHAIN_RADIUS.address}/24`, 'dev', 'rad1']);
    const t = withHomes(loadTopology(topo), n);
    const plan = ispPlan(t, 0);
    const isp = t.isps[0]!;
    const conf = `${topo}.radius.yaml`;
    writeFileSync(conf, `clients:\n  - { name: nte-a, address: ${CHAIN_RADIUS.nas}, secret: ${CHAIN_RADIUS.secret} }\npools:\n  ${isp.name}: { range: ${ipv4ToString(plan.pool[0])}-${ipv4ToString(plan.pool[1])}, exclude: [${[isp.gateway, ...isp.dns].join(', ')}] }\nusers:\n${isp.users.map((u) => `  - { name: ${JSON.stringify(u.name)}, password: ${JSON.stringify(u.password)}, pool: ${isp.name}, dns: [${isp.dns.join(', ')}] }`).join('\n')}\n`);
    radius = pn('radius', rns, ['radius', '--config', conf, '--bind', CHAIN_RADIUS.address, '--quiet']);
    await radius.waitFor((l) => typeof l.raw === 'string' && l.raw.includes('listening'), 20_000, 'radius listening');
  }
  const nte = pn('nte-a', nns, ['up', topo, '--box', 'nte-a', '--homes', String(n), '--control', sock('nte-a'), ...q], nodeProf('nte'));
  const sse = pn('sse', sns, ['up', topo, '--box', 'sse', '--control', sock('sse'), ...q], nodeProf('sse'));
  await Promise.all([nte, sse].map((p) => p.waitFor((l) => l.ev === 'ready', 30_000, `${p.name} ready`)));
  const t0 = Date.now();
  const series: unknown[] = [];
  let polling = !process.env.DIAG_NOPOLL;
  const poll = (async () => {
    while (polling) {
      const at = Date.now() - t0;
      try {
        const [s, x] = await Promise.all([controlRequest(sock('sse'), '/show/counters'), controlRequest(sock('nte-a'), '/show/counters')]);
        series.push({ at, sse: s, nte: x, cpu: { sse: cpu(sse.pid), nte: cpu(nte.pid) } });
      } catch (e) { series.push({ at, error: String(e) }); }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const caps = process.env.DIAG_CAP ? [lab.spawn('cap-acc', sns, 'dumpcap', ['-q', '-i', 'acc', '-i', 'car0', '-a', 'duration:6', '-s', '200', '-w', path.join(out!, 'sse.pcapng')])] : [];
  if (caps.length) await new Promise((r) => setTimeout(r, 1500));
  const u0 = { sse: ust(sse.pid), nte: ust(nte.pid) };
  const c0 = { sse: cpu(sse.pid), nte: cpu(nte.pid), radius: radius ? cpu(radius.pid) : 0 };
  const load = pn('load', hns, ['load', topo, '--homes', String(n), '--realtime', '--access', 'h0', '--window', String(window), '--out', path.join(out!, 'load'), '--pid', `sse=${sse.pid}`, '--pid', `nte-a=${nte.pid}`, '--timeout', String(60 + Math.ceil(n / 100))]);
  await load.done;
  for (const c of caps) await c.done;
  const u1 = { sse: ust(sse.pid), nte: ust(nte.pid) };
  const c1 = { sse: cpu(sse.pid), nte: cpu(nte.pid), radius: radius ? cpu(radius.pid) : 0 };
  polling = false;
  await poll;
  try {
    const [s, x] = await Promise.all([controlRequest(sock('sse'), '/show/counters'), controlRequest(sock('nte-a'), '/show/counters')]);
    series.push({ at: Date.now() - t0, sse: s, nte: x, cpu: { sse: cpu(sse.pid), nte: cpu(nte.pid) } });
  } catch (e) { series.push({ error: String(e) }); }
  writeFileSync(path.join(out!, 'series.json'), JSON.stringify(series));
  writeFileSync(path.join(out!, 'sse.lines.json'), JSON.stringify(sse.lines));
  writeFileSync(path.join(out!, 'nte.lines.json'), JSON.stringify(nte.lines));
  writeFileSync(path.join(out!, 'load.stderr'), load.stderr);
  if (prof) await Promise.all([nte.stop('SIGTERM', 60_000), sse.stop('SIGTERM', 60_000)]);
  const r = JSON.parse(readFileSync(path.join(out!, 'load/report.json'), 'utf8'));
  console.log(JSON.stringify({ t0, online: r.online, sps: r.setupsPerSecond, setupMs: r.setupMs, auth: r.phaseMs.auth, cpu: r.cpuSecondsPerBox, perK: { sse: +(((c1.sse - c0.sse) / r.online) * 1000).toFixed(3), nte: +(((c1.nte - c0.nte) / r.online) * 1000).toFixed(3), radius: +(((c1.radius - c0.radius) / r.online) * 1000).toFixed(3) }, userSys: { sse: [+(u1.sse[0] - u0.sse[0]).toFixed(2), +(u1.sse[1] - u0.sse[1]).toFixed(2)], nte: [+(u1.nte[0] - u0.nte[0]).toFixed(2), +(u1.nte[1] - u0.nte[1]).toFixed(2)] }, rtx: (series.at(-1) as { nte?: { radius?: { retransmits?: number } } })?.nte?.radius?.retransmits }));
} finally {
  const errs = await lab.cleanup();
  if (errs.length) console.error('cleanup', errs);
}
