/**
 * The RADIUS dictionary as data: every attribute of RFC 2865, 2866, 2867, 2868, 2869,
 * 3579 and 5176, and the IPv6 ones of RFC 3162, 4818 and 6911, with its data type, tag and encryption flags and named values, plus the
 * packet codes. The codec (radius.ts) uses it only to check fixed value lengths and to
 * decode values for people; packets keep every attribute as bytes, known or not.
 */

/**
 * Value types of RFC 8044 as the RFCs of the era name them.
 * text: UTF-8 (1..253 octets); string: octets; integer: 32-bit unsigned; ipaddr: IPv4;
 * date: 32-bit seconds since 1970 UTC; vsa: Vendor-Specific (RFC 2865 §5.26);
 * ipv6addr: 16 octets (RFC 8044 §3.9); ipv6prefix: Reserved, Prefix-Length, then the prefix
 * in at most 16 octets (RFC 3162 §2.3, RFC 8044 §3.10); ifid: 8 octets (RFC 3162 §2.2).
 */
export type RadiusValueType = 'text' | 'string' | 'integer' | 'ipaddr' | 'date' | 'vsa' | 'ipv6addr' | 'ipv6prefix' | 'ifid';

export interface AttributeDef {
  readonly type: number;
  readonly name: string;
  readonly valueType: RadiusValueType;
  /**
   * RFC 2868 §3: the first value octet may be a Tag (0x01..0x1F). For integer attributes the
   * tag octet is always there and the value is the last three octets; for Tunnel-Password it
   * is always there; for text it is there only when the first octet is 0x00..0x1F.
   */
  readonly tagged?: true;
  /** 1 = User-Password hiding (RFC 2865 §5.2); 2 = Tunnel-Password salt (RFC 2868 §3.5). */
  readonly encrypt?: 1 | 2;
  /** Exact value length in octets when the RFC fixes it (besides integer/ipaddr/date = 4). */
  readonly length?: number;
  /** Named values of an enumerated integer. */
  readonly values?: Readonly<Record<number, string>>;
  readonly rfc: string;
}

/** RFC 2865 §3, RFC 2866 §3, RFC 5176 §2, RFC 5997. Unknown codes stay plain numbers. */
export const RadiusCode = {
  ACCESS_REQUEST: 1,
  ACCESS_ACCEPT: 2,
  ACCESS_REJECT: 3,
  ACCOUNTING_REQUEST: 4,
  ACCOUNTING_RESPONSE: 5,
  ACCESS_CHALLENGE: 11,
  STATUS_SERVER: 12,
  STATUS_CLIENT: 13,
  DISCONNECT_REQUEST: 40,
  DISCONNECT_ACK: 41,
  DISCONNECT_NAK: 42,
  COA_REQUEST: 43,
  COA_ACK: 44,
  COA_NAK: 45,
} as const;

export const CODE_NAMES: Readonly<Record<number, string>> = {
  1: 'Access-Request',
  2: 'Access-Accept',
  3: 'Access-Reject',
  4: 'Accounting-Request',
  5: 'Accounting-Response',
  11: 'Access-Challenge',
  12: 'Status-Server',
  13: 'Status-Client',
  40: 'Disconnect-Request',
  41: 'Disconnect-ACK',
  42: 'Disconnect-NAK',
  43: 'CoA-Request',
  44: 'CoA-ACK',
  45: 'CoA-NAK',
};

