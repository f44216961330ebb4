#!/usr/bin/perl
# maildmarc_harness.pl - Mail::DMARC::PurePerl's DMARC outcome (Debian's
# libmail-dmarc-perl, RFC 7489 with the Public Suffix List) of each case
# of the differential test (tests/dns/dmarc_diff.py), for t-dmarc-diff.sh.
#
#   maildmarc_harness.pl PORT < peer.in > pl.out
#
# Each input line: ID AUTHOR SPFDOMAIN SPFRESULT [DOMAIN SELECTOR RESULT]...
# Mail::DMARC asks the DNS server on 127.0.0.1:PORT (its own resolver,
# Net::DNS, pointed there) for the record and the domain's existence,
# is told the SPF (MAIL FROM scope) and DKIM results, and validates.
# Each output line: ID OUTCOME, OUTCOME one of pass, none, fail:POLICY
# (the disposition it applies: reject, quarantine, none), or
# "error:WHY" when it died.
use strict;
use warnings;
use Mail::DMARC::PurePerl;
use Net::DNS::Resolver;

my $port = shift or die "usage: maildmarc_harness.pl PORT\n";
$ENV{MAIL_DMARC_CONFIG_FILE} ||= '/usr/share/perl5/auto/share/dist/Mail-DMARC/mail-dmarc.ini';
my $res = Net::DNS::Resolver->new(
    nameservers => ['127.0.0.1'], port => $port, recurse => 0,
    dnsrch => 0, defnames => 0, udp_timeout => 3, tcp_timeout => 3, retry => 1,
);
$| = 1;
while ( my $line = <STDIN> ) {
    my ( $id, $author, $spf_dom, $spf_res, @dkim ) = split ' ', $line;
    next if !defined $spf_res;
    my $out = eval {
        my $d = Mail::DMARC::PurePerl->new;
        $d->set_resolver($res);
        $d->source_ip('192.0.2.1');
        $d->envelope_to('mx.example.net');
        $d->envelope_from($spf_dom);
        $d->header_from($author);
        my @sigs;
        while ( my ( $dom, $sel, $r ) = splice @dkim, 0, 3 ) {
            push @sigs, { domain => $dom, selector => $sel, result => $r };
        }
        $d->dkim( \@sigs );
        $d->spf( [ { domain => $spf_dom, scope => 'mfrom', result => $spf_res } ] );
        my $v = $d->validate;
        my $r = $v->result;
        $r eq 'fail' ? 'fail:' . $v->disposition : $r;
    };
    if ( !defined $out ) {
        my $why = $@ || 'undef';
        $why =~ s/\s.*//s;
        $out = "error:$why";
    }
    print "$id $out\n";
}
