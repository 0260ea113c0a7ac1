/**
 * The RFC 1661 automaton against RFC 1661 §4.1, transcribed here by hand (not read from the
 * automaton's table): every (event, state) cell is driven through a real LCP brought into
 * that state by real events, and the ordered actions, the restart counter and the next state
 * are checked. Then the Opened row for RCA/RCN at default settings, and §5.2's stale replies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STATE_TABLE, EVENT_NAMES, STATE_NAMES, RFC1661_TABLE, parseStateTable, State, DEFAULT_FSM, type PppSink, type ControlProtocol, type LayerAction } from '../../src/proto/ppp-fsm.js';
import { Lcp, lcpConfig } from '../../src/proto/lcp.js';
import { encode } from '../../src/wire/result.js';
import { lcpPacket, type LcpOption } from '../../src/wire/ppp.js';
import type { PppMessage } from '../../src/proto/ppp-common.js';

/**
 * RFC 1661 §4.1, typed in from the RFC text, one row per event, states 0..9 (Initial,
 * Starting, Closed, Stopped, Closing, Stopping, Req-Sent, Ack-Rcvd, Ack-Sent, Opened).
 * `-` is "cannot happen"; r, p, x are the RFC's footnotes (they change no action here).
 */
const RFC: Record<string, readonly string[]> = {
  //        0        1            2            3                4          5          6            7            8            9
  'Up':    ['2',     'irc,scr/6', '-',         '-',             '-',       '-',       '-',         '-',         '-',         '-'],
  'Down':  ['-',     '-',         '0',         'tls/1',         '0',       '1',       '1',         '1',         '1',         'tld/1'],
  'Open':  ['tls/1', '1',         'irc,scr/6', '3r',            '5r',      '5r',      '6',         '7',         '8',         '9r'],
  'Close': ['0',     'tlf/0',     '2',         '2',             '4',       '4',       'irc,str/4', 'irc,str/4', 'irc,str/4', 'tld,irc,str/4'],
  'TO+':   ['-',     '-',         '-',         '-',             'str/4',   'str/5',   'scr/6',     'scr/6',     'scr/8',     '-'],
  'TO-':   ['-',     '-',         '-',         '-',             'tlf/2',   'tlf/3',   'tlf/3p',    'tlf/3p',    'tlf/3p',    '-'],
  'RCR+':  ['-',     '-',         'sta/2',     'irc,scr,sca/8', '4',       '5',       'sca/8',     'sca,tlu/9', 'sca/8',     'tld,scr,sca/8'],
  'RCR-':  ['-',     '-',         'sta/2',     'irc,scr,scn/6', '4',       '5',       'scn/6',     'scn/7',     'scn/6',     'tld,scr,scn/6'],
  'RCA':   ['-',     '-',         'sta/2',     'sta/3',         '4',       '5',       'irc/7',     'scr/6x',    'irc,tlu/9', 'tld,scr/6x'],
  'RCN':   ['-',     '-',         'sta/2',     'sta/3',         '4',       '5',       'irc,scr/6', 'scr/6x',    'irc,scr/8', 'tld,scr/6x'],
  'RTR':   ['-',     '-',         'sta/2',     'sta/3',         'sta/4',   'sta/5',   'sta/6',     'sta/6',     'sta/6',     'tld,zrc,sta/5'],
  'RTA':   ['-',     '-',         '2',         '3',             'tlf/2',   'tlf/3',   '6',         '6',         '8',         'tld,scr/6'],
  'RUC':   ['-',     '-',         'scj/2',     'scj/3',         'scj/4',   'scj/5',   'scj/6',     'scj/7',     'scj/8',     'scj/9'],
  'RXJ+':  ['-',     '-',         '2',         '3',             '4',       '5',       '6',         '6',         '8',         '9'],
  'RXJ-':  ['-',     '-',         'tlf/2',     'tlf/3',         'tlf/2',   'tlf/3',   'tlf/3',     'tlf/3',     'tlf/3',     'tld,irc,str/5'],
  'RXR':   ['-',     '-',         '2',         '3',             '4',       '5',       '6',         '7',         '8',         'ser/9'],
};

