# A queued push survives "nginx -s reload" (the reload pass:
# TEST_NGINX_USE_HUP=1 with a master process) and restarts: the queue is
# in the store, written before the triggering request completed.

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
ctl('Set-CsPushNotificationConfiguration', '-Identity', 'global',
    '-EnableApplePushNotificationService', 'True');

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config', ucwa_main_config($Store));
    $block->set_value('http_config',
                      ucwa_http_config(mobility_push_grace => '0'));
    $block->set_value('config', ucwa_config());
    $block->set_value('request', 'GET /placeholder')
        unless defined $block->request;
});

sub queue {
    my $out = `'$ENV{MOBILITYCTL}' --store '$main::Store' --json push-queue list`;
    return MobilityUcwa::decode($out) // [];
}

run_tests();

__DATA__

=== TEST 1: bob registers for APNs; alice's invitation queues a push
--- init
my $B = $main::B = MobilityUcwa::session('bob', endpoint => 'ep-reload');
my ($st) = MobilityUcwa::ucwa($B, POST => '/me/makeMeAvailable',
    body => '{"SupportedModalities":["Messaging"]}');
Test::More::is($st, 204, 'makeMeAvailable');
MobilityUcwa::ucwa($B, GET => '/events?ack=1');
($st) = MobilityUcwa::ucwa($B, PUT => '/pushRegistration',
    body => '{"provider":"apns","deviceToken":"' . ('0f' x 32) . '","apnsTopic":"com.contoso.mobile"}');
Test::More::is($st, 201, 'registered');
my $A = MobilityUcwa::session('alice');
($st) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
    body => '{"to":"sip:bob@contoso.com"}');
Test::More::is($st, 201, 'invitation');
my $q = main::queue();
Test::More::is(scalar @$q, 1, 'one push queued');
$main::Id = ($q->[0] // {})->{id};
MobilityUcwa::request($block, GET => "$B->{app}/pushRegistration", token => $B->{token});
--- error_code: 200
--- no_error_log
[alert]



=== TEST 2: after the reload (or restart) the push is still queued, once
--- init
my $q = main::queue();
Test::More::is(scalar @$q, 1, 'still one push');
Test::More::is(($q->[0] // {})->{id}, $main::Id, 'the same push');
Test::More::is(($q->[0] // {})->{kind}, 'im', 'kind');
MobilityUcwa::request($block, GET => "$main::B->{app}/pushRegistration", token => $main::B->{token});
--- error_code: 200
--- response_body_like: "apnsTopic":"com.contoso.mobile"
--- no_error_log
[alert]
