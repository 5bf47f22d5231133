#!/usr/bin/perl
#
# mobilityctl: mobility policies, grants, the MCX and push notification
# settings, the effective policy of a user and the audit log, as the
# Lync / Skype for Business cmdlets have them.
#
#   MOBILITYCTL=build/mobilityctl prove -v t/060-policy-cli.t

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

my $tmp = tempdir(CLEANUP => !$ENV{KEEP});
my $store = "$tmp/store";
my $json = JSON::PP->new->utf8->canonical;


sub slurp {
    my ($file) = @_;

    open my $fh, '<:raw', $file or return '';
    local $/;
    my $s = <$fh>;
    close $fh;

    return $s // '';
}


# runs mobilityctl --store STORE ARGS; returns { rc, out, err }
sub ctl {
    my @args = @_;

    my $pid = fork // die "fork: $!";

    if ($pid == 0) {
        open STDIN, '<', '/dev/null' or die;
        open STDOUT, '>', "$tmp/stdout" or die;
        open STDERR, '>', "$tmp/stderr" or die;
        exec $bin, '--store', $store, @args or exit 127;
    }

    waitpid $pid, 0;

    return {
        rc  => WIFEXITED($?) ? WEXITSTATUS($?) : 128 + ($? & 127),
        out => slurp("$tmp/stdout"),
        err => slurp("$tmp/stderr"),
    };
}


sub ok_ctl {
    my $r = ctl(@_);
    is($r->{rc}, 0, "@_: exit 0") or diag $r->{err};
    return $r;
}


sub jctl {
    my $r = ctl('--json', @_);
    is($r->{rc}, 0, "@_ --json: exit 0") or diag $r->{err};

    my $d = eval { $json->decode($r->{out}) };
    ok(defined $d, "@_ --json: valid JSON") or diag "$@: $r->{out}";

    return $d;
}


sub fails {
    my ($r, $rc, $re, $name) = @_;

    is($r->{rc}, $rc, "$name: exit $rc") or diag $r->{err};
    like($r->{err}, $re, "$name: message");
    like($r->{err}, qr/\Amobilityctl: /, "$name: message format");
    is($r->{out}, '', "$name: nothing on stdout");
}


# a message as a pattern, from pieces
sub lit { my $s = join '', @_; return qr/\Q$s\E/ }

sub policy { jctl('Get-CsMobilityPolicy', '-Identity', @_) }
sub audit_count { scalar @{ jctl('Get-CsAuditLog', '-Last', 1000) } }


my ($r, $d, $n);

my %POLICY_DEFAULTS = (
    Identity                                  => 'Global',
    Description                               => '',
    EnableMobility                            => JSON::PP::true,
    EnableOutsideVoice                        => JSON::PP::true,
    EnableIPAudioVideo                        => JSON::PP::true,
    RequireWiFiForIPAudio                     => JSON::PP::false,
    RequireWiFiForIPVideo                     => JSON::PP::false,
    RequireWiFiForSharing                     => JSON::PP::false,
    AllowCustomerExperienceImprovementProgram => JSON::PP::true,
    AllowSaveCallLogs                         => JSON::PP::true,
    AllowExchangeConnectivity                 => JSON::PP::true,
    AllowSaveIMHistory                        => JSON::PP::true,
    AllowSaveCredentials                      => JSON::PP::true,
    EnablePushNotifications                   => JSON::PP::true,
    EncryptAppData                            => JSON::PP::true,
    AllowDeviceContactsSync                   => JSON::PP::true,
    RequireIntune                             => JSON::PP::false,
    AllowAutomaticPstnFallback                => JSON::PP::true,
    VoiceSettings                             => 'VoIPAlways',
    Tenant                                    => '',
);

ok_ctl('store', 'init', '--password-iterations', '1000');
ok_ctl('domain', 'add', 'contoso.com');
ok_ctl('user', 'add', 'alice@contoso.com', '--site', 'Redmond',
       '--email', 'alice.smith@contoso.com');
ok_ctl('user', 'add', 'bob@contoso.com', '--site', 'Redmond');
ok_ctl('user', 'add', 'carol@contoso.com', '--site', 'Paris');
ok_ctl('user', 'add', 'dan@contoso.com');

