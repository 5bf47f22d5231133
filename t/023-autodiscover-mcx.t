# ExposedWebURL of the MCX configuration in the store decides the Mcx
# links Autodiscover hands out, live, without a reload; until it is set,
# mobility_mcx_exposure of nginx.conf does.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;

no_shuffle();
log_level('info');

our $Store = reset_store();
ctl('domain', 'add', 'contoso.com');
ctl_stdin("Passw0rd!\n", 'user', 'add', 'alice@contoso.com',
          '--site', 'Redmond', '--password-stdin');
ctl_stdin("Passw0rd!\n", 'user', 'add', 'bob@contoso.com',
          '--site', 'Dublin', '--password-stdin');

our $User = '/Autodiscover/AutodiscoverService.svc/root/oauth/user';

# the Mcx links of a user's document, as "token href" lines
sub mcx_links {
    my $who = shift;
    my $token = Mobility::token("$who\@contoso.com", 'Passw0rd!');
    my ($status, undef, $body) = Mobility::http('GET', $User, headers => [
        "Authorization: Bearer $token",
        'Accept: application/vnd.microsoft.rtc.autodiscover+json; v=1']);
    die "user resource: $status" unless $status == 200;
    my $doc = Mobility::json_body($body);
    return join '', map { "$_->{token} $_->{href}\n" }
                    grep { $_->{token} =~ /mcx/i } @{ $doc->{User}{Links} };
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config', "mobility_store $Store size=16m;");
    $block->set_value('http_config', <<'_EOC_');
    mobility_web_external https://lyncweb.contoso.com;
    mobility_web_internal https://lyncwebint.contoso.net;
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

=== TEST 1: default ExposedWebURL External: both Mcx links on the external URL
--- init
Test::More::is(main::mcx_links('alice'), <<'_EOL_', 'external');
Internal/Mcx https://lyncweb.contoso.com/Mcx/McxService.svc
External/Mcx https://lyncweb.contoso.com/Mcx/McxService.svc
Mcx https://lyncweb.contoso.com/Mcx/McxService.svc
_EOL_



=== TEST 2: global ExposedWebURL Internal, set with the CLI, applies at once
--- init
Mobility::ctl('Set-CsMcxConfiguration', '-ExposedWebURL', 'Internal');
Test::More::is(main::mcx_links('alice'), <<'_EOL_', 'internal');
Internal/Mcx https://lyncwebint.contoso.net/Mcx/McxService.svc
External/Mcx https://lyncweb.contoso.com/Mcx/McxService.svc
Mcx https://lyncweb.contoso.com/Mcx/McxService.svc
_EOL_



=== TEST 3: a site's configuration wins over global for its users only
--- init
Mobility::ctl('New-CsMcxConfiguration', '-Identity', 'site:Dublin',
              '-ExposedWebURL', 'External');
Test::More::like(main::mcx_links('bob'),
                 qr{^Internal/Mcx https://lyncweb\.contoso\.com/}m,
                 'Dublin: external');
Test::More::like(main::mcx_links('alice'),
                 qr{^Internal/Mcx https://lyncwebint\.contoso\.net/}m,
                 'Redmond: global internal');
