#!/usr/bin/perl
# peer_maildkim.pl - Mail::DKIM (Debian's libmail-dkim-perl) as an
# interop peer.  Debian 12's Mail::DKIM 1.20230212 has no Ed25519 (it
# came in a later release): rsa-sha256 only.
#
#   peer_maildkim.pl sign KEY.pem DOMAIN SELECTOR ALG CANON HEADERS OUTDIR FILE...
#       Signs each FILE and writes OUTDIR/basename(FILE): the new
#       DKIM-Signature field followed by the file's bytes, unchanged.
#       KEY.pem: the PEM key that `mailseal keygen` writes (PKCS#8, RSA),
#       loaded by Crypt::OpenSSL::RSA; ALG must be rsa-sha256;
#       CANON: HEADER/BODY, or one word, written as given (c=relaxed);
#       HEADERS: the exact h= list, colon-separated
#       (a name listed more times than the message has it is over-signed).
#       PEER_SIGN_IDENTITY=ADDR in the environment adds i=ADDR.  (l= is not
#       offered: Mail::DKIM's signer cannot work out the body length.)
#
#   peer_maildkim.pl verify KEYFILE FILE...
#       One line per signature: FILE<TAB>SELECTOR:RESULT<TAB>detail,
#       RESULT as Mail::DKIM says it (pass, fail, invalid, temperror,
#       neutral); a message without signatures gives FILE<TAB>none.
#       KEYFILE: lines "NAME RECORD".  Mail::DKIM gets them through its
#       own DNS layer: a stand-in resolver object, installed with
#       Mail::DKIM::DNS::resolver(), answers each TXT query with a
#       Net::DNS packet built from the file (the record cut into strings
#       of 255 bytes, as in DNS), NXDOMAIN for any other name.
#
# The messages must have CRLF line ends (Mail::DKIM's parser wants them).
use strict;
use warnings;
use File::Basename qw(basename);
use Crypt::OpenSSL::RSA;
use Net::DNS;
use Mail::DKIM::DNS;
use Mail::DKIM::PrivateKey;
use Mail::DKIM::Signature;
use Mail::DKIM::Signer;
use Mail::DKIM::Verifier;

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "$path: $!\n";
    local $/;
    return scalar <$fh>;
}

sub sign_files {
    my ( $keyfile, $domain, $selector, $alg, $canon, $headers, $outdir,
        @files ) = @_;
    die "Mail::DKIM $Mail::DKIM::VERSION cannot sign with $alg\n"
      unless $alg eq 'rsa-sha256';
    die "this driver cannot sign with l=\n" if $ENV{PEER_SIGN_LENGTH};
    my $rsa = Crypt::OpenSSL::RSA->new_private_key( slurp($keyfile) );
    my $key = Mail::DKIM::PrivateKey->load( Cork => $rsa );
    for my $path (@files) {
        my $msg  = slurp($path);
        my $dkim = Mail::DKIM::Signer->new(
            Algorithm => $alg,
            Method    => $canon,
            Domain    => $domain,
            Selector  => $selector,
            Key       => $key,
            # the policy gives the exact h= list, over-signing included
            Policy => sub {
                $_[0]->add_signature(
                    Mail::DKIM::Signature->new(
                        Algorithm => $alg,
                        Method    => $canon,
                        Domain    => $domain,
                        Selector  => $selector,
                        Headers   => $headers,
                        Key       => $key,
                        (
                            $ENV{PEER_SIGN_IDENTITY}
                            ? ( Identity => $ENV{PEER_SIGN_IDENTITY} )
                            : ()
                        ),
                    )
                );
                return;
            },
        );
        $dkim->PRINT($msg);
        $dkim->CLOSE;
        my $sig = $dkim->signature->as_string;
        $sig =~ s/\015?\012/\015\012/g;
        open my $out, '>:raw', "$outdir/" . basename($path)
          or die "$outdir: $!\n";
        print $out $sig, "\015\012", $msg;
        close $out or die "$outdir: $!\n";
    }
}

# --- the stand-in resolver -------------------------------------------------
package FileResolver;

sub new {
    my ( $class, $path ) = @_;
    my %rec;
    open my $fh, '<', $path or die "$path: $!\n";
    while ( my $line = <$fh> ) {
        $line =~ s/\s+\z//;
        next if $line =~ /^\s*(#|\z)/;
        my ( $name, $data ) = split ' ', $line, 2;
        $name =~ s/\.\z//;
        push @{ $rec{ lc $name } }, $data;
    }
    return bless { rec => \%rec, err => 'NOERROR' }, $class;
}

# send(NAME, TYPE): what Mail::DKIM::DNS::query() calls
sub send {
    my ( $self, $name, $type ) = @_;
    ( my $key = lc $name ) =~ s/\.\z//;
    my $packet = Net::DNS::Packet->new( $name, $type, 'IN' );
    $packet->header->qr(1);
    $packet->header->aa(1);
    my $data = $self->{rec}{$key};
    if ( !$data ) {
        $packet->header->rcode('NXDOMAIN');
        return $packet;
    }
    $packet->header->rcode('NOERROR');
    return $packet unless uc $type eq 'TXT';
    for my $d (@$data) {
        my @strings = unpack '(a255)*', $d;
        $packet->push(
            answer => Net::DNS::RR->new(
                name    => $name,
                type    => 'TXT',
                ttl     => 300,
                txtdata => \@strings,
            )
        );
    }
    return $packet;
}

sub errorstring { return $_[0]{err} }

package main;

sub verify_files {
    my ( $keyfile, @files ) = @_;
    Mail::DKIM::DNS::resolver( FileResolver->new($keyfile) );
    for my $path (@files) {
        my $v = Mail::DKIM::Verifier->new;
        $v->PRINT( slurp($path) );
        $v->CLOSE;
        my @sigs = grep { $_->isa('Mail::DKIM::Signature') } $v->signatures;
        print "$path\tnone\n" unless @sigs;
        for my $s (@sigs) {
            my $detail = $s->result_detail // '';
            $detail =~ s/\s+/ /g;
            printf "%s\t%s:%s\t%s\n", $path, $s->selector // '?', $s->result,
              $detail;
        }
    }
}

binmode STDOUT;
my $cmd = shift @ARGV // '';
if ( $cmd eq 'sign' && @ARGV >= 8 ) {
    sign_files(@ARGV);
}
elsif ( $cmd eq 'verify' && @ARGV >= 2 ) {
    verify_files(@ARGV);
}
else {
    die "usage: $0 sign KEY.pem DOMAIN SELECTOR ALG CANON HEADERS OUTDIR FILE...\n"
      . "       $0 verify KEYFILE FILE...\n";
}
exit 0;
