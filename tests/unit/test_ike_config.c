/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ipsec/ike/ike_config.[ch]: an appliance configuration goes
 * in (control/config.h, parsed from YAML), and the test reads what charon
 * gets back through charon->backends, as charon's own IKE code does:
 * the IKEv2 ike_cfg (addresses, ports, IKE proposals), the peer_cfg
 * (identities, authentication, lifetimes with their jitter, DPD, unique
 * replace, keyingtries, MOBIKE), the child_cfg (ESP proposals with ESN
 * preference, lifetimes and packet limits, traffic selectors per encap,
 * replay window, start/DPD/close actions per role) and the credentials in
 * lib->credmgr. Then the refusals: each leaves the running peer_cfg and
 * key in place and names the source; and re-applying: an unchanged
 * configuration gives the same settings, a changed one the new ones.
 *
 * libstrongswan and libcharon run in this process (ike_testenv.h);
 * charon is never started, so nothing is initiated or sent.
 */
#include <daemon.h>
#include <library.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "control/config.h"
#include "ipsec/ike/ike_config.h"
#include "tests/unit/ike_testenv.h"

#define SRC "site.yaml" /* the source named in messages */
#define PSK_TEXT "l2x unit test: ike_config's key"
#define PSK2_TEXT "l2x unit test: the next key, 2nd"
#define NAME "ne-a"
#define LOCAL "198.18.1.2"
#define PEER "198.18.2.2"
#define INNER_L "169.254.100.1"
#define INNER_R "169.254.100.2"
#define IKE_P1 "aes256gcm16-prfsha256-x25519"
#define IKE_P2 "chacha20poly1305-prfsha512-ecp256"

static const char base_yaml[] =
    "appliance: { name: " NAME ", role: initiator }\n"
    "ports:\n"
    "  lan: { device: \"net_af_packet0,iface=lan0\" }\n"
    "  uplink: { device: \"net_af_packet1,iface=wan0\", "
    "address: " LOCAL "/24, gateway: 198.18.1.1 }\n"
    "peer:\n"
    "  address: " PEER "\n"
    "  local_id: ne-a\n"
    "  remote_id: ne-b\n"
    "  auth: { psk_file: psk }\n"
    "  ike_proposals: " IKE_P1 "," IKE_P2 "\n"
    "  esp_proposals: chacha20poly1305, aes256gcm16\n"
    "  ike_lifetime: 3600\n"
    "  child_lifetime: 1200\n"
    "  dpd_delay: 10\n"
    "  replay_window: 1024\n"
    "tunnel: { encap: gre, inner_local: " INNER_L ", inner_remote: " INNER_R
    " }\n"
    "networks:\n"
    "  - { name: web, vlan: 100, tunnel_id: 5001 }\n";

static struct l2x_config *cfg;	  /* big: kept off the stack */
static struct l2x_ike_config *ic; /* the test's; destroyed after each */
static char err[L2X_IKE_CONFIG_ERR_LEN];

/* ---- helpers ------------------------------------------------------------- */

/* cfg = the base document, parsed against the test folder. */
static void base(void)
{
	struct l2x_config_err e;
	int rc;

	l2x_config_free(cfg);
	rc = l2x_config_parse(SRC, base_yaml, strlen(base_yaml),
			      l2x_ike_test_dir(), cfg, &e);
	if (rc != 0)
		fail_msg("base document: %s", e.msg);
}

static void put_psk(const char *text, mode_t mode)
{
	l2x_ike_test_put("psk", text, strlen(text), mode);
}

static void create(void)
{
	assert_null(ic);
	assert_int_equal(l2x_ike_config_create(&ic), 0);
	assert_non_null(ic);
}

static void apply_ok(void)
{
	int rc = l2x_ike_config_apply(ic, cfg, SRC, err, sizeof(err));

	if (rc != 0)
		fail_msg("apply: %d: %s", rc, err);
}

/* The peer_cfg charon finds by name (a reference), or NULL. */
static peer_cfg_t *by_name(const char *name)
{
	return charon->backends->get_peer_cfg_by_name(charon->backends,
						      (char *)name);
}

static peer_cfg_t *peer_ref(void)
{
	peer_cfg_t *peer = by_name(NAME);

	assert_non_null(peer);
	return peer;
}

/* The one child_cfg of peer (not a new reference). */
static child_cfg_t *child_of(peer_cfg_t *peer)
{
	child_cfg_t *child;

	assert_int_equal(
	    l2x_ike_test_drain(peer->create_child_cfg_enumerator(peer), &child),
	    1);
	return child;
}

/* The first auth_cfg of a side (not a new reference). */
static auth_cfg_t *auth_of(peer_cfg_t *peer, bool local)
{
	auth_cfg_t *auth;

	assert_int_equal(
	    l2x_ike_test_drain(peer->create_auth_cfg_enumerator(peer, local),
			       &auth),
	    1); /* one round */
	return auth;
}

/* How many peer_cfgs charon's lookup finds, the best in *first (its
 * pointer only: the reference is gone). */
