/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for control/config: the shipped example pair loads and
 * matches, every validation rule reports its exact "file:line: field:
 * message", edge values are accepted, secrets are checked and wiped, and
 * hostile documents (huge, deep, aliased) fail cleanly. No EAL needed.
 *
 * Files: the group setup makes a private folder (mkdtemp) with the secret
 * files the configurations name, each with an explicit mode (git keeps no
 * modes), and copies configs/site-[ab].yaml into it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "control/config.h"
#include "control/config_priv.h"
#include "dataplane/wire.h"
#include "tests/unit/testenv.h"
#include "tests/unit/testfs.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The config's enums carry the wire values (config.h says so). */
_Static_assert((int)L2X_CONFIG_ALG_AES256GCM16 == (int)L2X_AEAD_AES256GCM,
	       "alg");
_Static_assert((int)L2X_CONFIG_ALG_CHACHA20POLY1305 ==
		   (int)L2X_AEAD_CHACHA20POLY1305,
	       "alg");
_Static_assert((int)L2X_CONFIG_ENCAP_GRE == (int)L2X_ENCAP_GRE, "encap");
_Static_assert((int)L2X_CONFIG_ENCAP_VXLAN == (int)L2X_ENCAP_VXLAN, "encap");
_Static_assert(L2X_CONFIG_KEY_LEN == L2X_ESP_KEY_LEN + L2X_ESP_SALT_LEN, "key");

static char dir[64];	       /* the private folder */
static struct l2x_config *cfg; /* big: kept off the stack */
static struct l2x_config *cfg2;

/* Key files: A's outbound key is B's inbound one and the reverse. */
#define KEY_OUT_HEX                                                        \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" \
	"a0a1a2a3"
#define KEY_IN_HEX                                          \
	"f0 e1 d2 c3 b4 a5 96 87 78 69 5a 4b 3c 2d 1e 0f\n" \
	"FF EE DD CC BB AA 99 88 77 66 55 44 33 22 11 00\n" \
	"\t01020304"

/* ---- files -------------------------------------------------------------- */

