/**
 * IPCP (RFC 1332) on the shared automaton: IP-Address (the giving side Naks with the
 * address it assigns, the asking side takes the Nak's hint) and the DNS server options of
 * RFC 1877. Everything else (VJ compression, NBNS, the old IP-Addresses) is rejected. Sans-IO.
 */
import { ipcpOptions, ipcpPacket, PppProtocol, type ControlPacket, type IpcpOption } from '../wire/ppp.js';
import type { Codec } from '../wire/result.js';
import { ACK, REJ, ControlProtocol, DEFAULT_FSM, handlerTable, type FsmConfig, type HandlerTable, type OptionHandler, type PppSink } from './ppp-fsm.js';
import type { Counters } from './ppp-common.js';

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

export function ipcpConfig(c: Partial<IpcpConfig> = {}): IpcpConfig {
  return { localAddress: 0, requestDns: false, fsm: DEFAULT_FSM, ...c };
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
    request: (l) => (l.dnsWanted[index] === undefined ? undefined : { kind, address: l.dnsWanted[index]! }),
    received(l, o) {
      const give = l.cfg.dns?.[index];
      if (o.kind !== kind || give === undefined) return REJ;
      return o.address === give ? ACK : { kind, address: give };
    },
    nak(l, o) {
      if (o.kind === kind && l.dnsWanted[index] !== undefined) l.dnsWanted[index] = o.address;
      return true;
    },
    reject(l) {
      l.dnsWanted[index] = undefined;
    },
  };
}

/** Request order: IP-Address, Primary DNS, Secondary DNS (as pppd sends them). */
const IPCP_HANDLERS = handlerTable<IpcpOption, Ipcp>([ipAddress, dnsHandler('primary-dns', 129, 0), dnsHandler('secondary-dns', 131, 1)]);

export class Ipcp extends ControlProtocol<IpcpOption> {
  protected readonly handlers = IPCP_HANDLERS as HandlerTable<IpcpOption, this>;
  protected readonly options = ipcpOptions;
  protected readonly codec = ipcpPacket as Codec<ControlPacket<IpcpOption>>;

  ourAddress: number;
  sendAddress = true;
  /** The address we give the peer (this session's). */
  assign: number | undefined;
  hisAddress = 0;
  /** DNS values we are asking for (undefined: not asking, or rejected). */
  readonly dnsWanted: (number | undefined)[];

  constructor(
    readonly cfg: IpcpConfig,
    sink: PppSink,
    counters: Counters = {},
  ) {
    super(PppProtocol.IPCP, 'ipcp', cfg.fsm, sink, counters);
    this.ourAddress = cfg.localAddress;
    this.assign = cfg.peerAddress;
    this.dnsWanted = cfg.requestDns ? [0, 0] : [undefined, undefined];
  }

  /** The address this session gives the peer (before or during negotiation). */
  setPeerAddress(a: number): void {
    this.assign = a;
  }

  protected send(p: ControlPacket<IpcpOption>): void {
    this.sink.send({ protocol: PppProtocol.IPCP, packet: p as never });
  }

  negotiated(): IpcpNegotiated {
    return { localAddress: this.ourAddress, peerAddress: this.hisAddress, primaryDns: this.dnsWanted[0], secondaryDns: this.dnsWanted[1] };
  }
}
