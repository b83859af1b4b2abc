#!/bin/sh
# Installs cartwise as a systemd service on Linux (Debian, Ubuntu, Raspberry Pi OS, most NAS
# systems with systemd):
#   binary   /usr/local/bin/cartwise
#   data     /var/lib/cartwise (mode 0700, owned by the system user "cartwise")
#   settings /etc/cartwise.env (mode 0600; kept when it already exists)
#   service  /etc/systemd/system/cartwise.service
#
# Usage: sudo ./install.sh [PATH-TO-BINARY]
#   PATH-TO-BINARY defaults to ./cartwise, then target/release/cartwise.
# Set ROOT=/some/dir to write the files below that directory only, without creating the user
# or touching systemd (for packaging, or to look at what would be written).
set -eu

ROOT=${ROOT:-}
binary=${1:-}
if [ -z "$binary" ]; then
    for candidate in ./cartwise target/release/cartwise; do
        if [ -x "$candidate" ]; then binary=$candidate; break; fi
    done
fi
if [ -z "$binary" ] || [ ! -x "$binary" ]; then
    echo "install.sh: no cartwise binary found; build one with 'cargo build --release' or pass its path" >&2
    exit 1
fi
if [ -z "$ROOT" ] && [ "$(id -u)" != 0 ]; then
    echo "install.sh: run as root (sudo ./install.sh)" >&2
    exit 1
fi

mkdir -p "$ROOT/usr/local/bin" "$ROOT/etc/systemd/system" "$ROOT/var/lib/cartwise"
install -m 0755 "$binary" "$ROOT/usr/local/bin/cartwise"
chmod 0700 "$ROOT/var/lib/cartwise"

if [ ! -e "$ROOT/etc/cartwise.env" ]; then
    umask 077
    cat > "$ROOT/etc/cartwise.env" <<'ENV'
# cartwise settings; see the README for every variable. Restart after a change:
#   sudo systemctl restart cartwise
CARTWISE_BIND=127.0.0.1:8787
# To reach cartwise from other machines, bind all addresses and set a password:
# CARTWISE_BIND=0.0.0.0:8787
# CARTWISE_PASSWORD=choose-a-long-password
# CARTWISE_WORKERS=2
# CARTWISE_DEMO=true
# CARTWISE_AI_PROVIDER=openai
# CARTWISE_AI_MODEL=gpt-4o-mini
# CARTWISE_AI_API_KEY=
# CARTWISE_SERPAPI_KEY=
ENV
    umask 022
fi

cat > "$ROOT/etc/systemd/system/cartwise.service" <<'UNIT'
[Unit]
Description=cartwise shopping list and price tracker
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=cartwise
Group=cartwise
Environment=CARTWISE_DATA_DIR=/var/lib/cartwise
EnvironmentFile=-/etc/cartwise.env
ExecStart=/usr/local/bin/cartwise serve
Restart=on-failure
RestartSec=5
TimeoutStopSec=20
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
ReadWritePaths=/var/lib/cartwise

[Install]
WantedBy=multi-user.target
UNIT

if [ -n "$ROOT" ]; then
    echo "cartwise files written below $ROOT"
    exit 0
fi

if ! id cartwise >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/cartwise --no-create-home \
        --shell /usr/sbin/nologin cartwise
fi
chown -R cartwise:cartwise /var/lib/cartwise
chown root:cartwise /etc/cartwise.env
chmod 0640 /etc/cartwise.env

systemctl daemon-reload
systemctl enable cartwise.service
systemctl restart cartwise.service
echo "cartwise is running: open http://127.0.0.1:8787/ (settings in /etc/cartwise.env)"
