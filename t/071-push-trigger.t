# Push triggers (docs/push.md): an IM invitation or a message for an
# endpoint with a registration and no listening application queues one
# push (durably, before the request completes); a held P-GET, a recent
# one (mobility_push_grace), EnablePushNotifications False or the
# provider switched off in the push configuration queue none.

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
    '-EnableFcm', 'True');
ctl('New-CsMobilityPolicy', '-Identity', 'tag:nopush',
    '-EnablePushNotifications', 'False');

ucwa_blocks($Store, mobility_ucwa_pget_timeout => '30s',
            mobility_push_grace => '1s');

# the queued pushes (of one endpoint: bob keeps his other endpoints)
sub queue {
    my $ep = shift;
    my $out = `'$ENV{MOBILITYCTL}' --store '$main::Store' --json push-queue list`;
    my $q = MobilityUcwa::decode($out) // [];
    return [ grep { !defined $ep || $_->{endpointId} eq $ep } @$q ];
}

sub purge {
    Mobility::ctl('push-queue', 'purge');
}

sub available {
    my $s = shift;
    my ($st) = MobilityUcwa::ucwa($s, POST => '/me/makeMeAvailable',
        body => '{"SignInAs":"Online","SupportedModalities":["Messaging"]}');
    Test::More::is($st, 204, 'makeMeAvailable');
    # the makeMeAvailable events: a P-GET that answers at once
    MobilityUcwa::ucwa($s, GET => '/events?ack=1');
}

