# The store and tokens across nginx restarts and, under make test's second
# pass (TEST_NGINX_USE_HUP=1, master process), across "nginx -s reload":
# workers reopen the store, keys and users persist, and a revocation made
# with the CLI takes effect at once, without a reload.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;

master_on();
workers(2);
no_shuffle();
log_level('info');

our $Store = reset_store();
ctl('domain', 'add', 'contoso.com');
ctl_stdin("Passw0rd!\n", 'user', 'add', 'alice@contoso.com',
          '--name', 'Alice Smith', '--password-stdin');

our $Token;
our $User = '/Autodiscover/AutodiscoverService.svc/root/oauth/user';

sub user_status {
    my ($status) = http('GET', $User,
                        headers => ["Authorization: Bearer $Token"]);
    return $status;
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config', "mobility_store $Store size=16m;");
    $block->set_value('http_config', <<'_EOC_');
    mobility_web_external https://lyncweb.contoso.com;
    mobility_https on;
_EOC_
    $block->set_value('config', <<'_EOC_');
    location = /WebTicket/oauthtoken {
        mobility_token;
    }

    location ~* ^/autodiscover/ {
        mobility_autodiscover;
    }

    location = /t {
        return 200 "up\n";
    }
_EOC_
    $block->set_value('request', "GET /t\n");
    $block->set_value('response_body', "up\n");
});

run_tests();

__DATA__

=== TEST 1: a token is issued and accepted
--- init
$::Token = Mobility::token('alice@contoso.com', 'Passw0rd!');
Test::More::is(main::user_status(), 200, 'user resource with the new token');



=== TEST 2: after a reload (or restart) the same token is still valid
--- init
Test::More::is(main::user_status(), 200, 'the token survives the reload');
my ($status, $h) = Mobility::http('GET', $::User);
Test::More::is($status, 401, 'no token: challenge');
Test::More::like($h->{'www-authenticate'}[0], qr/^MsRtcOAuth href="/, 'MsRtcOAuth');



=== TEST 3: and signing in again works in the new workers
--- init
my $t = Mobility::token('alice@contoso.com', 'Passw0rd!');
Test::More::like($t, qr/^cwt=/, 'new token');



=== TEST 4: a password change revokes issued tokens at once
--- init
Mobility::ctl_stdin("N3wPassw0rd!\n", 'user', 'passwd', 'alice@contoso.com',
          '--password-stdin');
Test::More::is(main::user_status(), 401, 'old token refused after the password change');
$::Token = Mobility::token('alice@contoso.com', 'N3wPassw0rd!');
Test::More::is(main::user_status(), 200, 'a token with the new password works');



=== TEST 5: disabling the user revokes it too, across the reload
--- init
Mobility::ctl('user', 'disable', 'alice@contoso.com');
Test::More::is(main::user_status(), 401, 'disabled user: token refused');
