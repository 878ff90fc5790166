#!/usr/bin/env bash
# Installs what gridpulse's tests need beyond npm packages, and nothing that is already there:
#   - kcat (Debian package): an external Kafka client the integration tests produce with;
#   - prometheus (Debian package, with promtool): the dashboard and SLO rule tests run a real Prometheus
#     (their own process on loopback; the package's system service is not started);
#   - chromium (Debian package): the subscriber page's browser test drives it headless through
#     puppeteer-core (which downloads no browser of its own);
#   - a Java runtime and Maven, if missing (the local Kafka broker runs on the JVM);
#   - the Apache Kafka broker jars, fetched once from Maven Central through Maven, then cached.
# Runs before `npm test` (everything) and `npm start` (with --runtime: no test tools). Safe to repeat.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
if [ "${1:-}" != "--runtime" ]; then
  command -v kcat >/dev/null 2>&1 || missing+=(kcat)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "setup: missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root" >&2
      exit 1
    fi
  fi
  echo "setup: installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    $sudo apt-get update -q >/dev/null
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  }
  # Where systemd runs, installing the package enables and starts its service: the tests start their
  # own Prometheus, so stop that one rather than leave it scraping and holding port 9090.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi

if [ ! -x node_modules/.bin/node ]; then
  echo "setup: npm packages are not installed; run 'npm install' first" >&2
  exit 1
fi
node_modules/.bin/node dev/kafka/fetch.ts
# The trace backend of the tests (and of `npm start -- --zipkin`, which fetches it on first use).
if [ "${1:-}" != "--runtime" ]; then node_modules/.bin/node dev/zipkin/fetch.ts; fi
