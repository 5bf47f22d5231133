# The due index across "nginx -s reload" (TEST_NGINX_USE_HUP=1 with a
# master process) and restarts: a presence change fans out to watchers
# held in the old workers, which shut down before the change is due.
# Their P-GETs are answered at once (with the change), the index entries
# the fan-out wrote are left behind and must be harmless: every watcher
# gets the change exactly once, whether in the answer at shutdown or in
# its next P-GET, and the channels go on.

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

sub presence_events {
    my $b = shift;
    my $j = MobilityUcwa::decode($b // '') or return 0;
    my $n = 0;
    for my $s (@{ $j->{sender} // [] }) {
        $n += grep { $_->{link}{rel} eq 'contactPresence' } @{ $s->{events} };
    }
    return $n;
}

run_tests();

__DATA__

=== TEST 1: six watchers of dave are held; dave's presence changes (due in 5 s)
--- init
$main::D = MobilityUcwa::session('dave');
MobilityUcwa::ucwa($main::D, POST => '/me/makeMeAvailable', body => '{"SupportedModalities":["Messaging"]}');
@main::W = map { MobilityUcwa::session($_) } qw(alice bob carol erin frank alice);
for my $s (@main::W) {
    my ($st) = MobilityUcwa::ucwa($s, POST => '/people/presenceSubscriptions',
        body => '{"duration":10,"uris":["sip:dave@contoso.com"]}');
    die "subscribing: HTTP $st\n" unless $st == 201;
}
my @p = map { MobilityUcwa::pget_start($_, $_->{events}) } @main::W;
for my $i (0 .. $#main::W) {
    my ($st, undef, $b) = MobilityUcwa::pget_finish($p[$i], 20);
    die "first package: HTTP " . ($st // 0) . "\n" unless ($st // 0) == 200;
    $main::W[$i]{events} = MobilityUcwa::decode($b)->{_links}{next}{href};
}
@main::P = map { MobilityUcwa::pget_start($_, $_->{events}) } @main::W;
Time::HiRes::sleep(0.5);
my ($st) = MobilityUcwa::ucwa($main::D, POST => '/me/presence', body => '{"availability":"Busy"}');
Test::More::is($st, 204, 'dave is busy');
MobilityUcwa::request($block, GET => "$main::D->{app}/me/presence",
                      token => $main::D->{token});
--- error_code: 200
--- response_body_like: "availability":"Busy"
--- no_error_log
[alert]



=== TEST 2: after the reload (or restart) each watcher got the change exactly once, and the next change reaches all
--- init
my $once = 0;
for my $i (0 .. $#main::W) {
    my $s = $main::W[$i];
    my ($st, undef, $b, $took) = MobilityUcwa::pget_finish($main::P[$i], 10);
    Test::More::diag("watcher $i: " . ($st // 'none')) unless ($st // 0) == 200;
    my $n = main::presence_events($b);
    my $j = MobilityUcwa::decode($b // '') // {};
    $s->{events} = $j->{_links}{next}{href} if $j->{_links}{next};
    # what is left comes with the next P-GET (the change was due 5 s
    # after it was made); nothing more after that
    my $p = MobilityUcwa::pget_start($s, $s->{events});
    my ($st2, undef, $b2) = MobilityUcwa::pget_finish($p, $n ? 1 : 8);
    if (defined $st2) {
        $n += main::presence_events($b2);
        my $j2 = MobilityUcwa::decode($b2 // '') // {};
        $s->{events} = $j2->{_links}{next}{href} if $j2->{_links}{next};
    }
    $once++ if $n == 1;
    Test::More::diag("watcher $i: $n presence events") unless $n == 1;
}
Test::More::is($once, 6, 'each watcher got the change exactly once');
my @p = map { MobilityUcwa::pget_start($_, $_->{events}) } @main::W;
Time::HiRes::sleep(0.3);
my ($st) = MobilityUcwa::ucwa($main::D, POST => '/me/presence', body => '{"availability":"Away"}');
Test::More::is($st, 204, 'dave is away');
my $got = 0;
for my $i (0 .. $#main::W) {
    my ($pst, undef, $b) = MobilityUcwa::pget_finish($p[$i], 10);
    $got++ if ($pst // 0) == 200 && main::presence_events($b) == 1;
}
Test::More::is($got, 6, 'the next change reaches every watcher once');
MobilityUcwa::request($block, GET => "$main::D->{app}/me/presence",
                      token => $main::D->{token});
--- error_code: 200
--- response_body_like: "availability":"Away"
--- no_error_log
[alert]
