/*
 * pseudonet AF_PACKET binding (N-API, C). One non-blocking SOCK_RAW packet socket per
 * attachment, bound to one interface, polled by libuv (uv_poll_t on the event loop of
 * the calling thread): the JS side is called when the socket is readable / writable and
 * then reads with recvmmsg straight into JS-owned memory (the one copy, at the kernel
 * boundary) and writes with sendmmsg straight from JS-owned frames (no copy in user
 * space). Nothing here blocks: EAGAIN ends a batch.
 * Guarantees: the socket sees frames of its own interface only (protocol 0 until bound to
 * the ifindex, and every frame's sll_ifindex checked); a send reports exactly which frames
 * the kernel took and which it refused, so nothing is sent twice; a socket closes once,
 * whether by close() or by the garbage collector, and its memory outlives every handle.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>
#include <errno.h>
#include <string.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/virtio_net.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define MAX_BATCH 256
#define VNET_HDR_LEN ((int)sizeof(struct virtio_net_hdr))

/* Flags in the high bits of a received frame's length (a frame is far shorter than 2^29). */
#define RX_GSO 0x80000000u      /* a GSO super-frame */
#define RX_FOREIGN 0x40000000u  /* from another interface than the one bound: never delivered */
#define RX_OUTGOING 0x20000000u /* a frame sent on the interface (PACKET_OUTGOING), not received */

/*
 * PACKET_VNET_HDR: every frame comes with a virtio_net_hdr. Locally generated packets on a
 * veth or bridge carry a partial checksum (CHECKSUM_PARTIAL: only the pseudo-header sum),
 * which a kernel completes in its driver; a userspace router must complete it itself or
 * the next kernel drops the packet (UDP/TCP through us would fail; ICMP would not).
 * GSO super-frames (TSO on the sender's veth) are reported with their gso_type: the JS side
 * counts and drops them (turn TSO/GSO off on peers that send TCP through us).
 */
static void complete_csum(unsigned char *f, uint32_t len, const struct virtio_net_hdr *h) {
  uint32_t start = h->csum_start, off = h->csum_offset;
  if (start >= len || start + off + 2 > len) return;
  uint32_t sum = 0;
  uint32_t i = start;
  for (; i + 1 < len; i += 2) sum += (uint32_t)(f[i] << 8 | f[i + 1]);
  if (i < len) sum += (uint32_t)(f[i] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  uint16_t c = (uint16_t)~sum;
  /* RFC 768: a computed UDP checksum of 0 is sent as all ones (0 means "no checksum"). For
   * TCP and ICMP 0xFFFF is the same one's-complement value, so Linux does this for every
   * protocol (skb_checksum_help: csum_fold(csum) ?: CSUM_MANGLED_0); so do we. */
  if (c == 0) c = 0xffff;
  f[start + off] = (unsigned char)(c >> 8);
  f[start + off + 1] = (unsigned char)(c & 0xff);
}

/*
 * Lifetime: the struct is freed when both the libuv handle is closed (on_closed) and the JS
 * handle (an external) is gone (on_finalize), so a close() after close() or after the GC
 * never reads freed memory. The callback reference is weak: the JS object keeps its own
 * callback alive, so an AfPacket that nothing references can be collected, and its
 * finalizer closes the socket.
 */
typedef struct {
  uv_poll_t poll;
  int fd;
  int ifindex;
  int events;
  int polling;
  int closed;         /* close() or the finalizer ran: fd closed, uv_close asked */
  int handle_closed;  /* libuv's close callback ran (or the handle never existed) */
  int finalized;      /* the external is gone (or was never made) */
  napi_env env;
  napi_ref cb;
  napi_async_context ctx;
} Sock;

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, "EINTERNAL", "afpacket: N-API call failed: " #call); \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[512];
  const char *code = "EIO";
  switch (err) {
    case EPERM: code = "EPERM"; break;
    case EACCES: code = "EACCES"; break;
    case ENODEV: code = "ENODEV"; break;
    case ENXIO: code = "ENXIO"; break;
    case ENETDOWN: code = "ENETDOWN"; break;
    case EMSGSIZE: code = "EMSGSIZE"; break;
    case EINVAL: code = "EINVAL"; break;
    case ENOBUFS: code = "ENOBUFS"; break;
    case EBADF: code = "EBADF"; break;
    default: break;
  }
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value c, m, e;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, c, m, &e);
  napi_value errnoV;
  napi_create_int32(env, err, &errnoV);
  napi_set_named_property(env, e, "errno", errnoV);
  napi_throw(env, e);
  return NULL;
}

