/** Sample L2TP messages for tests, fuzz seeds and benchmarks: one of every kind the codec knows. */
import { avp, challengeResponse, MessageType, FramingBits, ProxyAuthType, HIDE, CdnResult, StopCcnResult, GeneralError, type Avp, type L2tpMessage } from '../../src/wire/l2tp.js';
import { fromHex, textBytes } from '../../src/wire/bytes.js';

export const SAMPLE_SECRET = textBytes('l2tp-tunnel-secret');
const SECRET = SAMPLE_SECRET;

/** One of every control message type, a ZLB, a data message with a PPP frame, and hidden AVPs. */
export function everyMessage(): { name: string; message: L2tpMessage; secret?: boolean }[] {
  const T = 0x3b7f;
  const S = 0x9050;
  const base = { kind: 'control' as const, tunnelId: T, sessionId: 0, ns: 0, nr: 0 };
  const mt = (t: number): Avp => avp('messageType', { messageType: t });
  const tunnelAvps = (t: number): Avp[] => [
    mt(t),
    avp('protocolVersion', { version: 1, revision: 0 }),
    avp('framingCapabilities', { bits: FramingBits.SYNC | FramingBits.ASYNC }),
    avp('bearerCapabilities', { bits: 3 }),
    avp('tieBreaker', { value: 0x0102030405060708n }),
    avp('firmwareRevision', { revision: 0x0100 }),
    avp('hostName', { name: 'sse-1' }),
    avp('vendorName', { name: 'pseudonet' }),
    avp('assignedTunnelId', { id: 0x1234 }),
    avp('receiveWindowSize', { size: 16 }),
    avp('challenge', { challenge: fromHex('00112233445566778899aabbccddeeff') }),
  ];
  const rv = fromHex('5a5a5a5a0102030405060708090a0b0c');
  const lcp = fromHex('010405d4 0506 1a2b3c4d 0305c22305');
  return [
    { name: 'SCCRQ', message: { ...base, tunnelId: 0, avps: tunnelAvps(MessageType.SCCRQ) } },
    { name: 'SCCRP', message: { ...base, ns: 0, nr: 1, avps: [...tunnelAvps(MessageType.SCCRP), avp('challengeResponse', { response: challengeResponse(2, SECRET, fromHex('00112233')) })] } },
    { name: 'SCCCN', message: { ...base, ns: 1, nr: 1, avps: [mt(MessageType.SCCCN), avp('challengeResponse', { response: challengeResponse(3, SECRET, fromHex('00112233')) })] } },
    { name: 'ZLB', message: { ...base, ns: 1, nr: 2, avps: [] } },
    { name: 'HELLO', message: { ...base, ns: 2, nr: 2, avps: [mt(MessageType.HELLO)] } },
    { name: 'OCRQ', message: { ...base, ns: 3, nr: 2, avps: [mt(MessageType.OCRQ), avp('assignedSessionId', { id: S }), avp('callSerialNumber', { serial: 7 }), avp('minimumBps', { bps: 9600 }), avp('maximumBps', { bps: 1_000_000_000 }), avp('bearerType', { bits: 1 }), avp('framingType', { bits: 1 }), avp('calledNumber', { number: '0312345678' }), avp('subAddress', { subAddress: '12' })] } },
    { name: 'OCRP', message: { ...base, sessionId: S, ns: 3, nr: 4, avps: [mt(MessageType.OCRP), avp('assignedSessionId', { id: 0x0a0b }), avp('physicalChannelId', { id: 4 })] } },
    { name: 'OCCN', message: { ...base, sessionId: S, ns: 4, nr: 4, avps: [mt(MessageType.OCCN), avp('txConnectSpeed', { bps: 100_000_000 }), avp('framingType', { bits: 1 }), avp('rxConnectSpeed', { bps: 100_000_000 }), avp('sequencingRequired', {})] } },
    { name: 'ICRQ', message: { ...base, ns: 4, nr: 5, avps: [mt(MessageType.ICRQ), avp('assignedSessionId', { id: S }), avp('callSerialNumber', { serial: 8 }), avp('bearerType', { bits: 1 }), avp('physicalChannelId', { id: 2 }), avp('callingNumber', { number: '02:00:00:00:00:01' }), avp('calledNumber', { number: 'isp-a.example' }), avp('subAddress', { subAddress: 'eth0' })] } },
    { name: 'ICRP', message: { ...base, sessionId: S, ns: 5, nr: 5, avps: [mt(MessageType.ICRP), avp('assignedSessionId', { id: 0x0c0d })] } },
    {
      name: 'ICCN with all eight proxy AVPs', message: {
        ...base, sessionId: 0x0c0d, ns: 5, nr: 6, avps: [
          mt(MessageType.ICCN),
          avp('txConnectSpeed', { bps: 1_000_000_000 }),
          avp('framingType', { bits: 1 }),
          avp('initialReceivedLcpConfReq', { options: lcp }),
          avp('lastSentLcpConfReq', { options: fromHex('010405d4 0506 99887766 0305c22305') }),
          avp('lastReceivedLcpConfReq', { options: lcp }),
          avp('proxyAuthenType', { authType: ProxyAuthType.CHAP }),
          avp('proxyAuthenName', { name: 'user@isp-a.example' }),
          avp('proxyAuthenChallenge', { challenge: fromHex('a1cb47f6c8c10467c394ebed15ee8396') }),
          avp('proxyAuthenId', { id: 1 }),
          avp('proxyAuthenResponse', { response: fromHex('710155500236d33ea1bd735fdd7ca715') }),
          avp('rxConnectSpeed', { bps: 1_000_000_000 }),
          avp('privateGroupId', { groupId: textBytes('vpn-1') }),
          avp('sequencingRequired', {}),
        ],
      },
    },
    {
      name: 'ICCN with hidden proxy AVPs', secret: true, message: {
        ...base, sessionId: 0x0c0d, ns: 6, nr: 6, avps: [
          mt(MessageType.ICCN),
          avp('txConnectSpeed', { bps: 1_000_000_000 }),
          avp('framingType', { bits: 1 }),
          avp('randomVector', { vector: rv }),
          avp('proxyAuthenType', { authType: ProxyAuthType.CHAP }, { hidden: HIDE }),
          avp('proxyAuthenName', { name: 'user@isp-a.example' }, { hidden: { padding: fromHex('000000') } }),
          avp('proxyAuthenChallenge', { challenge: fromHex('a1cb47f6c8c10467c394ebed15ee8396') }, { hidden: HIDE }),
          avp('proxyAuthenId', { id: 1 }, { hidden: HIDE }),
          avp('proxyAuthenResponse', { response: fromHex('710155500236d33ea1bd735fdd7ca715') }, { hidden: HIDE }),
        ],
      },
    },
    { name: 'WEN', message: { ...base, sessionId: 0x0c0d, ns: 7, nr: 6, avps: [mt(MessageType.WEN), avp('callErrors', { crcErrors: 1, framingErrors: 2, hardwareOverruns: 3, bufferOverruns: 4, timeoutErrors: 5, alignmentErrors: 6 })] } },
    { name: 'SLI', message: { ...base, sessionId: S, ns: 6, nr: 8, avps: [mt(MessageType.SLI), avp('accm', { sendAccm: 0, receiveAccm: 0xffffffff })] } },
    { name: 'CDN', message: { ...base, sessionId: 0x0c0d, ns: 8, nr: 7, avps: [mt(MessageType.CDN), avp('resultCode', { result: CdnResult.ADMINISTRATIVE, error: 0, message: 'PADT from home' }), avp('assignedSessionId', { id: S }), avp('q931CauseCode', { cause: 16, msg: 0, advisory: 'normal clearing' })] } },
    { name: 'StopCCN', message: { ...base, ns: 9, nr: 7, avps: [mt(MessageType.StopCCN), avp('assignedTunnelId', { id: 0x1234 }), avp('resultCode', { result: StopCcnResult.GENERAL_ERROR, error: GeneralError.UNKNOWN_MANDATORY_AVP, message: 'unknown mandatory AVP' })] } },
    { name: 'data (LCP Echo-Request)', message: { kind: 'data', tunnelId: T, sessionId: S, hasLength: false, priority: false, payload: fromHex('ff03c021090100081a2b3c4d') } },
    { name: 'data with L, S and O bits', message: { kind: 'data', tunnelId: T, sessionId: S, hasLength: true, priority: false, sequence: { ns: 1, nr: 0 }, offsetPad: new Uint8Array(2), payload: fromHex('ff03c021090200081a2b3c4d') } },
  ];
}