/** The hand-typed cell, split: actions in order and the next state; undefined for `-`. */
function expected(ev: string, st: number): { actions: string[]; next: number } | undefined {
  const c = RFC[ev]![st]!;
  if (c === '-') return undefined;
  const slash = c.indexOf('/');
  const actions = slash < 0 ? [] : c.slice(0, slash).split(',');
  return { actions, next: Number(c.slice(slash + 1).replace(/[rpx]/g, '')) };
}

/** Records packets and layer actions in one ordered trace, so the order of `tld,scr,sca` is checked too. */
class TraceSink implements PppSink {
  readonly trace: string[] = [];
  readonly tx: PppMessage[] = [];
  send(m: PppMessage): void {
    this.tx.push(m);
    this.trace.push(m.packet.kind);
  }
  layer(_cp: ControlProtocol<never>, action: LayerAction): void {
    this.trace.push(action);
  }
  clear(): void {
    this.trace.length = 0;
    this.tx.length = 0;
  }
}

const OURS: LcpOption[] = [{ kind: 'mru', mru: 1454 }];
const MRU_OK: LcpOption = { kind: 'mru', mru: 1400 };
const MRU_BAD: LcpOption = { kind: 'mru', mru: 9000 };
const EMPTY = new Uint8Array(0);

interface Box { lcp: Lcp; sink: TraceSink; counters: Record<string, number> }

function fresh(literal: boolean): Box {
  const sink = new TraceSink();
  const counters: Record<string, number> = {};
  // literal: the RFC table as printed, where a second Ack of a request is an RCA like the first.
  const fsm = literal ? { ...DEFAULT_FSM, dropDuplicateReplies: false } : DEFAULT_FSM;
  const lcp = new Lcp(lcpConfig({ magic: false, authenticateWith: [], echoIntervalMs: 0, fsm }), sink, counters);
  return { lcp, sink, counters };
}

function expire(lcp: Lcp, now: number): void {
  lcp.handleTimeout(lcp.timerAt ?? now);
}

/**
 * Brings a fresh LCP into `state` through real events only (no field is set by hand). Where
 * a request of ours exists it is the last one sent; Opened is reached by ordinary negotiation
 * (Ack-Sent, then the peer's Ack), the path on which an Opened layer used to forget its request.
 */
function reach(state: number, literal = true): Box {
  const b = fresh(literal);
  const { lcp } = b;
  const peerReq = (): void => lcp.input({ kind: 'conf-req', identifier: 50, options: [MRU_OK] }, 0);
  const ack = (): void => lcp.input({ kind: 'conf-ack', identifier: lcp.reqId, options: OURS }, 0);
  switch (state) {
    case State.Initial: break;
    case State.Starting: lcp.open(0); break;
    case State.Closed: lcp.open(0); lcp.up(0); lcp.close(0); expire(lcp, 0); expire(lcp, 0); break; // Max-Terminate 2
    case State.Stopped: lcp.open(0); lcp.up(0); for (let i = 0; i < 10; i++) expire(lcp, 0); break; // Max-Configure 10
    case State.Closing: lcp.open(0); lcp.up(0); lcp.close(0); break;
    // Closing, then Open (5r): a Terminate-Request is left to send, so both TO+ and TO- can happen.
    case State.Stopping: lcp.open(0); lcp.up(0); lcp.close(0); lcp.open(0); break;
    case State.ReqSent: lcp.open(0); lcp.up(0); break;
    case State.AckRcvd: lcp.open(0); lcp.up(0); ack(); break;
    case State.AckSent: lcp.open(0); lcp.up(0); peerReq(); break;
    case State.Opened: lcp.open(0); lcp.up(0); peerReq(); ack(); break;
  }
  assert.equal(STATE_NAMES[lcp.state], STATE_NAMES[state], `reached ${STATE_NAMES[state]}`);
  b.sink.clear();
  return b;
}

