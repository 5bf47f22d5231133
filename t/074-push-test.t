# mobilityctl push-target test (docs/cli.md, docs/push.md): test pushes
# queued by the CLI in one transaction reach the provider at once (the CLI
# wakes the sender over IPC), whatever the registration's events; the
# operator's text is the body; refusals queue nothing.  Same fake provider
# as t/072-push-send.t (t/lib/fake_push.py).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityUcwa;
use MobilityPush;
use JSON::PP qw(encode_json decode_json);

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();
push_setup();

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config', ucwa_main_config($Store))
        unless defined $block->main_config;
    $block->set_value('http_config', push_http_config())
        unless defined $block->http_config;
    $block->set_value('config', ucwa_config()
                      . "location = /push-status { mobility_push_status; }\n")
        unless defined $block->config;
    $block->set_value('request', 'GET /push-status')
        unless defined $block->request;
});

# bob registers a target on an endpoint of our choosing
sub register_bob {
    my ($endpoint, $reg) = @_;
    my $B = MobilityUcwa::session('bob', endpoint => $endpoint);
    my ($st, undef, $b) = MobilityUcwa::ucwa($B, PUT => '/pushRegistration',
                                            body => encode_json($reg));
    Test::More::ok($st == 201 || $st == 200, "registration stored ($st)")
        or Test::More::diag($b);
    return $B;
}

# mobilityctl with its output (stdout and stderr) and exit code
sub ctl_out {
    my @a = map { "'$_'" } @_;
    my $out = `'$ENV{MOBILITYCTL}' --store '$main::Store' @a 2>&1`;
    return ($? >> 8, $out);
}

sub queue_depth {
    my (undef, $out) = ctl_out('--json', 'push-queue', 'list');
    return scalar @{ decode_json($out) };
}

run_tests();

__DATA__

=== TEST 1: APNs: N test pushes queued by the CLI arrive at once with the operator's text, whatever the registration's events
--- init
my $token = ('e5' x 31) . '0005';
main::register_bob('ep-bob-apns', { provider => 'apns', deviceToken => $token,
                   apnsTopic => 'com.contoso.mobility', events => ['meeting'] });
my $t0 = Time::HiRes::time();
my ($rc, $out) = main::ctl_out('--json', 'push-target', 'test', 'bob@contoso.com',
                               'ep-bob-apns', '--count', '3', '--text', 'Hello from ops');