static Sock *get_sock(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "EINVAL", "afpacket: not a socket handle");
    return NULL;
  }
  Sock *s = (Sock *)p;
  if (s->closed) {
    napi_throw_error(env, "EBADF", "afpacket: socket is closed");
    return NULL;
  }
  return s;
}

static void on_closed(uv_handle_t *h) {
  Sock *s = (Sock *)h->data;
  s->handle_closed = 1;
  if (s->finalized) free(s);
}

static void sock_close(Sock *s) {
  if (s->closed) return;
  s->closed = 1;
  if (s->cb) { napi_delete_reference(s->env, s->cb); s->cb = NULL; }
  if (s->ctx) { napi_async_destroy(s->env, s->ctx); s->ctx = NULL; }
  int fd = s->fd;
  s->fd = -1;
  if (!s->handle_closed) {
    if (s->polling) uv_poll_stop(&s->poll);
    s->polling = 0;
    /* The poll handle must be closed before the fd goes (libuv's rule); freed once both are gone. */
    uv_close((uv_handle_t *)&s->poll, on_closed);
  }
  if (fd >= 0) close(fd);
}

/* The JS handle was collected: close a socket nobody closed, free when libuv is done too. */
static void on_finalize(napi_env env, void *data, void *hint) {
  Sock *s = (Sock *)data;
  sock_close(s);
  s->finalized = 1;
  if (s->handle_closed) free(s);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  Sock *s = (Sock *)h->data;
  if (s->closed || !s->cb) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb = NULL, recv, argv[1];
  /* Weak: NULL once the JS side is collected; its finalizer closes us soon. Until then stop
   * polling, or a level-triggered readable socket would call us in a busy loop. */
  if (napi_get_reference_value(env, s->cb, &cb) != napi_ok || cb == NULL) {
    if (s->polling) { uv_poll_stop(&s->poll); s->polling = 0; }
    napi_close_handle_scope(env, scope);
    return;
  }
  napi_get_global(env, &recv);
  int ev = 0;
  if (status < 0) ev = 4; /* error: the JS side reads the error from the next call */
  else {
    if (events & UV_READABLE) ev |= 1;
    if (events & UV_WRITABLE) ev |= 2;
  }
  napi_create_int32(env, ev, &argv[0]);
  napi_value result;
  /* make_callback: runs process.nextTick / microtask queues afterwards, like a node handle. */
  if (napi_make_callback(env, s->ctx, recv, cb, 1, argv, &result) == napi_pending_exception) {
    napi_value ex;
    napi_get_and_clear_last_exception(env, &ex);
    napi_fatal_exception(env, ex);
  }
  napi_close_handle_scope(env, scope);
}

/* Closes the fd and throws errno `e` from `what`: every error path of Open after socket(). */
static napi_value open_fail(napi_env env, int fd, int e, const char *what) {
  close(fd);
  return throw_errno(env, e, what);
}

