# The anonymous meeting grant (spec §2.2): grant_type=
# urn:microsoft.rtc:anonmeeting with the meeting's conference key and its
# URI gives a one-hour token for an identity of its own; renewal with
# ms_rtc_renew keeps the identity; an unknown meeting, a wrong key, an
# expired meeting or one whose access level keeps guests out all get the
# same 400 invalid_grant; wrong keys count towards the sign-in lockout.
# The guest may create an application, and is refused (403
# AnonymousNotAllowed) where it has no business.  Two workers: the grant
# is in the store, any worker serves the guest.

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

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config', ucwa_main_config($Store))
        unless defined $block->main_config;
    $block->set_value('http_config',
        MobilityUcwa::ucwa_http_config('mobility_signin_lockout' => 'user=3 address=1000 window=1m'))
        unless defined $block->http_config;
    $block->set_value('config', ucwa_config())
        unless defined $block->config;
    $block->set_value('request', 'GET /placeholder')
        unless defined $block->request;
});

sub j { MobilityUcwa::decode($_[0] // '') // {} }

sub esc {
    my $s = shift;
    $s =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

# a meeting of the session's user: its JSON
sub meeting {
    my ($s, $body) = @_;
    my ($st, $h, $b) = MobilityUcwa::ucwa($s, POST => '/onlineMeetings/myOnlineMeetings', body => $body);
    die "meeting: $st $b" unless $st == 201;
    return main::j($b);
}

# the token service: (status, headers, body)
sub grant {
    my ($form) = @_;
    return Mobility::http('POST', '/WebTicket/oauthtoken', body => $form,
        headers => ['Content-Type: application/x-www-form-urlencoded']);
}

sub anon_form {
    my ($uri, $key, $extra) = @_;
    return 'grant_type=urn:microsoft.rtc:anonmeeting&password=' . main::esc($key)
           . '&ms_rtc_conferenceuri=' . main::esc($uri) . ($extra // '');
}

run_tests();

__DATA__

=== TEST 1: a guest gets a one-hour anonymous token, renews it with the same identity, creates an application and is kept out of people, meetings, push and history
--- init
my $A = MobilityUcwa::session('alice');
my $m = main::meeting($A, '{"subject":"Open house","accessLevel":"Everyone"}');
Test::More::like($m->{conferenceKey}, qr/^[0-9A-Z]{16}$/, 'the organizer sees the conference key');
my ($st, $h, $b) = main::grant(main::anon_form($m->{onlineMeetingUri}, $m->{conferenceKey}));
Test::More::is($st, 200, 'anonmeeting grant: 200');
my $t = main::j($b);
Test::More::like($t->{access_token}, qr/^cwt=[A-Za-z0-9_-]+$/, 'a cwt token');
Test::More::is("$t->{expires_in} $t->{ms_rtc_identityscope} $t->{token_type}", '3600 anonymous Bearer', 'one hour, anonymous scope, Bearer');
Test::More::is($h->{'cache-control'}[0], 'no-store', 'Cache-Control: no-store');

my $G = MobilityUcwa::session('guest', token => $t->{access_token}, agent => 'GuestWeb/1.0');
Test::More::is($G->{status}, 201, 'the guest creates an application');
my $uri = $G->{json}{_embedded}{me}{uri};
Test::More::like($uri, qr/^sip:anon-[0-9a-f]{16}\@anonymous\.invalid$/, 'the anonymous identity');
Test::More::ok(!exists $G->{json}{_embedded}{me}{emailAddresses}, 'the anonymous me has no e-mail addresses');

for my $p ('/people/search?query=bob', '/people/contacts', '/onlineMeetings', '/onlineMeetings/myOnlineMeetings',
           '/onlineMeetings/myAssignedOnlineMeeting', '/communication/conversationLogs', '/communication/missedItems',
           '/pushRegistration', '/me/callForwardingSettings') {
    ($st, $h, $b) = MobilityUcwa::ucwa($G, GET => $p);
    my $e = main::j($b);
    Test::More::is("$st $e->{code} $e->{subcode}", '403 Forbidden AnonymousNotAllowed', "the guest: GET $p refused");
}
($st, $h, $b) = MobilityUcwa::ucwa($G, POST => '/onlineMeetings/myOnlineMeetings', body => '{}');
Test::More::is($st, 403, 'the guest cannot create meetings');
($st, $h, $b) = MobilityUcwa::ucwa($G, GET => '/me');
Test::More::is($st, 200, 'the guest reads its me');
Test::More::like($b, qr{^\{"name":"[^"]+","uri":"sip:anon-[0-9a-f]{16}\@anonymous\.invalid","_links":\{"self":\{"href":"/ucwa/oauth/v1/applications/[a-z0-9]+-[0-9a-f]{16}/me"\}\},"rel":"me"\}$}, 'the guest\'s me: no endpointUri, only the self link');
Test::More::is_deeply(main::j($b), $G->{json}{_embedded}{me}, 'the same me as embedded in its application (jansson)');
($st, $h, my $b2) = MobilityUcwa::ucwa($G, GET => '/me');
Test::More::is($b2, $b, 'the guest\'s me again: the same bytes');

# renewal keeps the identity
($st, $h, $b) = main::grant(main::anon_form($m->{onlineMeetingUri}, $m->{conferenceKey}, '&ms_rtc_renew=' . main::esc($t->{access_token})));
Test::More::is($st, 200, 'renewal: 200');
my $t2 = main::j($b);
Test::More::isnt($t2->{access_token}, $t->{access_token}, 'a new token');
my $G2 = MobilityUcwa::session('guest', token => $t2->{access_token}, agent => 'GuestWeb/1.0', endpoint => 'guest-renewed');
Test::More::is($G2->{json}{_embedded}{me}{uri}, $uri, 'the renewed token keeps the identity');

# a second grant without renewal is another guest
($st, $h, $b) = main::grant(main::anon_form($m->{onlineMeetingUri}, $m->{conferenceKey}));
my $G3 = MobilityUcwa::session('guest', token => main::j($b)->{access_token}, endpoint => 'guest-other');
Test::More::isnt($G3->{json}{_embedded}{me}{uri}, $uri, 'a new grant is a new identity');

# renewing a user's token is refused
my $ut = MobilityUcwa::tok('bob');
($st, $h, $b) = main::grant(main::anon_form($m->{onlineMeetingUri}, $m->{conferenceKey}, '&ms_rtc_renew=' . main::esc($ut)));
Test::More::is("$st $b", '400 {"error":"invalid_grant"}', "renewing bob's token: invalid_grant");

# other spellings: no "sip:", the joinUrl, msrtc_conferenceuri
my $bare = $m->{onlineMeetingUri} =~ s/^sip://r;
($st) = main::grant(main::anon_form($bare, $m->{conferenceKey}));
Test::More::is($st, 200, 'the URI without sip:');
($st) = main::grant(main::anon_form($m->{joinUrl}, $m->{conferenceKey}));
Test::More::is($st, 200, 'the joinUrl');
($st) = main::grant('grant_type=urn:microsoft.rtc:anonmeeting&password=' . $m->{conferenceKey} . '&msrtc_conferenceuri=' . main::esc($m->{onlineMeetingUri}));
Test::More::is($st, 200, 'msrtc_conferenceuri');

# a SameEnterprise meeting: the guest may ask, and waits in the lobby when joining
my $se = main::meeting($A, '{"subject":"Company","accessLevel":"SameEnterprise"}');
($st) = main::grant(main::anon_form($se->{onlineMeetingUri}, $se->{conferenceKey}));
Test::More::is($st, 200, 'SameEnterprise: a grant (the guest waits in the lobby)');

# bob sees no key of alice's meetings
($st, $h, $b) = MobilityUcwa::ucwa(MobilityUcwa::session('bob'), GET => '/onlineMeetings/myOnlineMeetings');
Test::More::unlike($b, qr/$m->{conferenceKey}/, "bob's list shows no key of alice's");

MobilityUcwa::request($block, GET => "$G->{app}/people/search?query=alice", token => $G->{token});
--- error_code: 403
--- response_body_like: "subcode":"AnonymousNotAllowed"
--- error_log eval
qr/mobility sign-in: anonymous meeting grant for "anon-[0-9a-f]{16}\@anonymous\.invalid" to meeting [0-9A-Z]{8} of "alice\@contoso\.com"/
--- no_error_log
[error]
[alert]



=== TEST 2: wrong key, unknown meeting, unknown organizer, expired, Invited, Locked: one answer, a clear log line, never the key
--- init
my $A = MobilityUcwa::session('bob');
my $ok = main::meeting($A, '{"subject":"Open","accessLevel":"Everyone"}');
my $exp = (time() + 2) * 1000;
my $old = main::meeting($A, qq({"subject":"Soon over","accessLevel":"Everyone","expirationTime":"\\/Date($exp)\\/"}));
my $inv = main::meeting($A, '{"subject":"Invited","accessLevel":"Invited","attendees":["sip:carol@contoso.com"]}');
my $lck = main::meeting($A, '{"subject":"Locked","accessLevel":"Locked"}');
sleep 3;
my $other = $ok->{onlineMeetingUri} =~ s/id:[0-9A-Z]{8}$/id:00000000/r;
my $nobody = $ok->{onlineMeetingUri} =~ s/bob\@/nobody\@/r;
my $wrong = $ok->{conferenceKey} =~ s/^./$& eq 'A' ? 'B' : 'A'/er;
my @cases = (
    [ $ok->{onlineMeetingUri}, $wrong, 'a wrong conference key' ],
    [ $ok->{onlineMeetingUri}, $ok->{conferenceKey} . 'X', 'a wrong conference key' ],
    [ $other, $ok->{conferenceKey}, 'no such meeting' ],
    [ $nobody, $ok->{conferenceKey}, 'no such meeting' ],
    [ $old->{onlineMeetingUri}, $old->{conferenceKey}, 'the meeting expired' ],
    [ $inv->{onlineMeetingUri}, $inv->{conferenceKey}, 'the access level of the meeting excludes anonymous users' ],
    [ $lck->{onlineMeetingUri}, $lck->{conferenceKey}, 'the access level of the meeting excludes anonymous users' ],
    [ 'sip:bob@contoso.com', $ok->{conferenceKey}, 'not a meeting URI' ],
    [ 'https://elsewhere.example/bob/' . $ok->{onlineMeetingId}, $ok->{conferenceKey}, 'a join URL of an unknown host' ],
);
my %answers;
for my $c (@cases) {
    my ($st, $h, $b) = main::grant(main::anon_form($c->[0], $c->[1]));
    $answers{"$st $b " . ($h->{'x-ms-diagnostics'}[0] // '')}++;
    Test::More::is("$st $b", '400 {"error":"invalid_grant"}', "refused: $c->[2]");
}
Test::More::is(scalar(keys %answers), 1, 'every refusal is the same answer');
sleep 1;
my $log = do { local $/; open my $f, '<', $Test::Nginx::Util::ErrLogFile or die; <$f> };
for my $c (@cases) {
    Test::More::like($log, qr/\[info\].*anonymous meeting grant refused for "\Q$c->[0]\E" from [0-9.]+: \Q$c->[2]\E/, "logged: $c->[2]");
}
Test::More::unlike($log, qr/\Q$ok->{conferenceKey}\E/, 'the key is never logged');
Test::More::unlike($log, qr/\Q$inv->{conferenceKey}\E/, 'nor any other key');
my ($st) = main::grant('grant_type=urn:microsoft.rtc:anonmeeting&ms_rtc_conferenceuri=' . main::esc($ok->{onlineMeetingUri}));
Test::More::is($st, 400, 'no key: 400');
MobilityUcwa::request($block, POST => '/WebTicket/oauthtoken',
    body => 'grant_type=urn:microsoft.rtc:anonmeeting&password=' . $ok->{conferenceKey},
    headers => ['Content-Type: application/x-www-form-urlencoded']);
--- error_code: 400
--- response_body chomp
{"error":"invalid_request"}
--- no_error_log
[error]
[alert]



=== TEST 3: wrong keys count towards the lockout of the meeting URI
--- init
my $A = MobilityUcwa::session('carol');
my $m = main::meeting($A, '{"subject":"Target","accessLevel":"Everyone"}');
for my $i (1 .. 3) {
    my ($st) = main::grant(main::anon_form($m->{onlineMeetingUri}, 'WRONGKEY' . $i));
    Test::More::is($st, 400, "wrong key $i");
}
my ($st, $h, $b) = main::grant(main::anon_form($m->{onlineMeetingUri}, $m->{conferenceKey}));
Test::More::is("$st $b", '400 {"error":"invalid_grant"}', 'locked out: even the right key is refused');
Test::More::like($h->{'x-ms-diagnostics'}[0], qr/Too many failed sign-in attempts/, 'the lockout is named');
my $m2 = main::meeting($A, '{"subject":"Other","accessLevel":"Everyone"}');
($st) = main::grant(main::anon_form($m2->{onlineMeetingUri}, $m2->{conferenceKey}));
Test::More::is($st, 200, 'another meeting is not locked');
MobilityUcwa::request($block, GET => "$A->{app}/onlineMeetings/myOnlineMeetings", token => $A->{token});
--- error_code: 200
--- error_log
locked out after repeated failures
--- no_error_log
[alert]



=== TEST 4: the legacy URI form works; a disabled or removed organizer's meetings admit no guest
--- init
my $A = MobilityUcwa::session('dave');
my $m = main::meeting($A, '{"subject":"Dave","accessLevel":"Everyone"}');
my ($st) = main::grant(main::anon_form($m->{legacyOnlineMeetingUri}, $m->{conferenceKey}));
Test::More::is($st, 200, 'legacyOnlineMeetingUri (conf:sip:...)');
my $E = MobilityUcwa::session('erin');
my $me = main::meeting($E, '{"subject":"Erin","accessLevel":"Everyone"}');
Mobility::ctl('user', 'disable', 'dave@contoso.com');
Mobility::ctl('user', 'remove', 'erin@contoso.com');
my $b;
($st, undef, $b) = main::grant(main::anon_form($m->{onlineMeetingUri}, $m->{conferenceKey}));
Test::More::is("$st $b", '400 {"error":"invalid_grant"}', 'a disabled organizer: invalid_grant');
($st, undef, $b) = main::grant(main::anon_form($me->{onlineMeetingUri}, $me->{conferenceKey}));
Test::More::is("$st $b", '400 {"error":"invalid_grant"}', 'a removed organizer: invalid_grant');
MobilityUcwa::request($block, POST => '/WebTicket/oauthtoken',
    body => main::anon_form($m->{onlineMeetingUri}, $m->{conferenceKey}),
    headers => ['Content-Type: application/x-www-form-urlencoded']);
--- error_code: 400
--- error_log
the organizer is not an enabled user
--- no_error_log
[alert]



=== TEST 5: the challenge lists the anonymous meeting grant
--- request
GET /ucwa/oauth/v1/applications
--- error_code: 401
--- response_headers_like
WWW-Authenticate: ^MsRtcOAuth href="[^"]+/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:anonmeeting,password"$
