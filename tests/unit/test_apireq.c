/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for control/apireq: a good body of every kind with its parsed
 * values checked; the API's bad-input table (one refused body per rule,
 * with the field and message it must give); generated bodies at the
 * limits (4094 port groups, 8 KiB certificates, 64 switches); secrets kept
 * out of messages; the error's JSON text; and parse(build(x)) == x for
 * every kind, the desired state and status above all. No EAL needed.
 *
 * Bodies are written with ' for " (json() swaps them) to stay readable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control/apireq.h"
#include "tests/unit/testenv.h"

#define PT L2X_APIREQ_PAIRING_TOKEN
#define SP L2X_APIREQ_SITE_PAIRING
#define SW L2X_APIREQ_SWITCH
#define NP L2X_APIREQ_NETWORK_PROFILE
#define CP L2X_APIREQ_COMPUTE_PROFILE
#define SM L2X_APIREQ_SERVICE_MESH
#define NE L2X_APIREQ_NETWORK_EXTENSION
#define PP L2X_APIREQ_PEER_PAIR
#define PR L2X_APIREQ_PEER_PAIR_REPLY
#define EN L2X_APIREQ_ENROLL
#define ER L2X_APIREQ_ENROLL_REPLY
#define DS L2X_APIREQ_DESIRED
#define ST L2X_APIREQ_STATUS
#define MP L2X_APIREQ_MESH_PATCH

/* ---- bodies ------------------------------------------------------------- */

#define PEM                                                                   \
	"-----BEGIN CERTIFICATE-----\\n"                                      \
	"MIIBkTCB+wIJAKHBfpegPjMCMA0GCSqGSIb3DQEBCwUAMBExDzANBgNVBAMMBnNp\\n" \
	"dGUtYTAeFw0yNjEyMDcwMDAwMDBaFw0zNjEyMDQwMDAwMDBaMBExDzANBgNVBAMM\\n" \
	"BnNpdGUtYTBcMA0GCSqGSIb3DQEBAQUAA0sAMEgCQQC7==\\n"                   \
	"-----END CERTIFICATE-----\\n"
#define MAC "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F"
#define TOKEN "pt1.c2VjcmV0LXRva2Vu~x"
#define TOKEN_ID "0123456789abcdef"
#define MAC_LC \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

#define NE_HEAD                                                                \
	"{'switch':'dvs-a','portGroup':'web','destination':{'switch':'dvs-b'," \
	"'vlan':100}"
#define NP_HEAD "{'name':'uplinks','rangeStart':'198.18.1.10',"
#define SM_HEAD                                                               \
	"{'name':'mesh1','localComputeProfile':'cp-a','remoteComputeProfile'" \
	":'cp-b',"
#define UPLINK                             \
	"'uplink':{'address':'198.18.1.2/" \
	"24','gateway':'198.18.1.1','mtu':1500}"
#define PSK "MDEyMzQ1Njc4OWFiY2RlZg=="
#define PEER_X(addr, psk)                                                      \
	"'peer':{'address':'" addr "','localId':'ne-a-1','remoteId':'ne-b-1'," \
	"'role':'initiator','psk':'" psk "'}"
#define PEER PEER_X("198.18.2.2", PSK)
#define TUNNEL_X(encap, remote)                      \
	"'tunnel':{'encap':'" encap                  \
	"','innerLocal':'169.254.1.1','innerRemote'" \
	":'" remote "'}"
#define TUNNEL TUNNEL_X("gre", "169.254.1.2")
#define NET_WEB                                                             \
	"{'name':'web','vlan':100,'tunnelId':5001,'gateway':'198.19.100.1/" \
	"24',"                                                              \
	"'gatewaySide':'local','mssClamp':'auto'}"
#define DESIRED_X(parts, nets) \
	"{'generation':7," parts ",'networks':[" nets "]}"
#define PAIR UPLINK "," PEER "," TUNNEL
#define STATUS_X(gen, counters, rest)                                   \
	"{'generation':" gen ",'dataplane':'running','ike':'starting'," \
	"'tunnel':'up','ikeSa':'established','childSa':true," rest      \
	"'counters':" counters "}"
#define COUNTERS "{'rxLan':1,'txLan':2,'rxTunnel':3,'txTunnel':4,'drops':5}"

/* One good body per kind (also the fuzz seeds' shape). */
static const struct good {
	enum l2x_apireq_kind kind;
	const char *body;
} good[] = {
    {PT, "{'kind':'site','ttlSeconds':3600}"},
    {PT, "{'kind':'appliance'}"},
    {SP, "{'url':'https://manager-b.example:8443/','token':'" TOKEN "'}"},
    {SW, "{'name':'dvs-a','portGroups':[{'name':'web','vlan':100},"
	 "{'name':'db','vlan':200}]}"},
    {SW, "{'name':'dvs-empty'}"},
    {NP, NP_HEAD "'rangeEnd':'198.18.1.20','prefix':24,'gateway':'198.18.1."
		 "1','mtu':9000}"},
    {CP, "{'name':'cp-a','switches':['dvs-a','dvs-b'],'networkProfile':"
	 "'uplinks'}"},
    {SM, SM_HEAD "'switches':[{'switch':'dvs-a','remoteSwitch':'dvs-b',"
		 "'appliancePairs':2},{'switch':'dvs-c','remoteSwitch':'dvs-d'}"
		 "],'auth':'psk'}"},
    {NE, NE_HEAD ",'gateway':'198.19.100.1/24','gatewaySide':'local',"
		 "'mssClamp':1360}"},
    {NE, NE_HEAD ",'mssClamp':'off','gateway':null}"},
    {PP, "{'tokenId':'" TOKEN_ID "','name':'site-a','url':'https://[2001:"
	 "db8::1]:8443','certificate':'" PEM "','mac':'" MAC "'}"},
    {PR, "{'name':'site-b','certificate':'" PEM "','mac':'" MAC "'}"},
    {EN, "{'tokenId':'" TOKEN_ID "','name':'ne-a-1','switch':'dvs-a',"
	 "'certificate':'" PEM "','mac':'" MAC "'}"},
    {ER, "{'site':'site-a','certificate':'" PEM "','mac':'" MAC_LC "'}"},
    {DS, DESIRED_X(PAIR, NET_WEB ",{'name':'db','vlan':200,'tunnelId':5002}")},
    {DS, "{'generation':0,'uplink':null,'peer':null,'tunnel':null,"
	 "'networks':[]}"},
    {DS, "{'generation':1}"},
    {ST, STATUS_X("7", COUNTERS,
		  "'networks':['web','db'],'error':'dp: port lan down',")},
    {ST, "{'generation':0,'dataplane':'stopped','ike':'stopped','tunnel':"
	 "'down','ikeSa':'none','childSa':false}"},
    {MP, "{'switches':[{'switch':'dvs-a','appliancePairs':3}]}"},
    {MP, "{'rebalance':true}"},
    {MP, "{'clearHeld':[3,7],'rebalance':false}"},
    {MP, "{'switches':[{'switch':'a','appliancePairs':1},{'switch':'b',"
	 "'appliancePairs':16}],'rebalance':true,'clearHeld':[1]}"},
    {DS, "{'generation':1,'pollMs':100}"},
    {DS, "{'generation':1,'pollMs':5000}"},
};

/* The bad-input table: every rule, each with its field and a substring of
 * its message. */
