# Releases without a sync and their exact recovery (docs/architecture.md
# "Releases without a sync"): with releases=nosync the P-GET batch commits
# without fsync; a store that lost releases (an operating-system crash, or
# a backup restored while clients went on: mobilityctl backup) recovers its
# event channels at the first start, so a client that received the lost
# packages neither gets their events again nor a resync.
#
# Block 1 takes a backup while package N (a note update, held by the
# medium hold) is pending, then lets the release deliver it; blocks 2-4
# start nginx on copies of that backup (boot id "restored": recovery
# runs), block 5 on the live store again (same boot: no recovery, the
# normal rules).  Block 6 checks with strace that with releases=nosync a
# release batch does not sync while a change does, block 8 that by
# default it syncs, block 9 that held P-GETs whose clients go away are
# forgotten by the batch (no synced commit each).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use File::Path qw(remove_tree);
use Mobility;
use MobilityUcwa;

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();
our $Ctl = Mobility::mobilityctl();
our $Backup = "$Store-backup";
our @Copies = map { "$Store-copy$_" } 1 .. 4;
our %Use;        # block name -> the store it runs on

remove_tree($Backup, @Copies);

sub boot_id {
    open(my $fh, '<', '/proc/sys/kernel/random/boot_id') or return undef;
    my $id = <$fh>;
    chomp $id;
    return $id;
}

sub stored_boot_id {
    my $dir = shift;
    my $out = `$Ctl --store $dir --json store info`;
    my $j = MobilityUcwa::decode($out) // {};
    return $j->{boot_id};
}

