# UCWA applications: authentication, creation (JSON, XML, instanceId),
# GET with ETag, DELETE, ownership, the per-user limit, idle expiry, the
# WebTicket base path, and the answers to bad input.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityUcwa;

no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config', ucwa_main_config($Store))
        unless defined $block->main_config;
    $block->set_value('http_config', ucwa_http_config())
        unless defined $block->http_config;
    $block->set_value('config', ucwa_config())
        unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: no token: the MsRtcOAuth challenge
--- request
POST /ucwa/oauth/v1/applications
{"UserAgent":"x","EndpointId":"1","Culture":"en-US"}
--- more_headers
Content-Type: application/json
--- error_code: 401
--- response_headers_like
WWW-Authenticate: MsRtcOAuth href="https://[^"]+/WebTicket/oauthtoken",grant_type="[^"]*password[^"]*"
--- no_error_log
[alert]



=== TEST 2: a forged token is refused the same way
--- request
GET /ucwa/oauth/v1/applications/node-0123456789abcdef
--- more_headers
Authorization: Bearer cwt=AAAAforgedtoken
--- error_code: 401
--- no_error_log
[alert]



=== TEST 3: create: 201, the full embedded representation, photo cookie
--- init
our $T = MobilityUcwa::tok('alice@contoso.com', 'Passw0rd!');
MobilityUcwa::request($block, POST => '/ucwa/oauth/v1/applications',
    token => $T,
    body => '{"UserAgent":"UCWA Samples","EndpointId":"a917c6f4-976c","Culture":"en-US","Unknown":{"x":1}}');
--- request
GET /placeholder
--- error_code: 201
--- response_headers_like
Content-Type: application/json; charset=utf-8
Location: /ucwa/oauth/v1/applications/[a-z0-9]+-[0-9a-f]{16}
Set-Cookie: cwt_ucwa=[A-Za-z0-9_-]+; path=/ucwa/oauth/v1/applications/[a-z0-9]+-[0-9a-f]{16}/photos; secure; HttpOnly
Cache-Control: no-cache
--- response_body_like eval
[
qr{^\{"culture":"en-US","userAgent":"UCWA Samples","type":"","endpointId":"a917c6f4-976c","id":"([a-z0-9]+-[0-9a-f]{16})","_links":\{"self":\{"href":"/ucwa/oauth/v1/applications/\1"\},"policies":\{"href":"/ucwa/oauth/v1/applications/\1/policies"\},"batch":\{"href":"/ucwa/oauth/v1/applications/\1/batch"\},"pushRegistration":\{"href":"/ucwa/oauth/v1/applications/\1/pushRegistration"\},"events":\{"href":"/ucwa/oauth/v1/applications/\1/events\?ack=1"\}\},"_embedded":\{"me":\{"name":"Alice Smith","uri":"sip:alice\@contoso.com","emailAddresses":\["alice\@contoso.com"\],"title":"Engineer","workPhoneNumber":"tel:\+14255550100".*"makeMeAvailable":\{"href":"/ucwa/oauth/v1/applications/\1/me/makeMeAvailable"\}.*"photo":\{"href":"/ucwa/oauth/v1/applications/\1/photos/alice\@contoso.com"\}\},"rel":"me"\},"people":\{.*"myContacts":\{"href":"/ucwa/oauth/v1/applications/\1/people/contacts"\}.*"rel":"people"\},"onlineMeetings":\{.*"rel":"onlineMeetings"\},"communication":\{"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}":"please pass this in a PUT request","supportedModalities":\[\],"supportedMessageFormats":\["Plain"\],.*"startMessaging":\{"href":"/ucwa/oauth/v1/applications/\1/communication/messagingInvitations"\}.*"rel":"communication","etag":"\d+"\}\},"rel":"application"\}$}s
]
--- no_error_log
[alert]
[error]



=== TEST 4: the same culture, endpointId, type and userAgent: the same application
--- init
our $T = MobilityUcwa::tok('alice@contoso.com', 'Passw0rd!');
my $body = '{"userAgent":"same","endpointId":"same-ep","culture":"en-US","type":"Phone"}';
my ($st, undef, $b) = MobilityUcwa::call(POST => '/ucwa/oauth/v1/applications',
                                         token => $T, body => $body);
