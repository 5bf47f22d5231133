# UCWA people: search over the directory (the user_search index kept by
# the CLI, rebuilt for an older store), the contact resources and their
# presence, note, location and supportedMedia.

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

ctl_stdin("$MobilityUcwa::Password\n", 'user', 'add', 'ann@contoso.com',
          '--name', 'Ann Lee-Smith', '--email', 'ann.lee@fabrikam.com',
          '--department', 'Sales', '--mobile-phone', '+44 20 7946 0958',
          '--password-stdin');
ctl_stdin("$MobilityUcwa::Password\n", 'user', 'add', 'annette@contoso.com',
          '--name', 'Annette Brown', '--password-stdin');
ctl_stdin("$MobilityUcwa::Password\n", 'user', 'add', 'zoe@contoso.com',
          '--name', 'Zoe Ann', '--disabled', '--password-stdin');
for my $i (1 .. 12) {
    ctl_stdin("$MobilityUcwa::Password\n", 'user', 'add',
              "tester$i\@contoso.com", '--name', "Tester Number$i",
              '--password-stdin');
}

# an index written before "search_index" was recorded: rebuilt on open
system("printf 'search_index\\n\\\\00\\\\00\\\\00\\\\00\\n' "
       . "| mdb_load -T -s meta $Store") == 0 or die "mdb_load failed";

sub search {
    my ($s, $q) = @_;
    my ($st, undef, $b) = MobilityUcwa::ucwa($s, GET => "/people/search?$q");
    return ($st, MobilityUcwa::decode($b), $b);
}

sub uris {
    my $j = shift;
    return join ',', map { $_->{uri} } @{ $j->{_embedded}{contact} // [] };
}

ucwa_blocks($Store);

run_tests();

__DATA__

=== TEST 1: the index of an older store was rebuilt; search by a name prefix (disabled users are not found)
--- init
my $out = `mdb_dump -p -s meta $main::Store`;
Test::More::like($out, qr/ search_index\n \\01\\00\\00\\00/, 'index version recorded');
my $S = MobilityUcwa::session('alice');
MobilityUcwa::request($block, GET => "$S->{app}/people/search?query=ann",
                      token => $S->{token});
--- error_code: 200
--- response_body_like eval
qr{^\{"_links":\{"self":\{"href":"(/ucwa/oauth/v1/applications/[a-z0-9-]+)/people/search"\}\},"moreResultsAvailable":false,"_embedded":\{"contact":\[\{"uri":"sip:ann\@contoso.com","name":"Ann Lee-Smith","type":"User","sourceNetwork":"SameEnterprise","emailAddresses":\["ann.lee\@fabrikam.com"\],"department":"Sales","mobilePhoneNumber":"tel:\+442079460958","etag":"\d+","_links":\{"self":\{"href":"\1/people/ann\@contoso.com"\},"contactPhoto":\{"href":"\1/photos/ann\@contoso.com"\},"contactPresence":\{"href":"\1/people/ann\@contoso.com/presence"\},"contactLocation":\{"href":"\1/people/ann\@contoso.com/location"\},"contactNote":\{"href":"\1/people/ann\@contoso.com/note"\},"contactSupportedModalities":\{"href":"\1/people/ann\@contoso.com/supportedMedia"\},"contactPrivacyRelationship":\{"href":"\1/people/ann\@contoso.com/privacyRelationship"\}\},"rel":"contact"\},\{"uri":"sip:annette\@contoso.com","name":"Annette Brown",.*"rel":"contact"\}\],"distributionGroup":\[\]\},"rel":"search"\}$}
--- no_error_log
[alert]



=== TEST 2: every word is a prefix (any order, case), e-mail, SIP address, phone digits
--- init
my $S = MobilityUcwa::session('alice');
my @cases = (
    ['query=SMITH%20ann', 'sip:ann@contoso.com'],
    ['query=lee+smi', 'sip:ann@contoso.com'],
    ['query=brown', 'sip:annette@contoso.com'],
    ['query=ann.lee%40fabrikam.com', 'sip:ann@contoso.com'],
    ['query=ann.lee', 'sip:ann@contoso.com'],
    ['query=sip:bob%40contoso.com', 'sip:bob@contoso.com'],
    ['query=BOB@contoso', 'sip:bob@contoso.com'],
    ['query=%2B1%20(425)%20555', 'sip:alice@contoso.com'],
    ['query=4420794', 'sip:ann@contoso.com'],
    ['query=tel:%2B14255550100', 'sip:alice@contoso.com'],
    ['query=kelly', 'sip:bob@contoso.com'],
    ['query=ann+kelly', ''],
    ['query=zoe', ''],
    ['query=nobody', ''],
    ['query=%20%20', undef],
);
for my $c (@cases) {
    my ($st, $j) = main::search($S, $c->[0]);
    if (!defined $c->[1]) {
        Test::More::is($st, 400, "$c->[0]: 400");
        next;
    }
    Test::More::is($st, 200, "$c->[0]: 200");
    Test::More::is(main::uris($j), $c->[1], "$c->[0]: found");
}
MobilityUcwa::request($block, GET => "$S->{app}/people/search?query=Tester&limit=5",
                      token => $S->{token});
--- error_code: 200
--- response_body_like: ^\{"_links":\{[^}]+\}\},"moreResultsAvailable":true,"_embedded":\{"contact":\[(\{"uri":"sip:tester\d+\@contoso.com".*){5}\],"distributionGroup":\[\]\},"rel":"search"\}$



