# UCWA IM meetings, the live side (spec §7.6; docs/ucwa.md "Conferences"):
# an ad-hoc meeting (startOnlineMeeting), addParticipant with the incoming
# onlineMeetingInvitation, accept, decline and no answer, the escalation of
# a two-party IM to three parties keeping its id and messages, messages
# reaching every member, leaving, leader operations (eject, promote,
# demote), the cancel of a participantInvitation, guests refused, bad input
# and isolation.  Three users
# across two workers; the event order of each party is pinned.

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

ucwa_blocks($Store, mobility_ucwa_pget_timeout => '30s',
            mobility_ucwa_invitation_timeout => '2s');

# what next_package() shows of an event
$MobilityUcwa::Show{reason} = 'subcode';
$MobilityUcwa::Show{in} = 1;

# the events an invitee sees once it accepted, for n other members
sub accepted_events {
    my $n = shift;
    return join("\n",
        'communication: onlineMeetingInvitation updated',
        'communication: conversation updated',
        ("conversation: participant added\n"
         . 'conversation: participantMessaging added in participant') x $n,
        'conversation: participantMessaging added in participant',
        'conversation: messaging updated',
        'communication: onlineMeetingInvitation completed Success');
}

# the conference key of a meeting, read from the store (mdb_dump): what an
# invitation mail would carry to a guest
sub meeting_key {
    my ($organizer, $id) = @_;
    my $dir = $main::Store;
    my @lines = `mdb_dump -s meetings '$dir' 2>/dev/null`;
    shift @lines while @lines && $lines[0] !~ /^HEADER=END/;
    shift @lines;
    while (@lines >= 2) {
        my ($k, $v) = map { my $x = $_; $x =~ s/^\s+|\s+$//g; pack('H*', $x) } splice(@lines, 0, 2);
        next unless $k eq "o$organizer\0$id";
        my $pos = 4;
        while ($pos + 6 <= length $v) {
            my ($tag, $len) = unpack('vV', substr($v, $pos, 6));
            return substr($v, $pos + 6, $len) if $tag == 7;
            $pos += 6 + $len;
        }
    }
    return undef;
}

# an anonymous meeting token (urn:microsoft.rtc:anonmeeting)
sub anon_token {
    my ($uri, $key) = @_;
    my ($st, undef, $b) = Mobility::http('POST', '/WebTicket/oauthtoken',
        body => "grant_type=urn:microsoft.rtc:anonmeeting&password=$key&ms_rtc_conferenceuri=$uri",
        headers => ['Content-Type: application/x-www-form-urlencoded']);
    Test::More::is($st, 200, 'anonymous meeting token');
    return Mobility::json_body($b)->{access_token};
}

run_tests();

__DATA__

=== TEST 1: ad-hoc meeting: start, add bob, accept, messages to all, roster, leave; carol cannot read or post
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
my $C = MobilityUcwa::session('carol');
main::available($A);
main::available($B);
my ($st, $h, $b) = MobilityUcwa::ucwa($A, POST => '/communication/onlineMeetingInvitations?onlineMeetingUri=adhoc',
    body => '{"subject":"Standup","operationId":"op-m1","importance":"Normal"}');
Test::More::is($st, 201, 'startOnlineMeeting: 201');
my ($id, $n) = ($h->{location}[0] // '') =~ m{/communication/onlineMeetingInvitations/([0-9a-f]+)-(\d+)$};
Test::More::ok($id, 'Location of the onlineMeetingInvitation');
my $omi = MobilityUcwa::decode($b);
Test::More::is("$omi->{direction} $omi->{state} $omi->{operationId} $omi->{subject}", 'Outgoing Connected op-m1 Standup', 'the invitation');
Test::More::like($omi->{onlineMeetingUri}, qr{^sip:alice\@contoso\.com;gruu;opaque=app:conf:focus:id:[0-9A-Z]{8}$}, 'onlineMeetingUri names the organizer');
my ($ev, $j) = main::next_package($A);
Test::More::is($ev, join("\n",
    'communication: onlineMeetingInvitation started',
    'communication: conversation added',
    'conversation: localParticipant added',
    'communication: conversation updated',
    'conversation: participantMessaging added in participant',
    'conversation: messaging updated',
    'communication: onlineMeetingInvitation completed Success'), 'organizer events');
my $conv = main::embedded($j, 'conversation', 'updated');
Test::More::is($conv->{state}, 'Conferenced', 'conversation Conferenced');
Test::More::is(join(',', @{ $conv->{activeModalities} }), 'Messaging', 'messaging active');
my $add = $conv->{_links}{addParticipant}{href};
Test::More::like($add, qr{/participantInvitations\?conversation=$id$}, 'addParticipant link');
Test::More::ok($conv->{_links}{onlineMeeting} && $conv->{_links}{leaders} && $conv->{_links}{attendees} && $conv->{_links}{lobby}, 'conference links');
my $lp = main::embedded($j, 'localParticipant');
Test::More::is("$lp->{role} " . ($lp->{organizer} ? 'organizer' : '-'), 'Leader organizer', 'organizer is leader');
# the onlineMeeting resource
($st) = MobilityUcwa::ucwa($A, GET => "/communication/messagingInvitations/$id");
Test::More::is($st, 404, 'an ad-hoc meeting has no messagingInvitation');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversations/$id/onlineMeeting");
Test::More::is($st, 200, 'onlineMeeting: 200');
my $om = MobilityUcwa::decode($b);
Test::More::is("$om->{organizerUri} $om->{onlineMeetingUri}", "sip:alice\@contoso.com $omi->{onlineMeetingUri}", 'onlineMeeting: organizer and URI');
# add bob
($st, $h, $b) = MobilityUcwa::ucwa($A, POST => $add, body => '{"to":"sip:bob@contoso.com","operationId":"op-p1"}');
Test::More::is($st, 201, 'addParticipant: 201');
Test::More::like($h->{location}[0] // '', qr{/communication/participantInvitations/$id-\d+$}, 'participantInvitation Location');
my $pi = MobilityUcwa::decode($b);
Test::More::is("$pi->{direction} $pi->{state} $pi->{to} $pi->{operationId}", 'Outgoing Connecting sip:bob@contoso.com op-p1', 'participantInvitation');
($ev) = main::next_package($A);
Test::More::is($ev, 'communication: participantInvitation started', 'inviter: participantInvitation started');
($ev, $j) = main::next_package($B);
Test::More::is($ev, "communication: onlineMeetingInvitation started\ncommunication: conversation added", 'invitee: an incoming onlineMeetingInvitation');
my $inc = main::embedded($j, 'onlineMeetingInvitation');
Test::More::is("$inc->{direction} $inc->{state}", 'Incoming Connecting', 'incoming, connecting');
Test::More::is($inc->{_embedded}{from}{uri}, 'sip:alice@contoso.com', 'from alice');
Test::More::is($inc->{onlineMeetingUri}, $omi->{onlineMeetingUri}, 'the meeting');
Test::More::is(main::embedded($j, 'conversation')->{state}, 'Incoming', 'conversation Incoming');
# bob reads the invitation, carol cannot
($st) = MobilityUcwa::ucwa($B, GET => $inc->{_links}{self}{href});
Test::More::is($st, 200, 'invitee reads its invitation');
($st) = MobilityUcwa::ucwa($C, GET => "/communication/onlineMeetingInvitations/$id-2");
Test::More::is($st, 404, 'carol cannot read it');
($st) = MobilityUcwa::ucwa($C, POST => "/communication/onlineMeetingInvitations/$id-2/accept");
Test::More::is($st, 404, 'nor accept it');
($st) = MobilityUcwa::ucwa($B, POST => $inc->{_links}{accept}{href});
Test::More::is($st, 204, 'accept: 204');
($ev, $j) = main::next_package($B);
Test::More::is($ev, main::accepted_events(1), 'invitee events after accept');
Test::More::is(main::embedded($j, 'conversation')->{participantCount}, 2, 'participantCount');
my $bsend = main::embedded($j, 'messaging')->{_links}{sendMessage}{href};
($ev, $j) = main::next_package($A);
Test::More::is($ev, join("\n",
    'conversation: participant added',
    'conversation: participantMessaging added in participant',
    'communication: participantInvitation completed Success'), 'inviter: bob joined, invitation completed');
Test::More::is(main::embedded($j, 'participantInvitation')->{_embedded}{acceptedByParticipant}[0]{uri}, 'sip:bob@contoso.com', 'acceptedByParticipant');
# messages
($st, $h) = MobilityUcwa::ucwa($B, POST => $bsend, type => 'text/plain', body => 'Hello all');
Test::More::is($st, 201, 'sendMessage: 201');
Test::More::like($h->{location}[0] // '', qr{/conversations/$id/messaging/messages/1$}, 'message Location');
($ev, $j) = main::next_package($B);
Test::More::is($ev, 'conversation: message completed Success', 'sender: completed');
Test::More::is(main::embedded($j, 'message')->{direction}, 'Outgoing', 'outgoing');
($ev, $j) = main::next_package($A);
Test::More::is($ev, 'conversation: message completed Success', 'alice: the message');
my $m = main::embedded($j, 'message');
Test::More::is("$m->{direction} $m->{_links}{plainMessage}{href}", 'Incoming data:text/plain;charset=utf-8,Hello+all', 'incoming plain message');
Test::More::is($m->{_links}{participant}{title}, 'Bob Kelly', 'participant title');
# the roster
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversations/$id/participants");
Test::More::is($st, 200, 'participants: 200');
my $list = MobilityUcwa::decode($b);
Test::More::is(scalar(@{ $list->{_embedded}{participant} // $list->{_links}{participant} // [] }), 2, 'two participants');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversations/$id/participants/bob\@contoso.com");
Test::More::is(MobilityUcwa::decode($b)->{role}, 'Attendee', 'bob is an attendee');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversations/$id/leaders");
Test::More::like($b, qr{participants/alice\@contoso\.com}, 'leaders: alice');
Test::More::unlike($b, qr{participants/bob}, 'leaders: not bob');
# isolation
($st) = MobilityUcwa::ucwa($C, GET => "/communication/conversations/$id");
Test::More::is($st, 404, 'carol cannot read the conference');
($st) = MobilityUcwa::ucwa($C, POST => "/communication/conversations/$id/messaging/messages", type => 'text/plain', body => 'intrude');
Test::More::is($st, 404, 'nor post to it');
($st) = MobilityUcwa::ucwa($C, POST => "/communication/participantInvitations?conversation=$id", body => '{"to":"sip:dave@contoso.com"}');
Test::More::is($st, 404, 'nor add to it');
# bob leaves, then alice: the conference ends
($st) = MobilityUcwa::ucwa($B, DELETE => "/communication/conversations/$id");
Test::More::is($st, 204, 'bob leaves: 204');
($ev) = main::next_package($B);
Test::More::is($ev, "conversation: messaging updated\ncommunication: conversation deleted\ncommunication: missedItems updated", 'leaver: ended, then its conversation log counted');
($ev) = main::next_package($A);
Test::More::is($ev, 'conversation: participant deleted', 'alice sees bob go');
($st) = MobilityUcwa::ucwa($A, POST => "/communication/conversations/$id/messaging/terminate");
Test::More::is($st, 204, 'alice stops messaging: 204');
($ev) = main::next_package($A);
Test::More::is($ev, "conversation: messaging updated\ncommunication: conversation deleted\ncommunication: missedItems updated", 'alice: ended, then her conversation log counted');
MobilityUcwa::request($block, GET => "$A->{app}/communication/conversations/$id", token => $A->{token});
--- error_code: 404
--- no_error_log
[alert]
[error]



=== TEST 2: escalation: a two-party IM between alice and bob becomes a three-party conference with carol, same id and messages
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
my $C = MobilityUcwa::session('carol');
my $D = MobilityUcwa::session('dave');
main::available($B);
main::available($C);
my ($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations', body => '{"to":"sip:bob@contoso.com","subject":"Plan"}');
Test::More::is($st, 201, 'startMessaging');
my ($id) = ($h->{location}[0] // '') =~ m{/messagingInvitations/([0-9a-f]+)$};
main::next_package($A);
my ($ev, $j) = main::next_package($B);
($st) = MobilityUcwa::ucwa($B, POST => main::embedded($j, 'messagingInvitation')->{_links}{accept}{href});
Test::More::is($st, 204, 'bob accepts');
main::next_package($A);
main::next_package($B);
($st) = MobilityUcwa::ucwa($A, POST => "/communication/conversations/$id/messaging/messages", type => 'text/plain', body => 'two-party');
Test::More::is($st, 201, 'a two-party message');
main::next_package($A);
main::next_package($B);
# dave is not in it
($st) = MobilityUcwa::ucwa($D, POST => "/communication/participantInvitations?conversation=$id", body => '{"to":"sip:carol@contoso.com"}');
Test::More::is($st, 404, 'a non-member cannot add participants');
# alice adds carol: escalation first
($st, $h) = MobilityUcwa::ucwa($A, POST => "/communication/participantInvitations?conversation=$id&to=sip:carol\@contoso.com", body => '{"operationId":"op-e1"}');
Test::More::is($st, 201, 'addParticipant on a two-party conversation: 201');
($ev, $j) = main::next_package($A);
Test::More::is($ev, "communication: conversation updated\ncommunication: participantInvitation started", 'inviter: conference, then the invitation');
Test::More::is(main::embedded($j, 'conversation')->{state}, 'Conferenced', 'inviter: Conferenced');
($ev, $j) = main::next_package($B);
Test::More::is($ev, 'communication: conversation updated', 'other party: the conversation becomes a conference');
Test::More::is(main::embedded($j, 'conversation')->{state}, 'Conferenced', 'other party: Conferenced');
($ev, $j) = main::next_package($C);
Test::More::is($ev, "communication: onlineMeetingInvitation started\ncommunication: conversation added", 'invitee: incoming onlineMeetingInvitation');
my $inc = main::embedded($j, 'onlineMeetingInvitation');
Test::More::like($inc->{_links}{conversation}{href}, qr{/conversations/$id$}, 'same conversation id');
($st) = MobilityUcwa::ucwa($C, POST => $inc->{_links}{accept}{href});
Test::More::is($st, 204, 'carol accepts');
($ev) = main::next_package($C);
Test::More::is($ev, main::accepted_events(2), 'carol: both members, then joined');
($ev) = main::next_package($A);
Test::More::is($ev, join("\n",
    'conversation: participant added',
    'conversation: participantMessaging added in participant',
    'communication: participantInvitation completed Success'), 'alice: carol in, invitation completed');
($ev) = main::next_package($B);
Test::More::is($ev, "conversation: participant added\nconversation: participantMessaging added in participant", 'bob: carol in');
# a message reaches everyone; the numbering continues the two-party one
($st, $h) = MobilityUcwa::ucwa($B, POST => "/communication/conversations/$id/messaging/messages", type => 'text/plain', body => 'three-party');
Test::More::is($st, 201, 'bob sends');
Test::More::like($h->{location}[0] // '', qr{/messages/2$}, 'message 2: the two-party message was kept');
($ev) = main::next_package($B);
Test::More::is($ev, 'conversation: message completed Success', 'bob: completed');
for my $s ([$A, 'alice'], [$C, 'carol']) {
    ($ev, $j) = main::next_package($s->[0]);
    Test::More::is($ev, 'conversation: message completed Success', "$s->[1] receives it");
    my $m = main::embedded($j, 'message');
    Test::More::is("$m->{direction} $m->{_links}{plainMessage}{href}", 'Incoming data:text/plain;charset=utf-8,three-party', "$s->[1]: incoming");
}
# typing shows to the others for 10 s after the last setIsTyping ...
($st) = MobilityUcwa::ucwa($C, POST => "/communication/conversations/$id/messaging/typing");
Test::More::is($st, 204, 'setIsTyping: 204');
($st) = MobilityUcwa::ucwa($C, POST => "/communication/conversations/$id/messaging/typing");
Test::More::is($st, 204, 'setIsTyping again: 204, nothing new');
($ev) = main::next_package($A);
Test::More::is($ev, 'conversation: participant added in typingParticipants', 'alice sees carol typing');
($ev) = main::next_package($B);
Test::More::is($ev, 'conversation: participant added in typingParticipants', 'bob sees carol typing');
($ev) = main::next_package($A, 15);
Test::More::is($ev, 'conversation: participant deleted in typingParticipants', 'alice: carol stopped typing');
($ev) = main::next_package($B, 15);
Test::More::is($ev, 'conversation: participant deleted in typingParticipants', 'bob: carol stopped typing');
# ... or until the typer's next message
($st) = MobilityUcwa::ucwa($C, POST => "/communication/conversations/$id/messaging/typing");
($ev) = main::next_package($A);
Test::More::is($ev, 'conversation: participant added in typingParticipants', 'carol types again');
main::next_package($B);
($st) = MobilityUcwa::ucwa($C, POST => "/communication/conversations/$id/messaging/messages", type => 'text/plain', body => 'done typing');
Test::More::is($st, 201, 'carol sends');
($ev) = main::next_package($A);
Test::More::is($ev, "conversation: participant deleted in typingParticipants\nconversation: message completed Success", 'alice: typing ends with the message');
main::next_package($B);
main::next_package($C);
# dave still cannot read it; adding bob again conflicts
($st) = MobilityUcwa::ucwa($D, GET => "/communication/conversations/$id");
Test::More::is($st, 404, 'dave cannot read the conference');
($st) = MobilityUcwa::ucwa($A, POST => "/communication/participantInvitations?conversation=$id", body => '{"to":"sip:bob@contoso.com"}');
Test::More::is($st, 409, 'inviting a member: 409');
($st) = MobilityUcwa::ucwa($D, GET => "/communication/conversations/$id/participants");
Test::More::is($st, 404, 'nor its roster');
# everyone leaves: the two original parties keep the log, with every message
for my $s ([$C, 'carol'], [$B, 'bob'], [$A, 'alice']) {
    ($st) = MobilityUcwa::ucwa($s->[0], DELETE => "/communication/conversations/$id");
    Test::More::is($st, 204, "$s->[1] leaves");
}
($st, undef, my $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversationLogs/$id");
Test::More::is($st, 200, 'alice has the log of the escalated conversation');
Test::More::is(MobilityUcwa::decode($b)->{status}, 'Connected', 'connected');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversationLogs/$id/conversationLogTranscripts");
Test::More::like($b, qr/two-party.*three-party/s, 'the transcript: both messages');
MobilityUcwa::request($block, GET => "$A->{app}/communication/conversations/$id", token => $A->{token});
--- error_code: 404
--- no_error_log
[alert]
[error]



=== TEST 3: decline, no answer (Timeout, a missed conversation) and the documented failures of addParticipant
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
my $E = MobilityUcwa::session('erin');
main::available($A);
main::available($B);
main::available($E);
my ($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/onlineMeetingInvitations', body => '{"onlineMeetingUri":"adhoc"}');
Test::More::is($st, 201, 'ad-hoc meeting');
my ($id) = ($h->{location}[0] // '') =~ m{/onlineMeetingInvitations/([0-9a-f]+)-\d+$};
main::next_package($A);
my $add = "/communication/participantInvitations?conversation=$id";
# bob declines
($st) = MobilityUcwa::ucwa($A, POST => $add, body => '{"to":"sip:bob@contoso.com","operationId":"op-d1"}');
Test::More::is($st, 201, 'invite bob');
main::next_package($A);
my ($ev, $j) = main::next_package($B);
($st) = MobilityUcwa::ucwa($B, POST => main::embedded($j, 'onlineMeetingInvitation')->{_links}{decline}{href});
Test::More::is($st, 204, 'bob declines');
($ev) = main::next_package($A);
Test::More::is($ev, 'communication: participantInvitation completed Failure Declined', 'inviter: Declined');
($ev) = main::next_package($B);
Test::More::is($ev, "communication: onlineMeetingInvitation completed Failure Declined\ncommunication: conversation deleted", 'invitee: Declined, conversation gone');
($st) = MobilityUcwa::ucwa($B, GET => "/communication/conversations/$id");
Test::More::is($st, 404, 'bob is not in it');
# a replayed operationId of a pending invitation
($st) = MobilityUcwa::ucwa($A, POST => $add, body => '{"to":"sip:erin@contoso.com","operationId":"op-t1"}');
Test::More::is($st, 201, 'invite erin');
($st) = MobilityUcwa::ucwa($A, POST => $add, body => '{"to":"sip:frank@contoso.com","operationId":"op-t1"}');
Test::More::is($st, 409, 'a replayed operationId: 409');
($st) = MobilityUcwa::ucwa($A, POST => $add, body => '{"to":"sip:erin@contoso.com"}');
Test::More::is($st, 409, 'inviting a pending invitee again: 409');
($ev) = main::next_package($A);
Test::More::is($ev, 'communication: participantInvitation started', 'one invitation only');
($ev) = main::next_package($E);
Test::More::is($ev, "communication: onlineMeetingInvitation started\ncommunication: conversation added", 'erin invited');
# erin does not answer
($ev) = main::next_package($A, 8);
Test::More::is($ev, 'communication: participantInvitation completed Failure Timeout', 'inviter: Timeout');
($ev) = main::next_package($E, 8);
Test::More::like($ev, qr{^communication: onlineMeetingInvitation completed Failure Timeout\ncommunication: conversation deleted\ncommunication: missedItems updated}, 'invitee: Timeout, a missed conversation');
($st, undef, my $b) = MobilityUcwa::ucwa($E, GET => '/communication/missedItems');
Test::More::is(MobilityUcwa::decode($b)->{missedConversationsCount}, 1, 'erin missed it');
# unknown user: the invitation fails like startMessaging
($st) = MobilityUcwa::ucwa($A, POST => $add, body => '{"to":"sip:nobody@contoso.com"}');
Test::More::is($st, 201, 'unknown invitee: 201');
($ev) = main::next_package($A);
Test::More::is($ev, "communication: participantInvitation started\ncommunication: participantInvitation completed Failure DestinationNotFound", 'DestinationNotFound');
($st) = MobilityUcwa::ucwa($A, POST => $add, body => '{"to":"not a uri"}');
Test::More::is($st, 400, 'invalid SIP URI: 400');
($st) = MobilityUcwa::ucwa($A, POST => $add, body => '{"to":"sip:alice@contoso.com"}');
Test::More::is($st, 400, 'oneself: 400');
($st) = MobilityUcwa::ucwa($A, POST => '/communication/participantInvitations', body => '{"to":"sip:bob@contoso.com"}');
Test::More::is($st, 400, 'no conversation: 400');
($st) = MobilityUcwa::ucwa($A, POST => '/communication/participantInvitations?conversation=0123456789abcdef', body => '{"to":"sip:bob@contoso.com"}');
Test::More::is($st, 404, 'unknown conversation: 404');
($st) = MobilityUcwa::ucwa($A, POST => '/communication/onlineMeetingInvitations', body => '{"onlineMeetingUri":"sip:bob@contoso.com;gruu;opaque=app:conf:focus:id:ZZZZZZZZ"}');
Test::More::is($st, 404, 'join of an unknown meeting: 404');
MobilityUcwa::request($block, POST => "$A->{app}/communication/onlineMeetingInvitations", token => $A->{token}, body => '{"onlineMeetingUri":"http://x"}');
--- error_code: 400
--- no_error_log
[alert]



=== TEST 4: joinOnlineMeeting of a scheduled meeting: an attendee starts its conversation, uninvited users wait in the lobby, the organizer joins by joinUrl and admits or rejects them, a wait times out
--- http_config eval
MobilityUcwa::ucwa_http_config(mobility_ucwa_pget_timeout => '30s',
                               mobility_ucwa_lobby_timeout => '3s')
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
my $C = MobilityUcwa::session('carol');
my $D = MobilityUcwa::session('dave');
my $E = MobilityUcwa::session('erin');
my ($st, $h, $b) = MobilityUcwa::ucwa($A, POST => '/onlineMeetings/myOnlineMeetings',
    body => '{"subject":"Review","accessLevel":"Invited","attendees":["sip:bob@contoso.com"]}');
Test::More::is($st, 201, 'a scheduled meeting');
my $mt = MobilityUcwa::decode($b);
my $uri = $mt->{onlineMeetingUri};
# bob, an attendee, joins first: the meeting's conversation starts
($st, $h, $b) = MobilityUcwa::ucwa($B, POST => '/communication/onlineMeetingInvitations',
    body => qq({"onlineMeetingUri":"$uri","operationId":"op-j1"}));
Test::More::is($st, 201, 'joinOnlineMeeting: 201');
my ($id) = ($h->{location}[0] // '') =~ m{/onlineMeetingInvitations/([0-9a-f]+)-\d+$};
Test::More::ok($id, 'Location');
my $omi = MobilityUcwa::decode($b);
Test::More::is("$omi->{direction} $omi->{state} $omi->{operationId} $omi->{onlineMeetingUri}", "Outgoing Connected op-j1 $uri", 'joined');
my ($ev, $j) = main::next_package($B);
Test::More::is($ev, join("\n",
    'communication: onlineMeetingInvitation started',
    'communication: conversation added',
    'conversation: localParticipant added',
    'communication: conversation updated',
    'conversation: participantMessaging added in participant',
    'conversation: messaging updated',
    'communication: onlineMeetingInvitation completed Success'), 'attendee events');
Test::More::is(main::embedded($j, 'conversation', 'updated')->{subject}, 'Review', 'the meeting subject');
Test::More::is(main::embedded($j, 'localParticipant')->{role}, 'Attendee', 'an attendee');
# carol, dave and erin are not invited: they wait in the lobby
my %inv;
for my $s ([$C, 'carol'], [$D, 'dave'], [$E, 'erin']) {
    ($st, $h, $b) = MobilityUcwa::ucwa($s->[0], POST => "/communication/onlineMeetingInvitations?onlineMeetingUri=$uri");
    Test::More::is($st, 201, "$s->[1]: join: 201");
    Test::More::is(MobilityUcwa::decode($b)->{state}, 'Connecting', "$s->[1]: Connecting, in the lobby");
    ($ev, $j) = main::next_package($s->[0]);
    Test::More::is($ev, "communication: onlineMeetingInvitation started\ncommunication: conversation added\nconversation: localParticipant added", "$s->[1]: waiting");
    Test::More::ok(main::embedded($j, 'localParticipant')->{inLobby}, "$s->[1]: inLobby");
}
($st) = MobilityUcwa::ucwa($C, POST => "/communication/conversations/$id/messaging/messages", type => 'text/plain', body => 'early');
Test::More::is($st, 409, 'no messages from the lobby');
($st) = MobilityUcwa::ucwa($B, POST => "/communication/conversations/$id/participants/carol\@contoso.com/admit");
Test::More::is($st, 403, 'an attendee cannot admit');
# the organizer joins by joinUrl: the same conversation, and sees the lobby
($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/onlineMeetingInvitations',
    body => qq({"onlineMeetingUri":"$mt->{joinUrl}"}));
Test::More::is($st, 201, 'join by joinUrl: 201');
Test::More::like($h->{location}[0] // '', qr{/onlineMeetingInvitations/$id-\d+$}, 'the live conversation of the meeting');
($ev, $j) = main::next_package($A);
Test::More::is($ev, join("\n",
    'communication: onlineMeetingInvitation started',
    'communication: conversation added',
    'conversation: localParticipant added',
    'communication: conversation updated',
    'conversation: participant added',
    'conversation: participantMessaging added in participant',
    'conversation: participant added in lobby',
    'conversation: participant added in lobby',
    'conversation: participant added in lobby',
    'conversation: participantMessaging added in participant',
    'conversation: messaging updated',
    'communication: onlineMeetingInvitation completed Success'), 'organizer events: the members, the lobby');
Test::More::is(main::embedded($j, 'localParticipant')->{role}, 'Leader', 'the organizer leads');
my $waiting = main::embedded($j, 'participant', 'added');
($ev) = main::next_package($B);
Test::More::is($ev, "conversation: participant added\nconversation: participantMessaging added in participant", 'bob sees alice join');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversations/$id/lobby");
Test::More::is(scalar(() = $b =~ /participants\//g), 3, 'the lobby: three');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversations/$id/participants/carol\@contoso.com");
my $cp = MobilityUcwa::decode($b);
Test::More::ok($cp->{inLobby} && $cp->{_links}{admit} && $cp->{_links}{reject}, 'a leader gets admit and reject');
# alice admits carol
($st) = MobilityUcwa::ucwa($A, POST => $cp->{_links}{admit}{href});
Test::More::is($st, 204, 'admit: 204');
($ev) = main::next_package($C);
Test::More::is($ev, join("\n",
    'communication: conversation updated',
    ("conversation: participant added\nconversation: participantMessaging added in participant") x 2,
    'conversation: participantMessaging added in participant',
    'conversation: messaging updated',
    'communication: onlineMeetingInvitation completed Success'), 'carol: admitted, joined');
($ev) = main::next_package($A);
Test::More::is($ev, "conversation: participant deleted in lobby\nconversation: participant added\nconversation: participantMessaging added in participant", 'alice: carol out of the lobby, in the meeting');
($ev) = main::next_package($B);
Test::More::is($ev, "conversation: participant added\nconversation: participantMessaging added in participant", 'bob: carol in');
# alice rejects erin
($st) = MobilityUcwa::ucwa($A, POST => "/communication/conversations/$id/participants/erin\@contoso.com/reject");
Test::More::is($st, 204, 'reject: 204');
($ev) = main::next_package($E);
Test::More::is($ev, "communication: onlineMeetingInvitation completed Failure Rejected\ncommunication: conversation deleted", 'erin: Rejected');
($ev) = main::next_package($A);
Test::More::is($ev, 'conversation: participant deleted in lobby', 'alice: erin gone from the lobby');
($st) = MobilityUcwa::ucwa($E, GET => "/communication/conversations/$id");
Test::More::is($st, 404, 'erin is not in the meeting');
# nobody admits dave in time
($ev) = main::next_package($D, 8);
Test::More::is($ev, "communication: onlineMeetingInvitation completed Failure Timeout\ncommunication: conversation deleted", 'dave: the wait timed out');
($ev) = main::next_package($A, 8);
Test::More::is($ev, 'conversation: participant deleted in lobby', 'alice: dave gone from the lobby');
($st) = MobilityUcwa::ucwa($A, POST => '/communication/onlineMeetingInvitations', body => qq({"onlineMeetingUri":"$uri"}));
Test::More::is($st, 409, 'joining twice: 409');
($st) = MobilityUcwa::ucwa($A, POST => "/communication/conversations/$id/messaging/messages", type => 'text/plain', body => 'Welcome');
Test::More::is($st, 201, 'the organizer sends');
main::next_package($A);
for my $s ([$B, 'bob'], [$C, 'carol']) {
    ($ev, $j) = main::next_package($s->[0]);
    Test::More::is(main::embedded($j, 'message')->{_links}{plainMessage}{href}, 'data:text/plain;charset=utf-8,Welcome', "$s->[1] receives it");
}
MobilityUcwa::request($block, GET => "$B->{app}/communication/conversations/$id/attendees", token => $B->{token});
--- error_code: 200
--- response_body_like: participants/bob@contoso\.com.*participants/carol@contoso\.com
--- no_error_log
[alert]
[error]



=== TEST 5: an anonymous guest joins the meeting its grant names, with its display name; nothing else
--- init
my $A = MobilityUcwa::session('alice');
main::available($A);
my ($st, $h, $b) = MobilityUcwa::ucwa($A, POST => '/onlineMeetings/myOnlineMeetings',
    body => '{"subject":"Open house","accessLevel":"Everyone"}');
Test::More::is($st, 201, 'a meeting open to everyone');
my $mt = MobilityUcwa::decode($b);
($st, undef, $b) = MobilityUcwa::ucwa($A, POST => '/onlineMeetings/myOnlineMeetings', body => '{"subject":"Other","accessLevel":"Everyone"}');
my $other = MobilityUcwa::decode($b);
($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/onlineMeetingInvitations', body => qq({"onlineMeetingUri":"$mt->{onlineMeetingUri}"}));
Test::More::is($st, 201, 'the organizer is in');
my ($id) = ($h->{location}[0] // '') =~ m{/onlineMeetingInvitations/([0-9a-f]+)-\d+$};
main::next_package($A);
my $key = main::meeting_key('alice@contoso.com', $mt->{onlineMeetingId});
Test::More::like($key // '', qr/^[0-9A-Z]{16}$/, 'the conference key');
my $G = MobilityUcwa::session('guest', token => main::anon_token($mt->{onlineMeetingUri}, $key));
($st) = MobilityUcwa::ucwa($G, POST => '/communication/onlineMeetingInvitations', body => qq({"onlineMeetingUri":"$mt->{onlineMeetingUri}"}));
Test::More::is($st, 400, 'a guest must give anonymousDisplayName');
($st) = MobilityUcwa::ucwa($G, POST => '/communication/onlineMeetingInvitations', body => qq({"onlineMeetingUri":"$other->{onlineMeetingUri}","anonymousDisplayName":"Visitor"}));
Test::More::is($st, 403, 'another meeting than the granted one: 403');
($st, undef, $b) = MobilityUcwa::ucwa($G, POST => '/communication/onlineMeetingInvitations?onlineMeetingUri=adhoc');
Test::More::is($st, 403, 'a guest cannot start a meeting');
Test::More::like($b, qr/AnonymousNotAllowed/, 'AnonymousNotAllowed');
($st, $h, $b) = MobilityUcwa::ucwa($G, POST => '/communication/onlineMeetingInvitations', body => qq({"onlineMeetingUri":"$mt->{onlineMeetingUri}","anonymousDisplayName":"Visitor"}));
Test::More::is($st, 201, 'the guest joins');
Test::More::is(MobilityUcwa::decode($b)->{anonymousDisplayName}, 'Visitor', 'anonymousDisplayName');
my ($ev, $j) = main::next_package($G);
Test::More::like($ev, qr/onlineMeetingInvitation completed Success$/, 'guest joined');
my $lp = main::embedded($j, 'localParticipant');
Test::More::is(($lp->{anonymous} ? 'anonymous' : 'named') . " $lp->{name}", 'anonymous Visitor', 'the guest participant');
($ev, $j) = main::next_package($A);
Test::More::is($ev, "conversation: participant added\nconversation: participantMessaging added in participant", 'alice sees the guest');
Test::More::is(main::embedded($j, 'participant')->{name}, 'Visitor', 'by its display name');
($st) = MobilityUcwa::ucwa($G, POST => "/communication/conversations/$id/messaging/messages", type => 'text/plain', body => 'Hi from a guest');
Test::More::is($st, 201, 'the guest sends');
($ev, $j) = main::next_package($A);
Test::More::is(main::embedded($j, 'message')->{_links}{plainMessage}{href}, 'data:text/plain;charset=utf-8,Hi+from+a+guest', 'alice receives it');
($st, undef, $b) = MobilityUcwa::ucwa($G, POST => "/communication/participantInvitations?conversation=$id", body => '{"to":"sip:bob@contoso.com"}');
Test::More::is($st, 403, 'a guest cannot add participants');
Test::More::like($b, qr/AnonymousNotAllowed/, 'AnonymousNotAllowed');
($st, undef, $b) = MobilityUcwa::ucwa($G, POST => '/communication/messagingInvitations', body => '{"to":"sip:bob@contoso.com"}');
Test::More::is($st, 403, 'a guest cannot start a two-party conversation (startMessaging)');
Test::More::like($b, qr/AnonymousNotAllowed/, 'AnonymousNotAllowed');
MobilityUcwa::request($block, GET => "$A->{app}/communication/conversations/$id/attendees", token => $A->{token});
--- error_code: 200
--- response_body_like: participants/anon-[0-9a-f]{16}@anonymous\.invalid
--- no_error_log
[alert]
[error]



=== TEST 6: only the joined application of a member writes; when it ends, the member leaves the conference
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
main::available($B);
my ($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/onlineMeetingInvitations?onlineMeetingUri=adhoc');
Test::More::is($st, 201, 'ad-hoc meeting');
my ($id) = ($h->{location}[0] // '') =~ m{/onlineMeetingInvitations/([0-9a-f]+)-\d+$};
main::next_package($A);
($st) = MobilityUcwa::ucwa($A, POST => "/communication/participantInvitations?conversation=$id", body => '{"to":"sip:bob@contoso.com"}');
Test::More::is($st, 201, 'invite bob');
main::next_package($A);
my ($ev, $j) = main::next_package($B);
($st) = MobilityUcwa::ucwa($B, POST => main::embedded($j, 'onlineMeetingInvitation')->{_links}{accept}{href});
Test::More::is($st, 204, 'bob accepts');
main::next_package($A);
my $B2 = MobilityUcwa::session('bob');
($st) = MobilityUcwa::ucwa($B2, GET => "/communication/conversations/$id");
Test::More::is($st, 200, 'another application of a member reads');
my $b;
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversations/$id", accept => 'application/xml');
Test::More::is($st, 200, 'the conference in XML');
Test::More::like($b, qr{<property name="state">Conferenced</property>}, 'XML: state');
Test::More::like($b, qr{<property name="participantCount">2</property>}, 'XML: participantCount');
Test::More::like($b, qr{<link rel="onlineMeeting" href="[^"]+/conversations/$id/onlineMeeting"/>}, 'XML: the onlineMeeting link');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversations/$id/participants/bob\@contoso.com", accept => 'application/xml');
Test::More::like($b, qr{<property name="inLobby">(?:false|False)</property>}, 'XML: a participant');
($st) = MobilityUcwa::ucwa($B2, POST => "/communication/conversations/$id/messaging/messages", type => 'text/plain', body => 'x');
Test::More::is($st, 409, 'but does not write');
($st) = MobilityUcwa::ucwa($B, DELETE => '');
Test::More::is($st, 204, "bob's joined application ends");
($ev) = main::next_package($A);
Test::More::is($ev, 'conversation: participant deleted', 'alice sees bob go with it');
($st) = MobilityUcwa::ucwa($B2, DELETE => "/communication/conversations/$id");
Test::More::is($st, 404, 'bob is no longer a member');
MobilityUcwa::request($block, GET => "$B2->{app}/communication/conversations/$id", token => $B2->{token});
--- error_code: 404
--- no_error_log
[alert]



=== TEST 7: leader operations on participants (participant_ref: eject, promote, demote): events to every member, 403 for a non-leader, 404 for an unknown participant, durable
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
my $C = MobilityUcwa::session('carol');
main::available($A);
main::available($B);
main::available($C);
my ($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/onlineMeetingInvitations?onlineMeetingUri=adhoc');
Test::More::is($st, 201, 'ad-hoc meeting');
my ($id) = ($h->{location}[0] // '') =~ m{/onlineMeetingInvitations/([0-9a-f]+)-\d+$};
main::next_package($A);
for my $s ($B, $C) {
    my $who = ($s == $B) ? 'bob@contoso.com' : 'carol@contoso.com';
    ($st) = MobilityUcwa::ucwa($A, POST => "/communication/participantInvitations?conversation=$id", body => qq({"to":"sip:$who"}));
    Test::More::is($st, 201, "invite $who");
    main::next_package($A);
    my (undef, $j) = main::next_package($s);
    ($st) = MobilityUcwa::ucwa($s, POST => main::embedded($j, 'onlineMeetingInvitation')->{_links}{accept}{href});
    Test::More::is($st, 204, "$who accepts");
    main::next_package($s);
    main::next_package($A);
    main::next_package($B) if $s == $C;
}
my $P = "/communication/conversations/$id/participants";
# what a leader sees, and what an attendee does not
my ($b);
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "$P/bob\@contoso.com");
my $p = MobilityUcwa::decode($b);
Test::More::is(join(',', map { $p->{_links}{$_} ? $_ : () } qw(eject promote demote admit)), 'eject,promote', 'a leader sees eject and promote on an attendee');
Test::More::like($p->{_links}{eject}{href}, qr{$P/bob\@contoso\.com/eject$}, 'the eject link');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "$P/alice\@contoso.com");
Test::More::ok(!MobilityUcwa::decode($b)->{_links}{eject}, 'no eject of oneself');
($st, undef, $b) = MobilityUcwa::ucwa($B, GET => "$P/carol\@contoso.com");
$p = MobilityUcwa::decode($b);
Test::More::ok(!$p->{_links}{eject} && !$p->{_links}{promote}, 'an attendee sees neither');
($st, undef, $b) = MobilityUcwa::ucwa($B, POST => "$P/carol\@contoso.com/eject");
Test::More::is($st, 403, 'an attendee cannot eject: 403');
($st) = MobilityUcwa::ucwa($B, POST => "$P/bob\@contoso.com/promote");
Test::More::is($st, 403, 'nor promote itself: 403');
($st) = MobilityUcwa::ucwa($A, POST => "$P/dave\@contoso.com/eject");
Test::More::is($st, 404, 'an unknown participant: 404');
($st) = MobilityUcwa::ucwa($A, POST => "$P/bob\@contoso.com/fly");
Test::More::is($st, 404, 'an unknown operation: 404');
($st) = MobilityUcwa::ucwa($A, POST => "$P/bob\@contoso.com/demote");
Test::More::is($st, 409, 'demote an attendee: 409');
# promote bob
($st) = MobilityUcwa::ucwa($A, POST => "$P/bob\@contoso.com/promote");
Test::More::is($st, 204, 'alice promotes bob: 204');
my ($ev, $j) = main::next_package($A);
Test::More::is($ev, 'conversation: participant added', 'alice: bob added again (promoted)');
Test::More::is(main::embedded($j, 'participant')->{role}, 'Leader', 'as a leader');
($ev, $j) = main::next_package($C);
Test::More::is($ev, 'conversation: participant added', 'carol: the same');
($ev, $j) = main::next_package($B);
Test::More::is($ev, "conversation: localParticipant updated\nconversation: participant updated\nconversation: participant updated", 'bob: its role, then its capabilities over alice and carol');
Test::More::is(main::embedded($j, 'localParticipant')->{role}, 'Leader', 'bob is a leader');
($st) = MobilityUcwa::ucwa($A, POST => "$P/bob\@contoso.com/promote");
Test::More::is($st, 409, 'promote a leader: 409');
($st) = MobilityUcwa::ucwa($B, POST => "$P/alice\@contoso.com/demote");
Test::More::is($st, 403, 'the organizer stays a leader: 403');
# durable: another application of carol reads the roster from the store
my $C2 = MobilityUcwa::session('carol');
($st, undef, $b) = MobilityUcwa::ucwa($C2, GET => "/communication/conversations/$id/leaders");
Test::More::like($b, qr{participants/bob\@contoso\.com}, 'leaders: bob');
# bob, now a leader, ejects carol
($st, undef, $b) = MobilityUcwa::ucwa($B, GET => "$P/carol\@contoso.com");
Test::More::ok(MobilityUcwa::decode($b)->{_links}{eject}, 'bob sees eject now');
($st) = MobilityUcwa::ucwa($B, POST => "$P/carol\@contoso.com/eject");
Test::More::is($st, 204, 'bob ejects carol: 204');
($ev) = main::next_package($C);
Test::More::is($ev, "conversation: messaging updated\ncommunication: conversation deleted\ncommunication: missedItems updated", 'carol: her conversation ends (and leaves her a log)');
($ev) = main::next_package($B);
Test::More::is($ev, 'conversation: participant deleted', 'bob sees carol go');
($ev) = main::next_package($A);
Test::More::is($ev, 'conversation: participant deleted', 'alice sees carol go');
($st) = MobilityUcwa::ucwa($C2, GET => "/communication/conversations/$id");
Test::More::is($st, 404, 'carol is out');
($st) = MobilityUcwa::ucwa($C, POST => "/communication/conversations/$id/messaging/messages", type => 'text/plain', body => 'still here?');
Test::More::is($st, 404, 'and cannot write');
($st) = MobilityUcwa::ucwa($A, POST => "$P/carol\@contoso.com/eject");
Test::More::is($st, 404, 'ejecting her again: 404');
($st) = MobilityUcwa::ucwa($A, POST => "$P/alice\@contoso.com/eject");
Test::More::is($st, 409, 'a leader does not eject itself: 409');
# alice demotes bob
($st) = MobilityUcwa::ucwa($A, POST => "$P/bob\@contoso.com/demote");
Test::More::is($st, 204, 'alice demotes bob: 204');
($ev) = main::next_package($A);
Test::More::is($ev, 'conversation: participant added', 'alice: bob demoted');
($ev, $j) = main::next_package($B);
Test::More::is($ev, "conversation: localParticipant updated\nconversation: participant updated", 'bob: its role, its capabilities over alice');
Test::More::is(main::embedded($j, 'localParticipant')->{role}, 'Attendee', 'bob is an attendee again');
($st) = MobilityUcwa::ucwa($B, POST => "$P/alice\@contoso.com/eject");
Test::More::is($st, 403, 'an attendee again: 403');
MobilityUcwa::request($block, GET => "$A->{app}$P/bob\@contoso.com", token => $A->{token});
--- error_code: 200
--- response_body_like: "role":"Attendee"
--- no_error_log
[alert]
[error]



=== TEST 8: the inviter cancels its participantInvitation before the answer: Failure Canceled on both sides; not once answered
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
my $C = MobilityUcwa::session('carol');
main::available($A);
main::available($B);
main::available($C);
my ($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/onlineMeetingInvitations?onlineMeetingUri=adhoc');
Test::More::is($st, 201, 'ad-hoc meeting');
my ($id) = ($h->{location}[0] // '') =~ m{/onlineMeetingInvitations/([0-9a-f]+)-\d+$};
main::next_package($A);
my $b;
($st, $h, $b) = MobilityUcwa::ucwa($A, POST => "/communication/participantInvitations?conversation=$id", body => '{"to":"sip:bob@contoso.com"}');
Test::More::is($st, 201, 'invite bob');
my $cancel = MobilityUcwa::decode($b)->{_links}{cancel}{href};
Test::More::like($cancel // '', qr{/communication/participantInvitations/$id-\d+/cancel$}, 'a pending participantInvitation has cancel');
my ($ev, $j) = main::next_package($A);
Test::More::is($ev, 'communication: participantInvitation started', 'started');
Test::More::is(main::embedded($j, 'participantInvitation')->{_links}{cancel}{href}, $cancel, 'cancel in the event too');
($ev, $j) = main::next_package($B);
Test::More::is($ev, "communication: onlineMeetingInvitation started\ncommunication: conversation added", 'bob is invited');
my $accept = main::embedded($j, 'onlineMeetingInvitation')->{_links}{accept}{href};
($st) = MobilityUcwa::ucwa($C, POST => $cancel);
Test::More::is($st, 404, 'not the inviter: 404');
($st) = MobilityUcwa::ucwa($A, GET => $cancel);
Test::More::is($st, 404, 'cancel is a POST');
($st) = MobilityUcwa::ucwa($A, POST => $cancel);
Test::More::is($st, 204, 'alice cancels: 204');
($ev, $j) = main::next_package($A);
Test::More::is($ev, 'communication: participantInvitation completed Failure Canceled', 'inviter: Canceled');
Test::More::ok(!main::embedded($j, 'participantInvitation')->{_links}{cancel}, 'no cancel once completed');
($ev) = main::next_package($B);
Test::More::is($ev, "communication: onlineMeetingInvitation completed Failure Canceled\ncommunication: conversation deleted", 'invitee: Canceled, the conversation gone');
($st) = MobilityUcwa::ucwa($B, POST => $accept);
Test::More::is($st, 404, 'the invitation is gone: accept 404');
($st) = MobilityUcwa::ucwa($A, POST => $cancel);
Test::More::is($st, 404, 'cancel again: 404');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversations/$id/participants");
Test::More::unlike($b, qr{bob}, 'bob is not in the roster');
# once answered there is nothing to cancel
($st, undef, $b) = MobilityUcwa::ucwa($A, POST => "/communication/participantInvitations?conversation=$id", body => '{"to":"sip:carol@contoso.com"}');
$cancel = MobilityUcwa::decode($b)->{_links}{cancel}{href};
main::next_package($A);
(undef, $j) = main::next_package($C);
($st) = MobilityUcwa::ucwa($C, POST => main::embedded($j, 'onlineMeetingInvitation')->{_links}{accept}{href});
Test::More::is($st, 204, 'carol accepts');
($ev) = main::next_package($A);
Test::More::like($ev, qr{participantInvitation completed Success$}, 'carol is in');
MobilityUcwa::request($block, POST => $cancel, token => $A->{token});
--- error_code: 409
--- response_body_like: InvalidState
--- no_error_log
[alert]
[error]