static int peers(host_t *me, host_t *other, identification_t *my_id,
		 identification_t *other_id, ike_version_t version,
		 peer_cfg_t **first)
{
	return l2x_ike_test_drain(
	    charon->backends->create_peer_cfg_enumerator(
		charon->backends, me, other, my_id, other_id, version),
	    first);
}

static bool id_is(identification_t *id, const char *text, id_type_t type)
{
	identification_t *want =
	    identification_create_from_string((char *)text);
	bool same =
	    id != NULL && id->get_type(id) == type && id->equals(id, want);

	want->destroy(want);
	return same;
}

static host_t *host(const char *addr)
{
	host_t *h = host_create_from_string((char *)addr, 0);

	assert_non_null(h);
	return h;
}

static bool host_is(host_t *h, const char *addr)
{
	host_t *want = host(addr);
	bool same = h != NULL && h->ip_equals(h, want);

	want->destroy(want);
	return same;
}

/* The IKE key charon's credential manager has for ne-a <-> ne-b. */
static bool psk_is(const char *text)
{
	identification_t *me = identification_create_from_string("ne-a");
	identification_t *other = identification_create_from_string("ne-b");
	shared_key_t *key =
	    lib->credmgr->get_shared(lib->credmgr, SHARED_IKE, me, other);
	bool same = false;

	if (key != NULL) {
		chunk_t k = key->get_key(key);

		same = k.len == strlen(text) && memeq(k.ptr, text, k.len);
		key->destroy(key);
	}
	me->destroy(me);
	other->destroy(other);
	return same;
}

/* ---- setup --------------------------------------------------------------- */

static int setup(void **state)
{
	if (l2x_ike_testenv_up(state) != 0)
		return -1;
	cfg = calloc(1, sizeof(*cfg));
	return cfg != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	l2x_config_free(cfg);
	free(cfg);
	return l2x_ike_testenv_down(state);
}

/* Each test starts from the base document and its PSK. */
static int each(void **state)
{
	(void)state;
	put_psk(PSK_TEXT "\n", 0600);
	base();
	l2x_ike_test_log_clear();
	return 0;
}

/* Also after a failed test: its backend must not serve the next one. */
static int done(void **state)
{
	(void)state;
	l2x_ike_config_destroy(ic);
	ic = NULL;
	return 0;
}

/* ---- what charon gets ---------------------------------------------------- */

/* Nothing before the first apply, and nothing after destroy. */
static void test_lifecycle(void **state)
{
	peer_cfg_t *peer;

	(void)state;
	create();
	assert_null(by_name(NAME));
	assert_int_equal(
	    l2x_ike_test_drain(
		charon->backends->create_peer_cfg_enumerator(
		    charon->backends, NULL, NULL, NULL, NULL, IKE_ANY),
		&peer),
	    0);

	apply_ok();
	peer = by_name(NAME);
	assert_non_null(peer);
	assert_string_equal(peer->get_name(peer), NAME);
	peer->destroy(peer);
	assert_null(by_name("ne-b")); /* only its own name */

	l2x_ike_config_destroy(ic);
	ic = NULL;
	assert_null(by_name(NAME));
	l2x_ike_config_destroy(NULL);
}

