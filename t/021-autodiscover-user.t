# Autodiscover: the user resources, .../root/user (WebTicket flavour:
# Bearer or X-MS-WebTicket) and .../root/oauth/user (Bearer): the 401
# challenge, the user document in each representation, home-pool
# redirects, 410 CannotRedirect, 404 for users not in the directory and
# the HTTPS redirect of plain HTTP requests.  Tokens come from the real
# token service (mobility_token) in each block's "--- init".

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityAD;

no_shuffle();
no_long_string();
log_level('info');

our $Store = reset_store();
ctl('domain', 'add', 'contoso.com');

for my $u (['alice', []], ['bob', ['--pool', 'pool2']],
           ['carol', ['--pool', 'pool9']], ['erin', ['--pool', 'POOL1']])
{
    ctl_stdin("$MobilityAD::PW\n", 'user', 'add', "$u->[0]\@contoso.com",
              '--name', ucfirst $u->[0], @{ $u->[1] }, '--password-stdin');
}

ad_blocks($Store, <<'_EOC_');
    mobility_https on;
    location ~* ^/autodiscover/ { mobility_autodiscover; }
    location = /WebTicket/oauthtoken { mobility_token; }
_EOC_

run_tests();

__DATA__

=== TEST 1: oauth/user without a token: 401 MsRtcOAuth challenge
--- request
GET /Autodiscover/AutodiscoverService.svc/root/oauth/user?originalDomain=contoso.com
--- response_headers
WWW-Authenticate: MsRtcOAuth href="https://lyncweb.contoso.com/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:anonmeeting,password"
X-MS-WebTicketURL: https://lyncweb.contoso.com/WebTicket/WebTicketService.svc
--- error_code: 401



=== TEST 2: root/user without a token: the same 401
--- request
GET /autodiscover/autodiscoverservice.svc/root/user
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1
--- response_headers
WWW-Authenticate: MsRtcOAuth href="https://lyncweb.contoso.com/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:anonmeeting,password"
X-MS-WebTicketURL: https://lyncweb.contoso.com/WebTicket/WebTicketService.svc
--- error_code: 401



=== TEST 3: an invalid token: 401
--- request eval
["GET /autodiscover/autodiscoverservice.svc/root/oauth/user",
 "GET /autodiscover/autodiscoverservice.svc/root/user"]
--- more_headers eval
["Authorization: Bearer cwt=AAAAbogus", "X-MS-WebTicket: opaque=cwt=AAAAbogus"]
--- error_code eval
[401, 401]



=== TEST 4: Bearer on oauth/user: the HAL user resource
--- init
MobilityAD::with_token($block, 'alice@contoso.com');
--- request
GET /Autodiscover/AutodiscoverService.svc/root/oauth/user?originalDomain=contoso.com
--- more_headers
Accept: application/json
--- response_headers
Content-Type: application/json
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
MobilityAD::jcanon({ _links => {
    self => { href => "$MobilityAD::EXT$MobilityAD::ROOT/oauth/user?originalDomain=contoso.com" },
    applications => { href => "$MobilityAD::EXT/ucwa/oauth/v1/applications" },
    xframe => { href => "$MobilityAD::EXT$MobilityAD::XFRAME" } } })
--- error_code: 200



=== TEST 5: HAL user links come self, applications, xframe
--- init
MobilityAD::with_token($block, 'alice@contoso.com');
--- request
GET /Autodiscover/AutodiscoverService.svc/root/oauth/user
--- response_body chomp
{"_links":{"self":{"href":"https://lyncweb.contoso.com/Autodiscover/AutodiscoverService.svc/root/oauth/user"},"applications":{"href":"https://lyncweb.contoso.com/ucwa/oauth/v1/applications"},"xframe":{"href":"https://lyncweb.contoso.com/Autodiscover/XFrame/XFrame.html"}}}



=== TEST 6: Bearer on root/user: the vendor XML user document
--- init
MobilityAD::with_token($block, 'alice@contoso.com');
--- request
GET /Autodiscover/AutodiscoverService.svc/root/user
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1
--- response_headers
Content-Type: application/vnd.microsoft.rtc.autodiscover+xml; v=1
--- response_body_filters eval
\&MobilityAD::xcanon
--- response_body eval
MobilityAD::xcanon(MobilityAD::vnd_xml('External', 'User',
    [$MobilityAD::SIP{internal}, $MobilityAD::SIP{external}],
    [MobilityAD::topology(),
     ['Self', "$MobilityAD::EXT$MobilityAD::ROOT/user"]]))
--- error_code: 200



