# Autodiscover: the anonymous root resource.  Paths, the four
# representations and their negotiation by Accept, the SIP domain from
# sipuri / originalDomain / Host, the HTTP and hosting-provider
# redirects, bad input, and the headers every answer carries.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityAD;

no_shuffle();
no_long_string();
log_level('info');

our $Store = reset_store();
ctl('domain', 'add', 'contoso.com');

ad_blocks($Store);

run_tests();

__DATA__

=== TEST 1: lyncdiscover root, no Accept: HAL JSON, exact bytes
--- request
GET /
--- more_headers
Host: lyncdiscover.contoso.com
--- response_headers
Content-Type: application/json
Content-Length: 333
--- response_body chomp
{"_links":{"self":{"href":"https://lyncweb.contoso.com/Autodiscover/AutodiscoverService.svc/root?originalDomain=contoso.com"},"user":{"href":"https://lyncweb.contoso.com/Autodiscover/AutodiscoverService.svc/root/oauth/user?originalDomain=contoso.com"},"xframe":{"href":"https://lyncweb.contoso.com/Autodiscover/XFrame/XFrame.html"}}}
--- error_code: 200



=== TEST 2: sipe: vendor XML for sipuri=user@domain on /
--- request
GET /?sipuri=alice@contoso.com
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1
--- response_headers
Content-Type: application/vnd.microsoft.rtc.autodiscover+xml; v=1
--- response_body_filters eval
\&MobilityAD::xcanon
--- response_body eval
MobilityAD::xcanon(MobilityAD::vnd_xml('External', 'Root', [],
    [MobilityAD::root_links($MobilityAD::EXT, 'contoso.com')]))
--- response_body_like eval
qr/^<\?xml version="1\.0" encoding="utf-8"\?>\n<AutodiscoverResponse /
--- error_code: 200



=== TEST 3: spec URL, vendor JSON, Accept with a space before v=1
--- request
GET /autodiscover/autodiscoverservice.svc/root?originalDomain=contoso.com
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+json; v=1
--- response_headers
Content-Type: application/vnd.microsoft.rtc.autodiscover+json; v=1
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
MobilityAD::jcanon(MobilityAD::vnd_json('External', 'Root', [],
    [MobilityAD::root_links($MobilityAD::EXT, 'contoso.com')]))
--- error_code: 200



