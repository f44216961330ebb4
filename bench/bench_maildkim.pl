#!/usr/bin/perl
# bench_maildkim.pl - Mail::DKIM (Debian's libmail-dkim-perl) in process.
#
#   bench_maildkim.pl sign|verify rsa LIST KEYDIR RUNS MINSEC [OUTDIR]
#
# Same protocol and output lines as the C drivers (bench/benchutil.h).
# This Mail::DKIM (1.20230212) has no Ed25519, so only rsa.  Keys: the
# private key is loaded once (Mail::DKIM::PrivateKey, PKCS#1 PEM from
# KEYDIR/rsa1.pem); verification's key fetch is overridden so that each
# key record (KEYDIR/keys.opendkim) is parsed once and answered from
# memory, never from DNS.  Each message is handed over in 64 KB PRINTs.
use strict;
use warnings;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use Mail::DKIM::Signer;
use Mail::DKIM::Verifier;
use Mail::DKIM::PrivateKey;
use Mail::DKIM::PublicKey;

my ( $op, $alg, $list, $keydir, $runs, $minsec, $outdir ) = @ARGV;
die "usage: bench_maildkim.pl sign|verify rsa LIST KEYDIR RUNS MINSEC [OUTDIR]\n"
  unless defined $minsec;
die "Mail::DKIM $Mail::DKIM::VERSION has no ed25519\n" if $alg ne 'rsa';

my $DOMAIN   = 'bench.example';
my $SELECTOR = 'rsa2026';
my %SIGN     = map { $_ => 1 } qw(from to cc subject date message-id
  in-reply-to references mime-version content-type content-transfer-encoding);

sub slurp {
    my ($p) = @_;
    open my $f, '<:raw', $p or die "$p: $!\n";
    local $/;
    my $d = <$f>;
    close $f;
    return $d;
}

my @paths = grep { length } split /\n/, slurp($list);
my @msgs  = map { slurp($_) } @paths;
my $total = 0;
$total += length($_) for @msgs;

# key records, parsed once on first use, from memory
my %records;
for my $line ( split /\n/, slurp("$keydir/keys.opendkim") ) {
    my ( $name, $rec ) = split / /, $line, 2;
    $records{ lc $name } = $rec;
}
my %parsed;
{
    no warnings 'redefine';
    *Mail::DKIM::PublicKey::fetch_async = sub {
        my ( $class, %prms ) = @_;
        my $cb   = $prms{Callbacks} || {};
        my $ok   = $cb->{Success} || sub { $_[0] };
        my $host = lc( $prms{Selector} . '._domainkey.' . $prms{Domain} );
        return sub {
            my $k = $parsed{$host};
            if ( !$k && defined $records{$host} ) {
                $k = $class->parse( $records{$host} );
                $k->{Selector} = $prms{Selector};
                $k->{Domain}   = $prms{Domain};
                $k->check;
                $parsed{$host} = $k;
            }
            return $ok->($k);
        };
    };
}

my $privkey = Mail::DKIM::PrivateKey->load( File => "$keydir/rsa1.pem" );
$privkey->cork or die "cannot load the private key\n";

# in 64 KB pieces: one PRINT of a whole 300 KB message is 10-15% slower
sub feed {
    my ( $dkim, $m ) = @_;
    for ( my $o = 0 ; $o < length $m ; $o += 65536 ) {
        $dkim->PRINT( substr( $m, $o, 65536 ) );
    }
    $dkim->CLOSE;
}

sub sign_one {
    my ($m) = @_;
    my $dkim = Mail::DKIM::Signer->new(
        Policy => sub {
            my $d = shift;
            my $h = join ':',
              grep { $SIGN{ lc $_ } } @{ $d->{header_field_names} };
            $d->add_signature(
                Mail::DKIM::Signature->new(
                    Algorithm => 'rsa-sha256',
                    Method    => 'relaxed',
                    Headers   => $h,
                    Domain    => $DOMAIN,
                    Selector  => $SELECTOR,
                    Key       => $privkey,
                    Timestamp => time,
                )
            );
            return;
        },
    );
    feed( $dkim, $m );
    my $sig = $dkim->signature or return;
    return $sig->as_string;
}

sub verify_one {
    my ($m) = @_;
    my $dkim = Mail::DKIM::Verifier->new;
    feed( $dkim, $m );
    return $dkim->result eq 'pass' ? 1 : 0;
}

my $one =
  $op eq 'sign'
  ? sub { sign_one( $_[0] ) ? 1 : 0 }
  : \&verify_one;

$| = 1;
if ( $runs > 0 ) {
    my $ok = 0;
    $ok += $one->($_) for @msgs;
    printf "CHECK impl=maildkim op=%s alg=%s msgs=%d ok=%d\n", $op, $alg,
      scalar @msgs, $ok;
}
for my $r ( 1 .. $runs ) {
    my ( $n, $bytes, $ok, $t ) = ( 0, 0, 0, 0 );
    my $t0 = clock_gettime(CLOCK_MONOTONIC);
    while (1) {
        $ok += $one->($_) for @msgs;
        $n     += @msgs;
        $bytes += $total;
        $t = clock_gettime(CLOCK_MONOTONIC) - $t0;
        last if $t >= $minsec;
    }
    printf "RUN impl=maildkim op=%s alg=%s run=%d msgs=%d bytes=%d "
      . "secs=%.6f ok=%d\n", $op, $alg, $r, $n, $bytes, $t, $ok;
}
if ( $outdir && $op eq 'sign' ) {
    for my $i ( 0 .. $#msgs ) {
        my $sig = sign_one( $msgs[$i] );
        ( my $base = $paths[$i] ) =~ s{.*/}{};
        open my $f, '>:raw', "$outdir/$base" or die "$outdir/$base: $!\n";
        print $f $sig, "\015\012", $msgs[$i];
        close $f;
    }
}