static void test_ike_cfg(void **state)
{
	static const char *const want[] = {IKE_P1, IKE_P2};
	peer_cfg_t *peer;
	ike_cfg_t *ike, *found;
	linked_list_t *props;
	enumerator_t *e;
	proposal_t *prop;
	host_t *h, *nat, *peer_h, *me, *other_me;
	uint16_t alg, ks;
	size_t n = 0;

	(void)state;
	create();
	apply_ok();
	peer = peer_ref();
	ike = peer->get_ike_cfg(peer);
	assert_int_equal(peer->get_ike_version(peer), IKEV2);
	assert_int_equal(ike->get_version(ike), IKEV2);
	assert_string_equal(ike->get_my_addr(ike), LOCAL);
	assert_string_equal(ike->get_other_addr(ike), PEER ",%any");
	assert_int_not_equal(ike->get_my_port(ike), 0);
	assert_int_equal(ike->get_my_port(ike),
			 charon->socket->get_port(charon->socket, FALSE));
	assert_int_equal(ike->get_other_port(ike), IKEV2_UDP_PORT);
	assert_int_equal(ike->fragmentation(ike), FRAGMENTATION_YES);

	/* We initiate to peer.address and accept the peer from elsewhere
	 * (its NAT), preferring its own address. */
	h = ike->resolve_other(ike, AF_INET);
	assert_true(host_is(h, PEER));
	h->destroy(h);
	peer_h = host(PEER);
	nat = host("198.18.77.7");
	me = host(LOCAL);
	other_me = host("198.18.1.3");
	assert_true(ike->match_other(ike, nat) > 0);
	assert_true(ike->match_other(ike, peer_h) > ike->match_other(ike, nat));
	assert_true(ike->match_me(ike, me) > 0);
	assert_int_equal(ike->match_me(ike, other_me), 0);
	/* charon's lookup for an IKE_SA_INIT from the NAT address */
	found = charon->backends->get_ike_cfg(charon->backends, me, nat, IKEV2);
	assert_true(found == ike);
	found->destroy(found);
	assert_int_equal(
	    l2x_ike_test_drain(charon->backends->create_ike_cfg_enumerator(
				   charon->backends, other_me, nat, IKEV2),
			       &found),
	    0); /* not our address */

	/* IKE proposals: as configured, in order */
	props = ike->get_proposals(ike);
	e = props->create_enumerator(props);
	while (e->enumerate(e, &prop)) {
		proposal_t *w;

		assert_true(n < L2X_IKE_ARRAY_LEN(want));
		w = proposal_create_from_string(PROTO_IKE, (char *)want[n]);
		assert_non_null(w);
		L2X_IKE_CHECK(prop->equals(prop, w),
			      "IKE proposal %zu is not %s", n, want[n]);
		w->destroy(w);
		n++;
	}
	e->destroy(e);
	assert_int_equal(n, L2X_IKE_ARRAY_LEN(want));
	props->get_first(props, (void **)&prop);
	assert_true(prop->get_algorithm(prop, ENCRYPTION_ALGORITHM, &alg, &ks));
	assert_int_equal(alg, ENCR_AES_GCM_ICV16);
	assert_int_equal(ks, 256);
	assert_true(
	    prop->get_algorithm(prop, PSEUDO_RANDOM_FUNCTION, &alg, NULL));
	assert_int_equal(alg, PRF_HMAC_SHA2_256);
	assert_true(prop->get_algorithm(prop, KEY_EXCHANGE_METHOD, &alg, NULL));
	assert_int_equal(alg, CURVE_25519);
	props->destroy_offset(props, offsetof(proposal_t, destroy));

	peer_h->destroy(peer_h);
	nat->destroy(nat);
	me->destroy(me);
	other_me->destroy(other_me);
	peer->destroy(peer);
}

static void test_peer_cfg(void **state)
{
	peer_cfg_t *peer, *found = NULL;
	auth_cfg_t *auth;
	host_t *me = host(LOCAL), *nat = host("198.18.77.7");
	identification_t *my_id = identification_create_from_string("ne-a");
	identification_t *other_id = identification_create_from_string("ne-b");
	identification_t *stranger = identification_create_from_string("ne-x");

	(void)state;
	create();
	apply_ok();
	peer = peer_ref();
	assert_string_equal(peer->get_name(peer), NAME);
	assert_int_equal(peer->get_unique_policy(peer), UNIQUE_REPLACE);
	assert_int_equal(peer->get_keyingtries(peer), 0);
	assert_false(peer->use_mobike(peer));
	assert_int_equal(peer->get_dpd(peer), 10);
	assert_int_equal(peer->get_reauth_time(peer, FALSE), 0);
	assert_int_equal(peer->get_cert_policy(peer), CERT_SEND_IF_ASKED);

	/* PSK both ways, bound to the configured identities */
	auth = auth_of(peer, TRUE);
	assert_int_equal((uintptr_t)auth->get(auth, AUTH_RULE_AUTH_CLASS),
			 AUTH_CLASS_PSK);
	assert_true(
	    id_is(auth->get(auth, AUTH_RULE_IDENTITY), "ne-a", ID_FQDN));
	auth = auth_of(peer, FALSE);
	assert_int_equal((uintptr_t)auth->get(auth, AUTH_RULE_AUTH_CLASS),
			 AUTH_CLASS_PSK);
	assert_true(
	    id_is(auth->get(auth, AUTH_RULE_IDENTITY), "ne-b", ID_FQDN));
	assert_true(psk_is(PSK_TEXT));

	/* charon's lookup as a responder: from the peer's NAT address, for
	 * IDi ne-b; a stranger's IDi finds nothing */
	assert_int_equal(peers(me, nat, my_id, other_id, IKEV2, &found), 1);
	assert_true(found == peer);
	assert_int_equal(peers(me, nat, my_id, stranger, IKEV2, &found), 0);
	assert_int_equal(peers(me, nat, NULL, NULL, IKEV1, &found), 0);

	/* the configuration is logged, the key is not */
	assert_true(l2x_ike_test_log_has("l2x-ike: config 'ne-a': initiator"));
	assert_false(l2x_ike_test_log_has(PSK_TEXT));

	me->destroy(me);
	nat->destroy(nat);
	my_id->destroy(my_id);
	other_id->destroy(other_id);
	stranger->destroy(stranger);
	peer->destroy(peer);
}

/* IKE: rekey 0.9 L minus a jitter up to 0.1 L, over time 0.1 L (so no
 * IKE_SA outlives L). CHILD: hard L, rekey 0.9 L, jitter 0.1 L; packets
 * hard 4.0e9, soft 3.6e9, jitter 0.4e9; no byte limit. */
