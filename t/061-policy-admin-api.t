# The admin API (mobility_admin): authentication (Bearer token of an
# administrator, TLS client certificate), every route, the audit log with
# before and after, all-or-nothing updates and bad input.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes ();
use Mobility;

no_shuffle();
no_long_string();
log_level('info');

our $PW = 'Passw0rd!';
our $Store = reset_store();

ctl('domain', 'add', 'contoso.com');
ctl_stdin("$PW\n", 'user', 'add', 'admin@contoso.com', '--admin',
          '--password-stdin');
ctl_stdin("$PW\n", 'user', 'add', 'eve@contoso.com', '--admin',
          '--password-stdin');
ctl_stdin("$PW\n", 'user', 'add', 'bob@contoso.com', '--site', 'Redmond',
          '--password-stdin');
ctl('user', 'add', 'carol@contoso.com', '--site', 'Redmond');
ctl('user', 'add', 'dan@contoso.com', '--site', 'Paris');

# a CA, the admin listener's certificate and a client certificate

our $Certs = dirname($Store) . '/061-certs';
remove_tree($Certs);
make_path($Certs);

sub openssl {
    system("openssl @_ >/dev/null 2>&1") == 0 or die "openssl @_ failed\n";
}

openssl("req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=Test-CA",
        "-keyout $Certs/ca.key -out $Certs/ca.crt");

for my $c ([ 'server', '/CN=localhost' ],
           [ 'client', '/O=Contoso/CN=ops-admin' ])
{
    openssl("req -newkey rsa:2048 -nodes -subj $c->[1]",
            "-keyout $Certs/$c->[0].key -out $Certs/$c->[0].csr");
    openssl("x509 -req -days 2 -in $Certs/$c->[0].csr -CA $Certs/ca.crt",
            "-CAkey $Certs/ca.key -CAcreateserial -out $Certs/$c->[0].crt");
}

our $SslPort = $ENV{TEST_NGINX_ADMIN_SSL_PORT} // server_port() + 1;

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config', "mobility_store $Store size=16m;")
        unless defined $block->main_config;

    $block->set_value('http_config', <<_EOC_) unless defined $block->http_config;
    mobility_server_fqdn fe1.contoso.com;

    server {
        listen 127.0.0.1:$SslPort ssl;
        server_name admin.contoso.com;

        ssl_certificate $Certs/server.crt;
        ssl_certificate_key $Certs/server.key;
        ssl_client_certificate $Certs/ca.crt;
        ssl_verify_client optional;

        location /admin/ {
            mobility_admin;
            mobility_admin_client_cert on;
        }
    }
_EOC_

    $block->set_value('config', <<_EOC_) unless defined $block->config;
    location = /WebTicket/oauthtoken {
        mobility_token;
    }

    location /admin/ {
        mobility_admin;
        mobility_max_body 4k;
    }

    # nginx as the TLS client of the admin listener, with and without a
    # client certificate
    location /viacert/ {
        proxy_pass https://127.0.0.1:$SslPort/admin/;
        proxy_ssl_session_reuse off;
        proxy_ssl_certificate $Certs/client.crt;
        proxy_ssl_certificate_key $Certs/client.key;
    }

    location /nocert/ {
        proxy_pass https://127.0.0.1:$SslPort/admin/;
        proxy_ssl_session_reuse off;
    }
_EOC_
});


# ------------------------------------------------------------------
# helpers for "--- init", which runs once the server is up

our %Tok;
our $J = JSON::PP->new->utf8->canonical->allow_nonref;
our $T = JSON::PP::true;
our $F = JSON::PP::false;

sub wait_server {
    for (1 .. 300) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => server_port());
        if ($s) {
            close $s;
            return;
        }

        Time::HiRes::sleep(0.1);
    }
}

sub tok {
    my $user = shift;
    $Tok{$user} //= token($user, $PW);
    return $Tok{$user};
}

