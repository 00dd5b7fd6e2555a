#!/usr/bin/env bash
# Start the action server, Rasa (REST channel, API enabled) and the web demo; stop them all on Ctrl-C.
# With --shell: the action server and a terminal chat instead.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
DEMO_PORT=${DEMO_PORT:-8080}
mkdir -p logs
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

$BIN/python -m cases.db upgrade
$BIN/rasa run actions --port "$ACTIONS_PORT" --actions actions.actions > logs/actions.log 2>&1 &
pids+=($!)

if [[ "${1:-}" == "--shell" ]]; then
  $BIN/rasa shell --model models/ansinh.tar.gz --endpoints endpoints.yml
  exit 0
fi

# Rasa's HTTP API (trackers, events) only with the token: ANSINH_RASA_TOKEN, else the one kept in .rasa-token
# (git-ignored, made on the first run). The channel webhooks (REST, socket.io, Telegram, Zalo) need no token.
if [[ -z "${ANSINH_RASA_TOKEN:-}" ]]; then
  if [[ ! -s .rasa-token ]]; then
    (umask 077; $BIN/python -c 'import secrets; print(secrets.token_urlsafe(32))' > .rasa-token)
  fi
  ANSINH_RASA_TOKEN=$(<.rasa-token)
fi
export ANSINH_RASA_TOKEN
# CORS only for the portal's origin(s), space- or comma-separated (default: the demo server).
IFS=', ' read -r -a CORS_ORIGINS <<< "${ANSINH_CORS_ORIGINS:-http://localhost:$DEMO_PORT}"
$BIN/rasa run --model models/ansinh.tar.gz --enable-api --auth-token "$ANSINH_RASA_TOKEN" --cors "${CORS_ORIGINS[@]}" \
  --port "$RASA_PORT" --credentials credentials.yml --endpoints endpoints.yml > logs/rasa.log 2>&1 &
pids+=($!)
# The demo pages name the Rasa server in their own markup (never taken from the page address): another port, a copy.
DEMO_DIR=channels/webchat
if [[ "$RASA_PORT" != 5005 ]]; then
  DEMO_DIR=$(mktemp -d); cp -r channels/webchat/. "$DEMO_DIR"
  sed -i "s#http://localhost:5005#http://localhost:$RASA_PORT#" "$DEMO_DIR/portal.html" "$DEMO_DIR/demo.html"
fi
$BIN/python -m http.server "$DEMO_PORT" --bind 127.0.0.1 --directory "$DEMO_DIR" > logs/demo.log 2>&1 &
pids+=($!)
# Staff console (channels/console; settings in console.yml, overridden by ANSINH_CONSOLE_* variables).
CONSOLE_PORT=${ANSINH_CONSOLE_PORT:-8090}
CONSOLE_URL=${ANSINH_CONSOLE_BASE_URL:-http://localhost:$CONSOLE_PORT}
ANSINH_CONSOLE_PORT="$CONSOLE_PORT" ANSINH_CONSOLE_BASE_URL="$CONSOLE_URL" ANSINH_RASA_URL="http://localhost:$RASA_PORT" \
  $BIN/python -m channels.console serve > logs/console.log 2>&1 &
pids+=($!)
# Outreach scheduler: reminders and campaigns, a pass every ANSINH_SCHEDULER_INTERVAL seconds (outreach/scheduler.py).
ANSINH_RASA_URL="http://localhost:$RASA_PORT" $BIN/python -m outreach.scheduler loop > logs/scheduler.log 2>&1 &
pids+=($!)

echo "Starting Rasa (this takes about a minute)..."
for _ in $(seq 1 180); do
  if curl -fs "http://localhost:$RASA_PORT/status?token=$ANSINH_RASA_TOKEN" >/dev/null 2>&1; then break; fi
  if ! kill -0 "${pids[1]}" 2>/dev/null; then echo "Rasa stopped; see logs/rasa.log"; tail -n 30 logs/rasa.log; exit 1; fi
  sleep 1
done
cat <<MSG

Trợ lý An Sinh is running.
  Labour-portal widget: http://localhost:$DEMO_PORT/portal.html
  Simple REST demo:     http://localhost:$DEMO_PORT/demo.html
  REST webhook:         POST http://localhost:$RASA_PORT/webhooks/rest/webhook
                        curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"a","message":"đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền"}'
  Rasa HTTP API:        http://localhost:$RASA_PORT/status?token=... (the token: ANSINH_RASA_TOKEN or .rasa-token)
  Action server:        http://localhost:$ACTIONS_PORT/health
  Staff console:        $CONSOLE_URL
                        first supervisor: .venv/bin/python -m channels.console adduser NAME --role supervisor
                        (officers: --role officer --province NAME; the password is read from standard input)
                        programme dashboard: $CONSOLE_URL/dashboard; campaigns: $CONSOLE_URL/campaigns
  Reminders:            subscribe in the widget ("nhắc tôi đóng tiền" after a calculation), then run the clock:
                        ANSINH_RASA_URL=http://localhost:$RASA_PORT .venv/bin/python -m outreach.scheduler run --at 2026-12-24T09:00
                        (a web reminder shows at the visitor's next visit: reload the portal page)
  Logs:                 logs/
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