static void put_file(const char *rel, const char *text, size_t len, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void put(const char *rel, const char *text, mode_t mode)
{
	put_file(rel, text, strlen(text), mode);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(L2X_CONFIG_FILE_MAX + 1);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, L2X_CONFIG_FILE_MAX, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void copy_example(const char *name)
{
	char src[512];
	size_t len;
	char *text;

	snprintf(src, sizeof(src), "%s/configs/%s", L2X_SRCDIR, name);
	text = read_all(src, &len);
	put_file(name, text, len, 0644);
	free(text);
}

static int setup(void **state)
{
	static char big[600];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/l2x-config-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	cfg = calloc(1, sizeof(*cfg));
	cfg2 = calloc(1, sizeof(*cfg2));
	if (cfg == NULL || cfg2 == NULL)
		return -1;
	if (mkdir(strcat(strcpy(big, dir), "/secrets"), 0700) != 0)
		return -1;
	put("secrets/psk", "c2VjcmV0LXByZS1zaGFyZWQta2V5Cg==\n", 0600);
	put("secrets/psk-0640", "x\n", 0640);
	put("secrets/psk-0604", "x\n", 0604);
	put("secrets/psk-0400", "x\n", 0400);
	put("secrets/sa-out.key", KEY_OUT_HEX "\n", 0600);
	put("secrets/sa-in.key", KEY_IN_HEX "\r\n", 0600);
	put("secrets/sa-0644.key", KEY_OUT_HEX, 0644);
	put("secrets/bad-char.key",
	    "01234g6789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	    "01234567",
	    0600);
	put("secrets/short.key",
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "a0a1a2",
	    0600);
	put("secrets/long.key", KEY_OUT_HEX "a4", 0600);
	put("secrets/zero.key",
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "01020304",
	    0600);
	memset(big, '0', sizeof(big));
	put_file("secrets/big.key", big, sizeof(big), 0600);
	put("secrets/cert.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
	put("secrets/ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
	put("secrets/key.pem", "-----BEGIN PRIVATE KEY-----\n", 0600);
	put("secrets/key-0640.pem", "-----BEGIN PRIVATE KEY-----\n", 0640);
	copy_example("site-a.yaml");
	copy_example("site-b.yaml");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(cfg);
	free(cfg2);
	return l2x_test_rmtree(dir);
}

/* ---- the base documents ------------------------------------------------- */

/* Line numbers matter: the expected messages below quote them. */
static const char base_ike[] =
    /*  1 */
    "appliance: { name: ne-a, role: initiator }\n"
    /*  2 */ "dataplane:\n"
    /*  3 */ "  lcores: { main: 0, workers: [1, 2] }\n"
    /*  4 */ "  memory_mb: 256\n"
    /*  5 */ "  no_huge: true\n"
    /*  6 */ "  control_socket: /run/l2x/ne-a.sock\n"
    /*  7 */ "ports:\n"
    /*  8 */ "  lan: { device: \"net_af_packet0,iface=lan0\", mode: trunk }\n"
    /*  9 */ "  uplink: { device: \"net_af_packet1,iface=wan0\", "
    "address: 198.18.1.2/24, gateway: 198.18.1.1, mtu: 1500 }\n"
    /* 10 */ "peer:\n"
    /* 11 */ "  address: 198.18.2.2\n"
    /* 12 */ "  local_id: ne-a\n"
    /* 13 */ "  remote_id: ne-b\n"
    /* 14 */ "  auth: { psk_file: secrets/psk }\n"
    /* 15 */ "  ike_proposals: aes256gcm16-prfsha256-x25519\n"
    /* 16 */ "  esp_proposals: aes256gcm16, chacha20poly1305\n"
    /* 17 */ "  ike_lifetime: 3600\n"
    /* 18 */ "  child_lifetime: 1200\n"
    /* 19 */ "  dpd_delay: 10\n"
    /* 20 */ "  replay_window: 1024\n"
    /* 21 */ "tunnel: { encap: gre, inner_local: 169.254.100.1, "
    "inner_remote: 169.254.100.2 }\n"
    /* 22 */ "bridge: { aging: 300, mac_limit: 4096 }\n"
    /* 23 */ "networks:\n"
    /* 24 */ "  - { name: web, vlan: 100, tunnel_id: 5001, "
    "gateway: 198.19.100.1/24, gateway_side: local, mss_clamp: auto }\n"
    /* 25 */ "  - { name: db, vlan: 200, tunnel_id: 5002, mac_limit: 1024 }\n";

/* The same with static SAs instead of IKE authentication (line 14). */
static const char base_static_tail[] =
    /* 26 */
    "static_sas:\n"
    /* 27 */ "  - { direction: out, spi: 0x00001001, alg: aes256gcm16, "
    "key_file: secrets/sa-out.key }\n"
    /* 28 */ "  - { direction: in, spi: 0x00002001, alg: chacha20poly1305, "
    "key_file: secrets/sa-in.key }\n";

enum { IKE, STATIC };

/* base with every substitution applied: each `from` must occur exactly
 * once. A NULL from leaves the document to `to` alone. */
struct subst {
	const char *from, *to;
};

static char *build(int base, const struct subst *s, size_t ns, int caseno)
{
	char *doc = malloc(L2X_CONFIG_FILE_MAX);
	size_t cap = L2X_CONFIG_FILE_MAX;

	assert_non_null(doc);
	snprintf(doc, cap, "%s", base_ike);
	if (base == STATIC) {
		char *auth = strstr(doc, "  auth: { psk_file: secrets/psk }");

		memcpy(auth, "  # static SAs: no auth          ", 33);
		strncat(doc, base_static_tail, cap - strlen(doc) - 1);
	}
	for (size_t i = 0; i < ns && s[i].to != NULL; i++) {
		char *at, *tail;

		if (s[i].from == NULL) {
			snprintf(doc, cap, "%s", s[i].to);
			continue;
		}
		at = strstr(doc, s[i].from);
		if (at == NULL || strstr(at + 1, s[i].from) != NULL)
			fail_msg("case %d: '%s' is not in the base exactly "
				 "once",
				 caseno, s[i].from);
		tail = strdup(at + strlen(s[i].from));
		assert_non_null(tail);
		snprintf(at, cap - (size_t)(at - doc), "%s%s", s[i].to, tail);
		free(tail);
	}
	return doc;
}

static int parse_doc(const char *doc, size_t len, struct l2x_config *out,
		     struct l2x_config_err *err)
{
	return l2x_config_parse("t.yaml", doc, len, dir, out, err);
}

/* ---- bad configurations: exact messages --------------------------------- */

struct bad {
	int base;
	struct subst s[2];
	const char *msg; /* the whole message */
};

#define NAME32 "abcdefghijklmnopqrstuvwxyz012345"
#define SOCK108                                                         \
	"/run/l2x/"                                                     \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.s"

static const struct bad bad_cases[] = {
    /* integers: range, junk, sign, leading zeros, overflow */
    {IKE,
     {{"vlan: 200", "vlan: 4095"}},
     "t.yaml:25: networks[1].vlan: 4095 is outside 1..4094"},
    {IKE,
     {{"vlan: 200", "vlan: 0"}},
     "t.yaml:25: networks[1].vlan: 0 is outside 1..4094"},
    {IKE,
     {{"vlan: 200", "vlan: -1"}},
     "t.yaml:25: networks[1].vlan: -1 is outside 1..4094"},
    {IKE,
     {{"vlan: 200", "vlan: 12x"}},
     "t.yaml:25: networks[1].vlan: '12x' is not an integer"},
    {IKE,
     {{"vlan: 200", "vlan: 1.5"}},
     "t.yaml:25: networks[1].vlan: '1.5' is not an integer"},
    {IKE,
     {{"vlan: 200", "vlan: ''"}},
     "t.yaml:25: networks[1].vlan: '' is not an integer"},
    {IKE,
     {{"vlan: 200", "vlan: 0x"}},
     "t.yaml:25: networks[1].vlan: '0x' is not an integer"},
    {IKE,
     {{"vlan: 200", "vlan: -0"}},
     "t.yaml:25: networks[1].vlan: '-0' is not an integer"},
    {IKE,
     {{"vlan: 200", "vlan: 0200"}},
     "t.yaml:25: networks[1].vlan: '0200' has a leading zero (decimal, "
     "or 0x for hexadecimal)"},
    {IKE,
     {{"vlan: 200", "vlan: 99999999999999999999999"}},
     "t.yaml:25: networks[1].vlan: 99999999999999999999999 is outside "
     "1..4094"},
    {IKE,
     {{"vlan: 200", "vlan: 0x1000"}},
     "t.yaml:25: networks[1].vlan: 0x1000 is outside 1..4094"},
    /* networks: duplicates, ids, VXLAN's 24 bits */
    {IKE,
     {{"vlan: 200", "vlan: 100"}},
     "t.yaml:25: networks[1].vlan: 100 is already used by networks[0] "
     "(web)"},
    {IKE,
     {{"tunnel_id: 5002", "tunnel_id: 5001"}},
     "t.yaml:25: networks[1].tunnel_id: 5001 is already used by "
     "networks[0] (web)"},
    {IKE,
     {{"name: db", "name: web"}},
     "t.yaml:25: networks[1].name: 'web' is already used by networks[0]"},
    /* the first earlier network that collides wins, then name, vlan,
     * tunnel id: the last collides with db by name, with x by VLAN, but
     * first with web by tunnel id */
    {IKE,
     {{"mac_limit: 1024 }", "mac_limit: 1024 }\n"
			    "  - { name: x, vlan: 300, tunnel_id: 5003 }\n"
			    "  - { name: db, vlan: 300, tunnel_id: 5001 }"}},
     "t.yaml:27: networks[3].tunnel_id: 5001 is already used by "
     "networks[0] (web)"},
    {IKE,
     {{"mac_limit: 1024 }", "mac_limit: 1024 }\n"
			    "  - { name: x, vlan: 300, tunnel_id: 5003 }\n"
			    "  - { name: y, vlan: 100, tunnel_id: 5003 }"}},
     "t.yaml:27: networks[3].vlan: 100 is already used by networks[0] "
     "(web)"},
    {IKE,
     {{"mac_limit: 1024 }", "mac_limit: 1024 }\n"
			    "  - { name: x, vlan: 300, tunnel_id: 5003 }\n"
			    "  - { name: db, vlan: 400, tunnel_id: 5003 }"}},
     "t.yaml:27: networks[3].name: 'db' is already used by networks[1]"},
    {IKE,
     {{"tunnel_id: 5002", "tunnel_id: 0"}},
     "t.yaml:25: networks[1].tunnel_id: 0 is outside 1..4294967295"},
    {IKE,
     {{"tunnel_id: 5002", "tunnel_id: 4294967296"}},
     "t.yaml:25: networks[1].tunnel_id: 4294967296 is outside "
     "1..4294967295"},
    {IKE,
     {{"encap: gre", "encap: vxlan"},
      {"tunnel_id: 5002", "tunnel_id: 16777216"}},
     "t.yaml:25: networks[1].tunnel_id: 16777216 is outside 1..16777215 "
     "(a VXLAN VNI has 24 bits)"},
    /* IPv4 addresses and prefixes */
    {IKE,
     {{"address: 198.18.2.2", "address: 198.18.2.256"}},
     "t.yaml:11: peer.address: '198.18.2.256' is not an IPv4 address"},
    {IKE,
     {{"address: 198.18.2.2", "address: 198.18.02.2"}},
     "t.yaml:11: peer.address: '198.18.02.2' is not an IPv4 address"},
    {IKE,
     {{"address: 198.18.2.2", "address: 198.18.2.2x"}},
     "t.yaml:11: peer.address: '198.18.2.2x' is not an IPv4 address"},
    {IKE,
     {{"address: 198.18.2.2", "address: 198.18.2"}},
     "t.yaml:11: peer.address: '198.18.2' is not an IPv4 address"},
    {IKE,
     {{"address: 198.18.2.2", "address: \" 198.18.2.2\""}},
     "t.yaml:11: peer.address: ' 198.18.2.2' is not an IPv4 address"},
    {IKE,
     {{"address: 198.18.2.2", "address: 198.18.2.2/24"}},
     "t.yaml:11: peer.address: '198.18.2.2/24' is not an IPv4 address"},
    {IKE,
     {{"address: 198.18.2.2", "address: 224.0.0.5"}},
     "t.yaml:11: peer.address: 224.0.0.5 is not a unicast address"},
    {IKE,
     {{"address: 198.18.2.2", "address: 127.0.0.1"}},
     "t.yaml:11: peer.address: 127.0.0.1 is not a unicast address"},
    {IKE,
     {{"address: 198.18.2.2", "address: 255.255.255.255"}},
     "t.yaml:11: peer.address: 255.255.255.255 is not a unicast address"},
    {IKE,
     {{"198.18.1.2/24", "198.18.1.2/33"}},
     "t.yaml:9: ports.uplink.address: '198.18.1.2/33': prefix length 33 "
     "is outside 1..32"},
    {IKE,
     {{"198.18.1.2/24", "198.18.1.2/0"}},
     "t.yaml:9: ports.uplink.address: '198.18.1.2/0': prefix length 0 is "
     "outside 1..32"},
    {IKE,
     {{"198.18.1.2/24", "198.18.1.2/024"}},
     "t.yaml:9: ports.uplink.address: '198.18.1.2/024' has a bad prefix "
     "length (1..32)"},
    {IKE,
     {{"198.18.1.2/24", "198.18.1.2/2x"}},
     "t.yaml:9: ports.uplink.address: '198.18.1.2/2x' has a bad prefix "
     "length (1..32)"},
    {IKE,
     {{"198.18.1.2/24", "198.18.1.2/"}},
     "t.yaml:9: ports.uplink.address: '198.18.1.2/' has a bad prefix "
     "length (1..32)"},
    {IKE,
     {{"198.18.1.2/24", "198.18.1.2"}},
     "t.yaml:9: ports.uplink.address: '198.18.1.2' needs a prefix length "
     "(ADDRESS/1..32)"},
    {IKE,
     {{"198.18.1.2/24", "198.18.1.0/24"}},
     "t.yaml:9: ports.uplink.address: '198.18.1.0/24' is the network "
     "address of its subnet"},
    {IKE,
     {{"198.19.100.1/24", "198.19.100.255/24"}},
     "t.yaml:24: networks[0].gateway: '198.19.100.255/24' is the "
     "broadcast address of its subnet"},
    {IKE,
     {{"198.19.100.1/24", "0.19.100.1/24"}},
     "t.yaml:24: networks[0].gateway: 0.19.100.1 is not a unicast "
     "address"},
    /* the uplink gateway and the peer */
    {IKE,
     {{"gateway: 198.18.1.1", "gateway: 198.18.3.1"}},
     "t.yaml:9: ports.uplink.gateway: 198.18.3.1 is outside the uplink "
     "subnet 198.18.1.0/24"},
    {IKE,
     {{"gateway: 198.18.1.1", "gateway: 198.18.1.2"}},
     "t.yaml:9: ports.uplink.gateway: 198.18.1.2 is the uplink's own "
     "address"},
    {IKE,
     {{"gateway: 198.18.1.1", "gateway: 198.18.1.255"}},
     "t.yaml:9: ports.uplink.gateway: 198.18.1.255 is the broadcast "
     "address of the uplink subnet 198.18.1.0/24"},
    {IKE,
     {{"address: 198.18.2.2", "address: 198.18.1.2"}},
     "t.yaml:11: peer.address: 198.18.1.2 is this appliance's uplink "
     "address"},
    {IKE,
     {{", gateway: 198.18.1.1", ""}},
     "t.yaml:11: peer.address: 198.18.2.2 is outside the uplink subnet "
     "198.18.1.0/24 and ports.uplink has no gateway"},
    {IKE,
     {{"inner_remote: 169.254.100.2", "inner_remote: 169.254.100.1"}},
     "t.yaml:21: tunnel.inner_remote: 169.254.100.1 is also inner_local"},
    /* MTU */
    {IKE,
     {{"mtu: 1500", "mtu: 575"}},
     "t.yaml:9: ports.uplink.mtu: 575 is outside 576..9216"},
    {IKE,
     {{"mtu: 1500", "mtu: 9217"}},
     "t.yaml:9: ports.uplink.mtu: 9217 is outside 576..9216"},
    /* algorithms and encapsulation */
    {IKE,
     {{"aes256gcm16, chacha20poly1305", "aes256gcm16, aes128gcm16"}},
     "t.yaml:16: peer.esp_proposals[1]: 'aes128gcm16' is not one of: "
     "aes256gcm16, chacha20poly1305"},
    {IKE,
     {{"aes256gcm16, chacha20poly1305", "[aes256gcm16, aes256gcm16]"}},
     "t.yaml:16: peer.esp_proposals[1]: 'aes256gcm16' repeats "
     "peer.esp_proposals[0]"},
    {IKE,
     {{"aes256gcm16, chacha20poly1305", "chacha20poly1305 , "
					"chacha20poly1305"}},
     "t.yaml:16: peer.esp_proposals[1]: 'chacha20poly1305' repeats "
     "peer.esp_proposals[0]"},
    {IKE,
     {{"aes256gcm16, chacha20poly1305", "''"}},
     "t.yaml:16: peer.esp_proposals: empty list, expected 1..2 entries"},
    {IKE,
     {{"aes256gcm16, chacha20poly1305", "[]"}},
     "t.yaml:16: peer.esp_proposals: empty list, expected 1..2 entries"},
    {IKE,
     {{"aes256gcm16, chacha20poly1305", "aes256gcm16,"}},
     "t.yaml:16: peer.esp_proposals[1]: empty entry"},
    {IKE,
     {{"aes256gcm16, chacha20poly1305", "',aes256gcm16'"}},
     "t.yaml:16: peer.esp_proposals[0]: empty entry"},
    {IKE,
     {{"aes256gcm16, chacha20poly1305", "aes256gcm16, chacha20poly1305, "
					"aes256gcm16"}},
     "t.yaml:16: peer.esp_proposals: has 3 entries, expected 1..2"},
    {IKE,
     {{"aes256gcm16, chacha20poly1305", "{ a: 1 }"}},
     "t.yaml:16: peer.esp_proposals: expected a sequence or a "
     "comma-separated string, got a mapping"},
    {STATIC,
     {{"alg: chacha20poly1305", "alg: aes128cbc"}},
     "t.yaml:28: static_sas[1].alg: 'aes128cbc' is not one of: "
     "aes256gcm16, chacha20poly1305"},
    {IKE,
     {{"encap: gre", "encap: ipip"}},
     "t.yaml:21: tunnel.encap: 'ipip' is not one of: gre, vxlan"},
    {IKE,
     {{"encap: gre", "encap: GRE"}},
     "t.yaml:21: tunnel.encap: 'GRE' is not one of: gre, vxlan"},
    {IKE,
     {{"ike_proposals: aes256gcm16-prfsha256-x25519",
       "ike_proposals: aes256gcm16--x25519"}},
     "t.yaml:15: peer.ike_proposals: 'aes256gcm16--x25519' has an empty "
     "word (a '-' or ',' at an end or next to another)"},
    {IKE,
     {{"ike_proposals: aes256gcm16-prfsha256-x25519", "ike_proposals: AES256"}},
     "t.yaml:15: peer.ike_proposals: 'AES256' has a character outside "
     "[a-z0-9_] words joined by '-' and ','"},
    /* per-network options */
    {IKE,
     {{"mss_clamp: auto", "mss_clamp: 535"}},
     "t.yaml:24: networks[0].mss_clamp: 535 is outside 536..9176 (or "
     "auto, off)"},
    {IKE,
     {{"mss_clamp: auto", "mss_clamp: 9177"}},
     "t.yaml:24: networks[0].mss_clamp: 9177 is outside 536..9176 (or "
     "auto, off)"},
    {IKE,
     {{"mss_clamp: auto", "mss_clamp: maybe"}},
     "t.yaml:24: networks[0].mss_clamp: 'maybe' is not an integer (or "
     "auto, off)"},
    {IKE,
     {{"gateway_side: local", "gateway_side: middle"}},
     "t.yaml:24: networks[0].gateway_side: 'middle' is not one of: local, "
     "remote"},
    {IKE,
     {{", gateway_side: local", ""}},
     "t.yaml:24: networks[0].gateway_side: missing (required with "
     "gateway)"},
    {IKE,
     {{"mac_limit: 1024 }", "mac_limit: 1024, gateway_side: remote }"}},
     "t.yaml:25: networks[1].gateway_side: given without a gateway"},
    {IKE,
     {{"mac_limit: 1024 }", "mac_limit: 0 }"}},
     "t.yaml:25: networks[1].mac_limit: 0 is outside 1..16777216"},
    {IKE,
     {{"mac_limit: 4096", "mac_limit: 16777217"}},
     "t.yaml:22: bridge.mac_limit: 16777217 is outside 1..16777216"},
    {IKE,
     {{"mac_limit: 4096", "mac_limit: 4096, mac_table_size: 1023"}},
     "t.yaml:22: bridge.mac_table_size: 1023 is outside 1024..16777216"},
    {IKE,
     {{"mac_limit: 4096", "mac_limit: 4096, mac_table_size: 16777217"}},
     "t.yaml:22: bridge.mac_table_size: 16777217 is outside "
     "1024..16777216"},
    {IKE,
     {{"aging: 300", "aging: 9"}},
     "t.yaml:22: bridge.aging: 9 is outside 10..1000000"},
    {IKE,
     {{"aging: 300", "aging: 300, bum_pps: 100000001"}},
     "t.yaml:22: bridge.bum_pps: 100000001 is outside 0..100000000"},
    {IKE,
     {{"mac_limit: 1024 }", "mac_limit: 1024, bum_pps: -1 }"}},
     "t.yaml:25: networks[1].bum_pps: -1 is outside 0..100000000"},
    {IKE,
     {{"mode: trunk", "mode: access"}},
     "t.yaml:8: ports.lan.mode: access carries at most one network, "
     "networks has 2"},
    {IKE,
     {{"mode: trunk", "mode: hybrid"}},
     "t.yaml:8: ports.lan.mode: 'hybrid' is not one of: trunk, access"},
    /* static SAs */
    {STATIC,
     {{"spi: 0x00001001", "spi: 255"}},
     "t.yaml:27: static_sas[0].spi: 255 is outside 256..4294967295"},
    {STATIC,
     {{"spi: 0x00001001", "spi: 0x100000000"}},
     "t.yaml:27: static_sas[0].spi: 0x100000000 is outside "
     "256..4294967295"},
    {STATIC,
     {{"direction: in, spi: 0x00002001", "direction: out, spi: 4097"}},
     "t.yaml:28: static_sas[1].spi: 0x00001001 is already used by "
     "static_sas[0] (direction out)"},
    {STATIC,
     {{"direction: in,", "direction: out,"}},
     "t.yaml:27: static_sas: need at least one SA per direction (in: 0, "
     "out: 2)"},
    {STATIC,
     {{"direction: in,", "direction: both,"}},
     "t.yaml:28: static_sas[1].direction: 'both' is not one of: in, out"},
    {STATIC,
     {{"# static SAs: no auth          ", "auth: { psk_file: "
					  "secrets/psk }"}},
     "t.yaml:27: static_sas: not with peer.auth (line 14): static SAs "
     "replace IKE"},
    {IKE,
     {{"  auth: { psk_file: secrets/psk }", "  # no auth"}},
     "t.yaml:11: peer.auth: missing (required unless static_sas are "
     "given)"},
    {IKE,
     {{"  - { name: db", "static_sas: []\nfoo:\n  - { name: db"}},
     "t.yaml:26: foo: unknown key (allowed here: appliance, dataplane, "
     "ports, peer, tunnel, bridge, networks, static_sas)"},
    /* names and strings */
    {IKE,
     {{"name: ne-a", "name: " NAME32}},
     "t.yaml:1: appliance.name: '" NAME32 "' has 32 characters, expected "
     "1..31"},
    {IKE,
     {{"name: db", "name: \"d b\""}},
     "t.yaml:25: networks[1].name: 'd b' has a character outside "
     "[A-Za-z0-9_.-]"},
    {IKE,
     {{"name: db", "name: \"d\\0b\""}},
     "t.yaml:25: networks[1].name: 'd\\x00b' has a character outside "
     "[A-Za-z0-9_.-]"},
    {IKE,
     {{"name: ne-a", "name: ''"}},
     "t.yaml:1: appliance.name: empty value, expected 1..31 characters"},
    {IKE,
     {{"local_id: ne-a", "local_id: \"a\\tb\""}},
     "t.yaml:12: peer.local_id: 'a\\x09b' has a character outside "
     "printable ASCII"},
    {IKE,
     {{"role: initiator", "role: server"}},
     "t.yaml:1: appliance.role: 'server' is not one of: initiator, "
     "responder"},
    {IKE,
     {{"\"net_af_packet0,iface=lan0\"", "\"\""}},
     "t.yaml:8: ports.lan.device: empty value, expected 1..255 "
     "characters"},
    {IKE,
     {{"\"net_af_packet0,iface=lan0\"", "\"net af\""}},
     "t.yaml:8: ports.lan.device: 'net af' has a character outside "
     "printable ASCII without spaces"},
    /* dataplane */
    {IKE,
     {{"workers: [1, 2]", "workers: [1, 1]"}},
     "t.yaml:3: dataplane.lcores.workers[1]: '1' repeats "
     "dataplane.lcores.workers[0]"},
    {IKE,
     {{"workers: [1, 2]", "workers: [2, 0]"}},
     "t.yaml:3: dataplane.lcores.workers[1]: 0 is the main lcore"},
    {IKE,
     {{"lcores: { main: 0, workers: [1, 2] }", "lcores: { main: 1 }"}},
     "t.yaml:3: dataplane.lcores.main: 1 is the default worker lcore "
     "(workers: [1]); give workers"},
    {IKE,
     {{"workers: [1, 2]", "workers: []"}},
     "t.yaml:3: dataplane.lcores.workers: empty list, expected 1..16 "
     "entries"},
    {IKE,
     {{"workers: [1, 2]",
       "workers: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]"}},
     "t.yaml:3: dataplane.lcores.workers: has 17 entries, expected 1..16"},
    {IKE,
     {{"workers: [1, 2]", "workers: [1, x]"}},
     "t.yaml:3: dataplane.lcores.workers[1]: 'x' is not an integer"},
    {IKE,
     {{"workers: [1, 2]", "workers: [[1]]"}},
     "t.yaml:3: dataplane.lcores.workers[0]: expected an integer, got a "
     "sequence"},
    {IKE,
     {{"main: 0", "main: 128"}},
     "t.yaml:3: dataplane.lcores.main: 128 is outside 0..127"},
    {IKE,
     {{"memory_mb: 256", "memory_mb: 63"}},
     "t.yaml:4: dataplane.memory_mb: 63 is outside 64..65536"},
    {IKE,
     {{"memory_mb: 256", "memory_mb: 65537"}},
     "t.yaml:4: dataplane.memory_mb: 65537 is outside 64..65536"},
    {IKE,
     {{"no_huge: true", "no_huge: yes"}},
     "t.yaml:5: dataplane.no_huge: 'yes' is not true or false"},
    {IKE,
     {{"/run/l2x/ne-a.sock", "run/ne-a.sock"}},
     "t.yaml:6: dataplane.control_socket: 'run/ne-a.sock' is not an "
     "absolute path"},
    {IKE,
     {{"/run/l2x/ne-a.sock", SOCK108}},
     "t.yaml:6: dataplane.control_socket: "
     "'/run/l2x/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' has 108 "
     "characters, expected 1..107"},
    /* IKE timers */
    {IKE,
     {{"replay_window: 1024", "replay_window: 4097"}},
     "t.yaml:20: peer.replay_window: 4097 is outside 0..4096"},
    {IKE,
     {{"ike_lifetime: 3600", "ike_lifetime: 59"}},
     "t.yaml:17: peer.ike_lifetime: 59 is outside 60..86400"},
    {IKE,
     {{"child_lifetime: 1200", "child_lifetime: 12x"}},
     "t.yaml:18: peer.child_lifetime: '12x' is not an integer"},
    {IKE,
     {{"child_lifetime: 1200", "child_lifetime: 9"}},
     "t.yaml:18: peer.child_lifetime: 9 is outside 10..86400"},
    {IKE,
     {{"dpd_delay: 10", "dpd_delay: 3601"}},
     "t.yaml:19: peer.dpd_delay: 3601 is outside 0..3600"},
    /* secret and other files */
    {IKE,
     {{"secrets/psk", "secrets/nope"}},
     "t.yaml:14: peer.auth.psk_file: secrets/nope: No such file or "
     "directory"},
    {IKE,
     {{"secrets/psk", "secrets"}},
     "t.yaml:14: peer.auth.psk_file: secrets is not a regular file"},
    {IKE,
     {{"secrets/psk", "secrets/psk-0640"}},
     "t.yaml:14: peer.auth.psk_file: secrets/psk-0640 is mode 0640, must "
     "not be accessible by group or others (chmod 600)"},
    {IKE,
     {{"secrets/psk", "secrets/psk-0604"}},
     "t.yaml:14: peer.auth.psk_file: secrets/psk-0604 is mode 0604, must "
     "not be accessible by group or others (chmod 600)"},
    {IKE,
     {{"secrets/psk", "''"}},
     "t.yaml:14: peer.auth.psk_file: empty value, expected 1..255 "
     "characters"},
    {STATIC,
     {{"secrets/sa-out.key", "secrets/sa-0644.key"}},
     "t.yaml:27: static_sas[0].key_file: secrets/sa-0644.key is mode "
     "0644, must not be accessible by group or others (chmod 600)"},
    {STATIC,
     {{"secrets/sa-in.key", "secrets/none.key"}},
     "t.yaml:28: static_sas[1].key_file: secrets/none.key: No such file "
     "or directory"},
    {STATIC,
     {{"secrets/sa-in.key", "secrets"}},
     "t.yaml:28: static_sas[1].key_file: secrets is not a regular file"},
    {STATIC,
     {{"secrets/sa-in.key", "secrets/bad-char.key"}},
     "t.yaml:28: static_sas[1].key_file: secrets/bad-char.key has a byte "
     "that is neither a hex digit nor white space (offset 5)"},
    {STATIC,
     {{"secrets/sa-in.key", "secrets/short.key"}},
     "t.yaml:28: static_sas[1].key_file: secrets/short.key holds 70 hex "
     "digits, expected 72 (32-byte key and 4-byte salt)"},
    {STATIC,
     {{"secrets/sa-in.key", "secrets/long.key"}},
     "t.yaml:28: static_sas[1].key_file: secrets/long.key holds 74 hex "
     "digits, expected 72 (32-byte key and 4-byte salt)"},
    {STATIC,
     {{"secrets/sa-in.key", "secrets/zero.key"}},
     "t.yaml:28: static_sas[1].key_file: secrets/zero.key holds an "
     "all-zero key"},
    {STATIC,
     {{"secrets/sa-in.key", "secrets/big.key"}},
     "t.yaml:28: static_sas[1].key_file: secrets/big.key is larger than "
     "511 bytes, not a key file"},
    {STATIC,
     {{"secrets/sa-in.key", "secrets/psk"}},
     "t.yaml:28: static_sas[1].key_file: secrets/psk has a byte that is "
     "neither a hex digit nor white space (offset 2)"},
    {IKE,
     {{"{ psk_file: secrets/psk }", "{ psk_file: secrets/psk, cert: "
				    "secrets/cert.pem }"}},
     "t.yaml:14: peer.auth.cert: not with psk_file: give psk_file, or "
     "cert, key and ca"},
    {IKE,
     {{"{ psk_file: secrets/psk }", "{}"}},
     "t.yaml:14: peer.auth: give psk_file, or cert, key and ca"},
    {IKE,
     {{"{ psk_file: secrets/psk }", "{ cert: secrets/cert.pem, key: "
				    "secrets/key.pem }"}},
     "t.yaml:14: peer.auth.ca: missing (cert, key and ca go together)"},
    {IKE,
     {{"{ psk_file: secrets/psk }",
       "{ cert: secrets/cert.pem, key: secrets/key-0640.pem, ca: "
       "secrets/ca.pem }"}},
     "t.yaml:14: peer.auth.key: secrets/key-0640.pem is mode 0640, must "
     "not be accessible by group or others (chmod 600)"},
    {IKE,
     {{"{ psk_file: secrets/psk }",
       "{ cert: secrets/nocert.pem, key: secrets/key.pem, ca: "
       "secrets/ca.pem }"}},
     "t.yaml:14: peer.auth.cert: secrets/nocert.pem: No such file or "
     "directory"},
    /* keys: unknown, duplicate, missing */
    {IKE,
     {{"  - { name: db", "extra: 1\n  - { name: db"}},
     "t.yaml:26: yaml: mapping values are not allowed in this context"},
    {IKE,
     {{"bridge: {", "extra: 1\nbridge: {"}},
     "t.yaml:22: extra: unknown key (allowed here: appliance, dataplane, "
     "ports, peer, tunnel, bridge, networks, static_sas)"},
    {IKE,
     {{"vlan: 100,", "vlann: 100,"}},
     "t.yaml:24: networks[0].vlann: unknown key (allowed here: name, vlan, "
     "tunnel_id, gateway, gateway_side, mss_clamp, mac_limit, bum_pps)"},
    {IKE,
     {{"main: 0", "mian: 0"}},
     "t.yaml:3: dataplane.lcores.mian: unknown key (allowed here: main, "
     "workers)"},
    {IKE,
     {{"psk_file:", "pskfile:"}},
     "t.yaml:14: peer.auth.pskfile: unknown key (allowed here: psk_file, "
     "cert, key, ca)"},
    {IKE,
     {{"  memory_mb: 256", "  \"mem\\x01\": 256"}},
     "t.yaml:4: dataplane.mem\\x01: unknown key (allowed here: lcores, "
     "memory_mb, no_huge, control_socket)"},
    {IKE,
     {{"bridge: {", "bridge: { '': 1,"}},
     "t.yaml:22: bridge.'': unknown key (allowed here: aging, mac_limit, "
     "bum_pps, mac_table_size)"},
    {IKE,
     {{"networks:", "bridge: { aging: 10 }\nnetworks:"}},
     "t.yaml:23: bridge: duplicate key (first at line 22)"},
    {IKE,
     {{"vlan: 100,", "vlan: 100, vlan: 101,"}},
     "t.yaml:24: networks[0].vlan: duplicate key (first at line 24)"},
    {IKE,
     {{"tunnel: {", "# no tunnel: {"}},
     "t.yaml:1: tunnel: missing (required)"},
    {IKE,
     {{"vlan: 100, ", ""}},
     "t.yaml:24: networks[0].vlan: missing (required)"},
    {IKE,
     {{"  uplink: {", "  # uplink: {"}},
     "t.yaml:8: ports.uplink: missing (required)"},
    /* node types */
    {IKE,
     {{"appliance: { name: ne-a, role: initiator }",
       "appliance: [ne-a, initiator]"}},
     "t.yaml:1: appliance: expected a mapping, got a sequence"},
    {IKE,
     {{"vlan: 100,", "vlan: { a: 1 },"}},
     "t.yaml:24: networks[0].vlan: expected an integer, got a mapping"},
    {IKE,
     {{"role: initiator", "role: [initiator]"}},
     "t.yaml:1: appliance.role: expected one of: initiator, responder, got "
     "a sequence"},
    {IKE,
     {{"workers: [1, 2]", "workers: { a: 1 }"}},
     "t.yaml:3: dataplane.lcores.workers: expected a sequence, got a "
     "mapping"},
    {IKE,
     {{"bridge: { aging: 300, mac_limit: 4096 }", "bridge: 300"}},
     "t.yaml:22: bridge: expected a mapping, got '300'"},
    {IKE,
     {{"bridge: { aging: 300, mac_limit: 4096 }", "bridge:"}},
     "t.yaml:22: bridge: expected a mapping, got an empty value"},
    {IKE,
     {{"  - { name: db, vlan: 200, tunnel_id: 5002, mac_limit: 1024 }",
       "  - db"}},
     "t.yaml:25: networks[1]: expected a mapping, got 'db'"},
    {IKE,
     {{"networks:\n  - ", "networks: web\n#  - "},
      {"\n  - { name: db", "\n#  - { name: db"}},
     "t.yaml:23: networks: expected a sequence, got 'web'"},
    {IKE,
     {{"bridge: { aging: 300, mac_limit: 4096 }", "bridge: { [a]: 1 }"}},
     "t.yaml:22: bridge: a key is a sequence, keys are words"},
    {IKE,
     {{"no_huge: true", "no_huge: { a: 1 }"}},
     "t.yaml:5: dataplane.no_huge: expected true or false, got a mapping"},
    {IKE,
     {{"198.18.2.2\n", "[198.18.2.2]\n"}},
     "t.yaml:11: peer.address: expected an IPv4 address, got a sequence"},
    /* the document */
    {IKE, {{NULL, ""}}, "t.yaml:1: document: file is empty"},
    {IKE,
     {{NULL, "# only a comment\n\n"}},
     "t.yaml:1: document: file is empty"},
    {IKE,
     {{NULL, "- a\n- b\n"}},
     "t.yaml:1: document: expected a mapping, got a sequence"},
    {IKE,
     {{NULL, "hello\n"}},
     "t.yaml:1: document: expected a mapping, got 'hello'"},
    {IKE,
     {{NULL, "---\n"}},
     "t.yaml:2: document: expected a mapping, got an empty value"},
    {IKE,
     {{"mac_limit: 1024 }\n", "mac_limit: 1024 }\n---\nfoo: 1\n"}},
     "t.yaml:26: document: more than one YAML document"},
    {IKE,
     {{"mac_limit: 1024 }\n", "mac_limit: 1024 }\n---\nfoo: [\n"}},
     "t.yaml:28: yaml: did not find expected node content (while parsing "
     "a flow node at line 28)"},
    {IKE,
     {{"mac_limit: 1024 }", "mac_limit: 1024"}},
     "t.yaml:26: yaml: did not find expected ',' or '}' (while parsing a "
     "flow mapping at line 25)"},
    {IKE,
     {{"  memory_mb: 256", "\tmemory_mb: 256"}},
     "t.yaml:4: yaml: found character that cannot start any token (while "
     "scanning for the next token at line 4)"},
    {IKE,
     {{"name: ne-a", "name: \"ne-a"}},
     "t.yaml:8: yaml: did not find expected ',' or '}' (while parsing a "
     "flow mapping at line 1)"},
    {IKE,
     {{"vlan: 100", "vlan: *nope"}},
     "t.yaml:24: yaml: found undefined alias"},
    {IKE,
     {{"name: db", "name: d\xff"}},
     "t.yaml:25: yaml: invalid leading UTF-8 octet (byte 0xff)"},
    {IKE,
     {{"name: db", "name: d\x01"}},
     "t.yaml:25: yaml: control characters are not allowed (byte 0x01)"},
};

static void test_bad_configs(void **state)
{
	struct l2x_config_err err;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad *b = &bad_cases[i];
		char *doc = build(b->base, b->s, ARRAY_SIZE(b->s), (int)i);
		int rc;

		memset(&err, 0x5a, sizeof(err));
		rc = parse_doc(doc, strlen(doc), cfg, &err);
		if (rc != -EINVAL || strcmp(err.msg, b->msg) != 0)
			fail_msg("case %zu: rc %d\n  got:  %s\n  want: %s", i,
				 rc, err.msg, b->msg);
		if (err.line == 0 || strstr(err.msg, ":") == NULL)
			fail_msg("case %zu: no line", i);
		/* a failed load leaves nothing behind, keys least of all */
		if (!sodium_is_zero((const unsigned char *)cfg, sizeof(*cfg)))
			fail_msg("case %zu: config not wiped", i);
		free(doc);
	}
}

/* ---- good configurations: edges, defaults ------------------------------- */

#define CFG_AT(m) \
	offsetof(struct l2x_config, m), sizeof(((struct l2x_config *)0)->m)

struct good {
	int base;
	struct subst s[2];
	size_t off, size; /* a value to look at */
	uint64_t want;
};

static const struct good good_cases[] = {
    {IKE, {{"vlan: 200", "vlan: 1"}}, CFG_AT(networks[1].vlan), 1},
    {IKE, {{"vlan: 200", "vlan: 4094"}}, CFG_AT(networks[1].vlan), 4094},
    {IKE, {{"vlan: 200", "vlan: 0xffe"}}, CFG_AT(networks[1].vlan), 4094},
    {IKE, {{"vlan: 200", "vlan: \"300\""}}, CFG_AT(networks[1].vlan), 300},
    {IKE, {{"mtu: 1500", "mtu: 576"}}, CFG_AT(ports.uplink.mtu), 576},
    {IKE, {{"mtu: 1500", "mtu: 9216"}}, CFG_AT(ports.uplink.mtu), 9216},
    {IKE,
     {{"tunnel_id: 5002", "tunnel_id: 4294967295"}},
     CFG_AT(networks[1].tunnel_id),
     4294967295u},
    {IKE,
     {{"encap: gre", "encap: vxlan"},
      {"tunnel_id: 5002", "tunnel_id: 16777215"}},
     CFG_AT(networks[1].tunnel_id),
     16777215},
    {IKE,
     {{"encap: gre", "encap: vxlan"}},
     CFG_AT(tunnel.encap),
     L2X_CONFIG_ENCAP_VXLAN},
    {IKE,
     {{"mss_clamp: auto", "mss_clamp: off"}},
     CFG_AT(networks[0].mss_clamp),
     L2X_CONFIG_MSS_OFF},
    {IKE,
     {{"mss_clamp: auto", "mss_clamp: 536"}},
     CFG_AT(networks[0].mss_clamp),
     536},
    {IKE,
     {{"mss_clamp: auto", "mss_clamp: 9176"}},
     CFG_AT(networks[0].mss_clamp),
     9176},
    {IKE,
     {{"gateway_side: local", "gateway_side: remote"}},
     CFG_AT(networks[0].gateway_side),
     L2X_CONFIG_GW_REMOTE},
    {IKE,
     {{"198.19.100.1/24", "198.19.100.7/32"}},
     CFG_AT(networks[0].gateway.len),
     32},
    {IKE,
     {{"198.18.1.2/24", "198.18.1.2/31"},
      {"gateway: 198.18.1.1", "gateway: 198.18.1.3"}},
     CFG_AT(ports.uplink.gateway),
     0xc6120103},
    {IKE,
     {{", gateway: 198.18.1.1", ""},
      {"address: 198.18.2.2", "address: 198.18.1.9"}},
     CFG_AT(ports.uplink.gateway),
     0},
    {IKE,
     {{"replay_window: 1024", "replay_window: 0"}},
     CFG_AT(peer.replay_window),
     0},
    {IKE,
     {{"replay_window: 1024", "replay_window: 4096"}},
     CFG_AT(peer.replay_window),
     4096},
    {IKE, {{"dpd_delay: 10", "dpd_delay: 0"}}, CFG_AT(peer.dpd_delay), 0},
    {IKE, {{"main: 0", "main: 127"}}, CFG_AT(dataplane.lcores.main), 127},
    {IKE,
     {{"workers: [1, 2]", "workers: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]"}},
     CFG_AT(dataplane.lcores.n_workers),
     16},
    {IKE,
     {{"memory_mb: 256", "memory_mb: 65536"}},
     CFG_AT(dataplane.memory_mb),
     65536},
    {IKE, {{"no_huge: true", "no_huge: false"}}, CFG_AT(dataplane.no_huge), 0},
    {IKE,
     {{"aes256gcm16, chacha20poly1305", "[chacha20poly1305]"}},
     CFG_AT(peer.esp[0]),
     L2X_CONFIG_ALG_CHACHA20POLY1305},
    {IKE,
     {{"aes256gcm16, chacha20poly1305", "chacha20poly1305,aes256gcm16"}},
     CFG_AT(peer.esp[1]),
     L2X_CONFIG_ALG_AES256GCM16},
    {IKE,
     {{"aes256gcm16, chacha20poly1305", "aes256gcm16"}},
     CFG_AT(peer.n_esp),
     1},
    {IKE,
     {{"mac_limit: 1024", "mac_limit: 16777216"}},
     CFG_AT(networks[1].mac_limit),
     16777216},
    {IKE,
     {{"mac_limit: 1024", "mac_limit: 1024, bum_pps: 0"}},
     CFG_AT(networks[1].bum_pps),
     0},
    {IKE,
     {{"aging: 300", "aging: 300, bum_pps: 500"}},
     CFG_AT(networks[0].bum_pps),
     500},
    {IKE,
     {{"aging: 300", "aging: 300, bum_pps: 100000000"}},
     CFG_AT(bridge.bum_pps),
     100000000},
    {IKE,
     {{"role: initiator", "role: responder"}},
     CFG_AT(appliance.role),
     L2X_CONFIG_ROLE_RESPONDER},
    {IKE,
     {{"mode: trunk", "mode: access"},
      {"  - { name: db, vlan: 200, tunnel_id: 5002, mac_limit: 1024 }\n", ""}},
     CFG_AT(ports.lan.mode),
     L2X_CONFIG_LAN_ACCESS},
    /* networks are optional: an appliance with nothing extended yet */
    {IKE,
     {{"networks:\n  - ", "networks: []\n#  - "},
      {"\n  - { name: db", "\n#  - { name: db"}},
     CFG_AT(n_networks),
     0},
    {IKE,
     {{"networks:\n  - ", "#  - "}, {"\n  - { name: db", "\n#  - { name: db"}},
     CFG_AT(n_networks),
     0},
    {IKE,
     {{"mode: trunk", "mode: access"},
      {"networks:\n  - { name: web, vlan: 100, tunnel_id: 5001, "
       "gateway: 198.19.100.1/24, gateway_side: local, mss_clamp: auto }\n"
       "  - { name: db, vlan: 200, tunnel_id: 5002, mac_limit: 1024 }\n",
       ""}},
     CFG_AT(n_networks),
     0},
    {IKE,
     {{"{ psk_file: secrets/psk }",
       "{ cert: secrets/cert.pem, key: secrets/key.pem, ca: secrets/ca.pem }"}},
     CFG_AT(peer.auth.kind),
     L2X_CONFIG_AUTH_CERT},
    {IKE,
     {{"secrets/psk", "secrets/psk-0400"}},
     CFG_AT(peer.auth.kind),
     L2X_CONFIG_AUTH_PSK},
    {STATIC,
     {{"spi: 0x00002001", "spi: 0x00001001"}},
     CFG_AT(static_sas[1].spi),
     0x1001}, /* same SPI, other direction */
    {STATIC, {{"spi: 0x00001001", "spi: 256"}}, CFG_AT(static_sas[0].spi), 256},
    {STATIC,
     {{"spi: 0x00001001", "spi: 0xFFFFFFFF"}},
     CFG_AT(static_sas[0].spi),
     0xffffffff},
};

static uint64_t value_at(const struct l2x_config *c, size_t off, size_t size)
{
	const char *p = (const char *)c + off;

	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		return *(const uint16_t *)p;
	case 4:
		return *(const uint32_t *)p;
	default:
		return *(const uint64_t *)p;
	}
}

static void test_good_configs(void **state)
{
	struct l2x_config_err err;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good_cases); i++) {
		const struct good *g = &good_cases[i];
		char *doc = build(g->base, g->s, ARRAY_SIZE(g->s), (int)i);
		int rc = parse_doc(doc, strlen(doc), cfg, &err);

		if (rc != 0)
			fail_msg("case %zu: rc %d: %s", i, rc, err.msg);
		if (value_at(cfg, g->off, g->size) != g->want)
			fail_msg(
			    "case %zu: got %llu, want %llu", i,
			    (unsigned long long)value_at(cfg, g->off, g->size),
			    (unsigned long long)g->want);
		l2x_config_free(cfg);
		free(doc);
	}
}