static void test_lifetimes(void **state)
{
	static const struct {
		uint32_t ike, child;
	} cases[] = {{3600, 1200}, {60, 10}, {86400, 86400}, {3610, 1210}};

	(void)state;
	create();
	for (size_t i = 0; i < L2X_IKE_ARRAY_LEN(cases); i++) {
		uint32_t L = cases[i].ike, C = cases[i].child;
		uint32_t rekey, lo = UINT32_MAX, hi = 0;
		peer_cfg_t *peer;
		child_cfg_t *child;
		lifetime_cfg_t *lt;

		cfg->peer.ike_lifetime = L;
		cfg->peer.child_lifetime = C;
		apply_ok();
		peer = peer_ref();
		rekey = peer->get_rekey_time(peer, FALSE);
		L2X_IKE_CHECK(rekey == L / 10 * 9, "case %zu: IKE rekey %u", i,
			      rekey);
		L2X_IKE_CHECK(peer->get_over_time(peer) == L / 10,
			      "case %zu: over time %u", i,
			      peer->get_over_time(peer));
		/* jitter: rekey - random() % (L / 10); 400 draws span more
		 * than half of the range (else: 2^-400) */
		for (int d = 0; d < 400; d++) {
			uint32_t t = peer->get_rekey_time(peer, TRUE);

			lo = t < lo ? t : lo;
			hi = t > hi ? t : hi;
		}
		L2X_IKE_CHECK(lo > rekey - L / 10 && hi <= rekey,
			      "case %zu: jittered rekey %u..%u", i, lo, hi);
		L2X_IKE_CHECK(lo < rekey - L / 20, "case %zu: no jitter (%u)",
			      i, lo);

		/* unjittered: the rekey points */
		child = child_of(peer);
		lt = child->get_lifetime(child, FALSE);
		L2X_IKE_CHECK(lt->time.life == C &&
				  lt->time.rekey == C - C / 10,
			      "case %zu: child time %llu/%llu", i,
			      (unsigned long long)lt->time.life,
			      (unsigned long long)lt->time.rekey);
		L2X_IKE_CHECK(lt->packets.life == 4000000000ULL &&
				  lt->packets.rekey == 3600000000ULL,
			      "case %zu: packets %llu/%llu", i,
			      (unsigned long long)lt->packets.life,
			      (unsigned long long)lt->packets.rekey);
		L2X_IKE_CHECK(lt->bytes.life == 0 && lt->bytes.rekey == 0 &&
				  lt->bytes.jitter == 0,
			      "case %zu: bytes", i);
		free(lt);
		/* jittered: the jitter ranges, and rekeys drawn in them
		 * (charon's apply_jitter() may draw one below the range) */
		lt = child->get_lifetime(child, TRUE);
		L2X_IKE_CHECK(lt->time.jitter == C / 10 &&
				  lt->packets.jitter == 400000000ULL,
			      "case %zu: jitter %llu, %llu packets", i,
			      (unsigned long long)lt->time.jitter,
			      (unsigned long long)lt->packets.jitter);
		L2X_IKE_CHECK(lt->time.rekey <= C - C / 10 &&
				  lt->time.rekey >= C - C / 10 - C / 10 - 1 &&
				  lt->packets.rekey <= 3600000000ULL &&
				  lt->packets.rekey >= 3200000000ULL - 1 &&
				  lt->time.life == C &&
				  lt->packets.life == 4000000000ULL,
			      "case %zu: jittered child rekey %llu, %llu", i,
			      (unsigned long long)lt->time.rekey,
			      (unsigned long long)lt->packets.rekey);
		free(lt);
		peer->destroy(peer);
	}
}

/* One ESP proposal: alg, no integrity, no key exchange (PFS), ESN then
 * no ESN. */
static void check_esp(proposal_t *prop, size_t i, uint16_t want_alg,
		      uint16_t want_ks)
{
	static const uint16_t esn[] = {EXT_SEQ_NUMBERS, NO_EXT_SEQ_NUMBERS};
	enumerator_t *e;
	uint16_t alg, ks;
	size_t n = 0;

	L2X_IKE_CHECK(prop->get_protocol(prop) == PROTO_ESP, "ESP %zu", i);
	assert_true(prop->get_algorithm(prop, ENCRYPTION_ALGORITHM, &alg, &ks));
	L2X_IKE_CHECK(alg == want_alg && ks == want_ks, "ESP %zu: alg %u/%u", i,
		      alg, ks);
	assert_false(
	    prop->get_algorithm(prop, INTEGRITY_ALGORITHM, &alg, NULL));
	assert_false(
	    prop->get_algorithm(prop, KEY_EXCHANGE_METHOD, &alg, NULL));
	e = prop->create_enumerator(prop, EXTENDED_SEQUENCE_NUMBERS);
	while (e->enumerate(e, &alg, &ks)) {
		L2X_IKE_CHECK(n < 2 && alg == esn[n], "ESP %zu: ESN #%zu is %u",
			      i, n, alg);
		n++;
	}
	e->destroy(e);
	L2X_IKE_CHECK(n == 2, "ESP %zu: %zu ESN transforms", i, n);
}