static const struct bad {
	enum l2x_apireq_kind kind;
	const char *body;
	const char *field; /* "" = no field */
	const char *msg;
} bad[] = {
    /* not JSON, not an object, duplicate keys, NUL, bad UTF-8 */
    {PT, "", "", "malformed JSON at line 1 column"},
    {PT, "{", "", "malformed JSON at line 1"},
    {PT, "{'kind':'site'", "", "malformed JSON"},
    {PT, "{'kind':'site','ttlSeconds':", "", "malformed JSON"},
    {PT, "{'kind':'site'} x", "", "malformed JSON"},
    {PT, "{'kind':'site'}{}", "", "malformed JSON"},
    {PT, "{'kind':'site',}", "", "malformed JSON"},
    {PT, "{'kind':'site'\n,\n'ttlSeconds':01}", "", "at line 3"},
    {PT, "{kind:'site'}", "", "malformed JSON"},
    {PT, "[]", "", "the body must be a JSON object"},
    {PT, "42", "", "the body must be a JSON object"},
    {PT, "null", "", "the body must be a JSON object"},
    {PT, "'site'", "", "the body must be a JSON object"},
    {PT, "{'kind':'site','kind':'appliance'}", "", "duplicate object key"},
    {PT, "{'kind':'si\\u0000te'}", "", "malformed JSON"},
    {PT, "{'kind':'\xff'}", "", "malformed JSON"},
    {PT, "{'kind':'site','ttlSeconds':99999999999999999999}", "",
     "malformed JSON"},
    /* unknown, missing, wrong types, enums, integer ranges */
    {PT, "{'kind':'site','foo':1}", "foo", "unknown field 'foo'"},
    {PT, "{'foo':1}", "foo", "unknown field 'foo'"},
    {PT, "{'kind':'site','ttl':null}", "ttl", "unknown field 'ttl'"},
    {PT, "{'Kind':'site'}", "Kind", "unknown field 'Kind'"},
    {PT, "{'kind':'site','x\\ny':1}", "x\\x0ay", "unknown field 'x\\x0ay'"},
    {PT, "{}", "kind", "kind: required"},
    {PT, "{'ttlSeconds':900}", "kind", "kind: required"},
    {PT, "{'kind':null}", "kind", "kind: must be site or appliance"},
    {PT, "{'kind':'robot'}", "kind",
     "kind: must be site or appliance, not 'robot'"},
    {PT, "{'kind':1}", "kind", "kind: must be site or appliance"},
    {PT, "{'kind':'Site'}", "kind", "not 'Site'"},
    {PT, "{'kind':'site','ttlSeconds':59}", "ttlSeconds",
     "ttlSeconds: 59 is outside 60..86400"},
    {PT, "{'kind':'site','ttlSeconds':86401}", "ttlSeconds",
     "ttlSeconds: 86401 is outside 60..86400"},
    {PT, "{'kind':'site','ttlSeconds':-1}", "ttlSeconds",
     "-1 is outside 60..86400"},
    {PT, "{'kind':'site','ttlSeconds':'900'}", "ttlSeconds",
     "ttlSeconds: must be an integer"},
    {PT, "{'kind':'site','ttlSeconds':900.0}", "ttlSeconds",
     "must be an integer"},
    {PT, "{'kind':'site','ttlSeconds':9e2}", "ttlSeconds",
     "must be an integer"},
    {PT, "{'kind':'site','ttlSeconds':true}", "ttlSeconds",
     "must be an integer"},
    {PT, "{'kind':'site','ttlSeconds':[900]}", "ttlSeconds",
     "must be an integer"},
    /* URLs */
    {SP, "{'url':'http://a.example:80','token':'t'}", "url",
     "url: 'http://a.example:80' must start with https://"},
    {SP, "{'url':'HTTPS://a.example:1','token':'t'}", "url",
     "must start with https://"},
    {SP, "{'url':'https://a.example','token':'t'}", "url", "needs a port"},
    {SP, "{'url':'https://a.example/','token':'t'}", "url", "needs a port"},
    {SP, "{'url':'https://a.example:','token':'t'}", "url", "bad port"},
    {SP, "{'url':'https://a.example:0','token':'t'}", "url", "bad port"},
    {SP, "{'url':'https://a.example:65536','token':'t'}", "url", "bad port"},
    {SP, "{'url':'https://a.example:08443','token':'t'}", "url", "bad port"},
    {SP, "{'url':'https://a.example:84a3','token':'t'}", "url",
     "more than https://HOST:PORT[/]"},
    {SP, "{'url':'https://a.example:8443/api','token':'t'}", "url",
     "more than https://HOST:PORT[/]"},
    {SP, "{'url':'https://a.example:8443//','token':'t'}", "url", "more than"},
    {SP, "{'url':'https://a.example:8443?x','token':'t'}", "url", "more than"},
    {SP, "{'url':'https://u@a.example:8443','token':'t'}", "url", "bad host"},
    {SP, "{'url':'https://:8443','token':'t'}", "url", "bad host"},
    {SP, "{'url':'https://198.18.0.01:8443','token':'t'}", "url", "bad host"},
    {SP, "{'url':'https://10.1:8443','token':'t'}", "url", "bad host"},
    {SP, "{'url':'https://224.0.0.1:8443','token':'t'}", "url", "bad host"},
    {SP, "{'url':'https://0.1.2.3:8443','token':'t'}", "url", "bad host"},
    {SP, "{'url':'https://0x7f000001:8443','token':'t'}", "url", "bad host"},
    {SP, "{'url':'https://-a.example:8443','token':'t'}", "url", "bad host"},
    {SP, "{'url':'https://a-.example:8443','token':'t'}", "url", "bad host"},
    {SP, "{'url':'https://a..example:8443','token':'t'}", "url", "bad host"},
    {SP, "{'url':'https://a.example.:8443','token':'t'}", "url", "bad host"},
    {SP, "{'url':'https://a_b.example:8443','token':'t'}", "url", "bad host"},
    {SP, "{'url':'https://[::1:8443','token':'t'}", "url", "bad IPv6 host"},
    {SP, "{'url':'https://[fe80::1%eth0]:8443','token':'t'}", "url",
     "bad IPv6 host"},
    {SP, "{'url':'https://[::]:8443','token':'t'}", "url", "bad IPv6 host"},
    {SP, "{'url':'https://[ff02::1]:8443','token':'t'}", "url",
     "bad IPv6 host"},
    {SP, "{'url':'https://[2001:db8::1]8443','token':'t'}", "url",
     "needs a port"},
    {SP, "{'url':'','token':'t'}", "url", "url: has 0 characters"},
    {SP, "{'url':5,'token':'t'}", "url", "url: must be a string"},
    {SP, "{'url':'https://a.example:1'}", "token", "token: required"},
    {SP, "{'url':'https://a.example:1','token':''}", "token",
     "token: expected 1..255 characters of [A-Za-z0-9-._~+/=]"},
    {SP, "{'url':'https://a.example:1','token':'se cret'}", "token",
     "token: expected 1..255 characters"},
    {SP, "{'url':'https://a.example:1','token':7}", "token",
     "token: must be a string"},
    /* names, port groups */
    {SW, "{'name':''}", "name", "name: empty, expected 1..31 characters"},
    {SW, "{'name':'abcdefghijklmnopqrstuvwxyz01234x'}", "name",
     "name: 'abcdefghijklmnopqrstuvwxyz01234x' has 32 characters, expected "
     "1..31"},
    {SW, "{'name':'dvs a'}", "name",
     "name: 'dvs a' has a character outside [A-Za-z0-9_.-]"},
    {SW, "{'name':'dvs/a'}", "name", "has a character outside"},
    {SW, "{'name':'d\\u00e9'}", "name",
     "'d\\xc3\\xa9' has a character outside"},
    {SW, "{'name':null}", "name", "name: must be a string"},
    {SW, "{'portGroups':[]}", "name", "name: required"},
    {SW, "{'name':'dvs-a','portGroups':{}}", "portGroups",
     "portGroups: must be an array"},
    {SW, "{'name':'dvs-a','portGroups':[1]}", "portGroups[0]",
     "portGroups[0]: must be an object"},
    {SW, "{'name':'dvs-a','portGroups':[{'name':'web'}]}", "portGroups[0].vlan",
     "portGroups[0].vlan: required"},
    {SW, "{'name':'dvs-a','portGroups':[{'name':'web','vlan':0}]}",
     "portGroups[0].vlan", "portGroups[0].vlan: 0 is outside 1..4094"},
    {SW,
     "{'name':'dvs-a','portGroups':[{'name':'a','vlan':1},{'name':'web',"
     "'vlan':4095}]}",
     "portGroups[1].vlan", "portGroups[1].vlan: 4095 is outside 1..4094"},
    {SW, "{'name':'dvs-a','portGroups':[{'name':'web','vlan':'100'}]}",
     "portGroups[0].vlan", "must be an integer"},
    {SW, "{'name':'dvs-a','portGroups':[{'name':'','vlan':100}]}",
     "portGroups[0].name", "empty"},
    {SW, "{'name':'dvs-a','portGroups':[{'name':'web','vlan':100,'mtu':1}]}",
     "portGroups[0].mtu", "unknown field 'portGroups[0].mtu'"},
    {SW,
     "{'name':'dvs-a','portGroups':[{'name':'web','vlan':100},{'name':'db',"
     "'vlan':200},{'name':'web','vlan':300}]}",
     "portGroups[2].name",
     "portGroups[2].name: 'web' is already used by portGroups[0]"},
    {SW,
     "{'name':'dvs-a','portGroups':[{'name':'web','vlan':100},{'name':'db',"
     "'vlan':100}]}",
     "portGroups[1].vlan",
     "portGroups[1].vlan: 100 is already used by portGroups[0]"},
    /* network profiles */
    {NP, NP_HEAD "'rangeEnd':'198.18.1.20'}", "prefix", "prefix: required"},
    {NP, NP_HEAD "'rangeEnd':'198.18.1.20','prefix':33}", "prefix",
     "prefix: 33 is outside 1..32"},
    {NP, NP_HEAD "'rangeEnd':'198.18.1.20','prefix':0}", "prefix",
     "prefix: 0 is outside 1..32"},
    {NP, NP_HEAD "'rangeEnd':'198.18.1','prefix':24}", "rangeEnd",
     "rangeEnd: '198.18.1' is not an IPv4 address"},
    {NP, NP_HEAD "'rangeEnd':'198.18.1.020','prefix':24}", "rangeEnd",
     "is not an IPv4 address"},
    {NP, NP_HEAD "'rangeEnd':' 198.18.1.20','prefix':24}", "rangeEnd",
     "is not an IPv4 address"},
    {NP, NP_HEAD "'rangeEnd':'127.0.0.20','prefix':24}", "rangeEnd",
     "rangeEnd: 127.0.0.20 is not a unicast address"},
    {NP, NP_HEAD "'rangeEnd':'240.0.0.1','prefix':24}", "rangeEnd",
     "not a unicast address"},
    {NP, NP_HEAD "'rangeEnd':'198.18.1.9','prefix':24}", "rangeEnd",
     "rangeEnd: 198.18.1.9 is before rangeStart 198.18.1.10"},
    {NP, NP_HEAD "'rangeEnd':'198.18.2.20','prefix':24}", "rangeEnd",
     "rangeEnd: 198.18.2.20 is outside 198.18.1.0/24"},
    {NP,
     "{'name':'u','rangeStart':'198.18.1.0','rangeEnd':'198.18.1.9',"
     "'prefix':24}",
     "rangeStart", "rangeStart: 198.18.1.0 is the network address of"},
    {NP, NP_HEAD "'rangeEnd':'198.18.1.255','prefix':24}", "rangeEnd",
     "rangeEnd: 198.18.1.255 is the broadcast address of 198.18.1.0/24"},
    {NP, NP_HEAD "'rangeEnd':'198.18.1.20','prefix':24,'gateway':'198.18.2.1'}",
     "gateway", "gateway: 198.18.2.1 is outside 198.18.1.0/24"},
    {NP,
     NP_HEAD "'rangeEnd':'198.18.1.20','prefix':24,'gateway':'198.18.1.15'}",
     "gateway", "gateway: 198.18.1.15 is inside rangeStart..rangeEnd"},
    {NP,
     NP_HEAD "'rangeEnd':'198.18.1.20','prefix':24,'gateway':'198.18.1.1/24'}",
     "gateway", "is not an IPv4 address"},
    {NP, NP_HEAD "'rangeEnd':'198.18.1.20','prefix':24,'mtu':575}", "mtu",
     "mtu: 575 is outside 576..9216"},
    {NP, NP_HEAD "'rangeEnd':'198.18.1.20','prefix':24,'mtu':9217}", "mtu",
     "mtu: 9217 is outside 576..9216"},
    /* compute profiles */
    {CP, "{'name':'cp','switches':[],'networkProfile':'u'}", "switches",
     "switches: has 0 entries, expected 1..64"},
    {CP, "{'name':'cp','switches':'dvs-a','networkProfile':'u'}", "switches",
     "switches: must be an array"},
    {CP, "{'name':'cp','switches':['a',1],'networkProfile':'u'}", "switches[1]",
     "switches[1]: must be a string"},
    {CP, "{'name':'cp','switches':['a','b','a'],'networkProfile':'u'}",
     "switches[2]", "switches[2]: 'a' is already used by switches[0]"},
    {CP, "{'name':'cp','switches':['a']}", "networkProfile",
     "networkProfile: required"},
    {CP, "{'name':'cp','networkProfile':'u'}", "switches",
     "switches: required"},
    /* service meshes */
    {SM,
     SM_HEAD "'switches':[{'switch':'a','remoteSwitch':'b',"
	     "'appliancePairs':0}]}",
     "switches[0].appliancePairs",
     "switches[0].appliancePairs: 0 is outside 1..16"},
    {SM,
     SM_HEAD "'switches':[{'switch':'a','remoteSwitch':'b',"
	     "'appliancePairs':17}]}",
     "switches[0].appliancePairs", "17 is outside 1..16"},
    {SM,
     SM_HEAD "'switches':[{'switch':'a','remoteSwitch':'b'}],'auth':"
	     "'cert'}",
     "auth", "auth: must be psk, not 'cert'"},
    {SM,
     SM_HEAD "'switches':[{'switch':'a','remoteSwitch':'b'},{'switch':"
	     "'a','remoteSwitch':'c'}]}",
     "switches[1].switch",
     "switches[1].switch: 'a' is already used by switches[0]"},
    {SM,
     SM_HEAD "'switches':[{'switch':'a','remoteSwitch':'b'},{'switch':"
	     "'c','remoteSwitch':'b'}]}",
     "switches[1].remoteSwitch", "'b' is already used by switches[0]"},
    {SM, SM_HEAD "'switches':[{'switch':'a'}]}", "switches[0].remoteSwitch",
     "switches[0].remoteSwitch: required"},
    {SM, SM_HEAD "'auth':'psk'}", "switches", "switches: required"},
    /* service mesh changes (PATCH) */
    {MP, "{}", "", "nothing to change"},
    {MP, "{'rebalance':false}", "", "nothing to change"},
    {MP, "{'switches':[],'clearHeld':[]}", "", "nothing to change"},
    {MP, "{'switches':[{'switch':'a'}]}", "switches[0].appliancePairs",
     "switches[0].appliancePairs: required"},
    {MP, "{'switches':[{'switch':'a','appliancePairs':0}]}",
     "switches[0].appliancePairs", "0 is outside 1..16"},
    {MP,
     "{'switches':[{'switch':'a','appliancePairs':2,'remoteSwitch':"
     "'b'}]}",
     "switches[0].remoteSwitch", "unknown field"},
    {MP,
     "{'switches':[{'switch':'a','appliancePairs':2},{'switch':'a',"
     "'appliancePairs':3}]}",
     "switches[1].switch", "'a' is already used by switches[0]"},
    {MP, "{'clearHeld':[0]}", "clearHeld[0]", "outside"},
    {MP, "{'clearHeld':[4294967296]}", "clearHeld[0]", "outside"},
    {MP, "{'clearHeld':['3']}", "clearHeld[0]", "must be an integer"},
    {MP, "{'clearHeld':[3,3]}", "clearHeld[1]", "already used"},
    {MP, "{'rebalance':1}", "rebalance", "must be"},
    {SM, "{'name':'m','localComputeProfile':'a','switches':[]}",
     "remoteComputeProfile", "remoteComputeProfile: required"},
    /* network extensions */
    {NE, "{'switch':'dvs-a','portGroup':'web'}", "destination",
     "destination: required"},
    {NE, "{'switch':'dvs-a','portGroup':'web','destination':[]}", "destination",
     "destination: must be an object"},
    {NE,
     "{'switch':'dvs-a','portGroup':'web','destination':{'switch':'b',"
     "'vlan':4095}}",
     "destination.vlan", "destination.vlan: 4095 is outside 1..4094"},
    {NE, "{'switch':'dvs-a','portGroup':'web','destination':{'switch':'b'}}",
     "destination.vlan", "destination.vlan: required"},
    {NE,
     "{'switch':'dvs-a','portGroup':'web','destination':{'switch':'b',"
     "'vlan':1,'foo':2}}",
     "destination.foo", "unknown field 'destination.foo'"},
    {NE, NE_HEAD ",'gateway':'198.19.100.1/24'}", "gatewaySide",
     "gatewaySide: required with gateway"},
    {NE, NE_HEAD ",'gatewaySide':'local'}", "gatewaySide",
     "gatewaySide: given without a gateway"},
    {NE, NE_HEAD ",'gateway':'198.19.100.1/24','gatewaySide':'left'}",
     "gatewaySide", "gatewaySide: must be local or remote, not 'left'"},
    {NE, NE_HEAD ",'gateway':'198.19.100.1/24','gatewaySide':2}", "gatewaySide",
     "gatewaySide: must be local or remote"},
    {NE, NE_HEAD ",'gateway':'198.19.100.1','gatewaySide':'local'}", "gateway",
     "'198.19.100.1' needs a prefix length (ADDRESS/1..32)"},
    {NE, NE_HEAD ",'gateway':'198.19.100.0/24','gatewaySide':'local'}",
     "gateway", "is the network address of its subnet"},
    {NE, NE_HEAD ",'gateway':'198.19.100.255/24','gatewaySide':'local'}",
     "gateway", "is the broadcast address of its subnet"},
    {NE, NE_HEAD ",'gateway':'198.19.100.1/33','gatewaySide':'local'}",
     "gateway", "prefix length 33 is outside 1..32"},
    {NE, NE_HEAD ",'gateway':'198.19.100.1/0','gatewaySide':'local'}",
     "gateway", "prefix length 0 is outside 1..32"},
    {NE, NE_HEAD ",'gateway':'198.19.100.1/024','gatewaySide':'local'}",
     "gateway", "bad prefix length"},
    {NE, NE_HEAD ",'gateway':'198.19.100.1/','gatewaySide':'local'}", "gateway",
     "bad prefix length"},
    {NE, NE_HEAD ",'gateway':'198.19.100.1/2x','gatewaySide':'local'}",
     "gateway", "bad prefix length"},
    {NE, NE_HEAD ",'gateway':'1.2.3.4.5/24','gatewaySide':'local'}", "gateway",
     "is not an IPv4 address"},
    {NE, NE_HEAD ",'gateway':'127.0.0.1/8','gatewaySide':'local'}", "gateway",
     "127.0.0.1 is not a unicast address"},
    {NE, NE_HEAD ",'mssClamp':535}", "mssClamp",
     "mssClamp: 535 is outside 536..9176 (or auto, off)"},
    {NE, NE_HEAD ",'mssClamp':9177}", "mssClamp", "9177 is outside"},
    {NE, NE_HEAD ",'mssClamp':'on'}", "mssClamp",
     "mssClamp: must be auto, off or 536..9176, not 'on'"},
    {NE, NE_HEAD ",'mssClamp':'1400'}", "mssClamp", "not '1400'"},
    {NE, NE_HEAD ",'mssClamp':true}", "mssClamp",
     "mssClamp: must be auto, off or an integer"},
    {NE,
     "{'switch':'dvs-a','portGroup':'abcdefghijklmnopqrstuvwxyz0123456',"
     "'destination':{'switch':'b','vlan':1}}",
     "portGroup", "has 33 characters, expected 1..31"},
    /* agent to agent: PEM, MAC, tokens */
    {PP,
     "{'tokenId':'" TOKEN_ID "','name':'a','url':'https://b.example:1',"
     "'certificate':'hello','mac':'" MAC "'}",
     "certificate", "certificate: not one PEM certificate"},
    {PP,
     "{'tokenId':'" TOKEN_ID "','name':'a','url':'https://b.example:1',"
     "'certificate':'','mac':'" MAC "'}",
     "certificate", "certificate: has 0 characters, expected 1..8192"},
    {PR,
     "{'name':'a','certificate':'-----BEGIN CERTIFICATE-----\\nQUJD\\n',"
     "'mac':'" MAC "'}",
     "certificate", "not one PEM certificate"},
    {PR,
     "{'name':'a','certificate':'-----BEGIN CERTIFICATE-----\\n-----END "
     "CERTIFICATE-----\\n','mac':'" MAC "'}",
     "certificate", "not one PEM certificate"},
    {PR,
     "{'name':'a','certificate':'-----BEGIN CERTIFICATE-----\\nQU JD\\n"
     "-----END CERTIFICATE-----','mac':'" MAC "'}",
     "certificate", "not one PEM certificate"},
    {PR, "{'name':'a','certificate':'" PEM PEM "','mac':'" MAC "'}",
     "certificate", "not one PEM certificate"},
    {PR, "{'name':'a','certificate':'" PEM "\\n','mac':'" MAC "'}",
     "certificate", "not one PEM certificate"},
    {PR,
     "{'name':'a','certificate':'-----BEGIN PRIVATE KEY-----\\nQUJD\\n"
     "-----END PRIVATE KEY-----\\n','mac':'" MAC "'}",
     "certificate", "not one PEM certificate"},
    {PR, "{'name':'a','certificate':'" PEM "','mac':'zz'}", "mac",
     "mac: must be 64 hex digits"},
    {PR, "{'name':'a','certificate':'" PEM "','mac':'" MAC "00'}", "mac",
     "must be 64 hex digits"},
    {PR,
     "{'name':'a','certificate':'" PEM
     "','mac':'g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1"
     "e1f'}",
     "mac", "must be 64 hex digits"},
    {PR, "{'name':'a','certificate':'" PEM "'}", "mac", "mac: required"},
    {PP,
     "{'tokenId':'" TOKEN_ID "','name':'a','url':'https://b.example',"
     "'certificate':'" PEM "','mac':'" MAC "'}",
     "url", "needs a port"},
    /* the token's ID: 16 lowercase hex digits; the token never travels */
    {PP,
     "{'tokenId':'0123456789abcdeg','name':'a','url':'https://b.example:1',"
     "'certificate':'" PEM "','mac':'" MAC "'}",
     "tokenId", "tokenId: '0123456789abcdeg' has a character outside [0-9a-f]"},
    {PP,
     "{'tokenId':'0123456789ABCDEF','name':'a','url':'https://b.example:1',"
     "'certificate':'" PEM "','mac':'" MAC "'}",
     "tokenId", "tokenId: '0123456789ABCDEF' has a character outside"},
    {PP,
     "{'tokenId':'0123456789abcde','name':'a','url':'https://b.example:1',"
     "'certificate':'" PEM "','mac':'" MAC "'}",
     "tokenId", "tokenId: has 15 characters, expected 16 (the token's ID"},
    {PP,
     "{'tokenId':'0123456789abcdef0','name':'a','url':'https://b.example:"
     "1','certificate':'" PEM "','mac':'" MAC "'}",
     "tokenId", "has 17 characters, expected 16"},
    {PP,
     "{'tokenId':'" TOKEN_ID "." TOKEN "','name':'a','url':'https://b."
     "example:1','certificate':'" PEM "','mac':'" MAC "'}",
     "tokenId", "expected 16"},
    {PP,
     "{'tokenId':'','name':'a','url':'https://b.example:1','certificate':'" PEM
     "','mac':'" MAC "'}",
     "tokenId", "tokenId: empty, expected 16 characters"},
    {PP,
     "{'tokenId':7,'name':'a','url':'https://b.example:1','certificate':'" PEM
     "','mac':'" MAC "'}",
     "tokenId", "tokenId: must be a string"},
    {PP,
     "{'name':'a','url':'https://b.example:1','certificate':'" PEM
     "','mac':'" MAC "'}",
     "tokenId", "tokenId: required"},
    {PP,
     "{'token':'" TOKEN "','tokenId':'" TOKEN_ID "','name':'a','url':"
     "'https://b.example:1','certificate':'" PEM "','mac':'" MAC "'}",
     "token", "unknown field 'token'"},
    {PP,
     "{'tokenId':'" TOKEN_ID "','name':'a','url':'https://b.example:1',"
     "'certificate':'" PEM "'}",
     "mac", "mac: required"},
    {EN,
     "{'tokenId':'" TOKEN_ID "','name':'a','certificate':'" PEM "','mac':'" MAC
     "'}",
     "switch", "switch: required"},
    {EN,
     "{'tokenId':'" TOKEN_ID "','name':'a','switch':'s','certificate':'" PEM
     "','mac':'" MAC "','url':'https://a.example:1'}",
     "url", "unknown field 'url'"},
    {EN,
     "{'tokenId':'0123456789ABCDEF','name':'a','switch':'s','certificate':'" PEM
     "','mac':'" MAC "'}",
     "tokenId", "tokenId: '0123456789ABCDEF' has a character outside [0-9a-f]"},
    {EN,
     "{'tokenId':'abc','name':'a','switch':'s','certificate':'" PEM
     "','mac':'" MAC "'}",
     "tokenId", "tokenId: has 3 characters, expected 16"},
    {EN,
     "{'tokenId':'0123456789abcdez','name':'a','switch':'s','certificate':'" PEM
     "','mac':'" MAC "'}",
     "tokenId", "has a character outside [0-9a-f]"},
    {EN, "{'name':'a','switch':'s','certificate':'" PEM "','mac':'" MAC "'}",
     "tokenId", "tokenId: required"},
    {EN,
     "{'token':'" TOKEN "','name':'a','switch':'s','certificate':'" PEM
     "','mac':'" MAC "'}",
     "token", "unknown field 'token'"},
    {EN,
     "{'tokenId':'" TOKEN_ID "','name':'a','switch':'s','certificate':'" PEM
     "'}",
     "mac", "mac: required"},
    {EN,
     "{'tokenId':'" TOKEN_ID "','name':'a','switch':'s','certificate':'" PEM
     "','mac':'" MAC "0'}",
     "mac", "mac: must be 64 hex digits"},
    {EN,
     "{'tokenId':'" TOKEN_ID "','name':'a','switch':'s','certificate':'" PEM
     "','mac':null}",
     "mac", "mac: must be a string"},
    {ER, "{'site':'a b','certificate':'" PEM "','mac':'" MAC "'}", "site",
     "site: 'a b' has a character outside"},
    {ER, "{'site':'a','certificate':'" PEM "'}", "mac", "mac: required"},
    {ER, "{'site':'a','certificate':'" PEM "','mac':'" MAC "x'}", "mac",
     "mac: must be 64 hex digits"},
    /* desired state */
    {DS, "{}", "generation", "generation: required"},
    {DS, "{'generation':-1}", "generation",
     "generation: -1 is outside 0..9223372036854775807"},
    {DS, "{'generation':'7'}", "generation", "must be an integer"},
    {DS, "{'generation':7,'pollMs':99}", "pollMs",
     "pollMs: 99 is outside 100..5000"},
    {DS, "{'generation':7,'pollMs':0}", "pollMs",
     "pollMs: 0 is outside 100..5000"},
    {DS, "{'generation':7," UPLINK "}", "peer", "peer: required with uplink"},
    {DS, "{'generation':7," PEER "," TUNNEL "}", "uplink",
     "uplink: required with peer"},
    {DS, "{'generation':7," UPLINK "," PEER "}", "tunnel",
     "tunnel: required with uplink"},
    {DS, "{'generation':7,'uplink':'x'}", "uplink",
     "uplink: must be an object"},
    {DS, "{'generation':7,'uplink':{'address':'198.18.1.0/24'}}",
     "uplink.address", "uplink.address: '198.18.1.0/24' is the network"},
    {DS,
     "{'generation':7,'uplink':{'address':'198.18.1.2/24','gateway':"
     "'198.18.2.1'}}",
     "uplink.gateway", "uplink.gateway: 198.18.2.1 is outside 198.18.1.0/24"},
    {DS,
     "{'generation':7,'uplink':{'address':'198.18.1.2/24','gateway':"
     "'198.18.1.2'}}",
     "uplink.gateway", "198.18.1.2 is the uplink address"},
    {DS, "{'generation':7,'uplink':{'address':'198.18.1.2/24','mtu':100}}",
     "uplink.mtu", "uplink.mtu: 100 is outside 576..9216"},
    {DS, "{'generation':7,'uplink':{'address':'198.18.1.2/24','vlan':1}}",
     "uplink.vlan", "unknown field 'uplink.vlan'"},
    {DS,
     DESIRED_X(UPLINK
	       "," PEER_X("198.18.2.2", "MDEyMzQ1Njc4OWFiY2Rl") "," TUNNEL,
	       ""),
     "peer.psk", "peer.psk: must be base64 of 16..64 bytes"},
    {DS,
     DESIRED_X(UPLINK "," PEER_X("198.18.2.2", "not base64!") "," TUNNEL, ""),
     "peer.psk", "must be base64 of 16..64 bytes"},
    {DS, DESIRED_X(UPLINK "," PEER_X("198.18.1.2", PSK) "," TUNNEL, ""),
     "peer.address", "peer.address: 198.18.1.2 is the uplink address"},
    {DS,
     "{'generation':7,'uplink':{'address':'198.18.1.2/24'}," PEER "," TUNNEL
     "}",
     "peer.address",
     "198.18.2.2 is not on-link (uplink 198.18.1.2/24 has no gateway)"},
    {DS,
     "{'generation':7," UPLINK ",'peer':{'address':'198.18.2.2','role':"
     "'boss','psk':'" PSK "'}," TUNNEL "}",
     "peer.role", "peer.role: must be initiator or responder, not 'boss'"},
    {DS,
     "{'generation':7," UPLINK ",'peer':{'address':'198.18.2.2','role':"
     "'initiator','psk':'" PSK "','localId':''}," TUNNEL "}",
     "peer.localId", "peer.localId: empty, expected 1..127 characters"},
    {DS,
     "{'generation':7," UPLINK ",'peer':{'address':'198.18.2.2','role':"
     "'initiator'}," TUNNEL "}",
     "peer.psk", "peer.psk: required"},
    {DS, DESIRED_X(UPLINK "," PEER "," TUNNEL_X("gre", "169.254.1.1"), ""),
     "tunnel.innerRemote", "tunnel.innerRemote: 169.254.1.1 is innerLocal"},
    {DS, DESIRED_X(UPLINK "," PEER "," TUNNEL_X("ipip", "169.254.1.2"), ""),
     "tunnel.encap", "tunnel.encap: must be gre or vxlan, not 'ipip'"},
    {DS, DESIRED_X(PAIR, "{'name':'web','vlan':100,'tunnelId':0}"),
     "networks[0].tunnelId",
     "networks[0].tunnelId: 0 is outside 1..4294967295"},
    {DS, DESIRED_X(PAIR, "{'name':'web','vlan':100,'tunnelId':4294967296}"),
     "networks[0].tunnelId", "4294967296 is outside 1..4294967295"},
    {DS,
     DESIRED_X(UPLINK "," PEER "," TUNNEL_X("vxlan", "169.254.1.2"),
	       "{'name':'web','vlan':100,'tunnelId':16777216}"),
     "networks[0].tunnelId", "16777216 is outside 1..16777215 (a VXLAN VNI)"},
    {DS, DESIRED_X(PAIR, NET_WEB ",{'name':'db','vlan':100,'tunnelId':2}"),
     "networks[1].vlan",
     "networks[1].vlan: 100 is already used by networks[0]"},
    {DS, DESIRED_X(PAIR, NET_WEB ",{'name':'db','vlan':200,'tunnelId':5001}"),
     "networks[1].tunnelId", "5001 is already used by networks[0]"},
    {DS, DESIRED_X(PAIR, NET_WEB ",{'name':'web','vlan':200,'tunnelId':2}"),
     "networks[1].name", "'web' is already used by networks[0]"},
    {DS,
     DESIRED_X(PAIR, NET_WEB ",{'name':'db','vlan':200,'tunnelId':2,"
			     "'gatewaySide':'remote'}"),
     "networks[1].gatewaySide",
     "networks[1].gatewaySide: given without a gateway"},
    {DS,
     DESIRED_X(PAIR, "{'name':'db','vlan':200,'tunnelId':2,"
		     "'gateway':'198.19.0.1/16'}"),
     "networks[0].gatewaySide", "required with gateway"},
    {DS, "{'generation':7,'networks':{}}", "networks",
     "networks: must be an array"},
    /* status */
    {ST, "{'generation':7}", "dataplane", "dataplane: required"},
    {ST, STATUS_X("7", COUNTERS, "'dataplane':'crashed',"), "", "duplicate"},
    {ST,
     "{'generation':7,'dataplane':'crashed','ike':'running','tunnel':"
     "'up','ikeSa':'none','childSa':false}",
     "dataplane",
     "dataplane: must be running, starting or stopped, not "
     "'crashed'"},
    {ST,
     "{'generation':7,'dataplane':'running','ike':'running','tunnel':"
     "'sideways','ikeSa':'none','childSa':false}",
     "tunnel", "tunnel: must be up or down"},
    {ST,
     "{'generation':7,'dataplane':'running','ike':'running','tunnel':"
     "'up','ikeSa':'half','childSa':false}",
     "ikeSa", "ikeSa: must be established, connecting or none"},
    {ST,
     "{'generation':7,'dataplane':'running','ike':'running','tunnel':"
     "'up','ikeSa':'none','childSa':'yes'}",
     "childSa", "childSa: must be true or false"},
    {ST,
     "{'generation':7,'dataplane':'running','ike':'running','tunnel':"
     "'up','ikeSa':'none'}",
     "childSa", "childSa: required"},
    {ST, STATUS_X("7", COUNTERS, "'networks':['web','db','web'],"),
     "networks[2]", "networks[2]: 'web' is already used by networks[0]"},
    {ST, STATUS_X("7", "{'rxLan':1,'txLan':2,'rxTunnel':3,'txTunnel':4}", ""),
     "counters.drops", "counters.drops: required"},
    {ST,
     STATUS_X("7",
	      "{'rxLan':-1,'txLan':2,'rxTunnel':3,'txTunnel':4,"
	      "'drops':5}",
	      ""),
     "counters.rxLan", "counters.rxLan: -1 is outside 0..9223372036854775807"},
    {ST,
     STATUS_X("7",
	      "{'rxLan':1,'txLan':2,'rxTunnel':3,'txTunnel':4,"
	      "'drops':5,'rxFoo':0}",
	      ""),
     "counters.rxFoo", "unknown field 'counters.rxFoo'"},
    {ST, STATUS_X("7", "[]", ""), "counters", "counters: must be an object"},
    {ST, STATUS_X("7", COUNTERS, "'error':'a\\nb',"), "error",
     "error: 'a\\x0ab' has a character outside printable ASCII"},
    {ST, STATUS_X("7", COUNTERS, "'error':'d\\u00e9j\\u00e0',"), "error",
     "has a character outside printable ASCII"},
    {ST, STATUS_X("7.5", COUNTERS, ""), "generation",
     "generation: must be an integer"},
};