# (events one a line, next ack, resync ack, status) of a P-GET answered
# within $t s
sub pget {
    my ($s, $ack, $t) = @_;
    my $p = MobilityUcwa::pget_start($s, "$s->{app}/events?ack=$ack");
    my ($st, undef, $b) = MobilityUcwa::pget_finish($p, $t // 2);
    my $j = MobilityUcwa::decode($b // '') // {};
    my @e;
    for my $snd (@{ $j->{sender} // [] }) {
        for my $e (@{ $snd->{events} }) {
            my $x = $e->{_embedded} // {};
            my ($res) = values %$x;
            push @e, "$e->{link}{rel} $e->{type}"
                     . ($res && $res->{message} ? " $res->{message}" : '')
                     . ($res && $res->{location} ? " $res->{location}" : '');
        }
    }
    my ($next) = ($j->{_links}{next}{href} // '') =~ /ack=(\d+)/;
    my ($resync) = ($j->{_links}{resync}{href} // '') =~ /ack=(\d+)/;
    return (join("\n", sort @e), $next, $resync, $st // 0);
}

# a P-GET with ack=$ack answered at once: 200, no resync, the events
# $events (what they are: $what), next ack=$next; returns (events, next)
sub package_is {
    my ($ack, $events, $next, $what) = @_;
    my ($e, $n, $resync, $pst) = pget($main::S, $ack);
    Test::More::is($pst, 200, 'answered');
    Test::More::is($resync, undef, 'no resync');
    Test::More::is($e, $events, $what);
    Test::More::is($n, $next, "next: ack=$next");
    return ($e, $n);
}

# a P-GET with ack=$ack answered with resync to ack=N and nothing else
sub resync_is {
    my $ack = shift;
    my ($e, undef, $resync, $pst) = pget($main::S, $ack);
    Test::More::is($pst, 200, 'answered');
    Test::More::is($resync, $main::N,
                   'resync to ack=N (package N, unacknowledged)');
    Test::More::is($e, '', 'no events');
}

# the worker processes of the running nginx
sub worker_pids {
    open(my $fh, '<', $Test::Nginx::Util::PidFile) or die "pid file: $!";
    my $master = <$fh>;
    chomp $master;
    return split ' ', `pgrep -P $master`;
}

# how many sync calls (fsync, fdatasync, msync, sync_file_range) the
# workers made while $what ran, traced with strace
sub traced {
    my ($workers, $what) = @_;
    my $trace = "$Store-strace.log";
    unlink $trace;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if ($pid == 0) {
        open STDERR, '>&', \*STDOUT;
        exec 'strace', '-f', '-o', $trace, '-e',
             'trace=fsync,fdatasync,msync,sync_file_range',
             map { ('-p', $_) } @$workers;
        exit 127;
    }
    my %wait = map { $_ => 1 } @$workers;
    while (my $l = <$fh>) {
        delete $wait{$1} if $l =~ /Process (\d+) attached/;
        last unless %wait;
    }
    Time::HiRes::sleep(0.2);
    $what->();
    Time::HiRes::sleep(0.3);
    kill 'INT', $pid;
    close $fh;
    open(my $t, '<', $trace) or return -1;
    return scalar grep { /\b(fsync|fdatasync|msync|sync_file_range)\(/ } <$t>;
}

# a session of $user whose channel has nothing pending: (session, ack)
sub quiet_session {
    my $user = shift;
    my $s = MobilityUcwa::session($user);
    MobilityUcwa::ucwa($s, POST => '/me/makeMeAvailable', body => '{}');
    my $ack = 1;
    for (1 .. 6) {
        my ($e, $next) = pget($s, $ack, 7);
        $ack = $next if $next;
        last if $e eq '';
    }
    return ($s, $ack);
}

add_block_preprocessor(sub {
    my $block = shift;
    my $store = $Use{$block->name} // $Store;

    $block->set_value('main_config', ucwa_main_config($store))
        unless defined $block->main_config;
    $block->set_value('http_config',
                      ucwa_http_config(mobility_ucwa_pget_timeout => '600s'));
    $block->set_value('config', ucwa_config());
    $block->set_value('request', 'GET /placeholder')
        unless defined $block->request;
});

$Use{'TEST 2: recovered: ack N+1 gets only what came after the backup, no resync'} = $Backup;
$Use{'TEST 3: recovered: ack N (the client that never got N) gets package N'} = $Copies[0];
$Use{'TEST 4: recovered: ack N+3 (empty packages lost too) is taken the same way'} = $Copies[1];
$Use{'TEST 4b: recovered: an ack more than 1024 packages ahead is not a lost release: resync'} = $Copies[3];
$Use{'TEST 7: a change merging away a pending event of the lost package: nothing after the recovery is dropped'} = $Copies[2];

run_tests();

__DATA__

=== TEST 1: a backup while package N is held; then the release delivers N
--- init
# the store was made by the CLI: no boot id until nginx starts on it
$main::S = MobilityUcwa::session('alice');
Test::More::is(main::stored_boot_id($main::Store), main::boot_id(),
               'nginx stored the boot id of a store that had none');
my ($st) = MobilityUcwa::ucwa($main::S, POST => '/me/makeMeAvailable',
                              body => '{}');
Test::More::is($st, 204, 'makeMeAvailable');
# drain what signing in made, until a P-GET is held
my $ack = 1;
for (1 .. 6) {
    my $p = MobilityUcwa::pget_start($main::S,
                                     "$main::S->{app}/events?ack=$ack&medium=5");
    my ($pst, undef, $b) = MobilityUcwa::pget_finish($p, 7);
    my $j = MobilityUcwa::decode($b // '') // {};
    my ($n) = ($j->{_links}{next}{href} // '') =~ /ack=(\d+)/;
    $ack = $n if $n;
    last if ($b // '') !~ /"presence"|"communication"/;
}
$main::N = $ack;
# more channels for the recovery to mark (5 in all)
MobilityUcwa::session($_) for qw(erin erin frank frank);
Test::More::cmp_ok($main::N, '>', 1, "the channel expects ack=$main::N");
my $p = MobilityUcwa::pget_start($main::S, "$main::S->{app}/events?ack=$main::N");
Time::HiRes::sleep(0.3);
($st) = MobilityUcwa::ucwa($main::S, POST => '/me/note',
                           body => '{"message":"before the backup"}');
Test::More::is($st, 204, 'note set (a medium event: held)');
Time::HiRes::sleep(0.3);
my $out = `$main::Ctl --store $main::Store backup $main::Backup 2>&1`;
Test::More::is($?, 0, 'mobilityctl backup') or Test::More::diag($out);
for my $c (@main::Copies) {
    system('cp', '-a', $main::Backup, $c) == 0 or die "cp: $!";
}
Test::More::is(main::stored_boot_id($main::Backup), 'restored',
               'the backup is marked restored');
my ($pst, undef, $b) = MobilityUcwa::pget_finish($p, 10);
Test::More::is($pst, 200, 'package N released after the backup');
Test::More::like($b, qr/"message":"before the backup"/, 'package N: the note');
Test::More::like($b, qr/events\?ack=@{[$main::N + 1]}"/, 'next: ack=N+1');
# the live store goes on beyond the backup
$out = `$main::Ctl --store $main::Store backup $main::Backup 2>&1`;
Test::More::isnt($?, 0, 'a backup never overwrites a store');
Test::More::like($out, qr/holds a store already/, 'and says why');
MobilityUcwa::request($block, GET => "$main::S->{app}/me/note",
                      token => $main::S->{token});
--- error_code: 200
--- response_body_like: "message":"before the backup"
--- no_error_log
[alert]
marked recovered



=== TEST 2: recovered: ack N+1 gets only what came after the backup, no resync
--- init
my ($st) = MobilityUcwa::ucwa($main::S, POST => '/me/location',
                              body => '{"location":"after the restore"}');
Test::More::is($st, 204, 'a change after the restore');
Time::HiRes::sleep(5.3);    # its medium hold
my ($e, $next) = main::package_is($main::N + 1,
    'location updated after the restore', $main::N + 2,
    'only the change made after the restore, not the note again');
# the channel follows the normal rules now: the same ack, the same package
my ($e2, $next2) = main::pget($main::S, $main::N + 1);
Test::More::is("$e2 $next2", "$e $next", 'ack N+1 again: the same package');
Test::More::is(main::stored_boot_id($main::Backup), main::boot_id(),
               'the restored store has the boot id now');
MobilityUcwa::request($block, GET => "$main::S->{app}/me/location",
                      token => $main::S->{token});
--- error_code: 200
--- response_body_like: "location":"after the restore"
--- error_log eval
qr/boot id "restored", now "[0-9a-f-]+": 5 event channels marked recovered/
--- no_error_log
[alert]



=== TEST 3: recovered: ack N (the client that never got N) gets package N
--- init
main::package_is($main::N, 'note updated before the backup', $main::N + 1,
                 'package N: the note');
MobilityUcwa::request($block, GET => "$main::S->{app}/me/note",
                      token => $main::S->{token});
--- error_code: 200
--- error_log
5 event channels marked recovered
--- no_error_log
[alert]



=== TEST 4: recovered: ack N+3 (empty packages lost too) is taken the same way
--- init
my ($e, undef, undef, $pst) = main::pget($main::S, $main::N + 3);
Test::More::is($pst, 0, 'nothing pending: held') or Test::More::diag($e);
my ($st) = MobilityUcwa::ucwa($main::S, POST => '/me/location',
                              body => '{"location":"after the restore too"}');
Time::HiRes::sleep(5.3);
main::package_is($main::N + 3, 'location updated after the restore too',
                 $main::N + 4, 'only the change after the restore');
MobilityUcwa::request($block, GET => "$main::S->{app}/me/note",
                      token => $main::S->{token});
--- error_code: 200
--- error_log
taken as the lost packages
--- no_error_log
[alert]



=== TEST 4b: recovered: an ack more than 1024 packages ahead is not a lost release: resync
--- init
main::resync_is($main::N + 1025);
# the normal rules from now on: ack N gets package N (the note) again
my ($e, $next) = main::pget($main::S, $main::N);
Test::More::is($e, 'note updated before the backup', 'ack N: package N');
Test::More::is($next, $main::N + 1, 'next: ack=N+1');
MobilityUcwa::request($block, GET => "$main::S->{app}/me/note",
                      token => $main::S->{token});
--- error_code: 200
--- error_log
5 event channels marked recovered
--- no_error_log
taken as the lost packages
[alert]



=== TEST 5: the live store again (same boot: no recovery): an ack ahead gets resync
--- init
main::resync_is($main::N + 2);
MobilityUcwa::request($block, GET => "$main::S->{app}/me/note",
                      token => $main::S->{token});
--- error_code: 200
--- no_error_log
[alert]
marked recovered



=== TEST 6: releases=nosync: a release batch commits without fsync; a change syncs
--- main_config eval
"mobility_store $main::Store size=32m releases=nosync;"
--- init
my @workers = main::worker_pids();
Test::More::is(scalar @workers, 2, 'two workers');
my ($S, $ack) = main::quiet_session('bob');
# a change: its events are committed with a sync
my $synced = main::traced(\@workers, sub {
    MobilityUcwa::ucwa($S, POST => '/me/note', body => '{"message":"synced"}');
});
Test::More::cmp_ok($synced, '>', 0, "the change synced ($synced calls)");
Time::HiRes::sleep(5.2);    # the note is due
my ($e, $next);
my $lazy = main::traced(\@workers, sub { ($e, $next) = main::pget($S, $ack) });
Test::More::is($e, 'note updated synced', 'the release delivered the note');
Test::More::is($lazy, 0, 'the release batch did not sync');
MobilityUcwa::request($block, GET => "$S->{app}/me/note", token => $S->{token});
--- error_code: 200
--- no_error_log
[alert]



=== TEST 7: a change merging away a pending event of the lost package: nothing after the recovery is dropped
--- init
# a note update supersedes the note pending at the recovery (merge);
# then a location: ack N+1 takes the lost package and gets both changes
MobilityUcwa::ucwa($main::S, POST => '/me/note',
                   body => '{"message":"merged after the restore"}');
MobilityUcwa::ucwa($main::S, POST => '/me/location',
                   body => '{"location":"after the merge"}');
Time::HiRes::sleep(5.3);
main::package_is($main::N + 1,
    "location updated after the merge\nnote updated merged after the restore",
    $main::N + 2, 'both changes made after the restore');
MobilityUcwa::request($block, GET => "$main::S->{app}/me/note",
                      token => $main::S->{token});
--- error_code: 200
--- error_log
taken as the lost packages
--- no_error_log
[alert]



=== TEST 8: the default (releases=sync): the release batch commits as any commit
--- init
my @workers = main::worker_pids();
my ($S, $ack) = main::quiet_session('dave');
MobilityUcwa::ucwa($S, POST => '/me/note', body => '{"message":"all synced"}');
Time::HiRes::sleep(5.2);
my ($e, $next);
my $n = main::traced(\@workers, sub { ($e, $next) = main::pget($S, $ack) });
Test::More::is($e, 'note updated all synced', 'the release delivered the note');
Test::More::cmp_ok($n, '>=', 1, "the release batch synced ($n calls)");
MobilityUcwa::request($block, GET => "$S->{app}/me/note", token => $S->{token});
--- error_code: 200
--- no_error_log
[alert]



=== TEST 9: held P-GETs whose clients go away: the batch forgets them, no sync each
--- main_config eval
"mobility_store $main::Store size=32m releases=nosync;"
--- init
my @workers = main::worker_pids();
my @s = map { MobilityUcwa::session($_) } (qw(carol erin) x 6);
my @held = map {
    MobilityUcwa::pget_start($_, "$_->{app}/events?ack=1&priority=5")
} @s;
Time::HiRes::sleep(0.5);
Test::More::is(scalar(grep { MobilityUcwa::pget_finish($_, 0.01) } @held), 0,
               'the 12 P-GETs are held');
# a disconnect storm: one commit per batch, not a synced commit per P-GET
my $n = main::traced(\@workers, sub { close $_->{sock} for @held });
Test::More::is($n, 0, 'the P-GETs that went away made no sync call');
# their parks were forgotten: a lower priority takes each channel
my @low = map {
    MobilityUcwa::pget_start($_, "$_->{app}/events?ack=1&priority=1")
} @s[0, 11];
Time::HiRes::sleep(0.5);
Test::More::is(scalar(grep { MobilityUcwa::pget_finish($_, 0.01) } @low), 0,
               'lower priorities hold the channels the others left');
MobilityUcwa::request($block, GET => $s[0]->{app}, token => $s[0]->{token});
--- error_code: 200
--- no_error_log
[alert]
