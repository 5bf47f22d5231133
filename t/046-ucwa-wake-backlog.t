# Wake-ups for a busy worker (shared/ngx_mobility_ipc.c): a worker that
# does not read its datagram socket (here: stopped with SIGSTOP, so its
# queue of net.unix.max_dgram_qlen datagrams fills) makes the senders keep
# the rest.  Wake-ups are lists of application ids: the waiting ones for
# the same worker merge into one datagram, and when the sender's queue is
# full a waiting list becomes "re-check everything" rather than being
# dropped.  So a P-GET held by that worker is answered as soon as it runs
# again, however many commits happened meanwhile, and not at its timeout
# (the W6 soak found wake-ups dropped beyond 4 096 waiting:
# bench/RESULTS.md).

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityUcwa;
use IO::Select;
use Time::HiRes qw(sleep time);

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config',
                      "mobility_store $Store size=64m durability=relaxed flush=1s;")
        unless defined $block->main_config;
    my $port = Test::Nginx::Util::server_port() + 1;
    $block->set_value('http_config',
                      ucwa_http_config(mobility_ucwa_pget_timeout => '60s')
                      . "server {\n    listen 127.0.0.1:$port reuseport;\n"
                      . "    keepalive_requests 10000;\n"
                      . ucwa_config() . "}\n")
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

# the worker holding the server side of a client socket (/proc/net/tcp)
sub holder {
    my ($sock, @pids) = @_;
    my ($lport, $sport) = ($sock->sockport, Test::Nginx::Util::server_port());
    my $inode;
    open my $f, '<', '/proc/net/tcp' or die "/proc/net/tcp: $!";
    while (<$f>) {
        my @c = split;
        next unless @c > 9 && $c[1] =~ /:([0-9A-F]{4})$/;
        next unless hex($1) == $sport;
        next unless $c[2] =~ /:([0-9A-F]{4})$/ && hex($1) == $lport;
        $inode = $c[9];
    }
    return undef unless $inode;
    for my $pid (@pids) {
        for my $fd (glob "/proc/$pid/fd/*") {
            my $l = readlink $fd;
            return $pid if defined $l && $l eq "socket:[$inode]";
        }
    }
    return undef;
}

# A keep-alive connection to the second listener (reuseport: a socket
# per worker) that the running worker serves: a stopped worker's socket
# keeps what the kernel gives it, so try until a probe is answered.  The
# probes left behind are answered once the worker runs again.
our @Left;

sub running_conn {
    my $s = shift;
    for (1 .. 50) {
        my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => Test::Nginx::Util::server_port() + 1, Timeout => 5)
            or die "connect: $!";
        print $sock "GET $s->{app}/me/note HTTP/1.1\r\nHost: localhost\r\n"
            . "Authorization: Bearer $s->{token}\r\n\r\n";
        my $sel = IO::Select->new($sock);
        if ($sel->can_read(0.5)) {
            my ($st) = main::answer($sock);
            return $sock if $st == 200;
        }
        push @Left, $sock;
    }
    die "no connection to the running worker\n";
}

# the status and body of the answer to the last request on $sock
sub answer {
    my $sock = shift;
    my $head = '';
    while ($head !~ /\r\n\r\n/) {
        sysread($sock, $head, 4096, length $head) or die "read: $!";
    }
    my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
    my ($body) = $head =~ /\r\n\r\n(.*)$/s;
    my $left = ($len // 0) - length $body;
    while ($left > 0) {
        my $got = sysread($sock, $body, $left, length $body) or die "read: $!";
        $left -= $got;
    }
    my ($st) = $head =~ m{^HTTP/1\.1 (\d+)};
    return ($st // 0, $body);
}

sub post {
    my ($sock, $s, $path, $body) = @_;
    print $sock "POST $s->{app}$path HTTP/1.1\r\nHost: localhost\r\n"
        . "Authorization: Bearer $s->{token}\r\n"
        . "Content-Type: application/json\r\n"
        . "Content-Length: " . length($body) . "\r\n\r\n$body";
    return main::answer($sock);
}

run_tests();

__DATA__

=== TEST 1: 4 500 commits of two users while the worker holding a P-GET is stopped, then an event for it: answered once the worker runs, nothing dropped
--- init
my $A = MobilityUcwa::session('alice');
my ($st) = MobilityUcwa::ucwa($A, POST => '/me/makeMeAvailable', body => '{"SupportedModalities":["Messaging"]}');
Test::More::is($st, 204, 'alice signs in');
my $C = MobilityUcwa::session('carol');
($st) = MobilityUcwa::ucwa($C, POST => '/me/makeMeAvailable', body => '{"SupportedModalities":["Messaging"]}');
Test::More::is($st, 204, 'carol signs in');
my $B = MobilityUcwa::session('bob');
my $p = MobilityUcwa::pget_start($B, "$B->{app}/events?ack=1");
sleep 0.5;
my @w = main::workers_of();
Test::More::is(scalar @w, 2, 'two workers');
my $h = main::holder($p->{sock}, @w);
Test::More::ok($h, "the worker holding bob's P-GET: " . ($h // 'none'));
kill 'STOP', $h;
my ($sent, $bst) = (0);
eval {
    # more commits than the sender's queue (4 096) and the receiver's
    # (10) hold together
    my $c = main::running_conn($A);
    for my $i (1 .. 4500) {
        # alice and carol in turn: waiting wake-ups merge different ids
        my ($s) = main::post($c, $i % 2 ? $C : $A, '/me/note',
                             qq({"message":"note $i","type":"Personal"}));
        $sent++ if $s == 204;
    }
    ($bst) = main::post($c, $B, '/me/makeMeAvailable',
                        '{"SupportedModalities":["Messaging"]}');
    close $c;
};
my $err = $@;
my $cont = time;
kill 'CONT', $h;
die $err if $err;
Test::More::is($sent, 4500, '4 500 note changes, each 204');
Test::More::is($bst, 204, 'bob signs in: events for the held P-GET');
my ($pst, undef, $pb) = MobilityUcwa::pget_finish($p, 15);
my $took = time - $cont;
Test::More::is($pst, 200, "bob's P-GET is answered");
Test::More::like($pb, qr/"presence"/, 'with his events');
close $_ for @main::Left;
Test::More::cmp_ok($took, '<', 10, sprintf('%.2f s after the worker runs again (the medium hold included), not at the 60 s timeout', $took));
MobilityUcwa::request($block, GET => "$A->{app}/me/note", token => $A->{token});
--- error_code: 200
--- response_body_like: "message":"note 4500"
--- no_error_log
[alert]
[error]