/* An N-API failure in Open after socket(): the fd (and a Sock not yet handed to JS) go too. */
#define OPEN_CHECK(call)                                                \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      if (s) { sock_close(s); s->finalized = 1; if (s->handle_closed) free(s); } \
      else close(fd);                                                   \
      napi_throw_error(env, "EINTERNAL", "afpacket: N-API call failed: " #call); \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

/* open(ifname, promisc, rcvbuf, sndbuf, onEvent) → { handle, ifindex, mac, mtu } */
static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 1];
  size_t nlen = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &nlen) != napi_ok || nlen == 0 || nlen >= IFNAMSIZ) {
    napi_throw_type_error(env, "EINVAL", "afpacket.open: interface name must be 1..15 characters");
    return NULL;
  }
  napi_valuetype cbType;
  if (argc < 5 || napi_typeof(env, argv[4], &cbType) != napi_ok || cbType != napi_function) {
    napi_throw_type_error(env, "EINVAL", "afpacket.open: onEvent must be a function");
    return NULL;
  }
  bool promisc = false;
  int32_t rcvbuf = 0, sndbuf = 0;
  napi_get_value_bool(env, argv[1], &promisc);
  napi_get_value_int32(env, argv[2], &rcvbuf);
  napi_get_value_int32(env, argv[3], &sndbuf);

  /*
   * Protocol 0: a packet socket with protocol 0 is on no receive list, so nothing reaches it
   * until bind() below names both the protocol (ETH_P_ALL) and the interface (packet(7)).
   * With ETH_P_ALL here, frames of every interface would queue between socket() and bind().
   */
  Sock *s = NULL;
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket(AF_PACKET, SOCK_RAW)");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, nlen);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) return open_fail(env, fd, errno, "SIOCGIFINDEX");
  int ifindex = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) return open_fail(env, fd, errno, "SIOCGIFHWADDR");
  unsigned char mac[6];
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  int mtu = 1500;
  if (ioctl(fd, SIOCGIFMTU, &ifr) == 0) mtu = ifr.ifr_mtu;

  int one = 1;
  /* Our own transmissions are not looped back to us (Linux >= 4.20); ignore if unsupported. */
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) return open_fail(env, fd, errno, "PACKET_VNET_HDR");
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (sndbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (promisc) {
    struct packet_mreq mr;
    memset(&mr, 0, sizeof mr);
    mr.mr_ifindex = ifindex;
    mr.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) return open_fail(env, fd, errno, "PACKET_ADD_MEMBERSHIP promisc");
  }
  /* Everything is set: now the socket starts receiving, from this interface only. */
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) return open_fail(env, fd, errno, "bind(AF_PACKET)");

  s = calloc(1, sizeof *s);
  if (!s) return open_fail(env, fd, ENOMEM, "afpacket.open");
  s->fd = fd;
  s->ifindex = ifindex;
  s->env = env;
  s->handle_closed = 1; /* no libuv handle yet */
  uv_loop_t *loop;
  OPEN_CHECK(napi_get_uv_event_loop(env, &loop));
  int uerr = uv_poll_init(loop, &s->poll, fd);
  if (uerr != 0) { free(s); return open_fail(env, fd, -uerr, "uv_poll_init"); }
  s->handle_closed = 0;
  s->poll.data = s;
  OPEN_CHECK(napi_create_reference(env, argv[4], 0, &s->cb));
  napi_value resName;
  OPEN_CHECK(napi_create_string_utf8(env, "pseudonet.afpacket", NAPI_AUTO_LENGTH, &resName));
  OPEN_CHECK(napi_async_init(env, NULL, resName, &s->ctx));
  s->events = UV_READABLE;
  uerr = uv_poll_start(&s->poll, s->events, on_poll);
  if (uerr != 0) { sock_close(s); s->finalized = 1; return throw_errno(env, -uerr, "uv_poll_start"); }
  s->polling = 1;

  napi_value out, h, v, macAb, macArr;
  OPEN_CHECK(napi_create_object(env, &out));
  OPEN_CHECK(napi_create_external(env, s, on_finalize, NULL, &h));
  /* From here the external owns the Sock: a failure closes it and the finalizer frees it. */
  Sock *owned = s;
  s = NULL;