/* ---- helpers ------------------------------------------------------------ */

/* s with every ' turned into ". Free it. */
static char *json(const char *s)
{
	char *j = strdup(s);

	assert_non_null(j);
	for (char *p = j; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return j;
}

static union l2x_apireq_body *new_body(void)
{
	union l2x_apireq_body *b = malloc(sizeof(*b));

	assert_non_null(b);
	return b;
}

/* Parse body (' for ") as kind into out; fail the test on an error. */
static void parse_ok(enum l2x_apireq_kind kind, const char *body, void *out)
{
	struct l2x_apireq_err err;
	char *j = json(body);
	int rc = l2x_apireq_parse(kind, j, strlen(j), out, &err);

	L2X_CHECK(rc == 0, "%s %s: %s (%s)\n", l2x_apireq_kind_name(kind), j,
		  err.message, err.field);
	free(j);
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* Check a refused parse: status, field, message substring; the output is
 * zeroed, and the error renders to JSON that says the same. */
static void check_refused(const char *what, enum l2x_apireq_kind kind,
			  const char *body, size_t len, int status,
			  const char *field, const char *msg)
{
	union l2x_apireq_body *out = new_body();
	struct l2x_apireq_err err;
	json_t *root, *e;
	char *text;
	int rc;

	memset(out, 0xa5, sizeof(*out));
	rc = l2x_apireq_parse(kind, body, len, out, &err);
	L2X_CHECK(rc == (status == 500 ? -ENOMEM : -EINVAL),
		  "%s: rc %d for %.*s\n", what, rc,
		  (int)(len < 300 ? len : 300), body);
	L2X_CHECK(err.status == status, "%s: status %d\n", what, err.status);
	L2X_CHECK(strcmp(err.field, field) == 0, "%s: field '%s', want '%s'\n",
		  what, err.field, field);
	L2X_CHECK(strstr(err.message, msg) != NULL,
		  "%s: message '%s', want '%s'\n", what, err.message, msg);
	L2X_CHECK(all_zero(out, l2x_apireq_size(kind)),
		  "%s: output not zeroed\n", what);
	free(out);

	text = l2x_apireq_err_json(&err);
	assert_non_null(text);
	root = json_loads(text, 0, NULL);
	L2X_CHECK(root != NULL, "%s: error JSON %s\n", what, text);
	e = json_object_get(root, "error");
	L2X_CHECK(
	    json_integer_value(json_object_get(e, "status")) == status &&
		strcmp(json_string_value(json_object_get(e, "message")),
		       err.message) == 0 &&
		(field[0] == '\0'
		     ? json_object_get(e, "field") == NULL
		     : strcmp(json_string_value(json_object_get(e, "field")),
			      field) == 0),
	    "%s: error JSON %s\n", what, text);
	json_decref(root);
	free(text);
}

/* The message a body gets, for reading them all (APIREQ_SHOW=1). */
static void show_refusal(enum l2x_apireq_kind kind, const char *body)
{
	union l2x_apireq_body *out = new_body();
	struct l2x_apireq_err err;

	l2x_apireq_parse(kind, body, strlen(body), out, &err);
	print_message("%-16s %s\n", l2x_apireq_kind_name(kind), err.message);
	free(out);
}

/* parse(build(x)) == x, and build is canonical: build(parse(build(x))) is
 * the same text. */
static void check_round_trip(const char *what, enum l2x_apireq_kind kind,
			     const void *x)
{
	union l2x_apireq_body *y = new_body();
	struct l2x_apireq_err err;
	char *t1 = l2x_apireq_build(kind, x), *t2;

	L2X_CHECK(t1 != NULL, "%s: build failed\n", what);
	L2X_CHECK(l2x_apireq_parse(kind, t1, strlen(t1), y, &err) == 0,
		  "%s: %s does not parse: %s\n", what, t1, err.message);
	L2X_CHECK(l2x_apireq_equal(kind, x, y), "%s: %s parses to another\n",
		  what, t1);
	t2 = l2x_apireq_build(kind, y);
	L2X_CHECK(t2 != NULL && strcmp(t1, t2) == 0, "%s: %s then %s\n", what,
		  t1, t2);
	l2x_apireq_free(kind, y);
	free(y);
	free(t1);
	free(t2);
}

/* ---- good bodies -------------------------------------------------------- */

static void test_good_values(void **state)
{
	union l2x_apireq_body *b = new_body();
	const struct l2x_apireq_network_extension *ne = &b->network_extension;
	const struct l2x_apireq_network_profile *np = &b->network_profile;
	const struct l2x_apireq_service_mesh *sm = &b->service_mesh;

	(void)state;
	parse_ok(PT, good[0].body, b);
	assert_int_equal(b->pairing_token.kind, L2X_APIREQ_TOKEN_SITE);
	assert_int_equal(b->pairing_token.ttl_seconds, 3600);
	parse_ok(PT, good[1].body, b);
	assert_int_equal(b->pairing_token.kind, L2X_APIREQ_TOKEN_APPLIANCE);
	assert_int_equal(b->pairing_token.ttl_seconds, L2X_APIREQ_TTL_DEFAULT);

	parse_ok(SP, good[2].body, b);
	assert_string_equal(b->site_pairing.url.text,
			    "https://manager-b.example:8443");
	assert_string_equal(b->site_pairing.url.host, "manager-b.example");
	assert_int_equal(b->site_pairing.url.port, 8443);
	assert_string_equal(b->site_pairing.token, TOKEN);
	l2x_apireq_free(SP, b);

	parse_ok(NP, good[5].body, b);
	assert_string_equal(np->name, "uplinks");
	assert_int_equal(np->range_start, 0xc612010a);
	assert_int_equal(np->range_end, 0xc6120114);
	assert_int_equal(np->prefix, 24);
	assert_int_equal(np->gateway, 0xc6120101);
	assert_int_equal(np->mtu, 9000);

	parse_ok(CP, good[6].body, b);
	assert_int_equal(b->compute_profile.n_switches, 2);
	assert_string_equal(b->compute_profile.switches[1], "dvs-b");
	assert_string_equal(b->compute_profile.network_profile, "uplinks");

	parse_ok(SM, good[7].body, b);
	assert_string_equal(sm->remote_compute_profile, "cp-b");
	assert_int_equal(sm->n_switches, 2);
	assert_string_equal(sm->switches[0].remote_switch, "dvs-b");
	assert_int_equal(sm->switches[0].appliance_pairs, 2);
	assert_int_equal(sm->switches[1].appliance_pairs, 1); /* default */
	assert_int_equal(sm->auth, L2X_APIREQ_AUTH_PSK);

	parse_ok(NE, good[8].body, b);
	assert_string_equal(ne->switch_name, "dvs-a");
	assert_string_equal(ne->port_group, "web");
	assert_string_equal(ne->destination.switch_name, "dvs-b");
	assert_int_equal(ne->destination.vlan, 100);
	assert_int_equal(ne->gateway.addr, 0xc6136401);
	assert_int_equal(ne->gateway.len, 24);
	assert_int_equal(ne->gateway_side, L2X_CONFIG_GW_LOCAL);
	assert_int_equal(ne->mss_clamp, 1360);
	parse_ok(NE, good[9].body, b);
	assert_int_equal(ne->gateway.len, 0); /* null = absent */
	assert_int_equal(ne->gateway_side, L2X_CONFIG_GW_NONE);
	assert_int_equal(ne->mss_clamp, L2X_CONFIG_MSS_OFF);
	free(b);
}

static void test_good_switch(void **state)
{
	struct l2x_apireq_switch sw;

	(void)state;
	parse_ok(SW, good[3].body, &sw);
	assert_string_equal(sw.name, "dvs-a");
	assert_int_equal(sw.n_port_groups, 2);
	assert_string_equal(sw.port_groups[1].name, "db");
	assert_int_equal(sw.port_groups[1].vlan, 200);
	l2x_apireq_switch_free(&sw);
	assert_null(sw.port_groups);
	assert_int_equal(sw.n_port_groups, 0);
	l2x_apireq_switch_free(NULL);

	parse_ok(SW, good[4].body, &sw);
	assert_int_equal(sw.n_port_groups, 0);
	assert_null(sw.port_groups);
	l2x_apireq_switch_free(&sw);
}

static void test_good_agent(void **state)
{
	static const uint8_t mac[L2X_APIREQ_MAC_LEN] = {
	    0,	1,  2,	3,  4,	5,  6,	7,  8,	9,  10, 11, 12, 13, 14, 15,
	    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
	union l2x_apireq_body *b = new_body();
	const struct l2x_apireq_peer_pair *pp = &b->peer_pair;
	char *text;

	(void)state;
	parse_ok(PP, good[10].body, b);
	assert_string_equal(pp->token_id, TOKEN_ID);
	assert_string_equal(pp->name, "site-a");
	assert_string_equal(pp->url.text, "https://[2001:db8::1]:8443");
	assert_string_equal(pp->url.host, "2001:db8::1");
	assert_int_equal(pp->url.port, 8443);
	assert_memory_equal(pp->mac, mac, sizeof(mac));
	assert_non_null(strstr(pp->certificate, "\nBnNpdGUtYTBc"));
	assert_int_equal(strncmp(pp->certificate + strlen(pp->certificate) - 26,
				 "-----END CERTIFICATE-----\n", 26),
			 0);
	/* the MAC is written back in lower case */
	text = l2x_apireq_build(PP, pp);
	assert_non_null(strstr(text, "\"mac\":\"000102030405060708090a0b0c0d0e0"
				     "f101112131415161718191a1b1c1d1e1f\""));
	free(text);
	l2x_apireq_free(PP, b);
	assert_true(all_zero(b, sizeof(b->peer_pair)));

	parse_ok(EN, good[12].body, b);
	assert_string_equal(b->enroll.token_id, TOKEN_ID);
	assert_string_equal(b->enroll.switch_name, "dvs-a");
	assert_string_equal(b->enroll.name, "ne-a-1");
	assert_non_null(strstr(b->enroll.certificate, "\nBnNpdGUtYTBc"));
	assert_memory_equal(b->enroll.mac, mac, sizeof(mac));
	text = l2x_apireq_build(EN, &b->enroll);
	assert_non_null(text);
	assert_non_null(strstr(text, "{\"tokenId\":\"" TOKEN_ID "\","));
	assert_non_null(strstr(text, "\"mac\":\"" MAC_LC "\"}"));
	free(text);
	l2x_apireq_free(EN, b);
	assert_true(all_zero(b, sizeof(b->enroll)));

	parse_ok(ER, good[13].body, b);
	assert_string_equal(b->enroll_reply.site, "site-a");
	assert_memory_equal(b->enroll_reply.mac, mac, sizeof(mac));
	text = l2x_apireq_build(ER, &b->enroll_reply);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"mac\":\"" MAC_LC "\"}"));
	free(text);
	l2x_apireq_free(ER, b);
	assert_true(all_zero(b, sizeof(b->enroll_reply)));
	free(b);
}

static void test_good_desired(void **state)
{
	union l2x_apireq_body *b = new_body();
	const struct l2x_apireq_desired *d = &b->desired;

	(void)state;
	parse_ok(DS, good[14].body, b);
	assert_int_equal(d->generation, 7);
	assert_true(d->has_uplink && d->has_peer && d->has_tunnel);
	assert_int_equal(d->uplink.address.addr, 0xc6120102);
	assert_int_equal(d->uplink.address.len, 24);
	assert_int_equal(d->uplink.gateway, 0xc6120101);
	assert_int_equal(d->uplink.mtu, 1500);
	assert_int_equal(d->peer.address, 0xc6120202);
	assert_string_equal(d->peer.local_id, "ne-a-1");
	assert_string_equal(d->peer.remote_id, "ne-b-1");
	assert_int_equal(d->peer.role, L2X_CONFIG_ROLE_INITIATOR);
	assert_int_equal(d->peer.psk_len, 16);
	assert_memory_equal(d->peer.psk, "0123456789abcdef", 16);
	assert_int_equal(d->tunnel.encap, L2X_CONFIG_ENCAP_GRE);
	assert_int_equal(d->tunnel.inner_local, 0xa9fe0101);
	assert_int_equal(d->tunnel.inner_remote, 0xa9fe0102);
	assert_int_equal(d->n_networks, 2);
	assert_string_equal(d->networks[0].name, "web");
	assert_int_equal(d->networks[0].vlan, 100);
	assert_int_equal(d->networks[0].tunnel_id, 5001);
	assert_int_equal(d->networks[0].gateway.addr, 0xc6136401);
	assert_int_equal(d->networks[0].gateway_side, L2X_CONFIG_GW_LOCAL);
	assert_int_equal(d->networks[0].mss_clamp, L2X_CONFIG_MSS_AUTO);
	assert_int_equal(d->networks[1].gateway.len, 0);
	assert_int_equal(d->networks[1].gateway_side, L2X_CONFIG_GW_NONE);
	l2x_apireq_free(DS, b);

	/* no pair: null and absent are the same */
	parse_ok(DS, good[15].body, b);
	assert_false(d->has_uplink || d->has_peer || d->has_tunnel);
	assert_int_equal(d->n_networks, 0);
	free(b);
}

static void test_good_status(void **state)
{
	union l2x_apireq_body *b = new_body();
	const struct l2x_apireq_status *s = &b->status;

	(void)state;
	parse_ok(ST, good[17].body, b);
	assert_int_equal(s->generation, 7);
	assert_int_equal(s->dataplane, L2X_APIREQ_PROC_RUNNING);
	assert_int_equal(s->ike, L2X_APIREQ_PROC_STARTING);
	assert_int_equal(s->tunnel, L2X_APIREQ_LINK_UP);
	assert_int_equal(s->ike_sa, L2X_APIREQ_IKE_SA_ESTABLISHED);
	assert_true(s->child_sa);
	assert_int_equal(s->n_networks, 2);
	assert_string_equal(s->networks[1], "db");
	assert_int_equal(s->counters.rx_lan, 1);
	assert_int_equal(s->counters.tx_tunnel, 4);
	assert_int_equal(s->counters.drops, 5);
	assert_string_equal(s->error, "dp: port lan down");

	parse_ok(ST, good[18].body, b);
	assert_int_equal(s->dataplane, L2X_APIREQ_PROC_STOPPED);
	assert_false(s->child_sa);
	assert_int_equal(s->counters.drops, 0);
	assert_string_equal(s->error, "");
	free(b);
}

/* ---- the bad-input table ------------------------------------------------ */

static void test_bad_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < L2X_ARRAY_LEN(bad); i++) {
		char what[64], *j = json(bad[i].body);

		snprintf(what, sizeof(what), "bad[%zu] (%s)", i,
			 l2x_apireq_kind_name(bad[i].kind));
		check_refused(what, bad[i].kind, j, strlen(j), 400,
			      bad[i].field, bad[i].msg);
		if (getenv("APIREQ_SHOW") != NULL)
			show_refusal(bad[i].kind, j);
		free(j);
	}
	print_message("bad-input table: %zu bodies refused as expected\n",
		      L2X_ARRAY_LEN(bad));
}

