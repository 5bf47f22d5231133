# One durable release commit per change for all workers: the presence
# fan-out records every held watcher channel in the due index; the first
# worker whose hold ends forms the packages of all of them (its own and
# the other worker's) in its one write transaction, and the other worker
# answers its P-GETs from a read transaction, without a write.  A P-GET
# replaced, an application deleted or a P-GET gone before the due time
# leave stale entries that are dropped: nothing is lost, nothing is
# delivered twice.  (Across a reload: t/reload/047-shared-release-reload.t.)

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityUcwa;

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('debug');

# connections spread over both workers by the kernel's hash
$Test::Nginx::Util::ReusePort = 1;

our $Store = ucwa_provision();

ucwa_blocks($Store, mobility_ucwa_pget_timeout => '30s');

# subscribes sessions to dave and consumes the events that causes
sub watch_dave {
    my @s = @_;
    for my $s (@s) {
        my ($st) = MobilityUcwa::ucwa($s, POST => '/people/presenceSubscriptions',
            body => '{"duration":10,"uris":["sip:dave@contoso.com"]}');
        die "subscribing: HTTP $st\n" unless $st == 201;
    }
    my @p = map { MobilityUcwa::pget_start($_, $_->{events}) } @s;
    for my $i (0 .. $#s) {
        my ($pst, undef, $b) = MobilityUcwa::pget_finish($p[$i], 20);
        die "first package: HTTP " . ($pst // 0) . "\n" unless ($pst // 0) == 200;
        my $j = MobilityUcwa::decode($b);
        $s[$i]{events} = $j->{_links}{next}{href};
    }
    return @s;
}

# the exact package of one contactPresence event for $s
sub package_of {
    my ($s, $ack) = @_;
    my $prefix = $s->{app};
    return qq({"_links":{"self":{"href":"$prefix/events?ack=$ack"},)
         . qq("next":{"href":"$prefix/events?ack=) . ($ack + 1) . qq("}},)
         . qq("sender":[{"rel":"people","href":"$prefix/people",)
         . qq("events":[{"link":{"rel":"contactPresence",)
         . qq("href":"$prefix/people/dave\@contoso.com/presence"},)
         . qq("in":{"rel":"contact","href":"$prefix/people/dave\@contoso.com"},)
         . qq("type":"updated"}]}]});
}

sub ack_of {
    my $href = shift;
    my ($ack) = $href =~ /[?&]ack=(\d+)/;
    return $ack;
}

sub log_mark {
    return -s $Test::Nginx::Util::ErrLogFile // 0;
}

sub log_since {
    my $mark = shift;
    open my $in, '<', $Test::Nginx::Util::ErrLogFile or die "error log: $!";
    seek $in, $mark, 0;
    local $/;
    my $text = <$in>;
    close $in;
    return $text // '';
}

# the held P-GET of $s with its next ack answers nothing more in $t s
sub nothing_more {
    my ($s, $t) = @_;
    my $p = MobilityUcwa::pget_start($s, $s->{events});
    my @r = MobilityUcwa::pget_finish($p, $t);
    close $p->{sock};
    return !@r;
}

run_tests();

__DATA__

=== TEST 1: a change to 16 watchers held in both workers: one release commit, the other worker answers without a write, each watcher gets its package once
--- init
my $D = MobilityUcwa::session('dave');
my ($st) = MobilityUcwa::ucwa($D, POST => '/me/makeMeAvailable', body => '{"SupportedModalities":["Messaging"]}');
Test::More::is($st, 204, 'dave signs in');
my @w = main::watch_dave(map { MobilityUcwa::session($_) } (qw(alice bob carol erin frank)) x 3, 'alice');
Test::More::is(scalar @w, 16, '16 watchers');
my $m0 = main::log_mark();
my @p = map { MobilityUcwa::pget_start($_, $_->{events}) } @w;
Time::HiRes::sleep(0.5);
my $parked = main::log_since($m0);
my %pids = map { $_ => 1 } $parked =~ /\[debug\] (\d+)#\d+: [^\n]*P-GET parked on/g;
Test::More::is(scalar keys %pids, 2, 'the P-GETs are held in both workers');
my $m1 = main::log_mark();
($st) = MobilityUcwa::ucwa($D, POST => '/me/presence', body => '{"availability":"Busy"}');
Test::More::is($st, 204, 'dave is busy');
my $ok = 0;
for my $i (0 .. $#w) {
    my ($pst, undef, $b, $took) = MobilityUcwa::pget_finish($p[$i], 10);
    my $ack = main::ack_of($w[$i]{events});
    if (($pst // 0) == 200 && $b eq main::package_of($w[$i], $ack)) {
        $ok++;
    } else {
        Test::More::diag("watcher $i: " . ($pst // 'none') . " $b");
    }
    $w[$i]{events} =~ s/([?&]ack=)\d+/$1 . ($ack + 1)/e;
}
Test::More::is($ok, 16, 'each watcher got its package, with its next');
my $log = main::log_since($m1);
my @commits = $log =~ /P-GET batch committed: (\d+) written, (\d+) released from the due index/g;
Test::More::is(scalar @commits, 2, 'one release commit for the change')
    or Test::More::diag("commits: @commits");
Test::More::is(($commits[0] // 0) + ($commits[1] // 0), 16, 'it released all 16 channels');
Test::More::ok(($commits[1] // 0) > 0, 'some of them held by the other worker');
my @nowrite = $log =~ /P-GET of [a-z0-9-]+ released by another worker, answered without a write/g;
Test::More::is(scalar @nowrite, $commits[1] // -1, 'each of those answered without a write');
my @rel = $log =~ /\[debug\] (\d+)#\d+: [^\n]*released by another worker/g;
my @com = $log =~ /\[debug\] (\d+)#\d+: [^\n]*P-GET batch committed/g;
Test::More::ok(!grep({ $_ eq ($com[0] // '') } @rel), 'by the worker that did not commit');
Test::More::ok(main::nothing_more($w[3], 1), 'nothing delivered twice');
MobilityUcwa::request($block, GET => "$D->{app}/me/presence", token => $D->{token});
--- error_code: 200
--- response_body_like: "availability":"Busy"
--- no_error_log
[alert]
[error]



=== TEST 2: a P-GET replaced, an application deleted and a P-GET gone before the due time: stale entries dropped, nothing lost or duplicated
--- init
my $D = MobilityUcwa::session('dave');
MobilityUcwa::ucwa($D, POST => '/me/makeMeAvailable', body => '{"SupportedModalities":["Messaging"]}');
my @w = main::watch_dave(map { MobilityUcwa::session($_) } qw(alice bob carol erin frank alice bob carol));
my @p = map { MobilityUcwa::pget_start($_, $_->{events}) } @w;
Time::HiRes::sleep(0.5);
my $m1 = main::log_mark();
my ($st) = MobilityUcwa::ucwa($D, POST => '/me/presence', body => '{"availability":"Away"}');
Test::More::is($st, 204, 'dave is away');
Time::HiRes::sleep(0.5);
# 0: replaced by a new P-GET with the same ack
my $old = $p[0];
$p[0] = MobilityUcwa::pget_start($w[0], $w[0]{events});
my ($ost, undef, $ob, $otook) = MobilityUcwa::pget_finish($old, 3);
Test::More::is($ost, 409, 'the replaced P-GET answers 409');
Test::More::like($ob, qr/PGetReplaced/, 'PGetReplaced');
# 1: its application deleted
($st) = MobilityUcwa::ucwa($w[1], DELETE => '');
Test::More::is($st, 204, 'application 1 deleted');
my ($dst) = MobilityUcwa::pget_finish($p[1], 3);
Test::More::is($dst, 404, 'its held P-GET answers 404');
# 2: its P-GET goes away
close $p[2]{sock};
my $ok = 0;
for my $i (0, 3 .. $#w) {
    my ($pst, undef, $b) = MobilityUcwa::pget_finish($p[$i], 10);
    my $ack = main::ack_of($w[$i]{events});
    if (($pst // 0) == 200 && $b eq main::package_of($w[$i], $ack)) {
        $ok++;
    } else {
        Test::More::diag("watcher $i: " . ($pst // 'none') . " $b");
    }
    $w[$i]{events} =~ s/([?&]ack=)\d+/$1 . ($ack + 1)/e;
}
Test::More::is($ok, 6, 'the replacing P-GET and the others got their package once');
my $log = main::log_since($m1);
# the entries of the channels the releasing worker packaged itself, and
# those of the deleted and the abandoned channel, are dropped
my @c = $log =~ /P-GET batch committed: (\d+) written, ([1-9]\d*) released from the due index/g;
my @stale = $log =~ /due index: (\d+) held channels released, (\d+) stale entries dropped/g;
Test::More::is(scalar @c, 2, 'one release commit');
Test::More::is(scalar @stale, 2, 'one due index scan with entries');
Test::More::is($stale[0] // -1, $c[1] // -2, 'the channels it released');
Test::More::is(($stale[1] // 0) - ($c[0] // 0), 2, 'the deleted and the abandoned channels: stale entries dropped');
Test::More::is(($c[0] // 0) + ($c[1] // 0), 6, 'six packages in the one commit');
# 2 comes back: its change is still there, once
my $p2 = MobilityUcwa::pget_start($w[2], $w[2]{events});
my ($st2, undef, $b2) = MobilityUcwa::pget_finish($p2, 5);
my $ack2 = main::ack_of($w[2]{events});
Test::More::is($st2, 200, 'the watcher that left gets 200');
Test::More::is($b2, main::package_of($w[2], $ack2), 'and its package, once');
$w[2]{events} =~ s/([?&]ack=)\d+/$1 . ($ack2 + 1)/e;
Test::More::ok(main::nothing_more($w[2], 1), 'watcher 2: nothing delivered twice');
Test::More::ok(main::nothing_more($w[0], 1), 'watcher 0: nothing delivered twice');
MobilityUcwa::request($block, GET => "$D->{app}/me/presence", token => $D->{token});
--- error_code: 200
--- response_body_like: "availability":"Away"
--- no_error_log
[alert]
[error]
