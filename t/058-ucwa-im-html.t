# UCWA messaging beyond plain text (spec §7.1-§7.4): HTML messages where
# both applications declared Html and the policy (htmlMessaging,
# mobility_ucwa_html_messaging) allows it, the 415 answers otherwise, the
# htmlMessage link of incoming messages and of transcripts, GET of a
# message, the threadId duplicate check of startMessaging, and the paging
# of conversation-log transcripts (nextConversationLogTranscripts).  Two
# workers: requests and P-GETs meet in any worker.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use MIME::Base64 qw(decode_base64);
use Mobility;
use MobilityUcwa qw(:DEFAULT next_package embedded);

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();

ucwa_blocks($Store, mobility_ucwa_pget_timeout => '30s');

# makeMeAvailable with the given message formats
sub available {
    my ($s, @formats) = @_;
    @formats = ('Plain') unless @formats;
    my $f = join(',', map { "\"$_\"" } @formats);
    my ($st) = MobilityUcwa::ucwa($s, POST => '/me/makeMeAvailable',
        body => "{\"SignInAs\":\"Online\",\"SupportedModalities\":[\"Messaging\"],\"supportedMessageFormats\":[$f]}");
    Test::More::is($st, 204, 'makeMeAvailable');
    main::next_package($s, 8);
}

# $A invites $B, $B accepts: (conversation path, A's messaging, B's messaging)
sub connect_im {
    my ($A, $B, $body) = @_;
    my ($st) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
        body => $body // '{"to":"sip:bob@contoso.com"}');
    Test::More::is($st, 201, 'startMessaging: 201');
    main::next_package($A);
    my ($ev, $j) = main::next_package($B);
    my $inv = main::embedded($j, 'messagingInvitation');
    ($st) = MobilityUcwa::ucwa($B, POST => $inv->{_links}{accept}{href});
    Test::More::is($st, 204, 'accept: 204');
    my (undef, $ja) = main::next_package($A);
    my (undef, $jb) = main::next_package($B);
    return ($inv->{_links}{conversation}{href} =~ s{^.*/communication/}{/communication/}r,
            main::embedded($ja, 'messaging'), main::embedded($jb, 'messaging'));
}

run_tests();

__DATA__

