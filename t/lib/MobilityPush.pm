package MobilityPush;

# The push tests' fixture: a CA and the fake provider's certificate, the
# provider credentials (APNs .p8, FCM service account, VAPID key), the
# fake provider itself (t/lib/fake_push.py), and readers of what it
# received.  Independent checks go through t/lib/push_check.py.

use strict;
use warnings;

use Exporter 'import';
use File::Temp qw(tempdir);
use JSON::PP qw(encode_json decode_json);
use MIME::Base64 qw(decode_base64);
use Time::HiRes qw(sleep time);
use Mobility;
use MobilityUcwa;

our @EXPORT = qw(push_setup push_http_config);

our $Py = '/usr/bin/python3';
our $Check = 't/lib/push_check.py';
our ($Dir, $Port, $Log, $Fake);

sub sh {
    my $cmd = shift;
    my $out = `$cmd 2>&1`;
    die "$cmd: $out" if $?;
    return $out;
}

# credentials and the fake provider on TEST_NGINX_PORT + 7; switches the
# three providers on in the push notification configuration
sub push_setup {
    $Dir = tempdir(CLEANUP => 1);
    $Port = ($ENV{TEST_NGINX_PORT} // 1984) + 7;
    $Log = "$Dir/provider.log";

    sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=TestCA "
       . "-keyout $Dir/ca.key -out $Dir/ca.pem");
    sh("openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
       . "-keyout $Dir/srv.key -out $Dir/srv.csr");
    sh("printf 'subjectAltName=IP:127.0.0.1' > $Dir/ext.cnf");
    sh("openssl x509 -req -in $Dir/srv.csr -CA $Dir/ca.pem "
       . "-CAkey $Dir/ca.key -CAcreateserial -days 2 -extfile $Dir/ext.cnf "
       . "-out $Dir/srv.pem");
    sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
       . "-out $Dir/apns.p8");
    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
       . "-out $Dir/fcm.pem");

    open my $f, '<', "$Dir/fcm.pem" or die;
    my $pem = do { local $/; <$f> };
    open my $o, '>', "$Dir/fcm.json" or die;
    print $o encode_json({
        type => 'service_account', project_id => 'contoso-mobility',
        private_key_id => 'k1', private_key => $pem,
        client_email => 'push@contoso-mobility.iam.gserviceaccount.com',
        token_uri => "https://127.0.0.1:$Port/token" });
    close $o;

    ctl('vapid', 'generate', "$Dir/vapid.pem");
    ctl('Set-CsPushNotificationConfiguration',
        '-EnableApplePushNotificationService', 'True',
        '-EnableFcm', 'True', '-EnableWebPush', 'True');

    unlink $Log, "$Log.ready";
    $Fake = fork();
    if ($Fake == 0) {
        exec($Py, 't/lib/fake_push.py', '--port', $Port,
             '--cert', "$Dir/srv.pem", '--key', "$Dir/srv.key",
             '--log', $Log);
        exit 1;
    }
    for (1 .. 100) { last if -e "$Log.ready"; sleep 0.1 }
    die "the fake provider did not start\n" unless -e "$Log.ready";
}

END { kill 'TERM', $Fake if $Fake; }

# the http{} directives: UCWA with no grace, and the three providers
sub push_http_config {
    my (%o) = @_;
    my $providers = delete $o{providers} // 'apns fcm webpush';
    my $c = ucwa_http_config(mobility_ucwa_pget_timeout => '30s',
                             mobility_push_grace => '0s', %o);
    $c .= "mobility_push_apns key=$Dir/apns.p8 key_id=KEY1234567 "
          . "team_id=TEAM123456 production=https://127.0.0.1:$Port "
          . "sandbox=https://127.0.0.1:$Port;\n"
        if $providers =~ /apns/;
    $c .= "mobility_push_fcm service_account=$Dir/fcm.json "
          . "url=https://127.0.0.1:$Port;\n"
        if $providers =~ /fcm/;
    $c .= "mobility_push_webpush vapid_key=$Dir/vapid.pem "
          . "subject=mailto:ops\@contoso.com;\n"
        if $providers =~ /webpush/;
    $c .= "mobility_push_trusted_certificate $Dir/ca.pem;\n";
    return $c;
}

# the provider's log entries whose path matches, waiting for n of them
sub requests {
    my ($re, $n, $wait) = @_;
    my @r;
    my $until = time + ($wait // 10);
    while (1) {
        @r = ();
        if (open my $f, '<', $Log) {
            while (<$f>) {
                my $e = decode_json($_);
                push @r, $e if $e->{path} =~ $re;
            }
        }
        last if @r >= $n || time > $until;
        sleep 0.1;
    }
    return @r;
}

# the status location, polled until cond holds (or 5 s)
sub status {
    my ($cond) = @_;
    my $s;
    for (1 .. 50) {
        my (undef, undef, $b) = MobilityUcwa::call('GET', '/push-status');
        $s = decode_json($b);
        last if !$cond || $cond->($s);
        sleep 0.1;
    }
    return $s;
}

sub hdr { my ($r, $n) = @_; return $r->{headers}{$n} // '' }

sub body_json { return decode_json(decode_base64($_[0]->{body})) }

# an independent check (t/lib/push_check.py)
sub check { return sh("$Py $Check @_") }

sub available {
    my $s = shift;
    my ($st) = MobilityUcwa::ucwa($s, POST => '/me/makeMeAvailable',
        body => '{"SignInAs":"Online","SupportedModalities":["Messaging"]}');
    Test::More::is($st, 204, 'makeMeAvailable');
    my $p = MobilityUcwa::pget_start($s, $s->{events});
    my (undef, undef, $b) = MobilityUcwa::pget_finish($p, 8);
    my $j = MobilityUcwa::decode($b // '');
    $s->{events} = $j->{_links}{next}{href} if $j && $j->{_links}{next};
}

# bob registers the target, makes himself available and lets his P-GET
# go (his app is "in the background"); alice sends him a message
sub invite_bob {
    my ($reg, $text) = @_;
    my $A = MobilityUcwa::session('alice');
    my $B = MobilityUcwa::session('bob');
    my ($st, undef, $b) = MobilityUcwa::ucwa($B, PUT => '/pushRegistration',
                                            body => encode_json($reg));
    Test::More::ok($st == 201 || $st == 200, "registration stored ($st)")
        or Test::More::diag($b);
    available($B);
    my $data = $text // 'Hi Bob, the secret is 42';
    $data =~ s/ /+/g;
    ($st) = MobilityUcwa::ucwa($A,
        POST => '/communication/messagingInvitations',
        body => encode_json({ to => 'sip:bob@contoso.com',
            operationId => 'op-' . int(rand(1e9)), subject => 'Status',
            _links => { message => {
                href => "data:text/plain;charset=utf-8,$data" } } }));
    Test::More::is($st, 201, 'alice invites bob');
    return ($A, $B);
}

1;