# ------------------------------------------------------------------
# the global policy and its defaults

$d = jctl('Get-CsMobilityPolicy');
is(ref $d, 'ARRAY', 'Get-CsMobilityPolicy: a list');
is(scalar @$d, 1, 'only the global policy at first');
is_deeply($d->[0], \%POLICY_DEFAULTS, 'every parameter and its default');

$r = ok_ctl('Get-CsMobilityPolicy', '-Identity', 'global');
like($r->{out}, qr/^Identity\s+: Global$/m, 'text: Identity line');
like($r->{out}, qr/^EnableOutsideVoice\s+: True$/m, 'text: True');
like($r->{out}, qr/^RequireWiFiForIPAudio\s+: False$/m, 'text: False');

$r = ok_ctl('get-csmobilitypolicy', 'GLOBAL');
like($r->{out}, qr/^Identity\s+: Global$/m,
     'cmdlet name in any case, Identity positional');

$d = jctl('policy', 'get');
is($d->[0]{Identity}, 'Global', 'alias: policy get');

fails(ctl('New-CsMobilityPolicy', '-Identity', 'global'), 1,
      qr/the global mobility policy always exists/, 'New global');

# ------------------------------------------------------------------
# New-, Set-, parameters and values

$n = audit_count();

$d = jctl('New-CsMobilityPolicy', '-Identity', 'tag:Sales',
          '-enableoutsidevoice', 'False', '-Description', 'Sales team',
          '-RequireWIFIForIPVideo:$true', '-VoiceSettings', 'voipoverwifi');
is($d->{Action}, 'New-CsMobilityPolicy', 'New: action');
is($d->{Target}, 'tag:Sales', 'New: target');
is($d->{Before}, undef, 'New: nothing before');
ok(!$d->{WhatIf}, 'New: not a dry run');
like($d->{AuditId}, qr/^\d+-\d+$/, 'New: audit id');

$d = policy('tag:sales');
is($d->{Identity}, 'tag:Sales', 'Identity keeps its spelling, found in any case');
ok(!$d->{EnableOutsideVoice}, 'lower-case parameter name, False');
ok($d->{RequireWiFiForIPVideo}, '-Name:$true, the help\'s WIFI spelling');
is($d->{VoiceSettings}, 'VoIPOverWiFi', 'enumeration in any case');
is($d->{Description}, 'Sales team', 'Description');
ok($d->{EnableMobility}, 'unspecified parameters take their defaults');
is(audit_count(), $n + 1, 'New: audited');

fails(ctl('New-CsMobilityPolicy', '-Identity', 'TAG:sales'), 1,
      qr/mobility policy "tag:Sales" already exists/, 'New: duplicate');

for my $v ([ 'True', 1 ], [ 'false', 0 ], [ '$true', 1 ], [ '$FALSE', 0 ],
           [ '1', 1 ], [ '0', 0 ])
{
    ok_ctl('Set-CsMobilityPolicy', '-Identity', 'tag:Sales',
           '-AllowSaveCallLogs', $v->[0]);
    is(policy('tag:Sales')->{AllowSaveCallLogs} ? 1 : 0, $v->[1],
       "Boolean \"$v->[0]\"");
}

$r = ok_ctl('Set-CsMobilityPolicy', 'tag:Sales', '-EncryptAppData:0');
like($r->{out}, qr/^updated mobility policy tag:Sales$/m, 'Set: text');
like($r->{out}, qr/^  EncryptAppData: True -> False$/m, 'Set: the change');

# errors name the parameter and what it accepts

fails(ctl('Set-CsMobilityPolicy', '-EnableMobility', 'maybe'), 1,
      lit('EnableMobility: "maybe" is not a Boolean (True, False, $true, ',
          '$false, 1 or 0)'),
      'bad Boolean');
fails(ctl('Set-CsMobilityPolicy', '-VoiceSettings', 'Carrier pigeon'), 1,
      lit('VoiceSettings: "Carrier pigeon" is not one of VoIPAlways, ',
          'VoIPOverWiFi, Cellular'),
      'bad enumeration');
fails(ctl('Set-CsMobilityPolicy', '-Tenant', 'nope'), 1,
      qr/Tenant: "nope" is not a GUID/, 'bad GUID');
