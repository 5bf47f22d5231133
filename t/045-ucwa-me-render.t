# UCWA me written straight into the body (the hot GET, no jansson): the
# same bytes as the jansson rendering that batch parts still use, for
# users whose fields need JSON escaping, non-ASCII text, "tel:" phone
# numbers and numbers with no digits; the ETag is the body's.

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

ctl_stdin("$MobilityUcwa::Password\n", 'user', 'add', 'zoe@contoso.com',
          '--name', "Zo\x{c3}\x{ab} \"Q\" O'Hara \\ \x{f0}\x{9f}\x{98}\x{80}",
          '--email', 'zoe@contoso.com', '--title', 'R&D </script> 1/2',
          '--department', "Caf\x{c3}\x{a9} \x{e2}\x{82}\x{ac}",
          '--company', 'Contoso "Ltd"', '--office', 'B\\7',
          '--work-phone', 'tel:+14255550199;ext=12',
          '--mobile-phone', '+1 425-555-0111;ext=7',
          '--home-phone', '+44 (20) 7946 0000',
          '--password-stdin');

our $B = 'batch_me-render';

sub batch_me {
    my ($s) = @_;
    my $body = "--$B\r\nContent-Type: application/http; msgtype=request\r\n\r\n"
               . "GET $s->{app}/me HTTP/1.1\r\nHost: lyncweb.contoso.com\r\n"
               . "Accept: application/json\r\n\r\n--$B--\r\n";
    my ($st, undef, $b) = MobilityUcwa::ucwa($s, POST => '/batch',
        body => $body, type => "multipart/batching;boundary=$B");
    return undef unless $st == 200
        && $b =~ m{HTTP/1\.1 200 OK\r\n.*?\r\n\r\n(\{.*\})\r\n--batch}s;
    return $1;
}

ucwa_blocks($Store, { max_body => '64k' });

run_tests();

__DATA__

=== TEST 1: escaping, non-ASCII, phone numbers: byte-identical to the jansson rendering
--- init
my $S = MobilityUcwa::session('zoe');
my ($st, $h, $fast) = MobilityUcwa::ucwa($S, GET => '/me');
Test::More::is($st, 200, 'GET me');
my $slow = main::batch_me($S);
Test::More::ok(defined $slow, 'the same resource in a batch (jansson)');
Test::More::is($fast, $slow, 'byte-identical');
Test::More::like($fast, qr{^\{"name":"Zo\x{c3}\x{ab} \\"Q\\" O'Hara \\\\ \x{f0}\x{9f}\x{98}\x{80}","uri":"sip:zoe\@contoso\.com","emailAddresses":\["zoe\@contoso\.com"\],"title":"R&D </script> 1/2","department":"Caf\x{c3}\x{a9} \x{e2}\x{82}\x{ac}","company":"Contoso \\"Ltd\\"","officeLocation":"B\\\\7","workPhoneNumber":"tel:\+14255550199;ext=12","mobilePhoneNumber":"tel:\+14255550111;x=7","homePhoneNumber":"tel:\+442079460000","endpointUri":"sip:zoe\@contoso\.com;opaque=user:epid:[a-z0-9-]+;gruu","_links":\{}, 'escaped as jansson does');
Test::More::ok(JSON::PP->new->decode($fast), 'valid JSON');
my ($etag) = ($h->{etag}[0] // '') =~ /^"(\d+)"$/;
Test::More::ok($etag, 'an ETag');
MobilityUcwa::request($block, GET => "$S->{app}/me", token => $S->{token},
                      headers => ["If-None-Match: \"$etag\""]);
--- error_code: 304
--- no_error_log
[alert]



=== TEST 2: after makeMeAvailable, and the vnd+json type: still identical
--- init
my $S = MobilityUcwa::session('alice');
my ($st) = MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable', body => '{}');
Test::More::is($st, 204, 'makeMeAvailable');
my (undef, undef, $fast) = MobilityUcwa::ucwa($S, GET => '/me');
Test::More::is($fast, main::batch_me($S), 'byte-identical');
Test::More::like($fast, qr{"reportMyActivity":\{"href":"[^"]+/me/reportMyActivity"\}\},"rel":"me"\}$}, 'links of an available application');
MobilityUcwa::request($block, GET => "$S->{app}/me", token => $S->{token},
    headers => ['Accept: application/vnd.microsoft.com.ucwa+json']);
--- error_code: 200
--- response_headers
Content-Type: application/vnd.microsoft.com.ucwa+json; charset=utf-8
--- response_body_like eval
qr{^\{"name":"Alice Smith",.*"rel":"me"\}$}
--- no_error_log
[alert]



=== TEST 3: the /ucwa/v1 base path, before and after makeMeAvailable, on both workers: identical, and each application's own id and owner (owners and ids of the same lengths in turn)
--- init
my @U = qw(alice bob alice carol);
my @S = map { MobilityUcwa::session($_, base => '/ucwa/v1/applications') } @U;
for my $i (0 .. $#S) {
    my $S = $S[$i];
    my $owner = $U[$i];
    my ($id) = $S->{app} =~ m{^/ucwa/v1/applications/([a-z0-9]+-[0-9a-f]{16})$};
    Test::More::ok($id, "an application under /ucwa/v1: $S->{app}");
    for my $round (1 .. 2) {
        for my $try (1 .. 4) {
            my ($st, $h, $fast) = MobilityUcwa::ucwa($S, GET => '/me');
            Test::More::is($st, 200, "GET me ($round, $try)");
            Test::More::is($fast, main::batch_me($S), "byte-identical ($round, $try)");
            Test::More::like($fast, qr{"endpointUri":"sip:$owner\@contoso\.com;opaque=user:epid:$id;gruu","_links":\{"self":\{"href":"/ucwa/v1/applications/$id/me"\}}, "its endpointUri and self link ($round, $try)");
            Test::More::like($fast, qr{"photo":\{"href":"/ucwa/v1/applications/$id/photos/$owner\@contoso\.com"\}}, "its photo link ($round, $try)");
            Test::More::is(($fast =~ m{"/ucwa/v1/applications/$id/} ? 1 : 0) && !($fast =~ m{/applications/(?!$id/)}), 1, "no other application's id ($round, $try)");
            Test::More::unlike($fast, qr{(?<![a-z])(?!$owner\@)[a-z]+\@contoso\.com}, "no other owner ($round, $try)");
        }
        my ($st) = MobilityUcwa::ucwa($S, POST => '/me/makeMeAvailable', body => '{}');
        Test::More::is($st, 204, 'makeMeAvailable') if $round == 1;
    }
}
MobilityUcwa::request($block, GET => "$S[1]->{app}/me", token => $S[1]->{token});
--- error_code: 200
--- response_body_like eval
qr{^\{"name":"Bob [^"]*",.*"reportMyActivity":\{"href":"/ucwa/v1/applications/[a-z0-9]+-[0-9a-f]{16}/me/reportMyActivity"\}\},"rel":"me"\}$}
--- no_error_log
[alert]