/** Causes `ev` the way the wire or the owner would. */
function fire(ev: string, { lcp, sink }: Box, now = 100): void {
  const id = lcp.reqId;
  switch (ev) {
    case 'Up': lcp.up(now); break;
    case 'Down': lcp.down(now); break;
    case 'Open': lcp.open(now); break;
    case 'Close': lcp.close(now); break;
    // TO+ is a timeout with requests left, TO- the one after the last (the counter is only ever
    // driven by the automaton: the states are reached with one request sent).
    case 'TO+': expire(lcp, now); break;
    case 'TO-': {
      if (lcp.timerAt === undefined) lcp.handleTimeout(now);
      while (lcp.timerAt !== undefined && lcp.restartCount > 0) expire(lcp, now);
      sink.clear(); // what the TO+ before it did is not this cell's
      if (lcp.timerAt !== undefined) expire(lcp, now);
      break;
    }
    case 'RCR+': lcp.input({ kind: 'conf-req', identifier: 77, options: [MRU_OK] }, now); break;
    case 'RCR-': lcp.input({ kind: 'conf-req', identifier: 77, options: [MRU_BAD] }, now); break;
    case 'RCA': lcp.input({ kind: 'conf-ack', identifier: id, options: OURS }, now); break;
    case 'RCN': lcp.input({ kind: 'conf-nak', identifier: id, options: [{ kind: 'mru', mru: 1300 }] }, now); break;
    case 'RTR': lcp.input({ kind: 'term-req', identifier: 78, data: EMPTY }, now); break;
    case 'RTA': lcp.input({ kind: 'term-ack', identifier: 79, data: EMPTY }, now); break;
    case 'RUC': lcp.input({ kind: 'other', code: 0x0c, identifier: 80, data: new Uint8Array([0, 0, 0, 0]) }, now); break;
    case 'RXJ+': lcp.input({ kind: 'code-rej', identifier: 81, rejected: new Uint8Array([0x0c, 1, 0, 4]) }, now); break; // code 12: not fatal
    case 'RXJ-': lcp.input({ kind: 'code-rej', identifier: 82, rejected: new Uint8Array([1, 1, 0, 4]) }, now); break; // Configure-Request rejected
    case 'RXR': lcp.input({ kind: 'echo-req', identifier: 83, magic: 0, data: EMPTY }, now); break;
  }
}

/** RFC 1661 §4.4: which packet each send action puts on the wire (scn: a Nak for our MRU_BAD). */
const PACKET: Record<string, string> = { scr: 'conf-req', sca: 'conf-ack', scn: 'conf-nak', str: 'term-req', sta: 'term-ack', scj: 'code-rej', ser: 'echo-reply' };

const EVENTS = ['Up', 'Down', 'Open', 'Close', 'TO+', 'TO-', 'RCR+', 'RCR-', 'RCA', 'RCN', 'RTR', 'RTA', 'RUC', 'RXJ+', 'RXJ-', 'RXR'];