static void check_esp_list(child_cfg_t *child, const uint16_t *algs,
			   size_t n_algs)
{
	linked_list_t *props = child->get_proposals(child, FALSE);
	enumerator_t *e = props->create_enumerator(props);
	proposal_t *prop;
	size_t n = 0;

	while (e->enumerate(e, &prop)) {
		assert_true(n < n_algs);
		check_esp(prop, n, algs[n],
			  algs[n] == ENCR_AES_GCM_ICV16 ? 256 : 0);
		n++;
	}
	e->destroy(e);
	assert_int_equal(n, n_algs);
	props->destroy_offset(props, offsetof(proposal_t, destroy));
}

/* A side's traffic selectors: exactly addr/32, protocol proto, any port. */
static void check_ts(child_cfg_t *child, bool local, const char *addr,
		     uint8_t proto)
{
	linked_list_t *list =
	    child->get_traffic_selectors(child, local, NULL, NULL, FALSE);
	traffic_selector_t *ts;
	host_t *h = host(addr);
	chunk_t a = h->get_address(h);

	assert_int_equal(list->get_count(list), 1);
	list->get_first(list, (void **)&ts);
	assert_int_equal(ts->get_type(ts), TS_IPV4_ADDR_RANGE);
	assert_int_equal(ts->get_protocol(ts), proto);
	assert_true(chunk_equals(ts->get_from_address(ts), a));
	assert_true(chunk_equals(ts->get_to_address(ts), a));
	assert_int_equal(ts->get_from_port(ts), 0);
	assert_int_equal(ts->get_to_port(ts), 65535);
	assert_true(ts->is_host(ts, h));
	list->destroy_offset(list, offsetof(traffic_selector_t, destroy));
	h->destroy(h);
}

/* The remote selectors narrowed to what a peer proposes. */
static size_t narrowed(child_cfg_t *child, const char *net, uint8_t proto)
{
	linked_list_t *supplied = linked_list_create(), *got;
	traffic_selector_t *ts =
	    traffic_selector_create_from_cidr((char *)net, proto, 0, 65535);
	size_t n;

	assert_non_null(ts);
	supplied->insert_last(supplied, ts);
	got = child->get_traffic_selectors(child, FALSE, supplied, NULL, FALSE);
	n = got->get_count(got);
	if (n == 1) { /* narrowed to exactly ours */
		traffic_selector_t *ours;
		linked_list_t *mine = child->get_traffic_selectors(
		    child, FALSE, NULL, NULL, FALSE);

		got->get_first(got, (void **)&ts);
		mine->get_first(mine, (void **)&ours);
		assert_true(ts->equals(ts, ours));
		mine->destroy_offset(mine,
				     offsetof(traffic_selector_t, destroy));
	}
	got->destroy_offset(got, offsetof(traffic_selector_t, destroy));
	supplied->destroy_offset(supplied,
				 offsetof(traffic_selector_t, destroy));
	return n;
}

static void test_child_cfg(void **state)
{
	static const uint16_t chacha_first[] = {ENCR_CHACHA20_POLY1305,
						ENCR_AES_GCM_ICV16};
	static const uint16_t aes_only[] = {ENCR_AES_GCM_ICV16};
	peer_cfg_t *peer;
	child_cfg_t *child;

	(void)state;
	create();
	apply_ok();
	peer = peer_ref();
	child = child_of(peer);
	assert_string_equal(child->get_name(child), "tunnel");
	assert_int_equal(child->get_mode(child), MODE_TUNNEL);
	check_esp_list(child, chacha_first, L2X_IKE_ARRAY_LEN(chacha_first));
	assert_int_equal(child->get_replay_window(child), 1024);
	check_ts(child, TRUE, INNER_L, IPPROTO_GRE);
	check_ts(child, FALSE, INNER_R, IPPROTO_GRE);
	/* a peer proposing everything gets narrowed to ours; a peer
	 * proposing UDP gets nothing */
	assert_int_equal(narrowed(child, "0.0.0.0/0", 0), 1);
	assert_int_equal(narrowed(child, INNER_R "/32", IPPROTO_UDP), 0);
	peer->destroy(peer);

	cfg->peer.esp[0] = L2X_CONFIG_ALG_AES256GCM16;
	cfg->peer.n_esp = 1;
	cfg->peer.replay_window = 0;
	apply_ok();
	peer = peer_ref();
	child = child_of(peer);
	check_esp_list(child, aes_only, L2X_IKE_ARRAY_LEN(aes_only));
	assert_int_equal(child->get_replay_window(child), 0);
	peer->destroy(peer);
}

/* VXLAN: UDP, any port both ways (the source port is a flow hash). */
static void test_vxlan(void **state)
{
	peer_cfg_t *peer;
	child_cfg_t *child;

	(void)state;
	create();
	cfg->tunnel.encap = L2X_CONFIG_ENCAP_VXLAN;
	apply_ok();
	peer = peer_ref();
	child = child_of(peer);
	check_ts(child, TRUE, INNER_L, IPPROTO_UDP);
	check_ts(child, FALSE, INNER_R, IPPROTO_UDP);
	assert_int_equal(narrowed(child, "0.0.0.0/0", 0), 1);
	assert_int_equal(narrowed(child, INNER_R "/32", IPPROTO_GRE), 0);
	peer->destroy(peer);
}

