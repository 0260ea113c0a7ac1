#!/usr/bin/env bash
# Installs what the tests need from npm and Debian, idempotently: npm packages (npm ci),
# tshark, FreeRADIUS + radclient, Chromium (the web view's browser test, driven by
# playwright-core) and promtool (Debian's prometheus: the /metrics lint). Prints one line per
# thing it had to install.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/tsx ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@dagrejs/dagre ]; then npm ci --no-audit --no-fund >/dev/null; fi
# The AF_PACKET addon (npm ci builds it; a tree installed before it existed has not).
[ -f build/Release/pseudonet_afpacket.node ] || node scripts/build-native.mjs
need=()
command -v tshark >/dev/null || need+=(tshark)
command -v freeradius >/dev/null || need+=(freeradius)
command -v radclient >/dev/null || need+=(freeradius-utils)
command -v traceroute >/dev/null || need+=(traceroute)
command -v ping >/dev/null || need+=(iputils-ping)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v promtool >/dev/null || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "deps: need root to install ${need[*]}" >&2; exit 1; fi
  echo "deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
  # The packaged FreeRADIUS service is not ours to run: tests start their own from a copy of raddb.
  systemctl disable --now freeradius >/dev/null 2>&1 || true
  # Likewise the packaged Prometheus server: only its promtool is ours to use.
  systemctl disable --now prometheus prometheus-node-exporter >/dev/null 2>&1 || true
fi
# The QEMU lab's images (pppd, pppoe-server, xl2tpd VMs) for the tests in test/lab and
# test/real: built once by the lab's own idempotent build.sh when missing.
lab="../shared/lab/vm"
if [ -x "$lab/build.sh" ] || [ -f "$lab/build.sh" ]; then
  if [ ! -f "${LAB_VM_CACHE:-/var/tmp/pseudonet-lab}/initramfs.cpio" ]; then
    if [ "$(id -u)" != 0 ]; then echo "deps: need root to build the VM lab ($lab/build.sh)" >&2; exit 1; fi
    echo "deps: building the VM lab images ($lab/build.sh)"
    (cd "$lab" && bash ./build.sh >/dev/null)
  fi
fi