/** Attribute type numbers used by name in code. */
export const A = {
  USER_NAME: 1,
  USER_PASSWORD: 2,
  CHAP_PASSWORD: 3,
  NAS_IP_ADDRESS: 4,
  NAS_PORT: 5,
  SERVICE_TYPE: 6,
  FRAMED_PROTOCOL: 7,
  FRAMED_IP_ADDRESS: 8,
  FRAMED_IP_NETMASK: 9,
  FILTER_ID: 11,
  FRAMED_MTU: 12,
  REPLY_MESSAGE: 18,
  STATE: 24,
  CLASS: 25,
  VENDOR_SPECIFIC: 26,
  SESSION_TIMEOUT: 27,
  IDLE_TIMEOUT: 28,
  CALLED_STATION_ID: 30,
  CALLING_STATION_ID: 31,
  NAS_IDENTIFIER: 32,
  PROXY_STATE: 33,
  ACCT_STATUS_TYPE: 40,
  ACCT_DELAY_TIME: 41,
  ACCT_INPUT_OCTETS: 42,
  ACCT_OUTPUT_OCTETS: 43,
  ACCT_SESSION_ID: 44,
  ACCT_AUTHENTIC: 45,
  ACCT_SESSION_TIME: 46,
  ACCT_INPUT_PACKETS: 47,
  ACCT_OUTPUT_PACKETS: 48,
  ACCT_TERMINATE_CAUSE: 49,
  ACCT_MULTI_SESSION_ID: 50,
  ACCT_INPUT_GIGAWORDS: 52,
  ACCT_OUTPUT_GIGAWORDS: 53,
  EVENT_TIMESTAMP: 55,
  CHAP_CHALLENGE: 60,
  NAS_PORT_TYPE: 61,
  TUNNEL_TYPE: 64,
  TUNNEL_MEDIUM_TYPE: 65,
  TUNNEL_CLIENT_ENDPOINT: 66,
  TUNNEL_SERVER_ENDPOINT: 67,
  TUNNEL_PASSWORD: 69,
  CONNECT_INFO: 77,
  EAP_MESSAGE: 79,
  MESSAGE_AUTHENTICATOR: 80,
  TUNNEL_PRIVATE_GROUP_ID: 81,
  TUNNEL_ASSIGNMENT_ID: 82,
  TUNNEL_PREFERENCE: 83,
  ACCT_INTERIM_INTERVAL: 85,
  NAS_PORT_ID: 87,
  FRAMED_POOL: 88,
  FRAMED_INTERFACE_ID: 96,
  FRAMED_IPV6_PREFIX: 97,
  FRAMED_IPV6_ROUTE: 99,
  FRAMED_IPV6_POOL: 100,
  DELEGATED_IPV6_PREFIX: 123,
  FRAMED_IPV6_ADDRESS: 168,
  DNS_SERVER_IPV6_ADDRESS: 169,
  TUNNEL_CLIENT_AUTH_ID: 90,
  TUNNEL_SERVER_AUTH_ID: 91,
  ERROR_CAUSE: 101,
} as const;

/** RFC 2865 §5.6 (+ RFC 5176 §3.2 Authorize-Only). */
export const ServiceType = { LOGIN: 1, FRAMED: 2, AUTHORIZE_ONLY: 17 } as const;
/** RFC 2865 §5.7. */
export const FramedProtocol = { PPP: 1 } as const;
/** RFC 2865 §5.41. */
export const NasPortType = { VIRTUAL: 5, ETHERNET: 15, XDSL: 16 } as const;
/** RFC 2866 §5.1. */
export const AcctStatusType = { START: 1, STOP: 2, INTERIM_UPDATE: 3, ACCOUNTING_ON: 7, ACCOUNTING_OFF: 8 } as const;
/** RFC 2866 §5.10. */
export const AcctTerminateCause = {
  USER_REQUEST: 1, LOST_CARRIER: 2, LOST_SERVICE: 3, IDLE_TIMEOUT: 4, SESSION_TIMEOUT: 5, ADMIN_RESET: 6,
  ADMIN_REBOOT: 7, PORT_ERROR: 8, NAS_ERROR: 9, NAS_REQUEST: 10, NAS_REBOOT: 11,
} as const;
/** RFC 2868 §3.1 / §3.2. */
export const TunnelType = { PPTP: 1, L2F: 2, L2TP: 3 } as const;
export const TunnelMediumType = { IPV4: 1, IPV6: 2 } as const;
/** RFC 2548 vendor id and the two DNS sub-attributes. */
export const VENDOR_MICROSOFT = 311;
export const MsAttr = { PRIMARY_DNS_SERVER: 28, SECONDARY_DNS_SERVER: 29 } as const;
/** RFC 5176 §3.5. */
export const ErrorCause = {
  RESIDUAL_SESSION_CONTEXT_REMOVED: 201, INVALID_EAP_PACKET: 202, UNSUPPORTED_ATTRIBUTE: 401, MISSING_ATTRIBUTE: 402,
  NAS_IDENTIFICATION_MISMATCH: 403, INVALID_REQUEST: 404, UNSUPPORTED_SERVICE: 405, UNSUPPORTED_EXTENSION: 406,
  INVALID_ATTRIBUTE_VALUE: 407, ADMINISTRATIVELY_PROHIBITED: 501, REQUEST_NOT_ROUTABLE: 502,
  SESSION_CONTEXT_NOT_FOUND: 503, SESSION_CONTEXT_NOT_REMOVABLE: 504, OTHER_PROXY_PROCESSING_ERROR: 505,
  RESOURCES_UNAVAILABLE: 506, REQUEST_INITIATED: 507, MULTIPLE_SESSION_SELECTION_UNSUPPORTED: 508,
} as const;