/* Bodies the table cannot hold: NUL bytes, no body, a short length, too
 * deep a nesting. */
static void test_bad_bytes(void **state)
{
	static const char nul[] = "{\"kind\":\"site\"}\0{}";
	size_t cap = 8192, n;
	char *b = malloc(cap);

	(void)state;
	assert_non_null(b);
	check_refused("NUL after the object", PT, nul, sizeof(nul) - 1, 400, "",
		      "malformed JSON");
	check_refused("NULL body", PT, NULL, 0, 400, "", "malformed JSON");
	check_refused("one byte short", PT, "{\"kind\":\"site\"}", 14, 400, "",
		      "malformed JSON");

	/* deeper than jansson parses */
	n = (size_t)snprintf(b, cap, "{\"kind\":");
	memset(b + n, '[', 5000);
	n += 5000;
	check_refused("deep", PT, b, n, 400, "", "maximum parsing depth");
	free(b);
}

/* Strings and arrays one past their limits. */
static void test_bad_lengths(void **state)
{
	size_t cap = 4096, n;
	char *b = malloc(cap);

	(void)state;
	assert_non_null(b);

	/* a 256-character URL */
	n = (size_t)snprintf(b, cap,
			     "{\"url\":\"https://%0238d.example:1\","
			     "\"token\":\"t\"}",
			     0);
	check_refused("long URL", SP, b, n, 400, "url",
		      "url: has 256 characters, expected 1..255");
	/* a 64-character DNS label */
	n = (size_t)snprintf(b, cap,
			     "{\"url\":\"https://a%063d.example:1\","
			     "\"token\":\"t\"}",
			     0);
	check_refused("long label", SP, b, n, 400, "url", "bad host");
	/* a 256-character token */
	n = (size_t)snprintf(b, cap, "{\"url\":\"https://a:1\",\"token\":\"");
	memset(b + n, 'x', 256);
	n += 256;
	n += (size_t)snprintf(b + n, cap - n, "\"}");
	check_refused("long token", SP, b, n, 400, "token",
		      "token: expected 1..255 characters");

	/* 65 switches */
	n = (size_t)snprintf(b, cap, "{\"name\":\"cp\",\"switches\":[");
	for (int i = 0; i < 65; i++)
		n += (size_t)snprintf(b + n, cap - n, "%s\"s%d\"", i ? "," : "",
				      i);
	n += (size_t)snprintf(b + n, cap - n, "],\"networkProfile\":\"u\"}");
	check_refused("65 switches", CP, b, n, 400, "switches",
		      "switches: has 65 entries, expected 1..64");

	/* a 256-character error */
	n = (size_t)snprintf(b, cap,
			     "{\"generation\":1,\"dataplane\":\"running\","
			     "\"ike\":\"running\",\"tunnel\":\"up\",\"ikeSa\":"
			     "\"none\",\"childSa\":true,\"error\":\"%0256d\"}",
			     0);
	check_refused("long error", ST, b, n, 400, "error",
		      "has 256 characters, expected 0..255");
	free(b);
}

