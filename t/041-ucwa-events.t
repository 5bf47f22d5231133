# The UCWA event channel (P-GET) with a master and two workers: numbered
# packages, redelivery, resync, replacement across workers, priority,
# clamping and sticky parameters, the medium hold, merging, overflow and
# resume, instances, XML, wake-ups across workers and P-GET storms.

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

run_tests();

__DATA__

=== TEST 1: nothing happens: an empty response after the timeout, then the same package again
--- http_config eval: MobilityUcwa::ucwa_http_config(mobility_ucwa_pget_timeout => '1s')
--- init
my $S = MobilityUcwa::session('alice');
Test::More::like($S->{events}, qr{/events\?ack=1$}, 'events href');
my $p = MobilityUcwa::pget_start($S, $S->{events});
my ($st, $h, $b, $took) = MobilityUcwa::pget_finish($p, 5);
Test::More::is($st, 200, 'empty response');
Test::More::ok($took > 0.8 && $took < 3, "released by the timeout ($took s)");
Test::More::is($b, qq{{"_links":{"self":{"href":"$S->{app}/events?ack=1"},"next":{"href":"$S->{app}/events?ack=2"}}}}, 'self and next only');
MobilityUcwa::request($block, GET => $S->{events}, token => $S->{token});
$block->set_value(response_body => $b);
--- error_code: 200
--- response_headers_like
Content-Type: application/json; charset=utf-8
--- no_error_log
[alert]
[error]



=== TEST 2: makeMeAvailable from another connection releases the held P-GET after the medium hold
--- init
my $S = MobilityUcwa::session('alice');
my $p = MobilityUcwa::pget_start($S, "$S->{app}/events?ack=1&medium=5");
Time::HiRes::sleep(0.3);
my ($st) = MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable',
                              body => '{"SignInAs":"Online","SupportedModalities":["Messaging"]}');
Test::More::is($st, 204, 'makeMeAvailable');
my ($pst, $h, $b, $took) = MobilityUcwa::pget_finish($p, 10);
Test::More::is($pst, 200, 'events');
Test::More::ok($took > 4.5 && $took < 7, "medium events held about 5 s ($took s)");
my $j = MobilityUcwa::decode($b);
my @ev = map { my $s = $_; map { "$s->{rel}:$_->{link}{rel}:$_->{type}" } @{ $s->{events} } } @{ $j->{sender} };
Test::More::is("@ev", 'communication:communication:updated me:me:updated me:presence:added me:note:added me:location:added', 'documented order');
Test::More::is($j->{sender}[1]{events}[1]{_embedded}{presence}{availability}, 'Online', 'presence embedded');
Test::More::is($j->{_links}{next}{href}, "$S->{app}/events?ack=2", 'next');
# the same ack: the same package, byte for byte
MobilityUcwa::request($block, GET => "$S->{app}/events?ack=1", token => $S->{token});
$block->set_value(response_body => $b);
--- error_code: 200
--- no_error_log
[alert]
[error]



=== TEST 3: acknowledged packages are gone: an old ack or one from the future gets only resync
--- init
my $S = MobilityUcwa::session('alice');
MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable', body => '{}');
my ($st, $h, $b) = MobilityUcwa::ucwa($S, GET => '/events?ack=1&medium=5&timeout=180');
Test::More::like($b, qr/"presence"/, 'package 1');
my $p = MobilityUcwa::pget_start($S, "$S->{app}/events?ack=2");
Time::HiRes::sleep(0.3);
my ($st2, undef, $b2) = MobilityUcwa::ucwa($S, GET => '/events?ack=1');
Test::More::is($b2, qq{{"_links":{"resync":{"href":"$S->{app}/events?ack=2"}}}}, 'ack 1 after ack 2: resync to 2');
my ($pst, undef, $pb) = MobilityUcwa::pget_finish($p, 3);
Test::More::is($pst, 409, 'and the held one was replaced');
MobilityUcwa::request($block, GET => "$S->{app}/events?ack=99999999999999999999999",
                      token => $S->{token});
