#!/usr/bin/perl
#
# mobilityctl, the admin CLI, against a temporary store.
#
#   MOBILITYCTL=build/mobilityctl prove -v t/010-cli.t

use strict;
use warnings;

use Test::More;
use File::Temp qw(tempdir);
use FindBin;
use JSON::PP;
use POSIX qw(WIFEXITED WEXITSTATUS);

my $bin = $ENV{MOBILITYCTL} // "$FindBin::Bin/../build/mobilityctl";

-x $bin or die "$bin is not executable; build it with: make cli\n";

delete $ENV{MOBILITY_STORE};

my $tmp = tempdir(CLEANUP => 1);
my $store = "$tmp/store";
my $json = JSON::PP->new->utf8;

my @FIELDS = qw(name email title department company office work_phone
                mobile_phone home_phone other_phone site pool policy);


sub slurp {
    my ($file) = @_;

    open my $fh, '<:raw', $file or return '';
    local $/;
    my $s = <$fh>;
    close $fh;

    return $s // '';
}


sub spew {
    my ($file, $data) = @_;

    open my $fh, '>:raw', $file or die "$file: $!";
    print $fh $data;
    close $fh;
}


# ctl({ stdin => "...", store => PATH, env => {...} }, ARGS...)
# runs mobilityctl --store STORE ARGS; returns { rc, out, err }