function names(o: Record<string, number>): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [k, v] of Object.entries(o)) out[v] = k;
  return out;
}

const SERVICE_TYPE = names({
  'Login-User': 1, 'Framed-User': 2, 'Callback-Login-User': 3, 'Callback-Framed-User': 4, 'Outbound-User': 5,
  'Administrative-User': 6, 'NAS-Prompt-User': 7, 'Authenticate-Only': 8, 'Callback-NAS-Prompt': 9, 'Call-Check': 10,
  'Callback-Administrative': 11, 'Authorize-Only': 17,
});
const FRAMED_PROTOCOL = names({ PPP: 1, SLIP: 2, ARAP: 3, 'Gandalf-SLML': 4, 'Xylogics-IPX-SLIP': 5, 'X.75-Synchronous': 6 });
const FRAMED_ROUTING = names({ None: 0, Broadcast: 1, Listen: 2, 'Broadcast-Listen': 3 });
const FRAMED_COMPRESSION = names({ None: 0, 'Van-Jacobson-TCP-IP': 1, 'IPX-Header-Compression': 2, 'Stac-LZS': 3 });
const LOGIN_SERVICE = names({ Telnet: 0, Rlogin: 1, 'TCP-Clear': 2, PortMaster: 3, LAT: 4, 'X25-PAD': 5, 'X25-T3POS': 6, 'TCP-Clear-Quiet': 8 });
const TERMINATION_ACTION = names({ Default: 0, 'RADIUS-Request': 1 });
const NAS_PORT_TYPE = names({
  Async: 0, Sync: 1, ISDN: 2, 'ISDN-V120': 3, 'ISDN-V110': 4, Virtual: 5, PIAFS: 6, 'HDLC-Clear-Channel': 7, 'X.25': 8,
  'X.75': 9, 'G.3-Fax': 10, SDSL: 11, 'ADSL-CAP': 12, 'ADSL-DMT': 13, IDSL: 14, Ethernet: 15, xDSL: 16, Cable: 17,
  'Wireless-Other': 18, 'Wireless-802.11': 19,
});
const ACCT_STATUS_TYPE = names({
  Start: 1, Stop: 2, 'Interim-Update': 3, 'Accounting-On': 7, 'Accounting-Off': 8, 'Tunnel-Start': 9, 'Tunnel-Stop': 10,
  'Tunnel-Reject': 11, 'Tunnel-Link-Start': 12, 'Tunnel-Link-Stop': 13, 'Tunnel-Link-Reject': 14, Failed: 15,
});
const ACCT_AUTHENTIC = names({ RADIUS: 1, Local: 2, Remote: 3, Diameter: 4 });
const ACCT_TERMINATE_CAUSE = names({
  'User-Request': 1, 'Lost-Carrier': 2, 'Lost-Service': 3, 'Idle-Timeout': 4, 'Session-Timeout': 5, 'Admin-Reset': 6,
  'Admin-Reboot': 7, 'Port-Error': 8, 'NAS-Error': 9, 'NAS-Request': 10, 'NAS-Reboot': 11, 'Port-Unneeded': 12,
  'Port-Preempted': 13, 'Port-Suspended': 14, 'Service-Unavailable': 15, Callback: 16, 'User-Error': 17, 'Host-Request': 18,
});
const TUNNEL_TYPE = names({
  PPTP: 1, L2F: 2, L2TP: 3, ATMP: 4, VTP: 5, AH: 6, IP: 7, 'MIN-IP': 8, ESP: 9, GRE: 10, DVS: 11, 'IP-in-IP': 12, VLAN: 13,
});
const TUNNEL_MEDIUM_TYPE = names({
  IPv4: 1, IPv6: 2, NSAP: 3, HDLC: 4, 'BBN-1822': 5, 'IEEE-802': 6, 'E.163': 7, 'E.164': 8, 'F.69': 9, 'X.121': 10,
  IPX: 11, Appletalk: 12, 'DecNet-IV': 13, 'Banyan-Vines': 14, 'E.164-NSAP': 15,
});
const ARAP_ZONE_ACCESS = names({ 'Default-Zone': 1, 'Zone-Filter-Inclusive': 2, 'Zone-Filter-Exclusive': 4 });
const PROMPT = names({ 'No-Echo': 0, Echo: 1 });
const ERROR_CAUSE = names({
  'Residual-Session-Context-Removed': 201, 'Invalid-EAP-Packet': 202, 'Unsupported-Attribute': 401,
  'Missing-Attribute': 402, 'NAS-Identification-Mismatch': 403, 'Invalid-Request': 404, 'Unsupported-Service': 405,
  'Unsupported-Extension': 406, 'Invalid-Attribute-Value': 407, 'Administratively-Prohibited': 501,
  'Request-Not-Routable': 502, 'Session-Context-Not-Found': 503, 'Session-Context-Not-Removable': 504,
  'Other-Proxy-Processing-Error': 505, 'Resources-Unavailable': 506, 'Request-Initiated': 507,
  'Multiple-Session-Selection-Unsupported': 508,
});

