#!/usr/bin/perl
# maildkim_verify.pl - verify a delivered message with Mail::DKIM (Debian's
# libmail-dkim-perl), its keys fetched by Net::DNS from a test DNS server
# (nsd on loopback).  Debian 12's Mail::DKIM 1.20230212 has no Ed25519:
# its signatures come out as "invalid" here.
#
#   maildkim_verify.pl PORT FILE
#
# One line per DKIM-Signature: "d=DOMAIN s=SELECTOR a=ALG RESULT [detail]",
# RESULT as Mail::DKIM says it (pass, fail, invalid, temperror, ...);
# "none" for a message without any.  The message must have CRLF line ends.
use strict;
use warnings;
use Net::DNS;
use Mail::DKIM::DNS;
use Mail::DKIM::Verifier;

my ( $port, $file ) = @ARGV;
die "usage: $0 PORT FILE\n" unless defined $file;
my $res = Net::DNS::Resolver->new(
    nameservers => ['127.0.0.1'],
    port        => $port,
    recurse     => 0,
    retry       => 2,
    udp_timeout => 5,
    tcp_timeout => 5,
);
Mail::DKIM::DNS::resolver($res);
open my $fh, '<:raw', $file or die "$file: $!\n";
my $msg = do { local $/; <$fh> };
my $v = Mail::DKIM::Verifier->new;
$v->PRINT($msg);
$v->CLOSE;
my @sigs = grep { $_->isa('Mail::DKIM::Signature') } $v->signatures;
print "none\n" unless @sigs;
for my $s (@sigs) {
    my $detail = $s->result_detail // '';
    $detail =~ s/\s+/ /g;
    printf "d=%s s=%s a=%s %s%s\n", $s->domain // '?', $s->selector // '?',
      $s->algorithm // '?', $s->result, ( $s->result eq 'pass' ? '' : " $detail" );
}
