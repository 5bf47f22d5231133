# UCWA subscriptions, the rest of issue #5: presenceSubscription updated
# before expiry (mobility_ucwa_subscription_warning), the
# myContactsAndGroupsSubscription resource and its warning, contact list
# changes reaching the user's other application, and subscribeToGroupPresence
# (members added to the group later join the subscription).  Master and two
# workers: the requests, the P-GETs and worker 0's sweep meet in the store.

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

# a 10-minute subscription is warned about 1 s after it starts
ucwa_blocks($Store, mobility_ucwa_pget_timeout => '30s',
            mobility_ucwa_subscription_warning => '599s');

# packages until one holds an event matching $re (at most $n), all events
sub events_until {
    my ($s, $re, $n) = @_;
    my @all;
    for (1 .. ($n // 3)) {
        my $e = next_events($s, 12);
        push @all, $e if length $e;
        last if $e =~ $re;
    }
    return join "\n", @all;
}

run_tests();

__DATA__

=== TEST 1: presenceSubscription updated before expiry, once; extending moves the warning
--- init
my $A = MobilityUcwa::session('alice');
my ($st, $h, $b) = MobilityUcwa::ucwa($A, POST => '/people/presenceSubscriptions',
    body => '{"duration":10,"uris":["sip:bob@contoso.com"]}');
Test::More::is($st, 201, 'created');
my ($id) = $b =~ /"id":"([0-9a-f]+)"/;
Test::More::is(main::events_until($A, qr/presenceSubscription updated/), join("\n",
    'people: contact added /bob@contoso.com in subscribedContacts',
    "people: presenceSubscription added /presenceSubscriptions/$id",
    "people: presenceSubscription updated /presenceSubscriptions/$id"),
    'added, then updated before expiry, in order');
Test::More::is(main::next_events($A, 6), '', 'warned once');
($st) = MobilityUcwa::ucwa($A, POST => "/people/presenceSubscriptions/$id?duration=10");
Test::More::is($st, 200, 'extended');
Test::More::is(main::next_events($A, 6), '', 'no warning right after the extension');
MobilityUcwa::request($block, GET => "$A->{app}/people/presenceSubscriptions/$id", token => $A->{token});
--- error_code: 200
--- response_body_like: "rel":"presenceSubscription"\}$
--- no_error_log
[alert]
[error]