test('every cell of RFC 1661 §4.1 (16 events × 10 states): the actions in order, the counter, the next state', () => {
  let cells = 0;
  let impossible = 0;
  for (const ev of EVENTS) {
    for (let st = 0; st < 10; st++) {
      const box = reach(st);
      const { lcp, sink, counters } = box;
      const before = lcp.restartCount;
      const timerBefore = lcp.timerAt;
      fire(ev, box);
      const where = `${ev} in ${STATE_NAMES[st]}`;
      const want = expected(ev, st);
      if (!want) {
        impossible++;
        assert.equal(lcp.state, st, `${where}: "-" leaves the state alone`);
        assert.deepEqual(sink.trace, [], `${where}: "-" does nothing`);
        // Misuse (Up twice, a packet before the link is up) is counted; a timeout with no timer is no event at all.
        if (!ev.startsWith('TO')) assert.ok(Object.keys(counters).some((k) => k === `lcp.event-${ev}-in-${STATE_NAMES[st]}` || k === 'lcp.stale-reply'), `${where}: counted`);
        continue;
      }
      cells++;
      assert.equal(STATE_NAMES[lcp.state], STATE_NAMES[want.next], `${where}: next state`);
      const visible = want.actions.filter((a) => a !== 'irc' && a !== 'zrc').map((a) => PACKET[a] ?? a);
      assert.deepEqual(sink.trace, visible, `${where}: actions`);
      // §4.6: irc sets Max-Terminate (2) before str, else Max-Configure (10); each scr/str takes one.
      const sends = want.actions.filter((a) => a === 'scr' || a === 'str').length;
      if (want.actions.includes('irc')) assert.equal(lcp.restartCount, (want.actions.includes('str') ? 2 : 10) - sends, `${where}: irc`);
      else if (want.actions.includes('zrc')) assert.equal(lcp.restartCount, 0, `${where}: zrc`);
      else if (!ev.startsWith('TO')) assert.equal(lcp.restartCount, before - sends, `${where}: counter untouched but for sends`);
      // §4.6: the Restart timer runs in Closing, Stopping, Req-Sent, Ack-Rcvd and Ack-Sent only.
      const runs = [4, 5, 6, 7, 8].includes(want.next);
      assert.equal(lcp.timerAt !== undefined, runs, `${where}: restart timer ${runs ? 'runs' : 'stopped'}`);
      // A send (scr/str) or zrc restarts it; otherwise a running timer is left as it was.
      if (runs && sends === 0 && !want.actions.includes('zrc') && !ev.startsWith('TO') && [4, 5, 6, 7, 8].includes(st)) assert.equal(lcp.timerAt, timerBefore, `${where}: timer left alone`);
    }
  }
  assert.equal(cells, 120);
  assert.equal(impossible, 40);
});

test('the automaton runs the RFC table: its parsed table agrees with the hand transcription cell by cell', () => {
  // A second, static check: the text the automaton compiles says what the RFC says.
  EVENT_NAMES.forEach((ev, e) => {
    for (let st = 0; st < 10; st++) {
      const c = STATE_TABLE[e]![st];
      const want = expected(ev, st);
      assert.deepEqual(c ? { actions: [...c.actions], next: c.next } : undefined, want, `${ev} in ${STATE_NAMES[st]}`);
    }
  });
  assert.throws(() => parseStateTable(RFC1661_TABLE.replace('irc,scr/6 ', 'irc,xyz/6 ')), /unknown action/);
});

test('Opened, default settings: a Nak or Reject of our last request restarts negotiation (tld, scr with the hint → Req-Sent)', () => {
  for (const via of ['Ack-Sent then Ack', 'Ack-Rcvd then Configure-Request'] as const) {
    const b = fresh(false);
    const { lcp, sink } = b;
    lcp.open(0);
    lcp.up(0);
    const id = lcp.reqId;
    if (via === 'Ack-Sent then Ack') {
      lcp.input({ kind: 'conf-req', identifier: 50, options: [MRU_OK] }, 0);
      lcp.input({ kind: 'conf-ack', identifier: id, options: OURS }, 0);
    } else {
      lcp.input({ kind: 'conf-ack', identifier: id, options: OURS }, 0);
      lcp.input({ kind: 'conf-req', identifier: 50, options: [MRU_OK] }, 0);
    }
    assert.equal(lcp.state, State.Opened, via);
    sink.clear();
    lcp.input({ kind: 'conf-nak', identifier: id, options: [{ kind: 'mru', mru: 1300 }] }, 10);
    assert.equal(lcp.stateName, 'Req-Sent', `${via}: RCN in Opened`);
    assert.deepEqual(sink.trace, ['tld', 'conf-req']);
    const req = sink.tx[0]!.packet;
    assert.ok(req.kind === 'conf-req');
    assert.notEqual(req.identifier, id, 'a new request, a new Identifier');
    assert.deepEqual(req.options, [{ kind: 'mru', mru: 1300 }], 'the hint is taken');
    assert.equal(lcp.restartCount, 9, 'scr without irc: the counter goes on from Max-Configure (the RFC prints no irc here)');
  }
  // A Configure-Reject is an RCN too (§4.3), if it names only options we sent (§5.4).
  const b = reach(State.Opened, false);
  const id = b.lcp.reqId;
  b.lcp.input({ kind: 'conf-rej', identifier: id, options: [{ kind: 'mru', mru: 1500 }] }, 10);
  assert.equal(b.lcp.state, State.Opened, 'a Reject of an option we did not send is discarded');
  assert.equal(b.counters['lcp.bad-reject'], 1);
  b.lcp.input({ kind: 'conf-rej', identifier: id, options: OURS }, 11);
  assert.equal(b.lcp.stateName, 'Req-Sent');
  assert.deepEqual(b.sink.trace, ['tld', 'conf-req']);
  const req = b.sink.tx[0]!.packet;
  assert.deepEqual(req.kind === 'conf-req' && req.options, [], 'the rejected MRU is left out');
});

