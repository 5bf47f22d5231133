# The per-worker caches of a UCWA GET (docs/architecture.md "Sign-in and
# tokens" and "How a request flows"): verified tokens with their user's
# record, and the user's part of GET me, both valid while the store's
# directory generation is unchanged.  Every block first has both workers
# answer the GET (so both have cached the token and the rendering), then
# changes the store from outside nginx with mobilityctl (or from the
# other worker), then checks that the next answers of both workers follow
# the change: nothing stale is ever served.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
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
    $block->set_value('config',
                      ucwa_config('add_header X-Pid $pid always;') . <<'_EOC_');
    location = /t {
        return 200 "up\n";
    }
_EOC_
    $block->set_value('request', "GET /t\n");
    $block->set_value('response_body', "up\n");
});

# GETs on fresh connections until each worker has answered at least
# $n of them: [pid, status, etag, body] per answer
sub both {
    my ($method, $path, $token, $n) = @_;
    my (%seen, @r);
    $n //= 3;
    for (1 .. 400) {
        my ($st, $h, $b) = MobilityUcwa::call($method, $path,
                                              token => $token);
        my $pid = $h->{'x-pid'} ? $h->{'x-pid'}[0] : 'none';
        push @r, [$pid, $st, $h->{etag} ? $h->{etag}[0] : '', $b];
        $seen{$pid}++;
        last if keys %seen >= 2 && !grep { $_ < $n } values %seen;
    }
    Test::More::is(scalar(keys %seen), 2,
                   "$method answered by both workers ("
                   . join(', ', map { "$_: $seen{$_}" } sort keys %seen)
                   . ")");
    return @r;
}

# every answer has this status; returns the distinct ETags and bodies
sub all_status {
    my ($what, $status, @r) = @_;
    my @bad = grep { $_->[1] != $status } @r;
    Test::More::is(scalar(@bad), 0, "$what: every answer is $status"
                   . (@bad ? " (got " . join(', ', map { "$_->[0]:$_->[1]" }
                                                   @bad) . ")" : ''));
    my (%etag, %body);
    $etag{$_->[2]}++ for @r;
    $body{$_->[3]}++ for @r;
    return ([keys %etag], [keys %body]);
}

sub passwd {
    my ($user, $password) = @_;
    Mobility::ctl_stdin("$password\n", 'user', 'passwd',
                        "$user\@contoso.com", '--password-stdin');
}

run_tests();

__DATA__

=== TEST 1: mobilityctl user disable: the next GET on either worker is 401; enable: 200 again
--- init
my $S = MobilityUcwa::session('carol');
my ($e, $b) = main::all_status('before', 200,
                               main::both(GET => "$S->{app}/me", $S->{token}));
Test::More::is(scalar(@$e), 1, 'one ETag before');
Mobility::ctl('user', 'disable', 'carol@contoso.com');
main::all_status('disabled', 401,
                 main::both(GET => "$S->{app}/me", $S->{token}));
Mobility::ctl('user', 'enable', 'carol@contoso.com');
# the token was revoked by the disable (auth_gen): it stays refused
main::all_status('enabled again, old token', 401,
                 main::both(GET => "$S->{app}/me", $S->{token}));
my $t = MobilityUcwa::tok('carol');
main::all_status('enabled again, new token', 200,
                 main::both(GET => "$S->{app}/me", $t));



=== TEST 2: mobilityctl user passwd revokes a cached token on both workers
--- init
my $S = MobilityUcwa::session('dave');
main::all_status('before', 200, main::both(GET => "$S->{app}/me", $S->{token}));
main::passwd('dave', 'N3w-Passw0rd!');
main::all_status('after passwd', 401,
                 main::both(GET => "$S->{app}/me", $S->{token}));
my $t = MobilityUcwa::tok('dave', 'N3w-Passw0rd!');
main::all_status('new token', 200, main::both(GET => "$S->{app}/me", $t));
main::passwd('dave', $MobilityUcwa::Password);



=== TEST 3: mobilityctl user set (a directory field of me): new body and new ETag on both workers at once
--- init
my $S = MobilityUcwa::session('erin');
my ($e1, $b1) = main::all_status('before', 200,
                                 main::both(GET => "$S->{app}/me", $S->{token}));
Test::More::is(scalar(@$e1), 1, 'one ETag before');
Test::More::unlike($b1->[0], qr/"title"/, 'no title before');
Mobility::ctl('user', 'set', 'erin@contoso.com', '--title', 'Chief "Cache" Officer',
              '--name', 'Erin Q');
my ($e2, $b2) = main::all_status('after user set', 200,
                                 main::both(GET => "$S->{app}/me", $S->{token}));