my $id = MobilityUcwa::decode($b)->{id};
MobilityUcwa::request($block, POST => '/ucwa/oauth/v1/applications',
                      token => $T, body => $body);
$block->set_value(response_body_like => qr/"id":"\Q$id\E"/);
--- request
GET /placeholder
--- error_code: 200
--- no_error_log
[alert]



=== TEST 5: a new instanceId gets its own channel (201), then 200
--- init
our $T = MobilityUcwa::tok('alice@contoso.com', 'Passw0rd!');
my $b1 = '{"userAgent":"tabs","endpointId":"tabs-ep","culture":"en-US","instanceId":"tab1"}';
my ($st1, undef, $r1) = MobilityUcwa::call(POST => '/ucwa/oauth/v1/applications',
                                           token => $T, body => $b1);
my ($st2) = MobilityUcwa::call(POST => '/ucwa/oauth/v1/applications',
                               token => $T, body => $b1);
Test::More::is($st1, 201, 'first instance created');
Test::More::is($st2, 200, 'same instance again: 200');
my $id = MobilityUcwa::decode($r1)->{id};
MobilityUcwa::request($block, POST => '/ucwa/oauth/v1/applications',
    token => $T,
    body => '{"userAgent":"tabs","endpointId":"tabs-ep","culture":"en-US","instanceId":"tab 2"}');
