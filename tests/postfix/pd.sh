# tests/postfix/pd.sh - mailseal-policyd daemons of a test, sourced by
# the Postfix suites: each runs in the foreground (-f), its log (stderr)
# in $T/NAME.log, its pid in PDPID_NAME; $PD is the daemon, $T the work
# directory.
#   pd_start NAME CONF    start; 0 once it logged "started with", 1 if it
#                         exited first
#   pd_hup NAME           SIGHUP; waits for "reloaded" or "reload failed"
#   pd_stop NAME          SIGTERM, then SIGKILL after 10 s; quiet
#   pd_pid NAME, pd_gone PID, pd_log_lines NAME, pd_log_since NAME LINE
PD_NAMES=""
pd_pid() { eval "echo \${PDPID_$1:-}"; }
pd_gone() {     # PID: exited (or a zombie)
	local st
	st=$(sed 's/^.*) //; s/ .*//' "/proc/$1/stat" 2> /dev/null)
	[ -z "$st" ] || [ "$st" = Z ]
}
pd_stop() {
	local p
	p=$(pd_pid "$1")
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2> /dev/null
	for _ in $(seq 1 200); do pd_gone "$p" && break; sleep 0.05; done
	pd_gone "$p" || kill -KILL "$p" 2> /dev/null
	wait "$p" 2> /dev/null
	eval "PDPID_$1="
}
pd_start() {
	local n=$1 conf=$2 log=$T/$1.log mark pid
	touch "$log"
	mark=$(grep -c 'info: started with' "$log")
	"$PD" -c "$conf" -f 2>> "$log" &
	pid=$!
	eval "PDPID_$n=$pid"
	case " $PD_NAMES " in *" $n "*) ;; *) PD_NAMES="$PD_NAMES $n" ;; esac
	for _ in $(seq 1 200); do
		[ "$(grep -c 'info: started with' "$log")" -gt "$mark" ] && return 0
		pd_gone "$pid" && return 1
		sleep 0.05
	done
	return 1
}
pd_hup() {
	local n=$1 log=$T/$1.log mark
	mark=$(grep -cE 'info: reloaded|reload failed' "$log")
	kill -HUP "$(pd_pid "$n")"
	for _ in $(seq 1 200); do
		[ "$(grep -cE 'info: reloaded|reload failed' "$log")" -gt "$mark" ] && return 0
		sleep 0.05
	done
	return 1
}
pd_log_since() { tail -n +"$(($2 + 1))" "$T/$1.log"; }
pd_log_lines() { wc -l < "$T/$1.log"; }
