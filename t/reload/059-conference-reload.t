# A conference lives in the store: after "nginx -s reload" (or a restart)
# its roster, its messages and the no-answer deadline of a pending
# participant invitation ("q" keys, found by worker 0's sweep) carry on.

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

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config', ucwa_main_config($Store));
    $block->set_value('http_config',
                      ucwa_http_config(mobility_ucwa_pget_timeout => '30s',
                                       mobility_ucwa_invitation_timeout => '3s'));
    $block->set_value('config', ucwa_config());
    $block->set_value('request', 'GET /placeholder')
        unless defined $block->request;
});

sub events {
    my ($s, $t) = @_;
    my $p = MobilityUcwa::pget_start($s, $s->{events});
    my ($st, undef, $b) = MobilityUcwa::pget_finish($p, $t);
    my $j = MobilityUcwa::decode($b // '');
    $s->{events} = $j->{_links}{next}{href} if $j && $j->{_links}{next};
    my @e;
    for my $snd (@{ $j->{sender} // [] }) {
        for my $e (@{ $snd->{events} }) {
            push @e, "$e->{link}{rel} $e->{type}"
                     . ($e->{reason} ? " $e->{reason}{subcode}" : '');
        }
    }
    return join("\n", @e);
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
