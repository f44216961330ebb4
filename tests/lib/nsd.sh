# lib/nsd.sh - a real authoritative DNS server (Debian's nsd) on a high
# loopback port, for tests.  Source it, then:
#   nsd_start DIR ZONE...   (each ZONE a name with DIR/NAME.zone present;
#                            NSD_EXTRA: more "server:" lines)
#   NSD_PORT                the port it listens on (UDP and TCP)
#   nsd_freeze / nsd_thaw   stop answering (every nsd process) / resume
#   nsd_stop                stop it (also on the caller's EXIT trap)
#   nsd_zone DOMAIN TTL FILE...   a zone on stdout: SOA, NS, ns A
#                            127.0.0.1, then the records in FILE...
#   nsd_signed_zone DOMAIN TTL FILE...   the same zone, DNSSEC-signed
#                            (ldns-signzone), into ./DOMAIN.zone, with
#                            its trust anchor in ./anchor.ds and a wrong
#                            one (the digest zeroed) in ./wrong.ds
#   nsd_publish DOMAIN TTL FILE...  serve DOMAIN anew from those records
#                            (NSD_DIR/DOMAIN.zone rewritten, the next
#                            SOA serial; SIGHUP); returns once nsd has
#                            read it, 1 if it has not after 5 s

free_port() {   # an unused TCP and UDP port on 127.0.0.1
	/usr/bin/python3 - <<'PY'
import socket
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
    except OSError:
        s.close(); continue
    s.close(); u.close(); print(p); break
PY
}

nsd_zone() {
	local d=$1 ttl=$2
	shift 2
	echo "\$ORIGIN $d."
	echo "\$TTL $ttl"
	echo "@ IN SOA ns.$d. hostmaster.$d. 1 3600 600 86400 60"
	echo "@ IN NS ns.$d."
	echo 'ns IN A 127.0.0.1'
	[ $# -eq 0 ] || cat "$@"
}

nsd_signed_zone() {
	local d=$1 ksk zsk
	nsd_zone "$@" > "$d.unsigned"
	ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$d") || return 1
	zsk=$(ldns-keygen -a ECDSAP256SHA256 "$d") || return 1
	ldns-signzone -f "$d.zone" "$d.unsigned" "$ksk" "$zsk" || return 1
	cp "$ksk.ds" anchor.ds
	sed 's/ 2 [0-9a-f]*$/ 2 0000000000000000000000000000000000000000000000000000000000000000/' \
		anchor.ds > wrong.ds
}

NSD_SERIAL=1
nsd_publish() {
	local d=$1 z=$NSD_DIR/$1.zone before i
	NSD_SERIAL=$((NSD_SERIAL + 1))
	nsd_zone "$@" | sed "s/ 1 3600 600 86400 60$/ $NSD_SERIAL 3600 600 86400 60/" > "$z"
	touch -d "+$NSD_SERIAL seconds" "$z"    # nsd reads a zone whose time changed
	before=$(grep -c "zone $d read with success" "$NSD_DIR/nsd.log")
	kill -HUP "$NSD_PID"
	for i in $(seq 1 100); do
		[ "$(grep -c "zone $d read with success" "$NSD_DIR/nsd.log")" -gt "$before" ] && return 0
		sleep 0.05
	done
	return 1
}

nsd_start() {
	local dir=$1 z i
	shift
	NSD_DIR=$dir
	NSD_PORT=$(free_port)
	{
		echo "server:"
		echo "  ip-address: 127.0.0.1@$NSD_PORT"
		echo "  username: \"\""
		echo "  chroot: \"\""
		echo "  zonesdir: \"$dir\""
		echo "  database: \"\""
		echo "  pidfile: \"$dir/nsd.pid\""
		echo "  logfile: \"$dir/nsd.log\""
		echo "  xfrdfile: \"$dir/xfrd.state\""
		echo "  zonelistfile: \"$dir/zone.list\""
		echo "  server-count: 1"
		echo "  verbosity: 1"
		echo "  rrl-ratelimit: 0"
		[ -n "${NSD_EXTRA:-}" ] && printf '  %s\n' "$NSD_EXTRA"
		echo "remote-control:"
		echo "  control-enable: no"
		for z in "$@"; do
			echo "zone:"
			echo "  name: $z"
			echo "  zonefile: $z.zone"
		done
	} > "$dir/nsd.conf"
	: > "$dir/nsd.log"      # a restart must not see the last start's line
	nsd -c "$dir/nsd.conf" -d > "$dir/nsd.out" 2>&1 &
	NSD_PID=$!
	for i in $(seq 1 50); do
		if grep -q 'nsd started' "$dir/nsd.log" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "# nsd did not start:"; sed 's/^/#   /' "$dir/nsd.log" "$dir/nsd.out" 2>/dev/null
	return 1
}

nsd_pids() {    # the server and its children
	echo "$NSD_PID"; pgrep -P "$NSD_PID" 2>/dev/null
	local c
	for c in $(pgrep -P "$NSD_PID" 2>/dev/null); do pgrep -P "$c" 2>/dev/null; done
}

nsd_freeze() { kill -STOP $(nsd_pids) 2>/dev/null; }
nsd_thaw()   { kill -CONT $(nsd_pids) 2>/dev/null; }
nsd_stop() {
	[ -n "${NSD_PID:-}" ] || return 0
	nsd_thaw
	kill "$NSD_PID" 2>/dev/null
	wait "$NSD_PID" 2>/dev/null
	NSD_PID=""
}