type Row = [type: number, name: string, valueType: RadiusValueType, rfc: string, extra?: Partial<Omit<AttributeDef, 'type' | 'name' | 'valueType' | 'rfc'>>];

const ROWS: Row[] = [
  [1, 'User-Name', 'text', 'RFC 2865 §5.1'],
  [2, 'User-Password', 'string', 'RFC 2865 §5.2', { encrypt: 1 }],
  [3, 'CHAP-Password', 'string', 'RFC 2865 §5.3', { length: 17 }],
  [4, 'NAS-IP-Address', 'ipaddr', 'RFC 2865 §5.4'],
  [5, 'NAS-Port', 'integer', 'RFC 2865 §5.5'],
  [6, 'Service-Type', 'integer', 'RFC 2865 §5.6', { values: SERVICE_TYPE }],
  [7, 'Framed-Protocol', 'integer', 'RFC 2865 §5.7', { values: FRAMED_PROTOCOL }],
  [8, 'Framed-IP-Address', 'ipaddr', 'RFC 2865 §5.8'],
  [9, 'Framed-IP-Netmask', 'ipaddr', 'RFC 2865 §5.9'],
  [10, 'Framed-Routing', 'integer', 'RFC 2865 §5.10', { values: FRAMED_ROUTING }],
  [11, 'Filter-Id', 'text', 'RFC 2865 §5.11'],
  [12, 'Framed-MTU', 'integer', 'RFC 2865 §5.12'],
  [13, 'Framed-Compression', 'integer', 'RFC 2865 §5.13', { values: FRAMED_COMPRESSION }],
  [14, 'Login-IP-Host', 'ipaddr', 'RFC 2865 §5.14'],
  [15, 'Login-Service', 'integer', 'RFC 2865 §5.15', { values: LOGIN_SERVICE }],
  [16, 'Login-TCP-Port', 'integer', 'RFC 2865 §5.16'],
  [18, 'Reply-Message', 'text', 'RFC 2865 §5.18'],
  [19, 'Callback-Number', 'text', 'RFC 2865 §5.19'],
  [20, 'Callback-Id', 'text', 'RFC 2865 §5.20'],
  [22, 'Framed-Route', 'text', 'RFC 2865 §5.22'],
  [23, 'Framed-IPX-Network', 'integer', 'RFC 2865 §5.23'],
  [24, 'State', 'string', 'RFC 2865 §5.24'],
  [25, 'Class', 'string', 'RFC 2865 §5.25'],
  [26, 'Vendor-Specific', 'vsa', 'RFC 2865 §5.26'],
  [27, 'Session-Timeout', 'integer', 'RFC 2865 §5.27'],
  [28, 'Idle-Timeout', 'integer', 'RFC 2865 §5.28'],
  [29, 'Termination-Action', 'integer', 'RFC 2865 §5.29', { values: TERMINATION_ACTION }],
  [30, 'Called-Station-Id', 'text', 'RFC 2865 §5.30'],
  [31, 'Calling-Station-Id', 'text', 'RFC 2865 §5.31'],
  [32, 'NAS-Identifier', 'text', 'RFC 2865 §5.32'],
  [33, 'Proxy-State', 'string', 'RFC 2865 §5.33'],
  [34, 'Login-LAT-Service', 'text', 'RFC 2865 §5.34'],
  [35, 'Login-LAT-Node', 'text', 'RFC 2865 §5.35'],
  [36, 'Login-LAT-Group', 'string', 'RFC 2865 §5.36', { length: 32 }],
  [37, 'Framed-AppleTalk-Link', 'integer', 'RFC 2865 §5.37'],
  [38, 'Framed-AppleTalk-Network', 'integer', 'RFC 2865 §5.38'],
  [39, 'Framed-AppleTalk-Zone', 'text', 'RFC 2865 §5.39'],
  [40, 'Acct-Status-Type', 'integer', 'RFC 2866 §5.1', { values: ACCT_STATUS_TYPE }],
  [41, 'Acct-Delay-Time', 'integer', 'RFC 2866 §5.2'],
  [42, 'Acct-Input-Octets', 'integer', 'RFC 2866 §5.3'],
  [43, 'Acct-Output-Octets', 'integer', 'RFC 2866 §5.4'],
  [44, 'Acct-Session-Id', 'text', 'RFC 2866 §5.5'],
  [45, 'Acct-Authentic', 'integer', 'RFC 2866 §5.6', { values: ACCT_AUTHENTIC }],
  [46, 'Acct-Session-Time', 'integer', 'RFC 2866 §5.7'],
  [47, 'Acct-Input-Packets', 'integer', 'RFC 2866 §5.8'],
  [48, 'Acct-Output-Packets', 'integer', 'RFC 2866 §5.9'],
  [49, 'Acct-Terminate-Cause', 'integer', 'RFC 2866 §5.10', { values: ACCT_TERMINATE_CAUSE }],
  [50, 'Acct-Multi-Session-Id', 'text', 'RFC 2866 §5.11'],
  [51, 'Acct-Link-Count', 'integer', 'RFC 2866 §5.12'],
  [52, 'Acct-Input-Gigawords', 'integer', 'RFC 2869 §5.1'],
  [53, 'Acct-Output-Gigawords', 'integer', 'RFC 2869 §5.2'],
  [55, 'Event-Timestamp', 'date', 'RFC 2869 §5.3'],
  [60, 'CHAP-Challenge', 'string', 'RFC 2865 §5.40'],
  [61, 'NAS-Port-Type', 'integer', 'RFC 2865 §5.41', { values: NAS_PORT_TYPE }],
  [62, 'Port-Limit', 'integer', 'RFC 2865 §5.42'],
  [63, 'Login-LAT-Port', 'text', 'RFC 2865 §5.43'],
  [64, 'Tunnel-Type', 'integer', 'RFC 2868 §3.1', { tagged: true, values: TUNNEL_TYPE }],
  [65, 'Tunnel-Medium-Type', 'integer', 'RFC 2868 §3.2', { tagged: true, values: TUNNEL_MEDIUM_TYPE }],
  [66, 'Tunnel-Client-Endpoint', 'text', 'RFC 2868 §3.3', { tagged: true }],
  [67, 'Tunnel-Server-Endpoint', 'text', 'RFC 2868 §3.4', { tagged: true }],
  [68, 'Acct-Tunnel-Connection', 'string', 'RFC 2867 §4.1'],
  [69, 'Tunnel-Password', 'string', 'RFC 2868 §3.5', { tagged: true, encrypt: 2 }],
  [70, 'ARAP-Password', 'string', 'RFC 2869 §5.4', { length: 16 }],
  [71, 'ARAP-Features', 'string', 'RFC 2869 §5.5', { length: 14 }],
  [72, 'ARAP-Zone-Access', 'integer', 'RFC 2869 §5.6', { values: ARAP_ZONE_ACCESS }],
  [73, 'ARAP-Security', 'integer', 'RFC 2869 §5.7'],
  [74, 'ARAP-Security-Data', 'string', 'RFC 2869 §5.8'],
  [75, 'Password-Retry', 'integer', 'RFC 2869 §5.9'],
  [76, 'Prompt', 'integer', 'RFC 2869 §5.10', { values: PROMPT }],
  [77, 'Connect-Info', 'text', 'RFC 2869 §5.11'],
  [78, 'Configuration-Token', 'string', 'RFC 2869 §5.12'],
  [79, 'EAP-Message', 'string', 'RFC 3579 §3.1'],
  [80, 'Message-Authenticator', 'string', 'RFC 3579 §3.2', { length: 16 }],
  [81, 'Tunnel-Private-Group-Id', 'text', 'RFC 2868 §3.6', { tagged: true }],
  [82, 'Tunnel-Assignment-Id', 'text', 'RFC 2868 §3.7', { tagged: true }],
  [83, 'Tunnel-Preference', 'integer', 'RFC 2868 §3.8', { tagged: true }],
  [84, 'ARAP-Challenge-Response', 'string', 'RFC 2869 §5.15', { length: 8 }],
  [85, 'Acct-Interim-Interval', 'integer', 'RFC 2869 §5.16'],
  [86, 'Acct-Tunnel-Packets-Lost', 'integer', 'RFC 2867 §4.2'],
  [87, 'NAS-Port-Id', 'text', 'RFC 2869 §5.17'],
  [88, 'Framed-Pool', 'text', 'RFC 2869 §5.18'],
  [90, 'Tunnel-Client-Auth-Id', 'text', 'RFC 2868 §3.9', { tagged: true }],
  [91, 'Tunnel-Server-Auth-Id', 'text', 'RFC 2868 §3.10', { tagged: true }],
  [96, 'Framed-Interface-Id', 'ifid', 'RFC 3162 §2.2'],
  [97, 'Framed-IPv6-Prefix', 'ipv6prefix', 'RFC 3162 §2.3'],
  [98, 'Login-IPv6-Host', 'ipv6addr', 'RFC 3162 §2.4'],
  [99, 'Framed-IPv6-Route', 'text', 'RFC 3162 §2.5'],
  [100, 'Framed-IPv6-Pool', 'text', 'RFC 3162 §2.6'],
  [101, 'Error-Cause', 'integer', 'RFC 5176 §3.5', { values: ERROR_CAUSE }],
  [123, 'Delegated-IPv6-Prefix', 'ipv6prefix', 'RFC 4818 §3'],
  [168, 'Framed-IPv6-Address', 'ipv6addr', 'RFC 6911 §3.1'],
  [169, 'DNS-Server-IPv6-Address', 'ipv6addr', 'RFC 6911 §3.2'],
];

