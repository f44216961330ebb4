# lib/redis.sh - real redis-server / redis-sentinel instances on loopback
# for tests.  Source it (after lib/nsd.sh, which has free_port), then:
#   redis_start NAME [replicaof PORT]   -> REDIS_PORT_NAME
#                                        (REDIS_EXTRA: one more config line)
#   sentinel_start NAME MASTERPORT      -> REDIS_PORT_NAME (a sentinel)
#   redis_stop NAME, redis_stop_all
#   rcli PORT ARGS...                   redis-cli against 127.0.0.1:PORT
#   cluster_start NAME                  a Redis Cluster: 3 masters, 3
#                                        replicas (nodes NAME1..NAME6) ->
#                                        CLUSTER_SEEDS ("127.0.0.1:P ...")
#   cluster_master_of SLOT PORT         the port of the slot's master, as
#                                        the node at PORT sees it
#   cluster_wait_ok PORT...             until each says cluster_state:ok
#   cluster_masters PORT                the masters serving slots, as the
#                                        node at PORT sees them
#   cluster_move_slot SLOT FROM TO      a slot and its keys to another master

REDIS_DIR=${REDIS_DIR:-$(mktemp -d)}
REDIS_NAMES=""

rcli() { local p=$1; shift; redis-cli -h 127.0.0.1 -p "$p" "$@"; }

redis_wait() {  # redis_wait PORT: until it answers (PONG, or NOAUTH)
	local i
	for i in $(seq 1 100); do
		rcli "$1" PING 2>/dev/null | grep -qE 'PONG|NOAUTH' && return 0
		sleep 0.05
	done
	return 1
}

redis_start() {
	local name=$1 port dir
	shift
	port=$(free_port)
	dir="$REDIS_DIR/$name"
	mkdir -p "$dir"
	{
		echo "port $port"
		echo "bind 127.0.0.1"
		echo "save \"\""
		echo "appendonly no"
		echo "dir $dir"
		echo "pidfile $dir/redis.pid"
		echo "logfile $dir/redis.log"
		echo "daemonize yes"
		echo "repl-diskless-sync-delay 0"
		[ -n "${REDIS_EXTRA:-}" ] && echo "$REDIS_EXTRA"
		[ "${1:-}" = replicaof ] && echo "replicaof 127.0.0.1 $2"
	} > "$dir/redis.conf"
	redis-server "$dir/redis.conf" || return 1
	eval "REDIS_PORT_$name=$port"
	REDIS_NAMES="$REDIS_NAMES $name"
	redis_wait "$port" || return 1
	if [ "${1:-}" = replicaof ]; then       # until a write reaches it
		local i probe="probe-$name-$$"
		for i in $(seq 1 200); do
			rcli "$2" SET "$probe" 1 > /dev/null
			if [ "$(rcli "$port" GET "$probe")" = 1 ]; then
				rcli "$2" DEL "$probe" > /dev/null
				return 0
			fi
			sleep 0.05
		done
		return 1
	fi
}

sentinel_start() {
	local name=$1 master=$2 port dir
	port=$(free_port)
	dir="$REDIS_DIR/$name"
	mkdir -p "$dir"
	{
		echo "port $port"
		echo "bind 127.0.0.1"
		echo "dir $dir"
		echo "pidfile $dir/redis.pid"
		echo "logfile $dir/redis.log"
		echo "daemonize yes"
		echo "sentinel monitor mailseal 127.0.0.1 $master 1"
		echo "sentinel down-after-milliseconds mailseal 1000"
		echo "sentinel failover-timeout mailseal 5000"
	} > "$dir/sentinel.conf"
	redis-sentinel "$dir/sentinel.conf" || return 1
	eval "REDIS_PORT_$name=$port"
	REDIS_NAMES="$REDIS_NAMES $name"
	redis_wait "$port"
}

redis_stop() {
	local pidfile="$REDIS_DIR/$1/redis.pid" pid i
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	kill "$pid" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	rm -f "$pidfile"
}

redis_stop_all() {
	local n
	for n in $REDIS_NAMES; do redis_stop "$n"; done
	rm -rf "$REDIS_DIR"
}

cluster_wait_ok() {     # cluster_wait_ok PORT...: each node's state ok
	local p i
	for p in "$@"; do
		for i in $(seq 1 200); do
			rcli "$p" CLUSTER INFO 2>/dev/null | grep -q '^cluster_state:ok' && break
			sleep 0.05
		done
		rcli "$p" CLUSTER INFO 2>/dev/null | grep -q '^cluster_state:ok' || return 1
	done
}

cluster_start() {       # 6 nodes; redis-cli --cluster create pairs them
	local name=$1 i p ports="" addrs=""
	for i in 1 2 3 4 5 6; do
		REDIS_EXTRA="cluster-enabled yes
cluster-config-file nodes.conf
cluster-port $(free_port)
cluster-node-timeout 1000
cluster-require-full-coverage no" redis_start "$name$i" || return 1
		p=$(eval echo "\$REDIS_PORT_$name$i")
		ports="$ports $p"
		addrs="$addrs 127.0.0.1:$p"
	done
	# shellcheck disable=SC2086
	redis-cli --cluster create $addrs --cluster-replicas 1 --cluster-yes \
		> "$REDIS_DIR/$name.create" 2>&1 || return 1
	# shellcheck disable=SC2086
	cluster_wait_ok $ports || return 1
	CLUSTER_SEEDS=${addrs# }
}

cluster_master_of() {   # the port of SLOT's master, from CLUSTER NODES
	rcli "$2" CLUSTER NODES 2>/dev/null | awk -v slot="$1" '
	$3 ~ /master/ && $3 !~ /fail/ {
		for (i = 9; i <= NF; i++) {
			n = split($i, r, "-")
			if (n == 1) r[2] = r[1]
			if ($i !~ /^\[/ && slot + 0 >= r[1] + 0 && slot + 0 <= r[2] + 0) {
				split($2, a, "[:@]"); print a[2]; exit
			}
		}
	}'
}

cluster_masters() {     # the ports of the masters that serve slots, now
	rcli "$1" CLUSTER NODES | awk '$3 ~ /master/ && $3 !~ /fail/ && NF > 8 { split($2, a, "[:@]"); print a[2] }' | sort
}
cluster_move_slot() {   # cluster_move_slot SLOT FROM TO: keys and ownership, as
	# redis-cli --cluster reshard does it, for one slot
	local slot=$1 from=$2 to=$3 src dst keys p
	src=$(rcli "$from" CLUSTER MYID)
	dst=$(rcli "$to" CLUSTER MYID)
	rcli "$to" CLUSTER SETSLOT "$slot" IMPORTING "$src" > /dev/null
	rcli "$from" CLUSTER SETSLOT "$slot" MIGRATING "$dst" > /dev/null
	while keys=$(rcli "$from" CLUSTER GETKEYSINSLOT "$slot" 100) && [ -n "$keys" ]; do
		# shellcheck disable=SC2086
		rcli "$from" MIGRATE 127.0.0.1 "$to" "" 0 5000 KEYS $keys > /dev/null || return 1
	done
	for p in $(cluster_masters "$to"); do
		rcli "$p" CLUSTER SETSLOT "$slot" NODE "$dst" > /dev/null
	done
}
