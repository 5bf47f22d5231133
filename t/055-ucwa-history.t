# UCWA history (spec §7.7): the conversation logs every ended two-party
# conversation leaves for each participant (and a conference for each
# member as it leaves), their transcripts, DELETE of
# one user's copy, markAsRead of a missed conversation, retention and the
# AllowSaveIMHistory policy; leaving a conversation (DELETE) with its
# event order, conversations?filter=active, and the pruning of ended
# conversations and old logs.  Two workers: requests, P-GETs and the
# sweep meet in any worker.

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

# erin's policy does not allow saving IM history
Mobility::ctl('New-CsMobilityPolicy', '-Identity', 'tag:NoHistory',
              '-AllowSaveIMHistory', 'False');
Mobility::ctl('Grant-CsMobilityPolicy', '-Identity', 'erin@contoso.com',
              '-PolicyName', 'NoHistory');

ucwa_blocks($Store, mobility_ucwa_pget_timeout => '30s');

# alice invites $B (available), $B accepts; returns the conversation href
# as seen by each side
sub connect_im {
    my ($A, $B, $body) = @_;
    my ($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
        body => $body);
    Test::More::is($st, 201, 'startMessaging: 201');
    main::next_package($A);
    my ($ev, $j) = main::next_package($B);
    my $inv = main::embedded($j, 'messagingInvitation');
    ($st) = MobilityUcwa::ucwa($B, POST => $inv->{_links}{accept}{href});
    Test::More::is($st, 204, 'accept: 204');
    main::next_package($A);
    main::next_package($B);
    return ($inv->{_links}{conversation}{href} =~ s{^.*/communication/}{/communication/}r);
}

