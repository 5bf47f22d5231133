# The push sender against a fake provider (t/lib/fake_push.py, HTTP/2 over
# TLS): what reaches APNs, FCM and a Web Push service is checked
# independently of our code (t/lib/push_check.py, python3-cryptography):
# signatures, headers, payloads, the decrypted Web Push body; then the
# provider's answers: invalidation, retries with backoff, the status
# location.

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
our $FakePort = ($ENV{TEST_NGINX_PORT} // 1984) + 7;
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

sub available {
    my $s = shift;
    my ($st) = MobilityUcwa::ucwa($s, POST => '/me/makeMeAvailable',
        body => '{"SignInAs":"Online","SupportedModalities":["Messaging"]}');
    Test::More::is($st, 204, 'makeMeAvailable');
    my $p = MobilityUcwa::pget_start($s, $s->{events});
    my (undef, undef, $b) = MobilityUcwa::pget_finish($p, 8);
    my $j = MobilityUcwa::decode($b // '');
    $s->{events} = $j->{_links}{next}{href} if $j && $j->{_links}{next};
}

# bob registers the target, makes himself available and lets his P-GET
# go (his app is "in the background"); alice sends him a message
sub invite_bob {
    my ($reg, $text) = @_;
    my $A = MobilityUcwa::session('alice');
    my $B = MobilityUcwa::session('bob');
    my ($st, undef, $b) = MobilityUcwa::ucwa($B, PUT => '/pushRegistration',
                                            body => encode_json($reg));
    Test::More::ok($st == 201 || $st == 200 || $st == 204,
                   "registration stored ($st)") or Test::More::diag($b);
    main::available($B);
    my $data = $text // 'Hi Bob, the secret is 42';
    $data =~ s/ /+/g;
    ($st) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
        body => encode_json({ to => 'sip:bob@contoso.com',
            operationId => 'op-' . int(rand(1e9)), subject => 'Status',
            _links => { message => {
                href => "data:text/plain;charset=utf-8,$data" } } }));
    Test::More::is($st, 201, 'alice invites bob');
    return ($A, $B);
}

sub hdr { my ($r, $n) = @_; return $r->{headers}{$n} // '' }

sub body_json {
    my $r = shift;
    require MIME::Base64;
    return decode_json(MIME::Base64::decode_base64($r->{body}));
}

run_tests();

__DATA__

=== TEST 1: APNs: the provider token verifies, the headers and the payload are Apple's, no message text without previews
--- init
my $token = ('a1' x 31) . '0001';
main::invite_bob({ provider => 'apns', deviceToken => $token,
                   apnsTopic => 'com.contoso.mobility',
                   apnsEnvironment => 'production',
                   events => ['im', 'message'], previews => JSON::PP::false });
my @r = main::requests(qr{^/3/device/$token$}, 1);
Test::More::is(scalar @r, 1, 'one request to APNs');
my $r = $r[0];
Test::More::is($r->{proto}, 'h2', 'over HTTP/2');
Test::More::is($r->{method}, 'POST', 'POST');
my ($jwt) = main::hdr($r, 'authorization') =~ /^bearer (\S+)$/;
Test::More::ok($jwt, 'authorization: bearer <JWT>');
my $v = JSON::PP::decode_json(main::sh("$main::Py $main::Check jws $jwt $main::Dir/apns.p8"));
Test::More::is($v->{header}{alg}, 'ES256', 'ES256');
Test::More::is($v->{header}{kid}, 'KEY1234567', 'kid');
Test::More::is($v->{claims}{iss}, 'TEAM123456', 'iss');
Test::More::ok(abs($v->{claims}{iat} - time) < 120, 'iat is now');
Test::More::is(main::hdr($r, 'apns-topic'), 'com.contoso.mobility', 'apns-topic');
Test::More::is(main::hdr($r, 'apns-push-type'), 'alert', 'apns-push-type');
Test::More::is(main::hdr($r, 'apns-priority'), '10', 'apns-priority');
Test::More::ok(main::hdr($r, 'apns-expiration') > time, 'apns-expiration ahead');
Test::More::like(main::hdr($r, 'apns-id'), qr/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/, 'apns-id is a UUID');
Test::More::ok(main::hdr($r, 'apns-collapse-id') ne '', 'apns-collapse-id');
my $p = main::body_json($r);
Test::More::is($p->{aps}{alert}{title}, 'Alice Smith', 'title: the sender');
Test::More::is($p->{aps}{alert}{body}, 'New instant message', 'no message text');
Test::More::is($p->{aps}{sound}, 'default', 'sound');
Test::More::like($p->{aps}{badge}, qr/^\d+$/, 'badge');
Test::More::is($p->{type}, 'im', 'type');
Test::More::unlike(JSON::PP::encode_json($p), qr/secret/, 'the text is not in the payload');
my $s;
for (1 .. 50) { $s = main::status(); last if $s->{providers}{apns}{sent} >= 1; Time::HiRes::sleep(0.1) }
Test::More::is($s->{providers}{apns}{sent}, 1, 'status: one sent');
Test::More::is($s->{queue}, 0, 'status: the queue is empty');
--- response_body_like: "apns":\{"sent":1,
--- no_error_log
[alert]



=== TEST 2: APNs 410 Unregistered: the registration is invalidated, nothing more is sent to it
--- init
my $token = ('b2' x 31) . 'dead';
main::invite_bob({ provider => 'apns', deviceToken => $token,
                   apnsTopic => 'com.contoso.mobility' });
my @r = main::requests(qr{^/3/device/$token$}, 1);
Test::More::is(scalar @r, 1, 'sent once');
my $s;
for (1 .. 50) { $s = main::status(); last if $s->{providers}{apns}{invalidated} >= 1; Time::HiRes::sleep(0.1) }
Test::More::is($s->{providers}{apns}{invalidated}, 1, 'status: invalidated');
my $B = MobilityUcwa::session('bob');
main::available($B);
my $A = MobilityUcwa::session('alice');
MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:bob@contoso.com","operationId":"op-x"}');
Time::HiRes::sleep(1.5);
@r = main::requests(qr{^/3/device/$token$}, 2, 0);
Test::More::is(scalar @r, 1, 'nothing more to a dead token');
--- response_body_like: "invalidated":1
--- error_log
registration invalidated



=== TEST 3: a 503 twice, then 200: retried with backoff, sent once accepted
--- init
my $token = ('c3' x 31) . 'fade';
main::invite_bob({ provider => 'apns', deviceToken => $token,
                   apnsTopic => 'com.contoso.mobility' });
my @r = main::requests(qr{^/3/device/$token$}, 3, 15);
Test::More::is(scalar @r, 3, 'three attempts');
Test::More::is(join(',', map { $_->{status} } @r), '503,503,200', 'answers');
Test::More::ok($r[1]{time} - $r[0]{time} >= 0.45, 'first backoff at least half a second');
Test::More::ok($r[2]{time} - $r[1]{time} >= 0.95, 'the backoff grows');
Test::More::is(main::hdr($r[0], 'apns-id'), main::hdr($r[2], 'apns-id'), 'one apns-id for every attempt');
my $s;
for (1 .. 50) { $s = main::status(); last if $s->{providers}{apns}{sent} >= 2; Time::HiRes::sleep(0.1) }
Test::More::is($s->{providers}{apns}{retried}, 2, 'status: two retries');
Test::More::is($s->{queue}, 0, 'status: the queue is empty');
--- response_body_like: "retried":2



=== TEST 4: FCM HTTP v1: the service account's assertion verifies, the access token is used, the message is Google's
--- init
my $token = 'fcm-token-' . ('x' x 40);
main::invite_bob({ provider => 'fcm', registrationToken => $token });
my @t = main::requests(qr{^/token$}, 1);
Test::More::is(scalar @t, 1, 'one access token request');
my $form = MIME::Base64::decode_base64($t[0]{body});
Test::More::like($form, qr{^grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=}, 'the JWT bearer grant');
my ($jwt) = $form =~ /assertion=([^&]+)/;
my $v = JSON::PP::decode_json(main::sh("$main::Py $main::Check jws $jwt $main::Dir/fcm.pem"));
Test::More::is($v->{header}{alg}, 'RS256', 'RS256');
Test::More::is($v->{claims}{iss}, 'push@contoso-mobility.iam.gserviceaccount.com', 'iss');
Test::More::is($v->{claims}{scope}, 'https://www.googleapis.com/auth/firebase.messaging', 'scope');
Test::More::is($v->{claims}{aud}, "https://127.0.0.1:$main::FakePort/token", 'aud');
Test::More::is($v->{claims}{exp} - $v->{claims}{iat}, 3600, 'an hour');
my @r = main::requests(qr{^/v1/projects/contoso-mobility/messages:send$}, 1);
Test::More::is(scalar @r, 1, 'one message');
Test::More::is(main::hdr($r[0], 'authorization'), 'Bearer ya29.fake-1', 'the access token');
my $m = main::body_json($r[0])->{message};
Test::More::is($m->{token}, $token, 'token');
Test::More::is($m->{notification}{title}, 'Alice Smith', 'title');
Test::More::is($m->{data}{type}, 'im', 'data.type');
Test::More::like($m->{data}{badge}, qr/^\d+$/, 'data values are strings');
Test::More::is($m->{android}{priority}, 'HIGH', 'android priority');
Test::More::like($m->{android}{ttl}, qr/^\d+s$/, 'android ttl');
--- response_body_like: "fcm":\{"sent":1,



=== TEST 5: Web Push: the body decrypts (RFC 8291) with the subscription's keys, VAPID verifies, TTL/Urgency/Topic
--- init
my $k = JSON::PP::decode_json(main::sh("$main::Py $main::Check ua-keys"));
open my $f, '>', "$main::Dir/ua.pem"; print $f $k->{private}; close $f;
my $ep = "https://127.0.0.1:$main::FakePort/wp/sub-" . int(rand(1e9));
main::invite_bob({ provider => 'webpush', endpoint => $ep,
                   keys => { p256dh => $k->{p256dh}, auth => $k->{auth} } });
my ($path) = $ep =~ m{(/wp/.*)$};
my @r = main::requests(qr{^\Q$path\E$}, 1);
Test::More::is(scalar @r, 1, 'one request to the push service');
my $r = $r[0];
Test::More::is(main::hdr($r, 'content-encoding'), 'aes128gcm', 'aes128gcm');
Test::More::like(main::hdr($r, 'ttl'), qr/^\d+$/, 'TTL');
Test::More::is(main::hdr($r, 'urgency'), 'high', 'Urgency');
Test::More::like(main::hdr($r, 'topic'), qr/^[A-Za-z0-9_-]{1,32}$/, 'Topic');
my $plain = main::sh("$main::Py $main::Check decrypt $r->{body} $main::Dir/ua.pem $k->{auth}");
my $p = JSON::PP::decode_json($plain);
Test::More::is($p->{title}, 'Alice Smith', 'decrypted: title');
Test::More::is($p->{type}, 'im', 'decrypted: type');
my ($t, $key) = main::hdr($r, 'authorization') =~ /^vapid t=([^,]+), k=(\S+)$/;
Test::More::ok($t, 'vapid t=..., k=...');
Test::More::is($key, main::sh("$main::Py $main::Check pub $main::Dir/vapid.pem") =~ s/\s+$//r, 'k is our VAPID public key');
my $v = JSON::PP::decode_json(main::sh("$main::Py $main::Check jws $t $main::Dir/vapid.pem"));
Test::More::is($v->{claims}{aud}, "https://127.0.0.1:$main::FakePort", 'aud: the origin');
Test::More::is($v->{claims}{sub}, 'mailto:ops@contoso.com', 'sub');
Test::More::ok($v->{claims}{exp} > time && $v->{claims}{exp} <= time + 86400, 'exp within 24 h');
--- response_body_like: "webpush":\{"sent":1,



=== TEST 6: previews allowed by the registration: the message text is in the notification
--- http_config eval
main::ucwa_http_config(mobility_ucwa_pget_timeout => '30s', mobility_push_grace => '0s', mobility_push_previews => 'on')
. "mobility_push_apns key=$main::Dir/apns.p8 key_id=KEY1234567 team_id=TEAM123456 production=https://127.0.0.1:$main::FakePort sandbox=https://127.0.0.1:$main::FakePort;\n"
. "mobility_push_trusted_certificate $main::Dir/ca.pem;\n"
--- init
my $token = ('d4' x 31) . '0004';
main::invite_bob({ provider => 'apns', deviceToken => $token,
                   apnsTopic => 'com.contoso.mobility',
                   apnsEnvironment => 'sandbox', previews => JSON::PP::true },
                 'See you at 10');
my @r = main::requests(qr{^/3/device/$token$}, 1);
Test::More::is(scalar @r, 1, 'sent');
Test::More::is(main::body_json($r[0])->{aps}{alert}{body}, 'See you at 10', 'the preview');
--- response_body_like: "apns":\{"sent":[1-9]
