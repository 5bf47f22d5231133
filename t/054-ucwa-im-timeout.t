# UCWA instant messaging: an invitation nobody answers in
# mobility_ucwa_invitation_timeout completes with Failure/Timeout on both
# sides and becomes a missed conversation of the recipient (spec §7.2 3.,
# §7.7); an offline recipient gets a missed conversation at once.  Two
# workers: the deadline timer, the P-GETs and the requests meet in any
# worker.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityUcwa qw(:DEFAULT next_package embedded available missed);

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();

ucwa_blocks($Store, mobility_ucwa_pget_timeout => '30s',
            mobility_ucwa_invitation_timeout => '2s');

# what next_package() shows of an event
$MobilityUcwa::Show{reason} = 'code/subcode';

run_tests();

__DATA__

=== TEST 1: nobody answers: both sides see the invitation completed Failure Timeout, bob gets a missed conversation
--- init
my $A = MobilityUcwa::session('alice');
my $B1 = MobilityUcwa::session('bob');
my $B2 = MobilityUcwa::session('bob');
main::available($B1);
main::available($B2);
Test::More::is(main::missed($B1), '200 0/0', 'bob: nothing missed yet');
my ($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:bob@contoso.com","subject":"Lunch?","_links":{"message":{"href":"data:text/plain,Are+you+there%3f"}}}');
Test::More::is($st, 201, 'startMessaging: 201');
my ($id) = ($h->{location}[0] // '') =~ m{/messagingInvitations/([0-9a-f]+)$};
my ($ev) = main::next_package($A);
Test::More::like($ev, qr/^communication: messagingInvitation started/, 'sender: started');
for my $B ($B1, $B2) {
    ($ev) = main::next_package($B);
    Test::More::is($ev, "communication: messagingInvitation started\ncommunication: conversation added", 'recipient: invited');
}
my $took;
($ev, undef, $took) = main::next_package($A, 15);
Test::More::is($ev, join("\n",
    'communication: messagingInvitation completed Failure Timeout/Timeout',
    'conversation: messaging updated',
    'communication: conversation deleted',
    'communication: missedItems updated'), 'sender: timed out, in order (then the log count)');
Test::More::ok($took > 0.5 && $took < 6, "after the timeout ($took s)");
for my $B ($B1, $B2) {
    ($ev) = main::next_package($B);
    Test::More::is($ev, join("\n",
        'communication: messagingInvitation completed Failure Timeout/Timeout',
        'conversation: messaging updated',
        'communication: conversation deleted',
        'communication: missedItems updated'), 'recipient: timed out, then missed');
}
Test::More::is(main::missed($B2), '200 1/1', 'bob: one unread missed conversation');
Test::More::is(main::missed($A), '200 0/0', 'alice: nothing missed');
my $b;
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/messagingInvitations/$id");
Test::More::like($b, qr/"state":"Failed"/, 'the invitation is Failed');
($st, undef, $b) = MobilityUcwa::ucwa($B1, GET => '/communication');
Test::More::like($b, qr{"missedItems":\{"href":"[^"]+/communication/missedItems"}, 'communication links missedItems');
($st, undef, $b) = MobilityUcwa::ucwa($B1, GET => '/communication/missedItems', accept => 'application/xml');
Test::More::like($b, qr{<property name="missedConversationsCount">1</property>}, 'missedItems in XML');
MobilityUcwa::request($block, POST => "$B1->{app}/communication/messagingInvitations/$id/accept", token => $B1->{token});
--- error_code: 409
--- no_error_log
[alert]



=== TEST 2: an answer before the deadline cancels it: no timeout later
--- init
my $A = MobilityUcwa::session('alice');
my $C = MobilityUcwa::session('carol');
main::available($C);
my ($st) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:carol@contoso.com"}');
Test::More::is($st, 201, 'startMessaging: 201');
main::next_package($A);
my ($ev, $j) = main::next_package($C);
($st) = MobilityUcwa::ucwa($C, POST => main::embedded($j, 'messagingInvitation')->{_links}{accept}{href});
Test::More::is($st, 204, 'accept: 204');
($ev) = main::next_package($A);
Test::More::like($ev, qr/messagingInvitation completed Success$/, 'connected');
main::next_package($C);
my $p = MobilityUcwa::pget_start($A, $A->{events});
my @r = MobilityUcwa::pget_finish($p, 4);
Test::More::ok(!@r, 'no event after the deadline');
Test::More::is(main::missed($C), '200 0/0', 'carol: nothing missed');
MobilityUcwa::request($block, GET => "$C->{app}/communication/missedItems", token => $C->{token});
--- error_code: 200
--- response_body_like: "missedConversationsCount":0
--- no_error_log
[alert]



=== TEST 3: an offline recipient: TemporarilyUnavailable for the sender, a missed conversation for dave
--- init
my $A = MobilityUcwa::session('alice');
my ($st) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:dave@contoso.com","subject":"Call me"}');
Test::More::is($st, 201, 'startMessaging: 201');
my ($ev) = main::next_package($A);
Test::More::like($ev, qr/messagingInvitation completed Failure Gone\/TemporarilyUnavailable/, 'sender: unavailable');
($st) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:nobody@contoso.com"}');
Test::More::is($st, 201, 'unknown recipient: 201');
my $D = MobilityUcwa::session('dave');
Test::More::is(main::missed($D), '200 1/1', 'dave: one missed conversation');
Test::More::is(main::missed($A), '200 0/0', 'alice: none');
MobilityUcwa::request($block, GET => "$D->{app}/communication/missedItems", token => $D->{token});
--- error_code: 200
--- response_body_like: "unreadMissedConversationsCount":1
--- no_error_log
[alert]



=== TEST 4: first accept wins: bob's other application sees its invitation end (Canceled) and cannot accept it any more
--- init
my $A = MobilityUcwa::session('alice');
my $B1 = MobilityUcwa::session('bob');
my $B2 = MobilityUcwa::session('bob');
main::available($B1);
main::available($B2);
my ($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:bob@contoso.com"}');
Test::More::is($st, 201, 'startMessaging: 201');
main::next_package($A);
my ($ev, $j) = main::next_package($B1);
my $accept1 = main::embedded($j, 'messagingInvitation')->{_links}{accept}{href};
($ev, $j) = main::next_package($B2);
my $accept2 = main::embedded($j, 'messagingInvitation')->{_links}{accept}{href};
($st) = MobilityUcwa::ucwa($B1, POST => $accept1);
Test::More::is($st, 204, 'B1 accepts: 204');
($ev) = main::next_package($B1);
Test::More::like($ev, qr/^communication: messagingInvitation updated\n.*messagingInvitation completed Success$/s, 'B1: connected');
($ev, $j) = main::next_package($B2);
Test::More::is($ev, join("\n",
    'communication: messagingInvitation completed Failure Gone/Canceled',
    'conversation: messaging updated',
    'communication: conversation deleted'), 'B2: ended elsewhere, in order');
my $inv = main::embedded($j, 'messagingInvitation');
Test::More::ok($inv->{state} eq 'Failed' && !$inv->{_links}{accept}, 'B2: Failed, no accept link');
Test::More::is(main::embedded($j, 'messaging')->{state}, 'Disconnected', 'B2: messaging Disconnected');
($ev) = main::next_package($A);
Test::More::like($ev, qr/messagingInvitation completed Success$/, 'alice: connected once');
MobilityUcwa::request($block, POST => $accept2, token => $B2->{token});
--- error_code: 409
--- response_body_like: InvalidState
--- no_error_log
[alert]



=== TEST 5: setIsTyping: the other participant sees typingParticipants added, nothing on a renewal, deleted ~10 s after the last one
--- init
my $A = MobilityUcwa::session('alice');
my $C = MobilityUcwa::session('carol');
main::available($C);
my ($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:carol@contoso.com"}');
my ($id) = ($h->{location}[0] // '') =~ m{/messagingInvitations/([0-9a-f]+)$};
main::next_package($A);
my ($ev, $j) = main::next_package($C);
($st) = MobilityUcwa::ucwa($C, POST => main::embedded($j, 'messagingInvitation')->{_links}{accept}{href});
main::next_package($A);
main::next_package($C);
($st) = MobilityUcwa::ucwa($A, POST => "/communication/conversations/$id/messaging/typing");
Test::More::is($st, 204, 'setIsTyping: 204');
($ev, $j) = main::next_package($C);
Test::More::is($ev, 'conversation: participant added', 'carol: alice types');
my $e = $j->{sender}[0]{events}[0];
Test::More::is($e->{in}{rel}, 'typingParticipants', 'in typingParticipants');
Test::More::like($e->{link}{href}, qr{/participants/alice\@contoso\.com$}, 'the participant is alice');
sleep 2;
($st) = MobilityUcwa::ucwa($A, POST => "/communication/conversations/$id/messaging/typing");
Test::More::is($st, 204, 'renewed: 204');
my $took;
($ev, undef, $took) = main::next_package($C, 20);
Test::More::is($ev, 'conversation: participant deleted', 'carol: alice stopped typing');
Test::More::ok($took > 8 && $took < 13, "about 10 s after the renewal ($took s)");
my $p = MobilityUcwa::pget_start($A, $A->{events});
my @r = MobilityUcwa::pget_finish($p, 0.5);
Test::More::ok(!@r, 'alice is not told about her own typing');
MobilityUcwa::request($block, POST => "$C->{app}/communication/conversations/$id/messaging/typing", token => $C->{token});
--- error_code: 204
--- no_error_log
[alert]
