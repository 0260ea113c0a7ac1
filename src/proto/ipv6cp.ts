/**
 * IPV6CP (RFC 5072) on the shared RFC 1661 automaton: the Interface-Identifier (§4.1).
 * We pick our tentative identifier at random (injectable) unless told one; a peer's zero
 * identifier, or one equal to ours, is Nak'd with a non-zero suggestion different from
 * ours; a Nak of ours is taken unless it hands us back the identifier we suggested to the
 * peer (then we choose a new one). IPv6-Compression-Protocol and anything else is
 * rejected. Sans-IO; src/proto/ppp-link.ts runs it when the link is configured with `ipv6cp`.
 */
import { bytesEqual, keptBytes } from '../wire/bytes.js';
import { linkLocalAddress } from '../wire/ipv6.js';
import { ipv6cpOptions, ipv6cpPacket, Ipv6cpOptionType, PppProtocol, type ControlPacket, type Ipv6cpOption, type OptionCodec } from '../wire/ppp.js';
import type { Codec } from '../wire/result.js';
import { ACK, REJ, ControlProtocol, DEFAULT_FSM, checkFsm, handlerTable, type FsmConfig, type HandlerTable, type LayerAction, type OptionHandler, type PppSink } from './ppp-fsm.js';
import { count, cryptoRandom, type Counters, type RandomBytes } from './ppp-common.js';

export interface Ipv6cpConfig {
  /**
   * Our tentative Interface-Identifier (8 octets); undefined: chosen at random. All zeros
   * asks the peer to suggest one (RFC 5072 §4.1, the received-zero case seen from the peer).
   */
  readonly localIdentifier?: Uint8Array;
  /**
   * What to suggest when the peer asks with a zero identifier (the nte may derive one per
   * session); undefined, or equal to ours: a random one.
   */
  readonly peerIdentifier?: Uint8Array;
  /**
   * The peer must negotiate an identifier: a Configure-Request without the option gets one
   * Configure-Nak suggesting one (RFC 5072 §4.1 "the option SHOULD be appended to a
   * Configure-Nak"), and only one ("the peer MUST NOT send another Configure-Nak with this
   * option included").
   */
  readonly requirePeerIdentifier: boolean;
  readonly random: RandomBytes;
  readonly fsm: FsmConfig;
}

export function ipv6cpConfig(c: Partial<Ipv6cpConfig> = {}): Ipv6cpConfig {
  const v = { requirePeerIdentifier: false, random: cryptoRandom, fsm: DEFAULT_FSM, ...c };
  checkFsm(v.fsm);
  return v;
}

export interface Ipv6cpNegotiated {
  /** Ours, undefined when the peer rejected the option (no identifier could be negotiated). */
  readonly localIdentifier: Uint8Array | undefined;
  readonly peerIdentifier: Uint8Array | undefined;
  /** fe80::/64 + our identifier (RFC 5072 §5). */
  readonly localLinkLocal: Uint8Array | undefined;
  readonly peerLinkLocal: Uint8Array | undefined;
}

const ZERO = new Uint8Array(8);

function isZero(id: Uint8Array): boolean {
  return bytesEqual(id, ZERO);
}

/** A random non-zero identifier different from every one in `not`. */
function randomIdentifier(random: RandomBytes, ...not: (Uint8Array | undefined)[]): Uint8Array {
  for (;;) {
    const id = random(8).slice(0, 8);
    if (id.length === 8 && !isZero(id) && !not.some((n) => n !== undefined && bytesEqual(n, id))) return id;
  }
}

const interfaceIdentifier: OptionHandler<Ipv6cpOption, Ipv6cp> = {
  type: Ipv6cpOptionType.INTERFACE_IDENTIFIER,
  request: (l) => (l.sendIdentifier ? { kind: 'interface-id', id: l.ourIdentifier } : undefined),
  received(l, o) {
    if (o.kind !== 'interface-id') return REJ;
    // RFC 5072 §4.1 compares with the identifier of the last Configure-Request we sent.
    const ours = l.sendIdentifier ? l.ourIdentifier : ZERO;
    if (isZero(o.id)) {
      // Both zero: "the Interface-Identifiers negotiation MUST be terminated by transmitting
      // the Configure-Reject with the Interface-Identifier value set to zero".
      if (isZero(ours)) return REJ;
      count(l.counters, 'ipv6cp.nak-zero-identifier');
      return l.suggest(l.cfg.peerIdentifier);
    }
    if (bytesEqual(o.id, ours)) {
      // Equal and not zero: "a Configure-Nak MUST be sent specifying a different non-zero
      // Interface-Identifier value (which might be randomly generated)".
      count(l.counters, 'ipv6cp.nak-clashing-identifier');
      return l.suggest(undefined);
    }
    l.hisIdentifier = o.id;
    return ACK;
  },
  missing(l) {
    if (!l.cfg.requirePeerIdentifier || l.nakedMissing) return undefined;
    l.nakedMissing = true;
    return l.suggest(l.cfg.peerIdentifier);
  },
  nak(l, o) {
    if (o.kind !== 'interface-id') return true;
    // "if the received Interface-Identifier is equal to the one sent in the last
    // Configure-Nak, a new Interface-Identifier MUST be chosen" (the peer hands back its own);
    // a zero suggestion is no identifier at all.
    if (isZero(o.id) || (l.lastNakSent !== undefined && bytesEqual(o.id, l.lastNakSent))) {
      count(l.counters, 'ipv6cp.nak-hint-refused');
      l.ourIdentifier = randomIdentifier(l.random, l.ourIdentifier, o.id, l.hisIdentifier);
    } else l.ourIdentifier = o.id;
    l.sendIdentifier = true;
    return true;
  },
  reject(l) {
    l.sendIdentifier = false;
  },
};