=== TEST 7: X-MS-WebTicket: opaque=<token> on root/user
--- init
MobilityAD::with_token($block, 'alice@contoso.com', 'webticket');
--- request
GET /autodiscover/autodiscoverservice.svc/root/user
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1
--- response_body_filters eval
\&MobilityAD::xcanon
--- response_body eval
MobilityAD::xcanon(MobilityAD::vnd_xml('External', 'User',
    [$MobilityAD::SIP{internal}, $MobilityAD::SIP{external}],
    [MobilityAD::topology(),
     ['Self', "$MobilityAD::EXT$MobilityAD::ROOT/user"]]))
--- error_code: 200



=== TEST 8: X-MS-WebTicket is not a credential for oauth/user
--- init
MobilityAD::with_token($block, 'alice@contoso.com', 'webticket');
--- request
GET /autodiscover/autodiscoverservice.svc/root/oauth/user
--- response_headers
WWW-Authenticate: MsRtcOAuth href="https://lyncweb.contoso.com/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:anonmeeting,password"
--- error_code: 401



=== TEST 9: vendor JSON user document
--- init
MobilityAD::with_token($block, 'alice@contoso.com');
--- request
GET /Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+json;v=1
--- response_headers
Content-Type: application/vnd.microsoft.rtc.autodiscover+json; v=1
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
MobilityAD::jcanon(MobilityAD::vnd_json('External', 'User',
    [$MobilityAD::SIP{internal}, $MobilityAD::SIP{external}],
    [MobilityAD::topology(),
     ['Self', "$MobilityAD::EXT$MobilityAD::ROOT/user?originalDomain=contoso.com"]]))
--- error_code: 200



=== TEST 10: UCWA XML user resource
--- init
MobilityAD::with_token($block, 'alice@contoso.com');
--- request
GET /Autodiscover/AutodiscoverService.svc/root/oauth/user
--- more_headers
Accept: application/xml
--- response_headers
Content-Type: application/xml
--- response_body_filters eval
\&MobilityAD::xcanon
--- response_body eval
MobilityAD::xcanon(MobilityAD::ucwa_xml('user',
    "$MobilityAD::EXT$MobilityAD::ROOT/oauth/user",
    [['applications', "$MobilityAD::EXT/ucwa/oauth/v1/applications"],
     ['xframe', "$MobilityAD::EXT$MobilityAD::XFRAME"]]))
--- error_code: 200



=== TEST 11: the internal site: AccessLocation Internal, unprefixed links on the internal URL, Mcx still external
--- config
    mobility_https on;
    mobility_access internal;
    location ~* ^/autodiscover/ { mobility_autodiscover; }
    location = /WebTicket/oauthtoken { mobility_token; }
--- init
MobilityAD::with_token($block, 'alice@contoso.com');
--- request
GET /Autodiscover/AutodiscoverService.svc/root/user
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1
--- response_body_filters eval
\&MobilityAD::xcanon
--- response_body eval
MobilityAD::xcanon(MobilityAD::vnd_xml('Internal', 'User',
    [$MobilityAD::SIP{internal}, $MobilityAD::SIP{external}],
    [MobilityAD::topology(access => 'Internal'),
     ['Self', "$MobilityAD::INT$MobilityAD::ROOT/user"]]))
--- error_code: 200



=== TEST 12: mobility_mcx_exposure internal: Internal/Mcx on the internal URL
--- config
    mobility_https on;
    mobility_access internal;
    mobility_mcx_exposure internal;
    location ~* ^/autodiscover/ { mobility_autodiscover; }
    location = /WebTicket/oauthtoken { mobility_token; }
--- init
MobilityAD::with_token($block, 'alice@contoso.com');
--- request
GET /Autodiscover/AutodiscoverService.svc/root/user
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+json;v=1
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
MobilityAD::jcanon(MobilityAD::vnd_json('Internal', 'User',
    [$MobilityAD::SIP{internal}, $MobilityAD::SIP{external}],
    [MobilityAD::topology(access => 'Internal', mcx => 'internal'),
     ['Self', "$MobilityAD::INT$MobilityAD::ROOT/user"]]))
--- error_code: 200



=== TEST 13: no SIP access configured: no SipClient*Access elements
--- http_config
    mobility_server_fqdn fe1.contoso.com;
    mobility_web_external https://lyncweb.contoso.com;
    mobility_web_internal https://lyncwebint.contoso.net;
--- init
MobilityAD::with_token($block, 'alice@contoso.com');
--- request
GET /Autodiscover/AutodiscoverService.svc/root/user
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1
--- response_body_filters eval
\&MobilityAD::xcanon
--- response_body eval
MobilityAD::xcanon(MobilityAD::vnd_xml('External', 'User', [],
    [MobilityAD::topology(),
     ['Self', "$MobilityAD::EXT$MobilityAD::ROOT/user"]]))
