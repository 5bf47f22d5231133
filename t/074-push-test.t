# mobilityctl push-target test (docs/cli.md, docs/push.md): test pushes
# queued by the CLI in one transaction reach the provider at once (the CLI
# wakes the sender over IPC), whatever the registration's events; the
# operator's text is the body; refusals queue nothing.  Same fake provider
# as t/072-push-send.t (t/lib/fake_push.py).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityUcwa;
use File::Temp qw(tempdir);
use JSON::PP qw(encode_json decode_json);
use Time::HiRes qw(sleep time);

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();
our $Dir = tempdir(CLEANUP => 1);
our $FakePort = ($ENV{TEST_NGINX_PORT} // 1984) + 8;
our $Log = "$Dir/provider.log";
our $Py = '/usr/bin/python3';
our $Check = "t/lib/push_check.py";
our $Fake;

sub sh {
    my $cmd = shift;
    my $out = `$cmd 2>&1`;
    die "$cmd: $out" if $?;
    return $out;
}

# a CA, the provider's certificate, and the credentials
sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=TestCA "
   . "-keyout $Dir/ca.key -out $Dir/ca.pem");
sh("openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
   . "-keyout $Dir/srv.key -out $Dir/srv.csr");
sh("printf 'subjectAltName=IP:127.0.0.1' > $Dir/ext.cnf");
sh("openssl x509 -req -in $Dir/srv.csr -CA $Dir/ca.pem -CAkey $Dir/ca.key "
   . "-CAcreateserial -days 2 -extfile $Dir/ext.cnf -out $Dir/srv.pem");
sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
   . "-out $Dir/apns.p8");
sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
   . "-out $Dir/fcm.pem");
{
    open my $f, '<', "$Dir/fcm.pem" or die;
    local $/;
    my $pem = <$f>;
    open my $o, '>', "$Dir/fcm.json" or die;
    print $o encode_json({
        type => 'service_account', project_id => 'contoso-mobility',
        private_key_id => 'k1', private_key => $pem,
        client_email => 'push@contoso-mobility.iam.gserviceaccount.com',
        token_uri => "https://127.0.0.1:$FakePort/token" });
}
ctl('vapid', 'generate', "$Dir/vapid.pem");
ctl('Set-CsPushNotificationConfiguration',
    '-EnableApplePushNotificationService', 'True',
    '-EnableFcm', 'True', '-EnableWebPush', 'True');

# the fake provider
unlink $Log, "$Log.ready";
$Fake = fork();
if ($Fake == 0) {
    exec($Py, 't/lib/fake_push.py', '--port', $FakePort,
         '--cert', "$Dir/srv.pem", '--key', "$Dir/srv.key", '--log', $Log);
    exit 1;
}
for (1 .. 100) { last if -e "$Log.ready"; sleep 0.1 }
die "the fake provider did not start\n" unless -e "$Log.ready";

END { kill 'TERM', $Fake if $Fake; }

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config', ucwa_main_config($Store))
        unless defined $block->main_config;
    $block->set_value('http_config',
        ucwa_http_config(mobility_ucwa_pget_timeout => '30s',
                         mobility_push_grace => '0s')
        . "mobility_push_apns key=$Dir/apns.p8 key_id=KEY1234567 "
        . "team_id=TEAM123456 production=https://127.0.0.1:$FakePort "
        . "sandbox=https://127.0.0.1:$FakePort;\n"
        . "mobility_push_fcm service_account=$Dir/fcm.json "
        . "url=https://127.0.0.1:$FakePort;\n"
        . "mobility_push_webpush vapid_key=$Dir/vapid.pem "
        . "subject=mailto:ops\@contoso.com;\n"
        . "mobility_push_trusted_certificate $Dir/ca.pem;\n")
        unless defined $block->http_config;
    $block->set_value('config', ucwa_config()
                      . "location = /push-status { mobility_push_status; }\n")
        unless defined $block->config;
    $block->set_value('request', 'GET /push-status')
        unless defined $block->request;
});

# the provider's log entries whose path matches, waiting for n of them
sub requests {
    my ($re, $n, $wait) = @_;
    my @r;
    my $until = time + ($wait // 10);
    while (1) {
        @r = ();
        if (open my $f, '<', $Log) {
            while (<$f>) {
                my $e = decode_json($_);
                push @r, $e if $e->{path} =~ $re;
            }
        }
        last if @r >= $n || time > $until;
        sleep 0.1;
    }
    return @r;
}

sub status {
    my ($st, undef, $b) = MobilityUcwa::call('GET', '/push-status');
    return decode_json($b);
}

sub hdr { my ($r, $n) = @_; return $r->{headers}{$n} // '' }

sub body_json {
    my $r = shift;
    require MIME::Base64;
    return decode_json(MIME::Base64::decode_base64($r->{body}));
}


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
my @r = main::requests(qr{^/3/device/$token$}, 3, 5);
Test::More::is(scalar @r, 3, 'three requests to APNs');
Test::More::ok($r[2]{time} - $t0 < 3, 'sent at once (woken, not polled)');
my %ids = map { (main::hdr($_, 'apns-id') => 1) } @r;
Test::More::is(scalar keys %ids, 3, 'one apns-id per push');
for my $r (@r) {
    my $p = main::body_json($r);
    Test::More::is($p->{aps}{alert}{body}, 'Hello from ops', 'body: the text');
    Test::More::is($p->{aps}{alert}{title}, 'Skype for Business', 'title');
    Test::More::is($p->{type}, 'test', 'type: test');
}
# the apns-id carries the entry's creation time (ms) in its first 48 bits
my $hex = main::hdr($r[0], 'apns-id') =~ s/-//gr;
Test::More::is(hex(substr($hex, 0, 8)) * 65536 + hex(substr($hex, 8, 4)), $j->{created}, 'apns-id: created');
my $s;
for (1 .. 50) { $s = main::status(); last if $s->{providers}{apns}{sent} >= 3; Time::HiRes::sleep(0.1) }
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
my @r = grep { main::body_json($_)->{message}{token} eq $token }
        main::requests(qr{^/v1/projects/contoso-mobility/messages:send$}, 1, 5);
Test::More::is(scalar @r, 1, 'one message');
my $m = main::body_json($r[0])->{message};
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
my @r = main::requests(qr{^/3/device/$token$}, 1, 1);
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