Test::More::is($rc, 0, 'push-target test exits 0') or Test::More::diag($out);
my $j = JSON::PP::decode_json($out);
Test::More::is($j->{queued}, 3, 'queued: 3');
Test::More::is($j->{lastId} - $j->{firstId}, 2, 'three consecutive ids');
Test::More::is($j->{provider}, 'apns', 'provider');
Test::More::ok($j->{workersWoken} >= 1, 'the workers were woken');
my @r = MobilityPush::requests(qr{^/3/device/$token$}, 3, 5);
Test::More::is(scalar @r, 3, 'three requests to APNs');
Test::More::ok($r[2]{time} - $t0 < 3, 'sent at once (woken, not polled)');
my %ids = map { (MobilityPush::hdr($_, 'apns-id') => 1) } @r;
Test::More::is(scalar keys %ids, 3, 'one apns-id per push');
for my $r (@r) {
    my $p = MobilityPush::body_json($r);
    Test::More::is($p->{aps}{alert}{body}, 'Hello from ops', 'body: the text');
    Test::More::is($p->{aps}{alert}{title}, 'Skype for Business', 'title');
    Test::More::is($p->{type}, 'test', 'type: test');
}
# the apns-id carries the entry's creation time (ms) in its first 48 bits
my $hex = MobilityPush::hdr($r[0], 'apns-id') =~ s/-//gr;
Test::More::is(hex(substr($hex, 0, 8)) * 65536 + hex(substr($hex, 8, 4)), $j->{created}, 'apns-id: created');
my $s;
for (1 .. 50) { $s = MobilityPush::status(); last if $s->{providers}{apns}{sent} >= 3; Time::HiRes::sleep(0.1) }
Test::More::is($s->{providers}{apns}{sent}, 3, 'status: three sent');
Test::More::is($s->{queue}, 0, 'status: the queue is empty');
--- response_body_like: "apns":\{"sent":3,
--- no_error_log
[alert]



=== TEST 2: FCM: one test push without text says "Test notification"
--- init
my $token = 'fcm-test-' . ('y' x 40);
main::register_bob('ep-bob-fcm', { provider => 'fcm', registrationToken => $token });
my ($rc, $out) = main::ctl_out('push-target', 'test', 'bob@contoso.com', 'ep-bob-fcm');
Test::More::is($rc, 0, 'exit 0') or Test::More::diag($out);
Test::More::like($out, qr/^queued 1 test push\(es\) for sip:bob\@contoso.com endpoint "ep-bob-fcm" \(fcm, ids \d+\.\.\d+\); \d+ nginx worker\(s\) woken$/m, 'the summary');
my @r = grep { MobilityPush::body_json($_)->{message}{token} eq $token }
        MobilityPush::requests(qr{^/v1/projects/contoso-mobility/messages:send$}, 1, 5);
Test::More::is(scalar @r, 1, 'one message');
my $m = MobilityPush::body_json($r[0])->{message};
Test::More::is($m->{notification}{body}, 'Test notification', 'the default text');
Test::More::is($m->{data}{type}, 'test', 'data.type');
--- response_body_like: "fcm":\{"sent":1,



=== TEST 3: refusals: no target, a tombstone, bad options; nothing is queued
--- init
my ($rc, $out) = main::ctl_out('push-target', 'test', 'carol@contoso.com', 'ep-none');
Test::More::is($rc, 1, 'no target: exit 1');
Test::More::like($out, qr/sip:carol\@contoso.com has no push target for endpoint "ep-none"/, 'no target: message');
my $token = ('f6' x 31) . '0006';
main::register_bob('ep-bob-dead', { provider => 'apns', deviceToken => $token,
                   apnsTopic => 'com.contoso.mobility' });
Mobility::ctl('push-target', 'invalidate', 'bob@contoso.com', 'ep-bob-dead', '--reason', 'BadDeviceToken');
($rc, $out) = main::ctl_out('push-target', 'test', 'bob@contoso.com', 'ep-bob-dead');
Test::More::is($rc, 1, 'tombstone: exit 1');
Test::More::like($out, qr/was invalidated \(BadDeviceToken\); nothing queued/, 'tombstone: message');
for my $bad (['--count', '0'], ['--count', '100001'], ['--count', '5x'],
             ['--text', 'x' x 201], ['--text', "a\tb"], ['--ttl', '0']) {
    ($rc, $out) = main::ctl_out('push-target', 'test', 'bob@contoso.com', 'ep-bob-fcm', @$bad);
    Test::More::is($rc, 2, "@$bad[0] " . substr($bad->[1], 0, 8) . ": usage error (exit 2)");
}
($rc, $out) = main::ctl_out('push-target', 'test', 'bob@contoso.com');
Test::More::is($rc, 2, 'no endpoint: exit 2');
Test::More::is(main::queue_depth(), 0, 'nothing queued');
my @r = MobilityPush::requests(qr{^/3/device/$token$}, 1, 1);
Test::More::is(scalar @r, 0, 'nothing sent to the tombstone');
--- response_body_like: "queue":0



=== TEST 4: "test" is not an event kind a registration can choose
--- init
my $B = MobilityUcwa::session('bob', endpoint => 'ep-bob-x');
my ($st, undef, $b) = MobilityUcwa::ucwa($B, PUT => '/pushRegistration',
    body => JSON::PP::encode_json({ provider => 'apns', deviceToken => ('a7' x 32),
                                    apnsTopic => 'com.contoso.mobility', events => ['im', 'test'] }));
Test::More::is($st, 400, 'refused');
Test::More::like($b, qr/events/, 'the parameter named');
--- response_body_like: "queue":0
