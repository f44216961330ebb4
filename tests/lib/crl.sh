# lib/crl.sh - a CA's CRL made with `openssl ca`, for tests.  Source it, then:
#   mkcrl DIR CA_CRT CA_KEY CERT...   DIR/crl.pem (PEM) revoking each CERT,
#                                     signed by the CA (DIR/ca.cnf, index.txt)
mkcrl() {
	local d=$1 cacrt=$2 cakey=$3 c
	shift 3
	mkdir -p "$d"
	: > "$d/index.txt"
	echo 01 > "$d/crlnumber"
	cat > "$d/ca.cnf" <<CNF
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = $d
database = $d/index.txt
new_certs_dir = $d
certificate = $cacrt
private_key = $cakey
crlnumber = $d/crlnumber
default_md = sha256
default_crl_days = 30
CNF
	for c in "$@"; do
		openssl ca -config "$d/ca.cnf" -revoke "$c" > "$d/revoke.log" 2>&1 || return 1
	done
	openssl ca -config "$d/ca.cnf" -gencrl -out "$d/crl.pem" > "$d/gencrl.log" 2>&1
}
