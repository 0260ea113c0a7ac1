/**
 * A file-backed accounting spool: records as JSON lines appended to one file, read from an
 * offset kept in a side file, so a restarted client finds what it had not sent yet, in order.
 * The file is emptied once everything in it has been taken.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { recordFromJson, recordToJson, type AccountingRecord, type AccountingSpool } from '../proto/radius-client.js';

export interface FileSpoolOptions {
  /** fsync after each append (durable across power loss; slower). */
  readonly fsync?: boolean;
}

export class FileSpool implements AccountingSpool {
  private fd: number;
  private readOffset: number;
  private count: number;
  /** Highest `seq` seen in the file, so a restarted client keeps numbering upward. */
  maxSeq = -1;

  constructor(
    readonly file: string,
    private readonly options: FileSpoolOptions = {},
  ) {
    this.fd = openSync(file, 'a+');
    const offFile = `${file}.offset`;
    this.readOffset = existsSync(offFile) ? Number(readFileSync(offFile, 'utf8')) || 0 : 0;
    let size = fstatSync(this.fd).size;
    if (this.readOffset > size) this.readOffset = 0;
    this.count = 0;
    if (size > this.readOffset) {
      const text = this.read(this.readOffset, size - this.readOffset);
      const lastNl = text.lastIndexOf('\n');
      // A torn last line (a crash while appending) is cut off, or appends would join it.
      if (lastNl < text.length - 1) {
        size = this.readOffset + Buffer.byteLength(text.slice(0, lastNl + 1));
        ftruncateSync(this.fd, size);
      }
      for (const line of text.slice(0, lastNl + 1).split('\n')) {
        if (!line) continue;
        this.count++;
        const r = parseLine(line);
        if (r) this.maxSeq = Math.max(this.maxSeq, r.seq);
      }
    }
  }

  get length(): number {
    return this.count;
  }

  append(records: readonly AccountingRecord[]): void {
    if (records.length === 0) return;
    writeSync(this.fd, records.map((r) => recordToJson(r) + '\n').join(''));
    if (this.options.fsync) fsyncSync(this.fd);
    this.count += records.length;
    for (const r of records) if (r.seq > this.maxSeq) this.maxSeq = r.seq;
  }

  take(n: number): AccountingRecord[] {
    const out: AccountingRecord[] = [];
    const size = fstatSync(this.fd).size;
    let pos = this.readOffset;
    let chunk = 1 << 16;
    while (out.length < n && pos < size) {
      const len = Math.min(chunk, size - pos);
      const buf = Buffer.alloc(len);
      readSync(this.fd, buf, 0, len, pos);
      let start = 0;
      while (out.length < n) {
        const nl = buf.indexOf(10, start);
        if (nl < 0) break;
        const line = buf.toString('utf8', start, nl);
        start = nl + 1;
        if (!line) continue;
        this.count--;
        const r = parseLine(line);
        if (r) out.push(r);
      }
      if (start === 0) {
        if (len === size - pos) break;
        // No whole line in the chunk: a longer line, read more at once.
        chunk *= 2;
        continue;
      }
      pos += start;
    }
    this.readOffset = pos;
    if (this.count <= 0 || pos >= size) {
      this.count = 0;
      ftruncateSync(this.fd, 0);
      this.readOffset = 0;
    }
    this.saveOffset();
    return out;
  }

  /** Puts records back in front of what is in the file (at shutdown: what was in memory). */
  prepend(records: readonly AccountingRecord[]): void {
    if (records.length === 0) return;
    const size = fstatSync(this.fd).size;
    const rest = size > this.readOffset ? this.read(this.readOffset, size - this.readOffset) : '';
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, records.map((r) => recordToJson(r) + '\n').join('') + rest);
    closeSync(this.fd);
    renameSync(tmp, this.file);
    this.fd = openSync(this.file, 'a+');
    this.readOffset = 0;
    this.count += records.length;
    this.saveOffset();
  }

  close(): void {
    closeSync(this.fd);
  }

  private read(pos: number, len: number): string {
    const buf = Buffer.alloc(len);
    const n = readSync(this.fd, buf, 0, len, pos);
    return buf.subarray(0, n).toString('utf8');
  }

  private saveOffset(): void {
    writeFileSync(`${this.file}.offset`, String(this.readOffset));
  }
}

function parseLine(line: string): AccountingRecord | undefined {
  try {
    return recordFromJson(line);
  } catch {
    return undefined;
  }
}