sub ctl {
    my $o = ref $_[0] eq 'HASH' ? shift : {};
    my @args = @_;

    my @store = exists $o->{store}
                ? (defined $o->{store} ? ('--store', $o->{store}) : ())
                : ('--store', $store);

    spew("$tmp/stdin", $o->{stdin} // '');

    my $pid = fork // die "fork: $!";

    if ($pid == 0) {
        %ENV = (%ENV, %{ $o->{env} // {} });
        open STDIN, '<', defined $o->{stdin} ? "$tmp/stdin" : '/dev/null'
            or die;
        open STDOUT, '>', "$tmp/stdout" or die;
        open STDERR, '>', "$tmp/stderr" or die;
        exec $bin, @store, @args or exit 127;
    }

    waitpid $pid, 0;

    return {
        rc  => WIFEXITED($?) ? WEXITSTATUS($?) : 128 + ($? & 127),
        out => slurp("$tmp/stdout"),
        err => slurp("$tmp/stderr"),
    };
}


sub ctl_json {
    my $r = ctl(@_, '--json');
    my $name = join ' ', grep { !ref } @_;

    is($r->{rc}, 0, "$name --json: exit 0") or diag $r->{err};

    my $data = eval { $json->decode($r->{out}) };
    ok(defined $data, "$name --json: valid JSON") or diag "$@: $r->{out}";

    return $data;
}


# rc, a stderr pattern, an empty stdout
sub fails {
    my ($r, $rc, $re, $name) = @_;

    is($r->{rc}, $rc, "$name: exit $rc") or diag $r->{err};
    like($r->{err}, $re, "$name: message");
    like($r->{err}, qr/\Amobilityctl: /, "$name: message format");
}


sub user {
    my ($sip) = @_;

    my $r = ctl('--json', 'user', 'show', $sip);
    return undef if $r->{rc} != 0;

    return $json->decode($r->{out});
}


sub count_users {
    my $r = ctl('--json', 'store', 'info');
    return $json->decode($r->{out})->{users};
}


my ($r, $u, $d);

# help and usage

$r = ctl({ store => undef }, '--help');
is($r->{rc}, 0, '--help: exit 0');
like($r->{out}, qr/^usage: mobilityctl /m, '--help: usage on stdout');
like($r->{out}, qr/user import FILE\.csv/, '--help: lists import');

$r = ctl({ store => undef }, 'help');
is($r->{rc}, 0, 'help: exit 0');
like($r->{out}, qr/^usage: mobilityctl /m, 'help: usage');

$r = ctl({ store => undef });
is($r->{rc}, 2, 'no command: exit 2');
like($r->{err}, qr/^usage:/m, 'no command: usage on stderr');

fails(ctl('frobnicate'), 2, qr/unknown command "frobnicate"/,
      'unknown command');
fails(ctl('user'), 2, qr/missing subcommand/, 'missing subcommand');
fails(ctl('user', 'frob'), 2, qr/unknown subcommand "frob"/,
      'unknown subcommand');
fails(ctl('user', 'list', '--bogus'), 2, qr/unknown option "--bogus"/,
      'unknown option');
fails(ctl('user', 'show'), 2, qr/missing SIP address/, 'missing argument');
fails(ctl('--size', '12x', 'store', 'info'), 2, qr/invalid --size/,
      'bad --size');
ok(!-e $store, 'usage errors do not create the store');

# store

fails(ctl('store', 'init', '--password-iterations', '999'), 2,
      qr/--password-iterations must be a number from 1000/,
      'iterations below the minimum');
fails(ctl('store', 'init', '--password-iterations', 'lots'), 2,
      qr/--password-iterations/, 'iterations not a number');

$r = ctl('store', 'init', '--password-iterations', '1000');
is($r->{rc}, 0, 'store init: exit 0') or diag $r->{err};
ok(-f "$store/data.mdb", 'store init: created the store');

$d = ctl_json('store', 'info');
is($d->{path}, $store, 'store info: path');
is($d->{format}, 1, 'store info: format');
is($d->{password_iterations}, 1000, 'store info: password_iterations');
is($d->{users}, 0, 'store info: no users');
is($d->{domains}, 0, 'store info: no domains');
cmp_ok($d->{map_size}, '>=', 256 * 1024 * 1024, 'store info: map size');
like($d->{used_percent}, qr/^\d+$/, 'store info: used_percent');

$r = ctl('store', 'info');
like($r->{out}, qr/^password_iterations:\s+1000$/m, 'store info: text');

$r = ctl('store', 'init');
$d = ctl_json('store', 'info');
is($d->{password_iterations}, 1000, 'store init again keeps iterations');

$r = ctl('--size', '1g', 'store', 'init');
is($r->{rc}, 0, 'store init --size 1g') or diag $r->{err};
$d = ctl_json('store', 'info');
is($d->{map_size}, 1024 * 1024 * 1024, 'a larger store keeps its size');

$r = ctl({ store => undef, env => { MOBILITY_STORE => $store } },
         '--json', 'store', 'info');
is($r->{rc}, 0, 'MOBILITY_STORE: exit 0');
is(eval { $json->decode($r->{out})->{path} }, $store,
   'MOBILITY_STORE names the store');

spew("$tmp/afile", "not a store\n");
fails(ctl({ store => "$tmp/afile" }, 'store', 'info'), 3,
      qr/is not a directory/, 'store error');

# domains

$r = ctl('domain', 'add', 'Contoso.COM', 'fabrikam.com');
is($r->{rc}, 0, 'domain add: exit 0') or diag $r->{err};

$d = ctl_json('domain', 'list');
is_deeply([ map { $_->{domain} } @$d ], [ 'contoso.com', 'fabrikam.com' ],
          'domain list: canonical, sorted');
is($d->[0]{users}, 0, 'domain list: user count');

$r = ctl('domain', 'list');
is($r->{out}, "contoso.com\nfabrikam.com\n",
   'domain list: one name a line (scripts/demo.sh greps it)');

fails(ctl('domain', 'add', 'new.example', 'bad..example'), 1,
      qr/invalid domain name "bad\.\.example"/, 'invalid domain');
fails(ctl('domain', 'add', 'new.example', 'contoso.com'), 1,
      qr/domain contoso\.com already exists/, 'duplicate domain');
$d = ctl_json('domain', 'list');
is(scalar @$d, 2, 'domain add is all or nothing');

# users

fails(ctl('user', 'add', 'carol@nowhere.example'), 1,
      qr/^mobilityctl: unknown SIP domain nowhere\.example \(add it with: (?x)
         mobilityctl\ domain\ add\ nowhere\.example\)$/m,
      'unknown domain');

for my $bad ('alice', '@contoso.com', 'alice@', 'a b@contoso.com',
             'sip:', 'alice@contoso..com')
{
    fails(ctl('user', 'add', $bad), 1, qr/malformed SIP address/,
          "malformed SIP \"$bad\"");
}

# --policy grants a per-user mobility policy: it must exist
is(ctl('New-CsMobilityPolicy', '-Identity', 'tag:standard')->{rc}, 0,
   'a per-user mobility policy to grant');

$r = ctl('user', 'add', 'sip:Alice@Contoso.com',
         '--name', 'Alice Smith', '--email', 'Alice@Contoso.com',
         '--title', 'Engineer', '--department', 'R&D',
         '--company', 'Contoso', '--office', '42/1001',
         '--work-phone', '+1 (425) 555-0100',
         '--mobile-phone', 'tel:+14255550101',
         '--home-phone', '  +44 20 7946 0000  ',
         '--other-phone', 'tel:+14255550102;ext=7',
         '--site', 'Redmond', '--pool', 'pool1', '--policy', 'standard');
is($r->{rc}, 0, 'user add: exit 0') or diag $r->{err};
like($r->{out}, qr/added user sip:alice\@contoso\.com/, 'user add: text');

$u = user('alice@contoso.com');
ok($u, 'user show: found by canonical address');
is_deeply([ sort keys %$u ],
          [ sort @FIELDS, qw(sip enabled admin has_password auth_gen
                             created updated) ],
          'user show --json: the field names');
is($u->{sip}, 'sip:alice@contoso.com', 'sip: canonical with scheme');
is($u->{name}, 'Alice Smith', 'name');
is($u->{email}, 'Alice@Contoso.com', 'email as given');
is($u->{department}, 'R&D', 'department');
is($u->{work_phone}, '+1 (425) 555-0100', 'work_phone');
is($u->{home_phone}, '+44 20 7946 0000', 'phone trimmed');
is($u->{other_phone}, 'tel:+14255550102;ext=7', 'tel: URI with extension');
is($u->{site}, 'Redmond', 'site');
is($u->{pool}, 'pool1', 'pool');
is($u->{policy}, 'standard', 'policy');
ok($u->{enabled}, 'enabled by default');
ok(!$u->{has_password}, 'no password');
like($u->{created}, qr/^\d+$/, 'created: unix seconds');
cmp_ok(abs($u->{created} - time), '<', 60, 'created: now');
is($u->{updated}, $u->{created}, 'updated = created');

$u = user('SIP:ALICE@CONTOSO.COM');
is($u && $u->{name}, 'Alice Smith', 'user show: any case, sip: prefix');

$r = ctl('user', 'show', 'alice@contoso.com');
is($r->{rc}, 0, 'user show: text');
like($r->{out}, qr/^name:\s+Alice Smith$/m, 'user show: name line');
like($r->{out}, qr/^password:\s+not set$/m, 'user show: password line');

fails(ctl('user', 'add', 'ALICE@contoso.com'), 1,
      qr/user sip:alice\@contoso\.com already exists/, 'duplicate user');

fails(ctl('user', 'add', 'x1@contoso.com', '--work-phone', '555-CALL-NOW'),
      1, qr/work_phone "555-CALL-NOW" is not a phone number/,
      'bad phone');
fails(ctl('user', 'add', 'x1@contoso.com', '--mobile-phone', '12+3'), 1,
      qr/mobile_phone/, 'bad phone: + inside');
fails(ctl('user', 'add', 'x1@contoso.com', '--email', 'not-an-address'), 1,
      qr/email "not-an-address" is not an e-mail address/, 'bad e-mail');
fails(ctl('user', 'add', 'x1@contoso.com', '--name', "A\x07B"), 1,
      qr/name "A\?B" contains control characters/, 'control characters');
fails(ctl('user', 'add', 'x1@contoso.com', '--title', "caf\xe9"), 1,
      qr/title is not valid UTF-8/, 'invalid UTF-8');
fails(ctl('user', 'add', 'x1@contoso.com', '--office', 'x' x 257), 1,
      qr/office is longer than 256 bytes/, 'field too long');
fails(ctl('user', 'add', 'x1@contoso.com', '--email', 'alice@contoso.com'),
      1, qr/e-mail address "alice\@contoso\.com" is already used by (?x)
            sip:alice\@contoso\.com/,
      'e-mail address of another user');
ok(!user('x1@contoso.com'), 'rejected users are not created');

$r = ctl('user', 'add', 'zoe@contoso.com', '--name', "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m",
         '--office', 'x' x 256, '--disabled');
is($r->{rc}, 0, 'UTF-8 name, 256-byte field, --disabled')
    or diag $r->{err};
$u = user('zoe@contoso.com');
is($u->{name}, "Zo\x{eb} \x{c5}ngstr\x{f6}m", 'UTF-8 survives');
ok(!$u->{enabled}, 'added disabled');

# passwords: never from argv

for my $arg ([ '--password', 'hunter2' ], [ '--password=hunter2' ]) {
    $r = ctl('user', 'add', 'bob@contoso.com', @$arg);
    fails($r, 2, qr/passwords are never taken from the command line/,
          "@$arg");
}
fails(ctl('user', 'passwd', 'alice@contoso.com', '--password', 'x'), 2,
      qr/never taken from the command line/, 'passwd --password');
ok(!user('bob@contoso.com'), 'no user from a password on the command line');

$r = ctl({ stdin => "s3cret pass\n" }, 'user', 'add', 'bob@contoso.com',
         '--name', 'Bob', '--password-stdin');
is($r->{rc}, 0, 'user add --password-stdin') or diag $r->{err};
$u = user('bob@contoso.com');
ok($u->{has_password}, 'password set from stdin');

SKIP: {
    my $dump = `mdb_dump -p -s users '$store' 2>/dev/null`;
    skip 'mdb_dump (lmdb-utils) not available', 2 if $? != 0 || !$dump;

    like($dump, qr/pbkdf2-sha256\$1000\$/,
         'stored hash: pbkdf2-sha256 at the store\'s iterations');
    unlike($dump, qr/s3cret/, 'no clear-text password in the store');
}

for my $cmd ([ 'user', 'show', 'bob@contoso.com' ],
             [ '--json', 'user', 'show', 'bob@contoso.com' ],
             [ 'user', 'list' ], [ '--json', 'user', 'list' ])
{
    $r = ctl(@$cmd);
    unlike($r->{out}, qr/pbkdf2|s3cret/, "@$cmd: no hash, no password");
}

my $before = user('bob@contoso.com');

$r = ctl({ stdin => "an0ther\n" }, 'user', 'passwd', 'bob@contoso.com');
is($r->{rc}, 0, 'user passwd from a pipe') or diag $r->{err};
$u = user('bob@contoso.com');
cmp_ok($u->{auth_gen}, '>', $before->{auth_gen}, 'passwd bumps auth_gen');

$before = $u;
$r = ctl({ stdin => "an0ther\r\n" }, 'user', 'passwd', 'bob@contoso.com',
         '--password-stdin');
is($r->{rc}, 0, 'user passwd --password-stdin again') or diag $r->{err};
$u = user('bob@contoso.com');
is_deeply({ %$u, updated => 0, auth_gen => 0 },
          { %$before, updated => 0, auth_gen => 0 },
          'second passwd: nothing else visible changes');
cmp_ok($u->{auth_gen}, '>', $before->{auth_gen}, 'auth_gen bumped again');

fails(ctl({ stdin => "\n" }, 'user', 'passwd', 'bob@contoso.com'), 1,
      qr/empty password/, 'empty password');
fails(ctl({ stdin => "" }, 'user', 'passwd', 'bob@contoso.com'), 1,
      qr/no password on standard input/, 'no password');
fails(ctl({ stdin => 'x' x 1025 . "\n" }, 'user', 'passwd',
          'bob@contoso.com'),
      1, qr/longer than 1024 bytes/, 'password too long');
fails(ctl({ stdin => "pw\n" }, 'user', 'passwd', 'nobody@contoso.com'), 1,
      qr/no such user sip:nobody\@contoso\.com/, 'passwd: unknown user');
fails(ctl({ stdin => "pw\n" }, 'user', 'add', 'bob@contoso.com',
          '--password-stdin'),
      1, qr/already exists/, 'add --password-stdin: duplicate');

SKIP: {
    skip 'IO::Pty not installed', 6 unless eval { require IO::Pty; 1 };

    my $pty_run = sub {
        my (@answers) = @_;

        my $pty = IO::Pty->new;
        my $pid = fork // die "fork: $!";

        if ($pid == 0) {
            $pty->make_slave_controlling_terminal;
            my $tty = $pty->slave;
            close $pty;
            open STDIN, '<&', $tty or die;
            open STDOUT, '>&', $tty or die;
            open STDERR, '>&', $tty or die;
            exec $bin, '--store', $store, 'user', 'passwd',
                 'alice@contoso.com';
            exit 127;
        }

        $pty->close_slave;

        my ($seen, $prompts) = ('', 0);
        my $deadline = time + 20;

        while (time < $deadline) {
            my $rin = '';
            vec($rin, fileno($pty), 1) = 1;
            select(my $rout = $rin, undef, undef, 0.5) or next;
            my $n = sysread($pty, my $buf, 4096);
            last if !$n;
            $seen .= $buf;

            my $p = () = $seen =~ /password[^\n]*: /gi;
            while ($prompts < $p && @answers) {
                syswrite($pty, shift(@answers) . "\n");
                $prompts++;
            }
        }

        waitpid $pid, 0;

        return (WIFEXITED($?) ? WEXITSTATUS($?) : -1, $seen, $prompts);
    };

    my $gen = user('alice@contoso.com')->{auth_gen};

    my ($rc, $seen, $prompts) = $pty_run->('tty-secret', 'tty-secret');
    is($rc, 0, 'terminal: passwd succeeds') or diag $seen;
    is($prompts, 2, 'terminal: asked twice');
    unlike($seen, qr/tty-secret/, 'terminal: the password is not echoed');
    cmp_ok(user('alice@contoso.com')->{auth_gen}, '>', $gen,
           'terminal: password changed');

    ($rc, $seen) = $pty_run->('tty-secret', 'typo');
    is($rc, 1, 'terminal: mismatch fails') or diag $seen;
    like($seen, qr/passwords do not match/, 'terminal: mismatch message');
}

# set, disable, enable

$before = user('alice@contoso.com');

$r = ctl('user', 'set', 'alice@contoso.com', '--title', 'Manager',
         '--clear', 'work_phone', '--mobile-phone', '', '--clear', 'pool');
is($r->{rc}, 0, 'user set') or diag $r->{err};
$u = user('alice@contoso.com');
is($u->{title}, 'Manager', 'set: title');
is($u->{work_phone}, '', 'set: --clear work_phone');
is($u->{mobile_phone}, '', 'set: empty value clears');
is($u->{pool}, '', 'set: --clear pool');
is($u->{name}, 'Alice Smith', 'set: other fields kept');
is($u->{created}, $before->{created}, 'set: created kept');
cmp_ok($u->{updated}, '>=', $before->{updated}, 'set: updated');
is($u->{auth_gen}, $before->{auth_gen}, 'set: auth_gen kept');

fails(ctl('user', 'set', 'alice@contoso.com'), 2, qr/nothing to change/,
      'set: nothing to change');
fails(ctl('user', 'set', 'alice@contoso.com', '--clear', 'shoe_size'), 2,
      qr/unknown field "shoe_size"/, 'set: --clear unknown field');
fails(ctl('user', 'set', 'alice@contoso.com', '--title', 'a', '--title',
          'b'),
      2, qr/given twice/, 'set: field twice');
fails(ctl('user', 'set', 'nobody@contoso.com', '--title', 'x'), 1,
      qr/no such user sip:nobody\@contoso\.com/, 'set: unknown user');
fails(ctl('user', 'set', 'bob@contoso.com', '--email', 'ALICE@contoso.com'),
      1, qr/already used by sip:alice\@contoso\.com/,
      'set: e-mail address of another user');

$r = ctl('user', 'set', 'bob@contoso.com', '--clear', 'password');
is($r->{rc}, 0, 'set: --clear password') or diag $r->{err};
ok(!user('bob@contoso.com')->{has_password}, 'password removed');

$before = user('alice@contoso.com');
$r = ctl('user', 'disable', 'alice@contoso.com');
is($r->{rc}, 0, 'user disable') or diag $r->{err};
$u = user('alice@contoso.com');
ok(!$u->{enabled}, 'disabled');
cmp_ok($u->{auth_gen}, '>', $before->{auth_gen}, 'disable bumps auth_gen');

$before = $u;
$r = ctl('user', 'enable', 'alice@contoso.com');
is($r->{rc}, 0, 'user enable') or diag $r->{err};
$u = user('alice@contoso.com');
ok($u->{enabled}, 'enabled');
is($u->{auth_gen}, $before->{auth_gen}, 'enable keeps auth_gen');

fails(ctl('user', 'disable', 'nobody@contoso.com'), 1, qr/no such user/,
      'disable: unknown user');

$d = ctl_json('user', 'set', 'alice@contoso.com', '--disabled');
ok(!$d->{enabled}, 'set --disabled, --json prints the user');
ctl('user', 'set', 'alice@contoso.com', '--enabled');
ok(user('alice@contoso.com')->{enabled}, 'set --enabled');

# list

ctl('user', 'add', 'dan@fabrikam.com', '--site', 'Oslo');

$d = ctl_json('user', 'list');
is_deeply([ map { $_->{sip} } @$d ],
          [ map { "sip:$_" } qw(alice@contoso.com bob@contoso.com
                                dan@fabrikam.com zoe@contoso.com) ],
          'user list --json: every user, by address');
ok(!grep({ exists $_->{password} } @$d), 'user list: no password field');

$d = ctl_json('user', 'list', '--domain', 'Fabrikam.com');
is_deeply([ map { $_->{sip} } @$d ], [ 'sip:dan@fabrikam.com' ],
          'user list --domain');

$d = ctl_json('user', 'list', '--site', 'redmond');
is_deeply([ map { $_->{sip} } @$d ], [ 'sip:alice@contoso.com' ],
          'user list --site');

fails(ctl('user', 'list', '--domain', 'nowhere.example'), 1,
      qr/unknown SIP domain nowhere\.example/, 'user list: unknown domain');

$r = ctl('user', 'list');
like($r->{out}, qr/^sip:alice\@contoso\.com\s+Alice Smith\s+Redmond\s+enabled$/m,
     'user list: text table');

$d = ctl_json('domain', 'list');
is_deeply({ map { $_->{domain} => $_->{users} } @$d },
          { 'contoso.com' => 3, 'fabrikam.com' => 1 },
          'domain list: users per domain');

# remove

$r = ctl('user', 'remove', 'zoe@contoso.com');
is($r->{rc}, 0, 'user remove') or diag $r->{err};
ok(!user('zoe@contoso.com'), 'removed');
fails(ctl('user', 'remove', 'zoe@contoso.com'), 1,
      qr/no such user sip:zoe\@contoso\.com/, 'remove again');
fails(ctl('user', 'show', 'zoe@contoso.com'), 1, qr/no such user/,
      'show a removed user');

$r = ctl('user', 'add', 'zoe@contoso.com');
cmp_ok(user('zoe@contoso.com')->{auth_gen}, '>', 0,
       'a re-created user starts at a fresh auth_gen');

fails(ctl('domain', 'remove', 'fabrikam.com'), 1,
      qr/domain fabrikam\.com still has 1 user; .*--force/,
      'domain remove: refuses while users remain');
ok(user('dan@fabrikam.com'), 'the user is still there');

$d = ctl_json('domain', 'remove', 'fabrikam.com', '--force');
is($d->{users_removed}, 1, 'domain remove --force: removes its users');
ok(!user('dan@fabrikam.com'), 'the user is gone');
fails(ctl('domain', 'remove', 'fabrikam.com'), 1,
      qr/no such domain fabrikam\.com/, 'domain remove: unknown domain');

# CSV import

ctl('domain', 'add', 'fabrikam.com');
my $users = count_users();

spew("$tmp/good.csv",
     "\xef\xbb\xbfSIP,Name,email,work-phone,site,enabled\r\n"
     . "carol\@contoso.com,\"Jones, Carol \"\"CJ\"\"\",carol\@contoso.com,"
     . "+1 425 555 0103,Redmond,yes\r\n"
     . "\r\n"
     . "sip:Dave\@Fabrikam.com,Dave,,,Oslo,no\r\n"
     . "erin\@contoso.com,Erin,,,,\r\n");

$d = ctl_json('user', 'import', "$tmp/good.csv");
is_deeply($d, { users => 3, added => 3, updated => 0 },
          'import: three users added');
is(count_users(), $users + 3, 'import: the users are there');
$u = user('carol@contoso.com');
is($u->{name}, 'Jones, Carol "CJ"', 'import: RFC 4180 quoting');
is($u->{work_phone}, '+1 425 555 0103', 'import: work-phone column');
ok($u->{enabled}, 'import: enabled yes');
ok(!user('dave@fabrikam.com')->{enabled}, 'import: enabled no');
ok(user('erin@contoso.com')->{enabled}, 'import: enabled by default');

fails(ctl('user', 'import', "$tmp/good.csv"), 1,
      qr/good\.csv:2: user sip:carol\@contoso\.com already exists.*--update/,
      'import: existing users need --update');

spew("$tmp/update.csv",
     "sip,title,site\ncarol\@contoso.com,Boss,\nfrank\@contoso.com,New,X\n");
$d = ctl_json('user', 'import', "$tmp/update.csv", '--update');
is_deeply($d, { users => 2, added => 1, updated => 1 }, 'import --update');
$u = user('carol@contoso.com');
is($u->{title}, 'Boss', 'import --update: sets a column');
is($u->{site}, '', 'import --update: an empty cell empties the field');
is($u->{name}, 'Jones, Carol "CJ"', 'import --update: keeps other columns');

$users = count_users();

spew("$tmp/bad.csv", join '',
     "sip,name,email,mobile_phone,enabled\n",          # 1
     "gina\@contoso.com,Gina,gina\@contoso.com,,\n",   # 2 good
     "not-a-sip,Bad,,,\n",                              # 3
     "hank\@nowhere.example,Hank,,,\n",                 # 4
     "ivan\@contoso.com,\"Ivan\nthe\",,,\n",            # 5-6 (control)
     "judy\@contoso.com,Judy,,call me,\n",              # 7
     "gina\@contoso.com,Gina again,,,\n",               # 8
     "kim\@contoso.com,Kim,GINA\@contoso.com,,\n",      # 9
     "carol\@contoso.com,Carol,,,\n",                   # 10 exists
     "leo\@contoso.com,Leo,,,maybe\n",                  # 11
     "mia\@contoso.com,Mia\n",                          # 12
     "ned\@contoso.com,N\"d,,,\n",                      # 13
     "olga\@contoso.com,Olga,alice\@contoso.com,,\n",   # 14 taken
     "pat\@contoso.com,Pat,,,\n");                      # 15 good

$r = ctl('user', 'import', "$tmp/bad.csv");
is($r->{rc}, 1, 'bad import: exit 1');

my %want = (
    3  => qr/malformed SIP address "not-a-sip"/,
    4  => qr/unknown SIP domain nowhere\.example \(add it with/,
    5  => qr/name "Ivan\?the" contains control characters/,
    7  => qr/mobile_phone "call me" is not a phone number/,
    8  => qr/sip:gina\@contoso\.com is also on line 2/,
    9  => qr/e-mail address "GINA\@contoso\.com" is also on line 2/,
    10 => qr/user sip:carol\@contoso\.com already exists/,
    11 => qr/enabled "maybe" is neither yes nor no/,
    12 => qr/2 fields, but the header row has 5/,
    13 => qr/quote inside an unquoted field/,
    14 => qr/already used by sip:alice\@contoso\.com/,
);

my @lines = $r->{err} =~ /^mobilityctl: \Q$tmp\E\/bad\.csv:(\d+): /mg;
is_deeply(\@lines, [ sort { $a <=> $b } keys %want ],
          'bad import: one error per bad row, in order, with line numbers')
    or diag $r->{err};

for my $line (sort { $a <=> $b } keys %want) {
    like($r->{err}, qr/bad\.csv:$line: [^\n]*$want{$line}/,
         "bad import: line $line");
}

like($r->{err}, qr/bad\.csv: 11 bad rows, nothing imported/,
     'bad import: summary');
is(count_users(), $users, 'bad import: nothing imported');
ok(!user('gina@contoso.com'), 'bad import: not even the good rows');

spew("$tmp/open.csv", "sip,name\nq\@contoso.com,\"open\nr\@contoso.com,R\n");
fails(ctl('user', 'import', "$tmp/open.csv"), 1,
      qr/open\.csv:2: a quoted field is not closed/, 'import: open quote');

spew("$tmp/col.csv", "sip,shoe_size\nq\@contoso.com,44\n");
fails(ctl('user', 'import', "$tmp/col.csv"), 1,
      qr/col\.csv:1: unknown column "shoe_size"/, 'import: unknown column');

spew("$tmp/nosip.csv", "name\nQ\n");
fails(ctl('user', 'import', "$tmp/nosip.csv"), 1,
      qr/no "sip" column/, 'import: no sip column');

fails(ctl('user', 'import', "$tmp/missing.csv"), 1,
      qr/cannot open "\Q$tmp\E\/missing\.csv"/, 'import: no such file');
fails(ctl('user', 'import'), 2, qr/missing CSV file/, 'import: no file');

spew("$tmp/pw.csv", "sip,password\nquinn\@contoso.com,Qu1nn!\n"
                    . "rita\@contoso.com,\n");
fails(ctl('user', 'import', "$tmp/pw.csv"), 1,
      qr/pw\.csv:1: the "password" column .*--password-column/,
      'import: password column needs --password-column');
ok(!user('quinn@contoso.com'), 'import: nothing without --password-column');

$d = ctl_json('user', 'import', "$tmp/pw.csv", '--password-column');
is($d->{added}, 2, 'import --password-column');
ok(user('quinn@contoso.com')->{has_password}, 'import: password set');
ok(!user('rita@contoso.com')->{has_password}, 'import: empty password cell');

fails(ctl('user', 'import', "$tmp/good.csv", '--password-column', '--update'),
      1, qr/no "password" column/, 'import: --password-column, no column');

$r = ctl({ stdin => "sip,name\nsam\@contoso.com,Sam\n" }, 'user', 'import',
         '-');
is($r->{rc}, 0, 'import from stdin') or diag $r->{err};
is(user('sam@contoso.com')->{name}, 'Sam', 'import from stdin: the user');

# global options after the command, and errors leave stdout empty

$r = ctl('user', 'list', '--json');
ok(eval { $json->decode($r->{out}) }, '--json after the command');

$r = ctl('--json', 'user', 'show', 'nobody@contoso.com');
is($r->{out}, '', 'errors print nothing on stdout');

# photos

spew("$tmp/p.jpg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00" . ("x" x 100));
$d = ctl_json('user', 'photo', 'sam@contoso.com', "$tmp/p.jpg");
is($d->{photo}, -s "$tmp/p.jpg", 'user photo: stored, all bytes');
fails(ctl('user', 'photo', 'sam@contoso.com', "$tmp/pw.csv"), 1,
      qr/is not a JPEG, PNG or GIF image/, 'user photo: not an image');
fails(ctl('user', 'photo', 'nobody@contoso.com', "$tmp/p.jpg"), 1,
      qr/no such user/, 'user photo: unknown user');
fails(ctl('user', 'photo', 'sam@contoso.com'), 2,
      qr/give either FILE/, 'user photo: FILE or --remove');
is(ctl('user', 'photo', 'sam@contoso.com', '--remove')->{rc}, 0,
   'user photo --remove');
fails(ctl('user', 'photo', 'sam@contoso.com', '--remove'), 1,
      qr/has no photo/, 'user photo --remove: nothing to remove');

done_testing();
