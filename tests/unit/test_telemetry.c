/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dataplane/telemetry.[ch]: an EAL with telemetry on, a
 * struct l2x_dp with known counters, the commands registered, then
 * queried as a client does (DPDK's usertools/dpdk-telemetry.py): connect
 * to the SOCK_SEQPACKET socket, read the greeting, send a command, read
 * one JSON reply. Also the socket's mode, made root-only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_telemetry.h>

#include "dataplane/dp.h"
#include "dataplane/telemetry.h"
#include "tests/unit/testenv.h"

#define REPLY_MAX (16 * 1024 + 1) /* DPDK 22.11 max_output_len, and NUL */
#define KV_MAX 256

static struct l2x_dp dp;
static struct l2x_config cfg;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static char run_dir[PATH_MAX];
static mode_t wide_dir_mode, wide_sock_mode; /* before registration */

/* --- the dataplane side: keys and counters -------------------------------*/

static uint64_t cnt_val(unsigned int i)
{
	return i == 0 ? UINT64_MAX : 1000003ull * i + 17;
}
static uint64_t drop_val(unsigned int i)
{
	return 7919ull * i + 3;
}

static int setup(void **state)
{
	struct stat st;

	if (l2x_testenv_up_telemetry(state))
		return -1;
	if ((size_t)snprintf(run_dir, sizeof(run_dir), "%s",
			     rte_eal_get_runtime_dir()) >= sizeof(run_dir) ||
	    (size_t)snprintf(sock_path, sizeof(sock_path), "%s/%s", run_dir,
			     L2X_TELEMETRY_SOCKET) >= sizeof(sock_path))
		return -1;
	/* Wider than root-only, as DPDK may leave them (umask): the
	 * registration must narrow them. */
	if (chmod(run_dir, 0755) || chmod(sock_path, 0777) ||
	    stat(run_dir, &st)) {
		fprintf(stderr, "test_telemetry: %s: %s\n", sock_path,
			strerror(errno));
		return -1;
	}
	wide_dir_mode = st.st_mode & 07777;
	if (stat(sock_path, &st))
		return -1;
	wide_sock_mode = st.st_mode & 07777;

	l2x_dp_name_drops();
	for (unsigned int i = 0; i < L2X_DP_CNT_MAX; i++)
		dp.st.cnt[i] = cnt_val(i);
	for (unsigned int i = 0; i < L2X_DP_D_MAX; i++)
		dp.st.drop[i] = drop_val(i); /* [0] has no key: never shown */
	snprintf(cfg.appliance.name, sizeof(cfg.appliance.name), "ne-tele");
	cfg.appliance.role = L2X_CONFIG_ROLE_RESPONDER;
	dp.cfg = &cfg;
	return 0;
}

/* --- the client side -----------------------------------------------------*/

/* Connected to the telemetry socket, the greeting read and checked. */
static int client(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 2};
	char buf[1024];
	ssize_t n;
	int fd;

	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_true(fd >= 0);
	assert_int_equal(
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	memcpy(sun.sun_path, sock_path, sizeof(sun.sun_path));
	L2X_CHECK(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
		  "connect %s: %s", sock_path, strerror(errno));
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	L2X_CHECK(strncmp(buf, "{\"version\":\"DPDK ", 17) == 0 &&
		      strstr(buf, "\"max_output_len\":16384}") != NULL,
		  "greeting %s", buf);
	return fd;
}

/* Send cmd, return the reply (NUL-terminated) in out. */
static void query(int fd, const char *cmd, char *out, size_t cap)
{
	ssize_t n;

	assert_int_equal(send(fd, cmd, strlen(cmd), 0), (ssize_t)strlen(cmd));
	n = recv(fd, out, cap - 1, 0);
	L2X_CHECK(n > 0, "%s: no reply: %s", cmd, strerror(errno));
	out[n] = '\0';
}

struct kv {
	char k[RTE_TEL_MAX_STRING_LEN];
	char v[RTE_TEL_MAX_STRING_LEN + 2];
};

/* Copy p's characters up to stop into out; returns the end. */
static const char *take(const char *p, const char *stop, char *out, size_t cap,
			const char *what)
{
	size_t n = strcspn(p, stop);

	L2X_CHECK(n > 0 && n < cap && p[n] != '\0', "bad %s at \"%.40s\"", what,
		  p);
	memcpy(out, p, n);
	out[n] = '\0';
	return p + n;
}

/* A reply of DPDK 22.11's JSON: {"CMD":{"k":v,"k":"s",...}}, strictly
 * (no spaces, unsigned integers or plain strings). Returns the pairs. */
static size_t parse(const char *json, const char *cmd, struct kv *kv)
{
	char head[96];
	const char *p;
	size_t n = 0;

	snprintf(head, sizeof(head), "{\"%s\":{", cmd);
	L2X_CHECK(strncmp(json, head, strlen(head)) == 0, "%s: reply %.80s",
		  cmd, json);
	p = json + strlen(head);
	while (*p != '}') {
		L2X_CHECK(n < KV_MAX, "%s: too many keys", cmd);
		L2X_CHECK(*p == '"', "%s: key at \"%.40s\"", cmd, p);
		p = take(p + 1, "\"", kv[n].k, sizeof(kv[n].k), "key");
		L2X_CHECK(p[1] == ':', "%s: colon at \"%.40s\"", cmd, p);
		p += 2;
		if (*p == '"') {
			p = take(p + 1, "\"", kv[n].v, sizeof(kv[n].v),
				 "string");
			p++;
		} else {
			p = take(p, ",}", kv[n].v, sizeof(kv[n].v), "number");
			for (const char *d = kv[n].v; *d; d++)
				L2X_CHECK(isdigit((unsigned char)*d),
					  "%s: %s: not a u64: %s", cmd, kv[n].k,
					  kv[n].v);
		}
		n++;
		if (*p == ',')
			p++;
	}
	L2X_CHECK(strcmp(p, "}}") == 0, "%s: tail \"%.40s\"", cmd, p);
	return n;
}

static const char *find(const struct kv *kv, size_t n, const char *k)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].k, k) == 0)
			return kv[i].v;
	return NULL;
}