$block->set_value(response_body => qq{{"_links":{"resync":{"href":"$S->{app}/events?ack=2"}}}});
--- error_code: 200
--- no_error_log
[alert]



=== TEST 4: a new P-GET replaces the held one, in whichever worker it is held (409 PGetReplaced)
--- init
my $S = MobilityUcwa::session('alice');
my $prev = MobilityUcwa::pget_start($S, "$S->{app}/events?ack=1");
for my $i (1 .. 6) {
    Time::HiRes::sleep(0.2);
    my $next = MobilityUcwa::pget_start($S, "$S->{app}/events?ack=1");
    my ($st, $h, $b, $took) = MobilityUcwa::pget_finish($prev, 3);
    Test::More::is($st, 409, "round $i: the older P-GET answers 409");
    Test::More::like($b, qr/"subcode":"PGetReplaced"/, "round $i: PGetReplaced");
    Test::More::ok($took < 3, "round $i: promptly");
    $prev = $next;
}
my ($st) = MobilityUcwa::pget_finish($prev, 0.5);
Test::More::ok(!$st, 'the newest is still held');
MobilityUcwa::request($block, GET => "$S->{app}/events?ack=1&timeout=180",
                      token => $S->{token});
--- timeout: 0.5
--- abort
--- ignore_response
--- no_error_log
[alert]



=== TEST 5: priority: a lower priority does not replace a higher one
--- init
my $S = MobilityUcwa::session('alice');
my $high = MobilityUcwa::pget_start($S, "$S->{app}/events?ack=1&priority=5");
Time::HiRes::sleep(0.3);
my ($st, undef, $b) = MobilityUcwa::ucwa($S, GET => '/events?ack=1&priority=1');
Test::More::is($st, 409, 'lower priority refused');
my ($hst) = MobilityUcwa::pget_finish($high, 0.5);
Test::More::ok(!$hst, 'the higher one is still held');
# its client goes away: the channel is free for a lower priority
close $high->{sock};
Time::HiRes::sleep(0.3);
my $low = MobilityUcwa::pget_start($S, "$S->{app}/events?ack=1&priority=1");
my ($lst) = MobilityUcwa::pget_finish($low, 0.5);
Test::More::ok(!$lst, 'after the client of the higher one left, the lower one holds');
MobilityUcwa::request($block, GET => "$S->{app}/events?ack=1&priority=5",
                      token => $S->{token});
--- timeout: 0.5
--- abort
--- ignore_response
--- no_error_log
[alert]



=== TEST 6: parameters are clamped, never rejected, and stick
--- http_config eval: MobilityUcwa::ucwa_http_config(mobility_ucwa_pget_timeout => '2s')
--- init
my $S = MobilityUcwa::session('alice');
# 1 s is below the minimum (here the 2 s default): clamped to 2 s
my $p = MobilityUcwa::pget_start($S, "$S->{app}/events?ack=1&timeout=1&low=1&medium=99999&priority=-3");
my ($st, $h, $b, $took) = MobilityUcwa::pget_finish($p, 6);
Test::More::is($st, 200, 'accepted');
Test::More::ok($took > 1.8 && $took < 3.5, "timeout clamped ($took s)");
$p = MobilityUcwa::pget_start($S, "$S->{app}/events?ack=2&timeout=3");
($st, $h, $b, $took) = MobilityUcwa::pget_finish($p, 6);
Test::More::ok($took > 2.8 && $took < 4.5, "timeout=3 ($took s)");
$p = MobilityUcwa::pget_start($S, "$S->{app}/events?ack=3");
($st, $h, $b, $took) = MobilityUcwa::pget_finish($p, 6);
Test::More::ok($took > 2.8 && $took < 4.5, "timeout sticks ($took s)");
MobilityUcwa::request($block, GET => "$S->{app}/events?ack=3", token => $S->{token});
--- error_code: 200
--- no_error_log
[alert]



