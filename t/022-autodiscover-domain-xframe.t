# Autodiscover: the anonymous domain resource and the XFrame page (the
# postMessage bridge of browser UCWA applications), whose script is run
# under node, when there is one, against a fake window and XHR.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityAD;

no_shuffle();
no_long_string();
log_level('info');

our $Store = reset_store();
ctl('domain', 'add', 'contoso.com');

our $NoNode = system('node --version > /dev/null 2>&1') != 0;

ad_blocks($Store);


# the page's allow-list, decoded, one origin a line; "RAW &" if the
# script text holds a raw "&", "<" or ">"
sub allowed {
    my ($list) = $_[0] =~ /\bvar allowed = (\[[^\]]*\]);/
        or return "NO ALLOW-LIST: $_[0]";
    my $raw = $list =~ /[&<>]/ ? "RAW &<>\n" : '';
    return $raw . join('', map { "$_\n" } @{ JSON::PP::decode_json($list) });
}


# runs the page's script under node with a fake window, location and
# XMLHttpRequest; the harness prints what the page did
our $Harness = <<'_JS_';
var listeners = [], xhrs = [];
var window = {
    addEventListener: function (type, f) {
        if (type === "message") { listeners.push(f); }
    }
};
var location = {
    href: "https://lyncweb.contoso.com/Autodiscover/XFrame/XFrame.html",
    origin: "https://lyncweb.contoso.com"
};
function XMLHttpRequest() { this.headers = {}; xhrs.push(this); }
XMLHttpRequest.prototype.open = function (m, u, a) {
    this.method = m; this.url = u; this.async = a;
};
XMLHttpRequest.prototype.setRequestHeader = function (k, v) {
    if (/\s/.test(k)) { throw new Error("bad header name " + k); }
    this.headers[k] = v;
};
XMLHttpRequest.prototype.send = function (b) { this.body = b; };
XMLHttpRequest.prototype.getAllResponseHeaders = function () {
    return "Content-Type: application/json\r\nX-Ms-Diag: 1\r\n";
};
function post(origin, req) {
    listeners.forEach(function (f) {
        f({ origin: origin, data: JSON.stringify(req), source: {
            postMessage: function (data, to) {
                console.log("reply to " + to + " " + data);
            } } });
    });
}
function show(x) {
    var k, h = [];
    for (k in x.headers) { h.push(k + ": " + x.headers[k]); }
    console.log(x.method + " " + x.url + " async=" + x.async
                + " credentials=" + !!x.withCredentials
                + " body=" + JSON.stringify(x.body));
    console.log(h.sort().join(" | "));
}
function done(x, status, text, body) {
    x.readyState = 4; x.status = status; x.statusText = text;
    x.responseText = body; x.onreadystatechange();
}
/*PAGE*/
post("https://app.fabrikam.com", {
    url: "/ucwa/oauth/v1/applications", type: "get",
    accepts: "application/json", headers: { Authorization: "Bearer cwt=x" },
    xhrFields: { withCredentials: true }, messageId: { id: 7 } });
show(xhrs[0]);
done(xhrs[0], 200, "OK", "{\"a\":1}");
post("https://evil.example", { url: "/ucwa/x", messageId: 8 });
console.log("requests " + xhrs.length);
post("https://app.fabrikam.com", { url: "https://evil.example/x",
                                   messageId: 9 });
console.log("requests " + xhrs.length);
post("https://app.fabrikam.com", {
    url: "https://lyncweb.contoso.com/ucwa/oauth/v1/applications",
    type: "post", contentType: "application/json",
    data: "{\"UserAgent\":\"t\"}", messageId: 10 });
show(xhrs[1]);
done(xhrs[1], 201, "Created", "");
post("https://app.fabrikam.com", { url: "/ucwa/y", type: "GET",
    data: { a: "b c" }, cache: false, messageId: 11 });
console.log(xhrs[2].url.replace(/_=\d+$/, "_=N"));
post("https://app.fabrikam.com", { url: "/ucwa/z",
    headers: { "Bad Name": "x" }, messageId: 12 });
_JS_