/* An 8192-character certificate is taken, 8193 are not. */
static void test_pem_limit(void **state)
{
	size_t cap = 16384, n;
	char *b = malloc(cap);

	(void)state;
	assert_non_null(b);
	for (size_t want = 8192; want <= 8193; want++) {
		size_t last = want - 28 - 120 * 65 - 26;
		union l2x_apireq_body *out = new_body();
		struct l2x_apireq_err err;

		n = (size_t)snprintf(b, cap,
				     "{\"site\":\"a\",\"certificate\":\"");
		n += (size_t)snprintf(b + n, cap - n,
				      "-----BEGIN CERTIFICATE-----\\n");
		for (int line = 0; line < 120; line++) {
			memset(b + n, 'A', 64);
			n += 64;
			n += (size_t)snprintf(b + n, cap - n, "\\n");
		}
		memset(b + n, 'A', last);
		n += last;
		n += (size_t)snprintf(b + n, cap - n,
				      "\\n-----END CERTIFICATE-----\","
				      "\"mac\":\"" MAC "\"}");
		if (want == 8193) {
			check_refused("long PEM", ER, b, n, 400, "certificate",
				      "certificate: has 8193 characters, "
				      "expected 1..8192");
		} else {
			assert_int_equal(l2x_apireq_parse(ER, b, n, out, &err),
					 0);
			assert_int_equal(strlen(out->enroll_reply.certificate),
					 8192);
			check_round_trip("8192-character PEM", ER, out);
		}
		free(out);
	}

	free(b);
}

