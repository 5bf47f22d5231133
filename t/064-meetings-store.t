#!/usr/bin/perl
#
# The meetings store (shared/ngx_mobility_meetings.c) on its own: the URI
# parser, admission, leaders, anonymous identities, and a scripted store
# session (ids, conference ids, the per-organizer limit, update, the
# assigned meeting, delete, list, grants and their pruning, delete_all).
# The C side is t/tools/meetings_check.c, compiled here with cc against
# the plain build of the shared files (-DNGX_MOBILITY_PLAIN_C), as the
# CLI builds them.  The live side of meetings relies on these answers.
#
#   prove -v t/064-meetings-store.t

use strict;
use warnings;

use Test::More;
use File::Temp qw(tempdir);
use FindBin;

my $root = "$FindBin::Bin/..";
my $tmp = tempdir(CLEANUP => 1);
my $driver = "$tmp/meetings_check";

sub run {
    my @cmd = @_;
    my $out = qx{@{[ join ' ', map { "'" . s/'/'\\''/gr . "'" } @cmd ]} 2>&1};
    return ($? >> 8, $out);
}

my ($rc, $out) = run($ENV{CC} // 'cc', qw(-O1 -Wall -Wextra
    -Wno-unused-parameter -Werror -DNGX_MOBILITY_PLAIN_C), "-I$root/shared",
    '-o', $driver, "$root/t/tools/meetings_check.c",
    map({ "$root/shared/ngx_mobility_$_.c" }
        qw(meetings kv store record sip directory password codec)),
    '-llmdb', '-lcrypto');
is($rc, 0, 'the test driver builds') or diag($out);
-x $driver or BAIL_OUT('cannot build t/tools/meetings_check.c');

sub check {
    my ($rc, $out) = run($driver, @_);
    chomp $out;
    return $out;
}

# the URI parser

my $focus = ';opaque=app:conf:focus:id:';
my %parse = (
    "sip:alice\@contoso.com;gruu${focus}AB12CD34" => 'alice@contoso.com AB12CD34 0',
    "SIP:Alice\@Contoso.com;GRUU${focus}AB12CD34" => 'Alice@Contoso.com AB12CD34 0',
    "alice\@contoso.com;gruu${focus}AB12CD34" => 'alice@contoso.com AB12CD34 0',
    "sip:alice\@contoso.com${focus}AB12CD34" => 'alice@contoso.com AB12CD34 0',
    "conf:sip:alice\@contoso.com;gruu${focus}AB12CD34" => 'alice@contoso.com AB12CD34 0',
    "sip:alice\@contoso.com;gruu${focus}ab12cd34" => 'DECLINED',
    "sip:alice\@contoso.com;gruu${focus}AB12CD345" => 'DECLINED',
    "sip:alice\@contoso.com;gruu${focus}AB12CD3" => 'DECLINED',
    "sip:alice\@contoso.com;gruu;opaque=app:conf:audio:id:AB12CD34" => 'DECLINED',
    "sip:contoso.com;gruu${focus}AB12CD34" => 'DECLINED',
    "sip:\@contoso.com;gruu${focus}AB12CD34" => 'DECLINED',
    'sip:alice@contoso.com' => 'DECLINED',
    'https://meet.contoso.com/alice/AB12CD34' => 'alice AB12CD34 1',
    'HTTPS://meet.contoso.com/alice/AB12CD34/' => 'alice AB12CD34 1',
    'https://meet.contoso.com:8443/alice/AB12CD34?sl=1#x' => 'alice AB12CD34 1',
    'http://meet.contoso.com/alice/AB12CD34' => 'alice AB12CD34 1',
    'https://meet.contoso.com/alice' => 'DECLINED',
    'https://meet.contoso.com/alice/AB12' => 'DECLINED',
    'https://meet.contoso.com//AB12CD34' => 'DECLINED',
    'https://meet.contoso.com/a%40b/AB12CD34' => 'DECLINED',
    'https://meet.contoso.com/al ice/AB12CD34' => 'DECLINED',
    '' => 'DECLINED',
);
for my $uri (sort keys %parse) {
    is(check('parse', $uri), $parse{$uri}, "parse \"$uri\"");
}

# admission: organizer alice, leader bob, attendee carol; dave is another
# signed-in user, "-" an anonymous joiner (as is an anon-… identity)

my $anon = (split ' ', check('anon'))[0];
my %admit = (
    Everyone       => [qw(ADMIT ADMIT ADMIT ADMIT ADMIT ADMIT)],
    SameEnterprise => [qw(ADMIT ADMIT ADMIT ADMIT LOBBY LOBBY)],
    Invited        => [qw(ADMIT ADMIT ADMIT LOBBY DENY DENY)],
    Locked         => [qw(ADMIT ADMIT LOBBY LOBBY DENY DENY)],
    Bogus          => [qw(ADMIT ADMIT DENY DENY DENY DENY)],
);
my @who = ('ALICE@contoso.com', 'bob@contoso.com', 'carol@contoso.com',
           'dave@contoso.com', '-', $anon);
for my $level (sort keys %admit) {
    for my $i (0 .. $#who) {
        is(check('admit', $level, 'alice@contoso.com', 'sip:bob@contoso.com',
                 'sip:Carol@Contoso.com,erin@contoso.com', $who[$i]),
           $admit{$level}[$i], "$level: $who[$i]");
    }
}

is(check('leader', 'alice@contoso.com', 'sip:bob@contoso.com,SIP:Erin@contoso.com', 'alice@contoso.com'), 1, 'the organizer leads');
is(check('leader', 'alice@contoso.com', 'sip:bob@contoso.com,SIP:Erin@contoso.com', 'erin@contoso.com'), 1, 'a leader, any case, sip: or not');
is(check('leader', 'alice@contoso.com', 'sip:bob@contoso.com,SIP:Erin@contoso.com', 'bo@contoso.com'), 0, 'not a prefix');
is(check('leader', 'alice@contoso.com', '-', 'bob@contoso.com'), 0, 'no leaders');

like(check('anon'), qr/^anon-[0-9a-f]{16}\@anonymous\.invalid 1 0$/, 'anonymous identities');
isnt(check('anon'), check('anon'), 'a new identity each time');

# a store session

my $s = check('store', "$tmp/store");
my @expect = (
    qr/^created [0-9A-Z]{8} version 1 key 16 conf 7digits$/m,
    qr/^distinct ids 1$/m,
    qr/^distinct conference ids 1$/m,
    qr/^fourth over the limit FULL$/m,
    qr/^updated version 2 subject Renamed key kept 1 conf kept 1 assigned 0$/m,
    qr/^key match 1 wrong key 0 short key 0$/m,
    qr/^assigned before NOTFOUND$/m,
    qr/^assigned again same 1 access 2 flag 1$/m,
    qr/^delete OK$/m,
    qr/^delete again NOTFOUND$/m,
    qr/^alice has 2 \(2\)$/m,
    qr/^a prefix of alice has 0$/m,
    qr/^grant OK alice\@contoso.com 1$/m,
    qr/^grant at expiry NOTFOUND$/m,
    qr/^old grant before prune OK$/m,
    qr/^old grant after prune NOTFOUND$/m,
    qr/^live grant after prune kept$/m,
    qr/^alice after delete_all 0$/m,
    qr/^bob after delete_all of alice 1$/m,
);
for my $re (@expect) {
    like($s, $re, "store: $re");
}
unlike($s, qr/FAILED/, 'no store failure');
is(scalar(() = $s =~ /^created /mg), 3, 'three meetings created');

done_testing();