sub run_page {
    my ($script) = $_[0] =~ m{<script>\r?\n(.*)</script>}s
        or return "NO SCRIPT: $_[0]";
    (my $js = $Harness) =~ s{/\*PAGE\*/}{$script};
    my $file = "$Test::Nginx::Util::ServRoot/logs/xframe-harness.js";
    open my $fh, '>', $file or return "open $file: $!";
    print $fh $js;
    close $fh;
    my $out = `node $file 2>&1`;
    return $out;
}

run_tests();

__DATA__

=== TEST 1: domain resource, vendor XML
--- request
GET /Autodiscover/AutodiscoverService.svc/root/domain?originalDomain=contoso.com
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1
--- response_headers
Content-Type: application/vnd.microsoft.rtc.autodiscover+xml; v=1
--- response_body_filters eval
\&MobilityAD::xcanon
--- response_body eval
MobilityAD::xcanon(MobilityAD::vnd_xml('External', 'Domain',
    [$MobilityAD::SIP{internal}, $MobilityAD::SIP{external}],
    [MobilityAD::topology(),
     ['Self', "$MobilityAD::EXT$MobilityAD::ROOT/domain?originalDomain=contoso.com"]]))
--- error_code: 200



=== TEST 2: domain resource, vendor JSON, internal site
--- config
    mobility_https on;
    mobility_access internal;
    location ~* ^/autodiscover/ { mobility_autodiscover; }
--- request
GET /autodiscover/autodiscoverservice.svc/root/domain
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+json;v=1
--- response_headers
Content-Type: application/vnd.microsoft.rtc.autodiscover+json; v=1
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
MobilityAD::jcanon(MobilityAD::vnd_json('Internal', 'Domain',
    [$MobilityAD::SIP{internal}, $MobilityAD::SIP{external}],
    [MobilityAD::topology(access => 'Internal'),
     ['Self', "$MobilityAD::INT$MobilityAD::ROOT/domain"]]))
--- error_code: 200



=== TEST 3: domain resource, HAL and UCWA XML
--- request eval
["GET /Autodiscover/AutodiscoverService.svc/root/domain?originalDomain=contoso.com",
 "GET /Autodiscover/AutodiscoverService.svc/root/domain?originalDomain=contoso.com"]
--- more_headers eval
["", "Accept: application/xml"]
--- response_headers eval
["Content-Type: application/json", "Content-Type: application/xml"]
--- response_body_filters eval
\&MobilityAD::canon
--- response_body eval
my $q = "?originalDomain=contoso.com";
[MobilityAD::jcanon({ _links => {
    self => { href => "$MobilityAD::EXT$MobilityAD::ROOT/domain$q" },
    user => { href => "$MobilityAD::EXT$MobilityAD::ROOT/oauth/user$q" },
    xframe => { href => "$MobilityAD::EXT$MobilityAD::XFRAME" } } }),
 MobilityAD::xcanon(MobilityAD::ucwa_xml('domain',
    "$MobilityAD::EXT$MobilityAD::ROOT/domain$q",
    [['user', "$MobilityAD::EXT$MobilityAD::ROOT/oauth/user$q"],
     ['xframe', "$MobilityAD::EXT$MobilityAD::XFRAME"]]))]
--- error_code eval
[200, 200]



=== TEST 4: domain resource: always 200, even for a domain not served
--- request
GET /Autodiscover/AutodiscoverService.svc/root/domain?sipuri=bob@fabrikam.com
--- more_headers
Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1
--- response_body_filters eval
\&MobilityAD::xcanon
--- response_body eval
MobilityAD::xcanon(MobilityAD::vnd_xml('External', 'Domain',
    [$MobilityAD::SIP{internal}, $MobilityAD::SIP{external}],
    [MobilityAD::topology(),
     ['Self', "$MobilityAD::EXT$MobilityAD::ROOT/domain?originalDomain=fabrikam.com"]]))
--- error_code: 200



=== TEST 5: domain resource over plain HTTP: the document (nothing to protect)
--- config
    mobility_https off;
    location ~* ^/autodiscover/ { mobility_autodiscover; }
--- request
GET /Autodiscover/AutodiscoverService.svc/root/domain
--- response_body_filters eval
\&MobilityAD::jcanon
--- response_body eval
MobilityAD::jcanon({ _links => {
    self => { href => "$MobilityAD::EXT$MobilityAD::ROOT/domain" },
    user => { href => "$MobilityAD::EXT$MobilityAD::ROOT/oauth/user" },
    xframe => { href => "$MobilityAD::EXT$MobilityAD::XFRAME" } } })