# sends the block's requests with a token of user
sub bearer {
    my ($block, $user) = @_;

    wait_server();

    my $h = 'Authorization: Bearer ' . tok($user);
    my $more = $block->more_headers;

    $block->set_value('more_headers', "$h\n" . ($more // ''));
}

# api(METHOD, PATH, [BODY], [user => U]): (status, decoded JSON, headers)
sub api {
    my ($method, $path, $body, %o) = @_;

    my $user = exists $o{user} ? $o{user} : 'admin@contoso.com';
    my @h;

    push @h, 'Authorization: Bearer ' . tok($user) if defined $user;

    if (defined $body) {
        push @h, 'Content-Type: application/json';
        $body = $J->encode($body) if ref $body;
    }

    my ($s, $h, $b) = http($method, $path, headers => \@h, body => $body);
    my $j = eval { $J->decode($b) };

    return ($s, $j, $h, $b);
}

sub get { my @r = api(GET => @_); return $r[1] }

# mobilityctl --json ARGS, decoded
sub cli_json {
    my $ctl = Mobility::mobilityctl();
    my $out = `'$ctl' --store '$Store' --json @_`;
    die "mobilityctl @_: exit " . ($? >> 8) . "\n" if $?;
    return $J->decode($out);
}

sub ids { [ map { $_->{Identity} } @{ $_[0] } ] }

sub audit { get('/admin/audit?limit=1000') }


# ------------------------------------------------------------------
# the scenarios, one per block

sub refused_changed_nothing {
    my $g = cli_json('Get-CsMobilityPolicy', 'global');
    ok($g->{EnableMobility}, 'refused requests: global unchanged');
    is(scalar(grep { $_->{Via} eq 'rest' }
              @{ cli_json('Get-CsAuditLog', '-Last', 1000) }), 0,
       'refused requests: nothing audited');
    is_deeply(ids(cli_json('Get-CsMobilityPolicy')), [ 'Global' ],
              'refused requests: no policy created');
}

sub policies {
    my ($s, $j, $h);

    ($s, $j) = api(GET => '/admin/mobility-policies');
    is($s, 200, 'GET mobility-policies');
    is_deeply(ids($j), [ 'Global' ], 'only global at first');
    ok($j->[0]{EnableMobility} && !$j->[0]{RequireWiFiForIPAudio}
       && $j->[0]{VoiceSettings} eq 'VoIPAlways', 'global: the defaults');
    is(scalar keys %{ $j->[0] }, 20, 'Identity and 19 parameters');

    ($s, $j) = api(POST => '/admin/mobility-policies',
                   { Identity => 'tag:Sales', EnableOutsideVoice => $F,
                     Description => 'Sales team' });
    is($s, 201, 'POST to the collection: created');
    is($j->{Action}, 'New-CsMobilityPolicy', 'the action');
    is($j->{Target}, 'tag:Sales', 'the target');
    is($j->{Before}, undef, 'nothing before');
    ok(!$j->{After}{EnableOutsideVoice}, 'after');
    like($j->{AuditId}, qr/^\d+-\d+$/, 'the audit entry');

    ($s, $j) = api(POST => '/admin/mobility-policies/site:Redmond',
                   { requirewififoripaudio => 'True' });
    is($s, 201, 'POST to the identity, parameter in any case, "True"');
    ok($j->{After}{RequireWiFiForIPAudio}, 'the string Boolean');

    ($s, $j) = api(POST => '/admin/mobility-policies/TAG:sales', {});
    is($s, 409, 'duplicate: 409');
    is($j->{error}, 'exists', 'duplicate: error');
    like($j->{message}, qr/"tag:Sales" already exists/, 'duplicate: message');

    ($s, $j) = api(POST => '/admin/mobility-policies/global', {});
    is($s, 400, 'New global: 400');
    like($j->{message}, qr/global mobility policy always exists/,
         'New global: message');

    ($s, $j) = api(POST => '/admin/mobility-policies', { Description => 'x' });
    is($s, 400, 'POST without Identity');
    is($j->{parameter}, 'Identity', 'names Identity');

    ($s, $j) = api(GET => '/admin/mobility-policies/tag:sales');
    is($s, 200, 'GET one, any case');
    is($j->{Identity}, 'tag:Sales', 'its stored spelling');
    is($j->{Description}, 'Sales team', 'its values');

    ($s, $j) = api(GET => '/admin/mobility-policies/tag%3ASales');
    is($s, 200, 'GET with an encoded colon');

    ($s, $j) = api(GET => '/admin/mobility-policies/tag:Nope');
    is($s, 404, 'GET a policy that does not exist');
    is($j->{error}, 'not_found', 'not_found');

    ($s, $j) = api(GET => '/admin/mobility-policies/site:a*b');
    is($s, 400, 'an invalid identity');

    ($s, $j) = api(GET => '/admin/mobility-policies?filter=tag%3A*');
    is_deeply(ids($j), [ 'tag:Sales' ], 'filter');

    # Set-

    ($s, $j) = api(PUT => '/admin/mobility-policies/tag:Sales',
                   { EnableMobility => $F, Identity => 'tag:sales' });
    is($s, 200, 'PUT');
    is($j->{Action}, 'Set-CsMobilityPolicy', 'PUT: Set-');
    ok($j->{Before}{EnableMobility} && !$j->{After}{EnableMobility},
       'PUT: before and after');
    ok(!get('/admin/mobility-policies/tag:Sales')->{EnableMobility},
       'PUT: stored');

    ($s, $j) = api(PATCH => '/admin/mobility-policies/tag:Sales',
                   { EnableMobility => 1 });
    is($s, 200, 'PATCH, 1 as a Boolean');

    ($s, $j) = api(PUT => '/admin/mobility-policies/tag:Sales',
                   { Identity => 'tag:Other' });
    is($s, 400, 'Identity of the body differs from the path');

    ($s, $j) = api(PUT => '/admin/mobility-policies/tag:Nope',
                   { EnableMobility => $F });
    is($s, 404, 'PUT to a policy that does not exist');

    ($s, $j) = api(PUT => '/admin/mobility-policies/tag:Sales',
                   { Bogus => 1 });
    is($s, 400, 'unknown parameter: 400');
    is($j->{error}, 'invalid_parameter', 'unknown parameter: error');
    like($j->{message}, qr/unknown parameter "Bogus" of CsMobilityPolicy/,
         'unknown parameter: message');
    is($j->{parameter}, undef, 'unknown parameter: no parameter to name');

    ($s, $j) = api(PUT => '/admin/mobility-policies/tag:Sales',
                   { EnableMobility => 'perhaps' });
    is($s, 400, 'bad Boolean');
    is($j->{parameter}, 'EnableMobility', 'bad Boolean: the parameter');
    like($j->{message}, qr/True, False, \$true, \$false, 1 or 0/,
         'bad Boolean: what is allowed');

    ($s, $j) = api(PUT => '/admin/mobility-policies/tag:Sales',
                   { Tenant => 'not-a-guid' });
    is($j->{parameter}, 'Tenant', 'bad GUID');

    # all or nothing

    my $before = get('/admin/mobility-policies/tag:Sales');
    my $n = scalar @{ audit() };

    ($s, $j) = api(PUT => '/admin/mobility-policies/tag:Sales',
                   { AllowSaveCallLogs => $F, Description => 'changed',
                     VoiceSettings => 'Smoke signals' });
    is($s, 400, 'two good values, one bad: 400');
    is($j->{parameter}, 'VoiceSettings', 'the bad one');
    like($j->{message}, qr/not one of VoIPAlways, VoIPOverWiFi, Cellular/,
         'the values allowed');
    is_deeply(get('/admin/mobility-policies/tag:Sales'), $before,
              'all or nothing: unchanged');
    is(scalar @{ audit() }, $n, 'all or nothing: not audited');

    # WhatIf

    ($s, $j) = api(PUT => '/admin/mobility-policies/tag:Sales?whatif=true',
                   { AllowSaveCallLogs => $F });
    is($s, 200, 'whatif');
    ok($j->{WhatIf}, 'whatif: WhatIf');
    ok(!$j->{After}{AllowSaveCallLogs}, 'whatif: what it would be');
    is($j->{AuditId}, undef, 'whatif: no audit entry');
    is_deeply(get('/admin/mobility-policies/tag:Sales'), $before,
              'whatif: unchanged');
    is(scalar @{ audit() }, $n, 'whatif: not audited');

    # Remove-

    ($s, $j) = api(DELETE => '/admin/mobility-policies/site:redmond');
    is($s, 200, 'DELETE a site policy');
    is($j->{After}, undef, 'DELETE: nothing after');
    is($j->{Before}{Identity}, 'site:Redmond', 'DELETE: before');
    ($s) = api(GET => '/admin/mobility-policies/site:Redmond');
    is($s, 404, 'DELETE: gone');
    ($s) = api(DELETE => '/admin/mobility-policies/site:Redmond');
    is($s, 404, 'DELETE again: 404');

    # global: removing resets

    ($s) = api(PUT => '/admin/mobility-policies/global',
               { EnableMobility => $F, AllowSaveCredentials => 'false' });
    is($s, 200, 'PUT global');
    ok(!get('/admin/mobility-policies/global')->{EnableMobility},
       'global changed');

    ($s, $j) = api(DELETE => '/admin/mobility-policies/global');
    is($s, 200, 'DELETE global');
    is($j->{Action}, 'Remove-CsMobilityPolicy', 'DELETE global: Remove-');
    ok(!$j->{Before}{EnableMobility}, 'DELETE global: before');
    ok($j->{After}{EnableMobility} && $j->{After}{AllowSaveCredentials},
       'DELETE global: after, the defaults');
    my $g = get('/admin/mobility-policies/global');
    ok($g->{EnableMobility} && $g->{AllowSaveCredentials},
       'global is back to its defaults');
    is_deeply(ids(get('/admin/mobility-policies')), [ 'Global', 'tag:Sales' ],
              'and still listed');

    ($s) = api(POST => '/admin/mobility-policies/global/grants',
               { Users => [ 'bob@contoso.com' ] });
    is($s, 400, 'global cannot be granted');
}

sub grants {
    my ($s, $j);

    ($s, $j) = api(POST => '/admin/mobility-policies/tag:Sales/grants',
                   { Users => [ 'bob@contoso.com', 'sip:Carol@Contoso.com' ] });
    is($s, 200, 'POST grants');
    is(scalar @{ $j->{Changes} }, 2, 'one change per user');
    is_deeply($j->{Changes}[1]{After},
              { Identity => 'sip:carol@contoso.com',
                MobilityPolicy => 'Sales' }, 'Grant: after');

    ($s, $j) = api(GET => '/admin/mobility-policies/tag:Sales/grants');
    is($s, 200, 'GET grants');
    is_deeply($j->{Users}, [ 'sip:bob@contoso.com', 'sip:carol@contoso.com' ],
              'the users granted');

    is(get('/admin/users/bob@contoso.com/mobility-policy')->{MobilityPolicy},
       'Sales', 'GET users/<sip>/mobility-policy');

    ($s, $j) = api(DELETE => '/admin/mobility-policies/tag:Sales/grants/'
                             . 'carol@contoso.com');
    is($s, 200, 'DELETE a grant');
    is($j->{Changes}[0]{After}{MobilityPolicy}, undef, 'ungranted');

    ($s) = api(DELETE => '/admin/mobility-policies/tag:Sales/grants/'
                         . 'dan@contoso.com');
    is($s, 404, 'DELETE a grant the user does not hold');

    # all or nothing across users

    my $n = scalar @{ audit() };

    ($s, $j) = api(POST => '/admin/mobility-policies/tag:Sales/grants',
                   { Users => [ 'carol@contoso.com', 'nobody@contoso.com' ] });
    is($s, 404, 'one unknown user: 404');
    like($j->{message}, qr/no such user "nobody\@contoso\.com"/,
         'names the user');
    is(get('/admin/users/carol@contoso.com/mobility-policy')
           ->{MobilityPolicy}, undef, 'all or nothing: carol not granted');
    is(scalar @{ audit() }, $n, 'all or nothing: not audited');

    ($s, $j) = api(POST => '/admin/mobility-policies/tag:Sales/grants',
                   { Users => 'bob@contoso.com' });
    is($s, 400, 'Users must be a list');

    # Grant-CsMobilityPolicy per user

    ($s, $j) = api(PUT => '/admin/users/dan@contoso.com/mobility-policy',
                   { PolicyName => 'Nope' });
    is($s, 404, 'granting a policy that does not exist');
    is($j->{parameter}, 'PolicyName', 'names PolicyName');
    like($j->{message}, qr/no mobility policy "tag:Nope"/, 'message');

    ($s, $j) = api(PUT => '/admin/users/dan@contoso.com/mobility-policy',
                   { PolicyName => 'global' });
    is($s, 400, 'granting global');

    ($s, $j) = api(PUT => '/admin/users/dan@contoso.com/mobility-policy',
                   { PolicyName => 'site:Paris' });
    is($s, 400, 'granting a site policy');

    ($s, $j) = api(PUT => '/admin/users/dan@contoso.com/mobility-policy',
                   { Policy => 'Sales' });
    is($s, 400, 'PolicyName is required');

    ($s, $j) = api(PUT => '/admin/users/nobody@contoso.com/mobility-policy',
                   { PolicyName => 'Sales' });
    is($s, 404, 'granting to nobody');

    ($s, $j) = api(PUT => '/admin/users/dan@contoso.com/mobility-policy',
                   { PolicyName => 'sales' });
    is($s, 200, 'PUT users/<sip>/mobility-policy');
    is($j->{Changes}[0]{After}{MobilityPolicy}, 'Sales', 'stored spelling');

    ($s, $j) = api(PUT => '/admin/users/dan@contoso.com/mobility-policy',
                   { PolicyName => undef });
    is($s, 200, 'PolicyName null');
    is($j->{Changes}[0]{After}{MobilityPolicy}, undef, 'null: ungranted');

    ($s, $j) = api(PUT => '/admin/users/dan@contoso.com/mobility-policy',
                   { PolicyName => 'Sales' });
    ($s, $j) = api(DELETE => '/admin/users/dan@contoso.com/mobility-policy');
    is($s, 200, 'DELETE users/<sip>/mobility-policy');
    is(get('/admin/users/dan@contoso.com/mobility-policy')->{MobilityPolicy},
       undef, 'ungranted');

    # Remove- of a granted policy

    ($s, $j) = api(DELETE => '/admin/mobility-policies/tag:Sales');
    is($s, 409, 'removing a granted policy: 409');
    is($j->{error}, 'conflict', 'conflict');
    like($j->{message}, qr/granted to 1 user\(s\), first sip:bob\@contoso/,
         'names the users');
    is(get('/admin/users/bob@contoso.com/mobility-policy')->{MobilityPolicy},
       'Sales', 'still granted');

    ($s, $j) = api(DELETE => '/admin/mobility-policies/tag:Sales?force=1');
    is($s, 200, 'force=1: removed');
    is(get('/admin/users/bob@contoso.com/mobility-policy')->{MobilityPolicy},
       undef, 'force: ungranted');
    my $a = audit();
    is("$a->[0]{Action} $a->[0]{Target}",
       'Remove-CsMobilityPolicy tag:Sales', 'audit: the removal');
    is("$a->[1]{Action} $a->[1]{Target}",
       'Grant-CsMobilityPolicy sip:bob@contoso.com', 'audit: the ungrant');
}

sub effective {
    my ($s, $j);

    api(POST => '/admin/mobility-policies/site:Redmond',
        { RequireWiFiForIPAudio => $T });
    api(POST => '/admin/mobility-policies/tag:Eng',
        { EnableIPAudioVideo => $F });

    ($s, $j) = api(GET => '/admin/users/bob@contoso.com/effective-policy');
    is($s, 200, 'GET effective-policy');
    is($j->{Identity}, 'sip:bob@contoso.com', 'the user');
    is($j->{Site}, 'Redmond', 'the site');
    is($j->{PolicySource}, 'site:Redmond', 'site policy');
    is($j->{UcwaPolicies}{audioOnlyOnWifi}, 'Enabled', 'UCWA: Wi-Fi audio');
    is($j->{UcwaPolicies}{telephonyMode}, 'AudioVideo', 'UCWA: AudioVideo');
    is(scalar keys %{ $j->{UcwaPolicies} }, 11, 'UCWA: 11 properties');
    is($j->{McxConfiguration}{Identity}, 'Global', 'MCX settings');
    is($j->{PushNotificationConfiguration}{Identity}, 'Global',
       'push settings');

    api(PUT => '/admin/users/bob@contoso.com/mobility-policy',
        { PolicyName => 'Eng' });
    $j = get('/admin/users/sip:BOB@contoso.com/effective-policy');
    is($j->{PolicySource}, 'tag:Eng', 'the grant comes first');
    is($j->{UcwaPolicies}{telephonyMode}, 'PhoneAudio',
       'UCWA: Call via Work only');
    is($j->{UcwaPolicies}{audioOnlyOnWifi}, 'Disabled', 'the tag, whole');

    is(get('/admin/users/dan@contoso.com/effective-policy')->{PolicySource},
       'Global', 'a site without a policy: global');

    ($s) = api(GET => '/admin/users/nobody@contoso.com/effective-policy');
    is($s, 404, 'nobody: 404');
    ($s) = api(POST => '/admin/users/bob@contoso.com/effective-policy', {});
    is($s, 405, 'effective-policy is read-only');
    ($s) = api(GET => '/admin/users/bob@contoso.com/shoe-size');
    is($s, 404, 'unknown user resource');
}

sub mcx {
    my ($s, $j);

    ($s, $j) = api(GET => '/admin/mcx-configuration');
    is($s, 200, 'GET mcx-configuration');
    is_deeply($j, [ { Identity => 'Global', ExposedWebURL => 'External',
                      PushNotificationProxyUri => 'sip:push@push.lync.com',
                      SessionExpirationInterval => 259200,
                      SessionShortExpirationInterval => 3600 } ],
              'the defaults');

    ($s, $j) = api(PUT => '/admin/mcx-configuration/global',
                   { SessionExpirationInterval => 100 });
    is($s, 400, 'below the range');
    is($j->{parameter}, 'SessionExpirationInterval', 'names the parameter');
    like($j->{message}, qr/100 is out of range \(120 to 4294967295\)/,
         'and the range');

    ($s, $j) = api(PUT => '/admin/mcx-configuration/global',
                   { SessionExpirationInterval => 4294967296 });
    is($s, 400, 'above the range');

    ($s, $j) = api(PUT => '/admin/mcx-configuration/global',
                   { SessionShortExpirationInterval => 259200 });
    is($s, 400, 'short = long');
    like($j->{message}, qr/SessionShortExpirationInterval \(259200\) must be less than SessionExpirationInterval \(259200\)/,
         'short = long: message');

    ($s, $j) = api(PUT => '/admin/mcx-configuration/global',
                   { SessionExpirationInterval => 3000 });
    is($s, 400, 'short >= long on the merged result');

    ($s, $j) = api(PUT => '/admin/mcx-configuration/global',
                   { SessionExpirationInterval => 3000,
                     SessionShortExpirationInterval => '600' });
    is($s, 200, 'both at once');
    is($j->{After}{SessionShortExpirationInterval}, 600, 'a numeric string');

    ($s, $j) = api(PUT => '/admin/mcx-configuration/global',
                   { ExposedWebURL => 'Sideways' });
    is($s, 400, 'ExposedWebURL');
    like($j->{message}, qr/not one of Internal, External/, 'its values');

    ($s, $j) = api(PUT => '/admin/mcx-configuration/global',
                   { SessionExpirationInterval => 1.5 });
    is($s, 400, 'not an integer');

    ($s) = api(PUT => '/admin/mcx-configuration/site:Paris',
               { ExposedWebURL => 'Internal' });
    is($s, 404, 'Set of a site that does not exist');
    ($s, $j) = api(POST => '/admin/mcx-configuration/site:Paris',
                   { ExposedWebURL => 'internal' });
    is($s, 201, 'New site');
    is($j->{After}{SessionExpirationInterval}, 259200,
       'a site starts from the defaults');
    is(get('/admin/users/dan@contoso.com/effective-policy')
           ->{McxConfiguration}{ExposedWebURL}, 'Internal',
       'effective: the site');
    ($s) = api(POST => '/admin/mcx-configuration/tag:x', {});
    is($s, 400, 'no tag scope');

    ($s, $j) = api(DELETE => '/admin/mcx-configuration/global');
    is($s, 200, 'DELETE global');
    is($j->{Before}{SessionExpirationInterval}, 3000, 'before');
    is($j->{After}{SessionExpirationInterval}, 259200, 'reset');
    ($s) = api(DELETE => '/admin/mcx-configuration/site:Paris');
    is($s, 200, 'DELETE site');
    is_deeply(ids(get('/admin/mcx-configuration')), [ 'Global' ],
              'only global left');
}

sub push_config {
    my ($s, $j);

    $j = get('/admin/push-configuration/global');
    ok(!$j->{EnableApplePushNotificationService}
       && !$j->{EnableMicrosoftPushNotificationService}
       && !$j->{EnableFcm} && !$j->{EnableWebPush}, 'push: all off');

    ($s, $j) = api(PUT => '/admin/push-configuration/global',
                   { EnableApplePushNotificationService => $T,
                     EnableFcm => 'True' });
    is($s, 200, 'PUT push-configuration');
    ok($j->{After}{EnableFcm}, 'EnableFcm');

    ($s, $j) = api(PUT => '/admin/push-configuration/global',
                   { EnableWebPush => 2 });
    is($s, 400, 'push: 2 is not a Boolean');

    ($s, $j) = api(POST => '/admin/push-configuration',
                   { Identity => 'site:Redmond', EnableWebPush => $T });
    is($s, 201, 'POST push-configuration');
    $j = get('/admin/users/bob@contoso.com/effective-policy');
    is($j->{PushNotificationConfiguration}{Identity}, 'site:Redmond',
       'effective push: the site');
    ok(!$j->{PushNotificationConfiguration}{EnableFcm},
       'the site object, whole');
}

sub audit_log {
    my ($s, $j);

    ($s, $j) = api(GET => '/admin/audit?limit=3');
    is($s, 200, 'GET audit');
    is(scalar @$j, 3, 'limit');
    is($j->[0]{Action}, 'New-CsPushNotificationConfiguration',
       'newest first');
    is($j->[0]{Who}, 'sip:admin@contoso.com', 'Who');
    is($j->[0]{Via}, 'rest', 'Via');
    is($j->[0]{Client}, '127.0.0.1', 'Client');
    like($j->[0]{Time}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'Time');
    is($j->[0]{Before}, undef, 'New: no before');
    ok($j->[0]{After}{EnableWebPush}, 'New: after');

    my $p = get("/admin/audit?limit=1&before=$j->[0]{Id}");
    is($p->[0]{Id}, $j->[1]{Id}, 'before= pages on');

    $p = get('/admin/audit?limit=1000&target=global');
    ok(@$p && !grep({ $_->{Target} ne 'Global' } @$p), 'target=');
    my ($set) = grep { $_->{Action} eq 'Set-CsMcxConfiguration' } @$p;
    is($set->{Before}{SessionExpirationInterval}, 259200, 'Set: before');
    is($set->{After}{SessionExpirationInterval}, 3000, 'Set: after');

    ($s) = api(GET => '/admin/audit?limit=0');
    is($s, 400, 'limit=0');
    ($s) = api(DELETE => '/admin/audit');
    is($s, 405, 'the audit log cannot be changed');

    # the CLI's changes are in the same log

    ctl('Set-CsPushNotificationConfiguration', '-EnableWebPush', 'True');
    $j = get('/admin/audit?limit=1');
    is($j->[0]{Via}, 'cli', 'a change by the CLI');
    like($j->[0]{Who}, qr/^unix:/, 'by a Unix user');

    ok(!grep({ $_->{Who} =~ /bob|eve/ } @{ audit() }),
       'refused requests are not in the log');
}

sub client_cert {
    my ($s, $h, $b) = http('PUT', '/viacert/push-configuration/global',
                           body => '{"EnableWebPush": false}');
    is($s, 200, 'client certificate: allowed');
    like($b, qr/"Action":"Set-CsPushNotificationConfiguration"/,
         'client certificate: the change');

    my $j = get('/admin/audit?limit=1');
    is($j->[0]{Who}, 'cert:CN=ops-admin,O=Contoso', 'Who: the certificate');

    ($s, $h, $b) = http('GET', '/nocert/mobility-policies');
    is($s, 401, 'no client certificate, no token: 401');
    like($h->{'www-authenticate'}[0], qr/^MsRtcOAuth /, 'the challenge');

    ($s) = http('GET', '/nocert/mobility-policies',
                headers => [ 'Authorization: Bearer ' . tok('admin@contoso.com') ]);
    is($s, 200, 'a token still works there');

    # without "mobility_admin_client_cert on" a certificate is not enough
    ($s) = http('GET', '/admin/mobility-policies');
    is($s, 401, 'plain listener: 401');
}

run_tests();

__DATA__

=== TEST 1: no credentials: 401 with the MsRtcOAuth challenge
--- request
GET /admin/mobility-policies
--- error_code: 401
--- response_headers_like
WWW-Authenticate: ^MsRtcOAuth href="https://[^"]+/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:anonmeeting,password"$
X-MS-WebTicketURL: ^https://[^/]+/WebTicket/WebTicketService\.svc$
--- no_error_log
[alert]



=== TEST 2: a change without credentials: 401
--- request
PUT /admin/mobility-policies/global
{"EnableMobility": false}
--- more_headers
Content-Type: application/json
--- error_code: 401
--- no_error_log
[alert]



=== TEST 3: a token that does not verify: 401
--- request
POST /admin/mobility-policies
{"Identity": "tag:Evil"}
--- more_headers
Authorization: Bearer cwt=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
--- error_code: 401
--- error_log
mobility auth: invalid, expired or revoked token



=== TEST 4: a user who is not an administrator: 403
--- init
main::bearer($block, 'bob@contoso.com');
--- request
GET /admin/mobility-policies
--- error_code: 403
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"forbidden","message":"not a mobility administrator"}
--- error_log
mobility admin: "bob@contoso.com" is not an administrator



