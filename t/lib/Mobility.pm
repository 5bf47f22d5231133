package Mobility;

# Helpers shared by the Test::Nginx suites: a store per test file kept
# outside the server root (Test::Nginx wipes files there between blocks,
# and reload tests need the store to survive), provisioning through the
# real admin CLI, and tokens from the real token service.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use JSON::PP;
use Test::Nginx::Util qw(server_root server_port);

use Exporter 'import';
our @EXPORT = qw(store_dir reset_store ctl ctl_stdin http token json_body);

sub mobilityctl {
    my $ctl = $ENV{MOBILITYCTL} || abs_path(dirname(__FILE__) . '/../..')
                                   . '/build/mobilityctl';
    die "mobilityctl not found at $ctl (make cli, or set MOBILITYCTL)\n"
        unless -x $ctl;
    return $ctl;
}

# one store per test file, beside the server root
sub store_dir {
    my $root = server_root();
    my $base = $root =~ m{/} ? dirname($root) : '.';
    my $name = basename($0, '.t');
    return abs_path($base) . "/mobility-stores/$name";
}

sub reset_store {
    my $dir = shift // store_dir();
    remove_tree($dir);
    make_path(dirname($dir));
    ctl('store', 'init', '--password-iterations', '1000');
    return $dir;
}

sub _run {
    my ($stdin, @args) = @_;
    my @cmd = (mobilityctl(), '--store', store_dir(), @args);
    my $pid = open(my $fh, '|-') // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        exec @cmd or die "exec @cmd: $!";
    }
    print $fh $stdin if defined $stdin;
    close $fh;
    die "mobilityctl @args failed: exit " . ($? >> 8) . "\n" if $?;
}

sub ctl { _run(undef, @_) }

sub ctl_stdin { my $in = shift; _run($in, @_) }

# a minimal HTTP/1.1 client on a real socket: (status, headers, body)
sub http {
    my ($method, $path, %opt) = @_;
    my $port = $opt{port} // server_port();
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => $opt{timeout} // 10)
        or die "connect 127.0.0.1:$port: $!";
    my $body = $opt{body} // '';
    my $req = "$method $path HTTP/1.1\r\nHost: "
              . ($opt{host} // 'localhost') . "\r\nConnection: close\r\n";
    for my $h (@{ $opt{headers} // [] }) {
        $req .= "$h\r\n";
    }
    $req .= "Content-Length: " . length($body) . "\r\n"
        if length $body || $method eq 'POST' || $method eq 'PUT';
    $req .= "\r\n$body";
    print $s $req;
    local $/;
    my $resp = <$s> // '';
    close $s;
    my ($head, $content) = split /\r\n\r\n/, $resp, 2;
    my ($status) = ($head // '') =~ m{^HTTP/1\.[01] (\d+)};
    my %h;
    for my $line (split /\r\n/, $head // '') {
        my ($k, $v) = $line =~ /^([^:]+):\s*(.*)$/ or next;
        push @{ $h{lc $k} }, $v;
    }
    return ($status // 0, \%h, $content // '');
}

sub json_body {
    my $text = shift;
    return JSON::PP->new->decode($text);
}

# a cwt token from the token service at /WebTicket/oauthtoken
sub token {
    my ($user, $password, %opt) = @_;
    my $form = "grant_type=password&username=$user&password=$password";
    my ($status, undef, $body) = http('POST', '/WebTicket/oauthtoken',
        body => $form, %opt,
        headers => ['Content-Type: application/x-www-form-urlencoded']);
    die "token for $user: HTTP $status $body\n" unless $status == 200;
    return json_body($body)->{access_token};
}

1;
