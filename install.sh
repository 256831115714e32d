#!/bin/sh
# install.sh: install or upgrade Bliss on a Debian/Ubuntu VPS. Safe to re-run:
# every step converges, so a second run changes nothing (apart from a restart).
#
#   sudo ./install.sh                 build from this checkout (needs Go) and install
#   sudo ./install.sh --binary ./bliss   install a binary built elsewhere
#   ./install.sh --root /tmp/x        lay the files out under /tmp/x (no users, no systemctl)
set -eu

main() {
	ROOT=""
	BIN_SRC=""
	SRC_DIR=$(cd "$(dirname "$0")" && pwd)
	while [ $# -gt 0 ]; do
		case "$1" in
		--root) ROOT=${2:?--root needs a directory}; shift 2 ;;
		--root=*) ROOT=${1#--root=}; shift ;;
		--binary) BIN_SRC=${2:?--binary needs a path}; shift 2 ;;
		--binary=*) BIN_SRC=${1#--binary=}; shift ;;
		-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
		*) die "unknown argument $1 (see --help)" ;;
		esac
	done
	if [ -n "$ROOT" ]; then
		mkdir -p "$ROOT"
		ROOT=$(cd "$ROOT" && pwd)
	else
		[ "$(id -u)" -eq 0 ] || die "run as root (sudo ./install.sh), or use --root DIR"
		command -v systemctl >/dev/null 2>&1 || die "systemd is required"
	fi

	BIN=$ROOT/usr/local/bin/bliss
	ETC=$ROOT/etc/bliss
	ENV_FILE=$ETC/bliss.env
	STATE=$ROOT/var/lib/bliss
	UNIT=$ROOT/etc/systemd/system/bliss.service

	# 1. The binary: a given one, or built from this checkout.
	TMP=$(mktemp -d)
	trap 'rm -rf "$TMP"' EXIT INT TERM
	if [ -z "$BIN_SRC" ]; then
		command -v go >/dev/null 2>&1 || die "Go is not installed: build bliss elsewhere and pass --binary PATH"
		say "building bliss from $SRC_DIR"
		(cd "$SRC_DIR" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$TMP/bliss" .) || die "build failed"
		BIN_SRC=$TMP/bliss
	fi
	[ -f "$BIN_SRC" ] || die "binary $BIN_SRC not found"
	"$BIN_SRC" version >/dev/null 2>&1 || die "$BIN_SRC does not run on this host"

	# 2. System user: no shell, no login, home is the state dir.
	if [ -z "$ROOT" ] && ! getent passwd bliss >/dev/null 2>&1; then
		say "creating system user bliss"
		useradd --system --user-group --home-dir /var/lib/bliss --no-create-home \
			--shell /usr/sbin/nologin bliss
	fi

	# 3. Binary, replaced atomically and only when it changed (a running
	#    process keeps its old inode).
	mkdir -p "$(dirname "$BIN")"
	if ! cmp -s "$BIN_SRC" "$BIN" 2>/dev/null; then
		say "installing $BIN"
		cp "$BIN_SRC" "$BIN.new"
		chmod 0755 "$BIN.new"
		mv -f "$BIN.new" "$BIN"
	fi

	# 4. Configuration: created once, never overwritten; permissions re-applied.
	mkdir -p "$ETC"
	chmod 0750 "$ETC"
	FRESH=0
	if [ ! -e "$ENV_FILE" ]; then
		say "creating $ENV_FILE"
		(umask 077 && "$BIN" example-config >"$ENV_FILE.new")
		mv -f "$ENV_FILE.new" "$ENV_FILE"
		FRESH=1
	fi
	# root owns the secrets; the service (group bliss) may only read them.
	chmod 0640 "$ENV_FILE"

	# 5. State directory (systemd's StateDirectory= creates it too; explicit for CLI use).
	mkdir -p "$STATE"
	chmod 0700 "$STATE"
	if [ -z "$ROOT" ]; then
		chown root:bliss "$ETC" "$ENV_FILE"
		chown bliss:bliss "$STATE"
	fi

	# 6. The unit.
	mkdir -p "$(dirname "$UNIT")"
	if ! cmp -s "$SRC_DIR/bliss.service" "$UNIT" 2>/dev/null; then
		say "installing $UNIT"
		cp "$SRC_DIR/bliss.service" "$UNIT.new"
		chmod 0644 "$UNIT.new"
		mv -f "$UNIT.new" "$UNIT"
	fi
	if [ -n "$ROOT" ]; then
		say "laid out under $ROOT (no user, no systemctl)"
		return 0
	fi
	if command -v systemd-analyze >/dev/null 2>&1; then
		systemd-analyze verify "$UNIT" || die "systemd-analyze rejects $UNIT"
	fi
	systemctl daemon-reload
	systemctl enable bliss.service >/dev/null 2>&1

	# 7. Start or restart only with a configuration the binary accepts, so a bad
	#    edit never crash-loops the unit into its start limit.
	if [ "$FRESH" -eq 1 ]; then
		say "created $ENV_FILE: fill in the tokens and guild ids, then run this script again"
		return 0
	fi
	if ! runuser -u bliss -- "$BIN" check -config "$ENV_FILE"; then
		die "bliss check failed: fix $ENV_FILE, then run this script again (the running service was left alone)"
	fi
	say "restarting bliss"
	systemctl restart bliss.service
	systemctl --no-pager --lines=10 status bliss.service || true
}

say() { printf 'install.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

main "$@"
