package MobilityUcwa;

# Helpers of the UCWA suites (t/04*-ucwa-*.t, t/reload/04*): provisioning
# through Mobility.pm, sessions (token + application), held P-GETs on
# their own sockets, and turning a block's request into one that needs
# run-time values (a token, an application id).
#
# A block whose request depends on such values computes them in its
# "--- init" section, which Test::Nginx evaluates after nginx has started
# and before it builds the request, and then calls
#
#     MobilityUcwa::request($block, METHOD => PATH, token => $t, ...);
#
# ($block is the block being run, visible to the init code).  The block
# keeps a placeholder "--- request" so that it is well formed.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(time sleep);
use Test::Nginx::Util qw(server_port);

use lib dirname(__FILE__);
use Mobility;

use Exporter 'import';
our @EXPORT = qw(ucwa_provision ucwa_main_config ucwa_http_config
                 ucwa_config ucwa_blocks session ucwa call pget_start
                 pget_finish decode photo_put);
# the event helpers, for the suites that ask for them
our @EXPORT_OK = qw(next_package embedded available missed events_of
                    next_events);

our $Password = 'Passw0rd!';

# a fresh store with contoso.com and alice, bob, carol, dave, erin, frank
sub ucwa_provision {
    my $store = reset_store();
    ctl('domain', 'add', 'contoso.com');
    ctl_stdin("$Password\n", 'user', 'add', 'alice@contoso.com',
              '--name', 'Alice Smith', '--email', 'alice@contoso.com',
              '--title', 'Engineer', '--work-phone', '+1 (425) 555-0100',
              '--password-stdin');
    ctl_stdin("$Password\n", 'user', 'add', 'bob@contoso.com',
              '--name', 'Bob Kelly', '--password-stdin');
    for my $u (qw(carol dave erin frank)) {
        ctl_stdin("$Password\n", 'user', 'add', "$u\@contoso.com",
                  '--name', ucfirst($u), '--password-stdin');
    }
    return $store;
}

sub ucwa_main_config {
    my $store = shift;
    return "mobility_store $store size=32m;";
}

sub ucwa_http_config {
    my %o = (mobility_ucwa_max_apps => 100, @_);
    my $c = "mobility_server_fqdn fe1.contoso.com;\n";
    for my $k (sort keys %o) {
        $c .= "$k $o{$k};\n";
    }
    return $c;
}

sub ucwa_config {
    my ($extra, $max_body) = @_;
    $extra //= '';
    $max_body //= '4k';
    return <<"_EOC_";
    location = /WebTicket/oauthtoken {
        mobility_token;
    }

    location /ucwa/ {
        mobility_ucwa;
        mobility_max_body $max_body;
        $extra
    }
_EOC_
}

# nginx may still be starting (under valgrind it takes seconds)
sub wait_up {
    my $port = server_port();
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port, Timeout => 1);
        if ($s) {
            close $s;
            return 1;
        }
        sleep 0.2;
    }
    return 0;
}