static void check_u64(const struct kv *kv, size_t n, const char *k,
		      uint64_t want)
{
	const char *v = find(kv, n, k);

	L2X_CHECK(v != NULL, "key %s missing", k);
	L2X_CHECK(strtoull(v, NULL, 10) == want, "%s = %s, want %llu", k, v,
		  (unsigned long long)want);
}

/* --- tests ---------------------------------------------------------------*/

static void test_key(void **state)
{
	static const struct {
		const char *in, *out;
		size_t len;
	} c[] = {
	    {"esp.auth", "esp_auth", 48},
	    {"unknown_vlan", "unknown_vlan", 48},
	    {"a-b/c.D9 x", "a_b/c_D9_x", 48},
	    {"abcdef", "abc", 4},
	    {"", "", 8},
	};
	char out[48];
	(void)state;

	for (size_t i = 0; i < L2X_ARRAY_LEN(c); i++) {
		memset(out, 'z', sizeof(out));
		l2x_telemetry_key(c[i].in, out, c[i].len);
		L2X_CHECK(strcmp(out, c[i].out) == 0, "case %zu: %s -> %s", i,
			  c[i].in, out);
	}
	out[0] = 'z';
	l2x_telemetry_key("abc", out, 0);
	assert_int_equal(out[0], 'z');
}

static void test_register(void **state)
{
	(void)state;
	assert_int_equal(l2x_telemetry_register(NULL), -EINVAL);
	assert_int_equal(l2x_telemetry_register(&dp), 0);
	/* one dataplane per process */
	assert_int_equal(l2x_telemetry_register(&dp), -EALREADY);
}