=== TEST 3: limit 1..100 (default 100), moreResultsAvailable
--- init
my $S = MobilityUcwa::session('bob');
my ($st, $j) = main::search($S, 'query=tester');
Test::More::is(scalar @{ $j->{_embedded}{contact} }, 12, 'all twelve');
Test::More::ok(!$j->{moreResultsAvailable}, 'no more');
($st, $j) = main::search($S, 'query=tester&limit=12');
Test::More::is(scalar @{ $j->{_embedded}{contact} }, 12, 'limit 12');
Test::More::ok(!$j->{moreResultsAvailable}, 'exactly');
($st, $j) = main::search($S, 'query=tester&limit=11');
Test::More::ok($j->{moreResultsAvailable}, 'limit 11: more');
($st, $j) = main::search($S, 'query=number1');
Test::More::is(main::uris($j), join(',', map { "sip:tester$_\@contoso.com" } 1, 10, 11, 12), 'prefix of a word');
for my $l (0, 101, 'x', -1) {
    ($st, $j) = main::search($S, "query=a&limit=$l");
    Test::More::is($st, 400, "limit=$l: 400");
    Test::More::is($j->{subcode}, 'ParameterValidationFailure', "limit=$l: subcode");
    Test::More::is_deeply($j->{parameters}, ['limit'], "limit=$l: parameter");
}
($st, $j) = main::search($S, 'query=' . ('a' x 256));
Test::More::is($st, 200, '256 characters');
($st, $j) = main::search($S, 'limit=3');
Test::More::is($st, 400, 'no query');
MobilityUcwa::request($block, GET => "$S->{app}/people/search?query=" . ('a' x 257),
                      token => $S->{token});
--- error_code: 400
--- response_body chomp
{"code":"BadRequest","subcode":"ParameterValidationFailure","message":"The query is longer than 256 characters.","parameters":["query"]}



=== TEST 4: the CLI keeps the index current (rename, e-mail, phone, disable, remove)
--- init
my $S = MobilityUcwa::session('carol');
main::ctl('user', 'set', 'frank@contoso.com', '--name', 'Francis Quartermain',
          '--email', 'fq@contoso.com', '--work-phone', '+1 206 555 7777');
my ($st, $j) = main::search($S, 'query=quarter');
Test::More::is(main::uris($j), 'sip:frank@contoso.com', 'new name');
($st, $j) = main::search($S, 'query=fq@contoso.com');
Test::More::is(main::uris($j), 'sip:frank@contoso.com', 'new e-mail');
($st, $j) = main::search($S, 'query=1206555');
Test::More::is(main::uris($j), 'sip:frank@contoso.com', 'new phone');
main::ctl('user', 'set', 'frank@contoso.com', '--name', 'Frank Ocean');
($st, $j) = main::search($S, 'query=quarter');
Test::More::is(main::uris($j), '', 'old name gone');
main::ctl('user', 'disable', 'tester1@contoso.com');
main::ctl('user', 'remove', 'tester2@contoso.com');
($st, $j) = main::search($S, 'query=tester');
Test::More::is(scalar @{ $j->{_embedded}{contact} }, 10, 'disabled and removed users are gone');
main::ctl('user', 'enable', 'tester1@contoso.com');
MobilityUcwa::request($block, GET => "$S->{app}/people/search?query=number1",
                      token => $S->{token});