# a token, once nginx answers
sub tok {
    my ($user, $password) = @_;
    wait_up();
    $user .= '@contoso.com' unless $user =~ /\@/;
    return token($user, $password // $Password);
}

sub decode {
    my $text = shift;
    return eval { JSON::PP->new->decode($text) };
}

# one request with a token; returns (status, headers, body)
sub call {
    my ($method, $path, %opt) = @_;
    wait_up();
    my @h = @{ $opt{headers} // [] };
    push @h, "Authorization: Bearer $opt{token}" if $opt{token};
    push @h, "Content-Type: " . ($opt{type} // 'application/json')
        if defined $opt{body};
    push @h, "Accept: $opt{accept}" if $opt{accept};
    return http($method, $path, headers => \@h,
                (defined $opt{body} ? (body => $opt{body}) : ()));
}

# a token and a fresh application: { token, app (self href), json }
sub session {
    my ($user, %opt) = @_;
    wait_up();
    my $token = $opt{token} // tok($user);
    my $base = $opt{base} // '/ucwa/oauth/v1/applications';
    my $body = $opt{body} // encode_json({
        UserAgent => $opt{agent} // 'MobilityUcwa/1.0',
        EndpointId => $opt{endpoint} // sprintf('ep-%d-%d', $$, rand(1e9)),
        Culture => 'en-US',
        ($opt{instance} ? (instanceId => $opt{instance}) : ()),
    });
    my ($st, $h, $b) = call('POST', $base, token => $token, body => $body);
    die "creating an application for $user: HTTP $st $b\n"
        unless $st == 201 || $st == 200;
    my $j = decode($b);
    return { token => $token, app => $j->{_links}{self}{href},
             events => $j->{_links}{events}{href}, json => $j,
             status => $st, headers => $h };
}

sub ucwa {
    my ($s, $method, $rel, %opt) = @_;
    my $path = $rel =~ m{^/ucwa/} ? $rel : "$s->{app}$rel";
    return call($method, $path, token => $s->{token}, %opt);
}

# a P-GET on its own connection, answered later
sub pget_start {
    my ($s, $href, %opt) = @_;
    my $port = server_port();
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Timeout => 5)
        or die "connect: $!";
    my $accept = $opt{accept} ? "Accept: $opt{accept}\r\n" : '';
    print $sock "GET $href HTTP/1.1\r\nHost: localhost\r\n"
                . "Authorization: Bearer $s->{token}\r\n$accept"
                . "Connection: close\r\n\r\n";
    $sock->autoflush(1);
    return { sock => $sock, started => time };
}