#undef OPEN_CHECK
#define OPEN_CHECK(call)                                                \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      sock_close(owned);                                                \
      napi_throw_error(env, "EINTERNAL", "afpacket: N-API call failed: " #call); \
      return NULL;                                                      \
    }                                                                   \
  } while (0)
  OPEN_CHECK(napi_set_named_property(env, out, "handle", h));
  OPEN_CHECK(napi_create_int32(env, ifindex, &v));
  OPEN_CHECK(napi_set_named_property(env, out, "ifindex", v));
  OPEN_CHECK(napi_create_int32(env, mtu, &v));
  OPEN_CHECK(napi_set_named_property(env, out, "mtu", v));
  void *macData;
  OPEN_CHECK(napi_create_arraybuffer(env, 6, &macData, &macAb));
  memcpy(macData, mac, 6);
  OPEN_CHECK(napi_create_typedarray(env, napi_uint8_array, 6, macAb, 0, &macArr));
  OPEN_CHECK(napi_set_named_property(env, out, "mac", macArr));
#undef OPEN_CHECK
  return out;
}

/* setEvents(handle, mask): 1 readable, 2 writable, 0 = stop polling. */
static napi_value SetEvents(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Sock *s = get_sock(env, argv[0]);
  if (!s) return NULL;
  int32_t mask = 0;
  napi_get_value_int32(env, argv[1], &mask);
  int ev = ((mask & 1) ? UV_READABLE : 0) | ((mask & 2) ? UV_WRITABLE : 0);
  if (ev == s->events && s->polling == (ev != 0)) return NULL;
  s->events = ev;
  if (ev == 0) { uv_poll_stop(&s->poll); s->polling = 0; }
  else { uv_poll_start(&s->poll, ev, on_poll); s->polling = 1; }
  return NULL;
}

/* setRef(handle, bool): whether the socket keeps the event loop alive. */
static napi_value SetRef(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Sock *s = get_sock(env, argv[0]);
  if (!s) return NULL;
  bool ref = true;
  napi_get_value_bool(env, argv[1], &ref);
  if (ref) uv_ref((uv_handle_t *)&s->poll);
  else uv_unref((uv_handle_t *)&s->poll);
  return NULL;
}

/*
 * recv(handle, slab: Uint8Array, slot: number, max: number, lengths: Uint32Array) → n.
 * Frame i lands at slab[i*slot ...]; lengths[i] is its real length (MSG_TRUNC: larger than
 * slot means it was cut) or'ed with RX_GSO (a GSO super-frame), RX_FOREIGN (another
 * interface's frame: bind() should make it impossible; counted and dropped if the kernel
 * ever delivers one) or RX_OUTGOING (a frame sent on the interface, on a kernel without
 * PACKET_IGNORE_OUTGOING). Partial checksums are completed. 0 = nothing waiting.
 */
