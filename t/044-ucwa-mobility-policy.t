# EnableMobility enforced live: a user whose effective mobility policy
# says False cannot create an application from a phone or tablet client
# (403 MobilityDisabled), and turning it off ends the user's existing
# mobile applications at once: their held P-GETs answer 404 from any
# worker, without a reload.  Browser clients are not affected.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use MobilityUcwa;

master_on();
workers(2);
no_shuffle();
log_level('info');

our $Store = ucwa_provision();

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config', ucwa_main_config($Store));
    $block->set_value('http_config', ucwa_http_config());
    $block->set_value('config', ucwa_config() . <<'_EOC_');
    location = /t {
        return 200 "up\n";
    }
_EOC_
    $block->set_value('request', "GET /t\n");
    $block->set_value('response_body', "up\n");
});

sub create {
    my ($user, $type, $agent) = @_;
    my $body = JSON::PP::encode_json({ UserAgent => $agent, Type => $type,
                                       EndpointId => "ep-$type-$user",
                                       Culture => 'en-US' });
    return MobilityUcwa::call('POST', '/ucwa/oauth/v1/applications',
                              token => MobilityUcwa::tok($user),
                              body => $body);
}

run_tests();

__DATA__

=== TEST 1: a tag policy with EnableMobility False refuses phone clients
--- init
Mobility::ctl('New-CsMobilityPolicy', '-Identity', 'tag:NoMobile',
              '-EnableMobility', 'False');
Mobility::ctl('Grant-CsMobilityPolicy', '-Identity', 'alice@contoso.com',
              '-PolicyName', 'NoMobile');
my ($st, undef, $b) = main::create('alice', 'Phone', 'Lync Mobile/5.0');
Test::More::is($st, 403, 'phone: 403');
my $e = MobilityUcwa::decode($b);
Test::More::is($e->{code}, 'Forbidden', 'code');
Test::More::is($e->{subcode}, 'MobilityDisabled', 'subcode');
($st) = main::create('alice', '', 'Mozilla/5.0 (iPhone; CPU iPhone OS 16)');
Test::More::is($st, 403, 'an iPhone user agent without a type: 403');
($st) = main::create('alice', 'Browser', 'Mozilla/5.0 (X11; Linux)');
Test::More::is($st, 201, 'a browser client is not a mobile one: 201');
($st) = main::create('bob', 'Phone', 'Lync Mobile/5.0');
Test::More::is($st, 201, 'bob (global policy) may use a phone');



=== TEST 2: turning EnableMobility off ends existing mobile applications
--- init
my $phone = MobilityUcwa::session('carol', body => JSON::PP::encode_json({
    UserAgent => 'Lync Mobile/5.0', Type => 'Phone', EndpointId => 'p1',
    Culture => 'en-US' }));
my $web = MobilityUcwa::session('carol');
my $p = MobilityUcwa::pget_start($phone, $phone->{events});
Time::HiRes::sleep(0.3);
Mobility::ctl('Set-CsMobilityPolicy', '-Identity', 'global',
              '-EnableMobility', 'False');
my ($pst) = MobilityUcwa::pget_finish($p, 5);
Test::More::is($pst, 404, 'the held P-GET of the phone app answers 404');
my ($st) = MobilityUcwa::ucwa($phone, 'GET', '');
Test::More::is($st, 404, 'the phone application is gone');
($st) = MobilityUcwa::ucwa($web, 'GET', '');
Test::More::is($st, 200, 'the browser application lives on');
($st) = main::create('carol', 'Phone', 'Lync Mobile/5.0');
Test::More::is($st, 403, 'a new phone application is refused');
Mobility::ctl('Remove-CsMobilityPolicy', '-Identity', 'global');
($st) = main::create('carol', 'Phone', 'Lync Mobile/5.0');
Test::More::is($st, 201, 'global reset to defaults: allowed again');