--- error_code: 200
--- response_body_like: "contact":\[\{"uri":"sip:tester1\@contoso.com".*"uri":"sip:tester10\@contoso.com".*"uri":"sip:tester11\@contoso.com".*"uri":"sip:tester12\@contoso.com"



=== TEST 5: store reindex
--- init
main::ctl('store', 'reindex');
my $S = MobilityUcwa::session('carol');
MobilityUcwa::request($block, GET => "$S->{app}/people/search?query=ocean",
                      token => $S->{token});
--- error_code: 200
--- response_body_like: "contact":\[\{"uri":"sip:frank\@contoso.com","name":"Frank Ocean"



=== TEST 6: a contact (bare, "sip:", escaped, any case), 404 for unknown and disabled users
--- init
my $S = MobilityUcwa::session('alice');
for my $p ('bob@contoso.com', 'sip:bob@contoso.com', 'bob%40contoso.com', 'BOB@Contoso.com/') {
    my ($st, undef, $b) = MobilityUcwa::ucwa($S, GET => "/people/$p");
    Test::More::is($st, 200, "$p: 200");
    Test::More::like($b, qr/"uri":"sip:bob\@contoso.com","name":"Bob Kelly"/, "$p: bob");
}
for my $p ('nobody@contoso.com', 'zoe@contoso.com', 'bob@contoso.com/nothing', 'x') {
    my ($st, undef, $b) = MobilityUcwa::ucwa($S, GET => "/people/$p");
    Test::More::is($st, 404, "$p: 404");
}
my ($st) = MobilityUcwa::ucwa($S, POST => '/people/search?query=a', body => '');
Test::More::is($st, 405, 'POST search: 405');
MobilityUcwa::request($block, GET => "$S->{app}/people/alice\@contoso.com",
                      token => $S->{token});
--- error_code: 200
--- response_body_like eval
qr{^\{"uri":"sip:alice\@contoso.com","name":"Alice Smith","type":"User","sourceNetwork":"SameEnterprise","emailAddresses":\["alice\@contoso.com"\],"title":"Engineer","workPhoneNumber":"tel:\+14255550100","etag":"\d+","_links":\{"self":\{"href":"/ucwa/oauth/v1/applications/[a-z0-9-]+/people/alice\@contoso.com"\},.*"rel":"contact"\}$}



=== TEST 7: contactPresence, contactNote, contactLocation, contactSupportedModalities follow the user
--- init
my $A = MobilityUcwa::session('alice');
my $D = MobilityUcwa::session('dave');
my ($st, undef, $b) = MobilityUcwa::ucwa($A, GET => '/people/dave@contoso.com/presence');
Test::More::is($st, 200, 'presence');
Test::More::like($b, qr/^\{"availability":"Offline","activity":"Offline","deviceType":"Unknown","_links":\{"self":\{"href":"[^"]+\/people\/dave\@contoso.com\/presence"\}\},"rel":"contactPresence"\}$/, 'offline');
($st) = MobilityUcwa::ucwa($D, POST => '/me/makeMeAvailable', body => '{"SupportedModalities":["Messaging"]}');
Test::More::is($st, 204, 'dave signs in');
($st) = MobilityUcwa::ucwa($D, POST => '/me/note', body => '{"message":"In Oslo","type":"Personal"}');
($st) = MobilityUcwa::ucwa($D, POST => '/me/location', body => '{"location":"Oslo"}');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => '/people/dave@contoso.com/presence');
Test::More::like($b, qr/^\{"availability":"Online","activity":"Available","deviceType":"Mobile","lastActive":"\/Date\(\d+\)\/",/, 'online');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => '/people/dave@contoso.com/note');
Test::More::like($b, qr/^\{"message":"In Oslo","type":"Personal","_links":\{"self":\{"href":"[^"]+\/people\/dave\@contoso.com\/note"\}\},"rel":"contactNote"\}$/, 'note');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => '/people/dave@contoso.com/supportedMedia');
Test::More::like($b, qr/"modalities":\["Messaging"\].*"rel":"contactSupportedModalities"/, 'modalities');
MobilityUcwa::request($block, GET => "$A->{app}/people/dave\@contoso.com/location",
                      token => $A->{token});
--- error_code: 200
--- response_body_like: ^\{"location":"Oslo","_links":\{"self":\{"href":"[^"]+/people/dave\@contoso.com/location"\}\},"rel":"contactLocation"\}$



=== TEST 8: people resources need the application's owner; XML
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
my ($st) = MobilityUcwa::call('GET', "$A->{app}/people/search?query=bob", token => $B->{token});
Test::More::is($st, 404, "another user's application: 404");
MobilityUcwa::request($block, GET => "$A->{app}/people/search?query=kelly",
                      token => $A->{token},
                      headers => ['Accept: application/vnd.microsoft.com.ucwa+xml']);
--- error_code: 200
--- response_headers_like
Content-Type: application/vnd.microsoft.com.ucwa\+xml; charset=utf-8
--- response_body_like: <resource xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa" rel="search" href="[^"]+/people/search">.*<property name="moreResultsAvailable">false</property>.*<resource rel="contact" href="[^"]+/people/bob\@contoso.com">
