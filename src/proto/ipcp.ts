/**
 * IPCP (RFC 1332) on the shared automaton: IP-Address (the giving side Naks with the
 * address it assigns, the asking side takes the Nak's hint) and the DNS server options of
 * RFC 1877. Everything else (VJ compression, NBNS, the old IP-Addresses) is rejected. Sans-IO.
 */
import { ipcpOptions, ipcpPacket, PppProtocol, type ControlPacket, type IpcpOption, type OptionCodec } from '../wire/ppp.js';
import type { Codec } from '../wire/result.js';
import { ACK, REJ, ControlProtocol, DEFAULT_FSM, checkFsm, handlerTable, type FsmConfig, type HandlerTable, type OptionHandler, type PppSink } from './ppp-fsm.js';
import { sharedConfig, type Counters } from './ppp-common.js';

export interface IpcpConfig {
  /** Our own address to announce; 0 asks the peer to assign one (the home side). */
  readonly localAddress: number;
  /**
   * The address we give the peer (the nte side), if the same for every session; a session
   * usually sets its own with `setPeerAddress` (from RADIUS Framed-IP-Address or a pool).
   */
  readonly peerAddress?: number;
  /** Ask for Primary/Secondary DNS (RFC 1877) (the home side). */
  readonly requestDns: boolean;
  /** DNS servers we give when asked (the nte side). */
  readonly dns?: readonly number[];
  readonly fsm: FsmConfig;
}

const sharedIpcp = new Map<string, IpcpConfig>();

/** The defaults with `c` over them; equal plain configurations get one shared object. */
export function ipcpConfig(c: Partial<IpcpConfig> = {}): IpcpConfig {
  return sharedConfig(sharedIpcp, c, (x) => {
    const i = { localAddress: 0, requestDns: false, fsm: DEFAULT_FSM, ...x };
    checkFsm(i.fsm);
    return i;
  });
}

export interface IpcpNegotiated {
  readonly localAddress: number;
  readonly peerAddress: number;
  readonly primaryDns: number | undefined;
  readonly secondaryDns: number | undefined;
}

const ipAddress: OptionHandler<IpcpOption, Ipcp> = {
  type: 3,
  request: (l) => (l.sendAddress ? { kind: 'ip-address', address: l.ourAddress } : undefined),
  received(l, o) {
    if (o.kind !== 'ip-address') return REJ;
    const give = l.assign;
    if (give !== undefined) {
      if (o.address === give) {
        l.hisAddress = o.address;
        return ACK;
      }
      return { kind: 'ip-address', address: give };
    }
    // Nothing to give: accept the peer's own address, refuse to invent one (pppd does the same).
    if (o.address === 0) return REJ;
    l.hisAddress = o.address;
    return ACK;
  },
  missing: (l) => (l.assign === undefined ? undefined : { kind: 'ip-address', address: l.assign }),
  nak(l, o) {
    if (o.kind === 'ip-address' && l.cfg.localAddress === 0) l.ourAddress = o.address;
    return true;
  },
  reject(l) {
    l.sendAddress = false;
  },
};

function dnsHandler(kind: 'primary-dns' | 'secondary-dns', type: number, index: 0 | 1): OptionHandler<IpcpOption, Ipcp> {
  return {
    type,
    request: (l) => {
      const v = index === 0 ? l.dns1 : l.dns2;
      return v === undefined ? undefined : { kind, address: v };
    },
    received(l, o) {
      const give = l.cfg.dns?.[index];
      if (o.kind !== kind || give === undefined) return REJ;
      return o.address === give ? ACK : { kind, address: give };
    },
    nak(l, o) {
      if (o.kind !== kind) return true;
      if (index === 0 && l.dns1 !== undefined) l.dns1 = o.address;
      if (index === 1 && l.dns2 !== undefined) l.dns2 = o.address;
      return true;
    },
    reject(l) {
      if (index === 0) l.dns1 = undefined;
      else l.dns2 = undefined;
    },
  };
}

/** Request order: IP-Address, Primary DNS, Secondary DNS (as pppd sends them). */
const IPCP_HANDLERS = handlerTable<IpcpOption, Ipcp>([ipAddress, dnsHandler('primary-dns', 129, 0), dnsHandler('secondary-dns', 131, 1)]);

export class Ipcp extends ControlProtocol<IpcpOption> {
  get protocol(): number {
    return PppProtocol.IPCP;
  }
  get name(): string {
    return 'ipcp';
  }
  protected get fsm(): FsmConfig {
    return this.cfg.fsm;
  }
  protected get handlers(): HandlerTable<IpcpOption, this> {
    return IPCP_HANDLERS as HandlerTable<IpcpOption, this>;
  }
  protected get options(): OptionCodec<IpcpOption> {
    return ipcpOptions;
  }
  protected get codec(): Codec<ControlPacket<IpcpOption>> {
    return ipcpPacket as Codec<ControlPacket<IpcpOption>>;
  }

  /**
   * Addresses are held as signed 32-bit values (`| 0`): a field holding an unsigned one of
   * 2^31 or more (most unicast addresses) keeps it in a heap number box of its own, 16 bytes
   * each per link; the accessors give the unsigned values, as on the wire.
   */
  private our32 = 0;
  private his32 = 0;
  private assign32: number | undefined = undefined;
  private dns1_32: number | undefined = undefined;
  private dns2_32: number | undefined = undefined;
  sendAddress = true;

  get ourAddress(): number {
    return this.our32 >>> 0;
  }
  set ourAddress(a: number) {
    this.our32 = a | 0;
  }
  /** The address we give the peer (this session's). */
  get assign(): number | undefined {
    return this.assign32 === undefined ? undefined : this.assign32 >>> 0;
  }
  set assign(a: number | undefined) {
    this.assign32 = a === undefined ? undefined : a | 0;
  }
  get hisAddress(): number {
    return this.his32 >>> 0;
  }
  set hisAddress(a: number) {
    this.his32 = a | 0;
  }
  /** Primary / secondary DNS we are asking for (undefined: not asking, or rejected). */
  get dns1(): number | undefined {
    return this.dns1_32 === undefined ? undefined : this.dns1_32 >>> 0;
  }
  set dns1(a: number | undefined) {
    this.dns1_32 = a === undefined ? undefined : a | 0;
  }
  get dns2(): number | undefined {
    return this.dns2_32 === undefined ? undefined : this.dns2_32 >>> 0;
  }
  set dns2(a: number | undefined) {
    this.dns2_32 = a === undefined ? undefined : a | 0;
  }

  constructor(
    readonly cfg: IpcpConfig,
    sink: PppSink,
    counters: Counters = {},
  ) {
    super(sink, counters);
    this.ourAddress = cfg.localAddress;
    this.assign = cfg.peerAddress;
    this.dns1 = cfg.requestDns ? 0 : undefined;
    this.dns2 = this.dns1;
  }

  /** The address this session gives the peer (before or during negotiation). */
  setPeerAddress(a: number): void {
    this.assign = a;
  }

  protected send(p: ControlPacket<IpcpOption>): void {
    this.sink.send({ protocol: PppProtocol.IPCP, packet: p as never });
  }

  negotiated(): IpcpNegotiated {
    return { localAddress: this.ourAddress, peerAddress: this.hisAddress, primaryDns: this.dns1, secondaryDns: this.dns2 };
  }
}
