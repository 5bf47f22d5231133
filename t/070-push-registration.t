# The pushRegistration extension resource (docs/push.md): validation of
# every property with its message, JSON and XML, GET / PUT / DELETE,
# replace, isolation between users, survival of the application, the
# EnablePushNotifications policy, the tombstone rule.

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
ctl('New-CsMobilityPolicy', '-Identity', 'tag:nopush',
    '-EnablePushNotifications', 'False');
ctl('Grant-CsMobilityPolicy', '-Identity', 'carol@contoso.com',
    '-PolicyName', 'nopush');

ucwa_blocks($Store, { max_body => '16k' });

our $Apns = 'ab' x 32;
our $P256 = 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4';
our $Auth = 'BTBZMqHH6r4Tts7J_aSIgg';

sub put_reg {
    my ($s, $body, %o) = @_;
    return MobilityUcwa::ucwa($s, PUT => '/pushRegistration', body => $body, %o);
}

# (status, subcode, parameter, message) of a refused PUT
sub refused {
    my ($s, $body) = @_;
    my ($st, undef, $b) = main::put_reg($s, $body);
    my $j = MobilityUcwa::decode($b) // {};
    return ($st, $j->{subcode} // '', ($j->{parameters} // [])->[0] // '',
            $j->{message} // '');
}

run_tests();

__DATA__

=== TEST 1: every validation error names its property with a clear message
--- init
my $A = MobilityUcwa::session('alice', endpoint => 'ep-alice-1');
my @cases = (
    ['{}', 'provider', qr/Missing provider/],
    ['{"provider":"mpns"}', 'provider', qr/apns, fcm or webpush/],
    ['{"provider":5}', 'provider', qr/must be a string/],
    ['{"provider":"apns","apnsTopic":"com.contoso.lync"}', 'deviceToken', qr/Missing deviceToken/],
    ['{"provider":"apns","deviceToken":"abcd","apnsTopic":"com.contoso.lync"}', 'deviceToken', qr/64 to 200 hexadecimal/],
    ['{"provider":"apns","deviceToken":"' . ('zz' x 32) . '","apnsTopic":"com.contoso.lync"}', 'deviceToken', qr/must be hexadecimal/],
    ['{"provider":"apns","deviceToken":"' . ('a' x 202) . '","apnsTopic":"com.contoso.lync"}', 'deviceToken', qr/64 to 200/],
    ['{"provider":"apns","deviceToken":"' . $main::Apns . '"}', 'apnsTopic', qr/Missing apnsTopic/],
    ['{"provider":"apns","deviceToken":"' . $main::Apns . '","apnsTopic":"com..contoso"}', 'apnsTopic', qr/bundle id/],
    ['{"provider":"apns","deviceToken":"' . $main::Apns . '","apnsTopic":"com.contoso","apnsEnvironment":"dev"}', 'apnsEnvironment', qr/production or sandbox/],
    ['{"provider":"fcm"}', 'registrationToken', qr/Missing registrationToken/],
    ['{"provider":"fcm","registrationToken":"has space"}', 'registrationToken', qr/without spaces/],
    ['{"provider":"fcm","registrationToken":"' . ('x' x 4097) . '"}', 'registrationToken', qr/at most 4096/],
    ['{"provider":"webpush","p256dh":"' . $main::P256 . '","auth":"' . $main::Auth . '"}', 'endpoint', qr/Missing endpoint/],
    ['{"provider":"webpush","endpoint":"http://push.example.com/x","p256dh":"' . $main::P256 . '","auth":"' . $main::Auth . '"}', 'endpoint', qr/https:\/\//],
    ['{"provider":"webpush","endpoint":"ftp://push.example.com/x","p256dh":"' . $main::P256 . '","auth":"' . $main::Auth . '"}', 'endpoint', qr/https:\/\//],
    ['{"provider":"webpush","endpoint":"https://push.example.com/' . ('a' x 2048) . '","p256dh":"' . $main::P256 . '","auth":"' . $main::Auth . '"}', 'endpoint', qr/2048/],
    ['{"provider":"webpush","endpoint":"https://push.example.com/x","auth":"' . $main::Auth . '"}', 'p256dh', qr/Missing p256dh/],
    ['{"provider":"webpush","endpoint":"https://push.example.com/x","p256dh":"not*base64","auth":"' . $main::Auth . '"}', 'p256dh', qr/65 bytes/],
    ['{"provider":"webpush","endpoint":"https://push.example.com/x","p256dh":"' . substr($main::P256, 0, 40) . '","auth":"' . $main::Auth . '"}', 'p256dh', qr/65 bytes/],
    ['{"provider":"webpush","endpoint":"https://push.example.com/x","p256dh":"A' . substr($main::P256, 1) . '","auth":"' . $main::Auth . '"}', 'p256dh', qr/uncompressed/],
    ['{"provider":"webpush","endpoint":"https://push.example.com/x","p256dh":"' . $main::P256 . '"}', 'auth', qr/Missing auth/],
    ['{"provider":"webpush","endpoint":"https://push.example.com/x","p256dh":"' . $main::P256 . '","auth":"AAAA"}', 'auth', qr/16 bytes/],
    ['{"provider":"fcm","registrationToken":"tok","events":["im","fax"]}', 'events', qr/im, message, missed/],
    ['{"provider":"fcm","registrationToken":"tok","events":[]}', 'events', qr/one or more/],
    ['{"provider":"fcm","registrationToken":"tok","previews":"maybe"}', 'previews', qr/true or false/],
);
for my $c (@cases) {
    my ($st, $sub, $param, $msg) = main::refused($A, $c->[0]);
    my $name = substr($c->[0], 0, 70);
    Test::More::is("$st $sub $param", "400 ParameterValidationFailure $c->[1]", "refused: $name");
    Test::More::like($msg, $c->[2], "message: $name");
}
# nothing was stored
my ($st) = MobilityUcwa::ucwa($A, GET => '/pushRegistration');
Test::More::is($st, 404, 'nothing registered after refusals');
MobilityUcwa::request($block, GET => "$A->{app}/pushRegistration", token => $A->{token});
--- error_code: 404
--- no_error_log
[alert]



=== TEST 2: GET / PUT / DELETE, replace, JSON and XML, the application link
--- init
my $A = MobilityUcwa::session('alice', endpoint => 'ep-alice-2');
Test::More::is($A->{json}{_links}{pushRegistration}{href}, "$A->{app}/pushRegistration", 'application links pushRegistration');
my ($st, $h, $b) = main::put_reg($A, '{"Provider":"APNS","DeviceToken":"' . uc($main::Apns) . '","apnsTopic":"com.contoso.Lync","apnsEnvironment":"sandbox","events":["im","message"],"previews":true}');
Test::More::is($st, 201, 'created: 201');
Test::More::is($h->{location}[0], "$A->{app}/pushRegistration", 'Location');
my $j = MobilityUcwa::decode($b);
Test::More::is($j->{deviceToken}, $main::Apns, 'token stored in lower case');
Test::More::is("$j->{provider} $j->{apnsTopic} $j->{apnsEnvironment}", 'apns com.contoso.Lync sandbox', 'apns fields');
Test::More::is(join(',', @{ $j->{events} }), 'im,message', 'events');
Test::More::ok($j->{previews}, 'previews');
Test::More::is($j->{_links}{self}{href}, "$A->{app}/pushRegistration", 'self');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => '/pushRegistration');
Test::More::is($st, 200, 'GET 200');
Test::More::is(MobilityUcwa::decode($b)->{deviceToken}, $main::Apns, 'GET token');
# replace with Web Push, the PushSubscription JSON form
($st, undef, $b) = main::put_reg($A, '{"provider":"webpush","endpoint":"https://push.example.com/send/abc","keys":{"p256dh":"' . $main::P256 . '","auth":"' . $main::Auth . '"}}');
Test::More::is($st, 200, 'replaced: 200');
$j = MobilityUcwa::decode($b);
Test::More::is("$j->{provider} $j->{endpoint}", 'webpush https://push.example.com/send/abc', 'webpush');
Test::More::ok(!exists $j->{auth}, 'the auth secret is not echoed');
Test::More::is(scalar @{ $j->{events} }, 6, 'all events by default');
Test::More::ok(!$j->{previews}, 'no previews by default');
# local fakes over http
($st) = main::put_reg($A, '{"provider":"webpush","endpoint":"http://127.0.0.1:9/wp","p256dh":"' . $main::P256 . '","auth":"' . $main::Auth . '"}');
Test::More::is($st, 200, 'http:// to 127.0.0.1 allowed');
# XML in and out
($st, undef, $b) = main::put_reg($A, '<input xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa"><property name="provider">fcm</property><property name="registrationToken">fcm:tok-123</property><propertyList name="events"><item>missed</item><item>voicemail</item></propertyList></input>',
    type => 'application/vnd.microsoft.com.ucwa+xml', accept => 'application/vnd.microsoft.com.ucwa+xml');
Test::More::is($st, 200, 'XML PUT: 200');
Test::More::like($b, qr{<property name="registrationToken">fcm:tok-123</property>}, 'XML representation');
Test::More::like($b, qr{rel="pushRegistration"}, 'XML rel');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => '/pushRegistration');
Test::More::is(join(',', @{ MobilityUcwa::decode($b)->{events} }), 'missed,voicemail', 'XML events');
# DELETE
($st) = MobilityUcwa::ucwa($A, DELETE => '/pushRegistration');
Test::More::is($st, 204, 'DELETE 204');
($st) = MobilityUcwa::ucwa($A, DELETE => '/pushRegistration');
Test::More::is($st, 404, 'DELETE again 404');
MobilityUcwa::request($block, GET => "$A->{app}/pushRegistration", token => $A->{token});
--- error_code: 404
--- response_body_like: "code":"NotFound"
--- no_error_log
[alert]



=== TEST 3: isolation; the registration survives the application and a new application of the endpoint sees it
--- init
my $A = MobilityUcwa::session('alice', endpoint => 'ep-shared');
my $B = MobilityUcwa::session('bob', endpoint => 'ep-shared');
my ($st) = main::put_reg($A, '{"provider":"fcm","registrationToken":"alice-token"}');
Test::More::is($st, 201, 'alice registers');
($st) = MobilityUcwa::ucwa($B, GET => '/pushRegistration');
Test::More::is($st, 404, 'bob on the same endpointId does not see it');
($st) = MobilityUcwa::ucwa($B, GET => "$A->{app}/pushRegistration");
Test::More::is($st, 404, "bob cannot reach alice's application");
($st) = MobilityUcwa::call(PUT => "$A->{app}/pushRegistration", token => $B->{token}, body => '{"provider":"fcm","registrationToken":"evil"}');
Test::More::is($st, 404, "bob cannot write alice's registration");
($st) = MobilityUcwa::ucwa($A, DELETE => '');
Test::More::is($st, 204, 'application deleted');
my $A2 = MobilityUcwa::session('alice', endpoint => 'ep-shared');
my ($st2, undef, $b) = MobilityUcwa::ucwa($A2, GET => '/pushRegistration');
Test::More::is($st2, 200, 'a new application of the endpoint sees it');
Test::More::is(MobilityUcwa::decode($b)->{registrationToken}, 'alice-token', 'same target');
my $out = `'$ENV{MOBILITYCTL}' --store '$main::Store' --json push-target list alice\@contoso.com`;
my $l = MobilityUcwa::decode($out);
Test::More::is(scalar @$l, 1, 'CLI lists one target');
Test::More::is($l->[0]{token}, 'alice-to...(11)', 'CLI masks the token');
Test::More::is($l->[0]{endpointId}, 'ep-shared', 'CLI endpoint');
MobilityUcwa::request($block, GET => "$A2->{app}/pushRegistration", token => $A2->{token});
--- error_code: 200
--- response_body_like: "registrationToken":"alice-token"
--- no_error_log
[alert]



=== TEST 4: EnablePushNotifications False: 403
--- init
my $C = MobilityUcwa::session('carol', endpoint => 'ep-carol');
MobilityUcwa::request($block, PUT => "$C->{app}/pushRegistration", token => $C->{token}, body => '{"provider":"fcm","registrationToken":"carol-token"}');
--- error_code: 403
--- response_body_like: "subcode":"PushNotificationsDisabled"
--- no_error_log
[alert]



=== TEST 5: a tombstone: the same token again only after the invalidation time, another token at once
--- init
my $D = MobilityUcwa::session('dave', endpoint => 'ep-dave');
my ($st) = main::put_reg($D, '{"provider":"fcm","registrationToken":"dave-old"}');
Test::More::is($st, 201, 'registered');
my $future = int(Time::HiRes::time() * 1000) + 3600_000;
Mobility::ctl('push-target', 'invalidate', 'dave@contoso.com', 'ep-dave', '--reason', 'Unregistered', '--at', $future);
($st) = MobilityUcwa::ucwa($D, GET => '/pushRegistration');
Test::More::is($st, 404, 'a tombstone is not a registration');
my $b;
($st, undef, $b) = main::put_reg($D, '{"provider":"fcm","registrationToken":"dave-old"}');
Test::More::is($st, 409, 'the invalidated token before the invalidation time: 409');
Test::More::like($b, qr/"subcode":"PushTokenInvalidated".*Unregistered/, 'subcode and reason');
my $past = int(Time::HiRes::time() * 1000) - 1000;
Mobility::ctl('push-target', 'invalidate', 'dave@contoso.com', 'ep-dave', '--at', $past);
($st) = main::put_reg($D, '{"provider":"fcm","registrationToken":"dave-old"}');
Test::More::is($st, 201, 'the same token after the invalidation time: 201 (a new registration)');
Mobility::ctl('push-target', 'invalidate', 'dave@contoso.com', 'ep-dave', '--at', $future);
MobilityUcwa::request($block, PUT => "$D->{app}/pushRegistration", token => $D->{token}, body => '{"provider":"fcm","registrationToken":"dave-new"}');
--- error_code: 201
--- response_body_like: "registrationToken":"dave-new"
--- no_error_log
[alert]
