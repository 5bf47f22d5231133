# Wake-ups waiting for a busy worker (shared/ngx_mobility_ipc.c): a worker
# whose datagram queue is full (here: stopped with SIGSTOP, so its queue
# of net.unix.max_dgram_qlen datagrams fills) makes the sender keep the
# rest in its retry queue.  Retrying must cost one sendto() per busy
# worker every 2 ms, not one per waiting message: with a thousand waiting,
# the old loop kept the sender's CPU busy in the kernel (bench/RESULTS.md,
# W6; this test measured 44 ticks of 100 with it, 4 without).  Once the
# worker runs again the queue drains; nothing is dropped (that would be an
# [alert]).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityUcwa;
use Time::HiRes qw(sleep);

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config',
                      "mobility_store $Store size=32m durability=relaxed flush=1s;")
        unless defined $block->main_config;
    $block->set_value('http_config', ucwa_http_config())
        unless defined $block->http_config;
    $block->set_value('config', ucwa_config())
        unless defined $block->config;
    $block->set_value('request', 'GET /placeholder')
        unless defined $block->request;
});

sub workers_of {
    open my $f, '<', $Test::Nginx::Util::PidFile or die "pid file: $!";
    my $master = <$f>;
    chomp $master;
    my @w = grep { /\d/ } split /\s+/, `pgrep -P $master`;
    return @w;
}

sub cpu_ticks {
    my $pid = shift;
    open my $f, '<', "/proc/$pid/stat" or die "stat of $pid: $!";
    my $st = <$f>;
    $st =~ s/^.*\)\s+//;
    my @f = split /\s+/, $st;
    return $f[11] + $f[12];
}

# N note changes over one keep-alive connection (each commit broadcasts
# one wake-up to every worker)
sub notes {
    my ($s, $n) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => Test::Nginx::Util::server_port(), Timeout => 10)
        or die "connect: $!";
    my $ok = 0;
    for my $i (1 .. $n) {
        my $body = qq({"message":"note $i","type":"Personal"});
        print $sock "POST $s->{app}/me/note HTTP/1.1\r\nHost: localhost\r\n"
            . "Authorization: Bearer $s->{token}\r\n"
            . "Content-Type: application/json\r\n"
            . "Content-Length: " . length($body) . "\r\n\r\n$body";
        my $head = '';
        while ($head !~ /\r\n\r\n/) {
            sysread($sock, $head, 4096, length $head) or die "read: $!";
        }
        my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
        my ($body_read) = $head =~ /\r\n\r\n(.*)$/s;
        my $left = ($len // 0) - length $body_read;
        while ($left > 0) {
            my $got = sysread($sock, my $chunk, $left) or die "read: $!";
            $left -= $got;
        }
        $ok++ if $head =~ m{^HTTP/1\.1 204};
    }
    close $sock;
    return $ok;
}

run_tests();

__DATA__

=== TEST 1: 1 000 wake-ups for a stopped worker: the sender stays idle while they wait, and none is dropped
--- init
my $A = MobilityUcwa::session('alice');
my ($st) = MobilityUcwa::ucwa($A, POST => '/me/makeMeAvailable', body => '{"SupportedModalities":["Messaging"]}');
Test::More::is($st, 204, 'alice signs in');
my @w = main::workers_of();
Test::More::is(scalar @w, 2, 'two workers');
my ($stopped, $other) = @w;
kill 'STOP', $stopped;
my ($sent, $idle);
eval {
    # connections now reach only the running worker
    $sent = main::notes($A, 1000);
    my $t0 = main::cpu_ticks($other);
    sleep 1;
    $idle = main::cpu_ticks($other) - $t0;
};
my $err = $@;
kill 'CONT', $stopped;
die $err if $err;
Test::More::is($sent, 1000, '1 000 note changes, each 204');
Test::More::cmp_ok($idle, '<', 20, "the sender's CPU while 990 wake-ups wait: $idle ticks of 100 in 1 s");
sleep 1;
MobilityUcwa::request($block, GET => "$A->{app}/me/note", token => $A->{token});
--- error_code: 200
--- response_body_like: "message":"note 1000"
--- no_error_log
[alert]
[error]