/* Optional sections left out take the documented defaults. */
static void test_defaults(void **state)
{
	static const char doc[] =
	    "appliance: { name: ne-min, role: responder }\n"
	    "ports:\n"
	    "  lan: { device: 0000:03:00.0 }\n"
	    "  uplink: { device: 0000:03:00.1, address: 198.18.7.2/30 }\n"
	    "peer: { address: 198.18.7.1, auth: { psk_file: secrets/psk } }\n"
	    "tunnel: { inner_local: 169.254.0.1, inner_remote: 169.254.0.2 }\n"
	    "networks:\n"
	    "  - { name: n1, vlan: 1, tunnel_id: 1 }\n"
	    "  - { name: n2, vlan: 2, tunnel_id: 2, mac_limit: 7 }\n";
	struct l2x_config_err err;
	char path[128];
	int rc;

	(void)state;
	rc = parse_doc(doc, sizeof(doc) - 1, cfg, &err);
	if (rc != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg->dataplane.lcores.main, 0);
	assert_int_equal(cfg->dataplane.lcores.n_workers, 1);
	assert_int_equal(cfg->dataplane.lcores.workers[0], 1);
	assert_int_equal(cfg->dataplane.memory_mb, 256);
	assert_false(cfg->dataplane.no_huge);
	assert_string_equal(cfg->dataplane.control_socket,
			    "/run/l2x/ne-min.sock");
	assert_int_equal(cfg->ports.lan.mode, L2X_CONFIG_LAN_TRUNK);
	assert_string_equal(cfg->ports.lan.device, "0000:03:00.0");
	assert_int_equal(cfg->ports.uplink.address.addr, 0xc6120702);
	assert_int_equal(cfg->ports.uplink.address.len, 30);
	assert_int_equal(cfg->ports.uplink.gateway, 0);
	assert_int_equal(cfg->ports.uplink.mtu, 1500);
	assert_string_equal(cfg->peer.local_id, "");
	assert_string_equal(cfg->peer.remote_id, "");
	assert_int_equal(cfg->peer.auth.kind, L2X_CONFIG_AUTH_PSK);
	snprintf(path, sizeof(path), "%s/secrets/psk", dir);
	assert_string_equal(cfg->peer.auth.psk_file, path);
	assert_string_equal(cfg->peer.ike_proposals,
			    "aes256gcm16-prfsha256-x25519");
	assert_int_equal(cfg->peer.n_esp, 2);
	assert_int_equal(cfg->peer.esp[0], L2X_CONFIG_ALG_AES256GCM16);
	assert_int_equal(cfg->peer.esp[1], L2X_CONFIG_ALG_CHACHA20POLY1305);
	assert_int_equal(cfg->peer.ike_lifetime, 3600);
	assert_int_equal(cfg->peer.child_lifetime, 1200);
	assert_int_equal(cfg->peer.dpd_delay, 10);
	assert_int_equal(cfg->peer.replay_window, 1024);
	assert_int_equal(cfg->tunnel.encap, L2X_CONFIG_ENCAP_GRE);
	assert_int_equal(cfg->bridge.aging, 300);
	assert_int_equal(cfg->bridge.mac_limit, 4096);
	assert_int_equal(cfg->n_networks, 2);
	assert_int_equal(cfg->networks[0].mac_limit, 4096);
	assert_int_equal(cfg->networks[0].mss_clamp, L2X_CONFIG_MSS_AUTO);
	assert_int_equal(cfg->networks[0].gateway.len, 0);
	assert_int_equal(cfg->networks[0].gateway_side, L2X_CONFIG_GW_NONE);
	assert_int_equal(cfg->networks[0].line, 8);
	assert_int_equal(cfg->networks[1].mac_limit, 7);
	assert_int_equal(cfg->bridge.bum_pps, 20000);
	assert_int_equal(cfg->bridge.mac_table_size, 65536);
	assert_int_equal(cfg->networks[0].bum_pps, 20000);
	assert_int_equal(cfg->networks[1].bum_pps, 20000);
	assert_int_equal(cfg->networks[1].line, 9);
	assert_int_equal(cfg->n_static_sas, 0);
	l2x_config_free(cfg);
}

