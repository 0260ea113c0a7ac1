/**
 * The RFC 1661 automaton against its own table: every (event, state) cell is driven through
 * a real LCP and the next state, the packets sent and the layer actions are checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STATE_TABLE, EVENT_NAMES, STATE_NAMES, RFC1661_TABLE, parseStateTable, QueueSink, State, type Cell } from '../../src/proto/ppp-fsm.js';
import { Lcp, lcpConfig } from '../../src/proto/lcp.js';
import { DEFAULT_FSM } from '../../src/proto/ppp-fsm.js';
import { encode } from '../../src/wire/result.js';
import { lcpPacket, type LcpPacket, type LcpOption } from '../../src/wire/ppp.js';

test('the state table is the RFC 1661 §4.1 table: 16 events × 10 states, spot-checked cell by cell', () => {
  assert.equal(STATE_TABLE.length, 16);
  for (const row of STATE_TABLE) assert.equal(row.length, 10);
  const cell = (ev: string, st: number): string => {
    const c = STATE_TABLE[EVENT_NAMES.indexOf(ev as never)]![st];
    return c ? `${c.actions.join(',')}${c.actions.length ? '/' : ''}${c.next}${c.flags}` : '-';
  };
  // An independent reading of the RFC, one cell per line of the printed table.
  const spot: [string, number, string][] = [
    ['Up', 0, '2'], ['Up', 1, 'irc,scr/6'], ['Down', 3, 'tls/1'], ['Down', 9, 'tld/1'], ['Open', 0, 'tls/1'],
    ['Open', 3, '3r'], ['Open', 9, '9r'], ['Close', 1, 'tlf/0'], ['Close', 9, 'tld,irc,str/4'], ['TO+', 8, 'scr/8'],
    ['TO-', 6, 'tlf/3p'], ['TO-', 4, 'tlf/2'], ['RCR+', 3, 'irc,scr,sca/8'], ['RCR+', 7, 'sca,tlu/9'], ['RCR-', 9, 'tld,scr,scn/6'],
    ['RCA', 6, 'irc/7'], ['RCA', 7, 'scr/6x'], ['RCA', 8, 'irc,tlu/9'], ['RCN', 8, 'irc,scr/8'], ['RTR', 9, 'tld,zrc,sta/5'],
    ['RTA', 9, 'tld,scr/6'], ['RUC', 7, 'scj/7'], ['RXJ+', 7, '6'], ['RXJ-', 9, 'tld,irc,str/5'], ['RXR', 9, 'ser/9'], ['RXR', 0, '-'],
  ];
  for (const [ev, st, want] of spot) assert.equal(cell(ev, st), want, `${ev} in ${STATE_NAMES[st]}`);
  let defined = 0;
  for (const row of STATE_TABLE) for (const c of row) if (c) defined++;
  assert.equal(defined, 120, 'the RFC leaves 40 cells as "cannot happen"');
  assert.throws(() => parseStateTable(RFC1661_TABLE.replace('irc,scr/6 ', 'irc,xyz/6 ')), /unknown action/);
});

const MRU_OK: LcpOption = { kind: 'mru', mru: 1400 };
const MRU_BAD: LcpOption = { kind: 'mru', mru: 9000 };

function fresh(): { lcp: Lcp; sink: QueueSink; counters: Record<string, number> } {
  const sink = new QueueSink();
  const counters = {};
  // The RFC table literally: a second Ack of a request is an RCA like the first.
  const lcp = new Lcp(lcpConfig({ magic: false, authenticateWith: [], echoIntervalMs: 0, fsm: { ...DEFAULT_FSM, dropDuplicateReplies: false } }), sink, counters);
  return { lcp, sink, counters };
}

const OURS: LcpOption[] = [{ kind: 'mru', mru: 1454 }];
const PROXY_SENT = encode(lcpPacket, { kind: 'conf-req', identifier: 0, options: OURS }).subarray(4);
const PROXY_RCVD = encode(lcpPacket, { kind: 'conf-req', identifier: 0, options: [MRU_OK] }).subarray(4);

/** Puts a fresh LCP into `state` through real events; the last request is outstanding and unanswered where one exists. */
function reach(state: number): { lcp: Lcp; sink: QueueSink; counters: Record<string, number> } {
  const f = fresh();
  const { lcp } = f;
  const now = 0;
  const timeout = (): void => {
    lcp.timerAt = now;
    lcp.handleTimeout(now);
  };
  switch (state) {
    case State.Initial: break;
    case State.Starting: lcp.open(now); break;
    case State.Closed: // with a request outstanding: Req-Sent, Close, Max-Terminate timeouts
      lcp.open(now); lcp.up(now); lcp.close(now); timeout(); timeout(); break;
    case State.Stopped: lcp.open(now); lcp.up(now); for (let i = 0; i < 10; i++) timeout(); break;
    case State.Closing: lcp.open(now); lcp.up(now); lcp.close(now); break;
    case State.Stopping: lcp.open(now); lcp.acceptProxy(PROXY_SENT, PROXY_RCVD, now); lcp.input({ kind: 'term-req', identifier: 9, data: new Uint8Array(0) }, now); break;
    case State.ReqSent: lcp.open(now); lcp.up(now); break;
    case State.AckRcvd: lcp.open(now); lcp.up(now); lcp.input({ kind: 'conf-ack', identifier: lcp.reqId, options: OURS }, now); break;
    case State.AckSent: lcp.open(now); lcp.up(now); lcp.input({ kind: 'conf-req', identifier: 50, options: [MRU_OK] }, now); break;
    case State.Opened: lcp.open(now); assert.ok(lcp.acceptProxy(PROXY_SENT, PROXY_RCVD, now)); break;
  }
  assert.equal(lcp.state, state, `reached ${STATE_NAMES[state]}`);
  f.sink.tx.length = 0;
  f.sink.events.length = 0;
  return f;
}