static void test_socket_mode(void **state)
{
	struct stat st;
	(void)state;

	/* the setup really widened them, so the check below can fail */
	assert_int_equal(wide_dir_mode, 0755);
	assert_int_equal(wide_sock_mode, 0777);
	assert_int_equal(lstat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(lstat(run_dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
}

static void test_stats(void **state)
{
	static char reply[REPLY_MAX];
	static struct kv kv[KV_MAX];
	int fd = client();
	size_t n;
	(void)state;

	query(fd, "/l2x/stats", reply, sizeof(reply));
	n = parse(reply, "/l2x/stats", kv);
	assert_int_equal(n, L2X_DP_CNT_MAX);
	for (unsigned int i = 0; i < L2X_DP_CNT_MAX; i++)
		check_u64(kv, n, l2x_dp_cnt_key[i], cnt_val(i));
	assert_string_equal(kv[0].k, "rx_lan"); /* in l2x_dp_cnt_key order */
	assert_string_equal(kv[0].v, "18446744073709551615");

	/* live values, not a copy taken at registration */
	__atomic_store_n(&dp.st.cnt[L2X_DP_CNT_drops], 42, __ATOMIC_RELAXED);
	query(fd, "/l2x/stats", reply, sizeof(reply));
	n = parse(reply, "/l2x/stats", kv);
	check_u64(kv, n, "drops", 42);
	dp.st.cnt[L2X_DP_CNT_drops] = cnt_val(L2X_DP_CNT_drops);
	close(fd);
}

static void test_drops(void **state)
{
	static char reply[REPLY_MAX];
	static struct kv kv[KV_MAX];
	char key[48];
	size_t n, want = 0;
	int fd = client();
	(void)state;

	query(fd, "/l2x/drops", reply, sizeof(reply));
	n = parse(reply, "/l2x/drops", kv);
	for (unsigned int i = 0; i < L2X_DP_D_MAX; i++) {
		if (l2x_dp_drop_key[i] == NULL)
			continue;
		want++;
		l2x_telemetry_key(l2x_dp_drop_key[i], key, sizeof(key));
		check_u64(kv, n, key, drop_val(i));
	}
	/* every named reason once, the unnamed (index 0, ...) never */
	assert_true(want > 20);
	assert_int_equal(n, want);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			L2X_CHECK(strcmp(kv[i].k, kv[j].k) != 0, "key %s twice",
				  kv[i].k);
	check_u64(kv, n, "unknown_vlan", drop_val(L2X_DP_DROP_UNKNOWN_VLAN));
	check_u64(kv, n, "esp_auth",
		  drop_val(L2X_DP_D_ESP + L2X_ESP_DROP_AUTH));
	check_u64(kv, n, "fdb_src_invalid",
		  drop_val(L2X_DP_D_FDB + L2X_FDB_DROP_SRC_INVALID));
	close(fd);
}

static void test_unknown_list_info(void **state)
{
	static char reply[REPLY_MAX];
	static struct kv kv[KV_MAX];
	int fd = client();
	size_t n;
	(void)state;

	query(fd, "/l2x/xyz", reply, sizeof(reply));
	assert_string_equal(reply, "{\"/l2x/xyz\":null}");

	query(fd, "/", reply, sizeof(reply));
	assert_non_null(strstr(reply, "\"/l2x/drops\",\"/l2x/info\","
				      "\"/l2x/stats\""));

	query(fd, "/l2x/info", reply, sizeof(reply));
	n = parse(reply, "/l2x/info", kv);
	assert_int_equal(n, 2);
	assert_string_equal(find(kv, n, "name"), "ne-tele");
	assert_string_equal(find(kv, n, "role"), "responder");

	query(fd, "/help,/l2x/drops", reply, sizeof(reply));
	n = parse(reply, "/help", kv);
	assert_int_equal(n, 1);
	assert_string_equal(kv[0].k, "/l2x/drops");
	assert_non_null(strstr(kv[0].v, "drops by reason"));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key),
	    cmocka_unit_test(test_register),
	    cmocka_unit_test(test_socket_mode),
	    cmocka_unit_test(test_stats),
	    cmocka_unit_test(test_drops),
	    cmocka_unit_test(test_unknown_list_info),
	};
	return cmocka_run_group_tests_name("telemetry", tests, setup,
					   l2x_testenv_down);
}