--- error_code: 200



=== TEST 14: a user homed on another pool: 200 and only a Redirect
--- init
MobilityAD::with_token($block, 'bob@contoso.com');
--- request eval
["GET /Autodiscover/AutodiscoverService.svc/root/oauth/user",
 "GET /Autodiscover/AutodiscoverService.svc/root/user",
 "GET /Autodiscover/AutodiscoverService.svc/root/user",
 "GET /Autodiscover/AutodiscoverService.svc/root/oauth/user"]
--- more_headers eval
["Accept: application/json",
 "Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1",
 "Accept: application/vnd.microsoft.rtc.autodiscover+json;v=1",
 "Accept: application/xml"]
--- response_body_filters eval
\&MobilityAD::canon
--- response_body eval
my $to = "https://pool2.contoso.com/Autodiscover/AutodiscoverService.svc/root?originalDomain=contoso.com";
[MobilityAD::jcanon(MobilityAD::redirect_hal($to)),
 MobilityAD::xcanon(MobilityAD::vnd_xml('External', 'User', [],
                                        [['Redirect', $to]])),
 MobilityAD::jcanon(MobilityAD::vnd_json('External', 'User', [],
                                         [['Redirect', $to]])),
 MobilityAD::xcanon(MobilityAD::ucwa_xml('user',
    "$MobilityAD::EXT$MobilityAD::ROOT/oauth/user",
    [['redirect', $to]]))]
--- error_code eval
[200, 200, 200, 200]



=== TEST 15: homed on a pool nobody knows: 410 CannotRedirect
--- init
MobilityAD::with_token($block, 'carol@contoso.com');
--- request
GET /Autodiscover/AutodiscoverService.svc/root/oauth/user
--- response_headers
Content-Type: application/json
--- response_body_filters eval
sub { my $j = eval { JSON::PP::decode_json($_[0]) } or return "NOT JSON: $_[0]";
      CORE::join ',', map { "$_=" . (/message/ ? ($j->{$_} ? 'text' : '') : $j->{$_}) } sort keys %$j }
--- response_body chomp
code=Gone,message=text,subcode=CannotRedirect
--- error_code: 410



=== TEST 16: homed on this pool by name (any case): the user document
--- init
MobilityAD::with_token($block, 'erin@contoso.com');
--- request
GET /Autodiscover/AutodiscoverService.svc/root/oauth/user
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
MobilityAD::jcanon({ _links => {
    self => { href => "$MobilityAD::EXT$MobilityAD::ROOT/oauth/user" },
    applications => { href => "$MobilityAD::EXT/ucwa/oauth/v1/applications" },
    xframe => { href => "$MobilityAD::EXT$MobilityAD::XFRAME" } } })
--- error_code: 200



=== TEST 17: a valid token for a user no longer in the directory: 404, empty
--- init
Mobility::ctl_stdin("$MobilityAD::PW\n", 'user', 'add', 'gone@contoso.com',
                    '--password-stdin');
MobilityAD::with_token($block, 'gone@contoso.com');
Mobility::ctl('user', 'remove', 'gone@contoso.com');
--- request
GET /Autodiscover/AutodiscoverService.svc/root/oauth/user
--- response_body eval
""
--- error_code: 404



=== TEST 18: plain HTTP: a Redirect to the HTTPS user URL, never a 401
--- config
    mobility_https off;
    location ~* ^/autodiscover/ { mobility_autodiscover; }
--- request eval
["GET /Autodiscover/AutodiscoverService.svc/root/oauth/user?originalDomain=contoso.com",
 "GET /autodiscover/autodiscoverservice.svc/root/user"]
--- more_headers eval
["Accept: application/json",
 "Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1"]
--- response_body_filters eval
\&MobilityAD::canon
--- response_body eval
[MobilityAD::jcanon(MobilityAD::redirect_hal(
    "$MobilityAD::EXT$MobilityAD::ROOT/oauth/user?originalDomain=contoso.com")),
 MobilityAD::xcanon(MobilityAD::vnd_xml('External', 'User', [],
    [['Redirect', "$MobilityAD::EXT$MobilityAD::ROOT/user"]]))]
--- error_code eval
[200, 200]



=== TEST 19: POST to the user resource: 405
--- request
POST /Autodiscover/AutodiscoverService.svc/root/oauth/user
x=y
--- response_headers
Allow: GET, HEAD
--- error_code: 405
