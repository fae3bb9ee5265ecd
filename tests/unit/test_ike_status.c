/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ipsec/ike/ike_status.[ch], l2x-ike's status socket: where it
 * listens (control socket path + ".ike", mode 0600, a stale file
 * replaced, gone after stop), what SHOW ike answers (the empty table; an
 * IKE_SA of charon's ike_sa_manager as one row with every key; the last
 * error per connection from charon's alerts, kept as a "DOWN" row once
 * the IKE_SA is gone), and the refusals (another table, another request,
 * a datagram that does not parse). The client is control/ctlclient, as
 * for l2xctl.
 *
 * The IKE_SA is made with ike_sa_manager->checkout_by_config() and never
 * initiated: it stays CREATED and nothing is sent (ike_testenv.h).
 */
#include "control/ctlclient.h"
#include "control/ctlmsg.h"
#include "ipsec/ike/ike_status.h"

#include <daemon.h>
#include <library.h>

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/ike_testenv.h"

#define TIMEOUT_MS 5000u /* a bound for a loaded machine, not a wait */

static struct l2x_ike_status *st; /* the test's; stopped after each */
#define SUN_PATH_LEN sizeof(((struct sockaddr_un *)0)->sun_path) /* 108 */

static char ctl[SUN_PATH_LEN], sock[SUN_PATH_LEN];

/* ---- helpers ------------------------------------------------------------- */

/* A ctlclient request on the status socket: its rc; *text the SHOW text
 * or the ERROR sentence (malloc'd, or NULL). */
static int ask(const struct l2x_ctlmsg *req, char **text)
{
	struct l2x_ctlclient *c = NULL;
	struct l2x_ctl_reply rep;
	int rc;

	*text = NULL;
	assert_int_equal(l2x_ctlclient_open(sock, TIMEOUT_MS, &c), 0);
	rc = l2x_ctlclient_request(c, req, &rep);
	if (rc < 0)
		print_error("request: %s\n", l2x_ctlclient_why(c));
	if (rc == 0 && rep.type == L2X_CTL_MSG_SHOW_REPLY)
		*text = strdup(rep.text);
	else if (rc > 0)
		*text = strdup(rep.error.text);
	l2x_ctl_reply_fini(&rep);
	l2x_ctlclient_close(c);
	return rc;
}

/* SHOW ike's text (malloc'd). */
static char *show(void)
{
	struct l2x_ctlmsg req = {.type = L2X_CTL_MSG_SHOW};
	char *text;

	req.u.show.what = L2X_CTL_SHOW_IKE;
	assert_int_equal(ask(&req, &text), 0);
	assert_non_null(text);
	return text;
}

/* Does text hold this exact row? */
static bool has_row(const char *text, const char *row)
{
	bool has = strstr(text, row) != NULL;

	if (!has)
		print_error("row %s\nnot in %s\n", row, text);
	return has;
}

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static peer_cfg_t *make_peer(const char *name)
{
	ike_cfg_create_t ike = {
	    .version = IKEV2,
	    .local = "198.18.1.2",
	    .local_port = IKEV2_UDP_PORT,
	    .remote = "198.18.2.2",
	    .remote_port = IKEV2_UDP_PORT,
	};
	peer_cfg_create_t data = {.unique = UNIQUE_REPLACE};

	return peer_cfg_create((char *)name, ike_cfg_create(&ike), &data);
}

/* ---- setup ------------------------------------------------------------------
 */

static int each(void **state)
{
	static int n;

	(void)state;
	snprintf(ctl, sizeof(ctl), "%s/ctl-%d.sock", l2x_ike_test_dir(), ++n);
	snprintf(sock, sizeof(sock), "%s/ctl-%d.sock" L2X_IKE_STATUS_SUFFIX,
		 l2x_ike_test_dir(), n);
	st = NULL;
	return 0;
}

static int done(void **state)
{
	(void)state;
	l2x_ike_status_stop(st);
	st = NULL;
	return 0;
}

/* ---- where it listens -----------------------------------------------------
 */

