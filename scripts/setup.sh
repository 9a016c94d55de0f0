#!/usr/bin/env bash
# Set-up for a fresh machine (Debian, Node 20, npm 11): system packages, npm dependencies, build.
# Idempotent: installs only what is missing. Benchmarks install nginx and wrk themselves (bench/lib).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -f /usr/include/pcap.h ] || [ -f /usr/include/pcap/pcap.h ] || missing+=(libpcap-dev)  # cap compiles against it
command -v tcpdump >/dev/null || missing+=(tcpdump)   # pcap fixtures and capture checks
command -v openssl >/dev/null || missing+=(openssl)   # self-signed certificates in the https tests
command -v python3 >/dev/null || missing+=(python3)   # GoReplay middleware examples in the tests
command -v tshark >/dev/null || missing+=(tshark)     # --input-raw-engine tshark (HTTPS capture)
command -v curl >/dev/null || missing+=(curl)         # TLS 1.2/1.3, HTTP/1.1 and HTTP/2 clients in the HTTPS capture tests
command -v chromium >/dev/null || missing+=(chromium) # the compare HTML report is opened headless in a test
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)  # so that headless screenshots have text
command -v nats-server >/dev/null || missing+=(nats-server)   # NATS JetStream tests (plugin-nats, cluster)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm ci --no-audit --no-fund
npm run build
