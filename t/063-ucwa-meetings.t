# UCWA scheduled online meetings (spec §7.6, docs/ucwa.md "Online
# meetings"): the onlineMeetings links, myOnlineMeetings create / get /
# list / update / delete with ETags, the validation errors, the defaults
# and the settings resources, myAssignedOnlineMeeting, XML in and out,
# the meeting URL directive and the isolation between users.  Two
# workers: the store is the truth, any worker answers.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;
use MobilityUcwa;

master_on();
workers(2);
no_shuffle();
no_long_string();
log_level('info');

our $Store = ucwa_provision();

ucwa_blocks($Store);

sub j { MobilityUcwa::decode($_[0] // '') // {} }

# POST a meeting; (status, headers, json)
sub create {
    my ($s, $body, %o) = @_;
    my ($st, $h, $b) = MobilityUcwa::ucwa($s, POST => '/onlineMeetings/myOnlineMeetings',
                                          body => $body, %o);
    return ($st, $h, $o{accept} ? $b : main::j($b));
}

sub etag {
    my $h = shift;
    my $e = $h->{etag}[0] // '';
    $e =~ s/"//g;
    return $e;
}

run_tests();

__DATA__

=== TEST 1: create, get with ETag, list, update with If-Match, delete
--- init
my $A = MobilityUcwa::session('alice');
my ($st, $h, $b) = MobilityUcwa::ucwa($A, GET => '/onlineMeetings');
my $j = main::j($b);
Test::More::is($st, 200, 'onlineMeetings: 200');
Test::More::is(join(' ', sort keys %{ $j->{_links} }),
    'myAssignedOnlineMeeting myOnlineMeetings onlineMeetingDefaultValues onlineMeetingEligibleValues onlineMeetingInvitationCustomization onlineMeetingPolicies phoneDialInInformation self',
    'the links of onlineMeetings');
Test::More::like($A->{json}{_embedded}{onlineMeetings}{_links}{myOnlineMeetings}{href},
    qr{/onlineMeetings/myOnlineMeetings$}, 'the application embeds onlineMeetings');

my $exp = (time() + 86400) * 1000;
($st, $h, $j) = main::create($A,
    qq({"Subject":"Quarterly sales","description":"Numbers","accessLevel":"everyone","attendees":["sip:Bob\@Contoso.com","carol\@contoso.com"],"leaders":["sip:dave\@contoso.com"],"expirationTime":"\\/Date($exp)\\/","entryExitAnnouncement":"Enabled"}));
Test::More::is($st, 201, 'POST: 201');
my $id = $j->{onlineMeetingId};
Test::More::like($id, qr/^[0-9A-Z]{8}$/, 'onlineMeetingId: 8 of [0-9A-Z]');
Test::More::like($h->{location}[0], qr{^/ucwa/oauth/v1/applications/[^/]+/onlineMeetings/myOnlineMeetings/$id$}, 'Location');
Test::More::is($j->{_links}{self}{href}, $h->{location}[0], 'self is the Location');
Test::More::is($j->{rel}, 'myOnlineMeeting', 'rel');
Test::More::is($j->{subject}, 'Quarterly sales', 'subject (property names case-insensitive)');
Test::More::is($j->{description}, 'Numbers', 'description');
Test::More::is($j->{accessLevel}, 'Everyone', 'accessLevel, canonical');
Test::More::is_deeply($j->{attendees}, ['sip:bob@contoso.com', 'sip:carol@contoso.com'], 'attendees, canonical SIP URIs');
Test::More::is_deeply($j->{leaders}, ['sip:dave@contoso.com'], 'leaders');
Test::More::is($j->{expirationTime}, "/Date($exp)/", 'expirationTime');
Test::More::is($j->{entryExitAnnouncement}, 'Enabled', 'entryExitAnnouncement');
Test::More::is($j->{automaticLeaderAssignment}, 'SameEnterprise', 'automaticLeaderAssignment: the default');
Test::More::is($j->{lobbyBypassForPhoneUsers}, 'Disabled', 'lobbyBypassForPhoneUsers: the default');
Test::More::is($j->{phoneUserAdmission}, 'Disabled', 'phoneUserAdmission: the default');
Test::More::is($j->{onlineMeetingUri}, "sip:alice\@contoso.com;gruu;opaque=app:conf:focus:id:$id", 'onlineMeetingUri');
Test::More::is($j->{legacyOnlineMeetingUri}, "conf:sip:alice\@contoso.com;gruu;opaque=app:conf:focus:id:$id", 'legacyOnlineMeetingUri');
Test::More::is($j->{organizerUri}, 'sip:alice@contoso.com', 'organizerUri');
Test::More::is($j->{joinUrl}, "https://meet.contoso.com/alice/$id", 'joinUrl: meet.<domain> by default');
Test::More::is($j->{onlineMeetingRel}, 'myOnlineMeetings', 'onlineMeetingRel');
Test::More::like($j->{conferenceId}, qr/^[1-9][0-9]{6}$/, 'conferenceId: 7 digits, a string');
my $etag = main::etag($h);
Test::More::is($etag, '1', 'ETag of a new meeting');
Test::More::is($j->{etag}, '1', 'the etag property');
my $self = $j->{_links}{self}{href};

($st, $h, $b) = MobilityUcwa::ucwa($A, GET => $self);
Test::More::is($st, 200, 'GET: 200');
Test::More::is(main::etag($h), $etag, 'GET: the same ETag');
Test::More::is(main::j($b)->{conferenceId}, $j->{conferenceId}, 'GET: the same meeting');
($st) = MobilityUcwa::ucwa($A, GET => $self, headers => ["If-None-Match: \"$etag\""]);
Test::More::is($st, 304, 'If-None-Match: 304');

my ($st2, $h2, $j2) = main::create($A, '{"subject":"Second"}');
Test::More::is($st2, 201, 'a second meeting');
Test::More::isnt($j2->{onlineMeetingId}, $id, 'another id');
Test::More::is($j2->{accessLevel}, 'SameEnterprise', 'accessLevel: the default');
Test::More::ok(!exists $j2->{expirationTime}, 'no expiration unless given');
my ($st3, $h3, $j3) = main::create($A, qq({"subject":"Digits","expirationTime":"$exp"}));
Test::More::is("$st3 $j3->{expirationTime}", "201 /Date($exp)/", 'expirationTime as a string of ms');
Test::More::is((MobilityUcwa::ucwa($A, DELETE => $j3->{_links}{self}{href}))[0], 204, 'and gone again');
($st, $h, $b) = MobilityUcwa::ucwa($A, GET => '/onlineMeetings/myOnlineMeetings');
my $l = main::j($b);
Test::More::is($st, 200, 'list: 200');
Test::More::is(join(' ', sort map { $_->{onlineMeetingId} } @{ $l->{_embedded}{myOnlineMeeting} }),
    join(' ', sort($id, $j2->{onlineMeetingId})), 'list: both meetings');
Test::More::is(scalar @{ $l->{_embedded}{myAssignedOnlineMeeting} }, 0, 'list: no assigned meeting yet');

($st, $h, $b) = MobilityUcwa::ucwa($A, PUT => $self, body => '{"subject":"Renamed"}');
Test::More::is($st, 428, 'PUT without If-Match: 428');
Test::More::is(main::j($b)->{code}, 'PreConditionRequired', '428 code');
($st, $h, $b) = MobilityUcwa::ucwa($A, PUT => $self, body => '{"subject":"Renamed"}', headers => ['If-Match: "7"']);
Test::More::is($st, 412, 'PUT with a stale ETag: 412');
Test::More::is(main::j($b)->{code}, 'PreConditionFailed', '412 code');
($st, $h, $b) = MobilityUcwa::ucwa($A, PUT => $self, body => '{"subject":"Renamed","accessLevel":"Locked","attendees":[]}', headers => ["If-Match: \"$etag\""]);
Test::More::is($st, 200, 'PUT: 200');
$j = main::j($b);
Test::More::is("$j->{subject} $j->{accessLevel} " . scalar(@{ $j->{attendees} }) . " $j->{description}", 'Renamed Locked 0 Numbers', 'PUT changes what it names, keeps the rest');
Test::More::is(main::etag($h), '2', 'PUT: the next ETag');
Test::More::is($j->{onlineMeetingId}, $id, 'PUT keeps the id');
($st) = MobilityUcwa::ucwa($A, PUT => $self, body => '{"subject":"Again"}', headers => ["If-Match: \"$etag\""]);
Test::More::is($st, 412, 'the old ETag no longer matches');

($st) = MobilityUcwa::ucwa($A, DELETE => $self);
Test::More::is($st, 204, 'DELETE: 204');
($st, $h, $b) = MobilityUcwa::ucwa($A, GET => $self);
Test::More::is($st, 404, 'GET after DELETE: 404');
($st) = MobilityUcwa::ucwa($A, DELETE => $self);
Test::More::is($st, 404, 'DELETE again: 404');
($st, $h) = MobilityUcwa::ucwa($A, POST => $j2->{_links}{self}{href}, body => '{}');
Test::More::is("$st $h->{allow}[0]", '405 GET, PUT, DELETE', 'POST on a meeting: 405 with Allow');
MobilityUcwa::request($block, GET => "$A->{app}/onlineMeetings/myOnlineMeetings", token => $A->{token});
--- error_code: 200
--- response_body_like: "myOnlineMeeting":\[\{"rel":"myOnlineMeeting",.*"subject":"Second"
--- no_error_log
[error]
[alert]



=== TEST 2: validation: unknown enum values, invalid SIP URIs, a long subject, an expiration in the past, the per-user limit
--- http_config eval
MobilityUcwa::ucwa_http_config(mobility_ucwa_max_meetings => 2)
--- init
my $A = MobilityUcwa::session('carol');
my %bad = (
    '{"accessLevel":"Public"}' => 'accessLevel',
    '{"automaticLeaderAssignment":"Sometimes"}' => 'automaticLeaderAssignment',
    '{"lobbyBypassForPhoneUsers":"Maybe"}' => 'lobbyBypassForPhoneUsers',
    '{"phoneUserAdmission":true}' => 'phoneUserAdmission',
    '{"attendees":["sip:bob@contoso.com","not a uri"]}' => 'attendees',
    '{"leaders":["sip:@contoso.com"]}' => 'leaders',
    '{"leaders":{"a":1}}' => 'leaders',
    '{"subject":"' . ('x' x 257) . '"}' => 'subject',
    '{"subject":7}' => 'subject',
    '{"expirationTime":"\\/Date(1000)\\/"}' => 'expirationTime',
    '{"expirationTime":"2001-01-01T00:00:00Z"}' => 'expirationTime',
    '{"expirationTime":"tomorrow"}' => 'expirationTime',
);
for my $body (sort keys %bad) {
    my ($st, $h, $j) = main::create($A, $body);
    Test::More::is("$st $j->{code} $j->{subcode} @{ $j->{parameters} // [] }",
        "400 BadRequest ParameterValidationFailure $bad{$body}", "400 for $bad{$body}: " . substr($body, 0, 60));
    Test::More::ok($j->{message}, 'with a message');
}
my ($st, $h, $b) = MobilityUcwa::ucwa($A, GET => '/onlineMeetings/myOnlineMeetings');
Test::More::is(scalar @{ main::j($b)->{_embedded}{myOnlineMeeting} }, 0, 'nothing was written');
my $j;
($st, $h, $j) = main::create($A, '{"subject":"' . ('x' x 256) . '"}');
Test::More::is($st, 201, 'a subject of 256 bytes is fine');
($st, $h, $j) = main::create($A, '{"subject":"two"}');
Test::More::is($st, 201, 'the second meeting');
($st, $h, $j) = main::create($A, '{"subject":"three"}');
Test::More::is("$st $j->{code} $j->{subcode}", '409 Conflict TooManyOnlineMeetings', 'over mobility_ucwa_max_meetings: 409 TooManyOnlineMeetings');
($st, $h, $b) = MobilityUcwa::ucwa($A, PUT => "/onlineMeetings/myOnlineMeetings/ZZZZZZZZ", body => '{}', headers => ['If-Match: "1"']);
Test::More::is($st, 404, 'PUT of an unknown id: 404');
($st) = MobilityUcwa::ucwa($A, GET => "/onlineMeetings/myOnlineMeetings/abc");
Test::More::is($st, 404, 'a malformed id: 404');
MobilityUcwa::request($block, POST => "$A->{app}/onlineMeetings/myOnlineMeetings", token => $A->{token},
                      body => '{"accessLevel":"Public"}');
--- error_code: 400
--- response_body_like: "parameters":\["accessLevel"\]
--- no_error_log
[error]
[alert]



=== TEST 3: XML in and out, an ISO 8601 expiration, mobility_ucwa_meeting_url
--- config eval
MobilityUcwa::ucwa_config('mobility_ucwa_meeting_url https://join.example.net/;')
--- init
my $A = MobilityUcwa::session('dave');
my $xml = <<'_X_';
<?xml version="1.0" encoding="utf-8"?>
<input xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa">
 <property name="accessLevel">Invited</property>
 <propertyList name="attendees"><item>sip:johndoe@contoso.com</item><item>sip:janedoe@contoso.com</item></propertyList>
 <property name="automaticLeaderAssignment">Disabled</property>
 <property name="expirationTime">2099-07-14T20:54:07.8087468-05:00</property>
 <propertyList name="leaders"><item>sip:alice@contoso.com</item></propertyList>
 <property name="lobbyBypassForPhoneUsers">Enabled</property>
 <property name="phoneUserAdmission">Enabled</property>
 <property name="subject">Quarterly sales numbers</property>
</input>
_X_
my ($st, $h, $b) = MobilityUcwa::ucwa($A, POST => '/onlineMeetings/myOnlineMeetings',
    type => 'application/vnd.microsoft.com.ucwa+xml', body => $xml, accept => 'application/vnd.microsoft.com.ucwa+xml');
Test::More::is($st, 201, 'XML POST: 201');
Test::More::like($b, qr{<resource [^>]*rel="myOnlineMeeting" href="[^"]+/onlineMeetings/myOnlineMeetings/([0-9A-Z]{8})"}, 'an XML resource');
my ($id) = $b =~ m{myOnlineMeetings/([0-9A-Z]{8})"};
Test::More::like($b, qr{<property name="accessLevel">Invited</property>}, 'accessLevel in XML');
Test::More::like($b, qr{<propertyList name="attendees"><item>sip:johndoe\@contoso.com</item><item>sip:janedoe\@contoso.com</item></propertyList>}, 'attendees in XML');
Test::More::like($b, qr{<property name="automaticLeaderAssignment">Disabled</property>}, 'automaticLeaderAssignment');
Test::More::like($b, qr{<property name="lobbyBypassForPhoneUsers">Enabled</property>}, 'lobbyBypassForPhoneUsers');
Test::More::like($b, qr{<property name="joinUrl">https://join.example.net/dave/$id</property>}, 'joinUrl from mobility_ucwa_meeting_url');
# 2099-07-14T20:54:07.808-05:00 = 2099-07-15T01:54:07.808Z
Test::More::like($b, qr{<property name="expirationTime">/Date\(4087763647808\)/</property>}, 'the ISO 8601 time in ms');
($st, $h, $b) = MobilityUcwa::ucwa($A, GET => "/onlineMeetings/myOnlineMeetings/$id");
my $j = main::j($b);
Test::More::is("$j->{phoneUserAdmission} $j->{lobbyBypassForPhoneUsers} $j->{accessLevel}", 'Enabled Enabled Invited', 'the XML values, read back in JSON');
MobilityUcwa::request($block, GET => "$A->{app}/onlineMeetings/myOnlineMeetings", token => $A->{token},
                      headers => ['Accept: application/vnd.microsoft.com.ucwa+xml']);
--- error_code: 200
--- response_body_like: <resource [^>]*rel="myOnlineMeetings" href="[^"]+/onlineMeetings/myOnlineMeetings"[^>]*>.*<resource rel="myOnlineMeeting" href="[^"]+/onlineMeetings/myOnlineMeetings/[0-9A-Z]{8}">
--- no_error_log
[error]
[alert]



=== TEST 4: myAssignedOnlineMeeting is made once and kept; the settings resources
--- init
my $A = MobilityUcwa::session('erin');
my $A2 = MobilityUcwa::session('erin', endpoint => 'erin-second-device');
my ($st, $h, $b) = MobilityUcwa::ucwa($A, GET => '/onlineMeetings/myAssignedOnlineMeeting');
my $j = main::j($b);
Test::More::is($st, 200, 'myAssignedOnlineMeeting: 200');
Test::More::is($j->{rel}, 'myAssignedOnlineMeeting', 'rel');
Test::More::like($j->{onlineMeetingId}, qr/^[0-9A-Z]{8}$/, 'an id');
Test::More::is($j->{accessLevel}, 'SameEnterprise', 'the assigned meeting: SameEnterprise');
Test::More::ok(!exists $j->{expirationTime}, 'the assigned meeting does not expire');
my ($st2, $h2, $b2) = MobilityUcwa::ucwa($A2, GET => '/onlineMeetings/myAssignedOnlineMeeting');
Test::More::is(main::j($b2)->{onlineMeetingId}, $j->{onlineMeetingId}, 'the same meeting from another application');
($st, $h, $b) = MobilityUcwa::ucwa($A, GET => '/onlineMeetings/myOnlineMeetings');
my $l = main::j($b);
Test::More::is(join(' ', map { $_->{onlineMeetingId} } @{ $l->{_embedded}{myAssignedOnlineMeeting} }), $j->{onlineMeetingId}, 'listed as myAssignedOnlineMeeting');
Test::More::is(scalar @{ $l->{_embedded}{myOnlineMeeting} }, 0, 'not as a myOnlineMeeting');
($st, $h, $b) = MobilityUcwa::ucwa($A, PUT => $j->{_links}{self}{href}, body => '{"subject":"Standing"}', headers => ['If-Match: "1"']);
Test::More::is("$st " . main::j($b)->{subject} . ' ' . main::j($b)->{rel}, '200 Standing myAssignedOnlineMeeting', 'the assigned meeting can be updated');
($st) = MobilityUcwa::ucwa($A, DELETE => $j->{_links}{self}{href});
Test::More::is($st, 403, 'the assigned meeting cannot be deleted');

($st, $h, $b) = MobilityUcwa::ucwa($A, GET => '/onlineMeetings/defaultValues');
$j = main::j($b);
Test::More::is("$st $j->{rel} $j->{accessLevel} $j->{automaticLeaderAssignment} $j->{defaultOnlineMeetingRel} $j->{entryExitAnnouncement} $j->{lobbyBypassForPhoneUsers}",
    '200 onlineMeetingDefaultValues SameEnterprise SameEnterprise myOnlineMeetings Disabled Disabled', 'defaultValues');
($st, $h, $b) = MobilityUcwa::ucwa($A, GET => '/onlineMeetings/eligibleValues');
$j = main::j($b);
Test::More::is("$st @{ $j->{accessLevels} } | @{ $j->{automaticLeaderAssignments} } | @{ $j->{eligibleOnlineMeetingRels} } | @{ $j->{entryExitAnnouncements} } | @{ $j->{lobbyBypassForPhoneUsersSettings} }",
    '200 Everyone SameEnterprise Invited Locked | Disabled SameEnterprise Everyone | myOnlineMeetings | Disabled Enabled | Disabled Enabled', 'eligibleValues');
($st, $h, $b) = MobilityUcwa::ucwa($A, GET => '/onlineMeetings/policies');
$j = main::j($b);
Test::More::is("$st $j->{rel} $j->{voipAudio} $j->{meetingRecording}", '200 onlineMeetingPolicies Disabled Disabled', 'policies');
($st, $h, $b) = MobilityUcwa::ucwa($A, GET => '/onlineMeetings/phoneDialInInformation');
$j = main::j($b);
Test::More::is("$st $j->{rel}", '200 phoneDialInInformation', 'phoneDialInInformation');
Test::More::ok(JSON::PP::is_bool($j->{isAudioConferenceProviderEnabled}) && !$j->{isAudioConferenceProviderEnabled}, 'no audio conferencing provider');
Test::More::ok(!exists $j->{tollNumber} && !exists $j->{conferenceId}, 'no invented dial-in numbers');
($st, $h, $b) = MobilityUcwa::ucwa($A, GET => '/onlineMeetings/customInvitation');
Test::More::is("$st " . main::j($b)->{rel}, '200 onlineMeetingInvitationCustomization', 'customInvitation');
($st) = MobilityUcwa::ucwa($A, POST => '/onlineMeetings/defaultValues', body => '{}');
Test::More::is($st, 405, 'POST on defaultValues: 405');
($st) = MobilityUcwa::ucwa($A, GET => '/onlineMeetings/nothing');
Test::More::is($st, 404, 'an unknown resource: 404');
MobilityUcwa::request($block, GET => "$A->{app}/onlineMeetings/eligibleValues", token => $A->{token},
                      headers => ['Accept: application/vnd.microsoft.com.ucwa+xml']);
--- error_code: 200
--- response_body_like: <propertyList name="accessLevels"><item>Everyone</item><item>SameEnterprise</item><item>Invited</item><item>Locked</item></propertyList>
--- no_error_log
[error]
[alert]



=== TEST 5: only the organizer sees or changes a meeting
--- init
my $A = MobilityUcwa::session('frank');
my $B = MobilityUcwa::session('bob');
my ($st, $h, $j) = main::create($A, '{"subject":"Private"}');
Test::More::is($st, 201, 'frank creates');
my $id = $j->{onlineMeetingId};
my $b;
($st) = MobilityUcwa::ucwa($B, GET => "/onlineMeetings/myOnlineMeetings/$id");
Test::More::is($st, 404, "bob: frank's meeting is not found");
($st) = MobilityUcwa::ucwa($B, PUT => "/onlineMeetings/myOnlineMeetings/$id", body => '{"subject":"Mine"}', headers => ['If-Match: "1"']);
Test::More::is($st, 404, 'bob cannot update it');
($st) = MobilityUcwa::ucwa($B, DELETE => "/onlineMeetings/myOnlineMeetings/$id");
Test::More::is($st, 404, 'bob cannot delete it');
($st, $h, $b) = MobilityUcwa::ucwa($B, GET => '/onlineMeetings/myOnlineMeetings');
Test::More::unlike($b, qr/$id/, "bob's list does not show it");
($st) = MobilityUcwa::ucwa($B, GET => "$A->{app}/onlineMeetings/myOnlineMeetings/$id");
Test::More::is($st, 404, "bob through frank's application: 404");
($st, $h, $b) = MobilityUcwa::ucwa($A, GET => "/onlineMeetings/myOnlineMeetings/$id");
Test::More::is(main::j($b)->{subject}, 'Private', 'unchanged for frank');
MobilityUcwa::request($block, GET => "$B->{app}/onlineMeetings/myOnlineMeetings/$id", token => $B->{token});
--- error_code: 404
--- response_body_like: "code":"NotFound"
--- no_error_log
[error]
[alert]



=== TEST 6: mobilityctl meeting list and remove; user remove takes the meetings along
--- init
my $A = MobilityUcwa::session('frank');
my ($st, $h, $j) = main::create($A, '{"subject":"CLI one","accessLevel":"Locked"}');
my $id = $j->{onlineMeetingId};
($st, $h, my $b) = MobilityUcwa::ucwa($A, GET => '/onlineMeetings/myAssignedOnlineMeeting');
my $assigned = main::j($b)->{onlineMeetingId};
my $ctl = Mobility::mobilityctl();
my $dir = Mobility::store_dir();
my $out = qx{$ctl --store $dir --json meeting list frank\@contoso.com};
Test::More::is($?, 0, 'meeting list: exit 0');
my $l = MobilityUcwa::decode($out) // [];
my %by = map { $_->{onlineMeetingId} => $_ } @$l;
Test::More::ok($by{$id} && $by{$assigned}, 'both meetings listed');
Test::More::is("$by{$id}{accessLevel} $by{$id}{subject}", 'Locked CLI one', 'access level and subject');
Test::More::ok($by{$assigned}{assigned}, 'the assigned one is marked');
Test::More::unlike($out, qr/$j->{conferenceKey}/, 'the key is not shown');
$out = qx{$ctl --store $dir meeting list frank\@contoso.com};
Test::More::like($out, qr/^$id  Locked\s+$j->{conferenceId}\s+-\s+CLI one$/m, 'the text form');
$out = qx{$ctl --store $dir meeting remove frank\@contoso.com $id};
Test::More::is($?, 0, 'meeting remove: exit 0');
($st) = MobilityUcwa::ucwa($A, GET => "/onlineMeetings/myOnlineMeetings/$id");
Test::More::is($st, 404, 'gone for UCWA');
qx{$ctl --store $dir meeting remove frank\@contoso.com $id 2>/dev/null};
Test::More::is($? >> 8, 1, 'removing it again: exit 1');
qx{$ctl --store $dir meeting list 2>/dev/null};
Test::More::is($? >> 8, 2, 'no user: usage error');
Mobility::ctl('user', 'remove', 'frank@contoso.com');
$out = qx{$ctl --store $dir --json meeting list frank\@contoso.com};
Test::More::is($out =~ s/\s+//gr, '[]', 'user remove took the meetings along');
MobilityUcwa::request($block, GET => '/ucwa/oauth/v1/applications');
--- error_code: 401
