#!/usr/bin/env bash
# Browser tests against a real Lumen: builds nothing itself (make does), loads a small real
# index (the 5 SPL labels, two MedQuAD folders and the names of MedlinePlus drugs), serves it, runs Playwright in Debian's
# Chromium, restarts the backend and checks that conversations survive the restart.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd .. && pwd)
BIN="$ROOT/.venv/bin"
SEED_DIR=${LUMEN_SEED_DIR:?LUMEN_SEED_DIR must name the data folder (shared/data)}
PORT=${LUMEN_E2E_PORT:-8765}
export LUMEN_DATA_DIR="$ROOT/e2e/.var"
export LUMEN_E2E_URL="http://127.0.0.1:$PORT"
export LUMEN_LOG_LEVEL=WARNING
mkdir -p artifacts

if [ ! -f "$LUMEN_DATA_DIR/.seeded-v2" ]; then
  rm -rf "$LUMEN_DATA_DIR" && mkdir -p "$LUMEN_DATA_DIR"
  slice="$LUMEN_DATA_DIR/medquad-slice"
  "$BIN/python" - "$SEED_DIR/medquad/MedQuAD-master.zip" "$slice" <<'PY'
import sys, zipfile
# MedlinePlus drugs: names only (MedQuAD carries no answers there), so Lumen can say which
# drugs it holds no label for.
folders = ("7_SeniorHealth_QA/", "8_NHLBI_QA_XML/", "11_MPlusDrugs_QA/")
with zipfile.ZipFile(sys.argv[1]) as archive:
    for name in archive.namelist():
        if any(f in name for f in folders):
            archive.extract(name, sys.argv[2])
PY
  "$BIN/lumen" ingest spl "$SEED_DIR/drug_labels/spl"
  "$BIN/lumen" ingest medquad "$slice"
  touch "$LUMEN_DATA_DIR/.seeded-v2"
fi

# Staff accounts (admin and pharma need 2FA: their first sign-in lands in enrollment). The
# database under .var is kept between runs, so each run makes new addresses and passwords.
RUN_ID=$(date +%s)
secret() { "$BIN/python" -c 'import secrets; print("e2e " + secrets.token_urlsafe(18))'; }
export E2E_ADMIN_EMAIL="admin-$RUN_ID@e2e.test" E2E_ADMIN_PASSWORD=$(secret)
export E2E_PHARMA_EMAIL="pharma-$RUN_ID@e2e.test" E2E_PHARMA_PASSWORD=$(secret)
export E2E_NEWSTAFF_EMAIL="newstaff-$RUN_ID@e2e.test" E2E_NEWSTAFF_PASSWORD=$(secret)
"$BIN/lumen" users create --email "$E2E_ADMIN_EMAIL" --role admin --password-stdin <<< "$E2E_ADMIN_PASSWORD"
"$BIN/lumen" users create --email "$E2E_PHARMA_EMAIL" --role pharma --password-stdin <<< "$E2E_PHARMA_PASSWORD"
"$BIN/lumen" users create --email "$E2E_NEWSTAFF_EMAIL" --role pharma --password-stdin <<< "$E2E_NEWSTAFF_PASSWORD"
# Sessions and TOTP steps of a previous run mean nothing to this one.
rm -f artifacts/staff-*.json artifacts/totp-steps.json

# A real OpenID provider for organisation sign-in (panva's oidc-provider; make installs it).
OIDC_DIR="$ROOT/tests/auth/oidc_provider"
OIDC_PORT=${LUMEN_E2E_OIDC_PORT:-8766}
export LUMEN_OIDC_ISSUER="http://127.0.0.1:$OIDC_PORT" LUMEN_OIDC_CLIENT_ID=lumen \
  LUMEN_OIDC_CLIENT_SECRET=lumen-test-secret LUMEN_OIDC_NAME="Example Pharma"
OIDC_PORT=$OIDC_PORT OIDC_REDIRECT_URIS="$LUMEN_E2E_URL/api/v1/auth/oidc/callback" \
  node "$OIDC_DIR/server.mjs" > artifacts/oidc.log 2>&1 &
oidc_pid=$!
for _ in $(seq 1 60); do
  curl -sf "$LUMEN_OIDC_ISSUER/.well-known/openid-configuration" > /dev/null && break
  sleep 0.25
done

server_pid=""
start_server() {
  "$BIN/lumen" serve --no-seed --port "$PORT" > artifacts/server.log 2>&1 &
  server_pid=$!
  for _ in $(seq 1 240); do
    curl -sf "$LUMEN_E2E_URL/readyz" > /dev/null && return 0
    kill -0 "$server_pid" 2> /dev/null || { cat artifacts/server.log; return 1; }
    sleep 0.5
  done
  echo "the backend did not become ready" >&2
  return 1
}
stop_server() { [ -n "$server_pid" ] && kill "$server_pid" 2> /dev/null && wait "$server_pid" || true; }
trap 'stop_server; kill "$oidc_pid" 2> /dev/null || true' EXIT

# Arguments go to Playwright, e.g. `./run.sh tests/admin-users.spec.ts` for one spec (the
# restart phase then finds no test and passes).
start_server
npx playwright test --grep-invert @after-restart "$@"
stop_server
start_server
npx playwright test --grep @after-restart --pass-with-no-tests "$@"