fails(ctl('Set-CsMobilityPolicy', '-Description', 'x' x 1025), 1,
      qr/Description is longer than 1024 bytes/, 'long description');
fails(ctl('Set-CsMobilityPolicy', '-Description', "a\x01b"), 1,
      qr/Description "a\?b" contains control characters/, 'control chars');
fails(ctl('Set-CsMobilityPolicy', '-Bogus', '1'), 2,
      qr/unknown parameter -Bogus of CsMobilityPolicy/, 'unknown parameter');
fails(ctl('Set-CsMobilityPolicy', '-InMemory'), 2,
      qr/-InMemory is not supported/, 'unsupported switch');
fails(ctl('Set-CsMobilityPolicy', '-EnableMobility'), 2,
      qr/-EnableMobility needs a value/, 'missing value');
fails(ctl('Set-CsMobilityPolicy', '-EnableMobility', '0',
          '-enablemobility', '1'), 2,
      qr/parameter -EnableMobility given twice/, 'parameter twice');
fails(ctl('Set-CsMobilityPolicy'), 2, qr/nothing to change/, 'no change');
fails(ctl('Set-CsMobilityPolicy', '-Identity', 'tag:Nope',
          '-EnableMobility', '0'), 1,
      qr/no mobility policy "tag:Nope" \(create it with New-/, 'Set: missing');
fails(ctl('Get-CsMobilityPolicy', '-Identity', 'site:a/b'), 1,
      qr/Identity: the name "a\/b" is not valid/, 'bad identity');
fails(ctl('Get-CsMobilityPolicy', '-Identity', 'service:WebServer:x'), 1,
      lit('Identity "service:WebServer:x": the service scope of ',
          'CsMobilityPolicy is not supported'),
      'policies have no service scope');
fails(ctl('Remove-CsMobilityPolicy'), 2, qr/-Identity is required/,
      'Remove without Identity');

# all or nothing: one bad value and nothing changes, nothing is audited

$d = policy('tag:Sales');
$n = audit_count();
fails(ctl('Set-CsMobilityPolicy', 'tag:Sales', '-EnableMobility', 'False',
          '-AllowSaveIMHistory', 'False', '-VoiceSettings', 'x'), 1,
      qr/VoiceSettings/, 'two good values and one bad');
is_deeply(policy('tag:Sales'), $d, 'all or nothing: unchanged');
is(audit_count(), $n, 'all or nothing: nothing audited');

# -WhatIf: checked and shown, nothing written

$r = ok_ctl('Set-CsMobilityPolicy', 'tag:Sales', '-EnableMobility', 'False',
            '-WhatIf');
like($r->{out}, lit('What if: Performing operation "Set-CsMobilityPolicy" ',
                   'on Target "tag:Sales".'), 'WhatIf: the operation');
like($r->{out}, qr/^  EnableMobility: True -> False$/m, 'WhatIf: the change');
is_deeply(policy('tag:Sales'), $d, 'WhatIf: nothing written');
is(audit_count(), $n, 'WhatIf: nothing audited');

fails(ctl('Set-CsMobilityPolicy', 'tag:Sales', '-EnableMobility', 'x',
          '-WhatIf'), 1, qr/EnableMobility: "x" is not a Boolean/,
      'WhatIf still checks');

$d = jctl('New-CsMobilityPolicy', 'tag:Temp', '-WhatIf');
ok($d->{WhatIf}, 'WhatIf --json');
is($d->{AuditId}, undef, 'WhatIf: no audit id');
fails(ctl('Get-CsMobilityPolicy', 'tag:Temp'), 1, qr/no mobility policy/,
      'WhatIf New: not created');

# a site policy, filters

ok_ctl('New-CsMobilityPolicy', '-Identity', 'site:Redmond',
       '-RequireWiFiForIPAudio', 'True');
ok_ctl('policy', 'new', 'tag:Eng', '-EnableIPAudioVideo', 'False',
       '-EnableOutsideVoice', 'False');

$d = jctl('Get-CsMobilityPolicy', '-Filter', 'tag:*');
is_deeply([ map { $_->{Identity} } @$d ], [ 'tag:Eng', 'tag:Sales' ],
          'Filter tag:*');
$d = jctl('Get-CsMobilityPolicy');
is_deeply([ map { $_->{Identity} } @$d ],
          [ 'Global', 'site:Redmond', 'tag:Eng', 'tag:Sales' ],
          'all policies, global first');

# ------------------------------------------------------------------
# grants and the effective policy

$d = jctl('Get-CsEffectiveMobilityPolicy', '-Identity', 'bob@contoso.com');
is($d->{PolicySource}, 'site:Redmond', 'bob: the policy of his site');
is($d->{Policy}{Identity}, 'site:Redmond', 'the whole site policy');
is($d->{UcwaPolicies}{audioOnlyOnWifi}, 'Enabled', 'UCWA: audioOnlyOnWifi');

$d = jctl('Get-CsEffectiveMobilityPolicy', 'carol@contoso.com');
is($d->{PolicySource}, 'Global', 'carol (site without policy): global');
$d = jctl('Get-CsEffectiveMobilityPolicy', 'dan@contoso.com');
is($d->{PolicySource}, 'Global', 'dan (no site): global');

$d = jctl('Grant-CsMobilityPolicy', '-Identity', 'bob@contoso.com',
          '-PolicyName', 'Eng');
is_deeply($d->{Before}, { Identity => 'sip:bob@contoso.com',
                          MobilityPolicy => undef }, 'Grant: before');
is_deeply($d->{After}, { Identity => 'sip:bob@contoso.com',
                         MobilityPolicy => 'Eng' }, 'Grant: after');

$d = jctl('Get-CsEffectiveMobilityPolicy', 'sip:BOB@contoso.com');
is($d->{PolicySource}, 'tag:Eng', 'granted tag before site');
is($d->{MobilityPolicy}, 'Eng', 'the grant');
is($d->{UcwaPolicies}{telephonyMode}, 'None',
   'telephonyMode: no VoIP, no Call via Work');

# by e-mail / UPN, the name in any case, with or without tag:
ok_ctl('Grant-CsMobilityPolicy', 'alice.smith@contoso.com', '-PolicyName',
       'tag:sales');
$d = jctl('Get-CsEffectiveMobilityPolicy', 'alice@contoso.com');
is($d->{MobilityPolicy}, 'Sales', 'grant by UPN, stored spelling');
is($d->{UcwaPolicies}{telephonyMode}, 'AudioVideo', 'telephonyMode: VoIP');

fails(ctl('Grant-CsMobilityPolicy', 'carol@contoso.com', '-PolicyName',
          'Nope'), 1,
      qr/no mobility policy "tag:Nope" \(create it with New-/,
      'granting a policy that does not exist');
fails(ctl('Grant-CsMobilityPolicy', 'carol@contoso.com', '-PolicyName',
          'global'), 1, qr/the global mobility policy cannot be granted/,
      'granting global');
fails(ctl('Grant-CsMobilityPolicy', 'carol@contoso.com', '-PolicyName',
          'site:Redmond'), 1, qr/site policies cannot be granted/,
      'granting a site policy');
fails(ctl('Grant-CsMobilityPolicy', 'nobody@contoso.com', '-PolicyName',
          'Eng'), 1, qr/no such user "nobody\@contoso\.com"/,
      'granting to nobody');
fails(ctl('Grant-CsMobilityPolicy', 'carol@contoso.com'), 2,
      qr/-PolicyName is required/, 'Grant without PolicyName');

$r = ok_ctl('Grant-CsMobilityPolicy', 'carol@contoso.com', '-PolicyName',
            'Eng', '-WhatIf');
like($r->{out}, qr/MobilityPolicy: \$null -> Eng/, 'Grant -WhatIf');
is(jctl('user', 'show', 'carol@contoso.com')->{policy}, '',
   'Grant -WhatIf: not granted');

ok_ctl('Grant-CsMobilityPolicy', 'carol@contoso.com', '-PolicyName', 'Eng');
$d = jctl('Grant-CsMobilityPolicy', 'carol@contoso.com', '-PolicyName',
          '$null');
is($d->{After}{MobilityPolicy}, undef, 'PolicyName $null: ungranted');
is(jctl('user', 'show', 'carol@contoso.com')->{policy}, '',
   'the user record has no grant');
ok_ctl('Grant-CsMobilityPolicy', 'carol@contoso.com', '-PolicyName', 'Eng');
ok_ctl('Grant-CsMobilityPolicy', 'carol@contoso.com', '-PolicyName', '');
is(jctl('user', 'show', 'carol@contoso.com')->{policy}, '',
   'PolicyName "": ungranted');

# "user set --policy" is a grant too, checked the same way
fails(ctl('user', 'set', 'carol@contoso.com', '--policy', 'Nope'), 1,
      qr/no mobility policy "tag:Nope"/, 'user set --policy: must exist');
ok_ctl('user', 'set', 'carol@contoso.com', '--policy', 'eng');
is(jctl('user', 'show', 'carol@contoso.com')->{policy}, 'Eng',
   'user set --policy: the stored spelling');

# ------------------------------------------------------------------
# Remove-

fails(ctl('Remove-CsMobilityPolicy', 'tag:Eng'), 1,
      qr/mobility policy "tag:Eng" is granted to 2 user\(s\), first (?x)
         sip:bob\@contoso\.com; .* -Force/,
      'removing a granted policy is refused');
ok(eval { policy('tag:Eng')->{Identity} }, 'still there');

$r = ok_ctl('Remove-CsMobilityPolicy', 'tag:Eng', '-Force', '-WhatIf');
like($r->{out}, qr/\(removed\)/, 'Remove -WhatIf');
is(jctl('user', 'show', 'bob@contoso.com')->{policy}, 'Eng',
   'Remove -WhatIf: still granted');

$r = ok_ctl('Remove-CsMobilityPolicy', 'tag:Eng', '-Force');
like($r->{out}, qr/^removed mobility policy tag:Eng$/m, 'Remove -Force');
is(jctl('user', 'show', 'bob@contoso.com')->{policy}, '',
   '-Force ungranted bob');
is(jctl('user', 'show', 'carol@contoso.com')->{policy}, '',
   '-Force ungranted carol');
is(jctl('Get-CsEffectiveMobilityPolicy', 'bob@contoso.com')->{PolicySource},
   'site:Redmond', 'bob falls back to his site');

$d = jctl('Get-CsAuditLog', '-Last', 3);
is_deeply([ map { "$_->{Action} $_->{Target}" } @$d ],
          [ 'Remove-CsMobilityPolicy tag:Eng',
            'Grant-CsMobilityPolicy sip:carol@contoso.com',
            'Grant-CsMobilityPolicy sip:bob@contoso.com' ],
          'Remove -Force: the ungrants are audited');

# global: reset to its defaults
ok_ctl('Set-CsMobilityPolicy', '-EnableMobility', '$false',
       '-Description', 'locked');
ok(!policy('global')->{EnableMobility}, 'global changed');
$d = jctl('Remove-CsMobilityPolicy', '-Identity', 'Global');
ok(!$d->{Before}{EnableMobility}, 'Remove global: before');
is_deeply($d->{After}, \%POLICY_DEFAULTS, 'Remove global: after, defaults');
is_deeply(policy('global'), \%POLICY_DEFAULTS, 'global reset to defaults');

ok_ctl('Remove-CsMobilityPolicy', 'site:redmond');
fails(ctl('Remove-CsMobilityPolicy', 'site:Redmond'), 1,
      qr/no mobility policy "site:Redmond"/, 'Remove: not found');

# ------------------------------------------------------------------
# CsMcxConfiguration

$d = jctl('Get-CsMcxConfiguration');
is_deeply($d, [ { Identity => 'Global', ExposedWebURL => 'External',
                  PushNotificationProxyUri => 'sip:push@push.lync.com',
                  SessionExpirationInterval => 259200,
                  SessionShortExpirationInterval => 3600 } ],
          'CsMcxConfiguration defaults');

fails(ctl('Set-CsMcxConfiguration', '-SessionExpirationInterval', '119'), 1,
      qr/SessionExpirationInterval: 119 is out of range \(120 to (?x)
         4294967295\)/, 'below the range');
fails(ctl('Set-CsMcxConfiguration', '-SessionExpirationInterval',
          '4294967296'), 1, qr/4294967296 is out of range/,
      'above the range');
fails(ctl('Set-CsMcxConfiguration', '-SessionShortExpirationInterval',
          '-5'), 1, qr/-5 is out of range/, 'negative');
fails(ctl('Set-CsMcxConfiguration', '-SessionShortExpirationInterval',
          'soon'), 1, qr/"soon" is not an integer \(120 to 4294967295\)/,
      'not a number');
fails(ctl('Set-CsMcxConfiguration', '-SessionShortExpirationInterval',
          '259200'), 1,
      lit('SessionShortExpirationInterval (259200) must be less than ',
          'SessionExpirationInterval (259200)'),
      'short = long');
fails(ctl('Set-CsMcxConfiguration', '-SessionExpirationInterval', '3000'),
      1, lit('SessionShortExpirationInterval (3600) must be less than ',
             'SessionExpirationInterval (3000)'),
      'short >= long on the merged result');
fails(ctl('Set-CsMcxConfiguration', '-ExposedWebURL', 'Sideways'), 1,
      qr/ExposedWebURL: "Sideways" is not one of Internal, External/,
      'ExposedWebURL');
fails(ctl('Set-CsMcxConfiguration', '-PushNotificationProxyUri',
          'push@push.lync.com'), 1,
      qr/PushNotificationProxyUri: "push\@push\.lync\.com" is not a SIP URI/,
      'PushNotificationProxyUri');
fails(ctl('Get-CsMcxConfiguration', 'tag:x'), 1,
      qr/is not global or site:<name>/, 'MCX has no tag scope');
fails(ctl('Get-CsMcxConfiguration', 'service:WebServer:fe1.contoso.com'), 1,
      qr/the service scope of CsMcxConfiguration is not supported/,
      'MCX service scope');

ok_ctl('Set-CsMcxConfiguration', '-SessionExpirationInterval', '3000',
       '-SessionShortExpirationInterval', '300', '-exposedweburl',
       'internal', '-PushNotificationProxyUri', 'SIP:Push@Example.COM');
$d = jctl('Get-CsMcxConfiguration', 'global');
is($d->{SessionExpirationInterval}, 3000, 'both intervals at once');
is($d->{SessionShortExpirationInterval}, 300, 'short interval');
is($d->{ExposedWebURL}, 'Internal', 'ExposedWebURL');
is($d->{PushNotificationProxyUri}, 'sip:push@example.com', 'SIP URI');
ok_ctl('Set-CsMcxConfiguration', '-PushNotificationProxyUri', '$null');
is(jctl('Get-CsMcxConfiguration', 'global')->{PushNotificationProxyUri}, '',
   '$null empties a string');

fails(ctl('Set-CsMcxConfiguration', 'site:Paris', '-ExposedWebURL',
          'External'), 1,
      lit('no MCX configuration "site:Paris" (create it with ',
          'New-CsMcxConfiguration)'),
      'Set of a site that does not exist');
ok_ctl('New-CsMcxConfiguration', 'site:Paris', '-ExposedWebURL', 'External');
$d = jctl('Get-CsEffectiveMobilityPolicy', 'carol@contoso.com');
is($d->{McxConfiguration}{Identity}, 'site:Paris', 'effective MCX: site');
is($d->{McxConfiguration}{SessionExpirationInterval}, 259200,
   'a new site object starts from the defaults');
$d = jctl('Get-CsEffectiveMobilityPolicy', 'bob@contoso.com');
is($d->{McxConfiguration}{Identity}, 'Global', 'effective MCX: global');
is($d->{McxConfiguration}{ExposedWebURL}, 'Internal', 'global values');

$d = jctl('mcx', 'remove', 'global');
is($d->{After}{SessionExpirationInterval}, 259200, 'mcx remove global: reset');
ok_ctl('Remove-CsMcxConfiguration', 'site:Paris');

# ------------------------------------------------------------------
# CsPushNotificationConfiguration

$d = jctl('Get-CsPushNotificationConfiguration', 'global');
is_deeply($d, { Identity => 'Global',
                EnableApplePushNotificationService => JSON::PP::false,
                EnableMicrosoftPushNotificationService => JSON::PP::false,
                EnableFcm => JSON::PP::false,
                EnableWebPush => JSON::PP::false },
          'push defaults: all off');
ok_ctl('Set-CsPushNotificationConfiguration',
       '-EnableApplePushNotificationService', '$True', '-EnableFcm', '1');
ok_ctl('New-CsPushNotificationConfiguration', '-Identity', 'site:Redmond',
       '-EnableWebPush', 'True');
$d = jctl('Get-CsEffectiveMobilityPolicy', 'alice@contoso.com');
is_deeply($d->{PushNotificationConfiguration},
          { Identity => 'site:Redmond',
            EnableApplePushNotificationService => JSON::PP::false,
            EnableMicrosoftPushNotificationService => JSON::PP::false,
            EnableFcm => JSON::PP::false,
            EnableWebPush => JSON::PP::true },
          'effective push settings: the site object, whole');
$d = jctl('push', 'get', '-Filter', 'site:*');
is(scalar @$d, 1, 'push get -Filter');
fails(ctl('Set-CsPushNotificationConfiguration', '-EnableFcm', 'yes'), 1,
      qr/EnableFcm: "yes" is not a Boolean/, 'push: bad Boolean');

# ------------------------------------------------------------------
# users: --admin, and the audit log of policy-relevant user changes

ok_ctl('user', 'set', 'dan@contoso.com', '--admin');
ok(jctl('user', 'show', 'dan@contoso.com')->{admin}, '--admin');
ok(!jctl('user', 'show', 'bob@contoso.com')->{admin}, 'not an admin');
fails(ctl('user', 'set', 'dan@contoso.com', '--admin', '--no-admin'), 2,
      qr/contradict/, '--admin --no-admin');
ok_ctl('user', 'set', 'dan@contoso.com', '--no-admin');
ok(!jctl('user', 'show', 'dan@contoso.com')->{admin}, '--no-admin');

$d = jctl('Get-CsAuditLog', '-Last', 2, '-Target', 'sip:dan@contoso.com');
is(scalar @$d, 2, 'audit -Target');
is($d->[0]{Action}, 'user set', 'user changes are audited');
ok($d->[0]{Before}{Admin} && !$d->[0]{After}{Admin}, 'before and after');

# ------------------------------------------------------------------
# the audit log

$d = jctl('Get-CsAuditLog');
cmp_ok(scalar @$d, '<=', 20, 'Get-CsAuditLog: the last 20 by default');
my $e = $d->[0];
like($e->{Who}, qr/^unix:\S+/, 'Who: the Unix user');
is($e->{Via}, 'cli', 'Via: cli');
like($e->{Time}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'Time');
my @ids = map { $_->{Id} } @$d;
my @sorted = sort { my @x = split /-/, $a; my @y = split /-/, $b;
                    $y[0] <=> $x[0] || $y[1] <=> $x[1] } @ids;
is_deeply(\@ids, \@sorted, 'newest first');

my $page = jctl('audit', 'list', '-Last', 3, '-Before', $d->[2]{Id});
is($page->[0]{Id}, $d->[3]{Id}, '-Before pages on');

$d = jctl('Get-CsAuditLog', '-Target', 'tag:Sales', '-Last', 1000);
is($d->[-1]{Action}, 'New-CsMobilityPolicy', 'the oldest: New');
is($d->[-1]{Before}, undef, 'New: no before');
is($d->[-1]{After}{Description}, 'Sales team', 'New: after');

$r = ok_ctl('Get-CsAuditLog', '-Last', 1);
like($r->{out}, qr/^\d{4}-\S+  \d+-\d+  unix:\S+.* \(cli\)  \S.*  \S+$/m,
     'Get-CsAuditLog: text');
fails(ctl('Get-CsAuditLog', '-Last', 0), 2, qr/-Last must be a number/,
      '-Last 0');
fails(ctl('Get-CsAuditLog', '-Identity', 'x'), 2,
      qr/unknown parameter -Identity/, 'Get-CsAuditLog -Identity');

# ------------------------------------------------------------------
# no nginx running: changes are stored, nobody to tell, no warning

$r = ok_ctl('Set-CsMobilityPolicy', '-AllowSaveCredentials', 'False');
is($r->{err}, '', 'no workers: no warning');

done_testing();