test('Opened, default settings: a reply with another Identifier is discarded (§5.2, §5.3); a second Ack of the opening request is a duplicate', () => {
  const { lcp, sink, counters } = reach(State.Opened, false);
  const id = lcp.reqId;
  const other = (id + 1) & 0xff;
  lcp.input({ kind: 'conf-ack', identifier: other, options: OURS }, 10);
  lcp.input({ kind: 'conf-nak', identifier: other, options: [{ kind: 'mru', mru: 1300 }] }, 11);
  lcp.input({ kind: 'conf-rej', identifier: (id - 1) & 0xff, options: OURS }, 12);
  assert.equal(counters['lcp.stale-reply'], 3);
  lcp.input({ kind: 'conf-ack', identifier: id, options: [MRU_OK] }, 13);
  assert.equal(counters['lcp.bad-ack'], undefined, 'a duplicate is recognised before its options are compared');
  lcp.input({ kind: 'conf-ack', identifier: id, options: OURS }, 14);
  // The only Ack that passes §5.2 in Opened is another copy of the one that opened the layer
  // (a network duplicate, or the peer answering our retransmission): pppd's seen_ack drops it.
  assert.equal(counters['lcp.duplicate-ack'], 2);
  assert.equal(lcp.state, State.Opened);
  assert.deepEqual(sink.trace, [], 'nothing sent, the layer stays up');
  // With the RFC table literally, that same Ack restarts negotiation (tld,scr/6x)…
  const lit = reach(State.Opened, true);
  lit.lcp.input({ kind: 'conf-ack', identifier: (lit.lcp.reqId + 1) & 0xff, options: OURS }, 10);
  assert.equal(lit.lcp.state, State.Opened, '…but a wrong Identifier is discarded there too');
  assert.equal(lit.counters['lcp.stale-reply'], 1);
  lit.lcp.input({ kind: 'conf-ack', identifier: lit.lcp.reqId, options: [MRU_OK] }, 11);
  assert.equal(lit.counters['lcp.bad-ack'], 1, 'and an Ack whose options differ from the request (§5.2)');
  lit.lcp.input({ kind: 'conf-ack', identifier: lit.lcp.reqId, options: OURS }, 12);
  assert.equal(lit.lcp.stateName, 'Req-Sent');
  assert.deepEqual(lit.sink.trace, ['tld', 'conf-req']);
});

test('Opened by proxy LCP (the LAC\'s negotiation taken over): a Nak of that request restarts, a late Ack of it is a duplicate', () => {
  const sink = new TraceSink();
  const counters: Record<string, number> = {};
  const lcp = new Lcp(lcpConfig({ magic: false, authenticateWith: [], echoIntervalMs: 0 }), sink, counters);
  const sent = encode(lcpPacket, { kind: 'conf-req', identifier: 0, options: OURS }).subarray(4);
  const rcvd = encode(lcpPacket, { kind: 'conf-req', identifier: 0, options: [MRU_OK] }).subarray(4);
  lcp.open(0);
  assert.ok(lcp.acceptProxy(sent, rcvd, 0));
  assert.equal(lcp.state, State.Opened);
  sink.clear();
  lcp.input({ kind: 'conf-ack', identifier: lcp.reqId, options: OURS }, 1);
  assert.equal(counters['lcp.duplicate-ack'], 1);
  lcp.input({ kind: 'conf-nak', identifier: lcp.reqId, options: [{ kind: 'mru', mru: 1300 }] }, 2);
  assert.equal(lcp.stateName, 'Req-Sent');
  assert.deepEqual(sink.trace, ['tld', 'conf-req']);
});