=== TEST 4: vendor JSON keeps the order of the links and escapes no '/'
--- request
GET /Autodiscover/AutodiscoverService.svc/root?originalDomain=contoso.com
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+json;v=1
--- response_body_like eval
qr{^\{"AccessLocation":"External","Root":\{"Links":\[\{"token":"Domain","href":"https://lyncweb\.contoso\.com/Autodiscover/AutodiscoverService\.svc/root/domain\?originalDomain=contoso\.com"\},\{"token":"User",.*\{"token":"XFrame","href":"https://lyncweb\.contoso\.com/Autodiscover/XFrame/XFrame\.html"\}\]\}\}$}
--- error_code: 200



=== TEST 5: UCWA XML for application/xml
--- request
GET /?sipuri=sip:alice@contoso.com
--- more_headers
Accept: application/xml
--- response_headers
Content-Type: application/xml
--- response_body_filters eval
\&MobilityAD::xcanon
--- response_body eval
MobilityAD::xcanon(MobilityAD::ucwa_xml('root',
    "$MobilityAD::EXT$MobilityAD::ROOT?originalDomain=contoso.com",
    [['user', "$MobilityAD::EXT$MobilityAD::ROOT/oauth/user?originalDomain=contoso.com"],
     ['xframe', "$MobilityAD::EXT$MobilityAD::XFRAME"]]))
--- error_code: 200



=== TEST 6: UCWA XML for the ucwa+xml type, echoed in Content-Type
--- request
GET /?originalDomain=contoso.com
--- more_headers
Accept: application/vnd.microsoft.com.ucwa+xml
--- response_headers
Content-Type: application/vnd.microsoft.com.ucwa+xml
--- response_body_filters eval
\&MobilityAD::xcanon
--- response_body eval
MobilityAD::xcanon(MobilityAD::ucwa_xml('root',
    "$MobilityAD::EXT$MobilityAD::ROOT?originalDomain=contoso.com",
    [['user', "$MobilityAD::EXT$MobilityAD::ROOT/oauth/user?originalDomain=contoso.com"],
     ['xframe', "$MobilityAD::EXT$MobilityAD::XFRAME"]]))
--- error_code: 200



=== TEST 7: the C# client's browser-like Accept gets HAL
--- request
GET /?originalDomain=contoso.com
--- more_headers
Accept: text/html, application/xhtml+xml, */*
--- response_headers
Content-Type: application/json
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
MobilityAD::jcanon(MobilityAD::root_hal($MobilityAD::EXT, 'contoso.com'))



=== TEST 8: */* gets HAL
--- request
GET /?originalDomain=contoso.com
--- more_headers
Accept: */*
--- response_headers
Content-Type: application/json
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
MobilityAD::jcanon(MobilityAD::root_hal($MobilityAD::EXT, 'contoso.com'))



=== TEST 9: explicit application/json
--- request
GET /?originalDomain=contoso.com
--- more_headers
Accept: application/json
--- response_headers
Content-Type: application/json
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
MobilityAD::jcanon(MobilityAD::root_hal($MobilityAD::EXT, 'contoso.com'))



=== TEST 10: q=0 makes the vendor XML not acceptable
--- request
GET /?originalDomain=contoso.com
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1;q=0, application/json
--- response_headers
Content-Type: application/json



=== TEST 11: q=0 alone falls back to HAL
--- request
GET /?originalDomain=contoso.com
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+xml; q=0.000
--- response_headers
Content-Type: application/json



=== TEST 12: the highest q wins
--- request
GET /?originalDomain=contoso.com
--- more_headers
Accept: application/json;q=0.5, application/vnd.microsoft.rtc.autodiscover+xml;v=1;q=0.8, */*;q=0.1
--- response_headers
Content-Type: application/vnd.microsoft.rtc.autodiscover+xml; v=1



=== TEST 13: equal q: the first named wins
--- request
GET /?originalDomain=contoso.com
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+json;v=1;q=0.9, application/xml;q=0.9
--- response_headers
Content-Type: application/vnd.microsoft.rtc.autodiscover+json; v=1



=== TEST 14: media types match case-insensitively
--- request
GET /?originalDomain=contoso.com
--- more_headers
Accept: Application/VND.Microsoft.RTC.Autodiscover+XML ; V=1
--- response_headers
Content-Type: application/vnd.microsoft.rtc.autodiscover+xml; v=1



=== TEST 15: a malformed Accept gets HAL
--- request eval
["GET /?originalDomain=contoso.com", "GET /?originalDomain=contoso.com",
 "GET /?originalDomain=contoso.com", "GET /?originalDomain=contoso.com"]
--- more_headers eval
["Accept: application/vnd.microsoft.rtc.autodiscover+xml;q=high",
 "Accept: application/vnd.microsoft.rtc.autodiscover+xml;q=2",
 "Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=\"1",
 "Accept: application/xml, ;;/json"]
--- response_headers eval
["Content-Type: application/json", "Content-Type: application/json",
 "Content-Type: application/json", "Content-Type: application/json"]
--- error_code eval
[200, 200, 200, 200]



=== TEST 16: no domain anywhere: a root without originalDomain
--- request
GET /autodiscover/autodiscoverservice.svc/root
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
MobilityAD::jcanon(MobilityAD::root_hal($MobilityAD::EXT))
--- error_code: 200



=== TEST 17: sipuri with sip: and %40, unknown parameters ignored
--- request
GET /?foo=bar&SIPURI=sip%3Aalice%40Contoso.COM&x
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1
--- response_body_filters eval
\&MobilityAD::xcanon
--- response_body eval
MobilityAD::xcanon(MobilityAD::vnd_xml('External', 'Root', [],
    [MobilityAD::root_links($MobilityAD::EXT, 'contoso.com')]))



=== TEST 18: sipuri without a domain (sip:user): originalDomain decides
--- request
GET /?sipuri=sip:alice&originalDomain=contoso.com
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
MobilityAD::jcanon(MobilityAD::root_hal($MobilityAD::EXT, 'contoso.com'))



=== TEST 19: lyncdiscoverinternal host, internal site
--- config
    mobility_https on;
    mobility_access internal;
    location = / { mobility_autodiscover; }
--- request
GET /
--- more_headers
Host: LyncDiscoverInternal.contoso.com
Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1
--- response_body_filters eval
\&MobilityAD::xcanon
--- response_body eval
MobilityAD::xcanon(MobilityAD::vnd_xml('Internal', 'Root', [],
    [MobilityAD::root_links($MobilityAD::INT, 'contoso.com')]))



=== TEST 20: paths match case-insensitively, with a trailing slash too
--- request eval
["GET /AUTODISCOVER/AutoDiscoverService.SVC/ROOT?originalDomain=contoso.com",
 "GET /autodiscover/autodiscoverservice.svc/Root/?originalDomain=contoso.com"]
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
[MobilityAD::jcanon(MobilityAD::root_hal($MobilityAD::EXT, 'contoso.com')),
 MobilityAD::jcanon(MobilityAD::root_hal($MobilityAD::EXT, 'contoso.com'))]



=== TEST 21: the same root twice (the second from the cache), exact bytes
--- request eval
["GET /?originalDomain=contoso.com", "GET /?originalDomain=contoso.com"]
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1
--- response_body eval
my $x = MobilityAD::vnd_xml('External', 'Root', [],
    [MobilityAD::root_links($MobilityAD::EXT, 'contoso.com')]);
# the bytes libxml2 writes: a line break after the declaration and at
# the end
$x =~ s/\?><Auto/?>\n<Auto/;
["$x\n", "$x\n"]



=== TEST 22: plain HTTP: 200 and a Redirect to HTTPS, query kept
--- config
    mobility_https off;
    location = / { mobility_autodiscover; }
--- request
GET /?sipuri=alice@contoso.com&x=%22y%22
--- more_headers
Host: lyncdiscover.contoso.com
Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1
--- response_headers
Content-Type: application/vnd.microsoft.rtc.autodiscover+xml; v=1
--- response_body_filters eval
\&MobilityAD::xcanon
--- response_body eval
MobilityAD::xcanon(MobilityAD::vnd_xml('External', 'Root', [],
    [['Redirect', "$MobilityAD::EXT$MobilityAD::ROOT?sipuri=alice\@contoso.com&x=%22y%22"]]))
--- error_code: 200



=== TEST 23: plain HTTP on a lyncdiscover host, no query: the domain goes along
--- config
    mobility_https off;
    location = / { mobility_autodiscover; }
--- request eval
["GET /", "GET /?x=1"]
--- more_headers
Host: lyncdiscover.contoso.com
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
[MobilityAD::jcanon(MobilityAD::redirect_hal(
    "$MobilityAD::EXT$MobilityAD::ROOT?originalDomain=contoso.com")),
 MobilityAD::jcanon(MobilityAD::redirect_hal(
    "$MobilityAD::EXT$MobilityAD::ROOT?x=1&originalDomain=contoso.com"))]
--- error_code eval
[200, 200]



=== TEST 24: plain HTTP, HAL: only _links.redirect
--- config
    location ~* ^/autodiscover/ { mobility_autodiscover; }
--- request
GET /Autodiscover/AutodiscoverService.svc/root?originalDomain=contoso.com
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
MobilityAD::jcanon(MobilityAD::redirect_hal(
    "$MobilityAD::EXT$MobilityAD::ROOT?originalDomain=contoso.com"))
--- error_code: 200



=== TEST 25: plain HTTP on the internal site: internal URL, raw bytes escaped
--- config
    mobility_access internal;
    location = / { mobility_autodiscover; }
--- raw_request eval
"GET /?sipuri=alice\@contoso.com&n=\xc3\xa9<b> HTTP/1.0\r\nAccept: application/vnd.microsoft.rtc.autodiscover+json;v=1\r\n\r\n"
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
MobilityAD::jcanon(MobilityAD::vnd_json('Internal', 'Root', [],
    [['Redirect', "$MobilityAD::INT$MobilityAD::ROOT?sipuri=alice\@contoso.com&n=%C3%A9%3Cb%3E"]]))
--- error_code: 200



=== TEST 26: a domain not served here: Redirect to the hosting provider
--- extra_http_config
    mobility_hosting_provider https://webdir.online.lync.com/autodiscover/autodiscoverservice.svc/root;
--- request eval
["GET /?sipuri=bob\@fabrikam.com", "GET /?sipuri=bob\@fabrikam.com"]
--- more_headers eval
["Accept: application/json",
 "Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1"]
--- response_body_filters eval
\&MobilityAD::canon
--- response_body eval
[MobilityAD::jcanon(MobilityAD::redirect_hal(
    "https://webdir.online.lync.com/autodiscover/autodiscoverservice.svc/root?originalDomain=fabrikam.com")),
 MobilityAD::xcanon(MobilityAD::vnd_xml('External', 'Root', [],
    [['Redirect', "https://webdir.online.lync.com/autodiscover/autodiscoverservice.svc/root?originalDomain=fabrikam.com"]]))]
--- error_code eval
[200, 200]



=== TEST 27: a domain not served, no hosting provider: 404, empty
--- request
GET /
--- more_headers
Host: lyncdiscover.fabrikam.com
--- response_body eval
""
--- error_code: 404



=== TEST 28: an impossible domain is not served either
--- request
GET /?originalDomain=not_a..domain
--- response_body eval
""
--- error_code: 404



=== TEST 29: an absurdly long sipuri: 400 ParameterValidationFailure
--- request eval
"GET /?sipuri=" . ("a" x 300) . "\@contoso.com"
--- response_headers
Content-Type: application/json
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body_like eval
qr/"code" : "BadRequest",\s+"message" : "[^"]+",\s+"subcode" : "ParameterValidationFailure"/
--- error_code: 400



