#!/usr/bin/env bash
# Start glustereventsd on this node and register the gateway's webhook with it.
#
# Idempotent: starts the daemon only if it is not running (no systemd here: started by hand, as
# the research note says), adds the webhook only if webhooks.json lacks it (or changes its token),
# and then sends the daemon SIGUSR2 itself: eventsd deletes its own PID file right after starting,
# so `gluster-eventsapi webhook-add` never reaches the running daemon and a new webhook would get
# nothing until that signal. Run as root on every peer (each node's eventsd only hears its own
# glusterd and bricks).
#
# Environment:
#   GLUSTERS3_ADMIN_TOKEN   the gateway's admin token (required): sent as the webhook's Bearer
#   GLUSTERS3_ADMIN_PORT    the gateway's admin port (default: 9001)
#   EVENTS_WAIT_SECS        how long to wait for the daemon (default: 20)
set -euo pipefail

TOKEN=${GLUSTERS3_ADMIN_TOKEN:-}
PORT=${GLUSTERS3_ADMIN_PORT:-9001}
WAIT=${EVENTS_WAIT_SECS:-20}
URL="http://127.0.0.1:${PORT}/admin/v1/events/listen"
HOOKS=/var/lib/glusterd/events/webhooks.json
PIDFILE=/var/run/glustereventsd.pid

say() { printf 'events-up: %s\n' "$*"; }
die() { printf 'events-up: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
[ -n "$TOKEN" ] || die "set GLUSTERS3_ADMIN_TOKEN to the gateway's admin token"
[ -x /usr/sbin/glustereventsd ] || die "glustereventsd missing (Debian: apt-get install glusterfs-server)"

# The daemon's main process: the oldest one (it forks a worker for the webhooks).
eventsd_pid() { pgrep -o -f '^/usr/bin/python3 /usr/sbin/glustereventsd' || true; }

changed=0
pid=$(eventsd_pid)
if [ -z "$pid" ]; then
    say "starting glustereventsd"
    setsid nohup /usr/sbin/glustereventsd --pid-file "$PIDFILE" >/dev/null 2>&1 < /dev/null &
    for _ in $(seq $((WAIT * 10))); do
        pid=$(eventsd_pid)
        [ -n "$pid" ] && ss -uln 2>/dev/null | grep -q ':55555 ' && break
        sleep 0.1
    done
    [ -n "$pid" ] || die "glustereventsd did not start (see /var/log/glusterfs/events.log)"
    say "glustereventsd running (pid $pid)"
else
    say "glustereventsd already running (pid $pid)"
fi

# What webhooks.json says about our URL: absent, same token, or another token.
state=$(/usr/bin/python3 - "$HOOKS" "$URL" "$TOKEN" <<'PY'
import json, sys
path, url, token = sys.argv[1:]
try:
    hooks = json.load(open(path))
except (OSError, ValueError):
    hooks = {}
h = hooks.get(url)
print("absent" if h is None else ("same" if h.get("token") == token and not h.get("secret") else "other"))
PY
)
case "$state" in
    absent) gluster-eventsapi webhook-add "$URL" --bearer_token "$TOKEN" >/dev/null; changed=1; say "webhook added: $URL" ;;
    other)
        # webhook-mod cannot clear a secret (JWT mode is broken here): replace the entry.
        gluster-eventsapi webhook-del "$URL" >/dev/null
        gluster-eventsapi webhook-add "$URL" --bearer_token "$TOKEN" >/dev/null
        changed=1
        say "webhook replaced (token or secret changed): $URL"
        ;;
    same) say "webhook already registered: $URL" ;;
esac

# The reload bug: webhook-add/mod never reach the daemon; its worker learns new URLs only on
# SIGUSR2 (which re-forks it; events in flight are lost, so only when something changed).
if [ "$changed" = 1 ]; then
    kill -USR2 "$pid"
    say "sent SIGUSR2 to glustereventsd ($pid) so it posts to the new webhook"
fi

# A reachable gateway answers webhook-test with 200 (eventsd sends an empty body).
# A few tries: glusterd may be busy with another command of the same peer.
ok=0
for _ in 1 2 3 4 5; do
    test_out=$(gluster-eventsapi webhook-test "$URL" --bearer_token "$TOKEN" 2>&1 || true)
    if printf '%s\n' "$test_out" | grep -q '| *OK |'; then ok=1; break; fi
    sleep 1
done
if [ "$ok" = 1 ]; then
    say "webhook-test: OK"
else
    say "webhook-test: the gateway did not answer 200 at $URL (is it running with this token?)"
    printf '%s\n' "$test_out" >&2
fi