=== TEST 7: superseded updates merge while pending; order is kept
--- init
my $S = MobilityUcwa::session('alice');
MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable', body => '{}');
my ($st, $h, $b) = MobilityUcwa::ucwa($S, GET => '/events?ack=1&medium=5');
Test::More::like($b, qr/"location"/, 'makeMeAvailable events');
MobilityUcwa::ucwa($S, POST => '/me/note', body => '{"message":"first"}');
MobilityUcwa::ucwa($S, POST => '/me/location', body => '{"location":"Building 1"}');
MobilityUcwa::ucwa($S, POST => '/me/note', body => '{"message":"second"}');
($st, $h, $b) = MobilityUcwa::ucwa($S, GET => '/events?ack=2');
my $j = MobilityUcwa::decode($b);
my @ev = map { "$_->{link}{rel}:$_->{type}" } map { @{ $_->{events} } } @{ $j->{sender} };
Test::More::is("@ev", 'location:updated note:updated', 'one note update, the newest, after the location');
Test::More::is($j->{sender}[0]{events}[1]{_embedded}{note}{message}, 'second', 'newest note');
MobilityUcwa::request($block, GET => "$S->{app}/events?ack=2", token => $S->{token});
$block->set_value(response_body => $b);
--- error_code: 200
--- no_error_log
[alert]



=== TEST 8: too many pending events: they are dropped and the next package resumes
--- http_config eval: MobilityUcwa::ucwa_http_config(mobility_ucwa_pget_timeout => '30s', mobility_ucwa_max_events => 3)
--- init
my $S = MobilityUcwa::session('alice');
MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable', body => '{}');
my $p = MobilityUcwa::pget_start($S, "$S->{app}/events?ack=1");
my ($st, $h, $b, $took) = MobilityUcwa::pget_finish($p, 5);
Test::More::ok($took < 3, "a resume is released at once ($took s)");
my $j = MobilityUcwa::decode($b);
Test::More::is($j->{_links}{resume}{href}, "$S->{app}/events?ack=2", 'resume instead of next');
Test::More::ok(!$j->{_links}{next}, 'no next');
Test::More::unlike($b, qr/"communication"/, 'the dropped events are gone');
MobilityUcwa::request($block, GET => "$S->{app}/events?ack=1", token => $S->{token});
$block->set_value(response_body => $b);
--- error_code: 200
--- error_log
overflowed, the channel resumes



=== TEST 9: deleting the application answers its held P-GET at once, across workers
--- init
for my $i (1 .. 4) {
    my $S = MobilityUcwa::session('alice');
    my $p = MobilityUcwa::pget_start($S, "$S->{app}/events?ack=1");
    Time::HiRes::sleep(0.2);
    my ($st) = MobilityUcwa::ucwa($S, DELETE => '');
    my ($pst, $h, $b, $took) = MobilityUcwa::pget_finish($p, 3);
    Test::More::is($pst, 404, "round $i: 404");
    Test::More::like($b, qr/ApplicationNotFound/, "round $i: ApplicationNotFound");
    Test::More::ok($took < 2, "round $i: woken at once, not by the 30 s timeout ($took s)");
}
--- error_code: 404
--- no_error_log
[alert]



=== TEST 10: each instance has its own channel; both get the application's events
--- init
my $T = MobilityUcwa::tok('bob@contoso.com', 'Passw0rd!');
my $A = MobilityUcwa::session('bob', token => $T, endpoint => 'two-tabs', instance => 'one');
my $B = MobilityUcwa::session('bob', token => $T, endpoint => 'two-tabs', instance => 'two');
Test::More::is($A->{json}{id}, $B->{json}{id}, 'one application');
Test::More::like($B->{events}, qr/ack=1&instanceId=two$/, 'its own events href');
my $app = "/ucwa/oauth/v1/applications/$A->{json}{id}";
my ($mst) = MobilityUcwa::call(POST => "$app/me/makeMeAvailable", token => $T, body => '{}');
Test::More::is($mst, 204, 'makeMeAvailable');
for my $s ($A, $B) {
    my ($st, $h, $b) = MobilityUcwa::call(GET => $s->{events} . '&medium=5', token => $T);
    Test::More::like($b, qr/"me".*"presence".*"added"/s, "instance $s->{json}{instanceId}");
}
my ($st) = MobilityUcwa::call(DELETE => "$app?instanceId=one", token => $T);
Test::More::is($st, 204, 'DELETE one instance');
my ($st2) = MobilityUcwa::call(GET => $B->{events}, token => $T);
MobilityUcwa::request($block, GET => "$B->{app}", token => $T);
--- error_code: 200
--- response_body_like: "instanceId":"two"
--- no_error_log
[alert]