--- error_code: 200



=== TEST 6: domain resource, bad sipuri: 400
--- request
GET /Autodiscover/AutodiscoverService.svc/root/domain?sipuri=%E2%28%A1@contoso.com
--- response_body_like eval
qr/ParameterValidationFailure/
--- error_code: 400



=== TEST 7: the XFrame page on each of its paths
--- request eval
["GET /xframe", "GET /Autodiscover/XFrame/XFrame.html",
 "GET /autodiscover/xframe/xframe.html",
 "GET /Autodiscover/AutodiscoverService.svc/root/xframe"]
--- response_headers eval
["Content-Type: text/html; charset=utf-8",
 "Content-Type: text/html; charset=utf-8",
 "Content-Type: text/html; charset=utf-8",
 "Content-Type: text/html; charset=utf-8"]
--- response_body_like eval
[qr{^<!DOCTYPE html>.*<script>.*addEventListener\("message".*</script></body></html>\r\n$}s,
 qr{postMessage}, qr{X-Ms-Origin}, qr{X-Requested-With}]
--- error_code eval
[200, 200, 200, 200]



=== TEST 8: the allow-list is embedded, escaped for a <script>
--- http_config eval
$MobilityAD::HTTP_CONFIG . <<'_EOC_'
    mobility_allow_origin https://app.fabrikam.com;
    mobility_allow_origin "https://a&b.example" https://Tools.Contoso.com:8443;
_EOC_
--- request
GET /xframe
--- response_body_filters eval
\&main::allowed
--- response_body
https://app.fabrikam.com
https://a&b.example
https://Tools.Contoso.com:8443
--- error_code: 200



=== TEST 9: no allow-list: nobody
--- request
GET /Autodiscover/XFrame/XFrame.html
--- response_body_filters eval
\&main::allowed
--- response_body eval
""
--- error_code: 200



=== TEST 10: a location's own allow-list
--- config
    mobility_https on;
    location = /xframe {
        mobility_allow_origin https://only.here.example;
        mobility_autodiscover;
    }
--- request
GET /xframe
--- response_body_filters eval
\&main::allowed
--- response_body
https://only.here.example
--- error_code: 200



=== TEST 11: the bridge at work (node): allow-list, same-origin XHR, replies to the sender's origin only
--- skip_eval: 1: $main::NoNode
--- http_config eval
$MobilityAD::HTTP_CONFIG . <<'_EOC_'
    mobility_allow_origin https://APP.fabrikam.com/;
_EOC_
--- request
GET /Autodiscover/XFrame/XFrame.html
--- response_body_filters eval
\&main::run_page
--- response_body
GET https://lyncweb.contoso.com/ucwa/oauth/v1/applications async=true credentials=true body=null
Accept: application/json | Authorization: Bearer cwt=x | X-Ms-Origin: https://app.fabrikam.com | X-Requested-With: XMLHttpRequest
reply to https://app.fabrikam.com {"status":200,"statusText":"OK","responseText":"{\"a\":1}","headers":"Content-Type: application/json\r\nX-Ms-Diag: 1\r\n","messageId":{"id":7}}
requests 1
reply to https://app.fabrikam.com {"status":0,"statusText":"Cross-origin URL refused","responseText":"","headers":"","messageId":9}
requests 1
POST https://lyncweb.contoso.com/ucwa/oauth/v1/applications async=true credentials=false body="{\"UserAgent\":\"t\"}"
Content-Type: application/json | X-Ms-Origin: https://app.fabrikam.com | X-Requested-With: XMLHttpRequest
reply to https://app.fabrikam.com {"status":201,"statusText":"Created","responseText":"","headers":"Content-Type: application/json\r\nX-Ms-Diag: 1\r\n","messageId":10}
https://lyncweb.contoso.com/ucwa/y?a=b%20c&_=N
reply to https://app.fabrikam.com {"status":0,"statusText":"bad header name Bad Name","responseText":"","headers":"","messageId":12}
--- error_code: 200



=== TEST 12: POST to the XFrame page: 405
--- request
POST /xframe
a=b
--- response_headers
Allow: GET, HEAD
--- error_code: 405
