# UCWA instant messaging between two users (spec §7.2-§7.4): start with a
# first message, the incoming invitation, accept, messages both ways,
# stop, decline, unknown and unavailable recipients, isolation.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityUcwa qw(:DEFAULT next_package embedded available);

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();

ucwa_blocks($Store, mobility_ucwa_pget_timeout => '30s');

# what next_package() shows of an event
$MobilityUcwa::Show{reason} = 'subcode';
$MobilityUcwa::Show{in} = 1;

run_tests();

__DATA__

=== TEST 1: alice messages bob: invitation, accept, messages both ways, stop; carol cannot read the conversation
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
main::available($B);
my ($st, $h, $b) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
    body => '{"importance":"Normal","sessionContext":"x","subject":"Task Sample","telemetryId":null,"to":"sip:bob@contoso.com","operationId":"op-1","_links":{"message":{"href":"data:text/plain;base64,SGkgQm9iIQ=="}}}');
Test::More::is($st, 201, 'startMessaging: 201');
my ($id) = ($h->{location}[0] // '') =~ m{/communication/messagingInvitations/([0-9a-f]+)$};
Test::More::ok($id, 'Location');
my ($ev, $j) = main::next_package($A);
Test::More::is($ev, join("\n",
    'communication: messagingInvitation started',
    'communication: conversation added',
    'conversation: localParticipant added',
    'conversation: messaging updated'), 'sender events, step 1');
my $inv = main::embedded($j, 'messagingInvitation');
Test::More::is("$inv->{direction} $inv->{state} $inv->{operationId} $inv->{subject}", 'Outgoing Connecting op-1 Task Sample', 'outgoing invitation');
Test::More::is(main::embedded($j, 'messaging')->{state}, 'Connecting', 'messaging Connecting');
($ev, $j) = main::next_package($B);
Test::More::is($ev, "communication: messagingInvitation started\ncommunication: conversation added", 'recipient events');
$inv = main::embedded($j, 'messagingInvitation');
Test::More::is($inv->{direction}, 'Incoming', 'incoming');
Test::More::is($inv->{_links}{message}{href}, 'data:text/plain;charset=utf-8,Hi+Bob!', 'first message as a data URI');
Test::More::is($inv->{_embedded}{from}{uri}, 'sip:alice@contoso.com', 'from');
Test::More::is(main::embedded($j, 'conversation')->{state}, 'Incoming', 'conversation Incoming');
my $accept = $inv->{_links}{accept}{href};
Test::More::like($accept, qr{/messagingInvitations/$id/accept$}, 'accept link');
($st) = MobilityUcwa::ucwa($B, POST => $accept);
Test::More::is($st, 204, 'accept: 204');
($ev, $j) = main::next_package($A);
my $connected = join("\n",
    'communication: conversation updated',
    'conversation: participant added',
    'conversation: participantMessaging added in participant',
    'conversation: participantMessaging added in participant',
    'conversation: messaging updated',
    'communication: messagingInvitation completed Success');
Test::More::is($ev, $connected, 'sender events, step 2');
my $msg = main::embedded($j, 'messaging');
Test::More::is($msg->{state}, 'Connected', 'sender messaging Connected');
Test::More::is(main::embedded($j, 'conversation')->{state}, 'Connected', 'sender conversation Connected');
my $send = $msg->{_links}{sendMessage}{href};
Test::More::ok($send && $msg->{_links}{setIsTyping} && $msg->{_links}{stopMessaging}, 'messaging links');
($ev, $j) = main::next_package($B);
Test::More::is($ev, "communication: messagingInvitation updated\n$connected", 'recipient events');
Test::More::is(main::embedded($j, 'messaging')->{state}, 'Connected', 'recipient messaging Connected');
my $bsend = main::embedded($j, 'messaging')->{_links}{sendMessage}{href};
($st, $h) = MobilityUcwa::ucwa($A, POST => $send, type => 'text/plain', body => 'Hello Bob');
Test::More::is($st, 201, 'sendMessage: 201');
Test::More::like($h->{location}[0] // '', qr{/communication/conversations/$id/messaging/messages/1$}, 'message Location');
($ev, $j) = main::next_package($A);
Test::More::is($ev, 'conversation: message completed Success', 'sender: message completed');
Test::More::is(main::embedded($j, 'message')->{direction}, 'Outgoing', 'outgoing');
($ev, $j) = main::next_package($B);
Test::More::is($ev, 'conversation: message completed Success', 'recipient: message');
my $m = main::embedded($j, 'message');
Test::More::is($m->{direction}, 'Incoming', 'incoming');
Test::More::is($m->{_links}{plainMessage}{href}, 'data:text/plain;charset=utf-8,Hello+Bob', 'plainMessage');
Test::More::is($m->{_links}{participant}{title}, 'Alice Smith', 'participant title');
# bob replies to the incoming message's self href
($st) = MobilityUcwa::ucwa($B, POST => $m->{_links}{self}{href}, type => 'text/plain; charset=utf-8', body => 'Hi Alice, ok & done');
Test::More::is($st, 201, 'reply: 201');
($ev, $j) = main::next_package($A);
Test::More::is(main::embedded($j, 'message')->{_links}{plainMessage}{href}, 'data:text/plain;charset=utf-8,Hi+Alice%2c+ok+%26+done', 'alice receives the reply');
main::next_package($B);
# carol: not a participant
my $C = MobilityUcwa::session('carol');
($st) = MobilityUcwa::ucwa($C, GET => "/communication/messagingInvitations/$id");
Test::More::is($st, 404, 'carol: invitation 404');
($st) = MobilityUcwa::ucwa($C, POST => "/communication/conversations/$id/messaging/messages", type => 'text/plain', body => 'x');
Test::More::is($st, 404, 'carol: send 404');
($st, undef, $b) = MobilityUcwa::ucwa($B, GET => "/communication/conversations/$id");
Test::More::like($b, qr{"state":"Connected"}, 'bob GETs the conversation');
# stop
($st) = MobilityUcwa::ucwa($A, POST => "/communication/conversations/$id/messaging/terminate");
Test::More::is($st, 204, 'stopMessaging: 204');
($ev) = main::next_package($A);
# the log each got changes conversationLogsCount: missedItems updated, last
Test::More::is($ev, "conversation: messaging updated\ncommunication: conversation deleted\ncommunication: missedItems updated", 'sender: ended');
($ev) = main::next_package($B);
Test::More::is($ev, "conversation: messaging updated\ncommunication: conversation deleted\ncommunication: missedItems updated", 'recipient: ended');
MobilityUcwa::request($block, GET => "$C->{app}/communication/conversations/$id", token => $C->{token});
--- error_code: 404
--- no_error_log
[alert]



=== TEST 2: decline: the sender's invitation completes Failure Declined
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
main::available($B);
my ($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations?to=sip:bob@contoso.com&operationId=op-2');
Test::More::is($st, 201, 'startMessaging from the query: 201');
main::next_package($A);
my ($ev, $j) = main::next_package($B);
my $decline = main::embedded($j, 'messagingInvitation')->{_links}{decline}{href};
($st) = MobilityUcwa::ucwa($B, POST => $decline, body => '{"reason":"Local"}');
Test::More::is($st, 204, 'decline: 204');
($ev) = main::next_package($A);
Test::More::is($ev, join("\n", 'communication: messagingInvitation completed Failure Declined',
    'conversation: messaging updated', 'communication: conversation deleted',
    'communication: missedItems updated'), 'sender: declined');
MobilityUcwa::request($block, POST => "$B->{app}/communication/messagingInvitations?to=sip:bob\@contoso.com", token => $B->{token});
--- error_code: 400
--- no_error_log
[alert]



=== TEST 3: unknown and unavailable recipients fail with DestinationNotFound and TemporarilyUnavailable
--- init
my $A = MobilityUcwa::session('alice');
my ($st) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations', body => '{"to":"sip:nobody@contoso.com","operationId":"op-3"}');
Test::More::is($st, 201, 'unknown: 201');
my ($ev) = main::next_package($A);
Test::More::is($ev, join("\n", 'communication: messagingInvitation started',
    'communication: conversation added', 'conversation: localParticipant added',
    'conversation: messaging updated',
    'communication: messagingInvitation completed Failure DestinationNotFound',
    'conversation: messaging updated', 'communication: conversation deleted',
    'communication: missedItems updated'), 'unknown: failure');
($st) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations', body => '{"to":"sip:dave@contoso.com"}');
Test::More::is($st, 201, 'unavailable: 201');
($ev) = main::next_package($A);
Test::More::like($ev, qr/messagingInvitation completed Failure TemporarilyUnavailable/, 'unavailable: failure');
MobilityUcwa::request($block, POST => "$A->{app}/communication/messagingInvitations", token => $A->{token}, body => '{"subject":"x"}');
--- error_code: 400
--- no_error_log
[alert]
