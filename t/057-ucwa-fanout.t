# The presence fan-out and the P-GET batch: a change reaches many
# watchers with the event rendered once and each watcher's own prefix
# spliced in (the package bytes pinned for both application bases), the
# held P-GETs due at the same time are released together and re-park
# together, a repeated ack gets the very same package, and two P-GETs
# arriving together on one channel leave exactly one holder.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityUcwa;

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();

ucwa_blocks($Store, mobility_ucwa_pget_timeout => '30s');

# subscribes sessions to dave and consumes the events that causes (the
# P-GETs in parallel: the subscription's events are held for a while)
sub watch_dave {
    my @s = @_;
    for my $s (@s) {
        my ($st) = MobilityUcwa::ucwa($s, POST => '/people/presenceSubscriptions',
            body => '{"duration":10,"uris":["sip:dave@contoso.com"]}');
        die "subscribing: HTTP $st\n" unless $st == 201;
    }
    my @p = map { MobilityUcwa::pget_start($_, $_->{events}) } @s;
    for my $i (0 .. $#s) {
        my ($pst, undef, $b) = MobilityUcwa::pget_finish($p[$i], 20);
        die "first package: HTTP " . ($pst // 0) . "\n" unless ($pst // 0) == 200;
        my $j = MobilityUcwa::decode($b);
        $s[$i]{events} = $j->{_links}{next}{href};
    }
    return @s;
}

# the exact package of one contactPresence/contactNote event for $s
sub package_of {
    my ($s, $rel, $tail, $ack) = @_;
    my ($prefix) = $s->{app} =~ m{^(/ucwa/.*)$};
    return qq({"_links":{"self":{"href":"$prefix/events?ack=$ack"},)
         . qq("next":{"href":"$prefix/events?ack=) . ($ack + 1) . qq("}},)
         . qq("sender":[{"rel":"people","href":"$prefix/people",)
         . qq("events":[{"link":{"rel":"$rel",)
         . qq("href":"$prefix/people/dave\@contoso.com/$tail"},)
         . qq("in":{"rel":"contact","href":"$prefix/people/dave\@contoso.com"},)
         . qq("type":"updated"}]}]});
}

sub ack_of {
    my $href = shift;
    my ($ack) = $href =~ /[?&]ack=(\d+)/;
    return $ack;
}

run_tests();

__DATA__

=== TEST 1: the package of a fanned-out change, byte for byte, for both application bases
--- init
my $D = MobilityUcwa::session('dave');
my ($st) = MobilityUcwa::ucwa($D, POST => '/me/makeMeAvailable', body => '{"SupportedModalities":["Messaging"]}');
Test::More::is($st, 204, 'dave signs in');
my @w = main::watch_dave(MobilityUcwa::session('alice'),
                         MobilityUcwa::session('alice', base => '/ucwa/v1/applications'),
                         MobilityUcwa::session('bob'));
Test::More::like($w[1]{app}, qr{^/ucwa/v1/applications/}, 'a /ucwa/v1 application');
my @p = map { MobilityUcwa::pget_start($_, $_->{events}) } @w;
($st) = MobilityUcwa::ucwa($D, POST => '/me/presence', body => '{"availability":"Busy"}');
Test::More::is($st, 204, 'dave is busy');
for my $i (0 .. $#w) {
    my ($pst, undef, $b) = MobilityUcwa::pget_finish($p[$i], 10);
    Test::More::is($pst, 200, "watcher $i: 200");
    Test::More::is($b, main::package_of($w[$i], 'contactPresence', 'presence', main::ack_of($w[$i]{events})), "watcher $i: the package, byte for byte");
}
MobilityUcwa::request($block, GET => "$D->{app}/me/presence", token => $D->{token});
--- error_code: 200
--- response_body_like: "availability":"Busy"
--- no_error_log
[alert]
[error]



=== TEST 2: 16 watchers on 2 workers: released together, re-parked together, the next change reaches all; a repeated ack gets the same package
--- init
my $D = MobilityUcwa::session('dave');
MobilityUcwa::ucwa($D, POST => '/me/makeMeAvailable', body => '{"SupportedModalities":["Messaging"]}');
my @w = main::watch_dave(map { MobilityUcwa::session($_) } (qw(alice bob carol erin frank)) x 3, 'alice');
Test::More::is(scalar @w, 16, '16 watchers');
for my $round ([DoNotDisturb => 'contactPresence', 'presence', '{"availability":"DoNotDisturb"}', '/me/presence'],
               [Note => 'contactNote', 'note', '{"message":"Out","type":"Personal"}', '/me/note']) {
    my ($name, $rel, $tail, $body, $path) = @$round;
    # all P-GETs written at once: they arrive in few event-loop iterations
    my @p = map { MobilityUcwa::pget_start($_, $_->{events}) } @w;
    select(undef, undef, undef, 0.3);
    my ($st) = MobilityUcwa::ucwa($D, POST => $path, body => $body);
    Test::More::is($st, 204, "$name: published");
    my $ok = 0;
    for my $i (0 .. $#w) {
        my ($pst, undef, $b) = MobilityUcwa::pget_finish($p[$i], 10);
        my $ack = main::ack_of($w[$i]{events});
        $ok++ if ($pst // 0) == 200 && $b eq main::package_of($w[$i], $rel, $tail, $ack);
        $w[$i]{last} = $w[$i]{events};
        $w[$i]{last_body} = $b;
        $w[$i]{events} =~ s/([?&]ack=)\d+/$1 . ($ack + 1)/e;
    }
    Test::More::is($ok, 16, "$name: each of the 16 watchers got its own package once");
}
my ($st, undef, $b) = MobilityUcwa::call(GET => $w[7]{last}, token => $w[7]{token});
Test::More::is($st, 200, 'the same ack again: 200');
Test::More::is($b, $w[7]{last_body}, 'the same package again');
MobilityUcwa::request($block, GET => "$D->{app}/me/note", token => $D->{token});
--- error_code: 200
--- response_body_like: "message":"Out"
--- no_error_log
[alert]
[error]



=== TEST 3: two P-GETs written together on one channel: one answers 409 PGetReplaced at once, the other holds and gets the package
--- init
my $D = MobilityUcwa::session('dave');
MobilityUcwa::ucwa($D, POST => '/me/makeMeAvailable', body => '{"SupportedModalities":["Messaging"]}');
my ($W) = main::watch_dave(MobilityUcwa::session('carol'));
my @p = map { MobilityUcwa::pget_start($W, $W->{events}) } 1 .. 2;
my (@st, @b);
my $sel = IO::Select->new(map { $_->{sock} } @p);
my @ready = $sel->can_read(3);
Test::More::is(scalar @ready, 1, 'one of the two answers at once');
my $first = $ready[0] == $p[0]{sock} ? 0 : 1;
my ($st, undef, $b) = MobilityUcwa::pget_finish($p[$first], 3);
Test::More::is($st, 409, 'the older one: 409');
Test::More::like($b, qr/"subcode":"PGetReplaced"/, 'PGetReplaced');
MobilityUcwa::ucwa($D, POST => '/me/presence', body => '{"availability":"Away"}');
($st, undef, $b) = MobilityUcwa::pget_finish($p[1 - $first], 10);
Test::More::is($st, 200, 'the holder: 200');
Test::More::is($b, main::package_of($W, 'contactPresence', 'presence', main::ack_of($W->{events})), 'with the package');
MobilityUcwa::request($block, GET => "$D->{app}/me/presence", token => $D->{token});
--- error_code: 200
--- response_body_like: "availability":"Away"
--- no_error_log
[alert]
[error]
