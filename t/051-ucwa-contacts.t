# UCWA contacts and groups: myContacts, myGroups (default, pinned and the
# user's own groups, created and renamed), groupContacts,
# myGroupMemberships (revision 2 add with ?contactUri= and no body,
# removeContactFromAllGroups, a membership's GET and DELETE), events on
# the user's other applications, isolation between users.

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

ucwa_blocks($Store, mobility_ucwa_pget_timeout => '30s');

# the events of one package: "rel type" each, in order
sub events_of {
    my $b = shift;
    my $j = MobilityUcwa::decode($b) or return '';
    my @e;
    for my $s (@{ $j->{sender} // [] }) {
        for my $e (@{ $s->{events} }) {
            my ($tail) = $e->{link}{href} =~ m{/people(/.*)?$};
            push @e, "$s->{rel}: $e->{link}{rel} $e->{type} " . ($tail // '');
        }
    }
    return join "\n", @e;
}

run_tests();

__DATA__

=== TEST 1: empty lists: myContacts, myGroups (default and pinned groups), myGroupMemberships
--- init
my $S = MobilityUcwa::session('erin');
my ($st, undef, $b) = MobilityUcwa::ucwa($S, GET => '/people/contacts');
Test::More::is($st, 200, 'myContacts');
Test::More::like($b, qr{^\{"_links":\{"self":\{"href":"[^"]+/people/contacts"\}\},"_embedded":\{"contact":\[\]\},"rel":"myContacts"\}$}, 'empty');
($st, undef, $b) = MobilityUcwa::ucwa($S, GET => '/people/groupMemberships');
Test::More::like($b, qr{"_embedded":\{"myGroupMembership":\[\]\},"rel":"myGroupMemberships"\}$}, 'no memberships');
MobilityUcwa::request($block, GET => "$S->{app}/people/groups", token => $S->{token});
--- error_code: 200
--- response_body_like eval
qr{^\{"_links":\{"self":\{"href":"(/ucwa/oauth/v1/applications/[a-z0-9-]+)/people/groups"\}\},"_embedded":\{"defaultGroup":\{"id":"1","name":"Other Contacts","_links":\{"self":\{"href":"\1/people/groups/1"\},"groupContacts":\{"href":"\1/people/groups/1/contacts"\},"subscribeToGroupPresence":\{"href":"\1/people/presenceSubscriptions\?groupId=1"\}\},"rel":"defaultGroup"\},"pinnedGroup":\{"id":"2","name":"Favorites",.*"rel":"pinnedGroup"\},"group":\[\]\},"rel":"myGroups"\}$}
--- no_error_log
[alert]
[error]



=== TEST 2: add a contact with ?contactUri= and no body (default group), to the pinned group, 409 again; the other application sees the events
--- init
my $S = MobilityUcwa::session('alice');
my $O = MobilityUcwa::session('alice');
my $p = MobilityUcwa::pget_start($O, $O->{events});
my ($st, $h, $b) = MobilityUcwa::call('POST', "$S->{app}/people/groupMemberships?contactUri=sip:bob%40contoso.com", token => $S->{token});
Test::More::is($st, 201, 'added');
Test::More::like($h->{location}[0] // '', qr{/people/groupMemberships/1,bob\@contoso.com$}, 'Location');
Test::More::like($b, qr{^\{"_links":\{"self":\{"href":"[^"]+/people/groupMemberships/1,bob\@contoso.com"\},"contact":\{"href":"[^"]+/people/bob\@contoso.com"\},"defaultGroup":\{"href":"[^"]+/people/groups/1"\}\},"rel":"myGroupMembership"\}$}, 'membership');
my ($pst, undef, $pb) = MobilityUcwa::pget_finish($p, 5);
Test::More::is($pst, 200, 'the other application was woken (high urgency)');
Test::More::is(main::events_of($pb), "people: contact added /bob\@contoso.com\npeople: groupContacts updated /groups/1/contacts", 'events in order');
($st) = MobilityUcwa::ucwa($S, POST => '/people/groupMemberships?contactUri=sip:bob@contoso.com');
Test::More::is($st, 409, 'again: 409');
($st, $h) = MobilityUcwa::ucwa($S, POST => '/people/groupMemberships', body => '{"ContactUri":"sip:bob@contoso.com","groupId":"2"}');
Test::More::is($st, 201, 'pinned too (JSON input)');
($st, undef, $b) = MobilityUcwa::ucwa($S, GET => '/people/groupMemberships');
Test::More::is(scalar(() = $b =~ /"rel":"myGroupMembership"/g), 2, 'two memberships');
($st, undef, $b) = MobilityUcwa::ucwa($S, GET => '/people/groupMemberships?groupId=2');
Test::More::like($b, qr{"pinnedGroup":\{"href":"[^"]+/people/groups/2"\}}, 'filtered');
($st, undef, $b) = MobilityUcwa::ucwa($S, GET => '/people/groupMemberships/2,bob@contoso.com');
Test::More::is($st, 200, 'a membership');
($st) = MobilityUcwa::ucwa($S, GET => '/people/groupMemberships/3,bob@contoso.com');
Test::More::is($st, 404, 'no such group');
($st, undef, $b) = MobilityUcwa::ucwa($S, GET => '/people/contacts?groupId=2');
Test::More::like($b, qr{"contact":\[\{"uri":"sip:bob\@contoso.com","name":"Bob Kelly"}, 'groupId filter');
for my $bad ('contactUri=sip:nobody%40contoso.com', 'contactUri=', 'contactUri=sip:bob%40contoso.com&groupId=x') {
    ($st, undef, $b) = MobilityUcwa::ucwa($S, POST => "/people/groupMemberships?$bad");
    Test::More::is($st, 400, "$bad: 400");
}
($st) = MobilityUcwa::ucwa($S, POST => '/people/groupMemberships?contactUri=sip:carol%40contoso.com&groupId=9');
Test::More::is($st, 404, 'unknown group: 404');
MobilityUcwa::request($block, GET => "$S->{app}/people/contacts", token => $S->{token});
--- error_code: 200
--- response_body_like: ^\{"_links":\{"self":\{"href":"[^"]+/people/contacts"\}\},"_embedded":\{"contact":\[\{"uri":"sip:bob\@contoso.com","name":"Bob Kelly","type":"User",.*"rel":"contact"\}\]\},"rel":"myContacts"\}$
--- no_error_log
[alert]
[error]



=== TEST 3: groups: create (409 on the same name), rename, contacts of a group, delete (memberships go), system groups stay
--- init
my $S = MobilityUcwa::session('carol');
my $O = MobilityUcwa::session('carol');
my $p = MobilityUcwa::pget_start($O, $O->{events});
my ($st, $h, $b) = MobilityUcwa::ucwa($S, POST => '/people/groups', body => '{"displayName":"Team"}');
Test::More::is($st, 201, 'created');
Test::More::like($h->{location}[0] // '', qr{/people/groups/3$}, 'Location');
Test::More::like($b, qr{^\{"id":"3","name":"Team",.*"rel":"group"\}$}, 'group');
my ($pst, undef, $pb) = MobilityUcwa::pget_finish($p, 5);
Test::More::is(main::events_of($pb), 'people: group added /groups/3', 'group added event');
($st) = MobilityUcwa::ucwa($S, POST => '/people/groups', body => '{"displayName":"team"}');
Test::More::is($st, 409, 'same name: 409');
($st) = MobilityUcwa::ucwa($S, POST => '/people/groups', body => '{}');
Test::More::is($st, 400, 'no name: 400');
($st, undef, $b) = MobilityUcwa::ucwa($S, PUT => '/people/groups/3', body => '{"displayName":"Core team"}');
Test::More::is($st, 200, 'renamed');
Test::More::like($b, qr{"name":"Core team"}, 'new name');
($st) = MobilityUcwa::ucwa($S, PUT => '/people/groups/1', body => '{"displayName":"Mine"}');
Test::More::is($st, 403, 'the default group keeps its name');
($st) = MobilityUcwa::ucwa($S, POST => '/people/groupMemberships?contactUri=sip:dave%40contoso.com&groupId=3');
Test::More::is($st, 201, 'dave in the team');
($st, undef, $b) = MobilityUcwa::ucwa($S, GET => '/people/groups/3/contacts');
Test::More::like($b, qr{^\{"_links":\{"self":\{"href":"[^"]+/people/groups/3/contacts"\}\},"_embedded":\{"contact":\[\{"uri":"sip:dave\@contoso.com".*"rel":"groupContacts"\}$}, 'groupContacts');
($st, undef, $b) = MobilityUcwa::ucwa($S, GET => '/people/groups');
Test::More::like($b, qr{"group":\[\{"id":"3","name":"Core team"}, 'myGroups lists it');
($st) = MobilityUcwa::ucwa($S, DELETE => '/people/groups/1');
Test::More::is($st, 403, 'the default group cannot be deleted');
($st) = MobilityUcwa::ucwa($S, DELETE => '/people/groups/3');
Test::More::is($st, 204, 'deleted');
($st) = MobilityUcwa::ucwa($S, GET => '/people/groups/3');
Test::More::is($st, 404, 'gone');
MobilityUcwa::request($block, GET => "$S->{app}/people/groupMemberships", token => $S->{token});
--- error_code: 200
--- response_body_like: "_embedded":\{"myGroupMembership":\[\]\}



=== TEST 4: removeContactFromAllGroups, DELETE of one membership; events
--- init
my $S = MobilityUcwa::session('dave');
my $O = MobilityUcwa::session('dave');
MobilityUcwa::ucwa($S, POST => '/people/groupMemberships?contactUri=sip:bob%40contoso.com');
MobilityUcwa::ucwa($S, POST => '/people/groupMemberships?contactUri=sip:bob%40contoso.com&groupId=2');
MobilityUcwa::ucwa($S, POST => '/people/groupMemberships?contactUri=sip:erin%40contoso.com&groupId=2');
# the other application acknowledges what came so far
my ($st, undef, $b) = MobilityUcwa::ucwa($O, GET => $O->{events});
my $next = MobilityUcwa::decode($b)->{_links}{next}{href};
my $p = MobilityUcwa::pget_start($O, $next);
($st) = MobilityUcwa::ucwa($S, POST => '/people/groupMemberships/removeContactFromAllGroups?contactUri=sip:bob%40contoso.com');
Test::More::is($st, 204, 'removed from all groups');
my ($pst, undef, $pb) = MobilityUcwa::pget_finish($p, 5);
Test::More::is(main::events_of($pb), 'people: contact deleted /bob@contoso.com', 'contact deleted');
($st) = MobilityUcwa::ucwa($S, DELETE => '/people/groupMemberships/2,erin@contoso.com');
Test::More::is($st, 204, 'membership deleted');
($st) = MobilityUcwa::ucwa($S, DELETE => '/people/groupMemberships/2,erin@contoso.com');
Test::More::is($st, 404, 'again: 404');
MobilityUcwa::request($block, GET => "$S->{app}/people/contacts", token => $S->{token});
--- error_code: 200
--- response_body_like: "_embedded":\{"contact":\[\]\}



=== TEST 5: isolation: another user's lists are their own; another user's application is 404
--- init
my $A = MobilityUcwa::session('frank');
my $B = MobilityUcwa::session('bob');
MobilityUcwa::ucwa($A, POST => '/people/groupMemberships?contactUri=sip:carol%40contoso.com');
MobilityUcwa::ucwa($A, POST => '/people/groups', body => '{"displayName":"Secret"}');
my ($st, undef, $b) = MobilityUcwa::ucwa($B, GET => '/people/contacts');
Test::More::like($b, qr{"contact":\[\]}, "bob's list is empty");
($st, undef, $b) = MobilityUcwa::ucwa($B, GET => '/people/groups/3');
Test::More::is($st, 404, "frank's group is not bob's");
($st) = MobilityUcwa::call('GET', "$A->{app}/people/contacts", token => $B->{token});
Test::More::is($st, 404, "frank's application: 404");
($st) = MobilityUcwa::call('POST', "$A->{app}/people/groupMemberships?contactUri=sip:dave%40contoso.com", token => $B->{token});
Test::More::is($st, 404, "frank's application: 404 for a change too");
MobilityUcwa::request($block, GET => "$A->{app}/people/contacts", token => $A->{token});
--- error_code: 200
--- response_body_like: "contact":\[\{"uri":"sip:carol\@contoso.com"



=== TEST 6: mobilityctl user remove: the user leaves every contact list, and its own lists go
--- init
my $F = MobilityUcwa::session('frank');
my $E = MobilityUcwa::session('erin');
my $D = MobilityUcwa::session('dave');
my ($st) = MobilityUcwa::ucwa($E, POST => '/people/groups', body => '{"displayName":"Friends"}');
Test::More::is($st, 201, 'erin: a group');
($st) = MobilityUcwa::ucwa($E, POST => '/people/groupMemberships?contactUri=sip:dave%40contoso.com&groupId=3');
Test::More::is($st, 201, 'erin: dave in her group');
($st) = MobilityUcwa::ucwa($E, POST => '/people/groupMemberships?contactUri=sip:dave%40contoso.com&groupId=2');
Test::More::is($st, 201, 'erin: dave pinned too');
($st) = MobilityUcwa::ucwa($F, POST => '/people/groupMemberships?contactUri=sip:dave%40contoso.com');
Test::More::is($st, 201, 'frank: dave');
($st) = MobilityUcwa::ucwa($D, POST => '/people/groupMemberships?contactUri=sip:frank%40contoso.com');
Test::More::is($st, 201, 'dave: frank');
my $ctl = Mobility::mobilityctl();
my $out = `$ctl --store $main::Store --json user remove dave\@contoso.com`;
Test::More::is($?, 0, 'user remove: exit 0');
Test::More::like($out, qr/"contactMemberships":\s*3\b/, 'three memberships in other lists removed');
my $b;
($st, undef, $b) = MobilityUcwa::ucwa($E, GET => '/people/contacts');
Test::More::like($b, qr{"contact":\[\]}, "erin's list no longer has dave");
($st, undef, $b) = MobilityUcwa::ucwa($E, GET => '/people/groups/3/contacts');
Test::More::unlike($b, qr/dave/, "nor her group");
($st, undef, $b) = MobilityUcwa::ucwa($F, GET => '/people/contacts');
Test::More::unlike($b, qr/dave/, "frank's list no longer has dave");
Test::More::like($b, qr/carol/, "frank keeps carol");
MobilityUcwa::request($block, GET => "$E->{app}/people/groups/3", token => $E->{token});
--- error_code: 200
--- response_body_like: "name":"Friends"