=== TEST 30: a very long raw sipuri: 400, no crash
--- request eval
"GET /?sipuri=" . ("%41" x 2000) . "\@contoso.com"
--- response_body_like eval
qr/"subcode":"ParameterValidationFailure"/
--- error_code: 400



=== TEST 31: a sipuri that is not UTF-8: 400
--- request
GET /?sipuri=al%FFce@contoso.com
--- response_body_like eval
qr/^\{"code":"BadRequest","subcode":"ParameterValidationFailure","message":"[^"]+"\}$/
--- error_code: 400



=== TEST 32: overlong UTF-8 and controls in originalDomain: 400
--- request eval
["GET /?originalDomain=%C0%AEcontoso.com", "GET /?originalDomain=contoso.com%0A"]
--- response_body_like eval
[qr/ParameterValidationFailure/, qr/ParameterValidationFailure/]
--- error_code eval
[400, 400]



=== TEST 33: POST: 405 with Allow
--- request
POST /autodiscover/autodiscoverservice.svc/root
sipuri=alice@contoso.com
--- response_headers
Allow: GET, HEAD
Content-Type: application/json
--- response_body_like eval
qr/"code":"MethodNotAllowed"/
--- error_code: 405



=== TEST 34: HEAD: the headers of GET, no body
--- request
HEAD /?originalDomain=contoso.com
--- response_headers
Content-Type: application/json
Content-Length: 333
--- response_body eval
""
--- error_code: 200