static napi_value Recv(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Sock *s = get_sock(env, argv[0]);
  if (!s) return NULL;
  napi_typedarray_type t;
  size_t slabLen, lenLen;
  void *slab, *lens;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, argv[1], &t, &slabLen, &slab, &ab, &off) != napi_ok || t != napi_uint8_array) {
    napi_throw_type_error(env, "EINVAL", "afpacket.recv: slab must be a Uint8Array");
    return NULL;
  }
  int32_t slot = 0, max = 0;
  napi_get_value_int32(env, argv[2], &slot);
  napi_get_value_int32(env, argv[3], &max);
  if (napi_get_typedarray_info(env, argv[4], &t, &lenLen, &lens, &ab, &off) != napi_ok || t != napi_uint32_array) {
    napi_throw_type_error(env, "EINVAL", "afpacket.recv: lengths must be a Uint32Array");
    return NULL;
  }
  if (slot <= 0 || max <= 0) { napi_throw_range_error(env, "EINVAL", "afpacket.recv: slot and max must be > 0"); return NULL; }
  if (max > MAX_BATCH) max = MAX_BATCH;
  if ((size_t)max > lenLen) max = (int32_t)lenLen;
  if ((size_t)max * (size_t)slot > slabLen) max = (int32_t)(slabLen / (size_t)slot);
  napi_value out;
  if (max <= 0) { napi_create_int32(env, 0, &out); return out; }
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH][2];
  struct virtio_net_hdr vh[MAX_BATCH];
  struct sockaddr_ll from[MAX_BATCH];
  memset(msgs, 0, sizeof(struct mmsghdr) * (size_t)max);
  for (int i = 0; i < max; i++) {
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    from[i].sll_ifindex = 0;
    iov[i][0].iov_base = &vh[i];
    iov[i][0].iov_len = sizeof vh[i];
    iov[i][1].iov_base = (unsigned char *)slab + (size_t)i * (size_t)slot;
    iov[i][1].iov_len = (size_t)slot;
    msgs[i].msg_hdr.msg_iov = iov[i];
    msgs[i].msg_hdr.msg_iovlen = 2;
  }
  int n;
  do n = recvmmsg(s->fd, msgs, (unsigned)max, MSG_DONTWAIT | MSG_TRUNC, NULL);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) n = 0;
    else return throw_errno(env, errno, "recvmmsg");
  }
  uint32_t *L = (uint32_t *)lens;
  for (int i = 0; i < n; i++) {
    uint32_t len = msgs[i].msg_len > (unsigned)VNET_HDR_LEN ? msgs[i].msg_len - (unsigned)VNET_HDR_LEN : 0;
    unsigned char *f = (unsigned char *)slab + (size_t)i * (size_t)slot;
    if (msgs[i].msg_hdr.msg_namelen < offsetof(struct sockaddr_ll, sll_addr) || from[i].sll_ifindex != s->ifindex) len |= RX_FOREIGN;
    else if (from[i].sll_pkttype == PACKET_OUTGOING) len |= RX_OUTGOING;
    else if (vh[i].gso_type != VIRTIO_NET_HDR_GSO_NONE) len |= RX_GSO; /* a GSO super-frame: flagged for the JS side */
    else if ((vh[i].flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && len <= (uint32_t)slot) complete_csum(f, len, &vh[i]);
    L[i] = len;
  }
  napi_create_int32(env, n, &out);
  return out;
}

/*
 * send(handle, frames: Uint8Array[], start, count, report: Int32Array) → frames consumed
 * from `start` on: sent or refused, never to be offered again.
 * report[0] = how many of them the kernel refused, report[1] = 1 if the call stopped because
 * the socket buffer is full (EAGAIN / ENOBUFS: the rest waits for writable), then one pair
 * (offset from start, errno) per refusal. sendmmsg stops at the first frame it cannot send
 * and forgets the error (it returns how many went), so the next call starts at that frame
 * and gets its errno: a refused frame (too long for the MTU: EMSGSIZE; interface down) is
 * reported and skipped, and the frames after it still go, each exactly once. When the
 * report is full the call returns early; the caller calls again for the rest.
 */