Test::More::is(scalar(@$e2), 1, 'one ETag after, from both workers');
Test::More::isnt($e2->[0], $e1->[0], 'a new ETag');
Test::More::is(scalar(@$b2), 1, 'one body after');
Test::More::like($b2->[0], qr/^\{"name":"Erin Q","uri":"sip:erin\@contoso.com",/,
                 'the new name');
Test::More::like($b2->[0], qr/"title":"Chief \\"Cache\\" Officer"/, 'the new title, escaped');
# the old ETag no longer matches: 200, not 304
my ($st) = MobilityUcwa::call('GET', "$S->{app}/me", token => $S->{token},
                              headers => ["If-None-Match: $e1->[0]"]);
Test::More::is($st, 200, 'the old ETag: 200');
($st) = MobilityUcwa::call('GET', "$S->{app}/me", token => $S->{token},
                           headers => ["If-None-Match: $e2->[0]"]);
Test::More::is($st, 304, 'the new ETag: 304');
Mobility::ctl('user', 'set', 'erin@contoso.com', '--clear', 'title',
              '--name', 'Erin');
my ($e3, $b3) = main::all_status('after clearing', 200,
                                 main::both(GET => "$S->{app}/me", $S->{token}));
Test::More::is_deeply($e3, $e1, 'the first ETag again');
Test::More::is_deeply($b3, $b1, 'the first body again');



=== TEST 4: mobilityctl user remove: the user's cached token stops returning its record
--- init
Mobility::ctl_stdin("$MobilityUcwa::Password\n", 'user', 'add',
                    'gina@contoso.com', '--name', 'Gina', '--password-stdin');
my $S = MobilityUcwa::session('gina');
my (undef, $b1) = main::all_status('before', 200,
                                   main::both(GET => "$S->{app}/me", $S->{token}));
Test::More::like($b1->[0], qr/^\{"name":"Gina"/, 'the directory name before');
Mobility::ctl('user', 'remove', 'gina@contoso.com');
my @r = main::both(GET => "$S->{app}/me", $S->{token});
my @stale = grep { $_->[3] =~ /"name":"Gina"/ } @r;
Test::More::is(scalar(@stale), 0, 'no worker renders the removed record');



=== TEST 5: an application deleted through one worker is 404 on both
--- init
my $S = MobilityUcwa::session('frank');
my $t = $S->{token};
main::all_status('before', 200, main::both(GET => "$S->{app}/me", $t));
my ($st) = MobilityUcwa::ucwa($S, DELETE => '');
Test::More::is($st, 204, 'DELETE');
main::all_status('deleted', 404, main::both(GET => "$S->{app}/me", $t));
# another application of the same user, same cached token: served
my $S2 = MobilityUcwa::session('frank', token => $t);
main::all_status('the other application', 200,
                 main::both(GET => "$S2->{app}/me", $t));



=== TEST 6: somebody else's application stays 404 with a cached token
--- init
my $A = MobilityUcwa::session('alice');
my $B = MobilityUcwa::session('bob');
main::all_status('own', 200, main::both(GET => "$A->{app}/me", $A->{token}));
main::all_status('own', 200, main::both(GET => "$B->{app}/me", $B->{token}));
main::all_status("bob's token on alice's application", 404,
                 main::both(GET => "$A->{app}/me", $B->{token}));



=== TEST 7: GET me in XML after both workers cached the token: the user's record, kept raw by the auth cache, is decoded in full
--- init
Mobility::ctl('user', 'set', 'bob@contoso.com', '--title', 'Raw Record Keeper');
my $S = MobilityUcwa::session('bob');
main::all_status('JSON first', 200, main::both(GET => "$S->{app}/me", $S->{token}));
my (%seen, @bad);
for (1 .. 400) {
    my ($st, $h, $b) = MobilityUcwa::call('GET', "$S->{app}/me",
        token => $S->{token},
        accept => 'application/vnd.microsoft.com.ucwa+xml');
    my $pid = $h->{'x-pid'} ? $h->{'x-pid'}[0] : 'none';
    $seen{$pid}++;
    push @bad, "$pid:$st" unless $st == 200 && $b =~ /Raw Record Keeper/
                                 && $b =~ /bob\@contoso\.com/;
    last if keys %seen >= 2 && !grep { $_ < 3 } values %seen;
}
Test::More::is(scalar(keys %seen), 2, 'XML answered by both workers');
Test::More::is(scalar(@bad), 0, 'every XML me carries the directory title'
               . (@bad ? " (not: @bad)" : ''));
Mobility::ctl('user', 'set', 'bob@contoso.com', '--clear', 'title');



=== TEST 8: with a cached token: an unknown application id is 404, an altered token 401, a new application 200 on both workers at once
--- init
my $S = MobilityUcwa::session('dave');
my $t = $S->{token};
main::all_status('own', 200, main::both(GET => "$S->{app}/me", $t));
(my $unknown = $S->{app}) =~ s{[^/]+$}{vm-0123456789abcdef};
my @r = main::both(GET => "$unknown/me", $t);
main::all_status('an unknown application', 404, @r);
my @nf = grep { $_->[3] =~ /ApplicationNotFound/ } @r;
Test::More::is(scalar(@nf), scalar(@r), 'every 404 is ApplicationNotFound');
# the MAC's last character changed: the token is refused, whatever the
# application
(my $bad = $t) =~ s/(.)$/$1 eq 'A' ? 'B' : 'A'/e;
main::all_status('an altered token', 401, main::both(GET => "$S->{app}/me", $bad));
my $S2 = MobilityUcwa::session('dave', token => $t);
main::all_status('a new application', 200,
                 main::both(GET => "$S2->{app}/me", $t, 1));
my @wrong = grep { $_->[3] !~ /\Q$S2->{app}\E/ } main::both(GET => "$S2->{app}/me", $t);
Test::More::is(scalar(@wrong), 0, "the new application's me names it");
