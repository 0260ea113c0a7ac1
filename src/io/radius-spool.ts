/**
 * The write-ahead accounting spool: every record is appended to one file when it is made
 * (group-committed: one write and one fsync per event-loop turn, or sooner when asked) and
 * leaves it only when the server has acknowledged it (an acknowledgement line). A process
 * killed at any moment finds, on restart, every record not yet acknowledged, unchanged, so
 * they are sent again with the same Acct-Session-Id (the server drops duplicates). The
 * file is emptied whenever nothing in it is unacknowledged, and compacted when it grows.
 * It is also the overflow of the client's bounded in-memory queue: spilled records are
 * read back from their place in the file. With `fsyncInBackground` the write stays in the
 * commit (a kill -9 loses nothing written) and the fsync runs in libuv's thread pool, one at
 * a time, so the event loop never waits for the disk; `whenDurable` says when what was
 * committed is on disk.
 */
import { close as closeAsync, closeSync, fstatSync, fsync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { AcctStatusType, AcctTerminateCause } from '../wire/radius-dictionary.js';
import { recordFromJson, recordToJson, type AccountingJournal, type AccountingRecord, type AccountingSpool } from '../proto/radius-client.js';

export interface FileSpoolOptions {
  /** fsync at each commit (default true): durable across power loss too, not only kill -9. */
  readonly fsync?: boolean;
  /** Commit at the end of each event-loop turn (default true); the owner may `commit()` sooner. */
  readonly commitPerTurn?: boolean;
  /**
   * The fsync of a commit runs off the event loop (default false: inside `commit()`); whoever
   * needs the power-loss guarantee before acting waits for `whenDurable`.
   */
  readonly fsyncInBackground?: boolean;
  /**
   * With `fsyncInBackground`: the least time from the start of one fsync to the start of the
   * next (default 0: the next starts as soon as one returns). Commits meanwhile wait for the
   * one fsync after the interval, so a disk that answers in a tenth of a millisecond costs at
   * most 1000 / interval fsyncs a second, not one per event-loop turn, and `whenDurable` is
   * late by at most the interval. A kill -9 still loses nothing (the write is in the commit).
   */
  readonly fsyncIntervalMs?: number;
}

/** Buffered bytes that force a commit at once (a virtual-clock run never yields a turn). */
const COMMIT_BYTES = 64 * 1024;
/** A file this large with few records left unacknowledged is rewritten with just those. */
const COMPACT_BYTES = 4 * 1024 * 1024;

interface Place {
  readonly at: number;
  readonly len: number;
}

export interface FileSpoolCounters {
  commits: number;
  fsyncs: number;
  /** Background fsyncs that failed (tried again with the next). */
  fsyncErrors: number;
  /** Times the file was emptied (everything acknowledged) or rewritten smaller. */
  truncations: number;
  compactions: number;
  /** At open: a torn last line (killed while appending), cut off. */
  tornTail: number;
  /** At open: lines that did not parse (skipped). */
  badLines: number;
  /** At open: unacknowledged records found. */
  recovered: number;
  /** At open: sessions left open by the earlier process, given a Stop (NAS-Reboot). */
  stoppedAtRestart: number;
}

export class FileSpool implements AccountingSpool, AccountingJournal {
  readonly counters: FileSpoolCounters = { commits: 0, fsyncs: 0, fsyncErrors: 0, truncations: 0, compactions: 0, tornTail: 0, badLines: 0, recovered: 0, stoppedAtRestart: 0 };
  private fd: number;
  /** Committed bytes in the file. */
  private size = 0;
  private buffered: string[] = [];
  private bufferedBytes = 0;
  private commitQueued = false;
  /** Every record written and not acknowledged: where its line is. */
  private readonly unacked = new Map<number, Place>();
  /** Records the client spilled out of memory (in the file already), oldest first. */
  private spilled: number[] = [];
  private spillHead = 0;
  private left: AccountingRecord[] = [];
  private closed = false;
  // Background fsync: commits that wrote bytes are numbered; `durable` is the highest whose
  // bytes an fsync has covered; at most one fsync in flight; waiters in commit order.
  private written = 0;
  private durable = 0;
  private syncing = false;
  /** When the last background fsync started (performance.now()), and the timer for the next one. */
  private syncStartedAt = -Infinity;
  private syncTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private readonly waiters: { gen: number; cb: () => void }[] = [];
  private closeAfterSync = false;
  /** Highest `seq` seen in the file, so a restarted client keeps numbering upward. */
  maxSeq = -1;
  /**
   * Sessions whose Start was journalled and whose Stop was not: kept in the file (as `O`
   * lines after a compaction) so that a process killed with sessions up can send their Stops
   * (Acct-Terminate-Cause NAS-Reboot) when it starts again.
   */
  private readonly open = new Map<string, AccountingRecord>();

  constructor(
    readonly file: string,
    private readonly options: FileSpoolOptions = {},
  ) {
    this.fd = openSync(file, 'a+');
    this.recover();
  }

  /** Records not acknowledged yet, in the file or about to be. */
  get unacknowledged(): number {
    return this.unacked.size;
  }

  // ---- AccountingJournal -------------------------------------------------------------

  record(r: AccountingRecord): void {
    if (this.closed || this.unacked.has(r.seq)) return;
    this.track(r);
    const line = `R${recordToJson(r)}\n`;
    this.unacked.set(r.seq, { at: this.size + this.bufferedBytes, len: Buffer.byteLength(line) });
    if (r.seq > this.maxSeq) this.maxSeq = r.seq;
    this.buffer(line);
  }

  acknowledge(r: AccountingRecord): void {
    if (this.closed || !this.unacked.delete(r.seq)) return;
    this.buffer(`A${r.seq}\n`);
  }

  pending(): readonly AccountingRecord[] {
    const l = this.left;
    this.left = [];
    return l;
  }

  // ---- AccountingSpool (the overflow of the client's memory queue) -------------------

  get length(): number {
    return this.spilled.length - this.spillHead;
  }

  append(records: readonly AccountingRecord[]): void {
    for (const r of records) {
      this.record(r);
      this.spilled.push(r.seq);
    }
  }

  take(n: number): AccountingRecord[] {
    this.commit();
    const out: AccountingRecord[] = [];
    while (out.length < n && this.spillHead < this.spilled.length) {
      const seq = this.spilled[this.spillHead++]!;
      const p = this.unacked.get(seq);
      if (!p) continue;
      const buf = Buffer.alloc(p.len);
      readSync(this.fd, buf, 0, p.len, p.at);
      const r = parseRecord(buf.toString('utf8', 0, p.len - 1));
      if (r) out.push(r);
    }
    if (this.spillHead > 4096 && this.spillHead * 2 > this.spilled.length) {
      this.spilled = this.spilled.slice(this.spillHead);
      this.spillHead = 0;
    }
    return out;
  }

  // ---- the file ----------------------------------------------------------------------

  /** Writes what is buffered (one write, one fsync). Runs by itself once per event-loop turn. */
  commit(): void {
    if (this.closed || this.bufferedBytes === 0) return;
    if (this.unacked.size === 0 && this.length === 0 && this.open.size === 0) {
      // Everything written has been acknowledged and no session is open: the file can be empty again.
      ftruncateSync(this.fd, 0);
      this.size = 0;
      this.counters.truncations++;
    } else {
      const data = this.buffered.join('');
      writeAll(this.fd, Buffer.from(data, 'utf8'));
      this.size += this.bufferedBytes;
    }
    this.buffered = [];
    this.bufferedBytes = 0;
    this.counters.commits++;
    this.written++;
    if (this.options.fsync ?? true) {
      if (this.options.fsyncInBackground) this.syncSoon();
      else {
        fsyncSync(this.fd);
        this.counters.fsyncs++;
        this.durable = this.written;
      }
    } else this.durable = this.written;
    // Never while a background fsync holds the descriptor (the compaction replaces it).
    if (!this.syncing && this.size > COMPACT_BYTES && (this.unacked.size + this.open.size) * 512 < this.size / 4) this.compact();
  }

  /**
   * `cb` runs once everything committed so far is on disk (at once when it is): after the
   * background fsync that covers it, in the order asked.
   */
  whenDurable(cb: () => void): void {
    if (this.durable >= this.written) return cb();
    this.waiters.push({ gen: this.written, cb });
  }

  private syncSoon(): void {
    if (this.syncing || this.syncTimer !== undefined) return;
    const wait = this.syncStartedAt + (this.options.fsyncIntervalMs ?? 0) - performance.now();
    if (wait > 0) {
      this.syncTimer = setTimeout(this.syncAfterInterval, wait);
      return;
    }
    this.syncing = true;
    this.syncStartedAt = performance.now();
    const gen = this.written;
    fsync(this.fd, (err) => {
      this.syncing = false;
      this.counters.fsyncs++;
      // An error leaves `durable` where it was: the next fsync covers these bytes too.
      if (!err) this.durable = Math.max(this.durable, gen);
      else this.counters.fsyncErrors++;
      if (this.closeAfterSync) {
        this.closeAfterSync = false;
        closeAsync(this.fd, () => undefined);
      }
      while (this.waiters.length && this.waiters[0]!.gen <= this.durable) this.waiters.shift()!.cb();
      if (!this.closed && this.written > this.durable) {
        // After a failure, not at once in a loop: the next turn's commit asks again.
        if (err) setImmediate(() => !this.closed && this.syncSoon());
        else this.syncSoon();
      }
    });
  }

  private readonly syncAfterInterval = (): void => {
    this.syncTimer = undefined;
    if (!this.closed) this.syncSoon();
  };

  close(): void {
    if (this.closed) return;
    this.commit();
    this.closed = true;
    if (this.syncTimer !== undefined) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    if (this.written > this.durable) {
      fsyncSync(this.fd);
      this.counters.fsyncs++;
      this.durable = this.written;
    }
    // A background fsync still running owns the descriptor until it returns.
    if (this.syncing) this.closeAfterSync = true;
    else closeSync(this.fd);
    for (const w of this.waiters.splice(0)) w.cb();
  }

  private buffer(line: string): void {
    this.buffered.push(line);
    this.bufferedBytes += Buffer.byteLength(line);
    if (this.bufferedBytes >= COMMIT_BYTES) return this.commit();
    if (!this.commitQueued && (this.options.commitPerTurn ?? true)) {
      this.commitQueued = true;
      setImmediate(() => {
        this.commitQueued = false;
        this.commit();
      });
    }
  }

  /** A Start opens its session, a Stop closes it. */
  private track(r: AccountingRecord): void {
    if (r.statusType === AcctStatusType.START) this.open.set(r.sessionId, r);
    else if (r.statusType === AcctStatusType.STOP) this.open.delete(r.sessionId);
  }

  /** Rewrites the file with the open sessions' Starts and the unacknowledged records (temporary file, fsync, rename). */
  private compact(): void {
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    const places = [...this.unacked].sort((a, b) => a[0] - b[0]);
    let at = 0;
    const acked = [...this.open.values()].filter((r) => !this.unacked.has(r.seq));
    if (acked.length) {
      const opens = Buffer.from(acked.map((r) => `O${recordToJson(r)}\n`).join(''), 'utf8');
      writeAll(fd, opens);
      at = opens.length;
    }
    const moved = new Map<number, Place>();
    for (const [seq, p] of places) {
      const buf = Buffer.alloc(p.len);
      readSync(this.fd, buf, 0, p.len, p.at);
      writeAll(fd, buf);
      moved.set(seq, { at, len: p.len });
      at += p.len;
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a+');
    this.size = at;
    for (const [seq, p] of moved) this.unacked.set(seq, p);
    this.counters.compactions++;
  }

  /** Reads the file an earlier process left: every record without an acknowledgement is pending. */
  private recover(): void {
    let size = fstatSync(this.fd).size;
    if (size === 0) return;
    const buf = Buffer.alloc(size);
    for (let o = 0; o < size; ) {
      const n = readSync(this.fd, buf, o, size - o, o);
      if (n <= 0) break;
      o += n;
    }
    const lastNl = buf.lastIndexOf(10);
    if (lastNl !== size - 1) {
      // A torn last line (killed while appending): cut it off, or the next append would join it.
      this.counters.tornTail++;
      size = lastNl + 1;
      ftruncateSync(this.fd, size);
    }
    const records = new Map<number, AccountingRecord>();
    for (let start = 0; start < size; ) {
      const nl = buf.indexOf(10, start);
      const line = buf.toString('utf8', start, nl);
      if (line.startsWith('R') || line.startsWith('O')) {
        const r = parseRecord(line.slice(1));
        if (r) {
          this.track(r);
          if (line.startsWith('R')) {
            records.set(r.seq, r);
            this.unacked.set(r.seq, { at: start, len: nl + 1 - start });
          }
          if (r.seq > this.maxSeq) this.maxSeq = r.seq;
        } else this.counters.badLines++;
      } else if (line.startsWith('A')) {
        const seq = Number(line.slice(1));
        records.delete(seq);
        this.unacked.delete(seq);
      } else if (line.length) this.counters.badLines++;
      start = nl + 1;
    }
    this.size = size;
    this.left = [...records.values()].sort((a, b) => a.seq - b.seq);
    this.counters.recovered = this.left.length;
    // Sessions that were up when the earlier process died: nobody will end them but us. Their
    // Stop says NAS-Reboot (RFC 2866 §5.10), their time runs to the file's last write (when
    // that process was last seen alive), and it is journalled like any record.
    const lastAlive = fstatSync(this.fd).mtimeMs;
    for (const start of [...this.open.values()].sort((a, b) => a.seq - b.seq)) {
      const { seq: _seq, createdAt: _createdAt, eventTimestamp: _ts, statusType: _st, ...session } = start;
      const stop: AccountingRecord = {
        ...session,
        statusType: AcctStatusType.STOP,
        terminateCause: AcctTerminateCause.NAS_REBOOT,
        sessionTime: Math.max(0, Math.round((lastAlive - start.createdAt) / 1000)),
        seq: ++this.maxSeq,
        createdAt: Date.now(),
      };
      this.record(stop);
      this.left.push(stop);
      this.counters.stoppedAtRestart++;
    }
  }
}

function parseRecord(line: string): AccountingRecord | undefined {
  try {
    return recordFromJson(line.startsWith('R') || line.startsWith('O') ? line.slice(1) : line);
  } catch {
    return undefined;
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  for (let o = 0; o < b.length; ) o += writeSync(fd, b, o, b.length - o);
}