=== TEST 5: a change by a user who is not an administrator: 403
--- init
main::bearer($block, 'bob@contoso.com');
--- request
POST /admin/mobility-policies
{"Identity": "tag:Evil", "EnableMobility": false}
--- error_code: 403
--- response_body_like: "forbidden"



=== TEST 6: refused requests changed nothing
--- init
main::bearer($block, 'admin@contoso.com');
main::refused_changed_nothing();
--- request
GET /admin/
--- error_code: 200
--- response_body chomp
{"Resources":["mobility-policies","mcx-configuration","push-configuration","users","audit"],"Who":"sip:admin@contoso.com"}



=== TEST 7: policies: list, New-, Get-, Set-, Remove-, bad input
--- init
main::bearer($block, 'admin@contoso.com');
main::policies();
--- request
GET /admin/mobility-policies/global
--- error_code: 200
--- response_body_like: ^\{"Identity":"Global","Description":"","EnableMobility":true,
--- error_log
mobility admin: New-CsMobilityPolicy tag:Sales by sip:admin@contoso.com
--- no_error_log
[alert]



=== TEST 8: grants, all or nothing across users, removing a granted policy
--- init
main::bearer($block, 'admin@contoso.com');
main::grants();
--- request
GET /admin/mobility-policies/tag:Sales/grants
--- error_code: 404
--- no_error_log
[alert]



=== TEST 9: the effective policy and its UCWA properties
--- init
main::bearer($block, 'admin@contoso.com');
main::effective();
--- request
GET /admin/users/carol@contoso.com/effective-policy
--- error_code: 200
--- response_body_like: "PolicySource":"site:Redmond"



=== TEST 10: the MCX settings: ranges, short < long, sites, reset
--- init
main::bearer($block, 'admin@contoso.com');
main::mcx();
--- request
GET /admin/mcx-configuration/global
--- error_code: 200
--- response_body_like: "SessionExpirationInterval":259200



=== TEST 11: the push notification settings
--- init
main::bearer($block, 'admin@contoso.com');
main::push_config();
--- request
GET /admin/push-configuration
--- error_code: 200
--- response_body_like: "Identity":"site:Redmond"



=== TEST 12: the audit log
--- init
main::bearer($block, 'admin@contoso.com');
main::audit_log();
--- request
GET /admin/audit?limit=1
--- error_code: 200
--- response_body_like: ^\[\{"Id":"\d+-\d+",



=== TEST 13: a body larger than mobility_max_body: 413, nothing changes
--- init
main::bearer($block, 'admin@contoso.com');
--- request eval
"PUT /admin/mobility-policies/global\n"
. '{"Description": "' . ('x' x 5000) . '"}'
--- error_code: 413
--- response_body_like: "payload_too_large"



=== TEST 14: a body that is not a JSON object: 400
--- init
main::bearer($block, 'admin@contoso.com');
--- request eval
["PUT /admin/mobility-policies/global\n{\"EnableMobility\": fals",
 "PUT /admin/mobility-policies/global\n[1, 2]"]
--- error_code eval
[400, 400]
--- response_body_like eval
['"bad_json"', '"bad_json"']



=== TEST 15: unknown resources and methods
--- init
main::bearer($block, 'admin@contoso.com');
--- request eval
["GET /admin/shoes",
 "GET /admin/mobility-policies/tag:x/grants/a/b",
 "DELETE /admin/mobility-policies",
 "POST /admin/\n{}",
 "PUT /admin/push-configuration\n{}"]
--- error_code eval
[404, 404, 405, 405, 405]



=== TEST 16: a TLS client certificate verified by nginx
--- init
main::wait_server();
main::client_cert();
--- request
GET /viacert/
--- error_code: 200
--- response_body_like: "Who":"cert:CN=ops-admin,O=Contoso"



=== TEST 17: an administrator whose flag is removed: 403 with the same token
--- init
main::bearer($block, 'eve@contoso.com');
Mobility::ctl('user', 'set', 'eve@contoso.com', '--no-admin');
--- request
GET /admin/mobility-policies
--- error_code: 403
--- error_log
mobility admin: "eve@contoso.com" is not an administrator