/* 4094 port groups are accepted; 4095 are not; a duplicate VLAN at the end
 * of 4094 is found and named. */
static void test_port_group_limits(void **state)
{
	size_t cap = 200000, n;
	char *b = malloc(cap);
	struct l2x_apireq_switch sw;
	struct l2x_apireq_err err;

	(void)state;
	assert_non_null(b);
	for (int count = 4094; count <= 4095; count++) {
		n = (size_t)snprintf(b, cap,
				     "{\"name\":\"dvs\",\"portGroups\":[");
		for (int i = 0; i < count; i++)
			n += (size_t)snprintf(
			    b + n, cap - n, "%s{\"name\":\"pg%d\",\"vlan\":%d}",
			    i ? "," : "", i, i % 4094 + 1);
		n += (size_t)snprintf(b + n, cap - n, "]}");
		if (count == 4095) {
			check_refused("4095 port groups", SW, b, n, 400,
				      "portGroups",
				      "portGroups: has 4095 entries, "
				      "expected 0..4094");
			break;
		}
		assert_int_equal(l2x_apireq_parse_switch(b, n, &sw, &err), 0);
		assert_int_equal(sw.n_port_groups, 4094);
		assert_string_equal(sw.port_groups[4093].name, "pg4093");
		assert_int_equal(sw.port_groups[4093].vlan, 4094);
		check_round_trip("4094 port groups", SW, &sw);
		l2x_apireq_switch_free(&sw);
		/* the last one reuses VLAN 7 */
		memcpy(strstr(b, "\"vlan\":4094}"), "\"vlan\":7   ", 11);
		check_refused("duplicate VLAN at the end", SW, b, n, 400,
			      "portGroups[4093].vlan",
			      "portGroups[4093].vlan: 7 is already used by "
			      "portGroups[6]");
	}
	free(b);
}