const IPV6CP_HANDLERS = handlerTable<Ipv6cpOption, Ipv6cp>([interfaceIdentifier]);

export class Ipv6cp extends ControlProtocol<Ipv6cpOption> {
  get protocol(): number {
    return PppProtocol.IPV6CP;
  }
  get name(): string {
    return 'ipv6cp';
  }
  protected get fsm(): FsmConfig {
    return this.cfg.fsm;
  }
  protected get handlers(): HandlerTable<Ipv6cpOption, this> {
    return IPV6CP_HANDLERS as HandlerTable<Ipv6cpOption, this>;
  }
  protected get options(): OptionCodec<Ipv6cpOption> {
    return ipv6cpOptions;
  }
  protected get codec(): Codec<ControlPacket<Ipv6cpOption>> {
    return ipv6cpPacket as Codec<ControlPacket<Ipv6cpOption>>;
  }

  /**
   * fe80::/64 + our tentative identifier (what our next Configure-Request carries), and the
   * same for the peer's identifier we Acked: each identifier is kept only inside its link-local
   * address (RFC 5072 §5), one slab copy for the link's life, not two arrays (src/wire/bytes.ts).
   */
  private ourLinkLocal: Uint8Array;
  private hisLinkLocal: Uint8Array | undefined = undefined;
  sendIdentifier = true;
  /** The suggestion of the last Configure-Nak we sent the peer. */
  lastNakSent: Uint8Array | undefined = undefined;
  /** We already Nak'd a request that lacked the option (only once, RFC 5072 §4.1). */
  nakedMissing = false;

  constructor(
    readonly cfg: Ipv6cpConfig,
    sink: PppSink,
    counters: Counters = {},
    /**
     * Where our identifiers come from: the configuration's source unless the link brings its
     * own (a home's seeded source, so that many homes share one configuration).
     */
    readonly random: RandomBytes = cfg.random,
  ) {
    super(sink, counters);
    const id = cfg.localIdentifier;
    if (id !== undefined && id.length !== 8) throw new Error('ipv6cp: localIdentifier must be 8 octets');
    if (cfg.peerIdentifier !== undefined && (cfg.peerIdentifier.length !== 8 || isZero(cfg.peerIdentifier))) throw new Error('ipv6cp: peerIdentifier must be 8 octets, not all zero');
    this.ourLinkLocal = keptBytes(linkLocalAddress(id ?? randomIdentifier(random)));
  }

  /** Our tentative identifier: a view of our link-local's low 64 bits (set: a new link-local). */
  get ourIdentifier(): Uint8Array {
    return this.ourLinkLocal.subarray(8);
  }

  set ourIdentifier(id: Uint8Array) {
    this.ourLinkLocal = keptBytes(linkLocalAddress(id));
  }

  /** The peer's identifier we Acked (set: copied into its link-local). */
  get hisIdentifier(): Uint8Array | undefined {
    return this.hisLinkLocal?.subarray(8);
  }

  set hisIdentifier(id: Uint8Array | undefined) {
    this.hisLinkLocal = id && keptBytes(linkLocalAddress(id));
  }

  /** The identifier to suggest to the peer: `preferred` when usable, else a random one; never ours, never zero. */
  suggest(preferred: Uint8Array | undefined): Ipv6cpOption {
    const id = preferred !== undefined && !bytesEqual(preferred, this.ourIdentifier) ? preferred.slice() : randomIdentifier(this.random, this.ourIdentifier);
    this.lastNakSent = id;
    return { kind: 'interface-id', id };
  }

  /** Each Configure-Request is judged afresh: the identifier Acked is that of the latest one. */
  protected override peerReset(): void {
    this.hisIdentifier = undefined;
  }

  protected override layerAction(action: LayerAction, now: number): void {
    if (action === 'tls') this.nakedMissing = false;
    super.layerAction(action, now);
  }

  protected send(p: ControlPacket<Ipv6cpOption>): void {
    this.sink.send({ protocol: PppProtocol.IPV6CP, packet: p as never });
  }

  negotiated(): Ipv6cpNegotiated {
    // The link-locals are this machine's own arrays (never written to: a new identifier is a new array); the identifiers views of them.
    const local = this.sendIdentifier ? this.ourLinkLocal : undefined;
    const peer = this.hisLinkLocal;
    return {
      localIdentifier: local?.subarray(8),
      peerIdentifier: peer?.subarray(8),
      localLinkLocal: local,
      peerLinkLocal: peer,
    };
  }
}