/* Initiator: start, and restart on DPD and on close. Responder: none of
 * these (its SAs go; the initiator comes back). */
static void test_actions(void **state)
{
	static const struct {
		enum l2x_config_role role;
		action_t want;
	} cases[] = {
	    {L2X_CONFIG_ROLE_INITIATOR, ACTION_START},
	    {L2X_CONFIG_ROLE_RESPONDER, ACTION_NONE},
	};

	(void)state;
	create();
	for (size_t i = 0; i < L2X_IKE_ARRAY_LEN(cases); i++) {
		peer_cfg_t *peer;
		child_cfg_t *child;

		cfg->appliance.role = cases[i].role;
		apply_ok();
		peer = peer_ref();
		child = child_of(peer);
		L2X_IKE_CHECK(
		    child->get_start_action(child) == cases[i].want &&
			child->get_dpd_action(child) == cases[i].want &&
			child->get_close_action(child) == cases[i].want,
		    "case %zu: actions %d/%d/%d", i,
		    child->get_start_action(child),
		    child->get_dpd_action(child),
		    child->get_close_action(child));
		/* both retry for ever and replace */
		L2X_IKE_CHECK(peer->get_keyingtries(peer) == 0 &&
				  peer->get_unique_policy(peer) ==
				      UNIQUE_REPLACE,
			      "case %zu: keyingtries/unique", i);
		peer->destroy(peer);
	}
}

/* Certificates: our certificate and the CA in the auth rules, the
 * subject as our identity, %any for the peer; key and CA in credmgr. */
static void test_cert(void **state)
{
	struct l2x_config_auth *a = &cfg->peer.auth;
	peer_cfg_t *peer;
	auth_cfg_t *auth;
	certificate_t *cert;
	identification_t *subj;
	private_key_t *key;

	(void)state;
	create();
	memset(a, 0, sizeof(*a));
	a->kind = L2X_CONFIG_AUTH_CERT;
	l2x_ike_test_path("a.crt", a->cert, sizeof(a->cert));
	l2x_ike_test_path("a.key", a->key, sizeof(a->key));
	l2x_ike_test_path("ca.crt", a->ca, sizeof(a->ca));
	cfg->peer.local_id[0] = '\0';
	cfg->peer.remote_id[0] = '\0';
	apply_ok();
	peer = peer_ref();
	assert_int_equal(peer->get_cert_policy(peer), CERT_ALWAYS_SEND);

	auth = auth_of(peer, TRUE);
	assert_int_equal((uintptr_t)auth->get(auth, AUTH_RULE_AUTH_CLASS),
			 AUTH_CLASS_PUBKEY);
	subj = auth->get(auth, AUTH_RULE_IDENTITY);
	assert_true(id_is(subj, L2X_IKE_TEST_A_DN, ID_DER_ASN1_DN));
	cert = auth->get(auth, AUTH_RULE_SUBJECT_CERT);
	assert_non_null(cert);
	assert_true(
	    id_is(cert->get_subject(cert), L2X_IKE_TEST_A_DN, ID_DER_ASN1_DN));

	auth = auth_of(peer, FALSE);
	assert_int_equal((uintptr_t)auth->get(auth, AUTH_RULE_AUTH_CLASS),
			 AUTH_CLASS_PUBKEY);
	assert_true(id_is(auth->get(auth, AUTH_RULE_IDENTITY), "%any", ID_ANY));
	cert = auth->get(auth, AUTH_RULE_CA_CERT);
	assert_non_null(cert);
	assert_true(
	    id_is(cert->get_subject(cert), L2X_IKE_TEST_CA_DN, ID_DER_ASN1_DN));

	/* what charon's authenticators ask the credential manager */
	key = lib->credmgr->get_private(lib->credmgr, KEY_ANY, subj, NULL);
	assert_non_null(key);
	assert_int_equal(key->get_type(key), KEY_ED25519);
	key->destroy(key);
	subj = identification_create_from_string(L2X_IKE_TEST_CA_DN);
	cert = lib->credmgr->get_cert(lib->credmgr, CERT_X509, KEY_ANY, subj,
				      TRUE);
	assert_non_null(cert); /* trusted */
	cert->destroy(cert);
	subj->destroy(subj);
	peer->destroy(peer);
}

/* ---- refusals ------------------------------------------------------------ */

enum change {
	C_ESP_ALG,	  /* esp[0] neither AEAD */
	C_ESP_NONE,	  /* n_esp 0 */
	C_ESP_TOO_MANY,	  /* n_esp 3 */
	C_IKE_NO_PLUGIN,  /* a PRF no loaded plugin computes */
	C_IKE_SECOND_BAD, /* the second proposal needs a missing one */
	C_IKE_UNPARSED,	  /* not a proposal */
	C_IKE_EMPTY,	  /* no proposal */
	C_AUTH_NONE,	  /* no peer.auth */
	C_PSK_MODE,	  /* PSK file readable by the group */
	C_PSK_MISSING,	  /* PSK file gone */
	C_PSK_SHORT,	  /* PSK of 15 bytes */
	C_CERT_WRONG_ID,  /* local_id not in the certificate */
};

