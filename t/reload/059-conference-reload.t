# A conference lives in the store: after "nginx -s reload" (or a restart)
# its roster, its messages and the no-answer deadline of a pending
# participant invitation ("q" keys, found by worker 0's sweep) carry on.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityUcwa qw(:DEFAULT next_package);

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();

ucwa_blocks($Store, mobility_ucwa_pget_timeout => '30s',
            mobility_ucwa_invitation_timeout => '3s');

# what next_package() shows of an event: "rel type [reason subcode]"
%MobilityUcwa::Show = (reason => 'subcode');

# the events of the next package, waiting up to $t s
sub events {
    my ($s, $t) = @_;
    return (next_package($s, $t))[0];
}

sub available {
    my $s = shift;
    my ($st) = MobilityUcwa::ucwa($s, POST => '/me/makeMeAvailable',
        body => '{"SupportedModalities":["Messaging"]}');
    Test::More::is($st, 204, 'makeMeAvailable');
    main::events($s, 8);
}

run_tests();

__DATA__

=== TEST 1: alice and bob in an ad-hoc meeting, carol invited, before the reload
--- init
$main::A = MobilityUcwa::session('alice');
$main::B = MobilityUcwa::session('bob');
$main::C = MobilityUcwa::session('carol');
main::available($_) for $main::A, $main::B, $main::C;
my ($st, $h) = MobilityUcwa::ucwa($main::A, POST => '/communication/onlineMeetingInvitations?onlineMeetingUri=adhoc');
Test::More::is($st, 201, 'startOnlineMeeting');
($main::id) = ($h->{location}[0] // '') =~ m{/onlineMeetingInvitations/([0-9a-f]+)-\d+$};
main::events($main::A, 8);
($st) = MobilityUcwa::ucwa($main::A, POST => "/communication/participantInvitations?conversation=$main::id", body => '{"to":"sip:bob@contoso.com"}');
Test::More::is($st, 201, 'invite bob');
main::events($main::A, 8);
main::events($main::B, 8);
($st) = MobilityUcwa::ucwa($main::B, POST => "/communication/onlineMeetingInvitations/$main::id-2/accept");
Test::More::is($st, 204, 'bob accepts');
main::events($main::A, 8);
main::events($main::B, 8);
($st) = MobilityUcwa::ucwa($main::A, POST => "/communication/participantInvitations?conversation=$main::id", body => '{"to":"sip:carol@contoso.com"}');
Test::More::is($st, 201, 'invite carol, who will not answer');
Test::More::is(main::events($main::A, 8), 'participantInvitation started', 'started');
MobilityUcwa::request($block, GET => "$main::A->{app}/communication/conversations/$main::id",
                      token => $main::A->{token});
--- error_code: 200
--- response_body_like: "state":"Conferenced"
--- no_error_log
[alert]



=== TEST 2: after the reload: carol's invitation times out, messages still reach the members
--- init
Test::More::is(main::events($main::A, 15), 'participantInvitation completed Timeout',
               'the deadline fired in the new generation');
my ($st) = MobilityUcwa::ucwa($main::B, POST => "/communication/conversations/$main::id/messaging/messages",
                              type => 'text/plain', body => 'still here');
Test::More::is($st, 201, 'bob sends after the reload');
Test::More::is(main::events($main::A, 8), 'message completed', 'alice receives it');
MobilityUcwa::request($block, GET => "$main::A->{app}/communication/conversations/$main::id/participants",
                      token => $main::A->{token});
--- error_code: 200
--- response_body_like: participants/bob@contoso\.com
--- no_error_log
[alert]
