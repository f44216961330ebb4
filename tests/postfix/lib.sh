# tests/postfix/lib.sh - Debian's real Postfix 3.7, run unpacked from its
# .deb (Postfix conflicts with the installed Exim as a package, so it is
# never installed), as private instances on 127.0.0.1 high ports, for
# tests.  Source it (bash; it sources tests/lib/nsd.sh for free_port).
#
#   postfix_fetch                  unpack Postfix into $PF_CACHE, install the
#                                  Debian packages it needs (idempotent, fast
#                                  when done), create user postfix and
#                                  groups postfix/postdrop if missing
#   postfix_tmpdir                 make a temp dir (mode 755), in PF_TMPDIR;
#                                  postfix_cleanup removes it
#   postfix_start DIR [OPTION...]  a private instance in DIR (see below)
#   postfix_use DIR                make instance DIR the current one
#   postfix_conf NAME=VALUE...     set main.cf parameters (then reload)
#   postfix_reload                 reload; returns when old smtpds are gone
#   postfix_stop [DIR]             stop; 0 only if every process has exited
#   postfix_cleanup                stop all instances and helper servers,
#                                  remove postfix_tmpdir dirs (EXIT trap)
#   postfix_cmd PROG ARGS...       run a Postfix command (postconf, postcat,
#                                  postqueue, ...) against the current instance
#   postfix_sendmail ARGS... <MSG  Postfix's sendmail(1) (pickup path:
#                                  non_smtpd_milters apply)
#   postfix_swaks NAME ARGS...     swaks against the instance, see below
#   postfix_send_plain NAME ...    plain SMTP
#   postfix_send_starttls NAME ... STARTTLS, no client certificate
#   postfix_send_auth NAME ...     STARTTLS + AUTH PLAIN as $PF_SASL_USER
#                                  (PF_AUTH_PASS overrides the password)
#   postfix_send_cert NAME KIND .. STARTTLS + client cert KIND: client
#                                  (signed by the test CA), mx1 (the same,
#                                  named mx1.sender.example), selfsigned,
#                                  other (signed by another CA)
#   postfix_delivered_count        messages delivered so far
#   postfix_wait_delivered N [S]   until N are delivered (S s, default 20)
#   postfix_message_file N         path of the N-th delivered message
#   postfix_message N              print it; postfix_message_env N its
#                                  envelope (sender=, recipient=, queue_id=)
#   postfix_log_grep ARGS...       grep ARGS in the maillog
#   postfix_log_wait REGEX [S]     until the maillog matches (S s, default 10)
#   postfix_queue_empty            0 if `postqueue -p` says the queue is empty
#   postfix_no_bounce              0 if nothing bounced or was deferred
#   postfix_policy_recorder LISTEN LOG [ACTION]
#                                  start tests/postfix/policy_recorder.py
#                                  (pid in PF_POLICY_PID; stopped by cleanup)
#   postfix_policy_stop [PID]      stop it (default: the last one started)
#   postfix_policy_attr LOG N NAME value of NAME in the N-th request logged
#   postfix_policy_find LOG NAME=VALUE...  number of the last request logged
#                                  with all these attributes
#                                  (the recorder answers DUNNO, or ACTION, or
#                                  the first line of LOG.action.STATE /
#                                  LOG.action, read per request)
#   postfix_cert_fingerprint FILE  SHA-256 fingerprint as ccert_fingerprint
#
# postfix_start DIR options (each may also be given later to postfix_conf
# as NAME=VALUE; DIR gets mode 755: smtpd runs as user postfix):
#   --policy SPEC              check_policy_service SPEC in both
#                              smtpd_recipient_restrictions and
#                              smtpd_end_of_data_restrictions
#   --policy-rcpt SPEC / --policy-eod SPEC   only in one of them
#                              (SPEC: unix:/abs/path or inet:127.0.0.1:PORT;
#                              a unix socket must be usable by user postfix)
#   --policy-default-action A  smtpd_policy_service_default_action
#   --policy-timeout T         smtpd_policy_service_timeout
#   --policy-try-limit N       smtpd_policy_service_try_limit
#   --milter SPEC              add to smtpd_milters (repeatable)
#   --non-smtpd-milter SPEC    add to non_smtpd_milters (repeatable)
#   --milter-default-action A  milter_default_action (tempfail, accept, ...)
#   --milter-protocol N        milter_protocol
#   --milter-timeout T         milter_connect/command/content_timeout
#   --master LINE              one more master.cf line (repeatable)
#   NAME=VALUE                 any main.cf parameter, applied last
# Variables read by postfix_start: PF_HOST (myhostname, mx.mailseal.test),
# PF_DOMAINS (added to mydestination), PF_SASL_USER / PF_SASL_PASS,
# PF_REALM (default empty: the user is "alice"; else smtpd_sasl_local_domain
# and the user is alice@PF_REALM).  It sets PF_DIR, PF_CONF, PF_QUEUE, PF_PORT,
# PF_LOG (maillog_file), PF_MAIL (the delivered messages), PF_TLS (ca.crt,
# server.crt/key, client.crt/key, mx1.crt/key, selfsigned.crt/key, otherca.crt,
# other.crt/key), PF_MASTER_PID.
#
# Delivery: every recipient address, any domain, goes to the pipe(8)
# transport "capture" (tests/postfix/capture.sh, as user nobody), one
# message per recipient: $PF_MAIL/N.eml is the message exactly as Postfix
# passes it on (with the Received: smtpd added; LF line ends), N.env its
# envelope.  mynetworks is 127.0.0.0/8 (give mynetworks=... to change).
# AUTH (Cyrus SASL, sasldb, PLAIN/LOGIN) is offered only after STARTTLS.
#
# postfix_swaks writes the transcript to $PF_DIR/swaks/NAME.log and sets
# PF_SWAKS_RC (swaks' exit status), PF_SWAKS_LOG, and the first reply line
# to each step: PF_BANNER_REPLY, PF_MAIL_REPLY, PF_RCPT_REPLY (first RCPT;
# PF_RCPT_REPLIES all, one a line), PF_DATA_REPLY (end of DATA, the reply
# to "."), PF_AUTH_REPLY, PF_TLS_REPLY; and the codes: PF_MAIL_CODE,
# PF_RCPT_CODE, PF_DATA_CODE, PF_AUTH_CODE (empty when the step was not
# reached).  Defaults --from $PF_FROM --to $PF_TO --ehlo $PF_HELO; later
# arguments override them.