=== TEST 11: the event channel in UCWA XML
--- init
my $S = MobilityUcwa::session('alice');
MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable', body => '{}');
MobilityUcwa::request($block, GET => "$S->{app}/events?ack=1&medium=5",
    token => $S->{token}, headers => ['Accept: application/vnd.microsoft.com.ucwa+xml']);
--- timeout: 10
--- error_code: 200
--- response_headers_like
Content-Type: application/vnd.microsoft.com.ucwa\+xml; charset=utf-8
--- response_body_like eval
qr{^<\?xml version="1.0" encoding="utf-8"\?>\n<events xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa" href="(/ucwa/oauth/v1/applications/[a-z0-9-]+)/events\?ack=1"><link rel="next" href="\1/events\?ack=2"/><sender rel="communication" href="\1/communication"><updated rel="communication" href="\1/communication"><resource rel="communication" href="\1/communication">.*</resource></updated></sender><sender rel="me" href="\1/me"><updated rel="me" href="\1/me"><resource rel="me".*<added rel="presence" href="\1/me/presence"><resource rel="presence" href="\1/me/presence"><property name="availability">Online</property>.*</sender></events>\n$}s



=== TEST 12: a P-GET storm: every replaced one answers, nothing leaks, the last one holds
--- init
my $S = MobilityUcwa::session('alice');
my @p = map { MobilityUcwa::pget_start($S, "$S->{app}/events?ack=1") } 1 .. 40;
Time::HiRes::sleep(2);
my %seen;
for my $p (@p) {
    my ($st) = MobilityUcwa::pget_finish($p, 0.05);
    $seen{$st // 'held'}++;
}
Test::More::is($seen{409}, 39, 'all but one answered 409');
Test::More::is($seen{held}, 1, 'the last one holds')
    or Test::More::diag(join ' ', %seen);
MobilityUcwa::request($block, GET => "$S->{app}/events?ack=abc", token => $S->{token});
--- error_code: 200
--- response_body_like: ^\{"_links":\{"resync":\{"href":"/ucwa/oauth/v1/applications/[a-z0-9-]+/events\?ack=1"\}\}\}$
--- no_error_log
[alert]
[error]



=== TEST 13: the medium hold ends on time (its long wait ends a little early, a short one finishes it); the package is rendered before the write transaction
--- log_level: debug
--- init
my $S = MobilityUcwa::session('alice');
my $p = MobilityUcwa::pget_start($S, "$S->{app}/events?ack=1&medium=5");
Time::HiRes::sleep(0.3);
my $t0 = Time::HiRes::time();
my ($st) = MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable',
                              body => '{"SignInAs":"Online","SupportedModalities":["Messaging"]}');
Test::More::is($st, 204, 'makeMeAvailable');
my ($pst, $h, $b) = MobilityUcwa::pget_finish($p, 10);
my $held = Time::HiRes::time() - $t0;
Test::More::is($pst, 200, 'events');
Test::More::like($b, qr/"presence"/, 'the presence in the package');
# not before the hold (1 ms of clock rounding allowed), not much after it
Test::More::ok($held > 4.99 && $held < 7, "held 5 s from the change ($held s)");
MobilityUcwa::request($block, GET => "$S->{app}/events?ack=1", token => $S->{token});
$block->set_value(response_body => $b);
--- error_code: 200
--- error_log eval
[qr/mobility ucwa: P-GET wait ended \d+ ms early, waiting the rest/,
 qr/mobility ucwa: P-GET of [a-z0-9-]+: package rendered before the write transaction/]
--- no_error_log
[alert]
[error]
