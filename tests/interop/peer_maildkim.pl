#!/usr/bin/perl
# peer_maildkim.pl - Mail::DKIM (Debian's libmail-dkim-perl) as an
# interop peer.  This version has no Ed25519: rsa-sha256 only.
#   peer_maildkim.pl sign KEY.pem DOMAIN SELECTOR CANON < msg > signed
#       KEY.pem: PKCS#1 ("BEGIN RSA PRIVATE KEY")
#   peer_maildkim.pl verify KEYFILE < msg
#       prints one line per signature: pass, fail, ...
use strict;
use warnings;
use Mail::DKIM::Signer;
use Mail::DKIM::Verifier;
use Mail::DKIM::PublicKey;
use Mail::DKIM::Signature;

binmode STDIN;
binmode STDOUT;
my $msg = do { local $/; <STDIN> };
my $cmd = shift @ARGV;

if ( $cmd eq 'sign' ) {
    my ( $key, $domain, $selector, $canon ) = @ARGV;
    my $dkim = Mail::DKIM::Signer->new(
        Algorithm => 'rsa-sha256',
        Method    => $canon,
        Domain    => $domain,
        Selector  => $selector,
        KeyFile   => $key,
        Policy    => sub {
            my $signer = shift;
            # From over-signed: a From added later breaks the signature
            $signer->add_signature(
                Mail::DKIM::Signature->new(
                    Algorithm => 'rsa-sha256',
                    Method    => $canon,
                    Domain    => $domain,
                    Selector  => $selector,
                    Headers   => 'from:from:to:subject:date:message-id:mime-version:content-type',
                )
            );
            return;
        },
    );
    $dkim->PRINT($msg);
    $dkim->CLOSE;
    my $sig = $dkim->signature->as_string;
    $sig =~ s/\015?\012/\015\012/g;
    print $sig, "\015\012", $msg;
    exit 0;
}

my %records;
open my $fh, '<', $ARGV[0] or die "$ARGV[0]: $!\n";
while ( my $line = <$fh> ) {
    $line =~ s/\r?\n$//;
    my ( $name, $rec ) = split / /, $line, 2;
    $name =~ s/\.$//;
    $records{ lc $name } = $rec;
}
{
    no warnings 'redefine';
    *Mail::DKIM::PublicKey::fetch_async = sub {
        my ( $class, %prms ) = @_;
        my $cb   = $prms{Callbacks} || {};
        my $ok   = $cb->{Success} || sub { $_[0] };
        my $host = lc( $prms{Selector} . '._domainkey.' . $prms{Domain} );
        return sub {
            return $ok->(undef) unless defined $records{$host};
            my $k = $class->parse( $records{$host} );
            $k->check;
            return $ok->($k);
        };
    };
}
my $v = Mail::DKIM::Verifier->new;
$v->PRINT($msg);
$v->CLOSE;
print $_->result, "\n" for $v->signatures;