static void test_socket(void **state)
{
	struct stat sb;

	(void)state;
	/* a stale file where the socket goes is replaced */
	l2x_ike_test_put(strrchr(sock, '/') + 1, "stale", 5, 0644);
	assert_int_equal(l2x_ike_status_start(ctl, &st), 0);
	assert_non_null(st);
	assert_int_equal(stat(sock, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(lstat(ctl, &sb), -1); /* nothing at the path itself */
	assert_true(l2x_ike_test_log_has("l2x-ike: status socket "));

	l2x_ike_status_stop(st);
	st = NULL;
	assert_int_equal(stat(sock, &sb), -1);
	assert_int_equal(errno, ENOENT);
	l2x_ike_status_stop(NULL);
}

/* path/no-such-dir/aaa... of len characters. */
static void long_path(char *p, size_t len)
{
	int n = snprintf(p, len + 1, "%s/no-such-dir/", l2x_ike_test_dir());

	assert_true(n > 0 && (size_t)n < len);
	memset(p + n, 'a', len - (size_t)n);
	p[len] = '\0';
}

static void test_start_errors(void **state)
{
	char p[SUN_PATH_LEN + 8];

	(void)state;
	/* the path + ".ike" + NUL must fit sun_path */
	long_path(p, SUN_PATH_LEN - 4);
	assert_int_equal(l2x_ike_status_start(p, &st), -ENAMETOOLONG);
	long_path(p, SUN_PATH_LEN - 5); /* fits; its folder does not exist */
	assert_int_equal(l2x_ike_status_start(p, &st), -ENOENT);
	assert_null(st);
}

/* ---- what it answers
 * --------------------------------------------------------- */

static void test_show_empty(void **state)
{
	char *text;

	(void)state;
	assert_int_equal(l2x_ike_status_start(ctl, &st), 0);
	text = show();
	assert_string_equal(text, "{\"what\": \"ike\", \"rows\": []}\n");
	free(text);
	/* a second client after the first one left */
	text = show();
	assert_string_equal(text, "{\"what\": \"ike\", \"rows\": []}\n");
	free(text);
}

static void test_refusals(void **state)
{
	static const uint8_t junk[] = {'n', 'o', 't', ' ', 'l', '2', 'x'};
	struct l2x_ctlmsg req = {.type = L2X_CTL_MSG_SHOW}, rep;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint8_t buf[L2X_CTL_MSG_MAX];
	char *text;
	ssize_t n;
	int fd;

	(void)state;
	assert_int_equal(l2x_ike_status_start(ctl, &st), 0);
	req.u.show.what = L2X_CTL_SHOW_NETWORKS;
	assert_int_equal(ask(&req, &text), EINVAL);
	assert_string_equal(text, "l2x-ike's status socket answers only SHOW "
				  "ike, not show networks (ask the dataplane's "
				  "control socket)");
	free(text);
	req = (struct l2x_ctlmsg){.type = L2X_CTL_MSG_SA_QUERY};
	req.u.sa_id.spi = 0x1000;
	assert_int_equal(ask(&req, &text), EINVAL);
	assert_string_equal(text, "l2x-ike's status socket answers only SHOW "
				  "ike, not sa_query (ask the dataplane's "
				  "control socket)");
	free(text);

	/* not a control message at all: ERROR EPROTO, the parser's reason */
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, junk, sizeof(junk), 0),
			 (ssize_t)sizeof(junk));
	n = recv(fd, buf, sizeof(buf), 0);
	close(fd);
	assert_true(n > 0);
	assert_int_equal(l2x_ctlmsg_parse(buf, (size_t)n, &rep),
			 L2X_CTL_ERR_OK);
	assert_int_equal(rep.type, L2X_CTL_MSG_ERROR);
	assert_int_equal(rep.u.error.code, EPROTO);
	assert_true(rep.u.error.text[0] != '\0');

	/* and it still serves */
	text = show();
	assert_string_equal(text, "{\"what\": \"ike\", \"rows\": []}\n");
	free(text);
}

