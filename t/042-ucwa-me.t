# UCWA me: the me resource, makeMeAvailable, reportMyActivity and the
# idle/away decay, presence aggregated over the user's applications and
# published to all of them, note, location, phones, photos (Bearer or
# cookie, ETag), callForwardingSettings and communication (If-Match and
# the PUT guard), policies.

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

=== TEST 1: me before makeMeAvailable
--- init
my $S = MobilityUcwa::session('alice');
MobilityUcwa::request($block, GET => "$S->{app}/me", token => $S->{token});
--- error_code: 200
--- response_body_like eval
qr{^\{"name":"Alice Smith","uri":"sip:alice\@contoso.com","emailAddresses":\["alice\@contoso.com"\],"title":"Engineer","workPhoneNumber":"tel:\+14255550100","endpointUri":"sip:alice\@contoso.com;opaque=user:epid:[a-z0-9-]+;gruu","_links":\{"self":\{"href":"(/ucwa/oauth/v1/applications/[a-z0-9-]+)/me"\},"makeMeAvailable":\{"href":"\1/me/makeMeAvailable"\},"callForwardingSettings":\{"href":"\1/me/callForwardingSettings"\},"phones":\{"href":"\1/me/phones"\},"photo":\{"href":"\1/photos/alice\@contoso.com"\}\},"rel":"me"\}$}
--- no_error_log
[alert]



=== TEST 2: presence, note, location and reportMyActivity need makeMeAvailable (409)
--- init
my $S = MobilityUcwa::session('alice');
for my $r (['GET', '/me/note'], ['GET', '/me/location'],
           ['POST', '/reportMyActivity'], ['POST', '/me/presence']) {
    my ($st, undef, $b) = MobilityUcwa::ucwa($S, $r->[0] => $r->[1],
        ($r->[0] eq 'POST' ? (body => '') : ()));
    Test::More::is($st, 409, "$r->[0] $r->[1]: 409");
    Test::More::like($b, qr/"subcode":"MakeMeAvailableRequired"/, "$r->[1]: subcode");
}
MobilityUcwa::request($block, GET => "$S->{app}/me/presence", token => $S->{token});
--- error_code: 409
--- response_body chomp
{"code":"Conflict","subcode":"MakeMeAvailableRequired","message":"The application must call makeMeAvailable first."}



=== TEST 3: makeMeAvailable (alias path, PascalCase, nulls, query input): 204, then 409 AlreadyExists
--- init
my $S = MobilityUcwa::session('alice');
my ($st) = MobilityUcwa::ucwa($S, POST => '/communication/makeMeAvailable?audioPreference=PhoneAudio',
    body => '{"SignInAs":"Online","SupportedModalities":["Messaging"],"SupportedMessageFormats":null,"phoneNumber":""}');
Test::More::is($st, 204, 'makeMeAvailable');
my (undef, undef, $me) = MobilityUcwa::ucwa($S, GET => '/me');
Test::More::like($me, qr/"presence":\{"href":"[^"]+\/me\/presence"\},"note":\{"href":"[^"]+\/me\/note"\},"location":\{"href":"[^"]+\/me\/location"\},"reportMyActivity":\{"href":"[^"]+\/me\/reportMyActivity"\}/, 'me gained its links');
Test::More::unlike($me, qr/makeMeAvailable/, 'and lost makeMeAvailable');
my (undef, undef, $c) = MobilityUcwa::ucwa($S, GET => '/communication');
Test::More::like($c, qr/"supportedModalities":\["Messaging"\],"supportedMessageFormats":\["Plain"\],"audioPreference":"PhoneAudio"/, 'communication');
MobilityUcwa::request($block, POST => "$S->{app}/me/makeMeAvailable",
                      token => $S->{token}, body => '{}');
--- error_code: 409
--- response_body_like: "subcode":"AlreadyExists"



=== TEST 4: makeMeAvailable: bad values
--- init
my $S = MobilityUcwa::session('alice');
my ($st, undef, $b) = MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable',
                                         body => '{"signInAs":"Sleepy"}');