sub logs {
    my ($s, $q) = @_;
    my ($st, undef, $b) = MobilityUcwa::ucwa($s, GET => '/communication/conversationLogs' . ($q // ''));
    my $j = MobilityUcwa::decode($b) // {};
    return ($st, [ map { $_->{href} } @{ $j->{_links}{conversationLog} // [] } ]);
}

sub active {
    my ($s) = @_;
    my ($st, undef, $b) = MobilityUcwa::ucwa($s, GET => '/communication/conversations?filter=active');
    my $j = MobilityUcwa::decode($b) // {};
    return ($st, [ map { $_->{href} =~ s{^.*/conversations/}{}r } @{ $j->{_links}{conversation} // [] } ]);
}

run_tests();

__DATA__

=== TEST 1: a conversation's log for both, transcripts, filter=active, DELETE of the conversation and its event order, DELETE of one copy, isolation
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
my $C = MobilityUcwa::session('carol');
main::available($A);
main::available($B);
my ($st, $l) = main::logs($A);
Test::More::is("$st " . scalar(@$l), '200 0', 'alice: no logs yet');
my $conv = main::connect_im($A, $B,
    '{"to":"sip:bob@contoso.com","subject":"Plans","_links":{"message":{"href":"data:text/plain,Hi+Bob"}}}');
my ($id) = $conv =~ m{/conversations/([0-9a-f]+)$};
my $a;
($st, $a) = main::active($A);
Test::More::is("$st @$a", "200 $id", 'alice: the conversation is active');
($st, $a) = main::active($B);
Test::More::is("$st @$a", "200 $id", 'bob: the conversation is active');
($st, $a) = main::active($C);
Test::More::is("$st " . scalar(@$a), '200 0', 'carol: none active');
my $x;
($st, undef, $x) = MobilityUcwa::ucwa($B, GET => '/communication/conversations?filter=active', accept => 'application/xml');
Test::More::like($x, qr{<link rel="conversation" href="[^"]+/communication/conversations/$id"}, 'filter=active in XML');
($st) = MobilityUcwa::ucwa($A, POST => "$conv/messaging/messages", type => 'text/plain', body => 'How about lunch?');
Test::More::is($st, 201, 'alice sends');
($st) = MobilityUcwa::ucwa($B, POST => "$conv/messaging/messages", type => 'text/plain', body => 'Sure & thanks');
Test::More::is($st, 201, 'bob answers');
main::next_package($A);
main::next_package($B);
($st) = MobilityUcwa::ucwa($A, DELETE => $conv);
Test::More::is($st, 204, 'alice leaves: 204');
my ($ev) = main::next_package($A);
Test::More::is($ev, "conversation: messaging updated\ncommunication: conversation deleted\ncommunication: missedItems updated", 'alice: messaging, then the conversation gone, then the log count');
($ev) = main::next_package($B);
Test::More::is($ev, "conversation: participant deleted\nconversation: messaging updated\ncommunication: conversation deleted\ncommunication: missedItems updated", 'bob: alice leaves, then messaging, then the conversation gone, then the log count');
($st, $a) = main::active($A);
Test::More::is("$st " . scalar(@$a), '200 0', 'alice: nothing active');
($st, $a) = main::active($B);
Test::More::is("$st " . scalar(@$a), '200 0', 'bob: nothing active');
($st) = MobilityUcwa::ucwa($A, DELETE => $conv);
Test::More::is($st, 204, 'a second DELETE: 204, nothing happens');
my $b;
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => $conv);
Test::More::like($b, qr/"state":"Disconnected"/, 'the conversation is Disconnected');

my ($la, $lb);
($st, $la) = main::logs($A);
Test::More::is(scalar(@$la), 1, 'alice: one log');
($st, $lb) = main::logs($B);
Test::More::is(scalar(@$lb), 1, 'bob: one log');
Test::More::like($la->[0], qr{/communication/conversationLogs/$id$}, 'the log is named by the conversation');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversationLogs/$id");
my $j = MobilityUcwa::decode($b);
Test::More::is($st, 200, 'GET log: 200');
Test::More::is(join(' ', map { $j->{$_} } qw(direction status subject importance type totalRecipientsCount)),
    'Outgoing Connected Plans Normal MessagingLog 1', 'alice: outgoing, connected');
Test::More::is($j->{previewMessage}, 'Hi Bob', 'the preview is the first message');
Test::More::is_deeply($j->{modalities}, ['Messaging'], 'modalities');
Test::More::like($j->{creationTime}, qr{^/Date\(\d+\)/$}, 'creationTime');
Test::More::like($j->{threadId}, qr/^[0-9a-f]+$/, 'threadId');
Test::More::like($j->{_links}{continueMessaging}{href}, qr{/communication/messagingInvitations\?to=sip%3Abob(?:@|%40)contoso.com&threadId=}, 'continueMessaging starts messaging bob in the thread');
Test::More::ok(!$j->{_links}{markAsRead}, 'no markAsRead for a connected conversation');
Test::More::is($j->{_embedded}{conversationLogRecipient}[0]{sipUri}, 'sip:bob@contoso.com', 'the recipient');
Test::More::is($j->{_embedded}{conversationLogRecipient}[0]{displayName}, 'Bob Kelly', 'the recipient name');
($st, undef, $b) = MobilityUcwa::ucwa($B, GET => "/communication/conversationLogs/$id");
$j = MobilityUcwa::decode($b);
Test::More::is("$j->{direction} $j->{status}", 'Incoming Connected', 'bob: incoming');
($st, undef, $b) = MobilityUcwa::ucwa($B, GET => $j->{_links}{conversationLogTranscripts}{href});
Test::More::is($st, 200, 'transcripts: 200');
$j = MobilityUcwa::decode($b);
my @t = @{ $j->{_embedded}{conversationLogTranscript} // [] };
Test::More::is(scalar(@t), 3, 'three messages');
Test::More::is(join('|', map { $_->{_embedded}{messageTranscript}{_links}{plainMessage}{href} } @t),
    'data:text/plain;charset=utf-8,Hi+Bob|data:text/plain;charset=utf-8,How+about+lunch%3f|data:text/plain;charset=utf-8,Sure+%26+thanks',
    'bob: the transcript in order');
Test::More::ok($t[0]{_links}{contact} && !$t[0]{_links}{me}, 'alice wrote the first (contact)');
Test::More::ok($t[2]{_links}{me}, 'bob wrote the last (me)');
Test::More::like($t[0]{timeStamp}, qr{^/Date\(\d+\)/$}, 'timeStamp');
($st, undef, $x) = MobilityUcwa::ucwa($B, GET => "/communication/conversationLogs/$id/conversationLogTranscripts", accept => 'application/xml');
Test::More::like($x, qr{<resource rel="conversationLogTranscript" href="[^"]+">.*<resource rel="messageTranscript" href="[^"]+">\s*<link rel="plainMessage" href="data:text/plain;charset=utf-8,Hi\+Bob"}s, 'transcripts in XML');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversationLogs/$id", accept => 'application/xml');
Test::More::like($b, qr{<property name="status">Connected</property>}, 'the log in XML');
Test::More::like($b, qr{<propertyList name="modalities"><item>Messaging</item></propertyList>}, 'modalities in XML');

# isolation
($st) = MobilityUcwa::ucwa($C, GET => "/communication/conversationLogs/$id");
Test::More::is($st, 404, "carol: alice's log is not found");
($st) = MobilityUcwa::ucwa($C, DELETE => "/communication/conversationLogs/$id");
Test::More::is($st, 404, "carol cannot delete it");
($st) = MobilityUcwa::ucwa($C, GET => "/communication/conversationLogs/$id/conversationLogTranscripts");
Test::More::is($st, 404, "nor read its transcript");
($st) = MobilityUcwa::ucwa($C, DELETE => $conv);
Test::More::is($st, 404, "nor leave the conversation");

# bob deletes his copy; alice keeps hers
($st) = MobilityUcwa::ucwa($B, DELETE => "/communication/conversationLogs/$id");
Test::More::is($st, 204, 'bob deletes his log: 204');
($st, $lb) = main::logs($B);
Test::More::is(scalar(@$lb), 0, 'bob: no log');
($st) = MobilityUcwa::ucwa($B, GET => "/communication/conversationLogs/$id/conversationLogTranscripts");
Test::More::is($st, 404, 'bob: the transcript is gone');
($st, $la) = main::logs($A);
Test::More::is(scalar(@$la), 1, 'alice: still one log');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversationLogs/$id/conversationLogTranscripts");
$j = MobilityUcwa::decode($b);
Test::More::is(scalar(@{ $j->{_embedded}{conversationLogTranscript} }), 3, 'alice: her transcript is whole');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => '/communication');
Test::More::like($b, qr{"conversationLogs":\{"href":"[^"]+/communication/conversationLogs"}, 'communication links conversationLogs');
MobilityUcwa::request($block, GET => "$A->{app}/communication/conversationLogs?limit=1", token => $A->{token});
--- error_code: 200
--- response_body_like: "conversationLog":\[\{"href":"[^"]+/communication/conversationLogs/[0-9a-f]+"\}\]
--- no_error_log
[alert]



=== TEST 2: logs newest first and limit; bad input
--- init
my $A = MobilityUcwa::session('alice');
my $F = MobilityUcwa::session('frank');
main::available($F);
my @ids;
for my $n (1 .. 3) {
    my ($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
        body => qq({"to":"sip:frank\@contoso.com","subject":"n$n"}));
    Test::More::is($st, 201, "invitation $n");
    my ($id) = ($h->{location}[0] // '') =~ m{/messagingInvitations/([0-9a-f]+)$};
    push @ids, $id;
    main::next_package($F);
    ($st) = MobilityUcwa::ucwa($F, POST => "/communication/messagingInvitations/$id/decline");
    Test::More::is($st, 204, "decline $n");
    main::next_package($F);
    select(undef, undef, undef, 0.01);
}
my ($st, $l) = main::logs($F);
Test::More::is(join(' ', map { s{^.*/}{}r } @$l), join(' ', reverse @ids), 'newest first');
($st, $l) = main::logs($F, '?limit=2');
Test::More::is(join(' ', map { s{^.*/}{}r } @$l), join(' ', (reverse @ids)[0, 1]), 'limit=2');
my ($b);
($st, undef, $b) = MobilityUcwa::ucwa($F, GET => "/communication/conversationLogs/$ids[0]");
Test::More::like($b, qr/"status":"Declined"/, 'a declined conversation');
($st) = MobilityUcwa::ucwa($F, GET => '/communication/conversationLogs?limit=0');
Test::More::is($st, 400, 'limit=0: 400');
($st) = MobilityUcwa::ucwa($F, GET => '/communication/conversations?filter=ended');
Test::More::is($st, 400, 'filter=ended: 400');
($st) = MobilityUcwa::ucwa($F, PUT => "/communication/conversationLogs/$ids[0]", body => '{}');
Test::More::is($st, 405, 'PUT on a log: 405');
($st) = MobilityUcwa::ucwa($F, GET => "/communication/conversationLogs/$ids[0]/markAsRead");
Test::More::is($st, 405, 'GET markAsRead: 405');
($st) = MobilityUcwa::ucwa($F, GET => '/communication/conversationLogs/nope');
Test::More::is($st, 404, 'an unknown log: 404');
MobilityUcwa::request($block, GET => "$F->{app}/communication/conversationLogs/" . ('x' x 200), token => $F->{token});
--- error_code: 404
--- no_error_log
[alert]



=== TEST 3: markAsRead of a missed conversation's log lowers the unread count and sends missedItems updated
--- init
my $A = MobilityUcwa::session('alice');
my ($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:dave@contoso.com","subject":"Call me","_links":{"message":{"href":"data:text/plain,Ring+me"}}}');
Test::More::is($st, 201, 'dave is offline');
my ($id) = ($h->{location}[0] // '') =~ m{/messagingInvitations/([0-9a-f]+)$};
my $D1 = MobilityUcwa::session('dave');
my $D2 = MobilityUcwa::session('dave');
main::available($D2);
Test::More::is(main::missed($D1), '200 1/1', 'dave: one unread missed conversation');
my $b;
($st, undef, $b) = MobilityUcwa::ucwa($D1, GET => "/communication/conversationLogs/$id");
my $j = MobilityUcwa::decode($b);
Test::More::is("$j->{direction} $j->{status} $j->{previewMessage}", 'Incoming Missed Ring me', 'dave: a missed log');
Test::More::like($j->{_links}{markAsRead}{href}, qr{/conversationLogs/$id/markAsRead$}, 'with markAsRead');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversationLogs/$id");
Test::More::like($b, qr/"status":"Unanswered"/, 'alice: unanswered');
Test::More::unlike($b, qr/markAsRead/, 'alice has nothing to mark');
my $p = MobilityUcwa::pget_start($D2, $D2->{events});
($st) = MobilityUcwa::ucwa($D1, POST => $j->{_links}{markAsRead}{href});
Test::More::is($st, 204, 'markAsRead: 204');
my (undef, undef, $pb) = MobilityUcwa::pget_finish($p, 10);
my $pj = MobilityUcwa::decode($pb // '') // {};
my $mi = main::embedded($pj, 'missedItems');
Test::More::ok($mi, "dave's other application: missedItems updated");
Test::More::is("$mi->{missedConversationsCount}/$mi->{unreadMissedConversationsCount}", '1/0', 'the event carries the counts');
$D2->{events} = $pj->{_links}{next}{href};
Test::More::is(main::missed($D1), '200 1/0', 'dave: read');
($st) = MobilityUcwa::ucwa($D1, POST => $j->{_links}{markAsRead}{href});
Test::More::is($st, 204, 'again: 204');
$p = MobilityUcwa::pget_start($D2, $D2->{events});
my @r = MobilityUcwa::pget_finish($p, 2);
Test::More::ok(!@r, 'again: no event');
($st) = MobilityUcwa::ucwa($D1, DELETE => "/communication/conversationLogs/$id");
Test::More::is($st, 204, 'dave deletes the log');
Test::More::is(main::missed($D1), '200 0/0', 'and the missed conversation with it');
MobilityUcwa::request($block, POST => "$A->{app}/communication/conversationLogs/$id/markAsRead", token => $A->{token});
--- error_code: 204
--- no_error_log
[alert]



=== TEST 4: AllowSaveIMHistory False: erin keeps no log, alice does
--- init
my $A = MobilityUcwa::session('alice');
my $E = MobilityUcwa::session('erin');
main::available($E);
my ($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:erin@contoso.com"}');
Test::More::is($st, 201, 'invite erin');
my ($id) = ($h->{location}[0] // '') =~ m{/messagingInvitations/([0-9a-f]+)$};
main::next_package($E);
($st) = MobilityUcwa::ucwa($E, POST => "/communication/messagingInvitations/$id/decline");
Test::More::is($st, 204, 'erin declines');
my $l;
($st, $l) = main::logs($E);
Test::More::is("$st " . scalar(@$l), '200 0', 'erin: no log');
($st) = MobilityUcwa::ucwa($E, GET => "/communication/conversationLogs/$id");
Test::More::is($st, 404, "erin: the log is not found");
MobilityUcwa::request($block, GET => "$A->{app}/communication/conversationLogs/$id", token => $A->{token});
--- error_code: 200
--- response_body_like: "status":"Declined"
--- no_error_log
[alert]



=== TEST 5: retention 0 keeps no log
--- http_config eval
MobilityUcwa::ucwa_http_config(mobility_ucwa_history_retention => '0')
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
main::available($B);
my $conv = main::connect_im($A, $B, '{"to":"sip:bob@contoso.com","subject":"none kept"}');
my ($st) = MobilityUcwa::ucwa($B, POST => "$conv/messaging/terminate");
Test::More::is($st, 204, 'bob stops');
my ($id) = $conv =~ m{([0-9a-f]+)$};
my $l;
($st, $l) = main::logs($B);
Test::More::ok(!grep({ m{/$id$} } @$l), 'bob: no log of it');
MobilityUcwa::request($block, GET => "$A->{app}/communication/conversationLogs/$id", token => $A->{token});
--- error_code: 404
--- no_error_log
[alert]



=== TEST 6: pruning: an ended conversation goes after mobility_ucwa_conversation_keep, a log after the retention
--- http_config eval
MobilityUcwa::ucwa_http_config(mobility_ucwa_history_retention => '10s',
                               mobility_ucwa_conversation_keep => '1s')
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
main::available($B);
my $conv = main::connect_im($A, $B, '{"to":"sip:bob@contoso.com","subject":"short-lived"}');
my ($id) = $conv =~ m{([0-9a-f]+)$};
my ($st) = MobilityUcwa::ucwa($A, POST => "$conv/messaging/messages", type => 'text/plain', body => 'bye');
Test::More::is($st, 201, 'a message');
($st) = MobilityUcwa::ucwa($A, DELETE => $conv);
Test::More::is($st, 204, 'alice leaves');
($st) = MobilityUcwa::ucwa($A, GET => "/communication/conversationLogs/$id");
Test::More::is($st, 200, 'the log is there');
my $gone;
for (1 .. 40) {
    ($st) = MobilityUcwa::ucwa($A, GET => $conv);
    if ($st == 404) { $gone = $_ * 0.25; last }
    select(undef, undef, undef, 0.25);
}
Test::More::ok($gone, "the conversation is pruned (after ${\($gone // '-')} s)");
($st) = MobilityUcwa::ucwa($B, GET => "/communication/messagingInvitations/$id");
Test::More::is($st, 404, 'its invitation too');
($st) = MobilityUcwa::ucwa($B, GET => "/communication/conversationLogs/$id/conversationLogTranscripts");
Test::More::is($st, 200, 'the transcript outlives the conversation');
my $logs_gone;
for (1 .. 80) {
    ($st) = MobilityUcwa::ucwa($B, GET => "/communication/conversationLogs/$id");
    if ($st == 404) { $logs_gone = 1; last }
    select(undef, undef, undef, 0.25);
}
Test::More::ok($logs_gone, 'the log is pruned after the retention');
# the sweep lowered bob's conversationLogsCount and told his application
my ($bst, undef, $bb) = MobilityUcwa::ucwa($B, GET => '/communication/missedItems');
my $count = (MobilityUcwa::decode($bb) // {})->{conversationLogsCount};
my ($bl) = (main::logs($B, '?limit=1000'))[1];
Test::More::is($count, scalar(@$bl), 'bob: the count follows the pruning');
my $last;
for (1 .. 4) {
    my (undef, $pj) = main::next_package($B, 3);
    last unless $pj && $pj->{sender};
    my $mi = main::embedded($pj, 'missedItems');
    $last = $mi if $mi;
}
Test::More::is($last && $last->{conversationLogsCount}, $count, 'the last missedItems updated carries the pruned count');
MobilityUcwa::request($block, GET => "$A->{app}/communication/conversationLogs/$id", token => $A->{token});
--- error_code: 404
--- no_error_log
[alert]



=== TEST 7: conversationLogsCount counts the user's logs: up when a conversation ends (missedItems updated after its events), down on DELETE; no log, no change
--- init
sub logs_count {
    my $s = shift;
    my ($st, undef, $b) = MobilityUcwa::ucwa($s, GET => '/communication/missedItems');
    return (MobilityUcwa::decode($b) // {})->{conversationLogsCount};
}
my $A = MobilityUcwa::session('alice');
my $A2 = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
my $E = MobilityUcwa::session('erin');
main::available($B);
main::available($E);
my ($st, $l) = main::logs($A, '?limit=1000');
my $n = logs_count($A);
Test::More::is($n, scalar(@$l), 'alice: the count is the number of her logs');
my $nb = logs_count($B);
my $conv = main::connect_im($A, $B, '{"to":"sip:bob@contoso.com"}');
($st) = MobilityUcwa::ucwa($A, POST => "$conv/messaging/terminate");
Test::More::is($st, 204, 'stop');
my ($ev, $j) = main::next_package($A);
Test::More::is($ev, "conversation: messaging updated\ncommunication: conversation deleted\ncommunication: missedItems updated", 'alice: the end, then missedItems updated');
Test::More::is(main::embedded($j, 'missedItems')->{conversationLogsCount}, $n + 1, 'the event carries the new count');
Test::More::is(logs_count($A), $n + 1, 'alice: one more log');
Test::More::is(logs_count($B), $nb + 1, 'bob: one more log');
($st, $l) = main::logs($A, '?limit=1000');
Test::More::is(scalar(@$l), $n + 1, 'the count and the list agree');
my ($id) = $conv =~ m{/conversations/([0-9a-f]+)$};
($ev, $j) = main::next_package($A2);
Test::More::is($ev, 'communication: missedItems updated', "alice's other application: the count went up");
my $p = MobilityUcwa::pget_start($A2, $A2->{events});
($st) = MobilityUcwa::ucwa($A, DELETE => "/communication/conversationLogs/$id");
Test::More::is($st, 204, 'alice deletes the log');
my (undef, undef, $pb) = MobilityUcwa::pget_finish($p, 10);
my $mi = main::embedded(MobilityUcwa::decode($pb // '') // {}, 'missedItems');
Test::More::is($mi && $mi->{conversationLogsCount}, $n, "alice's other application: missedItems updated with the count");
Test::More::is(logs_count($B), $nb + 1, "bob's copy stays");
# erin keeps no history (AllowSaveIMHistory False): her count stays 0 and she gets no update
my ($h);
($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations', body => '{"to":"sip:erin@contoso.com"}');
my ($iid) = ($h->{location}[0] // '') =~ m{/messagingInvitations/([0-9a-f]+)$};
main::next_package($E);
($st) = MobilityUcwa::ucwa($E, POST => "/communication/messagingInvitations/$iid/decline");
Test::More::is($st, 204, 'erin declines');
($ev) = main::next_package($E);
Test::More::unlike($ev, qr/missedItems/, 'erin: no missedItems updated');
Test::More::is(logs_count($E), 0, 'erin: no logs');
MobilityUcwa::request($block, GET => "$B->{app}/communication/missedItems", token => $B->{token});
--- response_body_like: "conversationLogsCount":\d+
--- no_error_log
[alert]



=== TEST 8: a conference leaves a log for each member as it leaves (the messages from its join on), not for one whose policy keeps no history
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
my $E = MobilityUcwa::session('erin');
main::available($A);
main::available($B);
main::available($E);
my ($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/onlineMeetingInvitations?onlineMeetingUri=adhoc', body => '{"subject":"Retro"}');
Test::More::is($st, 201, 'alice starts a meeting');
my ($id) = ($h->{location}[0] // '') =~ m{/onlineMeetingInvitations/([0-9a-f]+)-\d+$};
main::next_package($A);
my $msgs = "/communication/conversations/$id/messaging/messages";
($st) = MobilityUcwa::ucwa($A, POST => $msgs, type => 'text/plain', body => 'early');
Test::More::is($st, 201, 'alice writes before anyone joins');
main::next_package($A);
for my $s ($B, $E) {
    my $who = ($s == $B) ? 'bob@contoso.com' : 'erin@contoso.com';
    ($st) = MobilityUcwa::ucwa($A, POST => "/communication/participantInvitations?conversation=$id", body => qq({"to":"sip:$who"}));
    Test::More::is($st, 201, "invite $who");
    main::next_package($A);
    my (undef, $j) = main::next_package($s);
    ($st) = MobilityUcwa::ucwa($s, POST => main::embedded($j, 'onlineMeetingInvitation')->{_links}{accept}{href});
    Test::More::is($st, 204, "$who accepts");
    main::next_package($s);
    main::next_package($A);
    main::next_package($B) if $s == $E;
}
($st) = MobilityUcwa::ucwa($B, POST => $msgs, type => 'text/plain', body => 'hello all');
Test::More::is($st, 201, 'bob writes');
($st) = MobilityUcwa::ucwa($A, POST => $msgs, type => 'text/plain', body => 'bye');
Test::More::is($st, 201, 'alice writes');
my $l;
($st, $l) = main::logs($B);
my $nb = scalar(@$l);
# erin (no history) and bob leave
($st) = MobilityUcwa::ucwa($E, DELETE => "/communication/conversations/$id");
Test::More::is($st, 204, 'erin leaves');
($st, $l) = main::logs($E);
Test::More::is("$st " . scalar(@$l), '200 0', 'erin: no log (AllowSaveIMHistory False)');
($st) = MobilityUcwa::ucwa($B, DELETE => "/communication/conversations/$id");
Test::More::is($st, 204, 'bob leaves');
($st, $l) = main::logs($B);
Test::More::is(scalar(@$l), $nb + 1, 'bob: a log');
my $b;
($st, undef, $b) = MobilityUcwa::ucwa($B, GET => "/communication/conversationLogs/$id");
Test::More::is($st, 200, 'bob: the log of the conference');
my $j = MobilityUcwa::decode($b);
Test::More::is("$j->{direction} $j->{status} $j->{subject} $j->{previewMessage}", 'Incoming Connected Retro hello all', 'bob: incoming, connected, from his join on');
Test::More::is($j->{_embedded}{conversationLogRecipient}[0]{sipUri}, 'sip:alice@contoso.com', 'bob: who invited him');
($st, undef, $b) = MobilityUcwa::ucwa($B, GET => "/communication/conversationLogs/$id/conversationLogTranscripts");
my @t = @{ MobilityUcwa::decode($b)->{_embedded}{conversationLogTranscript} // [] };
Test::More::is(join('|', map { $_->{_embedded}{messageTranscript}{_links}{plainMessage}{href} } @t),
    'data:text/plain;charset=utf-8,hello+all|data:text/plain;charset=utf-8,bye', 'bob: the messages since he joined');
# alice, the last one out, ends the meeting
($st, $l) = main::logs($A);
Test::More::ok(!grep({ m{/conversationLogs/$id$} } @$l), 'alice: no log while she is in');
($st) = MobilityUcwa::ucwa($A, POST => "/communication/conversations/$id/messaging/terminate");
Test::More::is($st, 204, 'alice leaves');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "/communication/conversationLogs/$id/conversationLogTranscripts");
@t = @{ MobilityUcwa::decode($b)->{_embedded}{conversationLogTranscript} // [] };
Test::More::is(scalar(@t), 3, 'alice: every message, hers before the others joined too');
MobilityUcwa::request($block, GET => "$A->{app}/communication/conversationLogs/$id", token => $A->{token});
--- error_code: 200
--- response_body_like: "direction":"Outgoing".*"status":"Connected".*"sipUri":"sip:bob\@contoso\.com"
--- no_error_log
[alert]
[error]
