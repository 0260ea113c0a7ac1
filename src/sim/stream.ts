/**
 * What a run produces over time goes to files as it happens, in bounded memory: an
 * `AppendFile` holds at most one 64 KiB buffer (written with fs.writeSync when full, at the
 * end of the event-loop turn, and at close), `Recent` keeps the last N items for whoever
 * asks (tests, `show events`), and `openRunFiles` gives a network its sinks: events.jsonl,
 * accounting.jsonl and one pcapng per link (section header and interface block first, then
 * an enhanced packet block per frame).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { PcapngWriter, LinkType } from '../wire/pcap.js';
import { hex } from '../wire/bytes.js';
import type { AccountingLine } from '../roles/radius-server.js';

/** Where a network puts what it produces over time (src/sim/network.ts `NetworkOptions.sinks`). */
export interface NetworkSinks<E = unknown> {
  /** Every event, as it happens. */
  readonly events?: (e: E) => void;
  /** Every accounting record an embedded RADIUS server logs. */
  readonly accounting?: (line: AccountingLine) => void;
  /** A capture for link `link` (asked once, when the link is made): every frame sent on it is written as it is sent. */
  readonly capture?: (link: string) => { readonly writer: PcapngWriter; readonly interfaceId: number } | undefined;
}

/** Bytes buffered before a write. */
export const STREAM_BUFFER = 64 * 1024;

/** An append-only file with one bounded write buffer. Synchronous, so a virtual-clock run that never yields stays bounded too. */
export class AppendFile {
  private fd: number | undefined;
  private buf = Buffer.allocUnsafe(STREAM_BUFFER);
  private used = 0;
  private flushQueued = false;
  /** Bytes handed to `write` so far. */
  bytes = 0;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'w');
  }

  write(data: Uint8Array | string): void {
    if (this.fd === undefined) return;
    const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.bytes += b.length;
    if (this.used + b.length > this.buf.length) this.flush();
    if (b.length >= this.buf.length) {
      writeAll(this.fd, b);
      return;
    }
    this.buf.set(b, this.used);
    this.used += b.length;
    // On the wall clock the event loop turns: what one turn wrote reaches the file at its end.
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        this.flush();
      }).unref();
    }
  }

  flush(): void {
    if (this.fd === undefined || this.used === 0) return;
    writeAll(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  for (let o = 0; o < b.length; ) o += writeSync(fd, b, o, b.length - o);
}

/** The last `capacity` items (0 keeps none): a ring, so memory does not grow with run time. */
export class Recent<T> implements Iterable<T> {
  private readonly items: T[] = [];
  private head = 0;
  /** Items pushed so far (kept or not). */
  total = 0;

  constructor(readonly capacity: number) {}

  /** Counts an item that is not kept (a ring of capacity 0 keeps none: the caller need not make it). */
  skip(): void {
    this.total++;
  }

  push(x: T): void {
    this.total++;
    if (this.capacity <= 0) return;
    if (this.items.length < this.capacity) this.items.push(x);
    else {
      this.items[this.head] = x;
      this.head = (this.head + 1) % this.capacity;
    }
  }

  get length(): number {
    return this.items.length;
  }

  /** Oldest first. */
  toArray(): T[] {
    return [...this.items.slice(this.head), ...this.items.slice(0, this.head)];
  }

  filter(f: (x: T) => boolean): T[] {
    return this.toArray().filter(f);
  }

  find(f: (x: T) => boolean): T | undefined {
    return this.toArray().find(f);
  }

  some(f: (x: T) => boolean): boolean {
    return this.toArray().some(f);
  }

  map<U>(f: (x: T) => U): U[] {
    return this.toArray().map(f);
  }

  clear(): void {
    this.items.length = 0;
    this.head = 0;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.toArray()[Symbol.iterator]();
  }
}

/** One JSON line per value; bytes as hex (a frame in an event), so a line is readable and bounded by what it describes. */
export function jsonLine(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? hex(x) : x)) + '\n';
}

export interface RunFiles {
  readonly sinks: NetworkSinks;
  /** Flushes and closes every file; returns their paths. */
  close(): string[];
}

/**
 * Opens `dir`/events.jsonl, `dir`/accounting.jsonl and, with `capture`, `dir`/LINK.pcapng for
 * each link the network creates; the network writes into them as things happen.
 */
export function openRunFiles(dir: string, o: { readonly capture?: boolean; readonly events?: boolean } = {}): RunFiles {
  mkdirSync(dir, { recursive: true });
  const files: AppendFile[] = [];
  const open = (name: string): AppendFile => {
    const f = new AppendFile(path.join(dir, name));
    files.push(f);
    return f;
  };
  const accounting = open('accounting.jsonl');
  const events = o.events === false ? undefined : open('events.jsonl');
  const sinks: NetworkSinks = {
    accounting: (line: AccountingLine) => accounting.write(jsonLine(line)),
    ...(events ? { events: (e: unknown) => events.write(jsonLine(e)) } : {}),
    ...(o.capture === false
      ? {}
      : {
          capture: (link: string) => {
            const f = open(`${link}.pcapng`);
            const w = new PcapngWriter((block) => f.write(block));
            w.addInterface(LinkType.ETHERNET, link);
            return { writer: w, interfaceId: 0 };
          },
        }),
  };
  return {
    sinks,
    close: () => {
      for (const f of files) f.close();
      return files.map((f) => f.file);
    },
  };
}