/* ---- the shipped example pair ------------------------------------------- */

static void load_example(const char *name, struct l2x_config *out)
{
	struct l2x_config_err err;
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (l2x_config_load(path, out, &err) != 0)
		fail_msg("%s", err.msg);
}

static const struct l2x_config_network *by_vlan(const struct l2x_config *c,
						uint16_t vlan)
{
	for (uint32_t i = 0; i < c->n_networks; i++)
		if (c->networks[i].vlan == vlan)
			return &c->networks[i];
	return NULL;
}

static void test_examples_pair(void **state)
{
	const struct l2x_config *a = cfg, *b = cfg2;
	bool common_esp = false;

	(void)state;
	load_example("site-a.yaml", cfg);
	load_example("site-b.yaml", cfg2);
	assert_int_equal(a->appliance.role, L2X_CONFIG_ROLE_INITIATOR);
	assert_int_equal(b->appliance.role, L2X_CONFIG_ROLE_RESPONDER);
	/* each side's peer is the other's uplink, IKE ids mirror */
	assert_int_equal(a->peer.address, b->ports.uplink.address.addr);
	assert_int_equal(b->peer.address, a->ports.uplink.address.addr);
	assert_string_equal(a->peer.local_id, b->peer.remote_id);
	assert_string_equal(b->peer.local_id, a->peer.remote_id);
	assert_int_equal(a->peer.auth.kind, b->peer.auth.kind);
	/* uplinks in 198.18.0.0/15 */
	assert_int_equal(a->ports.uplink.address.addr & 0xfffe0000u,
			 0xc6120000u);
	assert_int_equal(b->ports.uplink.address.addr & 0xfffe0000u,
			 0xc6120000u);
	/* inner endpoints mirror, in 169.254.0.0/16, same encapsulation */
	assert_int_equal(a->tunnel.inner_local, b->tunnel.inner_remote);
	assert_int_equal(a->tunnel.inner_remote, b->tunnel.inner_local);
	assert_int_equal(a->tunnel.inner_local, 0xa9fe6401u);
	assert_int_equal(a->tunnel.inner_remote, 0xa9fe6402u);
	assert_int_equal(a->tunnel.encap, b->tunnel.encap);
	for (uint32_t i = 0; i < a->peer.n_esp; i++)
		for (uint32_t j = 0; j < b->peer.n_esp; j++)
			common_esp |= a->peer.esp[i] == b->peer.esp[j];
	assert_true(common_esp);
	assert_int_equal(a->peer.replay_window, b->peer.replay_window);
	/* the same networks, one gateway owner each */
	assert_int_equal(a->n_networks, 2);
	assert_int_equal(a->n_networks, b->n_networks);
	for (uint32_t i = 0; i < a->n_networks; i++) {
		const struct l2x_config_network *na = &a->networks[i];
		const struct l2x_config_network *nb = by_vlan(b, na->vlan);

		assert_non_null(nb);
		assert_string_equal(na->name, nb->name);
		assert_int_equal(na->tunnel_id, nb->tunnel_id);
		assert_int_equal(na->gateway.addr, nb->gateway.addr);
		assert_int_equal(na->gateway.len, nb->gateway.len);
		if (na->gateway.len != 0)
			assert_int_equal(na->gateway_side + nb->gateway_side,
					 L2X_CONFIG_GW_LOCAL +
					     L2X_CONFIG_GW_REMOTE);
	}
	assert_int_equal(by_vlan(a, 100)->tunnel_id, 5001);
	assert_int_equal(by_vlan(a, 200)->tunnel_id, 5002);
	assert_int_equal(by_vlan(a, 100)->gateway.addr, 0xc6136401u);
	assert_int_equal(by_vlan(a, 100)->gateway_side, L2X_CONFIG_GW_LOCAL);
	l2x_config_free(cfg);
	l2x_config_free(cfg2);
}

