package MobilityAD;

# Helpers of the Autodiscover suites (t/02*-autodiscover-*.t): the
# topology every block of those files declares, the documents it must
# produce, and canonical forms of JSON and XML bodies so that blocks
# compare structures (attribute order, whitespace and JSON key order do
# not matter) rather than bytes.

use strict;
use warnings;

use IO::Socket::INET ();
use JSON::PP ();
use Time::HiRes ();
use XML::LibXML ();
use Test::Nginx::Util ();

use Mobility qw(token);

use Exporter 'import';
our @EXPORT = qw($EXT $INT $ROOT $XFRAME $PW %SIP
                 canon jcanon xcanon topology root_links root_hal redirect_hal
                 vnd_xml vnd_json ucwa_xml with_token wait_server ad_blocks);

our $EXT = 'https://lyncweb.contoso.com';
our $INT = 'https://lyncwebint.contoso.net';
our $ROOT = '/Autodiscover/AutodiscoverService.svc/root';
our $XFRAME = '/Autodiscover/XFrame/XFrame.html';
our $PW = 'Passw0rd!';

our %SIP = (
    internal => ['SipClientInternalAccess', 'pool01.contoso.net', 443],
    external => ['SipClientExternalAccess', 'sip.contoso.com', 443],
);

# the http{} topology of the Autodiscover suites
our $HTTP_CONFIG = <<'_EOC_';
    mobility_server_fqdn fe1.contoso.com;
    mobility_pool_name pool1;
    mobility_pool pool2 https://pool2.contoso.com/Autodiscover/AutodiscoverService.svc/root;
    mobility_web_external https://lyncweb.contoso.com;
    mobility_web_internal https://lyncwebint.contoso.net;
    mobility_sip_access internal pool01.contoso.net:443;
    mobility_sip_access external sip.contoso.com:443;
_EOC_

# what every Autodiscover response carries
our $COMMON_HEADERS = <<'_EOH_';
Cache-Control: no-cache
Pragma: no-cache
Expires: -1
X-MS-Server-Fqdn: fe1.contoso.com
X-Content-Type-Options: nosniff
_EOH_


# the server{} of the suites of the anonymous resources
our $ROOT_CONFIG = <<'_EOC_';
    mobility_https on;
    location = / { mobility_autodiscover; }
    location ~* ^/autodiscover/ { mobility_autodiscover; }
    location = /xframe { mobility_autodiscover; }
_EOC_


