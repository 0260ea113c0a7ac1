/**
 * Conversions between what the PPP link records (Configure-Request option bytes, the CHAP
 * or PAP exchange) and the proxy AVP values of L2TP (RFC 2661 §4.4.5, AVPs 26–33): the
 * proxy LCP goes as the option bytes both ends keep, the proxy authentication as typed values.
 */
import { ProxyAuthType } from '../wire/l2tp.js';
import type { ProxyValues } from '../proto/ppp-link.js';
import type { ProxyAuth, ProxyLcp } from '../proto/l2tp.js';

/**
 * LAC side: the link's record → the ICCN's proxy AVPs. The CONFREQ bodies go as the link
 * recorded them (the options of a CONFREQ it parsed, or of one it built), not parsed and built
 * again; proxy LCP only with both last CONFREQs, as an LNS needs both to accept it.
 */
export function proxyAvpValues(p: ProxyValues): { proxyLcp?: ProxyLcp; proxyAuth?: ProxyAuth } {
  const lcp: { -readonly [K in keyof ProxyLcp]: ProxyLcp[K] } = {};
  const ls = p.lastSentConfReq;
  const lr = p.lastReceivedConfReq;
  if (p.initialReceivedConfReq) lcp.initialReceived = p.initialReceivedConfReq;
  if (ls) lcp.lastSent = ls;
  if (lr) lcp.lastReceived = lr;
  const out: { proxyLcp?: ProxyLcp; proxyAuth?: ProxyAuth } = {};
  if (ls && lr) out.proxyLcp = lcp;
  if (p.chap) {
    out.proxyAuth = {
      type: ProxyAuthType.CHAP,
      name: Buffer.from(p.chap.name).toString('latin1'),
      challenge: p.chap.challenge,
      id: p.chap.identifier,
      response: p.chap.response,
    };
  } else if (p.pap) {
    // RFC 2661 §4.4.5: type 3 (PPP PAP) carries Name, ID and Response (the password, hidden
    // when the tunnel has a secret); Challenge is for CHAP only.
    out.proxyAuth = { type: ProxyAuthType.PAP, name: Buffer.from(p.pap.peerId).toString('latin1'), id: p.pap.identifier, response: p.pap.password };
  }
  return out;
}

/** LNS side: the ICCN's proxy AVPs → what `PppLink.startWithProxy` takes. */
export function proxyValuesFrom(lcp: ProxyLcp | undefined, auth: ProxyAuth | undefined): ProxyValues {
  const v: { -readonly [K in keyof ProxyValues]: ProxyValues[K] } = {};
  if (lcp?.initialReceived) v.initialReceivedConfReq = lcp.initialReceived;
  if (lcp?.lastSent) v.lastSentConfReq = lcp.lastSent;
  if (lcp?.lastReceived) v.lastReceivedConfReq = lcp.lastReceived;
  if (auth && auth.type === ProxyAuthType.CHAP && auth.name !== undefined && auth.challenge && auth.id !== undefined && auth.response) {
    v.chap = { identifier: auth.id, challenge: auth.challenge, name: Buffer.from(auth.name, 'latin1'), response: auth.response };
  } else if (auth && auth.type === ProxyAuthType.PAP && auth.name !== undefined && auth.response) {
    // A LAC that leaves out the ID (it MUST send it) still gets its user checked: the answer then carries 0.
    v.pap = { identifier: auth.id ?? 0, peerId: Buffer.from(auth.name, 'latin1'), password: auth.response };
  }
  return v;
}
