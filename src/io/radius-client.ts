/**
 * The RADIUS client on real UDP sockets: drives the sans-IO `RadiusClient` (and, when asked,
 * the RFC 5176 `DynamicAuthorizationServer`) with node:dgram and the wall clock. Source
 * sockets are opened as the machine asks for them (256 identifiers each). With a spool file
 * every accounting record is written ahead to a `FileSpool` (src/io/radius-spool.ts) and
 * leaves it when the server acknowledges it: a restart after kill -9 sends what was left.
 */
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import {
  RadiusClient, type AccessRequestInput, type AccountingInput, type AccountingRecord, type RadiusClientConfig, type RadiusClientEvent,
} from '../proto/radius-client.js';
import { DynamicAuthorizationServer, type DaeConfig, type DaeEvent, type DaeVerdict } from '../proto/radius-dae.js';
import { FileSpool } from './radius-spool.js';
import { ipv4FromString, ipv4ToString } from '../wire/bytes.js';

export type AccessResult = Extract<RadiusClientEvent, { type: 'access-response' }> | Extract<RadiusClientEvent, { type: 'access-timeout' }>;

export interface UdpRadiusClientOptions extends RadiusClientConfig {
  /** Local address of the source sockets (default 0.0.0.0). */
  readonly bind?: string;
  /** The write-ahead accounting spool: survives kill -9; what it holds is sent again at start. */
  readonly spoolFile?: string;
  /** fsync each commit of the spool (default true). */
  readonly spoolFsync?: boolean;
  /** Listen for Disconnect/CoA-Requests (RFC 5176) on this port (3799 is the standard one). */
  readonly dynamicAuthorization?: DaeConfig & { readonly port: number; readonly bind?: string };
}

/** Events: 'warning' (message), 'server-down' / 'server-up' (name), 'accounting-acked' (record). */
export class UdpRadiusClient extends EventEmitter {
  readonly machine: RadiusClient;
  readonly dae: DynamicAuthorizationServer | undefined;
  private readonly sockets: dgram.Socket[] = [];
  private daeSocket: dgram.Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Map<number, (r: AccessResult) => void>();
  private daeHandler: ((ev: DaeEvent) => DaeVerdict | Promise<DaeVerdict>) | undefined;
  private readonly spool: FileSpool | undefined;
  private closed = false;
  /** Every warning so far (also emitted as 'warning', or printed when nobody listens). */
  readonly warnings: string[] = [];

  private constructor(private readonly options: UdpRadiusClientOptions) {
    super();
    this.spool = options.spoolFile ? new FileSpool(options.spoolFile, { fsync: options.spoolFsync ?? true }) : undefined;
    this.machine = new RadiusClient({ ...options, ...(this.spool ? { spool: this.spool, journal: this.spool } : {}) });
    this.dae = options.dynamicAuthorization ? new DynamicAuthorizationServer(options.dynamicAuthorization) : undefined;
  }