# The defaults of every block of an Autodiscover suite: the store, the
# topology and the block's "extra_http_config", the server{} $config
# ($ROOT_CONFIG), the common headers and no alert in the log; a block's
# own sections win.
sub ad_blocks {
    my ($store, $config) = @_;
    $config //= $ROOT_CONFIG;
    Test::Nginx::Util::add_block_preprocessor(sub {
        my $block = shift;

        $block->set_value('main_config', "mobility_store $store size=16m;")
            unless defined $block->main_config;

        $block->set_value('http_config', $HTTP_CONFIG
                                         . ($block->extra_http_config // ''))
            unless defined $block->http_config;

        $block->set_value('config', $config) unless defined $block->config;

        common_headers($block);

        $block->set_value('no_error_log', "[alert]\n[emerg]\n[crit]")
            unless defined $block->no_error_log;
    });
}


# for add_block_preprocessor: the headers every answer must carry, added
# to the block's own (one set per request when it sends several)
sub common_headers {
    my $block = shift;
    my $h = $block->response_headers;
    my $req = $block->request;

    if (ref $h eq 'ARRAY') {
        $block->set_value('response_headers',
                          [ map { $COMMON_HEADERS . $_ } @$h ]);

    } elsif (ref $req eq 'ARRAY') {
        $block->set_value('response_headers',
                          [ map { $COMMON_HEADERS . ($h // '') } @$req ]);

    } else {
        $block->set_value('response_headers', $COMMON_HEADERS . ($h // ''));
    }
}


# a body of either kind: XML if it starts with "<"
sub canon {
    my $text = shift // '';
    return $text =~ /^\s*</ ? xcanon($text) : jcanon($text);
}


# JSON text or a Perl structure -> canonical JSON text
sub jcanon {
    my $v = shift;

    if (!ref $v) {
        my $text = $v // '';
        $v = eval { JSON::PP->new->decode($text) };
        return "NOT JSON ($@): $text" unless defined $v;
    }

    return JSON::PP->new->canonical->pretty->encode($v);
}


# XML text -> one line per element: {namespace}name, namespace
# declarations and attributes sorted; the declaration's version and
# encoding first
sub xcanon {
    my $text = shift // '';
    my $doc = eval { XML::LibXML->load_xml(string => $text) };

    return "NOT XML ($@): $text" unless $doc;

    my $out = 'xml version="' . ($doc->version // '') . '" encoding="'
              . ($doc->encoding // '') . "\"\n";
    _xnode($doc->documentElement, 0, \$out);

    return $out;
}

sub _xnode {
    my ($e, $depth, $out) = @_;

    my @ns = sort map {
        'xmlns' . ($_->getLocalName ? ':' . $_->getLocalName : '')
        . '="' . $_->getData . '"'
    } $e->getNamespaces;

    my @attrs = sort map { $_->nodeName . '="' . $_->value . '"' }
                grep { $_->nodeType == XML::LibXML::XML_ATTRIBUTE_NODE() }
                $e->attributes;

    $$out .= ('  ' x $depth) . '{' . ($e->namespaceURI // '') . '}'
             . $e->localname . join('', map { " $_" } @ns, @attrs) . "\n";

    for my $c ($e->childNodes) {
        if ($c->nodeType == XML::LibXML::XML_ELEMENT_NODE()) {
            _xnode($c, $depth + 1, $out);

        } elsif ($c->nodeType == XML::LibXML::XML_TEXT_NODE()
                 && $c->data =~ /\S/)
        {
            $$out .= ('  ' x ($depth + 1)) . 'text ' . $c->data . "\n";
        }
    }
}


# the links of the user and domain documents (MS-OCDISCWS token table):
# Internal/* on the internal web URL, External/* on the external one,
# unprefixed on the URL of the side the request came in on; Mcx exposed
# "external" (the default) points at the external URL from both sides
sub topology {
    my %o = (access => 'External', mcx => 'external', @_);
    my $own = $o{access} eq 'Internal' ? $INT : $EXT;
    my @links;

    for my $side (['Internal/', $INT], ['External/', $EXT], ['', $own]) {
        my ($p, $b) = @$side;
        my $mcx = $o{mcx} eq 'internal' ? $b : $EXT;

        push @links,
            ["${p}Autodiscover", "$b$ROOT"],
            ["${p}AuthBroker", "$b/Reach/sip.svc"],
            ["${p}WebScheduler", "$b/Scheduler"],
            ["${p}Mcx", "$mcx/Mcx/McxService.svc"],
            ["${p}Ucwa", "$b/ucwa/v1/applications"],
            ["${p}XFrame", "$b$XFRAME"];
    }

    return @links;
}


# the links of the anonymous root, on the web base b, for the domain d
sub root_links {
    my ($b, $d) = @_;
    my $q = defined $d ? "?originalDomain=$d" : '';

    return (["Domain", "$b$ROOT/domain$q"], ["User", "$b$ROOT/user$q"],
            ["Self", "$b$ROOT$q"], ["OAuth", "$b$ROOT/oauth/user$q"],
            ["XFrame", "$b$XFRAME"]);
}

sub root_hal {
    my ($b, $d) = @_;
    my $q = defined $d ? "?originalDomain=$d" : '';

    return { _links => { self => { href => "$b$ROOT$q" },
                         user => { href => "$b$ROOT/oauth/user$q" },
                         xframe => { href => "$b$XFRAME" } } };
}

sub redirect_hal {
    return { _links => { redirect => { href => shift } } };
}


sub _xa {
    my $v = shift;
    $v =~ s/&/&amp;/g;
    $v =~ s/</&lt;/g;
    $v =~ s/"/&quot;/g;
    return $v;
}

# <AutodiscoverResponse> with one Root, User or Domain element
sub vnd_xml {
    my ($access, $element, $sip, $links) = @_;

    my $x = '<?xml version="1.0" encoding="utf-8"?>'
        . '<AutodiscoverResponse'
        . ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
        . ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        . qq{ AccessLocation="$access"><$element>};

    for my $s (@$sip) {
        $x .= qq{<$s->[0] fqdn="$s->[1]" port="$s->[2]"/>};
    }

    for my $l (@$links) {
        $x .= '<Link token="' . _xa($l->[0]) . '" href="' . _xa($l->[1])
              . '"/>';
    }

    return $x . "</$element></AutodiscoverResponse>";
}

# {"AccessLocation":..,"<Element>":{SipClient*Access..,"Links":[..]}}
sub vnd_json {
    my ($access, $element, $sip, $links) = @_;
    my %e;

    for my $s (@$sip) {
        $e{$s->[0]} = { fqdn => $s->[1], port => $s->[2] };
    }

    $e{Links} = [ map { { token => $_->[0], href => $_->[1] } } @$links ];

    return { AccessLocation => $access, $element => \%e };
}

# <resource rel=.. href=.. xmlns=ucwa><link rel=.. href=../>..</resource>
sub ucwa_xml {
    my ($rel, $href, $links) = @_;

    my $x = '<?xml version="1.0" encoding="utf-8"?>'
        . '<resource xmlns="http://schemas.microsoft.com/rtc/2012/03/ucwa"'
        . qq{ rel="$rel" href="} . _xa($href) . '">';

    for my $l (@$links) {
        $x .= qq{<link rel="$l->[0]" href="} . _xa($l->[1]) . '"/>';
    }

    return $x . '</resource>';
}


# for "--- init": waits (up to 30 s, valgrind being slow) until the
# server accepts connections
sub wait_server {
    my $port = Test::Nginx::Util::server_port();

    for (1 .. 300) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port);
        if ($s) {
            close $s;
            return 1;
        }

        Time::HiRes::sleep(0.1);
    }

    return 0;
}


# for "--- init": gets a token from the running server and sends it with
# the block's requests, as a Bearer ("bearer") or X-MS-WebTicket header
sub with_token {
    my ($block, $user, $form) = @_;

    wait_server();

    my $t = eval { token($user, $PW) };

    if (!defined $t) {
        warn "no token for $user: $@";
        $t = 'cwt=NO-TOKEN';
    }

    my $h = ($form // 'bearer') eq 'webticket'
            ? "X-MS-WebTicket: opaque=$t" : "Authorization: Bearer $t";

    my $more = $block->more_headers;

    $block->set_value('more_headers', ref $more eq 'ARRAY'
                                      ? [ map { "$h\n$_" } @$more ]
                                      : "$h\n" . ($more // ''));

    return $t;
}

1;