/* An IKE_SA as charon holds it; its last error; then its DOWN row. */
static void test_ike_rows(void **state)
{
	peer_cfg_t *peer = make_peer("ne-a");
	host_t *me = host_create_from_string("198.18.1.2", 500);
	host_t *other = host_create_from_string("198.18.2.2", 4500);
	ike_sa_t *sa;
	ike_sa_id_t *id;
	char row[1024], *text;
	unsigned long long spi;
	uint32_t uid;

	(void)state;
	assert_int_equal(l2x_ike_status_start(ctl, &st), 0);
	sa = charon->ike_sa_manager->checkout_by_config(charon->ike_sa_manager,
							peer);
	assert_non_null(sa);
	sa->set_my_host(sa, me);
	sa->set_other_host(sa, other);
	uid = sa->get_unique_id(sa);
	id = sa->get_id(sa)->clone(sa->get_id(sa));
	spi = (unsigned long long)be64toh(id->get_initiator_spi(id));
	charon->bus->set_sa(charon->bus, sa);
	/* not an error: no last error */
	charon->bus->alert(charon->bus, ALERT_RETRANSMIT_SEND, NULL, 0);
	charon->ike_sa_manager->checkin(charon->ike_sa_manager, sa);

	text = show();
	snprintf(row, sizeof(row),
		 "{\"kind\": \"ike\", \"ike_sa\": %u, \"name\": \"ne-a\", "
		 "\"state\": \"CREATED\", \"role\": \"initiator\", "
		 "\"local\": \"198.18.1.2:500\", \"remote\": "
		 "\"198.18.2.2:4500\", \"nat\": \"none\", \"proposal\": \"\", "
		 "\"spi_in\": \"%016llx\", \"spi_out\": \"0000000000000000\", "
		 "\"established\": 0, \"rekey_in\": -1, \"last_error\": \"\"}",
		 uid, spi);
	assert_true(has_row(text, row));
	assert_int_equal(count(text, "\"kind\""), 1); /* no child rows */
	free(text);

	/* an authentication failure of this IKE_SA */
	sa = charon->ike_sa_manager->checkout(charon->ike_sa_manager, id);
	assert_non_null(sa);
	charon->bus->set_sa(charon->bus, sa);
	charon->bus->alert(charon->bus, ALERT_PEER_AUTH_FAILED);
	charon->ike_sa_manager->checkin(charon->ike_sa_manager, sa);
	text = show();
	assert_non_null(strstr(text, "\"last_error\": \"peer authentication "
				     "failed, "));
	assert_non_null(strstr(text, "\"state\": \"CREATED\""));
	free(text);

	/* the IKE_SA goes: the connection stays, DOWN, with its error */
	sa = charon->ike_sa_manager->checkout(charon->ike_sa_manager, id);
	assert_non_null(sa);
	charon->ike_sa_manager->checkin_and_destroy(charon->ike_sa_manager, sa);
	text = show();
	assert_non_null(strstr(
	    text, "{\"kind\": \"ike\", \"ike_sa\": 0, \"name\": \"ne-a\", "
		  "\"state\": \"DOWN\", \"role\": \"\", \"local\": \"\", "
		  "\"remote\": \"\", \"nat\": \"none\", \"proposal\": \"\", "
		  "\"spi_in\": \"\", \"spi_out\": \"\", \"established\": 0, "
		  "\"rekey_in\": -1, \"last_error\": \"peer authentication "
		  "failed, "));
	assert_null(strstr(text, "CREATED"));
	free(text);

	/* an error before any IKE_SA exists (a message that did not parse) */
	charon->bus->alert(charon->bus, ALERT_PARSE_ERROR_HEADER, NULL);
	text = show();
	assert_non_null(strstr(text, "\"name\": \"-\", \"state\": \"DOWN\""));
	assert_non_null(strstr(text, "\"last_error\": \"malformed IKE "
				     "message, "));
	assert_non_null(strstr(text, "\"name\": \"ne-a\""));
	free(text);

	id->destroy(id);
	peer->destroy(peer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_socket, each, done),
	    cmocka_unit_test_setup_teardown(test_start_errors, each, done),
	    cmocka_unit_test_setup_teardown(test_show_empty, each, done),
	    cmocka_unit_test_setup_teardown(test_refusals, each, done),
	    cmocka_unit_test_setup_teardown(test_ike_rows, each, done),
	};

	return cmocka_run_group_tests_name(
	    "ike_status", tests, l2x_ike_testenv_up, l2x_ike_testenv_down);
}