. "$(dirname "${BASH_SOURCE[0]}")/../lib/nsd.sh"     # free_port

PF_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PF_CACHE=${MAILSEAL_CACHE:-/var/cache/mailseal-test}/postfix
PF_ROOT=$PF_CACHE/root
PF_LIBDIR=$PF_ROOT/usr/lib/postfix
PF_HOST=${PF_HOST:-mx.mailseal.test}
PF_DOMAINS=${PF_DOMAINS:-mailseal.test example.com example.net example.org}
PF_SASL_USER=${PF_SASL_USER:-alice}
PF_SASL_PASS=${PF_SASL_PASS:-alice-secret}
PF_FROM=${PF_FROM:-sender@example.org}
PF_TO=${PF_TO:-rcpt@example.com}
PF_HELO=${PF_HELO:-client.mailseal.test}
PF_REALM=${PF_REALM:-}
PF_CACHE_FORMAT=3       # bump when the unpacked tree is prepared differently
PF_INSTANCES=""
PF_BG_PIDS=""
PF_TMPDIRS=""

# Debian packages: the shared libraries of Postfix's binaries (checked
# with ldd after unpacking), Cyrus SASL's tools and plugins, swaks with
# its TLS modules.  None conflicts with exim4.
PF_PKGS="libdb5.3 libicu72 libnsl2 libsasl2-2 libssl3 sasl2-bin
libsasl2-modules libsasl2-modules-db swaks libnet-ssleay-perl
libio-socket-ssl-perl openssl python3 util-linux passwd"

pf_say() { printf '# %s\n' "$@"; }

pf_missing_pkgs() {
	local have p
	# shellcheck disable=SC2086
	have=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $PF_PKGS 2> /dev/null |
		awk '$2 ~ /^ii/ { print $1 }')
	for p in $PF_PKGS; do
		printf '%s\n' "$have" | grep -qx -- "$p" || printf '%s ' "$p"
	done
}

pf_users() {    # user postfix, groups postfix and postdrop (as Debian's postinst)
	getent group postfix > /dev/null || groupadd --system postfix || return 1
	getent group postdrop > /dev/null || groupadd --system postdrop || return 1
	getent passwd postfix > /dev/null ||
		useradd --system -g postfix -d /var/spool/postfix -M \
			-s /usr/sbin/nologin -c "Postfix (mailseal tests)" postfix || return 1
	getent passwd nobody > /dev/null || { pf_say "no user nobody"; return 1; }
}

pf_cache_ok() {
	[ -x "$PF_ROOT/usr/sbin/postfix" ] && [ -f "$PF_CACHE/.ok" ] &&
		[ "$(awk '{ print $2 }' "$PF_CACHE/.ok")" = "$PF_CACHE_FORMAT" ]
}

