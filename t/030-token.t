# The token service: POST /WebTicket/oauthtoken with the password grant,
# its leniencies, its errors, and sign-in throttling.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use Mobility;

no_shuffle();
no_long_string();
log_level('info');

our $Store = reset_store();
ctl('domain', 'add', 'contoso.com');
ctl_stdin("Passw0rd!\n", 'user', 'add', 'alice@contoso.com',
          '--name', 'Alice Smith', '--email', 'alice.smith@contoso.com',
          '--password-stdin');
ctl_stdin("p&ss+w=rd\n", 'user', 'add', 'carol@contoso.com',
          '--name', 'Carol', '--password-stdin');
ctl_stdin("Passw0rd!\n", 'user', 'add', 'dave@contoso.com',
          '--name', 'Dave', '--disabled', '--password-stdin');

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('main_config', "mobility_store $Store size=16m;")
        unless defined $block->main_config;

    $block->set_value('http_config', <<'_EOC_') unless defined $block->http_config;
    mobility_server_fqdn fe1.contoso.com;
    mobility_signin_lockout user=3 address=1000 window=1m;
_EOC_

    $block->set_value('config', <<'_EOC_') unless defined $block->config;
    location = /WebTicket/oauthtoken {
        mobility_token;
        mobility_max_body 1k;
    }
_EOC_
});

run_tests();

__DATA__

=== TEST 1: the password grant answers a Bearer cwt token
--- request
POST /WebTicket/oauthtoken
grant_type=password&username=alice@contoso.com&password=Passw0rd%21
--- more_headers
Content-Type: application/x-www-form-urlencoded;charset=UTF-8
Accept: application/json
--- response_headers
Content-Type: application/json
Cache-Control: no-store
Pragma: no-cache
--- response_body eval
qr/^\{"access_token":"cwt=[A-Za-z0-9_-]{100,}","expires_in":28800,"ms_rtc_identityscope":"local","token_type":"Bearer"\}$/
--- error_log
mobility sign-in succeeded for "alice@contoso.com"
--- no_error_log
Passw0rd
[alert]



=== TEST 2: the response parses and names the token type Bearer
--- request
POST /WebTicket/oauthtoken
grant_type=password&username=alice@contoso.com&password=Passw0rd!
--- response_body_like eval
qr/"token_type":"Bearer"/
--- error_code: 200



=== TEST 3: single-quoted charset and an extra charset field
--- request
POST /WebTicket/oauthtoken
grant_type=password&username=alice%40contoso.com&password=Passw0rd%21&charset=UTF-8
--- more_headers
Content-Type: application/x-www-form-urlencoded;charset='utf-8'
--- error_code: 200
--- response_body_like eval
qr/"access_token":"cwt=/



=== TEST 4: user name with the sip: prefix
--- request
POST /WebTicket/oauthtoken
grant_type=password&username=sip:Alice@Contoso.com&password=Passw0rd!
--- error_code: 200
--- response_body_like eval
qr/"access_token":"cwt=/



=== TEST 5: user name as DOMAIN\user
--- request
POST /WebTicket/oauthtoken
grant_type=password&username=CONTOSO%5Calice&password=Passw0rd!
--- error_code: 200
--- error_log
mobility sign-in succeeded for "alice@contoso.com"



=== TEST 6: user name as a UPN (e-mail) that differs from the SIP address
--- request
POST /WebTicket/oauthtoken
grant_type=password&username=Alice.Smith@contoso.com&password=Passw0rd!
--- error_code: 200
--- error_log
mobility sign-in succeeded for "alice@contoso.com"



=== TEST 7: a password sent without URL encoding ('&', '+' and '=' raw)
--- request
POST /WebTicket/oauthtoken
grant_type=password&username=carol@contoso.com&password=p&ss+w=rd
--- error_code: 200
--- error_log
mobility sign-in succeeded for "carol@contoso.com"



=== TEST 8: the same password properly encoded
--- request
POST /WebTicket/oauthtoken
grant_type=password&username=carol@contoso.com&password=p%26ss%2Bw%3Drd
--- error_code: 200



=== TEST 9: wrong password: 400 invalid_grant with diagnostics
--- request
POST /WebTicket/oauthtoken
grant_type=password&username=carol@contoso.com&password=wrong
--- error_code: 400
--- response_headers
Content-Type: application/json
Cache-Control: no-store
X-Ms-diagnostics: 28020;source="fe1.contoso.com";reason="No valid security token."
--- response_body chomp
{"error":"invalid_grant"}
--- error_log
mobility sign-in failed for "u:carol@contoso.com"
--- no_error_log
wrong



=== TEST 10: unknown user: exactly the same answer as a wrong password
--- request
POST /WebTicket/oauthtoken
grant_type=password&username=nobody@contoso.com&password=wrong
--- error_code: 400
--- response_headers
Content-Type: application/json
Cache-Control: no-store
X-Ms-diagnostics: 28020;source="fe1.contoso.com";reason="No valid security token."
--- response_body chomp
{"error":"invalid_grant"}



=== TEST 11: disabled user: the same answer again
--- request
POST /WebTicket/oauthtoken
grant_type=password&username=dave@contoso.com&password=Passw0rd!
--- error_code: 400
--- response_body chomp
{"error":"invalid_grant"}