const PACKET_OF: Record<string, LcpPacket['kind']> = { scr: 'conf-req', sca: 'conf-ack', scn: 'conf-nak', str: 'term-req', sta: 'term-ack', scj: 'code-rej', ser: 'echo-reply' };

function fire(ev: string, lcp: Lcp): void {
  const now = 100;
  const id = lcp.reqId;
  switch (ev) {
    case 'Up': lcp.up(now); break;
    case 'Down': lcp.down(now); break;
    case 'Open': lcp.open(now); break;
    case 'Close': lcp.close(now); break;
    case 'TO+': if (lcp.timerAt !== undefined) { lcp.restartCount = Math.max(lcp.restartCount, 1); lcp.timerAt = now; } lcp.handleTimeout(now); break;
    case 'TO-': if (lcp.timerAt !== undefined) { lcp.restartCount = 0; lcp.timerAt = now; } lcp.handleTimeout(now); break;
    case 'RCR+': lcp.input({ kind: 'conf-req', identifier: 77, options: [MRU_OK] }, now); break;
    case 'RCR-': lcp.input({ kind: 'conf-req', identifier: 77, options: [MRU_BAD] }, now); break;
    case 'RCA': lcp.input({ kind: 'conf-ack', identifier: id, options: OURS }, now); break;
    case 'RCN': lcp.input({ kind: 'conf-nak', identifier: id, options: [{ kind: 'mru', mru: 1300 }] }, now); break;
    case 'RTR': lcp.input({ kind: 'term-req', identifier: 78, data: new Uint8Array(0) }, now); break;
    case 'RTA': lcp.input({ kind: 'term-ack', identifier: 79, data: new Uint8Array(0) }, now); break;
    case 'RUC': lcp.input({ kind: 'other', code: 0x0c, identifier: 80, data: new Uint8Array([0, 0, 0, 0]) }, now); break;
    case 'RXJ+': lcp.input({ kind: 'code-rej', identifier: 81, rejected: new Uint8Array([0x0c, 1, 0, 4]) }, now); break;
    case 'RXJ-': lcp.input({ kind: 'code-rej', identifier: 82, rejected: new Uint8Array([1, 1, 0, 4]) }, now); break;
    case 'RXR': lcp.input({ kind: 'echo-req', identifier: 83, magic: 0, data: new Uint8Array(0) }, now); break;
  }
}

