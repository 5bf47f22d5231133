# Pushes survive "nginx -s reload": a push the provider keeps refusing with
# 503 is retried by the new generation's sender until it is accepted, and
# one the provider accepted just before the reload is not sent again (the
# old sender waits for its answers and records them before it exits).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityUcwa;
use MobilityPush;

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();
push_setup();

our $Flaky = ('f1' x 30) . 'fade0001';
our $Ok = ('f2' x 30) . '00000002';

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config', ucwa_main_config($Store));
    $block->set_value('http_config', push_http_config(providers => 'apns'));
    $block->set_value('config', ucwa_config()
                      . "location = /push-status { mobility_push_status; }\n");
    $block->set_value('request', 'GET /push-status');
});

run_tests();

__DATA__

=== TEST 1: bob's phone is flaky at the provider; alice writes before the reload
--- init
MobilityPush::invite_bob({ provider => 'apns', deviceToken => $main::Flaky,
                           apnsTopic => 'com.contoso.mobility' });
my @r = MobilityPush::requests(qr{^/3/device/$main::Flaky$}, 1);
Test::More::is(scalar @r, 1, 'the first attempt before the reload');
Test::More::is($r[0]{status}, 503, 'refused');
--- response_body_like: "queue":[1-9]



=== TEST 2: after the reload the new sender retries until the provider accepts, once
--- init
my @r = MobilityPush::requests(qr{^/3/device/$main::Flaky$}, 3, 15);
Test::More::is(join(',', map { $_->{status} } @r), '503,503,200', 'retried across the reload, then accepted');
Time::HiRes::sleep(2);
@r = MobilityPush::requests(qr{^/3/device/$main::Flaky$}, 4, 0);
Test::More::is(scalar @r, 3, 'not sent again once accepted');
--- response_body_like: "queue":0



=== TEST 3: an accepted push right before a reload is not sent again after it
--- init
MobilityPush::invite_bob({ provider => 'apns', deviceToken => $main::Ok,
                           apnsTopic => 'com.contoso.mobility' });
my @r = MobilityPush::requests(qr{^/3/device/$main::Ok$}, 1);
Test::More::is(scalar @r, 1, 'sent');



=== TEST 4: after the reload: still one request for that push
--- init
Time::HiRes::sleep(3);
my @r = MobilityPush::requests(qr{^/3/device/$main::Ok$}, 2, 0);
Test::More::is(scalar @r, 1, 'exactly once');
--- response_body_like: "queue":0