/* ---- edge values accepted ----------------------------------------------- */

static void test_edges_accepted(void **state)
{
	static const struct good edge[] = {
	    {PT, "{'kind':'site','ttlSeconds':60}"},
	    {PT, "{'kind':'site','ttlSeconds':86400}"},
	    {SP, "{'url':'https://198.18.0.1:1','token':'a'}"},
	    {SP, "{'url':'https://127.0.0.1:65535/','token':'a=='}"},
	    {SP, "{'url':'https://localhost:8443','token':'a'}"},
	    {SP, "{'url':'https://a1.example:8443','token':'a'}"},
	    {SP, "{'url':'https://1a:8443','token':'a'}"},
	    {SP, "{'url':'https://[::ffff:198.18.0.1]:8443','token':'a'}"},
	    {SW, "{'name':'abcdefghijklmnopqrstuvwxyz01234','portGroups':"
		 "[{'name':'A.b_c-d','vlan':1},{'name':'x','vlan':4094}]}"},
	    {SW, "{'name':'a','portGroups':null}"},
	    {NP,
	     "{'name':'h','rangeStart':'198.18.0.1','rangeEnd':'198.18.0.1',"
	     "'prefix':32}"},
	    {NP,
	     "{'name':'p','rangeStart':'198.18.0.0','rangeEnd':'198.18.0.1',"
	     "'prefix':31}"},
	    {NP,
	     "{'name':'m','rangeStart':'198.18.0.2','rangeEnd':'198.18.0.9',"
	     "'prefix':24,'gateway':'198.18.0.1','mtu':576}"},
	    {NE, NE_HEAD ",'mssClamp':536,'gateway':'198.19.1.1/32',"
			 "'gatewaySide':'remote'}"},
	    {NE, NE_HEAD ",'mssClamp':9176}"},
	    {SM, SM_HEAD "'switches':[{'switch':'a','remoteSwitch':'a',"
			 "'appliancePairs':16}]}"},
	    {DS, "{'generation':9223372036854775807}"},
	    {DS, "{'generation':7,'uplink':{'address':'198.18.1.2/24'},"
		 "'peer':{'address':'198.18.1.3','role':'responder','psk':'"
		 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJj"
		 "ZGVmMDEyMzQ1Njc4OWFiY2RlZg=='}," TUNNEL_X(
		     "vxlan", "169.254.1.2") ",'networks':[{'name':'a','vlan':"
					     "1,'tunnelId':16777215}]}"},
	    {ST, STATUS_X("9223372036854775807",
			  "{'rxLan':9223372036854775807,'txLan':0,'rxTunnel':0,"
			  "'txTunnel':0,'drops':0}",
			  "'networks':[],'error':'',")},
	};
	union l2x_apireq_body *b = new_body();

	(void)state;
	for (size_t i = 0; i < L2X_ARRAY_LEN(edge); i++) {
		char what[32];

		snprintf(what, sizeof(what), "edge[%zu]", i);
		parse_ok(edge[i].kind, edge[i].body, b);
		check_round_trip(what, edge[i].kind, b);
		l2x_apireq_free(edge[i].kind, b);
	}
	free(b);
}