# bob on one endpoint, registered for FCM, not listening (past the grace)
sub bob {
    my ($ep, $body) = @_;
    my $B = MobilityUcwa::session('bob', endpoint => $ep);
    main::available($B);
    my ($st) = MobilityUcwa::ucwa($B, PUT => '/pushRegistration',
        body => $body // '{"provider":"fcm","registrationToken":"bob-token","previews":true}');
    Test::More::ok($st == 201 || $st == 200, "bob registers ($st)");
    return $B;
}

# a thread of its own per invitation: a threadId still in progress is
# refused (409 ThreadIdAlreadyExists)
our $Thread = 0;

sub invite {
    my ($A, $text) = @_;
    my $thread = 'thread-' . ++$main::Thread;
    my ($st, $h) = MobilityUcwa::ucwa($A, POST => '/communication/messagingInvitations',
        body => '{"to":"sip:bob@contoso.com","operationId":"op","threadId":"' . $thread . '","_links":{"message":{"href":"data:text/plain;base64,' . $text . '"}}}');
    Test::More::is($st, 201, 'invitation 201');
    my ($id) = ($h->{location}[0] // '') =~ m{/messagingInvitations/([0-9a-f]+)$};
    return $id;
}

run_tests();

__DATA__

=== TEST 1: an invitation and a message for bob's silent endpoint: one push each (two applications on the endpoint, no duplicate), no preview text
--- init
main::purge();
my $A = MobilityUcwa::session('alice');
my $B = main::bob('ep-bob-1');
my $B2 = MobilityUcwa::session('bob', endpoint => 'ep-bob-1', agent => 'Other/2.0');
main::available($B2);
Test::More::isnt($B2->{app}, $B->{app}, 'two applications on one endpoint');
Time::HiRes::sleep(1.3);
my $id = main::invite($A, 'SGkgQm9iIQ==');
my $q = main::queue();
Test::More::is(scalar @$q, 1, 'exactly one push queued');
my $e = $q->[0] // {};
Test::More::is("$e->{user} $e->{endpointId} $e->{kind}", 'bob@contoso.com ep-bob-1 im', 'user, endpoint, kind');
Test::More::is("$e->{sender} $e->{senderName}", 'alice@contoso.com Alice Smith', 'sender');
Test::More::is($e->{thread}, 'thread-1', 'thread');
Test::More::ok(!exists $e->{preview}, 'no preview: mobility_push_previews is off');
Test::More::is($e->{attempts}, 0, 'attempts');
Test::More::is($e->{expires} - $e->{created}, 3600_000, 'expires after mobility_push_ttl');
Test::More::ok($e->{due} <= $e->{created} && $e->{id} > 0, 'due now, an id');
# bob accepts from one application, alice writes
my ($st) = MobilityUcwa::ucwa($B, POST => "/communication/messagingInvitations/$id/accept");
Test::More::is($st, 204, 'accept');
Time::HiRes::sleep(1.3);
main::purge();
($st) = MobilityUcwa::ucwa($A, POST => "/communication/conversations/$id/messaging/messages", type => 'text/plain', body => 'Are you there?');
Test::More::is($st, 201, 'message sent');
$q = main::queue();
Test::More::is(scalar @$q, 1, 'one push for the message');
Test::More::is(($q->[0] // {})->{kind}, 'message', 'kind message');
main::purge();
# bob's own reply pushes nothing to bob
($st) = MobilityUcwa::ucwa($B, POST => "/communication/conversations/$id/messaging/messages", type => 'text/plain', body => 'yes');
$q = main::queue();
Test::More::is(scalar @$q, 0, 'no push for an outgoing message');
MobilityUcwa::request($block, GET => "$B->{app}/pushRegistration", token => $B->{token});
--- error_code: 200
--- error_log eval
qr/push \d+ \(im\) queued for "bob\@contoso.com" endpoint "ep-bob-1"/
--- no_error_log
[alert]



=== TEST 2: a held P-GET, then one answered within the grace period: no push
--- init
main::purge();
my $A = MobilityUcwa::session('alice');
my $B = main::bob('ep-bob-2');
Time::HiRes::sleep(1.3);
my $p = MobilityUcwa::pget_start($B, "$B->{app}/events?ack=2");
Time::HiRes::sleep(0.3);
main::invite($A, 'SGk=');
Test::More::is(scalar @{ main::queue('ep-bob-2') }, 0, 'P-GET held: no push');
my ($st) = MobilityUcwa::pget_finish($p, 10);
Test::More::is($st, 200, 'the P-GET delivered the invitation');
main::invite($A, 'SGk=');
Test::More::is(scalar @{ main::queue('ep-bob-2') }, 0, 'released within the grace: no push');
Time::HiRes::sleep(1.3);
main::invite($A, 'SGk=');
Test::More::is(scalar @{ main::queue('ep-bob-2') }, 1, 'after the grace: a push');
MobilityUcwa::request($block, GET => "$B->{app}/pushRegistration", token => $B->{token});
--- error_code: 200
--- no_error_log
[alert]



=== TEST 3: EnablePushNotifications False, then the provider switched off: no push
--- init
main::purge();
my $A = MobilityUcwa::session('alice');
my $B = main::bob('ep-bob-3');
Mobility::ctl('Grant-CsMobilityPolicy', '-Identity', 'bob@contoso.com', '-PolicyName', 'nopush');
Time::HiRes::sleep(1.3);
main::invite($A, 'SGk=');
Test::More::is(scalar @{ main::queue('ep-bob-3') }, 0, 'policy off: no push');
Mobility::ctl('Grant-CsMobilityPolicy', '-Identity', 'bob@contoso.com', '-PolicyName', '$null');
Mobility::ctl('Set-CsPushNotificationConfiguration', '-Identity', 'global', '-EnableFcm', 'False');
main::invite($A, 'SGk=');
Test::More::is(scalar @{ main::queue('ep-bob-3') }, 0, 'FCM switched off: no push');
Mobility::ctl('Set-CsPushNotificationConfiguration', '-Identity', 'global', '-EnableFcm', 'True');
main::invite($A, 'SGk=');
Test::More::is(scalar @{ main::queue('ep-bob-3') }, 1, 'both on again: a push');
# a registration without the "im" preference
my ($st) = MobilityUcwa::ucwa($B, PUT => '/pushRegistration', body => '{"provider":"fcm","registrationToken":"bob-token","events":["message"]}');
Test::More::is($st, 200, 'preferences replaced');
main::purge();
main::invite($A, 'SGk=');
Test::More::is(scalar @{ main::queue('ep-bob-3') }, 0, 'kind not in the preferences: no push');
MobilityUcwa::request($block, GET => "$B->{app}/pushRegistration", token => $B->{token});
--- error_code: 200
--- error_log
EnablePushNotifications is off
EnableFcm is off
--- no_error_log
[alert]



=== TEST 4: previews allowed by the registration and nginx.conf: the text is queued
--- http_config eval
MobilityUcwa::ucwa_http_config(mobility_push_grace => '1s', mobility_push_previews => 'on')
--- init
main::purge();
my $A = MobilityUcwa::session('alice');
my $B = main::bob('ep-bob-4');
Time::HiRes::sleep(1.3);
main::invite($A, 'SGkgQm9iIQ==');
my $q = main::queue('ep-bob-4');
Test::More::is(scalar @$q, 1, 'one push');
Test::More::is(($q->[0] // {})->{preview}, 'Hi Bob!', 'the preview');
# the registration does not allow previews
MobilityUcwa::ucwa($B, PUT => '/pushRegistration', body => '{"provider":"fcm","registrationToken":"bob-token","previews":false}');
main::purge();
main::invite($A, 'SGkgQm9iIQ==');
$q = main::queue('ep-bob-4');
Test::More::ok(@$q == 1 && !exists $q->[0]{preview}, 'registration without previews: no text');
MobilityUcwa::request($block, GET => "$B->{app}/pushRegistration", token => $B->{token});
--- error_code: 200
--- no_error_log
[alert]