/** Every known attribute by type number. */
export const ATTRIBUTES: ReadonlyMap<number, AttributeDef> = new Map(
  ROWS.map(([type, name, valueType, rfc, extra]) => [type, { type, name, valueType, rfc, ...extra } as AttributeDef]),
);

export const ATTRIBUTES_BY_NAME: ReadonlyMap<string, AttributeDef> = new Map([...ATTRIBUTES.values()].map((d) => [d.name, d]));

/** Vendors whose sub-attributes we can name (RFC 2865 §5.26 format: type(1) length(1) value). */
export interface VendorDef {
  readonly id: number;
  readonly name: string;
  readonly attributes: ReadonlyMap<number, { readonly name: string; readonly valueType: RadiusValueType }>;
}

export const VENDORS: ReadonlyMap<number, VendorDef> = new Map([
  [9, { id: 9, name: 'Cisco', attributes: new Map([[1, { name: 'Cisco-AVPair', valueType: 'text' as const }]]) }],
  // RFC 2548: the DNS servers a NAS hands out with IPCP (RFC 1877); there is no standard attribute.
  [311, { id: 311, name: 'Microsoft', attributes: new Map([
    [7, { name: 'MS-MPPE-Encryption-Policy', valueType: 'integer' as const }],
    [28, { name: 'MS-Primary-DNS-Server', valueType: 'ipaddr' as const }],
    [29, { name: 'MS-Secondary-DNS-Server', valueType: 'ipaddr' as const }],
  ]) }],
]);

/** The fixed value length a known attribute must have, or undefined when it varies. */
export function fixedValueLength(def: AttributeDef): number | undefined {
  if (def.length !== undefined) return def.length;
  if (def.valueType === 'integer' || def.valueType === 'ipaddr' || def.valueType === 'date') return 4;
  if (def.valueType === 'ipv6addr') return 16;
  if (def.valueType === 'ifid') return 8;
  return undefined;
}
