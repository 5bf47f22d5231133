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
use MobilityPush;

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();
push_setup();

# a service account without its key, for the configuration error test
{
    open my $f, '>', "$MobilityPush::Dir/bad.json" or die;
    print $f '{"project_id":"p","client_email":"a@b",'
             . '"token_uri":"https://127.0.0.1/token"}';
}

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

run_tests();

__DATA__

=== TEST 1: APNs: the provider token verifies, the headers and the payload are Apple's, no message text without previews
--- init
my $token = ('a1' x 31) . '0001';
MobilityPush::invite_bob({ provider => 'apns', deviceToken => $token,
                   apnsTopic => 'com.contoso.mobility',
                   apnsEnvironment => 'production',
                   events => ['im', 'message'], previews => JSON::PP::false });
my @r = MobilityPush::requests(qr{^/3/device/$token$}, 1);
Test::More::is(scalar @r, 1, 'one request to APNs');
my $r = $r[0];
Test::More::is($r->{proto}, 'h2', 'over HTTP/2');
Test::More::is($r->{method}, 'POST', 'POST');
my ($jwt) = MobilityPush::hdr($r, 'authorization') =~ /^bearer (\S+)$/;
Test::More::ok($jwt, 'authorization: bearer <JWT>');
my $v = JSON::PP::decode_json(MobilityPush::check("jws $jwt $MobilityPush::Dir/apns.p8"));
Test::More::is($v->{header}{alg}, 'ES256', 'ES256');
Test::More::is($v->{header}{kid}, 'KEY1234567', 'kid');
Test::More::is($v->{claims}{iss}, 'TEAM123456', 'iss');
Test::More::ok(abs($v->{claims}{iat} - time) < 120, 'iat is now');
Test::More::is(MobilityPush::hdr($r, 'apns-topic'), 'com.contoso.mobility', 'apns-topic');
Test::More::is(MobilityPush::hdr($r, 'apns-push-type'), 'alert', 'apns-push-type');
Test::More::is(MobilityPush::hdr($r, 'apns-priority'), '10', 'apns-priority');
Test::More::ok(MobilityPush::hdr($r, 'apns-expiration') > time, 'apns-expiration ahead');
Test::More::like(MobilityPush::hdr($r, 'apns-id'), qr/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/, 'apns-id is a UUID');
Test::More::ok(MobilityPush::hdr($r, 'apns-collapse-id') ne '', 'apns-collapse-id');
my $p = MobilityPush::body_json($r);
Test::More::is($p->{aps}{alert}{title}, 'Alice Smith', 'title: the sender');
Test::More::is($p->{aps}{alert}{body}, 'New instant message', 'no message text');
Test::More::is($p->{aps}{sound}, 'default', 'sound');
Test::More::like($p->{aps}{badge}, qr/^\d+$/, 'badge');
Test::More::is($p->{type}, 'im', 'type');
Test::More::unlike(JSON::PP::encode_json($p), qr/secret/, 'the text is not in the payload');
my $s = MobilityPush::status(sub { $_[0]{providers}{apns}{sent} >= 1 });
Test::More::is($s->{providers}{apns}{sent}, 1, 'status: one sent');
Test::More::is($s->{queue}, 0, 'status: the queue is empty');
--- response_body_like: "apns":\{"sent":1,
--- no_error_log
[alert]



=== TEST 2: APNs 410 Unregistered: the registration is invalidated, nothing more is sent to it
--- init
my $token = ('b2' x 31) . 'dead';
MobilityPush::invite_bob({ provider => 'apns', deviceToken => $token,
                   apnsTopic => 'com.contoso.mobility' });
my @r = MobilityPush::requests(qr{^/3/device/$token$}, 1);
Test::More::is(scalar @r, 1, 'sent once');
my $s = MobilityPush::status(sub { $_[0]{providers}{apns}{invalidated} >= 1 });
Test::More::is($s->{providers}{apns}{invalidated}, 1, 'status: invalidated');
my $B = MobilityUcwa::session('bob');
MobilityPush::available($B);
my $A = MobilityUcwa::session('alice');
MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:bob@contoso.com","operationId":"op-x"}');
Time::HiRes::sleep(1.5);
@r = MobilityPush::requests(qr{^/3/device/$token$}, 2, 0);
Test::More::is(scalar @r, 1, 'nothing more to a dead token');
--- response_body_like: "invalidated":1
--- error_log
registration invalidated



=== TEST 3: a 503 twice, then 200: retried with backoff, sent once accepted
--- init
my $token = ('c3' x 31) . 'fade';
MobilityPush::invite_bob({ provider => 'apns', deviceToken => $token,
                   apnsTopic => 'com.contoso.mobility' });
my @r = MobilityPush::requests(qr{^/3/device/$token$}, 3, 15);
Test::More::is(scalar @r, 3, 'three attempts');
Test::More::is(join(',', map { $_->{status} } @r), '503,503,200', 'answers');
Test::More::ok($r[1]{time} - $r[0]{time} >= 0.45, 'first backoff at least half a second');
Test::More::ok($r[2]{time} - $r[1]{time} >= 0.95, 'the backoff grows');
Test::More::is(MobilityPush::hdr($r[0], 'apns-id'), MobilityPush::hdr($r[2], 'apns-id'), 'one apns-id for every attempt');
my $s = MobilityPush::status(sub { $_[0]{providers}{apns}{retried} >= 2 && $_[0]{queue} == 0 });
Test::More::is($s->{providers}{apns}{retried}, 2, 'status: two retries');
Test::More::is($s->{queue}, 0, 'status: the queue is empty');
--- response_body_like: "retried":2



=== TEST 4: FCM HTTP v1: the service account's assertion verifies, the access token is used, the message is Google's
--- init
my $token = 'fcm-token-' . ('x' x 40);
MobilityPush::invite_bob({ provider => 'fcm', registrationToken => $token });
my @t = MobilityPush::requests(qr{^/token$}, 1);
Test::More::is(scalar @t, 1, 'one access token request');
my $form = MIME::Base64::decode_base64($t[0]{body});
Test::More::like($form, qr{^grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=}, 'the JWT bearer grant');
my ($jwt) = $form =~ /assertion=([^&]+)/;
my $v = JSON::PP::decode_json(MobilityPush::check("jws $jwt $MobilityPush::Dir/fcm.pem"));
Test::More::is($v->{header}{alg}, 'RS256', 'RS256');
Test::More::is($v->{claims}{iss}, 'push@contoso-mobility.iam.gserviceaccount.com', 'iss');
Test::More::is($v->{claims}{scope}, 'https://www.googleapis.com/auth/firebase.messaging', 'scope');
Test::More::is($v->{claims}{aud}, "https://127.0.0.1:$MobilityPush::Port/token", 'aud');
Test::More::is($v->{claims}{exp} - $v->{claims}{iat}, 3600, 'an hour');
my @r = MobilityPush::requests(qr{^/v1/projects/contoso-mobility/messages:send$}, 1);
Test::More::is(scalar @r, 1, 'one message');
Test::More::is(MobilityPush::hdr($r[0], 'authorization'), 'Bearer ya29.fake-1', 'the access token');
my $m = MobilityPush::body_json($r[0])->{message};
Test::More::is($m->{token}, $token, 'token');
Test::More::is($m->{notification}{title}, 'Alice Smith', 'title');
Test::More::is($m->{data}{type}, 'im', 'data.type');
Test::More::like($m->{data}{badge}, qr/^\d+$/, 'data values are strings');
Test::More::is($m->{android}{priority}, 'HIGH', 'android priority');
Test::More::like($m->{android}{ttl}, qr/^\d+s$/, 'android ttl');
--- response_body_like: "fcm":\{"sent":1,



=== TEST 5: Web Push: the body decrypts (RFC 8291) with the subscription's keys, VAPID verifies, TTL/Urgency/Topic
--- init
my $k = JSON::PP::decode_json(MobilityPush::check("ua-keys"));
open my $f, '>', "$MobilityPush::Dir/ua.pem"; print $f $k->{private}; close $f;
my $ep = "https://127.0.0.1:$MobilityPush::Port/wp/sub-" . int(rand(1e9));
MobilityPush::invite_bob({ provider => 'webpush', endpoint => $ep,
                   keys => { p256dh => $k->{p256dh}, auth => $k->{auth} } });
my ($path) = $ep =~ m{(/wp/.*)$};
my @r = MobilityPush::requests(qr{^\Q$path\E$}, 1);
Test::More::is(scalar @r, 1, 'one request to the push service');
my $r = $r[0];
Test::More::is(MobilityPush::hdr($r, 'content-encoding'), 'aes128gcm', 'aes128gcm');
Test::More::like(MobilityPush::hdr($r, 'ttl'), qr/^\d+$/, 'TTL');
Test::More::is(MobilityPush::hdr($r, 'urgency'), 'high', 'Urgency');
Test::More::like(MobilityPush::hdr($r, 'topic'), qr/^[A-Za-z0-9_-]{1,32}$/, 'Topic');
my $plain = MobilityPush::check("decrypt $r->{body} $MobilityPush::Dir/ua.pem $k->{auth}");
my $p = JSON::PP::decode_json($plain);
Test::More::is($p->{title}, 'Alice Smith', 'decrypted: title');
Test::More::is($p->{type}, 'im', 'decrypted: type');
my ($t, $key) = MobilityPush::hdr($r, 'authorization') =~ /^vapid t=([^,]+), k=(\S+)$/;
Test::More::ok($t, 'vapid t=..., k=...');
Test::More::is($key, MobilityPush::check("pub $MobilityPush::Dir/vapid.pem") =~ s/\s+$//r, 'k is our VAPID public key');
my $v = JSON::PP::decode_json(MobilityPush::check("jws $t $MobilityPush::Dir/vapid.pem"));
Test::More::is($v->{claims}{aud}, "https://127.0.0.1:$MobilityPush::Port", 'aud: the origin');
Test::More::is($v->{claims}{sub}, 'mailto:ops@contoso.com', 'sub');
Test::More::ok($v->{claims}{exp} > time && $v->{claims}{exp} <= time + 86400, 'exp within 24 h');
--- response_body_like: "webpush":\{"sent":1,



=== TEST 6: previews allowed by the registration: the message text is in the notification
--- http_config eval
MobilityPush::push_http_config(mobility_push_previews => 'on', providers => 'apns')
--- init
my $token = ('d4' x 31) . '0004';
MobilityPush::invite_bob({ provider => 'apns', deviceToken => $token,
                   apnsTopic => 'com.contoso.mobility',
                   apnsEnvironment => 'sandbox', previews => JSON::PP::true },
                 'See you at 10');
my @r = MobilityPush::requests(qr{^/3/device/$token$}, 1);
Test::More::is(scalar @r, 1, 'sent');
Test::More::is(MobilityPush::body_json($r[0])->{aps}{alert}{body}, 'See you at 10', 'the preview');
--- response_body_like: "apns":\{"sent":[1-9]



=== TEST 7: a missed conversation (carol has no application left) is pushed with the unread count as badge
--- init
my $token = ('e5' x 31) . '0005';
my $C = MobilityUcwa::session('carol');
my ($st) = MobilityUcwa::ucwa($C, PUT => '/pushRegistration',
    body => JSON::PP::encode_json({ provider => 'apns', deviceToken => $token,
        apnsTopic => 'com.contoso.mobility', events => ['missed'] }));
Test::More::is($st, 201, 'registered');
($st) = MobilityUcwa::call('DELETE', $C->{app}, token => $C->{token});
Test::More::is($st, 204, 'the application goes; the registration stays');
my $A = MobilityUcwa::session('alice');
($st) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:carol@contoso.com","operationId":"op-missed","subject":"Lunch"}');
Test::More::is($st, 201, 'alice invites carol');
my @r = MobilityPush::requests(qr{^/3/device/$token$}, 1);
Test::More::is(scalar @r, 1, 'one push');
my $p = MobilityPush::body_json($r[0]);
Test::More::is($p->{type}, 'missed', 'type missed');
Test::More::is($p->{aps}{alert}{body}, 'Missed conversation', 'no text');
Test::More::ok($p->{aps}{badge} >= 1, 'badge: the unread missed conversations');
--- response_body_like: "apns":\{"sent":[1-9]



=== TEST 8: configuration errors name the problem: an APNs key id that is not 10 characters
--- http_config eval
"mobility_push_apns key=$MobilityPush::Dir/apns.p8 key_id=SHORT team_id=TEAM123456;\n"
--- must_die
--- error_log
"mobility_push_apns" needs key=<.p8 file>, key_id=<10 characters> and team_id=<10 characters>



=== TEST 9: a VAPID key that is not P-256 is refused
--- http_config eval
"mobility_push_webpush vapid_key=$MobilityPush::Dir/fcm.pem subject=mailto:ops\@contoso.com;\n"
--- must_die
--- error_log
needs a P-256 vapid_key (mobilityctl vapid generate)



=== TEST 10: an unreadable key file is refused with the reason
--- http_config eval
"mobility_push_apns key=$MobilityPush::Dir/none.p8 key_id=KEY1234567 team_id=TEAM123456;\n"
--- must_die
--- error_log eval
qr/cannot load the private key of ".*none\.p8"/



=== TEST 11: a service account without a private key is refused
--- http_config eval
"mobility_push_fcm service_account=$MobilityPush::Dir/bad.json;\n"
--- must_die
--- error_log eval
qr/the service account ".*bad\.json" has no "private_key"/



=== TEST 12: at most mobility_push_device_rate pushes a minute to one device; the rest wait in the queue
--- http_config eval
MobilityPush::push_http_config(providers => 'apns') . "mobility_push_device_rate 2;\n"
--- init
Mobility::ctl('push-queue', 'purge');    # what the earlier blocks left
my $token = ('a7' x 31) . '0007';
my $D = MobilityUcwa::session('dave', endpoint => 'dave-phone');
my ($st) = MobilityUcwa::ucwa($D, PUT => '/pushRegistration',
    body => JSON::PP::encode_json({ provider => 'apns', deviceToken => $token,
        apnsTopic => 'com.contoso.mobility' }));
Test::More::is($st, 201, 'registered');
Mobility::ctl('push-target', 'test', 'dave@contoso.com', 'dave-phone', '--count', '3');
my @r = MobilityPush::requests(qr{^/3/device/$token$}, 3, 3);
Test::More::is(scalar @r, 2, 'two pushes within the minute, not three');
my $s = MobilityPush::status(sub { $_[0]{queue} == 1 });
Test::More::is($s->{queue}, 1, 'the third waits in the queue');
--- response_body_like: "queue":1,
--- error_log
device rate limit



=== TEST 13: one attempt in flight at a time (mobility_push_concurrency 1): every push of a queue is sent, each once
--- http_config eval
MobilityPush::push_http_config(providers => 'apns') . "mobility_push_concurrency 1;\n"
--- init
Mobility::ctl('push-queue', 'purge');    # what the earlier blocks left
my $token = ('a8' x 31) . '0008';
my $D = MobilityUcwa::session('dave', endpoint => 'dave-tablet');
my ($st) = MobilityUcwa::ucwa($D, PUT => '/pushRegistration',
    body => JSON::PP::encode_json({ provider => 'apns', deviceToken => $token,
        apnsTopic => 'com.contoso.mobility' }));
Test::More::is($st, 201, 'registered');
Mobility::ctl('push-target', 'test', 'dave@contoso.com', 'dave-tablet', '--count', '8');
my @r = MobilityPush::requests(qr{^/3/device/$token$}, 8, 10);
Test::More::is(scalar @r, 8, 'eight pushes sent');
Time::HiRes::sleep(1);
@r = MobilityPush::requests(qr{^/3/device/$token$}, 9, 0);
my %ids = map { (MobilityPush::hdr($_, 'apns-id') => 1) } @r;
Test::More::is(scalar @r, 8, 'none sent twice');
Test::More::is(scalar keys %ids, 8, 'eight distinct apns-ids');
--- response_body_like: "apns":\{"sent":\d+



=== TEST 14: a provider that never answers does not stall the others: the attempt times out and is retried
--- http_config eval
MobilityPush::push_http_config(providers => 'apns') . "mobility_push_timeout 1s;\n"
--- init
Mobility::ctl('push-queue', 'purge');
my $hang = ('a8' x 29) . 'c0ffee08';
my $ok = ('a9' x 31) . '0009';
for my $u (['erin', 'erin-phone', $hang], ['frank', 'frank-phone', $ok]) {
    my $s = MobilityUcwa::session($u->[0], endpoint => $u->[1]);
    my ($st) = MobilityUcwa::ucwa($s, PUT => '/pushRegistration',
        body => JSON::PP::encode_json({ provider => 'apns',
            deviceToken => $u->[2], apnsTopic => 'com.contoso.mobility' }));
    Test::More::is($st, 201, "$u->[0] registered");
}
Mobility::ctl('push-target', 'test', 'erin@contoso.com', 'erin-phone');
Mobility::ctl('push-target', 'test', 'frank@contoso.com', 'frank-phone');
my @r = MobilityPush::requests(qr{^/3/device/$ok$}, 1, 4);
Test::More::is(scalar @r, 1, 'the other push went through');
@r = MobilityPush::requests(qr{^/3/device/$hang$}, 2, 6);
Test::More::ok(@r >= 2, 'the hanging one was retried after its timeout');
--- response_body_like: "retried":[1-9]
--- error_log
timed out