/* Static SAs: A's outbound SAs are B's inbound ones, keys included, and
 * the keys are the bytes of the key files. */
static void test_static_pair(void **state)
{
	static const char tail_b[] =
	    "static_sas:\n"
	    "  - { direction: in, spi: 0x00001001, alg: aes256gcm16, "
	    "key_file: secrets/sa-out.key }\n"
	    "  - { direction: out, spi: 0x00002001, alg: chacha20poly1305, "
	    "key_file: secrets/sa-in.key }\n";
	struct l2x_config_err err;
	uint8_t kout[L2X_CONFIG_KEY_LEN], kin[L2X_CONFIG_KEY_LEN];
	char *doc_a = build(STATIC, NULL, 0, 0), *doc_b;
	size_t cut;

	(void)state;
	/* B: A's document with the SA list mirrored */
	doc_b = build(STATIC, NULL, 0, 0);
	cut = (size_t)(strstr(doc_b, "static_sas:\n") - doc_b);
	snprintf(doc_b + cut, L2X_CONFIG_FILE_MAX - cut, "%s", tail_b);
	if (parse_doc(doc_a, strlen(doc_a), cfg, &err) != 0)
		fail_msg("A: %s", err.msg);
	if (parse_doc(doc_b, strlen(doc_b), cfg2, &err) != 0)
		fail_msg("B: %s", err.msg);
	assert_int_equal(l2x_test_hex(KEY_OUT_HEX, kout, sizeof(kout)),
			 sizeof(kout));
	assert_int_equal(l2x_test_hex(KEY_IN_HEX, kin, sizeof(kin)),
			 sizeof(kin));
	assert_int_equal(cfg->peer.auth.kind, L2X_CONFIG_AUTH_NONE);
	assert_int_equal(cfg->n_static_sas, 2);
	assert_int_equal(cfg->static_sas[0].direction, L2X_CONFIG_DIR_OUT);
	assert_int_equal(cfg->static_sas[0].spi, 0x1001);
	assert_int_equal(cfg->static_sas[0].alg, L2X_CONFIG_ALG_AES256GCM16);
	assert_int_equal(cfg->static_sas[0].line, 27);
	assert_int_equal(
	    sodium_memcmp(cfg->static_sas[0].key, kout, sizeof(kout)), 0);
	assert_int_equal(
	    sodium_memcmp(cfg->static_sas[1].key, kin, sizeof(kin)), 0);
	for (uint32_t i = 0; i < cfg->n_static_sas; i++) {
		const struct l2x_config_static_sa *sa = &cfg->static_sas[i];
		bool found = false;

		for (uint32_t j = 0; j < cfg2->n_static_sas; j++) {
			const struct l2x_config_static_sa *sb2 =
			    &cfg2->static_sas[j];

			if (sb2->spi != sa->spi)
				continue;
			found = true;
			assert_int_not_equal(sb2->direction, sa->direction);
			assert_int_equal(sb2->alg, sa->alg);
			assert_int_equal(
			    sodium_memcmp(sb2->key, sa->key, sizeof(sa->key)),
			    0);
		}
		assert_true(found);
	}
	/* free wipes every byte, the keys with them */
	l2x_config_free(cfg);
	assert_true(sodium_is_zero((const unsigned char *)cfg, sizeof(*cfg)));
	l2x_config_free(cfg2);
	l2x_config_free(NULL);
	free(doc_a);
	free(doc_b);
}