static const struct refusal {
	enum change change;
	int rc;
	const char *msg[3]; /* each in the message */
} refusals[] = {
    {C_ESP_ALG,
     -EINVAL,
     {SRC ": peer.esp_proposals: algorithm 12 is neither aes256gcm16 nor "
	  "chacha20poly1305"}},
    {C_ESP_NONE, -EINVAL, {SRC ": peer.esp_proposals: none given"}},
    {C_ESP_TOO_MANY, -EINVAL, {SRC ": peer.esp_proposals: 3 given, at most 2"}},
    {C_IKE_NO_PLUGIN,
     -EINVAL,
     {SRC ": peer.ike_proposals: 'aes256gcm16-prfaesxcbc-x25519': ",
      "PRF_AES128_XCBC is not provided by any loaded strongSwan plugin"}},
    {C_IKE_SECOND_BAD,
     -EINVAL,
     {SRC ": peer.ike_proposals: 'aes128-aesxcbc-prfsha256-modp2048': ",
      "AES_XCBC_96 is not provided"}},
    {C_IKE_UNPARSED,
     -EINVAL,
     {SRC ": peer.ike_proposals: 'aes256gcm16-prfsha256-nosuchgroup' is "
	  "not a valid IKE proposal"}},
    {C_IKE_EMPTY, -EINVAL, {SRC ": peer.ike_proposals: no proposal given"}},
    {C_AUTH_NONE, -EINVAL, {SRC ": peer.auth: not given"}},
    {C_PSK_MODE,
     -EINVAL,
     {SRC ": peer.auth.psk_file: ", "/psk is mode 0640, must not be "}},
    {C_PSK_MISSING,
     -ENOENT,
     {SRC ": peer.auth.psk_file: ", "/psk-gone: cannot open: "}},
    {C_PSK_SHORT,
     -EINVAL,
     {SRC ": peer.auth.psk_file: ", "/psk: the key is shorter than 16 "}},
    {C_CERT_WRONG_ID,
     -EINVAL,
     {SRC ": peer.local_id: 'other.l2x.test' is neither the subject nor a "
	  "subjectAltName of ",
      "/a.crt"}},
};

static void change(enum change c)
{
	struct l2x_config_peer *p = &cfg->peer;

	switch (c) {
	case C_ESP_ALG:
		p->esp[0] = (enum l2x_config_alg)12; /* AES-CBC's number */
		break;
	case C_ESP_NONE:
		p->n_esp = 0;
		break;
	case C_ESP_TOO_MANY:
		p->n_esp = L2X_CONFIG_ESP_MAX + 1;
		break;
	case C_IKE_NO_PLUGIN:
		snprintf(p->ike_proposals, sizeof(p->ike_proposals),
			 "aes256gcm16-prfaesxcbc-x25519");
		break;
	case C_IKE_SECOND_BAD:
		snprintf(p->ike_proposals, sizeof(p->ike_proposals),
			 "%s,aes128-aesxcbc-prfsha256-modp2048", IKE_P1);
		break;
	case C_IKE_UNPARSED:
		snprintf(p->ike_proposals, sizeof(p->ike_proposals),
			 "aes256gcm16-prfsha256-nosuchgroup");
		break;
	case C_IKE_EMPTY:
		p->ike_proposals[0] = '\0';
		break;
	case C_AUTH_NONE:
		memset(&p->auth, 0, sizeof(p->auth));
		break;
	case C_PSK_MODE:
		put_psk(PSK2_TEXT, 0640);
		break;
	case C_PSK_MISSING:
		l2x_ike_test_path("psk-gone", p->auth.psk_file,
				  sizeof(p->auth.psk_file));
		break;
	case C_PSK_SHORT:
		put_psk("fifteen bytes..", 0600);
		break;
	case C_CERT_WRONG_ID:
		memset(&p->auth, 0, sizeof(p->auth));
		p->auth.kind = L2X_CONFIG_AUTH_CERT;
		l2x_ike_test_path("a.crt", p->auth.cert, sizeof(p->auth.cert));
		l2x_ike_test_path("a.key", p->auth.key, sizeof(p->auth.key));
		l2x_ike_test_path("ca.crt", p->auth.ca, sizeof(p->auth.ca));
		snprintf(p->local_id, sizeof(p->local_id), "other.l2x.test");
		break;
	}
}

/* The premise of C_IKE_NO_PLUGIN: no loaded plugin computes AES-XCBC. */
static bool prf_loaded(pseudo_random_function_t want)
{
	enumerator_t *e = lib->crypto->create_prf_enumerator(lib->crypto);
	const char *plugin;
	int alg;
	bool found = false;

	while (e->enumerate(e, &alg, &plugin))
		found = found || alg == (int)want;
	e->destroy(e);
	return found;
}