=== TEST 12: missing grant_type
--- request
POST /WebTicket/oauthtoken
username=alice@contoso.com&password=Passw0rd!
--- error_code: 400
--- response_body chomp
{"error":"invalid_request"}



=== TEST 13: missing password
--- request
POST /WebTicket/oauthtoken
grant_type=password&username=alice@contoso.com
--- error_code: 400
--- response_body chomp
{"error":"invalid_request"}



=== TEST 14: unknown grant type
--- request
POST /WebTicket/oauthtoken
grant_type=client_credentials&client_id=x
--- error_code: 400
--- response_headers
X-Ms-diagnostics: 28029;source="fe1.contoso.com";reason="Authentication type not allowed."
--- response_body chomp
{"error":"unsupported_grant_type"}



=== TEST 15: Windows integrated grant is not enabled here
--- request
POST /WebTicket/oauthtoken
grant_type=urn:microsoft.rtc:windows
--- error_code: 400
--- response_body chomp
{"error":"unsupported_grant_type"}



=== TEST 16: the passive grant with credentials is treated as password
--- request
POST /WebTicket/oauthtoken
grant_type=urn:microsoft.rtc:passive&username=alice@contoso.com&password=Passw0rd!
--- error_code: 200
--- response_body_like eval
qr/"access_token":"cwt=/



=== TEST 17: a body over mobility_max_body is refused before reading it
--- request eval
"POST /WebTicket/oauthtoken\n" . "grant_type=password&username=alice\@contoso.com&password=" . ("x" x 2000)
--- error_code: 400
--- response_body chomp
{"error":"invalid_request"}
--- error_log
exceeds mobility_max_body 1024



=== TEST 18: GET is not allowed
--- request
GET /WebTicket/oauthtoken
--- error_code: 405



=== TEST 19: garbage bytes in the body
--- request eval
"POST /WebTicket/oauthtoken\n\x00\xff\xfe&&&===%%%"
--- error_code: 400
--- response_body chomp
{"error":"invalid_request"}
--- no_error_log
[alert]
[crit]



=== TEST 20: lockout: after 3 failures even the right password is refused
--- request eval
[
"POST /WebTicket/oauthtoken\ngrant_type=password&username=carol\@contoso.com&password=bad1",
"POST /WebTicket/oauthtoken\ngrant_type=password&username=carol\@contoso.com&password=bad2",
"POST /WebTicket/oauthtoken\ngrant_type=password&username=carol\@contoso.com&password=bad3",
"POST /WebTicket/oauthtoken\ngrant_type=password&username=carol\@contoso.com&password=p%26ss%2Bw%3Drd",
]
--- error_code eval
[400, 400, 400, 400]
--- response_body eval
['{"error":"invalid_grant"}', '{"error":"invalid_grant"}',
 '{"error":"invalid_grant"}', '{"error":"invalid_grant"}']
--- response_headers_like eval
["X-Ms-diagnostics: 28020;source=\"fe1.contoso.com\";reason=\"No valid security token.\"",
 "X-Ms-diagnostics: 28020;source=\"fe1.contoso.com\";reason=\"No valid security token.\"",
 "X-Ms-diagnostics: 28020;source=\"fe1.contoso.com\";reason=\"No valid security token.\"",
 "X-Ms-diagnostics: 28020;source=\"fe1.contoso.com\";reason=\"Too many failed sign-in attempts; try again later.\""]



=== TEST 21: the lockout applies to a name that does not exist, too
--- request eval
[
"POST /WebTicket/oauthtoken\ngrant_type=password&username=ghost\@contoso.com&password=a",
"POST /WebTicket/oauthtoken\ngrant_type=password&username=ghost\@contoso.com&password=b",
"POST /WebTicket/oauthtoken\ngrant_type=password&username=ghost\@contoso.com&password=c",
"POST /WebTicket/oauthtoken\ngrant_type=password&username=ghost\@contoso.com&password=d",
]
--- error_code eval
[400, 400, 400, 400]
--- response_headers_like eval
["X-Ms-diagnostics: 28020;source=\"fe1.contoso.com\";reason=\"No valid security token.\"",
 "X-Ms-diagnostics: 28020;source=\"fe1.contoso.com\";reason=\"No valid security token.\"",
 "X-Ms-diagnostics: 28020;source=\"fe1.contoso.com\";reason=\"No valid security token.\"",
 "X-Ms-diagnostics: 28020;source=\"fe1.contoso.com\";reason=\"Too many failed sign-in attempts; try again later.\""]



=== TEST 22: other users are not affected by someone else's lockout
--- request
POST /WebTicket/oauthtoken
grant_type=password&username=alice@contoso.com&password=Passw0rd!
--- error_code: 200



=== TEST 23: $mobility_user names the user who signed in
--- config
    location = /WebTicket/oauthtoken {
        mobility_token;
        add_header X-User $mobility_user always;
    }
--- request
POST /WebTicket/oauthtoken
grant_type=password&username=alice@contoso.com&password=Passw0rd!
--- error_code: 200
--- response_headers
X-User: alice@contoso.com