/* ---- secrets, errors ---------------------------------------------------- */

static void test_secrets_unquoted(void **state)
{
	static const struct {
		enum l2x_apireq_kind kind;
		const char *body;
	} cases[] = {
	    {SP, "{'url':'https://a:1','token':'SECRET VALUE'}"},
	    {SP, "{'url':'https://a:1','token':'SECRETVALUE"},
	    {SP, "{'url':'https://a:1','token':'SECRETVALUE' x"},
	    {SP, "{'token':'SECRETVALUE','url':'https://a:1'} 'SECRETVALUE'"},
	    {PP, "{'tokenId':'" TOKEN_ID "','mac':'SECRETVALUE\\u0000'}"},
	    {PP, "{'tokenId':'" TOKEN_ID "','name':'a','url':'https://b:1',"
		 "'certificate':'" PEM "','mac':'SECRETVALUE'}"},
	    {EN, "{'tokenId':'" TOKEN_ID "','mac':'SECRETVALUE\xff'}"},
	    {EN, "{'tokenId':'" TOKEN_ID "','name':'a','switch':'s',"
		 "'certificate':'" PEM "','mac':'SECRETVALUE'}"},
	    {ER, "{'site':'a','certificate':'" PEM "','mac':'SECRETVALUE"},
	    /* a whole token where its ID belongs: not quoted either */
	    {PP, "{'tokenId':'" TOKEN_ID ".SECRETVALUE','name':'a'}"},
	    {EN, "{'tokenId':'" TOKEN_ID ".SECRETVALUE','name':'a'}"},
	    {DS, DESIRED_X(UPLINK
			   "," PEER_X("198.18.2.2", "SECRETVALUE") "," TUNNEL,
			   "")},
	    {PR, "{'name':'a','certificate':'" PEM "','mac':'SECRETVALUE'}"},
	};
	union l2x_apireq_body *b = new_body();

	(void)state;
	for (size_t i = 0; i < L2X_ARRAY_LEN(cases); i++) {
		struct l2x_apireq_err err;
		char *j = json(cases[i].body);

		assert_int_equal(
		    l2x_apireq_parse(cases[i].kind, j, strlen(j), b, &err),
		    -EINVAL);
		L2X_CHECK(strstr(err.message, "SECRET") == NULL,
			  "secret[%zu]: %s\n", i, err.message);
		free(j);
	}
	free(b);
}

static void test_err_json(void **state)
{
	struct l2x_apireq_pairing_token pt;
	struct l2x_apireq_err err;
	char *text;

	(void)state;
	assert_int_equal(
	    l2x_apireq_fail(&err, 409, "vlan", "%d is already extended", 100),
	    -EINVAL);
	assert_string_equal(err.message, "vlan: 100 is already extended");
	text = l2x_apireq_err_json(&err);
	assert_string_equal(text, "{\"error\":{\"status\":409,\"message\":"
				  "\"vlan: 100 is already extended\","
				  "\"field\":\"vlan\"}}");
	free(text);

	l2x_apireq_fail(&err, 404, NULL, "no switch \"%s\"\\", "a\tb");
	text = l2x_apireq_err_json(&err);
	assert_string_equal(text, "{\"error\":{\"status\":404,\"message\":"
				  "\"no switch \\\"a?b\\\"\\\\\"}}");
	free(text);

	/* err may be NULL; an unknown kind is the caller's bug: 500 */
	assert_int_equal(l2x_apireq_parse(PT, "{}", 2, &pt, NULL), -EINVAL);
	assert_int_equal(
	    l2x_apireq_parse(L2X_APIREQ_KIND_COUNT, "{}", 2, &pt, &err),
	    -EINVAL);
	assert_int_equal(err.status, 500);
	assert_int_equal(l2x_apireq_size(L2X_APIREQ_KIND_COUNT), 0);
	assert_string_equal(l2x_apireq_kind_name(L2X_APIREQ_KIND_COUNT), "?");
	assert_string_equal(l2x_apireq_kind_name(NE), "networkExtension");
}

/* ---- round trips -------------------------------------------------------- */

static void test_round_trip_good(void **state)
{
	union l2x_apireq_body *b = new_body();

	(void)state;
	for (size_t i = 0; i < L2X_ARRAY_LEN(good); i++) {
		char what[32];

		snprintf(what, sizeof(what), "good[%zu]", i);
		parse_ok(good[i].kind, good[i].body, b);
		check_round_trip(what, good[i].kind, b);
		l2x_apireq_free(good[i].kind, b);
	}
	free(b);
}

/* What the manager sends: absent parts and fields left out, the PSK in
 * base64. */
static void test_build_desired(void **state)
{
	struct l2x_apireq_desired *d = calloc(1, sizeof(*d));
	char *text;

	(void)state;
	assert_non_null(d);
	d->generation = 3;
	text = l2x_apireq_build_desired(d);
	assert_string_equal(text, "{\"generation\":3,\"networks\":[]}");
	free(text);

	d->has_uplink = d->has_peer = d->has_tunnel = true;
	d->uplink = (struct l2x_apireq_uplink){{0xc6120102, 24}, 0, 1400};
	d->peer.address = 0xc6120103;
	d->peer.role = L2X_CONFIG_ROLE_RESPONDER;
	memset(d->peer.psk, 0xab, 20);
	d->peer.psk_len = 20;
	d->tunnel = (struct l2x_apireq_tunnel){L2X_CONFIG_ENCAP_VXLAN,
					       0xa9fe0101, 0xa9fe0102};
	d->n_networks = 1;
	snprintf(d->networks[0].name, sizeof(d->networks[0].name), "web");
	d->networks[0].vlan = 100;
	d->networks[0].tunnel_id = 100;
	d->networks[0].gateway = (struct l2x_config_prefix){0xc6130001, 16};
	d->networks[0].gateway_side = L2X_CONFIG_GW_REMOTE;
	d->networks[0].mss_clamp = 1300;
	text = l2x_apireq_build_desired(d);
	assert_string_equal(
	    text,
	    "{\"generation\":3,\"uplink\":{\"address\":\"198.18.1.2/24\","
	    "\"mtu\":1400},\"peer\":{\"address\":\"198.18.1.3\",\"role\":"
	    "\"responder\",\"psk\":\"q6urq6urq6urq6urq6urq6urq6s=\"},"
	    "\"tunnel\":{\"encap\":\"vxlan\",\"innerLocal\":\"169.254.1.1\","
	    "\"innerRemote\":\"169.254.1.2\"},\"networks\":[{\"name\":\"web\","
	    "\"vlan\":100,\"tunnelId\":100,\"gateway\":\"198.19.0.1/16\","
	    "\"gatewaySide\":\"remote\",\"mssClamp\":1300}]}");
	free(text);
	check_round_trip("built desired", DS, d);
	free(d);
}

/* What the appliance reports: bytes a JSON string cannot hold become '?',
 * and equal() sees a changed counter. */
static void test_build_status(void **state)
{
	struct l2x_apireq_status *s = calloc(1, sizeof(*s));
	struct l2x_apireq_status *t = malloc(sizeof(*t));
	char *text;

	(void)state;
	assert_non_null(s);
	assert_non_null(t);

	s->generation = 3;
	s->dataplane = L2X_APIREQ_PROC_RUNNING;
	s->counters.drops = 12;
	snprintf(s->error, sizeof(s->error), "bad\tbyte \xff");
	text = l2x_apireq_build_status(s);
	assert_string_equal(
	    text, "{\"generation\":3,\"dataplane\":\"running\",\"ike\":"
		  "\"stopped\",\"tunnel\":\"down\",\"ikeSa\":\"none\","
		  "\"childSa\":false,\"networks\":[],\"counters\":{\"rxLan\":0,"
		  "\"txLan\":0,\"rxTunnel\":0,\"txTunnel\":0,\"drops\":12},"
		  "\"error\":\"bad?byte ?\"}");
	free(text);
	snprintf(s->error, sizeof(s->error), "ike: no SA");
	s->n_networks = 2;
	snprintf(s->networks[0], sizeof(s->networks[0]), "web");
	snprintf(s->networks[1], sizeof(s->networks[1]), "db");
	check_round_trip("built status", ST, s);

	memcpy(t, s, sizeof(*t));
	assert_true(l2x_apireq_equal(ST, s, t));
	t->counters.rx_tunnel++;
	assert_false(l2x_apireq_equal(ST, s, t));
	free(t);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_values),
	    cmocka_unit_test(test_good_switch),
	    cmocka_unit_test(test_good_agent),
	    cmocka_unit_test(test_good_desired),
	    cmocka_unit_test(test_good_status),
	    cmocka_unit_test(test_bad_table),
	    cmocka_unit_test(test_bad_bytes),
	    cmocka_unit_test(test_bad_lengths),
	    cmocka_unit_test(test_pem_limit),
	    cmocka_unit_test(test_port_group_limits),
	    cmocka_unit_test(test_edges_accepted),
	    cmocka_unit_test(test_secrets_unquoted),
	    cmocka_unit_test(test_err_json),
	    cmocka_unit_test(test_round_trip_good),
	    cmocka_unit_test(test_build_desired),
	    cmocka_unit_test(test_build_status),
	};
	return cmocka_run_group_tests_name("apireq", tests, NULL, NULL);
}
