"""SCCRQ flood for test/real/l2tp-flood.test.ts: raw UDP sockets bound to the attacker's own
addresses in its namespace, each SCCRQ from a fresh source port with a fresh Assigned Tunnel ID.
Half claim an unknown Host Name, half the real LAC's (host names travel in clear), with a
Challenge. Built here with struct from RFC 2661 §3.1/§4.4, independently of pseudonet's codec.
argv: DST N RATE SRC[,SRC...] REAL_HOSTNAME. Prints one JSON line when done."""
import json
import socket
import struct
import sys
import time

dst, n, rate, srcs, real_host = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4].split(','), sys.argv[5].encode()


def avp(attr, value, mandatory=True):
    return struct.pack('!HHH', (0x8000 if mandatory else 0) | (6 + len(value)), 0, attr) + value


def sccrq(host, tunnel_id):
    body = (avp(0, struct.pack('!H', 1))            # Message Type: SCCRQ
            + avp(2, struct.pack('!BB', 1, 0))      # Protocol Version 1.0
            + avp(3, struct.pack('!I', 3))          # Framing Capabilities: sync | async
            + avp(7, host)                          # Host Name
            + avp(9, struct.pack('!H', tunnel_id))  # Assigned Tunnel ID
            + avp(10, struct.pack('!H', 4))         # Receive Window Size
            + avp(11, bytes(range(16))))            # Challenge
    # T=1 L=1 S=1, version 2; tunnel 0, session 0, Ns 0, Nr 0.
    return struct.pack('!HHHHHH', 0xC802, 12 + len(body), 0, 0, 0, 0) + body


def checksum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp(src, sport, payload):
    length = 8 + len(payload)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 17, length)
    c = checksum(pseudo + struct.pack('!HHHH', sport, 1701, length, 0) + payload) or 0xFFFF
    return struct.pack('!HHHH', sport, 1701, length, c) + payload


socks = []
for a in srcs:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    s.bind((a, 0))
    socks.append((a, s))

start = time.monotonic()
errors = 0
for i in range(n):
    a, s = socks[i % len(socks)]
    sport = 1024 + (i // len(socks)) % 64512
    host = real_host if i % 2 else b'bot-%d' % i
    try:
        s.sendto(udp(a, sport, sccrq(host, 1 + i % 65535)), (dst, 0))
    except OSError:
        errors += 1
    if i % 200 == 199:
        ahead = (i + 1) / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
print(json.dumps({'ev': 'done', 'sent': n, 'errors': errors, 'seconds': round(time.monotonic() - start, 2)}), flush=True)