$block->set_value(response_body_like => qr{"id":"\Q$id\E","instanceId":"tab 2","_links":\{"self":\{"href":"/ucwa/oauth/v1/applications/\Q$id\E\?instanceId=tab%202"\}.*"events":\{"href":"/ucwa/oauth/v1/applications/\Q$id\E/events\?ack=1&instanceId=tab%202"\}});
--- request
GET /placeholder
--- error_code: 201
--- no_error_log
[alert]



=== TEST 6: UCWA XML input, case-insensitive names, XML output
--- init
our $T = MobilityUcwa::tok('alice@contoso.com', 'Passw0rd!');
MobilityUcwa::request($block, POST => '/ucwa/oauth/v1/applications',
    token => $T, type => 'application/vnd.microsoft.com.ucwa+xml',
    headers => ['Accept: application/vnd.microsoft.com.ucwa+xml',
                'Content-Type: application/vnd.microsoft.com.ucwa+xml',
                'X-MS-Namespace: internal'],
    body => '<input xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa"><property name="Culture">en-US</property><property name="endpointId">44:D8:84:3C:68:68</property><property name="type">Phone</property><property name="userAgent">LyncConnectivityAnalyzer/5.0.8308.582 (Windows OS 6.0)</property></input>');
--- request
GET /placeholder
--- error_code: 201
--- response_headers_like
Content-Type: application/vnd.microsoft.com.ucwa\+xml; charset=utf-8
--- response_body_like eval
qr{^<\?xml version="1.0" encoding="utf-8"\?>\n<resource xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa" rel="application" href="/ucwa/oauth/v1/applications/([a-z0-9]+-[0-9a-f]{16})"><link rel="policies" href="/ucwa/oauth/v1/applications/\1/policies"/><link rel="batch" href="/ucwa/oauth/v1/applications/\1/batch"/><link rel="pushRegistration" href="/ucwa/oauth/v1/applications/\1/pushRegistration"/><link rel="events" href="/ucwa/oauth/v1/applications/\1/events\?ack=1"/><property name="culture">en-US</property><property name="userAgent">LyncConnectivityAnalyzer/5.0.8308.582 \(Windows OS 6.0\)</property><property name="type">Phone</property><property name="endpointId">44:D8:84:3C:68:68</property><property name="id">\1</property><resource rel="me" href="/ucwa/oauth/v1/applications/\1/me">.*<propertyList name="emailAddresses"><item>alice\@contoso.com</item></propertyList>.*</resource><resource rel="people".*<resource rel="communication" href="/ucwa/oauth/v1/applications/\1/communication">.*<property name="[0-9a-f-]{36}">please pass this in a PUT request</property><propertyList name="supportedModalities"/><propertyList name="supportedMessageFormats"><item>Plain</item></propertyList>.*</resource></resource>\n$}s
--- no_error_log
[alert]



=== TEST 7: GET the application: ETag, then 304 on If-None-Match
--- init
our $S = MobilityUcwa::session('alice');
my ($st, $h) = MobilityUcwa::ucwa($S, GET => '');
Test::More::is($st, 200, 'GET application');
my ($etag) = @{ $h->{etag} // [] };
Test::More::like($etag // '', qr/^"\d+"$/, 'ETag');
MobilityUcwa::request($block, GET => $S->{app}, token => $S->{token},
                      headers => ["If-None-Match: $etag"]);
--- request
GET /placeholder
--- error_code: 304
--- response_body
--- no_error_log
[alert]



=== TEST 8: another user's application does not exist for him (404, not 403)
--- init
our $S = MobilityUcwa::session('alice');
my $bob = MobilityUcwa::tok('bob@contoso.com', 'Passw0rd!');
MobilityUcwa::request($block, GET => "$S->{app}/me", token => $bob);
--- request
GET /placeholder
--- error_code: 404
--- response_body chomp
{"code":"NotFound","subcode":"ApplicationNotFound","message":"The application does not exist."}
--- no_error_log
[alert]



=== TEST 9: DELETE: 204, then the application is gone
--- init
our $S = MobilityUcwa::session('alice');
my ($st) = MobilityUcwa::ucwa($S, DELETE => '');
Test::More::is($st, 204, 'DELETE application');
MobilityUcwa::request($block, GET => $S->{app}, token => $S->{token});
--- request
GET /placeholder
--- error_code: 404
--- response_body_like: "subcode":"ApplicationNotFound"
--- error_log
mobility ucwa: application
deleted



=== TEST 10: too many applications: 410 TooManyApplications
--- http_config eval: MobilityUcwa::ucwa_http_config(mobility_ucwa_max_apps => 1)
--- init
my $T = MobilityUcwa::tok('bob@contoso.com', 'Passw0rd!');
# whatever earlier blocks left for bob: start from none
MobilityUcwa::session('bob', token => $T, endpoint => 'limit-1');
MobilityUcwa::request($block, POST => '/ucwa/oauth/v1/applications',
    token => $T, body => '{"userAgent":"a","endpointId":"limit-2","culture":"en-US"}');
--- request
GET /placeholder
--- error_code: 410
--- response_body chomp
{"code":"Gone","subcode":"TooManyApplications","message":"Too many applications are registered for this user."}
--- no_error_log
[alert]



=== TEST 11: idle expiry: 410 InactiveApplicationExpired, then room for a new one
--- http_config eval: MobilityUcwa::ucwa_http_config(mobility_ucwa_app_idle_timeout => '1s', mobility_ucwa_max_apps => 1)
--- init
my $T = MobilityUcwa::tok('carol@contoso.com', 'Passw0rd!');
our $S = MobilityUcwa::session('carol', token => $T, endpoint => 'idle-1');
Time::HiRes::sleep(2.2);
my ($st, undef, $b) = MobilityUcwa::ucwa($S, GET => '/me');
Test::More::is($st, 410, 'expired application: 410');
Test::More::like($b, qr/"subcode":"InactiveApplicationExpired"/, 'subcode');
MobilityUcwa::request($block, POST => '/ucwa/oauth/v1/applications',
    token => $T, body => '{"userAgent":"a","endpointId":"idle-2","culture":"en-US"}');
--- request
GET /placeholder
--- error_code: 201
--- error_log
expired
--- no_error_log
[alert]



=== TEST 12: the WebTicket base path keeps its own hrefs
--- init
my $T = MobilityUcwa::tok('alice@contoso.com', 'Passw0rd!');
MobilityUcwa::request($block, POST => '/ucwa/v1/applications', token => $T,
    body => '{"userAgent":"mobile","endpointId":"v1-ep","culture":"en-US"}');
--- request
GET /placeholder
--- error_code: 201
--- response_headers_like
Location: /ucwa/v1/applications/[a-z0-9]+-[0-9a-f]{16}
--- response_body_like: "events":\{"href":"/ucwa/v1/applications/[a-z0-9]+-[0-9a-f]{16}/events\?ack=1"\}



=== TEST 13: malformed JSON: 400 DeserializationFailure
--- init
MobilityUcwa::request($block, POST => '/ucwa/oauth/v1/applications',
    token => MobilityUcwa::tok('alice@contoso.com', 'Passw0rd!'), body => '{"userAgent":');
--- request
GET /placeholder
--- error_code: 400
--- response_body chomp
{"code":"BadRequest","subcode":"DeserializationFailure","message":"The request body could not be read."}
--- no_error_log
[alert]



=== TEST 14: XML with a DTD (entities, external files): 400, nothing expanded
--- init
MobilityUcwa::request($block, POST => '/ucwa/oauth/v1/applications',
    token => MobilityUcwa::tok('alice@contoso.com', 'Passw0rd!'),
    type => 'application/vnd.microsoft.com.ucwa+xml',
    body => '<?xml version="1.0"?><!DOCTYPE input [<!ENTITY x SYSTEM "file:///etc/passwd">]><input xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa"><property name="userAgent">&x;</property></input>');
--- request
GET /placeholder
--- error_code: 400
--- response_body_unlike: root
--- no_error_log
[alert]



=== TEST 15: a content type UCWA does not take: 415
--- init
MobilityUcwa::request($block, POST => '/ucwa/oauth/v1/applications',
    token => MobilityUcwa::tok('alice@contoso.com', 'Passw0rd!'), type => 'text/plain',
    body => 'hello');
--- request
GET /placeholder
--- error_code: 415
--- response_body_like: "code":"UnsupportedMediaType"



=== TEST 16: an oversized body: 413 EntityTooLarge
--- init
MobilityUcwa::request($block, POST => '/ucwa/oauth/v1/applications',
    token => MobilityUcwa::tok('alice@contoso.com', 'Passw0rd!'),
    body => '{"userAgent":"' . ('x' x 5000) . '"}');
--- request
GET /placeholder
--- error_code: 413
--- response_body_like: "code":"EntityTooLarge"



=== TEST 17: a property over 100 characters: 400 ParameterValidationFailure
--- init
MobilityUcwa::request($block, POST => '/ucwa/oauth/v1/applications',
    token => MobilityUcwa::tok('alice@contoso.com', 'Passw0rd!'),
    body => '{"userAgent":"' . ('x' x 101) . '","endpointId":"long"}');
--- request
GET /placeholder
--- error_code: 400
--- response_body_like: "subcode":"ParameterValidationFailure".*"parameters":\["userAgent"\]



=== TEST 18: unknown resources: 404; wrong methods: 405 with Allow
--- init
our $S = MobilityUcwa::session('alice');
my ($st) = MobilityUcwa::ucwa($S, GET => '/no/such/thing');
Test::More::is($st, 404, 'unknown path');
($st) = MobilityUcwa::call(GET => '/ucwa/oauth/v1/applications/..%2f..%2fetc',
                           token => $S->{token});
Test::More::is($st, 404, 'odd id');
MobilityUcwa::request($block, PUT => "$S->{app}/policies", token => $S->{token},
                      body => '{}');
--- request
GET /placeholder
--- error_code: 405
--- response_headers
Allow: GET
--- response_body_like: "code":"MethodNotAllowed"



=== TEST 19: correlation ids are echoed
--- init
our $S = MobilityUcwa::session('alice');
MobilityUcwa::request($block, GET => "$S->{app}/me", token => $S->{token},
    headers => ['X-MS-Correlation-Id: 1234-abcd', 'client-request-id: req-42']);
--- request
GET /placeholder
--- error_code: 200
--- response_headers
X-MS-Correlation-Id: 1234-abcd
client-request-id: req-42
X-Content-Type-Options: nosniff



=== TEST 20: CORS for an allowed origin; X-Ms-Origin not allowed: 403
--- config eval: MobilityUcwa::ucwa_config('mobility_allow_origin https://app.contoso.com;')
--- init
our $S = MobilityUcwa::session('alice');
my ($st, $h) = MobilityUcwa::ucwa($S, GET => '/me',
                                  headers => ['Origin: https://app.contoso.com']);
Test::More::is($h->{'access-control-allow-origin'}[0], 'https://app.contoso.com',
               'allowed origin echoed');
($st, $h) = MobilityUcwa::ucwa($S, GET => '/me',
                               headers => ['Origin: https://evil.example']);
Test::More::ok(!$h->{'access-control-allow-origin'}, 'no CORS for others');
($st, $h) = MobilityUcwa::call(OPTIONS => $S->{app},
    headers => ['Origin: https://app.contoso.com',
                'Access-Control-Request-Method: POST',
                'Access-Control-Request-Headers: authorization, content-type']);
Test::More::is($st, 200, 'preflight');
Test::More::is($h->{'access-control-allow-headers'}[0],
               'authorization, content-type', 'preflight headers');
MobilityUcwa::request($block, GET => "$S->{app}/me", token => $S->{token},
    headers => ['X-Ms-Origin: https://evil.example']);
--- request
GET /placeholder
--- error_code: 403
--- response_headers
X-Ms-diagnostics: 28032;reason="Service does not allow a cross domain request from this origin."
--- response_body_like: "code":"Forbidden"



=== TEST 21: X-MS-RequiresMinResourceVersion: 2 is served, 3 is not
--- init
our $S = MobilityUcwa::session('alice');
my ($st) = MobilityUcwa::ucwa($S, GET => '/me',
                              headers => ['X-MS-RequiresMinResourceVersion: 2.0']);
Test::More::is($st, 200, 'revision 2');
MobilityUcwa::request($block, GET => "$S->{app}/me", token => $S->{token},
    headers => ['X-MS-RequiresMinResourceVersion: 3']);
--- request
GET /placeholder
--- error_code: 404
--- response_body_like: "subcode":"APIVersionNotSupported"



=== TEST 22: the expiry sweep ends an idle application nobody asks for (read-only scan, then the write): a tombstone
--- http_config eval: MobilityUcwa::ucwa_http_config(mobility_ucwa_app_idle_timeout => '1s')
--- init
our $S = MobilityUcwa::session('dave', endpoint => 'sweep-1');
# the sweep runs 1 s after start, then every 2.5 s; a GET only answers
# 410, the "expired" line comes from the sweep's termination
Time::HiRes::sleep(4.5);
MobilityUcwa::request($block, GET => "$S->{app}/me", token => $S->{token});
--- request
GET /placeholder
--- error_code: 410
--- response_body_like: "subcode":"InactiveApplicationExpired"
--- error_log eval
qr/application \S+ of "dave\@contoso\.com" expired/
--- no_error_log
[alert]



=== TEST 23: a token seen before is still checked: altered bytes, then a revocation, are refused
--- init
use MIME::Base64 qw(decode_base64url encode_base64url);
our $S = MobilityUcwa::session('frank', endpoint => 'seen-1');
my ($st) = MobilityUcwa::ucwa($S, GET => '/me');
Test::More::is($st, 200, 'first GET');
($st) = MobilityUcwa::ucwa($S, GET => '/me');
Test::More::is($st, 200, 'the same token again (remembered as verified)');
# the same MAC, so the same cache slot, with one byte of the signed part
# (the expiry) changed: refused, not taken for the remembered token
my $raw = decode_base64url(substr($S->{token}, 4));
substr($raw, 20, 1) = chr(ord(substr($raw, 20, 1)) ^ 0x01);
($st) = MobilityUcwa::call(GET => "$S->{app}/me",
                           token => 'cwt=' . encode_base64url($raw));
Test::More::is($st, 401, 'an altered token is refused');
($st) = MobilityUcwa::ucwa($S, GET => '/me');
Test::More::is($st, 200, 'the genuine one still works');
Mobility::ctl_stdin("An0ther-Passw0rd\n", 'user', 'passwd',
                    'frank@contoso.com', '--password-stdin');
MobilityUcwa::request($block, GET => "$S->{app}/me", token => $S->{token});
--- request
GET /placeholder
--- error_code: 401
--- error_log
mobility auth: invalid, expired or revoked token
--- no_error_log
[alert]