postfix_fetch() {
	local missing
	missing=$(pf_missing_pkgs)
	if [ -z "$missing" ] && pf_cache_ok &&
		getent passwd postfix > /dev/null && getent group postdrop > /dev/null; then
		return 0
	fi
	mkdir -p "$PF_CACHE" && chmod 755 "$PF_CACHE" || return 1
	(
		umask 022
		flock 9 || exit 1
		missing=$(pf_missing_pkgs)
		if [ -n "$missing" ]; then
			pf_say "postfix_fetch: installing $missing"
			export DEBIAN_FRONTEND=noninteractive
			# shellcheck disable=SC2086
			apt-get install -y -qq --no-install-recommends $missing > "$PF_CACHE/apt.log" 2>&1 ||
				{ apt-get update -qq >> "$PF_CACHE/apt.log" 2>&1 &&
				  apt-get install -y -qq --no-install-recommends $missing >> "$PF_CACHE/apt.log" 2>&1; } ||
				{ pf_say "apt-get install failed:"; sed 's/^/#   /' "$PF_CACHE/apt.log"; exit 1; }
		fi
		pf_users || exit 1
		if ! pf_cache_ok; then
			local dl new elf bad
			dl=$(mktemp -d "$PF_CACHE/dl.XXXXXX") || exit 1
			chown _apt "$dl" 2> /dev/null         # else apt warns "unsandboxed"
			( cd "$dl" && { apt-get download postfix > apt.log 2>&1 ||
				{ apt-get update -qq >> apt.log 2>&1 && apt-get download postfix >> apt.log 2>&1; }; } ) ||
				{ pf_say "apt-get download postfix failed:"; sed 's/^/#   /' "$dl/apt.log"; rm -rf "$dl"; exit 1; }
			new=$dl/root
			dpkg -x "$dl"/postfix_*.deb "$new" || { rm -rf "$dl"; exit 1; }
			# meta_directory: Postfix's install control files.  Debian keeps
			# dynamicmaps.cf (and the *.proto files) under /usr/share/postfix.
			cp "$new/usr/share/postfix/dynamicmaps.cf" "$new/etc/postfix/"
			cp "$new/usr/share/postfix/main.cf.dist" "$new/etc/postfix/main.cf.proto"
			cp "$new/usr/share/postfix/master.cf.dist" "$new/etc/postfix/master.cf.proto"
			cp "$new/usr/share/postfix/makedefs.out" "$new/etc/postfix/"
			# No set-gid postdrop/postqueue: the loader ignores LD_LIBRARY_PATH
			# for set-gid programs (the tests run them as root anyway).
			chgrp postdrop "$new/usr/sbin/postqueue" "$new/usr/sbin/postdrop"
			chmod 755 "$new/usr/sbin/postqueue" "$new/usr/sbin/postdrop"
			bad=""
			for elf in "$new"/usr/sbin/* "$new"/usr/lib/postfix/sbin/* "$new"/usr/lib/postfix/*.so; do
				head -c 4 "$elf" 2> /dev/null | grep -q ELF || continue
				LD_LIBRARY_PATH=$new/usr/lib/postfix ldd "$elf" 2>&1 | grep -q 'not found' &&
					bad="$bad $(basename "$elf"): $(LD_LIBRARY_PATH=$new/usr/lib/postfix ldd "$elf" | grep 'not found' | awk '{print $1}' | tr '\n' ' ')"
			done
			[ -z "$bad" ] || { pf_say "postfix binaries miss libraries:$bad"; rm -rf "$dl"; exit 1; }
			echo "$(basename "$dl"/postfix_*.deb) $PF_CACHE_FORMAT" > "$new/.deb"
			rm -rf "$PF_ROOT"
			mv "$new" "$PF_ROOT" && rm -rf "$dl" && cp "$PF_ROOT/.deb" "$PF_CACHE/.ok"
		fi
	) 9> "$PF_CACHE/.lock"
}

postfix_tmpdir() {   # sets PF_TMPDIR (not in a subshell: cleanup must know it)
	PF_TMPDIR=$(mktemp -d /tmp/mailseal-postfix.XXXXXX) || return 1
	chmod 755 "$PF_TMPDIR"
	PF_TMPDIRS="$PF_TMPDIRS $PF_TMPDIR"
}

pf_env() { env LD_LIBRARY_PATH="$PF_LIBDIR" "$@"; }
postfix_cmd() { local p=$1; shift; pf_env "$PF_ROOT/usr/sbin/$p" -c "$PF_CONF" "$@"; }
postfix_sendmail() { pf_env "$PF_ROOT/usr/sbin/sendmail" -C "$PF_CONF" "$@"; }

# Postfix holds off reading a configuration file modified in the current
# second (seen: start 1.6 s and reload 1.5 s slower); back-date everything
# it reads.
pf_backdate() {
	touch -d "@$(( $(date +%s) - 10 ))" "$PF_CONF"/* "$PF_CONF/sasl"/* 2> /dev/null
}

pf_tls_make() {   # test CA, server, CA-signed clients (client; mx1, named
		  # mx1.sender.example), self-signed, other CA
	local t=$1 log=$1/openssl.log
	(
		set -e
		cd "$t"
		ca() {  # ca NAME SUBJECT
			openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
				-keyout "$1.key" -out "$1.crt" -subj "$2" \
				-addext basicConstraints=critical,CA:TRUE \
				-addext keyUsage=critical,keyCertSign,cRLSign
		}
		leaf() {  # leaf NAME SUBJECT CA EXT
			openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
			printf '%s\n' "$4" > "$1.ext"
			openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial \
				-days 3650 -sha256 -extfile "$1.ext" -out "$1.crt"
		}
		ca ca "/O=mailseal test/CN=mailseal test CA"
		ca otherca "/O=other test/CN=other test CA"
		leaf server "/O=mailseal test/CN=$PF_HOST" ca \
			"subjectAltName=DNS:$PF_HOST,IP:127.0.0.1
extendedKeyUsage=serverAuth"
		leaf client "/O=mailseal test/CN=mailseal client1" ca "extendedKeyUsage=clientAuth"
		leaf mx1 "/O=mailseal test/CN=mx1.sender.example" ca \
			"subjectAltName=DNS:mx1.sender.example
extendedKeyUsage=clientAuth"
		leaf other "/O=other test/CN=other client" otherca "extendedKeyUsage=clientAuth"
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
			-keyout selfsigned.key -out selfsigned.crt -subj "/O=self test/CN=self signed client"
		chmod 600 ./*.key
	) > "$log" 2>&1 || { pf_say "TLS material failed:"; sed 's/^/#   /' "$log"; return 1; }
}

# The fingerprint Postfix reports for a certificate file (ccert_fingerprint).
postfix_cert_fingerprint() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//'
}

pf_save_state() {
	declare -p PF_DIR PF_CONF PF_QUEUE PF_PORT PF_LOG PF_MAIL PF_TLS PF_MASTER_PID \
		PF_HOST PF_REALM PF_SASL_USER PF_SASL_PASS | sed 's/^declare -- /declare -g /' > "$PF_DIR/state.sh"
}
postfix_use() { . "$1/state.sh"; }

postfix_start() {
	local dir=$1 a pol_rcpt="" pol_eod="" milters="" nsmilters="" master_extra=() params=()
	shift
	[ -d "$dir" ] || { pf_say "postfix_start: no directory $dir"; return 1; }
	while [ $# -gt 0 ]; do
		case $1 in
		--policy) pol_rcpt=$2; pol_eod=$2; shift 2 ;;
		--policy-rcpt) pol_rcpt=$2; shift 2 ;;
		--policy-eod) pol_eod=$2; shift 2 ;;
		--policy-default-action) params+=("smtpd_policy_service_default_action=$2"); shift 2 ;;
		--policy-timeout) params+=("smtpd_policy_service_timeout=$2"); shift 2 ;;
		--policy-try-limit) params+=("smtpd_policy_service_try_limit=$2"); shift 2 ;;
		--milter) milters="$milters${milters:+, }$2"; shift 2 ;;
		--non-smtpd-milter) nsmilters="$nsmilters${nsmilters:+, }$2"; shift 2 ;;
		--milter-default-action) params+=("milter_default_action=$2"); shift 2 ;;
		--milter-protocol) params+=("milter_protocol=$2"); shift 2 ;;
		--milter-timeout) params+=("milter_connect_timeout=$2" "milter_command_timeout=$2"
			"milter_content_timeout=$2"); shift 2 ;;
		--master) master_extra+=("$2"); shift 2 ;;
		*=*) params+=("$1"); shift ;;
		*) pf_say "postfix_start: unknown option $1"; return 1 ;;
		esac
	done
	postfix_fetch || return 1
	PF_DIR=$(cd "$dir" && pwd)
	PF_CONF=$PF_DIR/conf
	PF_QUEUE=$PF_DIR/queue
	PF_LOG=$PF_DIR/maillog
	PF_MAIL=$PF_DIR/mail
	PF_TLS=$PF_DIR/tls
	PF_PORT=$(free_port)
	PF_MASTER_PID=""
	mkdir -p "$PF_CONF" "$PF_QUEUE" "$PF_DIR/data" "$PF_MAIL" "$PF_TLS" "$PF_CONF/sasl" "$PF_DIR/sasldb" "$PF_DIR/swaks"
	chmod 755 "$PF_DIR" "$PF_CONF" "$PF_QUEUE" "$PF_MAIL" "$PF_TLS" "$PF_CONF/sasl" "$PF_DIR/sasldb" "$PF_DIR/swaks"
	chown postfix:postfix "$PF_DIR/data"
	chmod 700 "$PF_DIR/data"
	chown nobody:nogroup "$PF_MAIL"
	cp "$PF_SRC/capture.sh" "$PF_DIR/capture.sh"
	chmod 755 "$PF_DIR/capture.sh"
	if ! runuser -u postfix -- test -x "$PF_DIR/." || ! runuser -u nobody -- test -w "$PF_MAIL/."; then
		pf_say "postfix_start: $PF_DIR is not reachable by users postfix and nobody (a parent dir's mode?)"
		return 1
	fi
	[ -f "$PF_TLS/ca.crt" ] || pf_tls_make "$PF_TLS" || return 1

	# SASL.  The sasldb entry's realm must be the one smtpd looks up: with
	# smtpd_sasl_local_domain empty that is myhostname (Postfix passes it as
	# the server FQDN; saslpasswd2 without -u would use the machine's
	# hostname: 535), and the login stays "alice" (sasl_username=alice).
	# With PF_REALM set, smtpd_sasl_local_domain = PF_REALM and smtpd
	# reports sasl_username=alice@PF_REALM.  Debian's smtpd reads
	# $config_directory/sasl/smtpd.conf whatever cyrus_sasl_config_path
	# says (set to the same directory all the same).  The sasldb, owned by
	# user postfix, is kept out of the config dir (postfix check: "not
	# owned by root").
	rm -f "$PF_DIR/sasldb/sasldb2"
	printf '%s' "$PF_SASL_PASS" |
		saslpasswd2 -p -c -f "$PF_DIR/sasldb/sasldb2" -u "${PF_REALM:-$PF_HOST}" "$PF_SASL_USER" ||
		{ pf_say "saslpasswd2 failed"; return 1; }
	chown postfix:postfix "$PF_DIR/sasldb/sasldb2"
	chmod 600 "$PF_DIR/sasldb/sasldb2"
	cat > "$PF_CONF/sasl/smtpd.conf" <<-EOF
		pwcheck_method: auxprop
		auxprop_plugin: sasldb
		sasldb_path: $PF_DIR/sasldb/sasldb2
		mech_list: PLAIN LOGIN
	EOF

	local domains
	domains=$(echo $PF_DOMAINS | sed 's/ /, /g')
	cat > "$PF_CONF/main.cf" <<-EOF
		# generated by tests/postfix/lib.sh
		compatibility_level = 3.6
		config_directory = $PF_CONF
		queue_directory = $PF_QUEUE
		data_directory = $PF_DIR/data
		daemon_directory = $PF_ROOT/usr/lib/postfix/sbin
		command_directory = $PF_ROOT/usr/sbin
		shlib_directory = $PF_LIBDIR
		meta_directory = $PF_ROOT/etc/postfix
		sendmail_path = $PF_ROOT/usr/sbin/sendmail
		newaliases_path = $PF_ROOT/usr/bin/newaliases
		mailq_path = $PF_ROOT/usr/bin/mailq
		html_directory = no
		readme_directory = no
		manpage_directory = $PF_ROOT/usr/share/man
		sample_directory = $PF_ROOT/etc/postfix
		mail_owner = postfix
		setgid_group = postdrop
		import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH=$PF_LIBDIR
		export_environment = TZ MAIL_CONFIG LANG LD_LIBRARY_PATH
		syslog_name = postfix-test
		maillog_file = $PF_LOG
		maillog_file_prefixes = $PF_DIR
		inet_interfaces = 127.0.0.1
		inet_protocols = ipv4
		myhostname = $PF_HOST
		mydomain = ${PF_HOST#*.}
		myorigin = \$myhostname
		mydestination = \$myhostname, localhost, $domains
		mynetworks = 127.0.0.0/8
		relay_domains =
		alias_maps =
		alias_database =
		local_recipient_maps =
		biff = no
		default_transport = capture
		local_transport = capture
		relay_transport = capture
		virtual_transport = capture
		capture_destination_recipient_limit = 1
		smtpd_banner = \$myhostname ESMTP mailseal-test
		smtpd_error_sleep_time = 0
		smtpd_tls_security_level = may
		smtpd_tls_cert_file = $PF_TLS/server.crt
		smtpd_tls_key_file = $PF_TLS/server.key
		smtpd_tls_CAfile = $PF_TLS/ca.crt
		smtpd_tls_ask_ccert = yes
		smtpd_tls_loglevel = 1
		smtpd_tls_received_header = yes
		smtpd_tls_session_cache_database =
		smtp_tls_security_level = none
		smtpd_sasl_auth_enable = yes
		smtpd_sasl_type = cyrus
		smtpd_sasl_path = smtpd
		cyrus_sasl_config_path = $PF_CONF/sasl
		smtpd_sasl_local_domain = ${PF_REALM:-}
		smtpd_sasl_security_options = noanonymous
		smtpd_tls_auth_only = yes
		smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination
		smtpd_recipient_restrictions = ${pol_rcpt:+check_policy_service $pol_rcpt}
		smtpd_end_of_data_restrictions = ${pol_eod:+check_policy_service $pol_eod}
		smtpd_milters = $milters
		non_smtpd_milters = $nsmilters
	EOF
	cat > "$PF_CONF/master.cf" <<-EOF
		# generated by tests/postfix/lib.sh; no chroot anywhere
		127.0.0.1:$PF_PORT inet n - n - - smtpd
		pickup    unix  n       -       n       60      1       pickup
		cleanup   unix  n       -       n       -       0       cleanup
		qmgr      unix  n       -       n       300     1       qmgr
		tlsmgr    unix  -       -       n       1000?   1       tlsmgr
		rewrite   unix  -       -       n       -       -       trivial-rewrite
		bounce    unix  -       -       n       -       0       bounce
		defer     unix  -       -       n       -       0       bounce
		trace     unix  -       -       n       -       0       bounce
		verify    unix  -       -       n       -       1       verify
		flush     unix  n       -       n       1000?   0       flush
		proxymap  unix  -       -       n       -       -       proxymap
		proxywrite unix -       -       n       -       1       proxymap
		smtp      unix  -       -       n       -       -       smtp
		relay     unix  -       -       n       -       -       smtp
		showq     unix  n       -       n       -       -       showq
		error     unix  -       -       n       -       -       error
		retry     unix  -       -       n       -       -       error
		discard   unix  -       -       n       -       -       discard
		anvil     unix  -       -       n       -       1       anvil
		scache    unix  -       -       n       -       1       scache
		postlog   unix-dgram n  -       n       -       1       postlogd
		capture   unix  -       n       n       -       -       pipe
		  flags= user=nobody argv=$PF_DIR/capture.sh $PF_MAIL \${sender} \${recipient} \${queue_id}
	EOF
	for a in "${master_extra[@]}"; do printf '%s\n' "$a" >> "$PF_CONF/master.cf"; done
	if [ ${#params[@]} -gt 0 ]; then
		postfix_cmd postconf -e "${params[@]}" || return 1
	fi
	chmod 644 "$PF_CONF/main.cf" "$PF_CONF/master.cf" "$PF_CONF/sasl/smtpd.conf"
	pf_save_state
	pf_backdate
	[ -f "$PF_LOG" ] || : > "$PF_LOG"
	local try old
	for try in 1 2 3; do
		postfix_cmd postfix start > "$PF_DIR/start.out" 2>&1
		a=$?
		[ $a -eq 0 ] && break
		grep -q "bind 127.0.0.1 port $PF_PORT: Address already in use" "$PF_LOG" || break
		old=$PF_PORT                    # taken since free_port: another one
		PF_PORT=$(free_port)
		sed -i "s/^127\.0\.0\.1:$old inet /127.0.0.1:$PF_PORT inet /" "$PF_CONF/master.cf"
		pf_save_state
		pf_backdate
	done
	PF_MASTER_PID=$(sed -n '1s/ //gp' "$PF_QUEUE/pid/master.pid" 2> /dev/null)
	if [ $a -ne 0 ] || [ -z "$PF_MASTER_PID" ]; then
		pf_say "postfix start failed ($a):"
		sed 's/^/#   /' "$PF_DIR/start.out" "$PF_LOG"
		return 1
	fi
	PF_INSTANCES="$PF_INSTANCES $PF_DIR"
	pf_save_state
	local i
	for i in $(seq 1 100); do
		/usr/bin/python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $PF_PORT), 1).close()" \
			2> /dev/null && return 0
		sleep 0.05
	done
	pf_say "postfix does not listen on $PF_PORT:"; sed 's/^/#   /' "$PF_LOG"
	return 1
}

postfix_conf() {
	postfix_cmd postconf -e "$@" && pf_backdate
}

pf_procs() {    # every live process of the instance (master's process group)
	local p st
	[ -n "${PF_MASTER_PID:-}" ] || return 0
	# Zombies do not count: the reaper here (the sandbox's init) takes
	# about a second to collect a daemon's exited processes.
	for p in $(pgrep -g "$PF_MASTER_PID" 2> /dev/null); do
		st=$(sed 's/^.*) //; s/ .*//' "/proc/$p/stat" 2> /dev/null)
		[ -n "$st" ] && [ "$st" != Z ] && echo "$p"
	done
	return 0
}

pf_smtpd_pids() {
	local p
	for p in $(pf_procs); do
		[ "$(cat /proc/$p/comm 2> /dev/null)" = smtpd ] && echo "$p"
	done
}

postfix_reload() {
	local old p i n
	old=$(pf_smtpd_pids)
	n=$(grep -c 'master.*: reload' "$PF_LOG")
	pf_backdate
	postfix_cmd postfix reload > "$PF_DIR/reload.out" 2>&1 ||
		{ pf_say "postfix reload failed:"; sed 's/^/#   /' "$PF_DIR/reload.out"; return 1; }
	for i in $(seq 1 100); do
		[ "$(grep -c 'master.*: reload' "$PF_LOG")" -gt "$n" ] && break
		sleep 0.05
	done
	# Idle smtpd processes of the old generation exit by themselves; wait
	# for them, so that the next connection meets the new configuration.
	for p in $old; do
		for i in $(seq 1 100); do
			kill -0 "$p" 2> /dev/null || break
			sleep 0.05
		done
		kill -0 "$p" 2> /dev/null && { pf_say "smtpd $p survived the reload"; return 1; }
	done
	return 0
}

postfix_stop() {
	local dir=${1:-${PF_DIR:-}} i
	[ -n "$dir" ] && [ -f "$dir/state.sh" ] || return 0
	postfix_use "$dir"
	[ -n "$PF_MASTER_PID" ] || return 0
	# What "postfix stop" does (postfix-script: kill the master, which
	# takes its children down), minus its sleep 1 before the first check.
	if tr '\0' ' ' 2> /dev/null < "/proc/$PF_MASTER_PID/cmdline" |
		grep -q "^$PF_ROOT/usr/lib/postfix/sbin/master"; then
		kill -TERM "$PF_MASTER_PID"
	fi
	for i in $(seq 1 100); do
		[ -z "$(pf_procs)" ] && break
		sleep 0.05
	done
	if [ -n "$(pf_procs)" ]; then
		pf_say "postfix processes left after stop: $(pf_procs | tr '\n' ' ')"
		kill -9 -- "-$PF_MASTER_PID" 2> /dev/null
		PF_MASTER_PID=""; pf_save_state
		return 1
	fi
	PF_MASTER_PID=""
	pf_save_state
	return 0
}

postfix_policy_recorder() {   # LISTEN LOG [ACTION...]
	local listen=$1 log=$2 i
	shift 2
	/usr/bin/python3 "$PF_SRC/policy_recorder.py" "$listen" "$log" "$@" > "$log.out" 2>&1 &
	PF_POLICY_PID=$!
	PF_BG_PIDS="$PF_BG_PIDS $PF_POLICY_PID"
	for i in $(seq 1 100); do
		grep -q ready "$log.out" 2> /dev/null && return 0
		kill -0 "$PF_POLICY_PID" 2> /dev/null || break
		sleep 0.05
	done
	pf_say "policy recorder did not start:"; sed 's/^/#   /' "$log.out"
	return 1
}

postfix_policy_stop() {
	local pid=${1:-${PF_POLICY_PID:-}}
	[ -n "$pid" ] || return 0
	kill "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	return 0
}

# postfix_policy_attr LOG N NAME: NAME's value in the N-th request (1-based;
# N may be "last"); empty when the attribute is present but empty; status 1
# when absent.
postfix_policy_attr() {
	awk -v want="$2" -v name="$3" '
		BEGIN { RS = ""; FS = "\n" }
		{ recs[NR] = $0 }
		END {
			n = (want == "last") ? NR : want + 0
			if (!(n in recs)) exit 1
			k = split(recs[n], l, "\n")
			for (i = 1; i <= k; i++)
				if (index(l[i], name "=") == 1) { print substr(l[i], length(name) + 2); exit 0 }
			exit 1
		}' "$1"
}

# postfix_policy_find LOG NAME=VALUE...: the number of the last request
# logged that has all these attributes (status 1 when none has).
postfix_policy_find() {
	local log=$1
	shift
	awk -v conds="$(printf '%s\n' "$@")" '
		BEGIN { RS = ""; FS = "\n"; nc = split(conds, c, "\n"); if (c[nc] == "") nc-- }
		{
			delete have
			for (i = 1; i <= NF; i++) have[$i] = 1
			m = 1
			for (j = 1; j <= nc; j++) if (!(c[j] in have)) { m = 0; break }
			if (m) found = NR
		}
		END { if (found) print found; else exit 1 }' "$log"
}

postfix_cleanup() {
	local d p
	for p in $PF_BG_PIDS; do
		kill "$p" 2> /dev/null && wait "$p" 2> /dev/null
	done
	PF_BG_PIDS=""
	for d in $PF_INSTANCES; do postfix_stop "$d"; done
	PF_INSTANCES=""
	for d in $PF_TMPDIRS; do rm -rf "$d"; done
	PF_TMPDIRS=""
}

pf_reply() {   # pf_reply STEP LOG: first server line after the client's STEP line
	awk -v step="$1" '
		{
			line = $0; sub(/\r$/, "", line)
			if (line ~ /^ *(->|~>) /) {
				c = line; sub(/^ *(->|~>) /, "", c)
				if (step == "BANNER") next
				u = toupper(c)
				w = (step == "DATA") ? (c == ".") : \
				    (step == "TLS") ? (u == "STARTTLS") : (index(u, step) == 1)
				armed = w ? 1 : 0
				next
			}
			if (line ~ /^<[-~*]/) {
				r = line; sub(/^<[-~*]+ +/, "", r)
				if (step == "BANNER" && !done) { print r; done = 1; next }
				if (armed) { print r; armed = 0; if (step != "RCPT TO") exit }
			}
		}' "$2"
}

postfix_swaks() {   # NAME SWAKS-ARGS...
	local name=$1 log
	shift
	log=$PF_DIR/swaks/$name.log
	PF_SWAKS_LOG=$log
	swaks --server 127.0.0.1 --port "$PF_PORT" --timeout 30 \
		--from "$PF_FROM" --to "$PF_TO" --ehlo "$PF_HELO" "$@" < /dev/null > "$log" 2>&1
	PF_SWAKS_RC=$?
	PF_BANNER_REPLY=$(pf_reply BANNER "$log")
	PF_TLS_REPLY=$(pf_reply TLS "$log")
	PF_AUTH_REPLY=$(pf_reply AUTH "$log" | head -1)
	PF_MAIL_REPLY=$(pf_reply "MAIL FROM" "$log")
	PF_RCPT_REPLIES=$(pf_reply "RCPT TO" "$log")
	PF_RCPT_REPLY=$(printf '%s\n' "$PF_RCPT_REPLIES" | head -1)
	PF_DATA_REPLY=$(pf_reply DATA "$log")
	PF_MAIL_CODE=${PF_MAIL_REPLY%% *}
	PF_RCPT_CODE=${PF_RCPT_REPLY%% *}
	PF_DATA_CODE=${PF_DATA_REPLY%% *}
	PF_AUTH_CODE=${PF_AUTH_REPLY%% *}
	PF_MAIL_CODE=${PF_MAIL_CODE:0:3} PF_RCPT_CODE=${PF_RCPT_CODE:0:3}
	PF_DATA_CODE=${PF_DATA_CODE:0:3} PF_AUTH_CODE=${PF_AUTH_CODE:0:3}
	return 0
}

postfix_send_plain() { local n=$1; shift; postfix_swaks "$n" "$@"; }
postfix_send_starttls() { local n=$1; shift; postfix_swaks "$n" --tls "$@"; }
postfix_send_auth() {
	local n=$1; shift
	postfix_swaks "$n" --tls --auth PLAIN --auth-user "$PF_SASL_USER" \
		--auth-password "${PF_AUTH_PASS:-$PF_SASL_PASS}" "$@"
}
postfix_send_cert() {   # NAME client|selfsigned|other ARGS...
	local n=$1 k=$2; shift 2
	postfix_swaks "$n" --tls --tls-cert "$PF_TLS/$k.crt" --tls-key "$PF_TLS/$k.key" "$@"
}

postfix_delivered_count() {
	local c
	c=$(cat "$PF_MAIL/.count" 2> /dev/null)
	echo "${c:-0}"
}

postfix_wait_delivered() {   # N [SECONDS]
	local n=$1 s=${2:-20} i
	for i in $(seq 1 $((s * 20))); do
		[ "$(postfix_delivered_count)" -ge "$n" ] && return 0
		sleep 0.05
	done
	pf_say "postfix_wait_delivered $n: only $(postfix_delivered_count) after ${s}s"
	return 1
}

postfix_message_file() { echo "$PF_MAIL/$1.eml"; }
postfix_message() { cat "$PF_MAIL/$1.eml"; }
postfix_message_env() { cat "$PF_MAIL/$1.env"; }

postfix_log_grep() { grep "$@" "$PF_LOG"; }

postfix_log_wait() {   # REGEX [SECONDS]
	local s=${2:-10} i
	for i in $(seq 1 $((s * 20))); do
		grep -Eq -- "$1" "$PF_LOG" && return 0
		sleep 0.05
	done
	return 1
}

postfix_queue_empty() {
	local out
	out=$(postfix_cmd postqueue -p 2>&1)
	[ "$out" = "Mail queue is empty" ] && return 0
	printf '%s\n' "$out" | sed 's/^/#   queue: /'
	return 1
}

postfix_no_bounce() {
	! grep -Eq 'status=(bounced|deferred)|postfix-test/bounce\[' "$PF_LOG"
}