/* ---- files, names, API edges -------------------------------------------- */

static void test_load_files(void **state)
{
	struct l2x_config_err err;
	char path[128], *doc = build(IKE, NULL, 0, 0);
	int rc;

	(void)state;
	/* not there, not a file */
	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	assert_int_equal(l2x_config_load(path, cfg, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "missing.yaml: cannot read: No such "
					"file or directory"));
	assert_int_equal(err.line, 0);
	assert_int_equal(l2x_config_load(dir, cfg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, ": cannot read: not a regular file"));
	/* relative secrets follow the file's folder, not the cwd */
	snprintf(path, sizeof(path), "%s/t.yaml", dir);
	put("t.yaml", doc, 0644);
	assert_int_equal(chdir("/"), 0);
	rc = l2x_config_load(path, cfg, &err);
	if (rc != 0)
		fail_msg("%s", err.msg);
	snprintf(path, sizeof(path), "%s/secrets/psk", dir);
	assert_string_equal(cfg->peer.auth.psk_file, path);
	l2x_config_free(cfg);
	/* parse with base_dir NULL: name's folder */
	snprintf(path, sizeof(path), "%s/t.yaml", dir);
	assert_int_equal(
	    l2x_config_parse(path, doc, strlen(doc), NULL, cfg, &err), 0);
	l2x_config_free(cfg);
	/* ... and "." without a folder in the name: cwd is /, no secrets */
	assert_int_equal(
	    l2x_config_parse("t.yaml", doc, strlen(doc), NULL, cfg, &err),
	    -EINVAL);
	assert_string_equal(err.msg, "t.yaml:14: peer.auth.psk_file: "
				     "secrets/psk: No such file or directory");
	/* an error in the file, through load: message names the path */
	put("t.yaml", "appliance: 1\n", 0644);
	snprintf(path, sizeof(path), "%s/t.yaml", dir);
	assert_int_equal(l2x_config_load(path, cfg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "/t.yaml:1: appliance: expected a "
					"mapping, got '1'"));
	assert_int_equal(err.line, 1);
	/* err may be NULL; out may not */
	assert_int_equal(l2x_config_parse("t.yaml", "x: 1", 4, dir, cfg, NULL),
			 -EINVAL);
	assert_int_equal(l2x_config_parse("t.yaml", "x: 1", 4, dir, NULL, &err),
			 -EINVAL);
	assert_int_equal(l2x_config_parse("t.yaml", NULL, 0, dir, cfg, &err),
			 -EINVAL);
	assert_string_equal(err.msg, "t.yaml:1: document: file is empty");
	free(doc);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(l2x_config_alg_name(L2X_CONFIG_ALG_AES256GCM16),
			    "aes256gcm16");
	assert_string_equal(
	    l2x_config_alg_name(L2X_CONFIG_ALG_CHACHA20POLY1305),
	    "chacha20poly1305");
	assert_string_equal(l2x_config_alg_name((enum l2x_config_alg)12), "?");
	assert_string_equal(l2x_config_encap_name(L2X_CONFIG_ENCAP_VXLAN),
			    "vxlan");
	assert_string_equal(l2x_config_role_name(L2X_CONFIG_ROLE_RESPONDER),
			    "responder");
	assert_string_equal(l2x_config_lan_mode_name(L2X_CONFIG_LAN_ACCESS),
			    "access");
	assert_string_equal(l2x_config_gw_side_name(L2X_CONFIG_GW_NONE),
			    "none");
	assert_string_equal(l2x_config_gw_side_name(L2X_CONFIG_GW_REMOTE),
			    "remote");
	assert_string_equal(l2x_config_dir_name(L2X_CONFIG_DIR_OUT), "out");
}

