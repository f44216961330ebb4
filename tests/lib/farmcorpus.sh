# lib/farmcorpus.sh - what the farm suites share: a signed corpus and
# the reading of `mailseal verify --stats` output.  Source it (after
# lib/nsd.sh) from the suite's scratch directory, with M the mailseal
# binary, then:
#   farm_corpus NDOM NMSG EVERY   keys/dD, corpus/mI.eml (message I
#                                 signed by dD, D = I % NDOM + 1; every
#                                 EVERY-th tampered), the keys appended
#                                 to example.org.zone; -> files
#   stat_of NAME FILE             the number after NAME= on the stats line
#   verdicts FILE                 the distinct result lines, no counters
#   midrun CONF ACTION OUT        one verify run over the corpus twice
#                                 (NMSG messages a pass); between the
#                                 passes it waits at a FIFO while ACTION
#                                 runs

farm_corpus() {
	local ndom=$1 nmsg=$2 every=$3 d i
	mkdir keys corpus
	nsd_zone example.org 300 > example.org.zone
	for d in $(seq 1 "$ndom"); do
		"$M" keygen -d "d$d.example.org" -s sel -o "keys/d$d" > /dev/null 2>&1 || { mkdir -p "keys/d$d"; "$M" keygen -d "d$d.example.org" -s sel -o "keys/d$d" > /dev/null; }
		cat "keys/d$d/sel.txt" >> example.org.zone
	done
	for i in $(seq 1 "$nmsg"); do
		d=$(( (i % ndom) + 1 ))
		printf 'From: user%d@d%d.example.org\r\nTo: x@example.net\r\nSubject: message %d\r\n\r\nbody %d\r\n' \
			"$i" "$d" "$i" "$i" > "m$i.eml"
		"$M" sign -d "d$d.example.org" -s sel -k "keys/d$d/sel.private" "m$i.eml" > "corpus/m$i.eml"
		rm "m$i.eml"
	done
	# some tampered, so verdicts are not all the same
	for i in $(seq "$every" "$every" "$nmsg"); do sed -i 's/^body /BODY /' "corpus/m$i.eml"; done
	files=$(ls corpus/*.eml | sort -V)
}

stat_of() {
	sed -n "s/^stats: .*$1=\([0-9]*\).*/\1/p" "$2"
}

verdicts() {    # (the FIFOs a run paused at are not verdicts)
	grep -v -e '^stats:' -e '^pause[0-9]*\.fifo' "$1" | sed 's/ seen=[0-9]*//' | sort -u
}

midrun() {
	local i pid
	rm -f pause.fifo
	mkfifo pause.fifo
	"$M" -c "$1" verify --stats $files pause.fifo $files > "$3" 2> "$3.err" &
	pid=$!
	for i in $(seq 1 400); do
		[ "$(grep -c 'dkim=' "$3")" -ge "$NMSG" ] && break
		sleep 0.05
	done
	eval "$2"
	# (a CLI that died early must not leave this writer blocked)
	timeout 10 sh -c 'cat corpus/m1.eml > pause.fifo'
	wait "$pid"
}
