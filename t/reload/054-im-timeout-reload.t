# An invitation's no-answer deadline is in the store: it fires after
# "nginx -s reload" (the worker that armed the timer is gone; worker 0's
# sweep of the "d" keys finds it) and after a restart.

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

run_tests();

__DATA__

=== TEST 1: alice invites bob, nobody answers before the reload
--- init
$main::A = MobilityUcwa::session('alice');
$main::B = MobilityUcwa::session('bob');
my ($st) = MobilityUcwa::ucwa($main::B, POST => '/me/makeMeAvailable',
    body => '{"SupportedModalities":["Messaging"]}');
Test::More::is($st, 204, 'makeMeAvailable');
main::events($main::B, 8);
($st) = MobilityUcwa::ucwa($main::A, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:bob@contoso.com"}');
Test::More::is($st, 201, 'startMessaging');
Test::More::like(main::events($main::A, 8), qr/^messagingInvitation started/, 'started');
MobilityUcwa::request($block, GET => "$main::A->{app}/communication/missedItems",
                      token => $main::A->{token});
--- error_code: 200
--- no_error_log
[alert]



=== TEST 2: after the reload (or restart) the invitation times out and bob has missed it
--- init
Test::More::like(main::events($main::A, 15),
                 qr/^messagingInvitation completed Timeout\nmessaging updated\nconversation deleted\nmissedItems updated$/,
                 'the deadline fired in the new generation');
MobilityUcwa::request($block, GET => "$main::B->{app}/communication/missedItems",
                      token => $main::B->{token});
--- error_code: 200
--- response_body_like: "missedConversationsCount":1
--- no_error_log
[alert]