static napi_value Send(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Sock *s = get_sock(env, argv[0]);
  if (!s) return NULL;
  int32_t start = 0, count = 0;
  napi_get_value_int32(env, argv[2], &start);
  napi_get_value_int32(env, argv[3], &count);
  napi_typedarray_type rt;
  size_t rlen = 0;
  void *rdata = NULL;
  napi_value rab;
  size_t roff;
  if (argc < 5 || napi_get_typedarray_info(env, argv[4], &rt, &rlen, &rdata, &rab, &roff) != napi_ok || rt != napi_int32_array || rlen < 4) {
    napi_throw_type_error(env, "EINVAL", "afpacket.send: report must be an Int32Array of at least 4");
    return NULL;
  }
  int32_t *report = (int32_t *)rdata;
  int32_t cap = (int32_t)((rlen - 2) / 2);
  int32_t refused = 0;
  report[0] = 0;
  report[1] = 0;
  if (start < 0 || count < 0) { napi_throw_range_error(env, "EINVAL", "afpacket.send: start and count must be >= 0"); return NULL; }
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH][2];
  static struct virtio_net_hdr none; /* no offload asked of the kernel: our frames are complete */
  struct sockaddr_ll to;
  memset(&to, 0, sizeof to);
  to.sll_family = AF_PACKET;
  to.sll_ifindex = s->ifindex;
  to.sll_halen = 6;
  int done = 0;
  while (done < count && refused < cap) {
    int k = count - done;
    if (k > MAX_BATCH) k = MAX_BATCH;
    memset(msgs, 0, sizeof(struct mmsghdr) * (size_t)k);
    int bad = 0;
    for (int i = 0; i < k; i++) {
      napi_value el;
      napi_typedarray_type t;
      size_t len;
      void *data;
      napi_value ab;
      size_t off;
      if (napi_get_element(env, argv[1], (uint32_t)(start + done + i), &el) != napi_ok ||
          napi_get_typedarray_info(env, el, &t, &len, &data, &ab, &off) != napi_ok || t != napi_uint8_array) {
        /* Not a frame: send those before it; it is refused (EINVAL) when it comes first. */
        bool pending = false;
        napi_is_exception_pending(env, &pending);
        if (pending) { napi_value ex; napi_get_and_clear_last_exception(env, &ex); }
        if (i == 0) bad = 1;
        k = i;
        break;
      }
      iov[i][0].iov_base = &none;
      iov[i][0].iov_len = sizeof none;
      iov[i][1].iov_base = data;
      iov[i][1].iov_len = len;
      msgs[i].msg_hdr.msg_iov = iov[i];
      msgs[i].msg_hdr.msg_iovlen = 2;
      msgs[i].msg_hdr.msg_name = &to;
      msgs[i].msg_hdr.msg_namelen = sizeof to;
    }
    if (bad) {
      report[2 + 2 * refused] = done;
      report[3 + 2 * refused] = EINVAL;
      refused++;
      done++;
      continue;
    }
    int n;
    do n = sendmmsg(s->fd, msgs, (unsigned)k, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
      int e = errno;
      if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) { report[1] = 1; break; }
      /* The kernel refuses this frame (too long, interface down): report it, go on after it. */
      report[2 + 2 * refused] = done;
      report[3 + 2 * refused] = e;
      refused++;
      done++;
      continue;
    }
    if (n == 0) { report[1] = 1; break; } /* not seen on Linux; never spin on it */
    done += n;
    /* n < k: the frame at `done` failed; the next round sends from it and learns why. */
  }
  report[0] = refused;
  napi_value out;
  napi_create_int32(env, done, &out);
  return out;
}

/* stats(handle) → { packets, drops } from PACKET_STATISTICS (resets them, as the kernel does). */
static napi_value Stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Sock *s = get_sock(env, argv[0]);
  if (!s) return NULL;
  struct tpacket_stats st;
  socklen_t l = sizeof st;
  memset(&st, 0, sizeof st);
  if (getsockopt(s->fd, SOL_PACKET, PACKET_STATISTICS, &st, &l) < 0) return throw_errno(env, errno, "PACKET_STATISTICS");
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_uint32(env, st.tp_packets, &v);
  napi_set_named_property(env, out, "packets", v);
  napi_create_uint32(env, st.tp_drops, &v);
  napi_set_named_property(env, out, "drops", v);
  return out;
}

static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *p = NULL;
  if (napi_get_value_external(env, argv[0], &p) != napi_ok || !p) return NULL;
  sock_close((Sock *)p);
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
    {"open", NULL, Open, NULL, NULL, NULL, napi_default, NULL},
    {"setEvents", NULL, SetEvents, NULL, NULL, NULL, napi_default, NULL},
    {"setRef", NULL, SetRef, NULL, NULL, NULL, napi_default, NULL},
    {"recv", NULL, Recv, NULL, NULL, NULL, napi_default, NULL},
    {"send", NULL, Send, NULL, NULL, NULL, napi_default, NULL},
    {"stats", NULL, Stats, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof d / sizeof d[0], d);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
