# UCWA batch (multipart/batching in and out, order, limits, what a batch
# may not hold) and UCWA XML for resources, errors and input.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityUcwa;

no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();

our $B = '77f2569d-c005-442b-b856-782305305e5f';

sub batch_body {
    my @parts = @_;
    my $body = '';
    for my $p (@parts) {
        $body .= "--$B\r\nContent-Type: application/http; msgtype=request\r\n\r\n"
                 . "$p\r\n";
    }
    return $body . "--$B--\r\n";
}

sub get_part {
    my ($path, $accept) = @_;
    return "GET $path HTTP/1.1\r\nHost: lyncweb.contoso.com\r\n"
           . "Accept: " . ($accept // 'application/json') . "\r\n";
}

sub post_part {
    my ($path, $json) = @_;
    return "POST $path HTTP/1.1\r\nHost: lyncweb.contoso.com\r\n"
           . "Content-Type: application/json\r\n"
           . "Content-Length: " . length($json) . "\r\n\r\n$json";
}

ucwa_blocks($Store, { max_body => '256k' });

run_tests();

__DATA__

=== TEST 1: a batch runs its parts in order and answers them in order
--- init
my $S = MobilityUcwa::session('alice');
MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable', body => '{}');
my $body = main::batch_body(main::get_part("$S->{app}/me"),
                            main::post_part("$S->{app}/me/note", '{"message":"from a batch"}'),
                            main::get_part("$S->{app}/me/note"),
                            main::get_part("https://lyncweb.contoso.com$S->{app}/policies"));
MobilityUcwa::request($block, POST => "$S->{app}/batch", token => $S->{token},
    body => $body, type => "multipart/batching;boundary=$main::B",
    headers => ["Content-Type: multipart/batching;boundary=$main::B",
                'Accept: multipart/batching']);
--- error_code: 200
--- response_headers_like
Content-Type: multipart/batching; boundary="(batch_[0-9a-f-]{36})"
--- response_body_like eval
qr{^--(batch_[0-9a-f-]{36})\r
Content-Type: application/http; msgtype=response\r
\r
HTTP/1.1 200 OK\r
Content-Type: application/json; charset=utf-8\r
Content-Length: \d+\r
\r
\{"name":"Alice Smith".*"rel":"me"\}\r
--\1\r
Content-Type: application/http; msgtype=response\r
\r
HTTP/1.1 204 No Content\r
Content-Length: 0\r
\r
\r
--\1\r
Content-Type: application/http; msgtype=response\r
\r
HTTP/1.1 200 OK\r
Content-Type: application/json; charset=utf-8\r
Content-Length: \d+\r
\r
\{"rel":"note","message":"from a batch","type":"Personal".*\}\r
--\1\r
Content-Type: application/http; msgtype=response\r
\r
HTTP/1.1 200 OK\r
Content-Type: application/json; charset=utf-8\r
Content-Length: \d+\r
\r
\{"rel":"policies",.*\}\r
--\1--\r
$}s
--- no_error_log
[alert]
[error]



=== TEST 2: no nested batch, photos, events or applications in a batch; XML parts
--- init
my $S = MobilityUcwa::session('alice');
my $body = main::batch_body(main::get_part("$S->{app}/events?ack=1"),
                            main::post_part("$S->{app}/batch", '{}'),
                            main::get_part("$S->{app}/photos/alice\@contoso.com"),
                            main::post_part('/ucwa/oauth/v1/applications', '{}'),
                            main::get_part("$S->{app}/me", 'application/vnd.microsoft.com.ucwa+xml'),
                            "garbage\r\n");
MobilityUcwa::request($block, POST => "$S->{app}/batch", token => $S->{token},
    body => $body, type => "multipart/batching; boundary=\"$main::B\"");
--- error_code: 200
--- response_body_like eval
qr{^(?:--batch_[^\r]+\r\nContent-Type: application/http; msgtype=response\r\n\r\nHTTP/1.1 400 Bad Request\r\n.*?){4}--batch_[^\r]+\r\nContent-Type: application/http; msgtype=response\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/vnd.microsoft.com.ucwa\+xml; charset=utf-8\r\n.*<resource xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa" rel="me".*--batch_[^\r]+\r\nContent-Type: application/http; msgtype=response\r\n\r\nHTTP/1.1 400 Bad Request\r\n.*--batch_[^\r]+--\r\n$}s



=== TEST 3: more than 100 parts: 429 and nothing runs
--- init
my $S = MobilityUcwa::session('alice');
MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable', body => '{}');
MobilityUcwa::ucwa($S, POST => '/me/note', body => '{"message":"before"}');
my $body = main::batch_body((main::post_part("$S->{app}/me/note", '{"message":"batched"}')) x 101);
my ($st, undef, $b) = MobilityUcwa::ucwa($S, POST => '/batch', body => $body,
                                         type => "multipart/batching;boundary=$main::B");
Test::More::is($st, 429, 'too many parts');
Test::More::like($b, qr/"code":"TooManyRequests"/, 'TooManyRequests');
MobilityUcwa::request($block, GET => "$S->{app}/me/note", token => $S->{token});
--- error_code: 200
--- response_body_like: "message":"before"



=== TEST 4: a batch that is not multipart/batching: 415; a broken one: 400
--- init
my $S = MobilityUcwa::session('alice');
my ($st) = MobilityUcwa::ucwa($S, POST => '/batch', body => '{}');
Test::More::is($st, 415, 'JSON batch: 415');
MobilityUcwa::request($block, POST => "$S->{app}/batch", token => $S->{token},
    body => "--$main::B\r\nno end", type => "multipart/batching;boundary=$main::B");
--- error_code: 400
--- response_body_like: "subcode":"DeserializationFailure"



=== TEST 5: errors in UCWA XML
--- init
my $S = MobilityUcwa::session('alice');
MobilityUcwa::request($block, GET => "$S->{app}/me/presence", token => $S->{token},
    headers => ['Accept: application/vnd.microsoft.com.ucwa+xml']);
--- error_code: 409
--- response_headers
Content-Type: application/vnd.microsoft.com.ucwa+xml; charset=utf-8
--- response_body
<?xml version="1.0" encoding="utf-8"?>
<reason xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa"><code>Conflict</code><subcode>MakeMeAvailableRequired</subcode><message>The application must call makeMeAvailable first.</message></reason>



=== TEST 6: XML input for operations and PUT, XML resources out
--- init
my $S = MobilityUcwa::session('alice');
my ($st) = MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable',
    type => 'application/vnd.microsoft.com.ucwa+xml',
    body => '<input xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa"><property name="signInAs">Busy</property><propertyList name="supportedMessageFormats"><item>Plain</item><item>Html</item></propertyList></input>');
Test::More::is($st, 204, 'makeMeAvailable in XML');
my ($st2, $h, $b) = MobilityUcwa::ucwa($S, GET => '/communication',
    accept => 'application/vnd.microsoft.com.ucwa+xml');
Test::More::like($b, qr{<propertyList name="supportedMessageFormats"><item>Plain</item><item>Html</item></propertyList>}, 'formats');
my ($guid) = $b =~ /<property name="([0-9a-f-]{36})">please pass this in a PUT request<\/property>/;
Test::More::ok($guid, 'the guard at a fixed place');
my $etag = $h->{etag}[0];
($st) = MobilityUcwa::ucwa($S, PUT => '/communication',
    type => 'application/vnd.microsoft.com.ucwa+xml', headers => ["If-Match: $etag"],
    body => qq{<resource rel="communication" xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa"><property name="$guid">please pass this in a PUT request</property><propertyList name="supportedMessageFormats"><item>Plain</item></propertyList></resource>});
Test::More::is($st, 204, 'PUT in XML');
MobilityUcwa::request($block, GET => "$S->{app}/me/presence", token => $S->{token},
    headers => ['Accept: application/xml']);
--- error_code: 200
--- response_body_like eval
qr{^<\?xml version="1.0" encoding="utf-8"\?>\n<resource xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa" rel="presence" href="/ucwa/oauth/v1/applications/[a-z0-9-]+/me/presence"><property name="availability">Busy</property><property name="activity">Busy</property></resource>\n$}



=== TEST 7: XML that is not well formed: 400
--- init
my $S = MobilityUcwa::session('alice');
MobilityUcwa::request($block, POST => "$S->{app}/me/makeMeAvailable", token => $S->{token},
    type => 'application/xml', body => '<input><property name="signInAs">Busy</input>');
--- error_code: 400
--- response_body_like: <subcode>DeserializationFailure</subcode>



=== TEST 8: an entity expansion bomb never expands
--- init
my $S = MobilityUcwa::session('alice');
my $bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><input><property name="signInAs">&lol3;</property></input>';
MobilityUcwa::request($block, POST => "$S->{app}/me/makeMeAvailable", token => $S->{token},
    type => 'application/xml', body => $bomb);
--- error_code: 400
--- no_error_log
[alert]