/* Every table is consistent with the struct it writes. */
static void check_table(const struct l2x_cfg_table *t, size_t obj_size,
			unsigned depth)
{
	assert_true(depth < 6);
	assert_true(t->n >= 1 && t->n <= CFG_FIELDS_MAX);
	for (unsigned i = 0; i < t->n; i++) {
		const struct l2x_cfg_field *f = &t->f[i];

		assert_non_null(f->key);
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(f->key, t->f[j].key);
		assert_true(f->off + f->size <= obj_size);
		switch (f->type) {
		case CFG_MAP:
			assert_non_null(f->map);
			check_table(f->map, f->size, depth + 1);
			break;
		case CFG_LIST:
			assert_non_null(f->elem);
			assert_true(f->lo <= f->hi);
			assert_true(f->hi * f->elem->size == f->size);
			assert_true(f->aux + sizeof(uint32_t) <= obj_size);
			if (f->elem->type == CFG_MAP)
				check_table(f->elem->map, f->elem->size,
					    depth + 1);
			else
				assert_true(f->elem->size == 4);
			break;
		case CFG_INT:
			assert_true(f->size == 1 || f->size == 2 ||
				    f->size == 4 || f->size == 8);
			assert_true(f->lo <= f->hi);
			assert_true(f->size == 8 ||
				    f->hi < (1ull << (8 * f->size)));
			break;
		case CFG_ENUM:
			assert_int_equal(f->size, 4);
			assert_non_null(f->words);
			break;
		case CFG_STR:
		case CFG_SOCKET:
			assert_true(f->lo <= f->hi && f->hi < f->size);
			break;
		case CFG_KEYFILE:
			assert_true(f->aux + L2X_CONFIG_KEY_LEN <= obj_size);
			assert_int_equal(f->size, L2X_CONFIG_PATH_LEN);
			break;
		case CFG_SECRET:
		case CFG_FILE:
			assert_int_equal(f->size, L2X_CONFIG_PATH_LEN);
			break;
		case CFG_BOOL:
			assert_int_equal(f->size, sizeof(bool));
			break;
		case CFG_IPV4:
			assert_int_equal(f->size, 4);
			break;
		case CFG_PREFIX:
			assert_int_equal(f->size,
					 sizeof(struct l2x_config_prefix));
			break;
		default:
			fail_msg("field %s: type %d", f->key, f->type);
		}
	}
}

