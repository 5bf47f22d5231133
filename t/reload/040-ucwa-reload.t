# The UCWA event channel across "nginx -s reload" (make test's second
# pass: TEST_NGINX_USE_HUP=1 with a master process) and restarts: a P-GET
# held by a worker that shuts down is answered at once, so the client
# comes back to a new worker; unacknowledged packages and pending events
# are in the store and nothing is lost.

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
                      ucwa_http_config(mobility_ucwa_pget_timeout => '600s'));
    $block->set_value('config', ucwa_config());
    $block->set_value('request', 'GET /placeholder')
        unless defined $block->request;
});

run_tests();

__DATA__

=== TEST 1: an application signs in; a P-GET is held (600 s timeout)
--- init
$main::S = MobilityUcwa::session('alice');
my ($st) = MobilityUcwa::ucwa($main::S, POST => '/me/makeMeAvailable',
                              body => '{}');
Test::More::is($st, 204, 'makeMeAvailable');
my (undef, undef, $b) = MobilityUcwa::ucwa($main::S, GET => '/events?ack=1&medium=5');
Test::More::like($b, qr/"presence"/, 'package 1');
$main::P = MobilityUcwa::pget_start($main::S, "$main::S->{app}/events?ack=2");
my @r = MobilityUcwa::pget_finish($main::P, 0.5);
Test::More::ok(!@r, 'held');
MobilityUcwa::request($block, GET => "$main::S->{app}/me",
                      token => $main::S->{token});
--- error_code: 200
--- no_error_log
[alert]



=== TEST 2: after the reload (or restart) the held P-GET was answered, and the channel goes on
--- init
my ($st, $h, $b, $took) = MobilityUcwa::pget_finish($main::P, 10);
Test::More::ok(defined $st && $st == 200, 'the held P-GET was answered')
    or Test::More::diag("status " . ($st // 'none'));
Test::More::ok(defined $took && $took < 60, "long before its timeout ("
                                            . ($took // '?') . ' s)');
my $j = MobilityUcwa::decode($b // '') // {};
Test::More::is($j->{_links}{next}{href} // '', "$main::S->{app}/events?ack=3",
               'package 2');
# the same package again from a new worker
my (undef, undef, $again) = MobilityUcwa::ucwa($main::S, GET => '/events?ack=2');
Test::More::is($again, $b, 'package 2 is in the store');
# a change now reaches a P-GET held by a new worker
my $p = MobilityUcwa::pget_start($main::S, "$main::S->{app}/events?ack=3");
Time::HiRes::sleep(0.3);
MobilityUcwa::ucwa($main::S, POST => '/me/note', body => '{"message":"after the reload"}');
my ($pst, undef, $pb) = MobilityUcwa::pget_finish($p, 10);
Test::More::is($pst, 200, 'events after the reload');
Test::More::like($pb, qr/"message":"after the reload"/, 'the note');
MobilityUcwa::request($block, GET => "$main::S->{app}/me/note",
                      token => $main::S->{token});
--- error_code: 200
--- response_body_like: "message":"after the reload"
--- no_error_log
[alert]