/* Each refusal: its return code and message with the source; nothing
 * changed: the same peer_cfg object and the same key. */
static void test_refusals(void **state)
{

	(void)state;
	assert_false(prf_loaded(PRF_AES128_XCBC));
	assert_true(prf_loaded(PRF_HMAC_SHA2_256));
	create();
	apply_ok();
	for (size_t i = 0; i < L2X_IKE_ARRAY_LEN(refusals); i++) {
		const struct refusal *r = &refusals[i];
		peer_cfg_t *before = peer_ref(), *after;
		int rc;

		base();
		change(r->change);
		memset(err, 0, sizeof(err));
		rc = l2x_ike_config_apply(ic, cfg, SRC, err, sizeof(err));
		L2X_IKE_CHECK(rc == r->rc, "case %zu: rc %d, want %d (%s)", i,
			      rc, r->rc, err);
		L2X_IKE_CHECK(strncmp(err, SRC ": ", strlen(SRC) + 2) == 0,
			      "case %zu: '%s' does not start with the source",
			      i, err);
		for (size_t m = 0; m < 3 && r->msg[m] != NULL; m++)
			L2X_IKE_CHECK(strstr(err, r->msg[m]) != NULL,
				      "case %zu: '%s' lacks '%s'", i, err,
				      r->msg[m]);
		L2X_IKE_CHECK(strstr(err, PSK_TEXT) == NULL &&
				  strstr(err, PSK2_TEXT) == NULL &&
				  strstr(err, "fifteen") == NULL,
			      "case %zu: a secret in '%s'", i, err);
		after = peer_ref();
		L2X_IKE_CHECK(after == before,
			      "case %zu: the peer_cfg was replaced", i);
		after->destroy(after);
		before->destroy(before);
		L2X_IKE_CHECK(psk_is(PSK_TEXT), "case %zu: the key changed", i);
		put_psk(PSK_TEXT "\n", 0600);
	}
	/* a short buffer: the message is cut, not overrun */
	base();
	change(C_ESP_NONE);
	memset(err, 'x', sizeof(err));
	assert_int_equal(l2x_ike_config_apply(ic, cfg, SRC, err, 8), -EINVAL);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(l2x_ike_config_apply(ic, cfg, SRC, NULL, 0), -EINVAL);
}

/* ---- applying again ------------------------------------------------------ */

static bool same_cfg(peer_cfg_t *a, peer_cfg_t *b)
{
	ike_cfg_t *ia = a->get_ike_cfg(a), *ib = b->get_ike_cfg(b);
	child_cfg_t *ca = child_of(a), *cb = child_of(b);

	return a->equals(a, b) && ia->equals(ia, ib) && ca->equals(ca, cb);
}

static void test_reapply(void **state)
{
	peer_cfg_t *first, *next;

	(void)state;
	create();
	apply_ok();
	first = peer_ref();

	/* unchanged; then only what IKE does not use (networks) */
	apply_ok();
	next = peer_ref();
	assert_true(same_cfg(first, next));
	next->destroy(next);
	cfg->networks[0].vlan = 101;
	cfg->networks[0].tunnel_id = 6001;
	apply_ok();
	next = peer_ref();
	assert_true(same_cfg(first, next));
	next->destroy(next);

	/* the PSK file's content: same settings, the new key in use */
	put_psk(PSK2_TEXT, 0600);
	apply_ok();
	next = peer_ref();
	assert_true(same_cfg(first, next));
	assert_true(psk_is(PSK2_TEXT));
	assert_false(psk_is(PSK_TEXT));
	next->destroy(next);

	/* a change IKE uses: the new settings */
	cfg->peer.dpd_delay = 30;
	apply_ok();
	next = peer_ref();
	assert_false(same_cfg(first, next));
	assert_int_equal(next->get_dpd(next), 30);
	next->destroy(next);
	base();
	cfg->tunnel.inner_remote = cfg->tunnel.inner_remote + 1;
	apply_ok();
	next = peer_ref();
	assert_false(same_cfg(first, next));
	check_ts(child_of(next), FALSE, "169.254.100.3", IPPROTO_GRE);
	next->destroy(next);

	first->destroy(first);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lifecycle, each, done),
	    cmocka_unit_test_setup_teardown(test_ike_cfg, each, done),
	    cmocka_unit_test_setup_teardown(test_peer_cfg, each, done),
	    cmocka_unit_test_setup_teardown(test_lifetimes, each, done),
	    cmocka_unit_test_setup_teardown(test_child_cfg, each, done),
	    cmocka_unit_test_setup_teardown(test_vxlan, each, done),
	    cmocka_unit_test_setup_teardown(test_actions, each, done),
	    cmocka_unit_test_setup_teardown(test_cert, each, done),
	    cmocka_unit_test_setup_teardown(test_refusals, each, done),
	    cmocka_unit_test_setup_teardown(test_reapply, each, done),
	};

	return cmocka_run_group_tests_name("ike_config", tests, setup,
					   teardown);
}