Test::More::is($st, 400, 'unknown signInAs: 400');
($st) = MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable', body => '{}');
Test::More::is($st, 204, 'nothing was written by the bad request');
$S = MobilityUcwa::session('alice');
MobilityUcwa::request($block, POST => "$S->{app}/me/makeMeAvailable",
    token => $S->{token}, body => '{"supportedModalities":["Messaging","Video"]}');
--- error_code: 403
--- response_body_like: "code":"Forbidden"



=== TEST 5: presence: chosen availability, reset, and bad values
--- init
my $S = MobilityUcwa::session('carol');
MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable', body => '{"signInAs":"Busy"}');
my (undef, undef, $b) = MobilityUcwa::ucwa($S, GET => '/me/presence');
Test::More::like($b, qr/^\{"rel":"presence","availability":"Busy","activity":"Busy"/, 'signed in as Busy');
my ($st) = MobilityUcwa::ucwa($S, POST => '/me/presence', body => '{"availability":"BeRightBack"}');
Test::More::is($st, 204, 'set BeRightBack');
(undef, undef, $b) = MobilityUcwa::ucwa($S, GET => '/me/presence');
Test::More::like($b, qr/"availability":"BeRightBack"/, 'BeRightBack');
($st) = MobilityUcwa::ucwa($S, POST => '/me/presence', body => '{"availability":"Asleep"}');
Test::More::is($st, 400, 'unknown availability: 400');
($st) = MobilityUcwa::ucwa($S, POST => '/me/presence', body => '');
Test::More::is($st, 204, 'empty body: automatic');
MobilityUcwa::request($block, GET => "$S->{app}/me/presence", token => $S->{token});
--- error_code: 200
--- response_body_like: ^\{"rel":"presence","availability":"Online","activity":"Available","_links":\{"self":\{"href":"/ucwa/oauth/v1/applications/[a-z0-9-]+/me/presence"\}\}\}$



=== TEST 6: idle and away decay, aggregated over the user's applications; activity restores
--- http_config eval: MobilityUcwa::ucwa_http_config(mobility_ucwa_inactive_timeout => '1s', mobility_ucwa_away_timeout => '1s')
--- init
my $T = MobilityUcwa::tok('bob@contoso.com', 'Passw0rd!');
my $A = MobilityUcwa::session('bob', token => $T, endpoint => 'decay-a');
my $B = MobilityUcwa::session('bob', token => $T, endpoint => 'decay-b');
MobilityUcwa::ucwa($A, POST => '/me/makeMeAvailable', body => '{}');
MobilityUcwa::ucwa($B, POST => '/me/makeMeAvailable', body => '{}');
my $av = sub {
    my (undef, undef, $b) = MobilityUcwa::ucwa($A, GET => '/me/presence');
    return (MobilityUcwa::decode($b) // {})->{availability} // 'none';
};
Test::More::is($av->(), 'Online', 'both active');
Time::HiRes::sleep(0.6);
MobilityUcwa::ucwa($B, POST => '/reportMyActivity', body => '');
Time::HiRes::sleep(0.7);
Test::More::is($av->(), 'Online', 'A is idle, B is active: Online');
Time::HiRes::sleep(0.9);
Test::More::is($av->(), 'IdleOnline', 'B idle, A away: IdleOnline');
Time::HiRes::sleep(1.1);
Test::More::is($av->(), 'Away', 'both away: Away');
MobilityUcwa::ucwa($A, POST => '/me/reportMyActivity', body => '');
MobilityUcwa::request($block, GET => "$A->{app}/me/presence", token => $T);
--- error_code: 200
--- response_body_like: "availability":"Online"



=== TEST 7: the decay is published by a timer: the other application's P-GET gets presence updated
--- http_config eval: MobilityUcwa::ucwa_http_config(mobility_ucwa_inactive_timeout => '6s', mobility_ucwa_away_timeout => '1s', mobility_ucwa_pget_timeout => '30s')
--- init
my $T = MobilityUcwa::tok('dave@contoso.com', 'Passw0rd!');
my $A = MobilityUcwa::session('dave', token => $T, endpoint => 'timer-a');
MobilityUcwa::ucwa($A, POST => '/me/makeMeAvailable', body => '{}');
# the makeMeAvailable events come after the 5 s medium hold; at 6 s the
# application is idle, at 7 s away: both updates merge into one, sent
# 5 s after the second
my (undef, undef, $b) = MobilityUcwa::ucwa($A, GET => '/events?ack=1&medium=5');
my $p = MobilityUcwa::pget_start($A, "$A->{app}/events?ack=2&medium=5");
my ($st, $h, $pb, $took) = MobilityUcwa::pget_finish($p, 15);
Test::More::is($st, 200, 'released');
Test::More::ok($took > 5 && $took < 10, "held for the medium hold ($took s)");
my $j = MobilityUcwa::decode($pb);
my @ev = map { @{ $_->{events} } } @{ $j->{sender} };
Test::More::is(scalar @ev, 1, 'IdleOnline then Away merged into one update');
Test::More::is($ev[0]{link}{rel} . ' ' . $ev[0]{type}, 'presence updated', 'presence updated');
Test::More::is($ev[0]{_embedded}{presence}{availability}, 'Away', 'the newest state');
MobilityUcwa::request($block, GET => "$A->{app}/me/presence", token => $T);
--- error_code: 200
--- response_body_like: "availability":"Away"



=== TEST 8: a change on one application reaches the P-GETs of the user's others
--- init
my $T = MobilityUcwa::tok('alice@contoso.com', 'Passw0rd!');
my $A = MobilityUcwa::session('alice', token => $T, endpoint => 'fan-a');
my $B = MobilityUcwa::session('alice', token => $T, endpoint => 'fan-b');
MobilityUcwa::ucwa($A, POST => '/me/makeMeAvailable', body => '{}');
MobilityUcwa::ucwa($B, POST => '/me/makeMeAvailable', body => '{}');
MobilityUcwa::ucwa($B, GET => '/events?ack=1&medium=5');
my $p = MobilityUcwa::pget_start($B, "$B->{app}/events?ack=2");
Time::HiRes::sleep(0.2);
MobilityUcwa::ucwa($A, POST => '/me/presence', body => '{"availability":"DoNotDisturb"}');
MobilityUcwa::ucwa($A, POST => '/me/location', body => '{"location":"Building 7"}');
my ($st, $h, $b) = MobilityUcwa::pget_finish($p, 10);
my $j = MobilityUcwa::decode($b);
my @ev = map { "$_->{link}{rel}:$_->{type}" } map { @{ $_->{events} } } @{ $j->{sender} };
Test::More::is("@ev", 'presence:updated location:updated', 'both changes, in order');
Test::More::like($b, qr/"availability":"DoNotDisturb".*"location":"Building 7"/, 'embedded');
MobilityUcwa::request($block, GET => "$B->{app}/me/location", token => $T);
--- error_code: 200
--- response_body_like: ^\{"rel":"location","location":"Building 7",



=== TEST 9: note: set, query input, only Personal, length
--- init
my $S = MobilityUcwa::session('alice');
MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable', body => '{}');
my ($st) = MobilityUcwa::ucwa($S, POST => '/me/note', body => '{"Message":"Heads down today"}');
Test::More::is($st, 204, 'note set');
(undef, undef, my $b) = MobilityUcwa::ucwa($S, GET => '/me/note');
Test::More::like($b, qr/^\{"rel":"note","message":"Heads down today","type":"Personal"/, 'note');
($st) = MobilityUcwa::ucwa($S, POST => '/me/note', body => '{"message":"x","type":"OutOfOffice"}');
Test::More::is($st, 400, 'only Personal notes');
($st) = MobilityUcwa::ucwa($S, POST => '/me/note', body => '{"message":"' . ('n' x 2000) . '"}');
Test::More::is($st, 400, 'too long');
($st) = MobilityUcwa::ucwa($S, POST => '/me/note?message=from+the+query');
Test::More::is($st, 204, 'query input');
MobilityUcwa::request($block, GET => "$S->{app}/me/note", token => $S->{token});
--- error_code: 200
--- response_body_like: "message":"from the query"



=== TEST 10: location: at most 60 characters, not bytes
--- init
my $S = MobilityUcwa::session('alice');
MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable', body => '{}');
my ($st) = MobilityUcwa::ucwa($S, POST => '/me/location',
                              body => '{"location":"' . ("\xc3\xa9" x 60) . '"}');
Test::More::is($st, 204, '60 two-byte characters');
MobilityUcwa::request($block, POST => "$S->{app}/me/location", token => $S->{token},
                      body => '{"location":"' . ('x' x 61) . '"}');
--- error_code: 400
--- response_body_like: "subcode":"ParameterValidationFailure".*"parameters":\["location"\]



=== TEST 11: phones come from the directory
--- init
my $S = MobilityUcwa::session('alice');
MobilityUcwa::request($block, GET => "$S->{app}/me/phones", token => $S->{token});
--- error_code: 200
--- response_body_like: ^\{"rel":"phones","_links":\{"self":\{"href":"[^"]+/me/phones"\}\},"_embedded":\{"phone":\[\{"rel":"phone","type":"Work","number":"tel:\+14255550100","includeInContactCard":false,



=== TEST 12: photos: Bearer or cookie, ETag and 304, 404 without a photo
--- init
my $file = "/tmp/ucwa-test-photo-$$.jpg";
open my $fh, '>', $file or die;
binmode $fh;
print $fh "\xff\xd8\xff\xe0\x00\x10JFIF\x00" . ("photo" x 50) . "\xff\xd9";
close $fh;
my $ok = MobilityUcwa::photo_put('alice@contoso.com', $file);
unlink $file;
Test::More::ok($ok, 'photo stored');
my $S = MobilityUcwa::session('alice');
my ($st, $h, $b) = MobilityUcwa::ucwa($S, GET => '/photos/alice@contoso.com');
Test::More::is($st, 200, 'photo');
Test::More::is($h->{'content-type'}[0], 'image/jpeg', 'image/jpeg');
Test::More::like($h->{'cache-control'}[0], qr/^private/, 'private');
my $etag = $h->{etag}[0];
Test::More::like($etag, qr/^"[0-9a-f]{16}"$/, 'ETag');
($st) = MobilityUcwa::ucwa($S, GET => '/photos/alice@contoso.com',
                           headers => ["If-None-Match: $etag"]);
Test::More::is($st, 304, 'not modified');
($st) = MobilityUcwa::ucwa($S, GET => '/photos/sip:bob@contoso.com');
Test::More::is($st, 404, 'bob has no photo');
my (undef, $ch) = MobilityUcwa::ucwa($S, GET => '');
my ($cookie) = ($ch->{'set-cookie'}[0] // '') =~ /^(cwt_ucwa=[^;]+)/;
Test::More::ok($cookie, 'the application sets the photo cookie');
MobilityUcwa::request($block, GET => "$S->{app}/photos/alice\@contoso.com",
                      headers => ["Cookie: $cookie"]);
--- error_code: 200
--- response_headers
Content-Type: image/jpeg
--- response_body_like: ^\xff\xd8\xff



=== TEST 13: callForwardingSettings: If-Match and the guard; the change is an event
--- init
my $S = MobilityUcwa::session('alice');
my ($st, $h, $b) = MobilityUcwa::ucwa($S, GET => '/me/callForwardingSettings');
my $j = MobilityUcwa::decode($b);
Test::More::is($j->{activeSetting}, 'None', 'default');
my ($guard) = grep { /^[0-9a-f-]{36}$/ } keys %$j;
Test::More::ok($guard, 'PUT guard property');
my $etag = $h->{etag}[0];
$j->{activeSetting} = 'SimultaneousRing';
$j->{activePeriod} = 'Workhours';
my $put = JSON::PP::encode_json($j);
($st) = MobilityUcwa::ucwa($S, PUT => '/me/callForwardingSettings', body => $put);
Test::More::is($st, 428, 'no If-Match: 428');
($st) = MobilityUcwa::ucwa($S, PUT => '/me/callForwardingSettings', body => $put,
                           headers => ['If-Match: "42"']);
Test::More::is($st, 412, 'stale: 412');
($st) = MobilityUcwa::ucwa($S, PUT => '/me/callForwardingSettings',
                           body => '{"activeSetting":"None"}', headers => ["If-Match: $etag"]);
Test::More::is($st, 400, 'without the guard: 400');
($st) = MobilityUcwa::ucwa($S, PUT => '/me/callForwardingSettings', body => $put,
                           headers => ["If-Match: $etag"]);
Test::More::is($st, 204, 'PUT');
($st, undef, $b) = MobilityUcwa::ucwa($S, GET => '/events?ack=1&medium=5');
Test::More::like($b, qr/"rel":"callForwardingSettings".*"type":"updated"/, 'event');
MobilityUcwa::request($block, GET => "$S->{app}/me/callForwardingSettings", token => $S->{token});
--- error_code: 200
--- response_body_like: "activePeriod":"Workhours","activeSetting":"SimultaneousRing"



=== TEST 14: communication: GET with ETag, PUT guarded, then updated
--- init
my $S = MobilityUcwa::session('alice');
my ($st, $h, $b) = MobilityUcwa::ucwa($S, GET => '/communication');
my $etag = $h->{etag}[0];
my $j = MobilityUcwa::decode($b);
Test::More::is("\"$j->{etag}\"", $etag, 'etag property = ETag');
$j->{supportedMessageFormats} = ['Plain', 'Html'];
my $put = JSON::PP::encode_json($j);
($st) = MobilityUcwa::ucwa($S, PUT => '/communication', body => $put);
Test::More::is($st, 428, 'no If-Match: 428');
($st) = MobilityUcwa::ucwa($S, PUT => '/communication', body => $put,
                           headers => ['If-Match: "12"']);
Test::More::is($st, 412, 'stale: 412');
($st) = MobilityUcwa::ucwa($S, PUT => '/communication',
                           body => '{"supportedMessageFormats":["Html"]}',
                           headers => ["If-Match: $etag"]);
Test::More::is($st, 400, 'without the guard: 400');
($st) = MobilityUcwa::ucwa($S, PUT => '/communication', body => $put,
                           headers => ["If-Match: $etag"]);
Test::More::is($st, 204, 'PUT');
($st) = MobilityUcwa::ucwa($S, PUT => '/communication', body => $put,
                           headers => ["If-Match: $etag"]);
Test::More::is($st, 412, 'the old ETag is stale now');
MobilityUcwa::request($block, GET => "$S->{app}/communication", token => $S->{token});
--- error_code: 200
--- response_body_like: "supportedMessageFormats":\["Plain","Html"\]



=== TEST 15: policies: the global mobility policy defaults
--- init
my $S = MobilityUcwa::session('alice');
MobilityUcwa::request($block, GET => "$S->{app}/policies", token => $S->{token});
--- error_code: 200
--- response_body_like: ^\{"rel":"policies","allowDeviceContactsSync":"Enabled","audioOnlyOnWifi":"Disabled",.*"emergencyNumbers":\[\],.*"saveCallLogs":"Enabled",.*"telephonyMode":"AudioVideo",.*"videoOnlyOnWifi":"Disabled","voicemailUri":"sip:alice\@contoso.com;opaque=app:voicemail","_links":\{"self":\{"href":"[^"]+/policies"\}\}\}$



=== TEST 16: a policy change (mobilityctl) reaches the applications as "policies updated"
--- init
my $S = MobilityUcwa::session('erin');
my $p = MobilityUcwa::pget_start($S, "$S->{app}/events?ack=1&medium=5");
Time::HiRes::sleep(0.3);
Mobility::ctl('Set-CsMobilityPolicy', '-Identity', 'global',
              '-RequireWiFiForIPAudio', 'True');
my ($st, $h, $b, $took) = MobilityUcwa::pget_finish($p, 10);
Test::More::is($st, 200, 'released');
Test::More::like($b, qr/"sender":\[\{"rel":"application","href":"[^"]+","events":\[\{"link":\{"rel":"policies","href":"[^"]+\/policies"\},"type":"updated"\}\]\}\]/,
                 'policies updated');
MobilityUcwa::request($block, GET => "$S->{app}/policies", token => $S->{token});
--- error_code: 200
--- response_body_like: "audioOnlyOnWifi":"Enabled"
--- error_log
policies changed for