test('two LCPs: a late Nak to an open layer renegotiates, and both sides are Opened again with the Nak\'d value', () => {
  const a = fresh(false);
  const b = fresh(false);
  const wire = (from: Box, to: Box): boolean => {
    const m = from.sink.tx.shift();
    if (!m) return false;
    if (m.protocol === 0xc021) to.lcp.input(m.packet as never, 1);
    return true;
  };
  const pump = (): void => {
    for (let i = 0; i < 100 && (wire(a, b) || wire(b, a)); i++);
  };
  a.lcp.open(0); b.lcp.open(0); a.lcp.up(0); b.lcp.up(0);
  pump();
  assert.ok(a.lcp.opened && b.lcp.opened);
  // B re-evaluates A's last request (as if it had just received a retransmission) and Naks it.
  const aReq = a.lcp.reqId;
  a.lcp.input({ kind: 'conf-nak', identifier: aReq, options: [{ kind: 'mru', mru: 1400 }] }, 2);
  assert.equal(a.lcp.stateName, 'Req-Sent');
  pump();
  assert.ok(a.lcp.opened && b.lcp.opened, `${a.lcp.stateName} / ${b.lcp.stateName}`);
  assert.equal(a.lcp.negotiated().mru, 1400);
  assert.equal(a.sink.trace.filter((x) => x === 'tlu').length, 2, 'A came up twice');
  assert.equal(b.sink.trace.filter((x) => x === 'tlu').length, 2, 'B renegotiated with it (RCR in Opened)');
});

test('the machine\'s packed counts: every state, Restart count, Nak count and request Identifier reads back as set, independently; the Restart count never wraps below zero', () => {
  const { lcp } = fresh(true);
  const m = lcp as unknown as { restartCount: number; failureCount: number; reqId: number; state: number };
  for (const st of Object.values(State) as number[]) {
    for (const [restart, fail, id] of [[0, 0, -1], [255, 255, 255], [10, 5, 0], [1, 254, 128]] as const) {
      m.state = st;
      m.restartCount = restart;
      m.failureCount = fail;
      m.reqId = id;
      assert.deepEqual([m.state, m.restartCount, m.failureCount, m.reqId], [st, restart, fail, id]);
    }
  }
  m.restartCount = 0;
  m.restartCount--;
  assert.equal(m.restartCount, 0, 'spent stays spent (an scr in Opened decrements without an irc)');
  m.failureCount = 300;
  assert.equal(m.failureCount, 255, 'the Nak count saturates');
});

test('a machine configuration with counts beyond what it can hold is refused, naming the field', () => {
  assert.throws(() => lcpConfig({ fsm: { ...DEFAULT_FSM, maxConfigure: 256 } }), /fsm\.maxConfigure: a whole number in 0\.\.255, not 256/);
  assert.throws(() => lcpConfig({ fsm: { ...DEFAULT_FSM, maxFailure: -1 } }), /fsm\.maxFailure/);
  assert.throws(() => lcpConfig({ fsm: { ...DEFAULT_FSM, maxTerminate: 2.5 } }), /fsm\.maxTerminate/);
  assert.throws(() => lcpConfig({ fsm: { ...DEFAULT_FSM, restartMs: 0 } }), /fsm\.restartMs/);
  assert.equal(lcpConfig({ fsm: { ...DEFAULT_FSM, maxConfigure: 255 } }).fsm.maxConfigure, 255);
  // LCP counts unanswered echoes and Magic-Number collisions in a few bits of one integer.
  assert.throws(() => lcpConfig({ echoFailure: 2048 }), /lcp\.echoFailure: a whole number in 1\.\.2047, not 2048/);
  assert.throws(() => lcpConfig({ echoFailure: 0 }), /lcp\.echoFailure/);
  assert.throws(() => lcpConfig({ loopbackLimit: 1024 }), /lcp\.loopbackLimit: a whole number in 1\.\.1023, not 1024/);
  assert.equal(lcpConfig({ echoFailure: 2047, loopbackLimit: 1023 }).echoFailure, 2047);
});
