# UCWA presence subscriptions: create (duration 10-30, "uris" or "Uris"),
# the events in order, extend, add and remove members, delete,
# subscribedContacts, limits, and the fan-out of presence, note and
# location changes to the subscribed applications across workers.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityUcwa qw(:DEFAULT next_events);

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();

ucwa_blocks($Store, mobility_ucwa_pget_timeout => '30s');

run_tests();

__DATA__

=== TEST 1: create: 201, the events contact added in subscribedContacts then presenceSubscription added; subscribedContacts
--- init
my $A = MobilityUcwa::session('alice');
my ($st, $h, $b) = MobilityUcwa::ucwa($A, POST => '/people/presenceSubscriptions',
    body => '{"duration":11,"Uris":["sip:bob@contoso.com","sip:carol@contoso.com","sip:nobody@contoso.com"]}');
Test::More::is($st, 201, 'created');
my ($id) = $b =~ /^\{"id":"([0-9a-f]{8})"/;
Test::More::ok($id, 'an id');
Test::More::like($h->{location}[0] // '', qr{/people/presenceSubscriptions/$id$}, 'Location');
Test::More::like($b, qr{"_links":\{"self":\{"href":"[^"]+/people/presenceSubscriptions/$id"\},"memberships":\{"href":"[^"]+/people/presenceSubscriptionMemberships\?presenceSubscriptionId=$id"\},"addToPresenceSubscription":\{"href":"[^"]+/people/presenceSubscriptionMemberships\?presenceSubscriptionId=$id"\}\},"rel":"presenceSubscription"\}$}, 'resource');
Test::More::is(main::next_events($A), join("\n",
    'people: contact added /bob@contoso.com in subscribedContacts',
    'people: contact added /carol@contoso.com in subscribedContacts',
    "people: presenceSubscription added /presenceSubscriptions/$id"), 'events in order');
MobilityUcwa::request($block, GET => "$A->{app}/people/subscribedContacts", token => $A->{token});
--- error_code: 200
--- response_body_like: ^\{"_links":\{"self":\{"href":"[^"]+/people/subscribedContacts"\}\},"_embedded":\{"contact":\[\{"uri":"sip:bob\@contoso.com",.*\{"uri":"sip:carol\@contoso.com",.*\]\},"rel":"subscribedContacts"\}$
--- no_error_log
[alert]
[error]



=== TEST 2: fan-out: presence, note and location of a subscribed user reach the subscriber, not the others
--- init
my $A = MobilityUcwa::session('alice');
my $E = MobilityUcwa::session('erin');
my ($st) = MobilityUcwa::ucwa($A, POST => '/people/presenceSubscriptions', body => '{"duration":10,"uris":["sip:dave@contoso.com"]}');
Test::More::is($st, 201, 'alice subscribes to dave');
main::next_events($A);
my $D = MobilityUcwa::session('dave');
($st) = MobilityUcwa::ucwa($D, POST => '/me/makeMeAvailable', body => '{"SupportedModalities":["Messaging"]}');
Test::More::is($st, 204, 'dave signs in');
Test::More::is(main::next_events($A), 'people: contactPresence updated /dave@contoso.com/presence in contact', 'contactPresence updated');
MobilityUcwa::ucwa($D, POST => '/me/note', body => '{"message":"Lunch","type":"Personal"}');
MobilityUcwa::ucwa($D, POST => '/me/location', body => '{"location":"Canteen"}');
Test::More::is(main::next_events($A), "people: contactNote updated /dave\@contoso.com/note in contact\npeople: contactLocation updated /dave\@contoso.com/location in contact", 'note, location');
my (undef, undef, $b) = MobilityUcwa::ucwa($A, GET => '/people/dave@contoso.com/note');
Test::More::like($b, qr/"message":"Lunch"/, 'the subscriber reads the note');
my $p = MobilityUcwa::pget_start($E, $E->{events});
MobilityUcwa::ucwa($D, POST => '/me/note', body => '{"message":"Back","type":"Personal"}');
my ($pst) = MobilityUcwa::pget_finish($p, 6.5);
Test::More::ok(!$pst || $pst == 200, 'erin is not subscribed');
MobilityUcwa::request($block, GET => "$A->{app}/people/dave\@contoso.com/presence", token => $A->{token});
--- error_code: 200
--- response_body_like: ^\{"availability":"Online"



=== TEST 3: extend (adds, at most 30), duration out of range, add and remove members, delete, 404 after
--- init
my $A = MobilityUcwa::session('carol');
my ($st, $h, $b) = MobilityUcwa::ucwa($A, POST => '/people/presenceSubscriptions?duration=30&uris=sip:bob%40contoso.com', body => '');
Test::More::is($st, 201, 'created from the query string');
my ($id) = $b =~ /"id":"([0-9a-f]+)"/;
($st) = MobilityUcwa::ucwa($A, POST => "/people/presenceSubscriptions/$id?duration=10");
Test::More::is($st, 200, 'extended');
for my $d (9, 31, 'x') {
    ($st, undef, $b) = MobilityUcwa::ucwa($A, POST => '/people/presenceSubscriptions', body => qq{{"duration":"$d","uris":["sip:bob\@contoso.com"]}});
    Test::More::is($st, 400, "duration $d: 400");
}
($st) = MobilityUcwa::ucwa($A, POST => '/people/presenceSubscriptions', body => '{"duration":10}');
Test::More::is($st, 400, 'no uris: 400');
($st) = MobilityUcwa::ucwa($A, POST => "/people/presenceSubscriptionMemberships?presenceSubscriptionId=$id", body => '{"contactUris":["sip:erin@contoso.com"]}');
Test::More::is($st, 201, 'member added');
(undef, undef, $b) = MobilityUcwa::ucwa($A, GET => '/people/subscribedContacts');
Test::More::like($b, qr/sip:bob\@contoso.com.*sip:erin\@contoso.com/, 'two contacts');
($st) = MobilityUcwa::ucwa($A, DELETE => "/people/presenceSubscriptionMemberships/$id,erin\@contoso.com");
Test::More::is($st, 204, 'member removed');
($st) = MobilityUcwa::ucwa($A, DELETE => "/people/presenceSubscriptionMemberships/$id,erin\@contoso.com");
Test::More::is($st, 404, 'again: 404');
(undef, undef, $b) = MobilityUcwa::ucwa($A, GET => '/people/subscribedContacts');
Test::More::unlike($b, qr/erin/, 'erin gone');
($st) = MobilityUcwa::ucwa($A, DELETE => "/people/presenceSubscriptions/$id");
Test::More::is($st, 204, 'deleted');
($st) = MobilityUcwa::ucwa($A, POST => "/people/presenceSubscriptions/$id?duration=10");
Test::More::is($st, 404, 'extend after delete: 404');
(undef, undef, $b) = MobilityUcwa::ucwa($A, GET => '/people/subscribedContacts');
Test::More::like($b, qr/"contact":\[\]/, 'nothing subscribed');
MobilityUcwa::request($block, GET => "$A->{app}/people/presenceSubscriptions/$id", token => $A->{token});
--- error_code: 404



=== TEST 4: limits: 403 LimitExceeded; another user's application: 404
--- init
my $A = MobilityUcwa::session('frank');
my $B = MobilityUcwa::session('bob');
my $st;
for (1 .. 16) {
    ($st) = MobilityUcwa::ucwa($A, POST => '/people/presenceSubscriptions', body => '{"uris":["sip:bob@contoso.com"]}');
}
Test::More::is($st, 201, 'sixteen subscriptions');
($st) = MobilityUcwa::call('GET', "$A->{app}/people/subscribedContacts", token => $B->{token});
Test::More::is($st, 404, "frank's application is not bob's");
MobilityUcwa::request($block, POST => "$A->{app}/people/presenceSubscriptions",
                      token => $A->{token}, body => '{"uris":["sip:bob@contoso.com"]}');
--- error_code: 403
--- response_body chomp
{"code":"Forbidden","subcode":"LimitExceeded","message":"Too many presence subscriptions."}



=== TEST 5: deleting an application deletes its subscriptions and watcher entries; batch reads people resources
--- init
my $A = MobilityUcwa::session('erin');
my ($st) = MobilityUcwa::ucwa($A, POST => '/people/presenceSubscriptions', body => '{"uris":["sip:frank@contoso.com"]}');
Test::More::is($st, 201, 'subscribed');
my ($id) = $A->{app} =~ m{/([^/]+)$};
my $dump = `mdb_dump -p -s presence_watchers $main::Store`;
Test::More::like($dump, qr/frank\@contoso.com\\00\Q$id\E/, 'a watcher entry');
($st) = MobilityUcwa::ucwa($A, DELETE => '');
Test::More::is($st, 204, 'application deleted');
$dump = `mdb_dump -p -s presence_watchers $main::Store`;
Test::More::unlike($dump, qr/\Q$id\E/, 'no watcher entry left');
$dump = `mdb_dump -p -s presence_subscriptions $main::Store`;
Test::More::unlike($dump, qr/\Q$id\E/, 'no subscription left');
my $B = MobilityUcwa::session('erin');
my $batch = join "\r\n", '--b1', 'Content-Type: application/http; msgtype=request', '',
    "GET $B->{app}/people/search?query=frank HTTP/1.1", 'Host: localhost', 'Accept: application/json', '',
    '--b1', 'Content-Type: application/http; msgtype=request', '',
    "GET $B->{app}/people/contacts HTTP/1.1", 'Host: localhost', 'Accept: application/json', '',
    '--b1--', '';
MobilityUcwa::request($block, POST => "$B->{app}/batch", token => $B->{token},
                      type => 'multipart/batching; boundary=b1', body => $batch);
--- error_code: 200
--- response_body_like: "rel":"search".*"rel":"myContacts"