static void test_schema_tables(void **state)
{
	(void)state;
	check_table(l2x_cfg_schema(), sizeof(struct l2x_config), 0);
}

/* ---- hostile documents -------------------------------------------------- */

static int parse_big(const char *doc, size_t len, struct l2x_config_err *err)
{
	return l2x_config_parse("t.yaml", doc, len, dir, cfg, err);
}

static void test_hostile(void **state)
{
	struct l2x_config_err err;
	char *doc = malloc(L2X_CONFIG_FILE_MAX + 2), *p;
	size_t n, head;
	int rc;

	(void)state;
	assert_non_null(doc);
	/* larger than the limit */
	memset(doc, '#', L2X_CONFIG_FILE_MAX + 1);
	assert_int_equal(parse_big(doc, L2X_CONFIG_FILE_MAX + 1, &err),
			 -EINVAL);
	assert_string_equal(err.msg, "t.yaml:1: document: file is larger than "
				     "2097152 bytes");

	/* nested 200000 deep where a list is expected */
	n = (size_t)snprintf(doc, 64, "networks: ");
	memset(doc + n, '[', 200000);
	n += 200000;
	memset(doc + n, ']', 50000);
	n += 50000;
	rc = parse_big(doc, n, &err);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err.msg, "t.yaml:1: yaml: flow collections nested "
				     "deeper than 64 levels");

	/* ... and deep but well-formed: refused before libyaml, whose
	 * scanner is quadratic in the depth (minutes for these) */
	n = (size_t)snprintf(doc, 64, "appliance: ");
	memset(doc + n, '[', 100000);
	memset(doc + n + 100000, ']', 100000);
	n += 200000;
	rc = parse_big(doc, n, &err);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err.msg, "t.yaml:1: yaml: flow collections nested "
				     "deeper than 64 levels");
	/* 64 levels reach the schema, which refuses them by type; 65 do not,
	 * on the line of the 65th; quoted and commented brackets do not
	 * count */
	n = (size_t)snprintf(doc, 64, "appliance: ");
	memset(doc + n, '[', 64);
	memset(doc + n + 64, ']', 64);
	n += 128;
	assert_int_equal(parse_big(doc, n, &err), -EINVAL);
	assert_string_equal(err.msg, "t.yaml:1: appliance: expected a "
				     "mapping, got a sequence");
	n = (size_t)snprintf(doc, 64, "# [[[[\nappliance: ");
	memset(doc + n, '[', 64);
	n += 64;
	n += (size_t)snprintf(doc + n, 64, "'[[[', \"{{\\\"{\", x'y\n[");
	assert_int_equal(parse_big(doc, n, &err), -EINVAL);
	assert_string_equal(err.msg, "t.yaml:3: yaml: flow collections nested "
				     "deeper than 64 levels");

	/* 4095 networks: refused before any is read; 4094 (every VLAN)
	 * load, each with every key given, under the file size limit */
	p = build(IKE, NULL, 0, 0);
	head = (size_t)(strstr(p, "  - { name: web") - p);
	memcpy(doc, p, head);
	free(p);
	n = head;
	for (unsigned i = 0; i < L2X_CONFIG_NETWORKS_MAX + 1; i++)
		n += (size_t)snprintf(
		    doc + n, 192,
		    "  - { name: network-%04u, vlan: %u, tunnel_id: %u, "
		    "gateway: 198.19.%u.%u/22, gateway_side: local, "
		    "mss_clamp: 1400, mac_limit: 4096, bum_pps: 20000 }\n",
		    i, i % 4094 + 1, 70000 + i, (i / 250) % 250, i % 250 + 1);
	assert_int_equal(parse_big(doc, n, &err), -EINVAL);
	assert_string_equal(err.msg, "t.yaml:24: networks: has 4095 entries, "
				     "expected 0..4094");
	n = (size_t)(strstr(doc + head, "  - { name: network-4094") - doc);
	assert_true(n < L2X_CONFIG_FILE_MAX);
	rc = parse_big(doc, n, &err);
	if (rc != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg->n_networks, 4094);
	assert_int_equal(cfg->networks[4093].vlan, 4094);
	assert_int_equal(cfg->networks[4093].tunnel_id, 70000 + 4093);
	assert_int_equal(cfg->networks[4093].line, 24 + 4093);
	l2x_config_free(cfg);
	/* the 4094th's VLAN is the first's: found at once, named */
	memcpy(strstr(doc + head, "vlan: 4094,"), "vlan: 1,   ", 11);
	assert_int_equal(parse_big(doc, n, &err), -EINVAL);
	assert_string_equal(err.msg, "t.yaml:4117: networks[4093].vlan: 1 is "
				     "already used by networks[0] "
				     "(network-0000)");

	/* a mapping of 20000 keys: the first unknown one ends it */
	n = 0;
	for (unsigned i = 0; i < 20000; i++)
		n += (size_t)snprintf(doc + n, 32, "k%u: %u\n", i, i);
	assert_int_equal(parse_big(doc, n, &err), -EINVAL);
	assert_string_equal(err.msg,
			    "t.yaml:1: k0: unknown key (allowed here: "
			    "appliance, dataplane, ports, peer, tunnel, "
			    "bridge, networks, static_sas)");

	/* aliases: a "billion laughs" is a small tree in libyaml, and the
	 * walk only follows the schema */
	p = build(IKE, NULL, 0, 0);
	head = (size_t)(strstr(p, "networks:") - p);
	memcpy(doc, p, head);
	free(p);
	n = head + (size_t)snprintf(doc + head, 64,
				    "networks: [&a [x, x, x, x, x, x, x, x]");
	for (char c = 'b'; c <= 'z'; c++)
		n += (size_t)snprintf(doc + n, 128,
				      ", &%c [*%c, *%c, *%c, *%c, *%c, *%c]", c,
				      c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	n += (size_t)snprintf(doc + n, 8, "]\n");
	assert_int_equal(parse_big(doc, n, &err), -EINVAL);
	assert_string_equal(err.msg, "t.yaml:23: networks[0]: expected a "
				     "mapping, got a sequence");
	/* a network that is itself, through an alias */
	n = (size_t)snprintf(doc, L2X_CONFIG_FILE_MAX,
			     "networks: &n [*n, *n]\n");
	rc = parse_big(doc, n, &err);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err.msg, "t.yaml:1: "));

	/* a 100 kB value: quoted short in the message */
	p = build(IKE, NULL, 0, 0);
	n = (size_t)(strstr(p, ", role") - p);
	memcpy(doc, p, n);
	memset(doc + n, 'x', 100000);
	n += 100000;
	n += (size_t)snprintf(doc + n, L2X_CONFIG_FILE_MAX - n, "%s",
			      strstr(p, ", role"));
	free(p);
	assert_int_equal(parse_big(doc, n, &err), -EINVAL);
	assert_string_equal(
	    err.msg, "t.yaml:1: appliance.name: "
		     "'ne-axxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' "
		     "has 100004 characters, expected 1..31");
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schema_tables),
	    cmocka_unit_test(test_examples_pair),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_good_configs),
	    cmocka_unit_test(test_bad_configs),
	    cmocka_unit_test(test_static_pair),
	    cmocka_unit_test(test_load_files),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
