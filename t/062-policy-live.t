# Live propagation: a change by mobilityctl (a process outside nginx) or by
# the admin API reaches every running worker as an IPC message, without a
# reload.  The CLI computes the workers' socket names itself (a CRC-32 of
# the store path, as nginx's ngx_crc32_long()); a worker logging the
# message shows both agree.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use IO::Socket::INET;
use Time::HiRes ();
use Mobility;

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('info');

our $PW = 'Passw0rd!';
our $Store = reset_store();

ctl('domain', 'add', 'contoso.com');
ctl_stdin("$PW\n", 'user', 'add', 'admin@contoso.com', '--admin',
          '--password-stdin');
ctl('user', 'add', 'bob@contoso.com', '--site', 'Redmond');
ctl('user', 'add', 'carol@contoso.com', '--site', 'Redmond');
ctl('user', 'add', 'dan@contoso.com', '--site', 'Paris');
ctl('New-CsMobilityPolicy', '-Identity', 'tag:Sales');

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config', "mobility_store $Store size=16m;")
        unless defined $block->main_config;

    $block->set_value('config', <<'_EOC_') unless defined $block->config;
    location = /WebTicket/oauthtoken {
        mobility_token;
    }

    location /admin/ {
        mobility_admin;
    }

    location = /t {
        return 200 "up\n";
    }
_EOC_
});


# for "--- init": waits until both workers accept connections and are
# in the store's registry of workers
sub wait_workers {
    for (1 .. 300) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => server_port());
        my $n = `mdb_stat -s workers '$Store' 2>/dev/null`
                =~ /Entries: (\d+)/ ? $1 : 0;

        if ($s && $n >= 2) {
            close $s;
            Time::HiRes::sleep(0.2);
            return;
        }

        Time::HiRes::sleep(0.1);
    }

    warn "the workers did not register\n";
}

# a change through the admin API, from inside nginx
sub api_change {
    my ($method, $path, $body) = @_;
    my $t = token('admin@contoso.com', $PW);
    my ($s, undef, $b) = http($method, $path, body => $body,
                              headers => [ "Authorization: Bearer $t" ]);
    die "$method $path: $s $b\n" unless $s =~ /^20[01]$/;
}

run_tests();

__DATA__

=== TEST 1: the CLI changes the global policy: every worker hears of it
--- init
main::wait_workers();
Mobility::ctl('Set-CsMobilityPolicy', '-EnableOutsideVoice', 'False');
--- request
GET /t
--- wait: 0.3
--- response_body
up
--- grep_error_log eval: qr/mobility: policy change for \S+ \(policies, from \d+\)/
--- grep_error_log_out eval
qr/\A(mobility: policy change for \* \(policies, from \d+\)\n){2}\z/
--- no_error_log
[alert]



=== TEST 2: the CLI grants a policy: the workers learn whose it is
--- init
main::wait_workers();
Mobility::ctl('Grant-CsMobilityPolicy', '-Identity', 'bob@contoso.com',
              '-PolicyName', 'Sales');
--- request
GET /t
--- wait: 0.3
--- grep_error_log eval: qr/mobility: policy change for \S+ \(\w+/
--- grep_error_log_out
mobility: policy change for bob@contoso.com (policies
mobility: policy change for bob@contoso.com (policies



=== TEST 3: a site's MCX settings: the users of that site
--- init
main::wait_workers();
Mobility::ctl('New-CsMcxConfiguration', '-Identity', 'site:Redmond',
              '-ExposedWebURL', 'Internal');
--- request
GET /t
--- wait: 0.3
--- grep_error_log eval: qr/mobility: policy change for \S+ \(\w+/
--- grep_error_log_out
mobility: policy change for bob@contoso.com,carol@contoso.com (mcx
mobility: policy change for bob@contoso.com,carol@contoso.com (mcx



=== TEST 4: "user set --site" moves a user to another site's policy
--- init
main::wait_workers();
Mobility::ctl('user', 'set', 'dan@contoso.com', '--site', 'Redmond');
--- request
GET /t
--- wait: 0.3
--- grep_error_log eval: qr/mobility: policy change for \S+ \(\w+/
--- grep_error_log_out
mobility: policy change for dan@contoso.com (policies
mobility: policy change for dan@contoso.com (policies



=== TEST 5: a change through the admin API reaches both workers too
--- init
main::wait_workers();
main::api_change('POST', '/admin/push-configuration/site:Redmond',
                 '{"EnableWebPush": true}');
--- request
GET /t
--- wait: 0.3
--- grep_error_log eval: qr/mobility: policy change for \S+ \(\w+/
--- grep_error_log_out
mobility: policy change for bob@contoso.com,carol@contoso.com,dan@contoso.com (push
mobility: policy change for bob@contoso.com,carol@contoso.com,dan@contoso.com (push



=== TEST 6: a change nobody is concerned by sends nothing
--- init
main::wait_workers();
Mobility::ctl('New-CsMobilityPolicy', '-Identity', 'tag:Nobody');
--- request
GET /t
--- wait: 0.3
--- no_error_log
mobility: policy change for
[alert]