=== TEST 35: other paths under the handler: 404
--- request eval
["GET /autodiscover/autodiscoverservice.svc/rootx",
 "GET /autodiscover/autodiscoverservice.svc",
 "GET /Autodiscover/AutodiscoverService.svc/root/user/redirect"]
--- response_body eval
["", "", ""]
--- error_code eval
[404, 404, 404]



=== TEST 36: a root cached before a domain is added is not served stale
--- extra_http_config
    mobility_hosting_provider https://webdir.online.lync.com/autodiscover/autodiscoverservice.svc/root;
--- init
MobilityAD::wait_server();
my ($s, undef, $b) = Mobility::http('GET', '/?sipuri=bob@fabrikam.com');
die "warm-up: $s $b" unless $s == 200 && $b =~ /redirect/;
Mobility::ctl('domain', 'add', 'fabrikam.com');
--- request
GET /?sipuri=bob@fabrikam.com
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
MobilityAD::jcanon(MobilityAD::root_hal($MobilityAD::EXT, 'fabrikam.com'))
--- error_code: 200



=== TEST 37: a location with an "if" block: same answer, cached too
--- config
    mobility_https on;
    location = / {
        if ($arg_trace) {
            add_header X-Trace on;
        }
        mobility_autodiscover;
    }
--- request eval
["GET /?trace=1&originalDomain=contoso.com",
 "GET /?trace=1&originalDomain=contoso.com"]
--- response_headers eval
["X-Trace: on", "X-Trace: on"]
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
[MobilityAD::jcanon(MobilityAD::root_hal($MobilityAD::EXT, 'contoso.com')),
 MobilityAD::jcanon(MobilityAD::root_hal($MobilityAD::EXT, 'contoso.com'))]