# waits up to $timeout s: (status, headers, body, seconds) or () if none
sub pget_finish {
    my ($p, $timeout) = @_;
    my $sel = IO::Select->new($p->{sock});
    my $buf = '';
    my $deadline = time + $timeout;
    while (1) {
        my $left = $deadline - time;
        return () if $left <= 0 || !$sel->can_read($left);
        my $n = sysread($p->{sock}, my $chunk, 65536);
        last if !$n;
        $buf .= $chunk;
        if ($buf =~ /\r\n\r\n/) {
            my ($head) = split /\r\n\r\n/, $buf, 2;
            my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
            last if defined $len
                    && length($buf) >= length($head) + 4 + $len;
        }
    }
    close $p->{sock};
    my $took = time - $p->{started};
    my ($head, $body) = split /\r\n\r\n/, $buf, 2;
    my ($status) = ($head // '') =~ m{^HTTP/1\.[01] (\d+)};
    my %h;
    for my $line (split /\r\n/, $head // '') {
        my ($k, $v) = $line =~ /^([^:]+):\s*(.*)$/ or next;
        push @{ $h{lc $k} }, $v;
    }
    return ($status // 0, \%h, $body // '', $took);
}

# The defaults of every block of a UCWA suite: the store, an http_config
# of these directives (ucwa_http_config), the UCWA locations (a first hash
# { max_body => '64k' } sets their mobility_max_body) and a placeholder
# request; a block's own sections win.
sub ucwa_blocks {
    my ($store, @http) = @_;
    my $o = ref $http[0] eq 'HASH' ? shift @http : {};
    Test::Nginx::Util::add_block_preprocessor(sub {
        my $block = shift;

        $block->set_value('main_config', ucwa_main_config($store))
            unless defined $block->main_config;
        $block->set_value('http_config', ucwa_http_config(@http))
            unless defined $block->http_config;
        $block->set_value('config', ucwa_config(undef, $o->{max_body}))
            unless defined $block->config;
        $block->set_value('request', 'GET /placeholder')
            unless defined $block->request;
    });
}

# What next_package() writes of an event: "sender: rel type status", and
# with reason => 'subcode' (or 'code/subcode') the reason, with in => 1
# " in <rel>"; a suite sets the ones its expectations name.
our %Show = (sender => 1, status => 1);

sub event_line {
    my ($snd, $e) = @_;
    my $l = ($Show{sender} ? "$snd->{rel}: " : '')
            . "$e->{link}{rel} $e->{type}";
    $l .= " $e->{status}" if $Show{status} && $e->{status};
    if ($Show{reason} && $e->{reason}) {
        $l .= ' ' . ($Show{reason} eq 'code/subcode'
                     ? "$e->{reason}{code}/" : '')
              . $e->{reason}{subcode};
    }
    $l .= " in $e->{in}{rel}" if $Show{in} && $e->{in};
    return $l;
}

# the next package of a session's channel, waiting up to $t s (10):
# (its events one a line, the decoded package, the seconds it took)
sub next_package {
    my ($s, $t) = @_;
    my $p = pget_start($s, $s->{events});
    my ($st, undef, $b, $took) = pget_finish($p, $t // 10);
    my $j = decode($b // '');
    $s->{events} = $j->{_links}{next}{href} if $j && $j->{_links}{next};
    my @e;
    for my $snd (@{ $j->{sender} // [] }) {
        push @e, map { event_line($snd, $_) } @{ $snd->{events} };
    }
    return (join("\n", @e), $j, $took);
}

# the embedded resource of the first event of that rel (and type)
sub embedded {
    my ($j, $rel, $type) = @_;
    for my $snd (@{ $j->{sender} // [] }) {
        for my $e (@{ $snd->{events} }) {
            next unless $e->{link}{rel} eq $rel;
            next if $type && $e->{type} ne $type;
            return $e->{_embedded}{$rel} // $e;
        }
    }
    return undef;
}

# makeMeAvailable for messaging, and the package of its events
sub available {
    my $s = shift;
    my ($st) = ucwa($s, POST => '/me/makeMeAvailable',
        body => '{"SignInAs":"Online","SupportedModalities":["Messaging"]}');
    Test::More::is($st, 204, 'makeMeAvailable');
    next_package($s, 8);
}

# "status missed/unread" of the session's missedItems
sub missed {
    my $s = shift;
    my ($st, undef, $b) = ucwa($s, GET => '/communication/missedItems');
    my $j = decode($b) // {};
    return "$st $j->{missedConversationsCount}/"
           . "$j->{unreadMissedConversationsCount}";
}

# "sender: rel type tail [in rel]" per event of a package of people events
sub events_of {
    my $b = shift;
    my $j = decode($b) or return '';
    my @e;
    for my $s (@{ $j->{sender} // [] }) {
        for my $e (@{ $s->{events} }) {
            my ($tail) = $e->{link}{href} =~ m{/people(/.*)?$};
            push @e, "$s->{rel}: $e->{link}{rel} $e->{type} " . ($tail // '')
                     . ($e->{in} ? " in $e->{in}{rel}" : '');
        }
    }
    return join "\n", @e;
}

# events_of() the next package of a session's channel (waits up to $t s)
sub next_events {
    my ($s, $t) = @_;
    my $p = pget_start($s, $s->{events});
    my ($st, undef, $b) = pget_finish($p, $t // 10);
    my $j = decode($b // '');
    $s->{events} = $j->{_links}{next}{href} if $j && $j->{_links}{next};
    return events_of($b // '');
}

# stores a photo for a user with the admin CLI
sub photo_put {
    my ($sip, $file) = @_;
    ctl('user', 'photo', $sip, $file);
    return 1;
}

# makes the block's request one computed at run time
sub request {
    my ($block, $method, $path, %opt) = @_;
    my $req = "$method $path";
    $req .= "\n$opt{body}" if defined $opt{body};
    $block->set_value('request', $req);
    my @h = @{ $opt{headers} // [] };
    push @h, "Authorization: Bearer $opt{token}" if $opt{token};
    push @h, "Content-Type: " . ($opt{type} // 'application/json')
        if defined $opt{body} && !grep { /^Content-Type:/i } @h;
    $block->set_value('more_headers', join("\n", @h));
}

1;