=== TEST 1: both declare Html: negotiated Plain and Html, an HTML message arrives as htmlMessage (base64, bytes kept), GET of a message, the transcript keeps HTML
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
main::available($A, 'Plain', 'Html');
main::available($B, 'Plain', 'Html');
my ($conv, $ma, $mb) = main::connect_im($A, $B);
Test::More::is_deeply($ma->{negotiatedMessageFormats}, ['Plain', 'Html'], 'alice: Plain and Html negotiated');
Test::More::is_deeply($mb->{negotiatedMessageFormats}, ['Plain', 'Html'], 'bob: Plain and Html negotiated');
my ($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "$conv/messaging");
Test::More::like($b, qr/"negotiatedMessageFormats":\["Plain","Html"\]/, 'GET messaging shows Html');
my $html = '<p>Hello <b>Bob</b> &amp; <script>x()</script> caf' . "\xc3\xa9" . '</p>';
my $h;
($st, $h) = MobilityUcwa::ucwa($A, POST => "$conv/messaging/messages", type => 'text/html; charset=utf-8', body => $html);
Test::More::is($st, 201, 'an HTML message: 201');
my ($ev, $j) = main::next_package($A);
Test::More::is($ev, 'conversation: message completed Success', 'alice: completed');
($ev, $j) = main::next_package($B);
Test::More::is($ev, 'conversation: message completed Success', 'bob: the message');
my $m = main::embedded($j, 'message');
my $href = $m->{_links}{htmlMessage}{href} // '';
Test::More::like($href, qr{^data:text/html;base64,}, 'htmlMessage is a base64 data URI');
Test::More::is(MIME::Base64::decode_base64($href =~ s{^data:text/html;base64,}{}r), $html, 'the HTML arrives byte for byte, nothing sanitised away');
Test::More::ok(!$m->{_links}{plainMessage}, 'no plainMessage for an HTML message');
# a plain message in the same conversation stays plain
($st) = MobilityUcwa::ucwa($B, POST => "$conv/messaging/messages", type => 'text/plain', body => 'plain & simple');
Test::More::is($st, 201, 'a plain message: 201');
main::next_package($B);
($ev, $j) = main::next_package($A);
$m = main::embedded($j, 'message');
Test::More::is($m->{_links}{plainMessage}{href}, 'data:text/plain;charset=utf-8,plain+%26+simple', 'plainMessage');
Test::More::ok(!$m->{_links}{htmlMessage}, 'no htmlMessage for a plain message');
# GET of a message (message_ref), by both participants
my ($n) = ($h->{location}[0] // '') =~ m{/messaging/messages/(\d+)$};
($st, undef, $b) = MobilityUcwa::ucwa($B, GET => "$conv/messaging/messages/$n");
Test::More::is($st, 200, 'bob GETs the message: 200');
$j = MobilityUcwa::decode($b);
Test::More::is("$j->{rel} $j->{direction} $j->{status}", 'message Incoming Success', 'bob: incoming');
Test::More::is(MIME::Base64::decode_base64(($j->{_links}{htmlMessage}{href} // '') =~ s{^data:text/html;base64,}{}r), $html, 'GET: htmlMessage');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => "$conv/messaging/messages/$n");
$j = MobilityUcwa::decode($b);
Test::More::is("$st $j->{direction}", '200 Outgoing', 'alice GETs it: outgoing');
($st) = MobilityUcwa::ucwa($A, GET => "$conv/messaging/messages/99");
Test::More::is($st, 404, 'no such message: 404');
my $C = MobilityUcwa::session('carol');
($st) = MobilityUcwa::ucwa($C, GET => "$conv/messaging/messages/$n");
Test::More::is($st, 404, 'carol cannot read it: 404');
# the transcript keeps the format
($st) = MobilityUcwa::ucwa($A, POST => "$conv/messaging/terminate");
Test::More::is($st, 204, 'stop');
main::next_package($A);
main::next_package($B);
my ($id) = $conv =~ m{/conversations/([0-9a-f]+)$};
($st, undef, $b) = MobilityUcwa::ucwa($B, GET => "/communication/conversationLogs/$id/conversationLogTranscripts");
$j = MobilityUcwa::decode($b);
my @t = map { $_->{_embedded}{messageTranscript}{_links} } @{ $j->{_embedded}{conversationLogTranscript} // [] };
Test::More::is(scalar(@t), 2, 'two transcript entries');
Test::More::is(MIME::Base64::decode_base64(($t[0]{htmlMessage}{href} // '') =~ s{^data:text/html;base64,}{}r), $html, 'transcript: htmlMessage, base64');
Test::More::ok(!$t[0]{plainMessage}, 'transcript: the HTML one has no plainMessage');
Test::More::is($t[1]{plainMessage}{href}, 'data:text/plain;charset=utf-8,plain+%26+simple', 'transcript: the plain one');
MobilityUcwa::request($block, GET => "$A->{app}/policies", token => $A->{token});
--- response_body_like: "htmlMessaging":"Enabled"
--- no_error_log
[alert]



=== TEST 2: a plain-only participant: Plain negotiated, text/html gets 415 UnsupportedMediaType, other types 415, nothing stored or sent
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
main::available($A, 'Plain', 'Html');
main::available($B);
my ($conv, $ma, $mb) = main::connect_im($A, $B);
Test::More::is_deeply($ma->{negotiatedMessageFormats}, ['Plain'], 'only Plain negotiated');
my ($st, undef, $b) = MobilityUcwa::ucwa($A, POST => "$conv/messaging/messages", type => 'text/html', body => '<b>hi</b>');
Test::More::is($st, 415, 'HTML not negotiated: 415');
my $j = MobilityUcwa::decode($b);
Test::More::is("$j->{code} $j->{subcode}", 'UnsupportedMediaType UnsupportedMediaType', 'the error');
Test::More::like($j->{message}, qr/not negotiated/, 'the error says why');
($st, undef, $b) = MobilityUcwa::ucwa($B, POST => "$conv/messaging/messages", type => 'application/octet-stream', body => 'x');
Test::More::is($st, 415, 'another type: 415');
# nothing was sent: the next message is number 1 and the only event
my $h;
($st, $h) = MobilityUcwa::ucwa($A, POST => "$conv/messaging/messages", type => 'text/plain', body => 'hi');
Test::More::like($h->{location}[0] // '', qr{/messages/1$}, 'the plain message is number 1');
my ($ev, $p) = main::next_package($B);
Test::More::is($ev, 'conversation: message completed Success', 'bob got one message only');
Test::More::is(main::embedded($p, 'message')->{_links}{plainMessage}{href}, 'data:text/plain;charset=utf-8,hi', 'the plain one');
# the first message of an invitation must be plain text
($st, undef, $b) = MobilityUcwa::ucwa($B, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:alice@contoso.com","_links":{"message":{"href":"data:text/html;base64,PGI+aGk8L2I+"}}}');
Test::More::is($st, 400, 'an HTML first message: 400');
$j = MobilityUcwa::decode($b);
Test::More::is("$j->{subcode} @{$j->{parameters} // []}", 'ParameterValidationFailure message', 'ParameterValidationFailure naming message');
MobilityUcwa::request($block, POST => "$A->{app}$conv/messaging/messages", token => $A->{token},
    type => 'text/html', body => '<i>again</i>');
--- error_code: 415
--- response_body_like: "subcode":"UnsupportedMediaType"
--- no_error_log
[alert]



=== TEST 3: policy: mobility_ucwa_html_messaging off: policies say Disabled, only Plain negotiated, text/html 415
--- http_config eval
MobilityUcwa::ucwa_http_config(mobility_ucwa_pget_timeout => '30s', mobility_ucwa_html_messaging => 'off')
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
main::available($A, 'Plain', 'Html');
main::available($B, 'Plain', 'Html');
my ($conv, $ma) = main::connect_im($A, $B);
Test::More::is_deeply($ma->{negotiatedMessageFormats}, ['Plain'], 'policy: only Plain');
my ($st, undef, $b) = MobilityUcwa::ucwa($A, POST => "$conv/messaging/messages", type => 'text/html', body => '<b>hi</b>');
Test::More::is($st, 415, 'HTML disabled: 415');
Test::More::like($b, qr/disabled by policy/, 'the error names the policy');
($st, undef, $b) = MobilityUcwa::ucwa($A, GET => '/policies');
Test::More::like($b, qr/"htmlMessaging":"Disabled"/, 'policies: htmlMessaging Disabled');
MobilityUcwa::request($block, POST => "$B->{app}$conv/messaging/messages", token => $B->{token},
    type => 'text/plain', body => 'plain is fine');
--- error_code: 201
--- no_error_log
[alert]



=== TEST 4: threadId: a second startMessaging in a thread in progress → 409 ThreadIdAlreadyExists; after it ended the thread continues
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
main::available($B);
my ($conv) = main::connect_im($A, $B, '{"to":"sip:bob@contoso.com","threadId":"thread-42"}');
my ($st, undef, $b) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:carol@contoso.com","threadId":"thread-42"}');
Test::More::is($st, 409, 'duplicate threadId: 409');
my $j = MobilityUcwa::decode($b);
Test::More::is("$j->{code} $j->{subcode}", 'Conflict ThreadIdAlreadyExists', 'ThreadIdAlreadyExists');
my ($ev) = main::next_package($A, 2);
Test::More::is($ev, '', 'no events for the refused invitation');
($st) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:carol@contoso.com","threadId":"thread-43"}');
Test::More::is($st, 201, 'another thread: 201');
main::next_package($A);
# bob's own conversations do not hold alice's threads
($st) = MobilityUcwa::ucwa($B, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:carol@contoso.com","threadId":"thread-42"}');
Test::More::is($st, 409, 'bob is in thread-42 too: 409');
($st) = MobilityUcwa::ucwa($A, POST => "$conv/messaging/terminate");
Test::More::is($st, 204, 'stop');
MobilityUcwa::request($block, POST => "$A->{app}/communication/messagingInvitations", token => $A->{token},
    body => '{"to":"sip:bob@contoso.com","threadId":"thread-42"}');
--- error_code: 201
--- no_error_log
[alert]



=== TEST 5: transcripts page: limit, nextConversationLogTranscripts until the end, bad limit and start 400
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
main::available($B);
my ($conv) = main::connect_im($A, $B, '{"to":"sip:bob@contoso.com","_links":{"message":{"href":"data:text/plain,m0"}}}');
for my $i (1 .. 6) {
    my ($st) = MobilityUcwa::ucwa($A, POST => "$conv/messaging/messages", type => 'text/plain', body => "m$i");
    Test::More::is($st, 201, "message $i");
}
MobilityUcwa::ucwa($A, POST => "$conv/messaging/terminate");
my ($id) = $conv =~ m{/conversations/([0-9a-f]+)$};
my $url = "/communication/conversationLogs/$id/conversationLogTranscripts?limit=3";
my @seen;
my $pages = 0;
while ($url && $pages < 10) {
    my ($st, undef, $b) = MobilityUcwa::ucwa($B, GET => $url);
    Test::More::is($st, 200, "page $pages: 200");
    my $j = MobilityUcwa::decode($b);
    my @t = @{ $j->{_embedded}{conversationLogTranscript} // [] };
    Test::More::ok(@t <= 3, "page $pages: at most 3");
    push @seen, map { $_->{_embedded}{messageTranscript}{_links}{plainMessage}{href} =~ s{^.*,}{}r } @t;
    $url = $j->{_links}{nextConversationLogTranscripts}{href};
    $pages++;
}
Test::More::is(join(' ', @seen), 'm0 m1 m2 m3 m4 m5 m6', 'every message once, in order');
Test::More::is($pages, 3, 'three pages (3, 3, 1)');
my ($st, undef, $b) = MobilityUcwa::ucwa($B, GET => "/communication/conversationLogs/$id/conversationLogTranscripts");
my $j = MobilityUcwa::decode($b);
Test::More::is(scalar(@{ $j->{_embedded}{conversationLogTranscript} }), 7, 'no limit: all 7 (default page 100)');
Test::More::ok(!$j->{_links}{nextConversationLogTranscripts}, 'no next page');
($st) = MobilityUcwa::ucwa($B, GET => "/communication/conversationLogs/$id/conversationLogTranscripts?limit=0");
Test::More::is($st, 400, 'limit=0: 400');
($st) = MobilityUcwa::ucwa($B, GET => "/communication/conversationLogs/$id/conversationLogTranscripts?limit=1001");
Test::More::is($st, 400, 'limit=1001: 400');
MobilityUcwa::request($block, GET => "$B->{app}/communication/conversationLogs/$id/conversationLogTranscripts?start=x", token => $B->{token});
--- error_code: 400
--- response_body_like: "parameters":\["start"\]
--- no_error_log
[alert]
