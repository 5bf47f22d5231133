# The store: opening, validation at startup and the directives' errors.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use File::Path qw(make_path remove_tree);
use Mobility;

no_shuffle();
log_level('info');

our $Store = store_dir();
remove_tree($Store, "$Store-newer");

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->main_config) {
        $block->set_value('main_config', "mobility_store $Store size=16m;");
    }
});

run_tests();

__DATA__

=== TEST 1: the store is created and opened at startup
--- config
    location = /t {
        return 200 "up\n";
    }
--- request
GET /t
--- response_body
up
--- error_log eval
qr/mobility_store "\S+\/001-store" opened \(format 1, map 16777216 bytes/
--- no_error_log
[emerg]
[alert]



=== TEST 2: the store files exist after startup
--- config
    location = /t {
        return 200 "up\n";
    }
--- request
GET /t
--- response_body_like eval
qr/up/
--- post_setup_server_root
system("test -f $main::Store/data.mdb && test -f $main::Store/lock.mdb") == 0
    or die "store files missing";



=== TEST 3: an invalid size is refused by name
--- main_config
mobility_store /tmp/mobility-t-001 size=12x;
--- config
--- must_die
--- error_log
invalid store size "12x" in "mobility_store"



=== TEST 4: a size below 1m is refused
--- main_config
mobility_store /tmp/mobility-t-001 size=64k;
--- config
--- must_die
--- error_log
invalid store size "64k" in "mobility_store": at least 1m



=== TEST 5: unknown parameters are refused
--- main_config
mobility_store /tmp/mobility-t-001 sync=maybe;
--- config
--- must_die
--- error_log
invalid parameter "sync=maybe" in "mobility_store"



=== TEST 5b: releases= takes sync or nosync
--- main_config
mobility_store /tmp/mobility-t-001 releases=maybe;
--- config
--- must_die
--- error_log
invalid parameter "releases=maybe" in "mobility_store": expected size=, durability=full|nometasync|relaxed, releases=sync|nosync or flush=



=== TEST 6: the directive takes a path
--- main_config
mobility_store;
--- config
--- must_die
--- error_log
invalid number of arguments in "mobility_store" directive



=== TEST 7: duplicate directive
--- main_config
mobility_store /tmp/mobility-t-001;
mobility_store /tmp/mobility-t-002;
--- config
--- must_die
--- error_log
"mobility_store" directive is duplicate



=== TEST 8: a path that cannot be created fails startup with the reason
--- main_config
mobility_store /proc/self/mobility-store;
--- config
--- must_die
--- error_log eval
qr/mobility_store: cannot create store directory "\/proc\/self\/mobility-store": /



=== TEST 9: a store written by a newer format is refused, never opened
--- main_config eval
"mobility_store $::Store-newer size=16m;"
--- config
--- post_setup_server_root
my $dir = "$main::Store-newer";
remove_tree($dir);
make_path($dir);
# format = 99 in the meta sub-database
open my $fh, '|-', "mdb_load -s meta $dir" or die "mdb_load: $!";
print $fh "VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n"
        . " 666f726d6174\n 63000000\nDATA=END\n";
close $fh or die "mdb_load failed";
--- must_die
--- error_log eval
qr/was written in format 99 by a newer build; this build reads formats up to 1/



=== TEST 10: directives that need the store say so when it is missing
--- main_config
--- config
    location = /WebTicket/oauthtoken {
        mobility_token;
    }
--- must_die
--- error_log
"mobility_token" needs the store: add "mobility_store <path>;" at the top level of the configuration



=== TEST 11: durability modes are accepted
--- main_config eval
"mobility_store $::Store size=16m durability=relaxed flush=200ms;"
--- config
    location = /t {
        return 200 "relaxed\n";
    }
--- request
GET /t
--- response_body
relaxed
--- no_error_log
[emerg]



=== TEST 12: an invalid flush interval is refused
--- main_config
mobility_store /tmp/mobility-t-001 durability=relaxed flush=soon;
--- config
--- must_die
--- error_log
invalid flush interval "soon" in "mobility_store"



=== TEST 13: topology URLs must be absolute
--- http_config
    mobility_web_external lyncweb.contoso.com;
--- config
--- must_die
--- error_log
"mobility_web_external" needs an absolute http:// or https:// URL, not "lyncweb.contoso.com"



=== TEST 14: SIP access needs host:port
--- http_config
    mobility_sip_access external sip.contoso.com;
--- config
--- must_die
--- error_log
mobility_sip_access needs "host:port", not "sip.contoso.com"



=== TEST 15: sign-in lockout parameters are checked
--- http_config
    mobility_signin_lockout user=0;
--- config
--- must_die
--- error_log
invalid parameter "user=0" in mobility_signin_lockout



=== TEST 16: origins are origins, not URLs with paths
--- http_config
    mobility_allow_origin https://app.contoso.com/path;
--- config
--- must_die
--- error_log
mobility_allow_origin needs an origin such as "https://app.contoso.com", not "https://app.contoso.com/path"



=== TEST 17: durability=relaxed flushes from the thread pool, not the event loop
--- main_config eval
"mobility_store $::Store size=16m durability=relaxed flush=10ms;
thread_pool default threads=1;"
--- config
    location = /t {
        return 200 "relaxed\n";
    }
--- request
GET /t
--- response_body
relaxed
--- wait: 0.3
--- error_log
mobility_store: durability=relaxed, flushed every 10 ms in the thread pool
--- no_error_log
[alert]
flushing on the event loop
on the event loop