=== TEST 2: myContactsAndGroupsSubscription: state, start, bad duration, the other application gets the changes, warning, stop
--- init
my $A1 = MobilityUcwa::session('carol');
my $A2 = MobilityUcwa::session('carol');
my $cg = '/people/contactsAndGroupsSubscription';
my ($st, $h, $b) = MobilityUcwa::ucwa($A2, GET => $cg);
Test::More::is($st, 200, 'GET');
Test::More::like($b, qr{^\{"state":"Disconnected","_links":\{"self":\{"href":"[^"]+/people/contactsAndGroupsSubscription"\},"startOrRefreshSubscriptionToContactsAndGroups":\{"href":"[^"]+/people/contactsAndGroupsSubscription/startOrRefreshSubscriptionToContactsAndGroups"\}\},"rel":"myContactsAndGroupsSubscription"\}$}, 'Disconnected, no stop link');
for my $d (9, 61, 'x') {
    ($st, undef, $b) = MobilityUcwa::ucwa($A2, POST => "$cg/startOrRefreshSubscriptionToContactsAndGroups?duration=$d");
    Test::More::is($st, 400, "duration $d: 400");
}
Test::More::like($b, qr/"parameters":\["duration"\]/, 'names the parameter');
($st, undef, $b) = MobilityUcwa::ucwa($A2, PUT => "$cg/startOrRefreshSubscriptionToContactsAndGroups?duration=10");
Test::More::is($st, 405, 'PUT: 405');
($st, undef, $b) = MobilityUcwa::ucwa($A2, POST => "$cg/startOrRefreshSubscriptionToContactsAndGroups?duration=10");
Test::More::is($st, 200, 'started');
Test::More::like($b, qr{^\{"state":"Connected",.*"stopSubscriptionToContactsAndGroups":\{"href":"[^"]+/people/contactsAndGroupsSubscription/stopSubscriptionToContactsAndGroups"\}\},"rel":"myContactsAndGroupsSubscription"\}$}, 'Connected, with stop');
($st, $h, $b) = MobilityUcwa::ucwa($A1, POST => '/people/groups', body => '{"displayName":"Crew"}');
Test::More::is($st, 201, 'the first application creates a group');
my ($gid) = $b =~ /"id":"(\d+)"/;
($st) = MobilityUcwa::ucwa($A1, POST => "/people/groupMemberships?contactUri=sip:dave%40contoso.com&groupId=$gid");
Test::More::is($st, 201, 'and adds dave to it');
Test::More::is(main::events_until($A2, qr/myContactsAndGroupsSubscription updated/), join("\n",
    "people: group added /groups/$gid",
    'people: contact added /dave@contoso.com',
    "people: groupContacts updated /groups/$gid/contacts",
    'people: myContactsAndGroupsSubscription updated /contactsAndGroupsSubscription'),
    'the changes, then the warning, in order');
($st) = MobilityUcwa::ucwa($A2, POST => "$cg/stopSubscriptionToContactsAndGroups");
Test::More::is($st, 204, 'stopped');
MobilityUcwa::request($block, GET => "$A2->{app}$cg", token => $A2->{token});
--- error_code: 200
--- response_body_like: ^\{"state":"Disconnected",
--- no_error_log
[alert]
[error]



=== TEST 3: subscribeToGroupPresence: the members now and later, their presence; bad and unknown groups
--- init
my $A = MobilityUcwa::session('erin');
my ($st, $h, $b) = MobilityUcwa::ucwa($A, POST => '/people/groups', body => '{"displayName":"Team"}');
Test::More::is($st, 201, 'group');
my ($gid) = $b =~ /"id":"(\d+)"/;
($st) = MobilityUcwa::ucwa($A, POST => "/people/groupMemberships?contactUri=sip:bob%40contoso.com&groupId=$gid");
Test::More::is($st, 201, 'bob in the group');
($st, undef, $b) = MobilityUcwa::ucwa($A, POST => '/people/presenceSubscriptions?groupId=abc&duration=10');
Test::More::is($st, 400, 'groupId abc: 400');
($st) = MobilityUcwa::ucwa($A, POST => '/people/presenceSubscriptions?groupId=999&duration=10');
Test::More::is($st, 404, 'no such group: 404');
($st, $h, $b) = MobilityUcwa::ucwa($A, POST => "/people/presenceSubscriptions?groupId=$gid&duration=30");
Test::More::is($st, 201, 'subscribed to the group');
my ($id) = $b =~ /"id":"([0-9a-f]+)"/;
Test::More::like($b, qr/"rel":"presenceSubscription"\}$/, 'a presenceSubscription');
Test::More::is(main::next_events($A), join("\n",
    'people: contact added /bob@contoso.com in subscribedContacts',
    "people: presenceSubscription added /presenceSubscriptions/$id"), 'the member now');
($st) = MobilityUcwa::ucwa($A, POST => "/people/groupMemberships?contactUri=sip:carol%40contoso.com&groupId=$gid");
Test::More::is($st, 201, 'carol joins the group');
Test::More::is(main::next_events($A), 'people: contact added /carol@contoso.com in subscribedContacts', 'the member added later joins the subscription');
my $C = MobilityUcwa::session('carol');
($st) = MobilityUcwa::ucwa($C, POST => '/me/makeMeAvailable', body => '{"SupportedModalities":["Messaging"]}');
Test::More::is($st, 204, 'carol signs in');
Test::More::is(main::next_events($A), 'people: contactPresence updated /carol@contoso.com/presence in contact', 'her presence reaches the group subscriber');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => '/people/subscribedContacts');
Test::More::like($b, qr/"contact":\[\{"uri":"sip:bob\@contoso.com",.*\{"uri":"sip:carol\@contoso.com",/, 'both subscribed');
($st) = MobilityUcwa::ucwa($A, DELETE => "/people/groups/$gid");
Test::More::is($st, 204, 'group deleted');
Test::More::is(main::next_events($A), join("\n",
    'people: contact deleted /bob@contoso.com in subscribedContacts',
    'people: contact deleted /carol@contoso.com in subscribedContacts'), 'its members leave the subscription');
($st) = MobilityUcwa::ucwa($C, POST => '/me/presence', body => '{"availability":"Busy"}');
Test::More::is($st, 204, 'carol turns Busy');
Test::More::is(main::next_events($A, 3), '', 'no presence event for a member of a deleted group');
MobilityUcwa::request($block, GET => "$A->{app}/people/subscribedContacts", token => $A->{token});
--- error_code: 200
--- response_body_unlike: sip:(bob|carol)\@contoso.com
--- no_error_log
[alert]
[error]



=== TEST 4: leaving a group leaves its presence subscriptions: membership DELETE, removeContactFromAllGroups; other subscriptions keep the contact
--- init
my $A = MobilityUcwa::session('frank');
my $A2 = MobilityUcwa::session('frank');
my ($st, $h, $b) = MobilityUcwa::ucwa($A, POST => '/people/groups', body => '{"displayName":"Crew"}');
Test::More::is($st, 201, 'group');
my ($gid) = $b =~ /"id":"(\d+)"/;
for my $u (qw(bob carol dave)) {
    ($st) = MobilityUcwa::ucwa($A, POST => "/people/groupMemberships?contactUri=sip:$u%40contoso.com&groupId=$gid");
    Test::More::is($st, 201, "$u in the group");
}
($st) = MobilityUcwa::ucwa($A, POST => "/people/groupMemberships?contactUri=sip:dave%40contoso.com");
Test::More::is($st, 201, 'dave in Other Contacts too');
($st, $h, $b) = MobilityUcwa::ucwa($A, POST => "/people/presenceSubscriptions?groupId=$gid&duration=30");
Test::More::is($st, 201, 'subscribed to the group');
my ($id) = $b =~ /"id":"([0-9a-f]+)"/;
Test::More::like(main::next_events($A), qr/presenceSubscription added/, 'subscription events');
# a second application of frank follows bob by hand
($st) = MobilityUcwa::ucwa($A2, POST => '/people/presenceSubscriptions', body => '{"duration":30,"uris":["sip:bob@contoso.com"]}');
Test::More::is($st, 201, 'the other application subscribes to bob');
main::next_events($A2);
# membership DELETE (revision 2)
($st) = MobilityUcwa::ucwa($A, DELETE => "/people/groupMemberships/$gid,bob\@contoso.com");
Test::More::is($st, 204, 'bob leaves the group');
Test::More::is(main::next_events($A), 'people: contact deleted /bob@contoso.com in subscribedContacts', 'bob leaves the group subscription');
my ($ev) = main::next_events($A2);
Test::More::unlike($ev, qr{subscribedContacts}, 'the hand-made subscription of the other application keeps bob');
my $B = MobilityUcwa::session('bob');
($st) = MobilityUcwa::ucwa($B, POST => '/me/makeMeAvailable', body => '{"SupportedModalities":["Messaging"]}');
Test::More::is($st, 204, 'bob signs in');
Test::More::is(main::next_events($A2), 'people: contactPresence updated /bob@contoso.com/presence in contact', 'the other subscription still gets his presence');
Test::More::is(main::next_events($A, 3), '', 'the group subscription does not');
# removeContactFromAllGroups
($st) = MobilityUcwa::ucwa($A, POST => '/people/groupMemberships/removeContactFromAllGroups?contactUri=sip:dave%40contoso.com');
Test::More::is($st, 204, 'dave removed from all groups');
Test::More::is(main::next_events($A), 'people: contact deleted /dave@contoso.com in subscribedContacts', 'dave leaves the group subscription');
($st, undef, $b) = MobilityUcwa::ucwa($A, DELETE => "/people/presenceSubscriptionMemberships/$id,dave\@contoso.com");
Test::More::is($st, 404, 'no membership for dave any more');
my $C = MobilityUcwa::session('carol');
($st) = MobilityUcwa::ucwa($C, POST => '/me/makeMeAvailable', body => '{"SupportedModalities":["Messaging"]}');
Test::More::is($st, 204, 'carol signs in');
($st) = MobilityUcwa::ucwa($C, POST => '/me/presence', body => '{"availability":"DoNotDisturb"}');
Test::More::is($st, 204, 'carol: DoNotDisturb');
Test::More::like(main::events_until($A, qr/carol/), qr{^people: contactPresence updated /carol\@contoso.com/presence in contact$}m, 'carol, still in the group, is followed');
MobilityUcwa::request($block, GET => "$A->{app}/people/subscribedContacts", token => $A->{token});
--- error_code: 200
--- response_body_like: ^(?!.*sip:(bob|dave)\@).*"uri":"sip:carol\@contoso.com"
--- no_error_log
[alert]
[error]



=== TEST 5: group bindings go with their subscription: DELETE of the subscription, of the application
--- init
my $A = MobilityUcwa::session('carol');
my $A2 = MobilityUcwa::session('carol');
my ($st, $h, $b) = MobilityUcwa::ucwa($A, POST => '/people/groups', body => '{"displayName":"Bound"}');
Test::More::is($st, 201, 'group');
my ($gid) = $b =~ /"id":"(\d+)"/;
($st) = MobilityUcwa::ucwa($A, POST => "/people/groupMemberships?contactUri=sip:bob%40contoso.com&groupId=$gid");
Test::More::is($st, 201, 'bob in the group');
my ($ida) = $A->{app} =~ m{/([^/]+)$};
my ($ida2) = $A2->{app} =~ m{/([^/]+)$};
($st) = MobilityUcwa::ucwa($A, POST => "/people/presenceSubscriptions?groupId=$gid&duration=30");
Test::More::is($st, 201, 'the first application follows the group');
($st, $h, $b) = MobilityUcwa::ucwa($A2, POST => "/people/presenceSubscriptions?groupId=$gid&duration=30");
Test::More::is($st, 201, 'the second one too');
my ($sid2) = $b =~ /"id":"([0-9a-f]+)"/;
my $dump = `mdb_dump -p -s presence_subscriptions $main::Store`;
Test::More::like($dump, qr/\\00gcarol\@contoso.com\\00.*\Q$ida\E\\00/, 'a binding of the first');
Test::More::like($dump, qr/\\00gcarol\@contoso.com\\00.*\Q$ida2\E\\00\Q$sid2\E/, 'a binding of the second');
($st) = MobilityUcwa::ucwa($A2, DELETE => "/people/presenceSubscriptions/$sid2");
Test::More::is($st, 204, 'the second deletes its subscription');
$dump = `mdb_dump -p -s presence_subscriptions $main::Store`;
Test::More::unlike($dump, qr/\Q$ida2\E/, 'nothing of the second is left');
Test::More::like($dump, qr/\\00gcarol\@contoso.com\\00.*\Q$ida\E\\00/, 'the binding of the first stays');
($st) = MobilityUcwa::ucwa($A, DELETE => '');
Test::More::is($st, 204, 'the first application is deleted');
$dump = `mdb_dump -p -s presence_subscriptions $main::Store`;
Test::More::unlike($dump, qr/\Q$ida\E/, 'its binding went with it');
MobilityUcwa::request($block, GET => "$A2->{app}/people/groups/$gid", token => $A2->{token});
--- error_code: 200
--- no_error_log
[alert]
[error]