  static async start(options: UdpRadiusClientOptions): Promise<UdpRadiusClient> {
    const c = new UdpRadiusClient(options);
    const d = options.dynamicAuthorization;
    if (d) {
      const s = dgram.createSocket('udp4');
      c.daeSocket = s;
      s.on('message', (msg, rinfo) => c.onDae(msg, rinfo));
      s.on('error', (e) => c.emit('warning', `dynamic authorization socket: ${e.message}`));
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(d.port, d.bind ?? '0.0.0.0', () => {
          s.off('error', reject);
          resolve();
        });
      });
    }
    // Deliver the construction-time warnings (e.g. Message-Authenticator not required) once the
    // caller has had a turn to attach listeners; they stay readable in `warnings` too.
    // A spool left by an earlier run starts replaying now (an extra handleTimeout is harmless).
    setImmediate(() => {
      c.machine.handleTimeout(Date.now());
      c.pump();
    });
    return c;
  }

  /** Port the Dynamic Authorization socket listens on. */
  get daePort(): number | undefined {
    return this.daeSocket?.address().port;
  }

  /** Access-Request; resolves with the verified answer or a timeout after every server was tried. */
  authenticate(req: AccessRequestInput): Promise<AccessResult> {
    return new Promise((resolve) => {
      const token = this.machine.accessRequest(req, Date.now());
      this.pending.set(token, resolve);
      this.pump();
    });
  }

  /** Queues a record; with a spool it is written ahead, committed at the end of this turn (or by `commitSpool()`). */
  account(input: AccountingInput): AccountingRecord {
    const r = this.machine.account(input, Date.now());
    this.pump();
    return r;
  }

  /** Commits the spool now (one write and fsync for everything since the last commit): call before reporting what was accounted. */
  commitSpool(): void {
    this.spool?.commit();
  }

  /** The owner of the sessions: answers Disconnect/CoA-Requests (RFC 5176). */
  onDynamicAuthorization(handler: (ev: DaeEvent) => DaeVerdict | Promise<DaeVerdict>): void {
    this.daeHandler = handler;
  }

  /** Closes the sockets; records not yet acknowledged stay in the spool for the next start. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.spool?.close();
    for (const p of this.pending.values()) p({ type: 'access-timeout', token: -1, userName: '' });
    this.pending.clear();
    await Promise.all([...this.sockets, ...(this.daeSocket ? [this.daeSocket] : [])].map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  private socket(i: number): dgram.Socket {
    while (this.sockets.length <= i) {
      const idx = this.sockets.length;
      const s = dgram.createSocket('udp4');
      s.on('message', (msg, rinfo) => {
        if (this.closed) return;
        this.machine.handle({ socket: idx, address: ipv4FromString(rinfo.address), port: rinfo.port, bytes: msg }, Date.now());
        this.pump();
      });
      s.on('error', (e) => this.emit('warning', `RADIUS client socket ${idx}: ${e.message}`));
      s.bind(0, this.options.bind ?? '0.0.0.0');
      this.sockets.push(s);
    }
    return this.sockets[i]!;
  }

  private onDae(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!this.dae || this.closed) return;
    this.dae.handle({ address: ipv4FromString(rinfo.address), port: rinfo.port, bytes: msg }, Date.now());
    this.pump();
  }

  private pump(): void {
    if (this.closed) return;
    for (let t = this.machine.pollTransmit(); t; t = this.machine.pollTransmit()) this.socket(t.socket).send(t.bytes, t.port, ipv4ToString(t.address));
    for (let e = this.machine.pollEvent(); e; e = this.machine.pollEvent()) {
      if (e.type === 'access-response' || e.type === 'access-timeout') {
        const p = this.pending.get(e.token);
        this.pending.delete(e.token);
        p?.(e);
      } else if (e.type === 'warning') {
        this.warnings.push(e.message);
        if (this.listenerCount('warning') === 0) console.warn(`WARNING: ${e.message}`);
        this.emit('warning', e.message);
      } else if (e.type === 'accounting-acked') this.emit('accounting-acked', e.record);
      else this.emit(e.type, e.server);
    }
    if (this.dae) {
      for (let t = this.dae.pollTransmit(); t; t = this.dae.pollTransmit()) this.daeSocket!.send(t.bytes, t.port, ipv4ToString(t.address));
      for (let e = this.dae.pollEvent(); e; e = this.dae.pollEvent()) this.dispatchDae(e);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const next = [this.machine.nextTimeout(), this.dae?.nextTimeout()].filter((x): x is number => x !== undefined);
    if (next.length) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const now = Date.now();
        this.machine.handleTimeout(now);
        this.dae?.handleTimeout(now);
        this.pump();
      }, Math.max(0, Math.min(...next) - Date.now()));
    }
  }

  private dispatchDae(ev: DaeEvent): void {
    const answer = (v: DaeVerdict) => {
      this.dae!.respond(ev.token, v, Date.now());
      this.pump();
    };
    if (!this.daeHandler) return answer({ ack: false, errorCause: 405 /* Unsupported-Service */ });
    Promise.resolve()
      .then(() => this.daeHandler!(ev))
      .then(answer, () => answer({ ack: false, errorCause: 506 /* Resources-Unavailable */ }));
  }
}