test('every cell of the table: next state, packets sent and layer actions are what the RFC says', () => {
  let checked = 0;
  EVENT_NAMES.forEach((ev, e) => {
    for (let st = 0; st < 10; st++) {
      const cell: Cell | undefined = STATE_TABLE[e]![st];
      const { lcp, sink, counters } = reach(st);
      fire(ev, lcp);
      const where = `${ev} in ${STATE_NAMES[st]}`;
      if (!cell) {
        assert.equal(lcp.state, st, `${where}: "-" leaves the state alone`);
        assert.deepEqual(sink.tx, [], `${where}: "-" sends nothing`);
        // Receive events in Initial/Starting and misuse of Up/Open/Close are counted (an Ack/Nak with no request
        // outstanding is already a stale reply); timeouts without a timer do nothing.
        if (!ev.startsWith('TO')) assert.ok(Object.keys(counters).some((k) => k.startsWith(`lcp.event-${ev}-in-`) || k === 'lcp.stale-reply'), `${where}: counted`);
        continue;
      }
      assert.equal(STATE_NAMES[lcp.state], STATE_NAMES[cell.next], `${where}: next state`);
      const sent = sink.tx.map((m) => m.packet.kind);
      const want = cell.actions.filter((a) => PACKET_OF[a]).map((a) => (a === 'scn' && ev === 'RCR-' ? 'conf-nak' : PACKET_OF[a]!));
      assert.deepEqual(sent, want, `${where}: packets`);
      const layer = sink.events.map((x) => x.action);
      assert.deepEqual(layer, cell.actions.filter((a) => a.startsWith('tl')), `${where}: layer actions`);
      const timer = [4, 5, 6, 7, 8].includes(cell.next);
      assert.equal(lcp.timerAt !== undefined, timer, `${where}: restart timer ${timer ? 'runs' : 'stopped'}`);
      if (cell.actions.includes('irc')) assert.equal(lcp.restartCount + cell.actions.filter((a) => a === 'scr' || a === 'str').length, cell.actions.includes('str') ? 2 : 10, `${where}: irc`);
      if (cell.actions.includes('zrc')) assert.equal(lcp.restartCount, 0, `${where}: zrc`);
      checked++;
    }
  });
  assert.equal(checked, 120);
});

test('identifiers: a retransmitted Configure-Request keeps its identifier; a new one gets the next; replies echo the peer\'s', () => {
  const sink = new QueueSink();
  const lcp = new Lcp(lcpConfig({ magic: false, authenticateWith: [], echoIntervalMs: 0 }), sink, {});
  lcp.open(0);
  lcp.up(0);
  lcp.handleTimeout(3000);
  lcp.handleTimeout(6000);
  const reqs = sink.tx.filter((m) => m.packet.kind === 'conf-req').map((m) => m.packet.identifier);
  assert.deepEqual(reqs, [1, 1, 1]);
  lcp.input({ kind: 'conf-nak', identifier: 1, options: [{ kind: 'mru', mru: 1400 }] }, 6001);
  const last = sink.tx.at(-1)!;
  assert.ok(last.packet.kind === 'conf-req' && last.packet.identifier === 2);
  assert.deepEqual(last.packet.kind === 'conf-req' && last.packet.options, [{ kind: 'mru', mru: 1400 }], 'the Nak hint is taken');
  lcp.input({ kind: 'conf-req', identifier: 200, options: [MRU_OK] }, 6002);
  assert.deepEqual([sink.tx.at(-1)!.packet.kind, sink.tx.at(-1)!.packet.identifier], ['conf-ack', 200]);
  // A second Ack of the same request is a duplicate (pppd's seen_ack) and does not restart anything.
  lcp.input({ kind: 'conf-ack', identifier: 2, options: [{ kind: 'mru', mru: 1400 }] }, 6003);
  assert.equal(lcp.state, State.Opened);
  const n = sink.tx.length;
  lcp.input({ kind: 'conf-ack', identifier: 2, options: [{ kind: 'mru', mru: 1400 }] }, 6004);
  assert.equal(lcp.state, State.Opened);
  assert.equal(sink.tx.length, n);
});
