/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for control/store_etcd.c, the store on etcd v3, against a
 * real etcd (Debian's etcd-server) that this test starts on free ports
 * of 127.0.0.1, with its own name and data folder, and kills, the folder
 * removed, when it exits, even on failure (atexit, signal handlers, and
 * PR_SET_PDEATHSIG for a test killed outright). Without /usr/bin/etcd it
 * prints SKIP and passes: tools/run-unit.sh knows no skipped status.
 *
 * What runs: the store's behaviour shared with SQLite (store_cases.h),
 * each test under its own key prefix; then what is etcd's own: URIs and
 * several endpoints, txn_get's and counters' guards against another
 * writer, leading and lease fencing (a leader that stops renewing, one
 * restarted under the same id, and one really SIGSTOPped past its TTL
 * cannot write once another leads),
 * answers a gateway would never send (-EIO with a sentence, no crash,
 * from a fake gateway), and figures: time per put, get, txn and list.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "control/store.h"
#include "tests/unit/store_cases.h"
#include "tests/unit/testfs.h"

#define ETCD_BIN "/usr/bin/etcd"
#define TTL 2 /* s, the fencing tests' lease: etcd's shortest */

static char dir[] = "/tmp/l2x-test-etcd-XXXXXX";
static bool dir_made;
static pid_t etcd_pid = -1, owner;
static int client_port;

/* --- the etcd this test runs --------------------------------------------- */

static void etcd_stop(void)
{
	if (getpid() != owner) /* a forked child: not its etcd */
		return;
	if (etcd_pid > 0) {
		kill(etcd_pid, SIGKILL);
		waitpid(etcd_pid, NULL, 0);
		etcd_pid = -1;
	}
	if (dir_made) {
		l2x_test_rmtree(dir);
		dir_made = false;
	}
}

static void on_signal(int sig)
{
	etcd_stop();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A port nothing listens on now (the kernel's pick for a bound socket). */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static size_t keep_body(char *p, size_t size, size_t n, void *ud)
{
	char *buf = ud;
	size_t have = strlen(buf), len = size * n;

	if (have + len < 256) {
		memcpy(buf + have, p, len);
		buf[have + len] = '\0';
	}
	return len;
}

/* GET /health until it says true, for up to 15 s. */
static int wait_health(void)
{
	char url[64], body[256];
	CURL *h = curl_easy_init();
	int rc = -1;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", client_port);
	for (int i = 0; h != NULL && rc != 0 && i < 300; i++) {
		body[0] = '\0';
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_PROXY, "");
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1000L);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_body);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)body);
		if (curl_easy_perform(h) == CURLE_OK &&
		    strstr(body, "\"health\":\"true\"") != NULL)
			rc = 0;
		else if (waitpid(etcd_pid, NULL, WNOHANG) == etcd_pid)
			break; /* it exited: a port taken, say */
		else
			usleep(50000);
	}
	curl_easy_cleanup(h);
	return rc;
}

static void etcd_exec(int peer_port)
{
	char name[32], cu[64], pu[64], cluster[96], data[64], log[64];
	int fd;

	snprintf(name, sizeof(name), "l2x-test-%d", (int)owner);
	snprintf(cu, sizeof(cu), "http://127.0.0.1:%d", client_port);
	snprintf(pu, sizeof(pu), "http://127.0.0.1:%d", peer_port);
	snprintf(cluster, sizeof(cluster), "%s=%s", name, pu);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(log, sizeof(log), "%s/etcd.log", dir);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execl(ETCD_BIN, ETCD_BIN, "--name", name, "--data-dir", data,
	      "--listen-client-urls", cu, "--advertise-client-urls", cu,
	      "--listen-peer-urls", pu, "--initial-advertise-peer-urls", pu,
	      "--initial-cluster", cluster, "--initial-cluster-token", name,
	      "--logger", "zap", "--log-level", "warn", (char *)NULL);
	_exit(127);
}

static void print_log(void)
{
	char log[64], line[512];
	FILE *f;

	snprintf(log, sizeof(log), "%s/etcd.log", dir);
	f = fopen(log, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		fprintf(stderr, "etcd: %s", line);
	if (f != NULL)
		fclose(f);
}

/* Start etcd; a few tries, in case another process took a port. */
static int etcd_start(void)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		int peer_port;

		client_port = free_port();
		do
			peer_port = free_port();
		while (peer_port == client_port);
		if (client_port < 0 || peer_port < 0)
			return -1;
		etcd_pid = fork();
		if (etcd_pid < 0)
			return -1;
		if (etcd_pid == 0)
			etcd_exec(peer_port);
		if (wait_health() == 0)
			return 0;
		kill(etcd_pid, SIGKILL);
		waitpid(etcd_pid, NULL, 0);
		etcd_pid = -1;
		print_log();
	}
	return -1;
}

static void etcd_uri(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "etcd:http://127.0.0.1:%d?prefix=%s", client_port,
		 name);
}

static const struct store_env etcd_env = {
    .name = "etcd",
    .eager = false,
    .uri = etcd_uri,
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- URIs and endpoints ----------------------------------------------------
 */

/* tmpl with @L made etcd's port and @D the dead one. */
static void ports(char *buf, size_t len, const char *tmpl, int dead)
{
	size_t n = 0;

	for (const char *p = tmpl; *p != '\0' && n + 8 < len; p++) {
		if (p[0] == '@' && (p[1] == 'L' || p[1] == 'D')) {
			n += (size_t)snprintf(buf + n, len - n, "%d",
					      p[1] == 'L' ? client_port : dead);
			p++;
		} else {
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
}

static void test_uri(void **state)
{
	static const struct {
		const char *uri; /* @L: etcd's port, @D: a dead one */
		int rc;
		const char *says;
	} cases[] = {
	    {"etcd:", -EINVAL, "has no endpoint"},
	    {"etcd://127.0.0.1:@L", -EINVAL, "write etcd:http://HOST:2379"},
	    {"etcd:ftp://127.0.0.1:@L", -EINVAL, "is not http(s)://HOST"},
	    {"etcd:http://127.0.0.1:@L/v3", -EINVAL, "is not http(s)://"},
	    {"etcd:http://u:p@127.0.0.1:@L", -EINVAL, "is not http(s)://"},
	    {"etcd:http://127.0.0.1:@L,", -EINVAL, "is not http(s)://"},
	    {"etcd:http://127.0.0.1:@L?prefix=a/b", -EINVAL, "prefix=NAME"},
	    {"etcd:http://127.0.0.1:@L?color=red", -EINVAL, "'color'"},
	    {"etcd:http://127.0.0.1:@L?prefix", -EINVAL, "has no '='"},
	    {"etcd:http://127.0.0.1:@L?timeout_ms=5", -EINVAL, "100..600000"},
	    {"etcd:http://127.0.0.1:@D", -ECONNREFUSED,
	     "store: etcd http://127.0.0.1:"},
	    {"etcd:http://127.0.0.1:@D,http://127.0.0.1:@L?prefix=uri", 0, ""},
	    {"ETCD:http://127.0.0.1:@L/?prefix=uri&timeout_ms=2000", 0, ""},
	};
	int dead = free_port();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct l2x_store *s = (struct l2x_store *)&s;
		char uri[256], err[256];
		int rc;

		ports(uri, sizeof(uri), cases[i].uri, dead);
		rc = l2x_store_open(uri, &s, err, sizeof(err));
		if (rc != cases[i].rc || strstr(err, cases[i].says) == NULL)
			fail_msg("case %zu (%s): %d '%s'", i, uri, rc, err);
		if (rc != 0) {
			assert_null(s);
			continue;
		}
		/* through the live endpoint, whichever comes first */
		assert_int_equal(l2x_store_put1(s, "k", "a", "1", 0, NULL), 0);
		assert_doc(s, "k", "a", "1");
		l2x_store_close(s);
	}
}

/* --- guards against another writer --------------------------------------- */

/* What a transaction read (txn_get, a counter) is checked at commit: a
 * write by another handle in between fails it with -ESTALE, nothing
 * applied. */
static void test_read_guard(void **state)
{
	struct l2x_store *a = open_ok("guard"), *b = open_ok("guard");
	struct l2x_store_txn *t;
	char *json = NULL;
	uint64_t id = 0;

	(void)state;
	assert_int_equal(l2x_store_put1(a, "k", "x", "1", 0, NULL), 0);
	/* a document read, then written by b */
	assert_int_equal(l2x_store_begin(a, &t), 0);
	assert_int_equal(l2x_store_txn_get(t, "k", "x", &json, NULL), 0);
	assert_string_equal(json, "1");
	free(json);
	assert_int_equal(l2x_store_put(t, "k", "y", "2", 0), 0);
	assert_int_equal(l2x_store_put1(b, "k", "x", "9", 0, NULL), 0);
	assert_int_equal(l2x_store_commit(t), -ESTALE);
	assert_doc(a, "k", "y", "-");
	/* a document read absent, then created by b */
	assert_int_equal(l2x_store_begin(a, &t), 0);
	assert_int_equal(l2x_store_txn_get(t, "k", "z", NULL, NULL), -ENOENT);
	assert_int_equal(l2x_store_put(t, "k", "y", "2", 0), 0);
	assert_int_equal(l2x_store_put1(b, "k", "z", "9", 0, NULL), 0);
	assert_int_equal(l2x_store_commit(t), -ESTALE);
	assert_doc(a, "k", "y", "-");
	/* a counter taken by b first: a's value would be taken twice */
	assert_int_equal(l2x_store_begin(a, &t), 0);
	assert_int_equal(l2x_store_next_id(t, "c", &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(take(b, "c", true), 1);
	assert_int_equal(l2x_store_commit(t), -ESTALE);
	assert_int_equal(take(a, "c", true), 2);
	/* unchanged: the read holds */
	assert_int_equal(l2x_store_begin(a, &t), 0);
	assert_int_equal(l2x_store_txn_get(t, "k", "x", NULL, NULL), 0);
	assert_int_equal(l2x_store_put(t, "k", "y", "3", 0), 0);
	assert_int_equal(l2x_store_commit(t), 0);
	assert_doc(b, "k", "y", "3");
	l2x_store_close(a);
	l2x_store_close(b);
}

/* --- leading and fencing -----------------------------------------------------
 */

#define ME_A "manager-a https://198.18.0.1:8443"
#define ME_B "manager-b https://198.18.0.2:8443"

/* Campaign until s leads, for up to 15 s; the seconds it took. */
static double lead_within(struct l2x_store *s, const char *me)
{
	double t0 = now_s();
	char who[128];
	int rc;

	while ((rc = l2x_store_campaign(s, "election/leader", TTL, me, who,
					sizeof(who))) == -EAGAIN &&
	       now_s() - t0 < 15)
		usleep(100000);
	if (rc != 0)
		fail_msg("campaign: %d (%s) '%s'", rc, l2x_store_why(), who);
	return now_s() - t0;
}

static void test_fence(void **state)
{
	struct l2x_store *a = open_ok("fence"), *b = open_ok("fence");
	struct l2x_store_txn *t;
	char who[128];
	uint64_t r;
	double took;

	(void)state;
	/* a leads; b learns who does, and cannot write under its guard */
	assert_int_equal(l2x_store_campaign(a, "election/leader", TTL, ME_A,
					    who, sizeof(who)),
			 0);
	assert_string_equal(who, "");
	assert_int_equal(l2x_store_guard(a, "election", "leader", ME_A), 0);
	assert_int_equal(l2x_store_put1(a, "k", "x", "1", 0, NULL), 0);
	assert_int_equal(l2x_store_campaign(b, "election/leader", TTL, ME_B,
					    who, sizeof(who)),
			 -EAGAIN);
	assert_string_equal(who, ME_A);
	assert_doc(b, "election", "leader", "\"" ME_A "\"");
	assert_int_equal(l2x_store_guard(b, "election", "leader", ME_B), 0);
	assert_int_equal(l2x_store_put1(b, "k", "y", "1", 0, NULL), -EPERM);
	assert_non_null(strstr(l2x_store_why(), "does not lead"));
	assert_doc(a, "k", "y", "-");
	/* campaigning again while leading: still leads */
	assert_int_equal(
	    l2x_store_campaign(a, "election/leader", TTL, ME_A, NULL, 0), 0);
	/* renewed, a keeps leading well past its TTL */
	for (int i = 0; i < 6; i++) {
		usleep(500000);
		assert_int_equal(l2x_store_keepalive(a), 0);
	}
	assert_int_equal(
	    l2x_store_campaign(b, "election/leader", TTL, ME_B, NULL, 0),
	    -EAGAIN);
	assert_int_equal(l2x_store_put1(a, "k", "x", "2", 0, NULL), 0);

	/* a stops renewing (as if paused); b leads once a's lease expired */
	took = lead_within(b, ME_B);
	print_message("[ info     ] etcd: b leads %.1f s after a's last "
		      "renewal (TTL %d s)\n",
		      took, TTL);
	assert_true(took >= 1.0);
	/* a wakes up: its first write is refused, nothing applied */
	r = rev_now(b);
	assert_int_equal(l2x_store_put1(a, "k", "x", "3", 0, NULL), -EPERM);
	assert_int_equal(l2x_store_begin(a, &t), 0);
	assert_int_equal(l2x_store_put(t, "k", "x", "4", L2X_STORE_ABSENT), 0);
	assert_int_equal(l2x_store_del(t, "k", "y", 0), 0);
	assert_int_equal(l2x_store_commit(t), -EPERM); /* over -EEXIST */
	assert_doc(b, "k", "x", "2");
	assert_int_equal(rev_now(b), r);
	assert_int_equal(l2x_store_keepalive(a), -ETIME);
	assert_int_equal(l2x_store_campaign(a, "election/leader", TTL, ME_A,
					    who, sizeof(who)),
			 -EAGAIN);
	assert_string_equal(who, ME_B);
	assert_int_equal(l2x_store_put1(a, "k", "x", "5", 0, NULL), -EPERM);
	assert_int_equal(l2x_store_put1(b, "k", "x", "6", 0, NULL), 0);

	/* b resigns: its writes stop at once, a leads at once */
	assert_int_equal(l2x_store_resign(b), 0);
	assert_int_equal(l2x_store_keepalive(b), -ETIME);
	assert_int_equal(l2x_store_put1(b, "k", "x", "7", 0, NULL), -EPERM);
	assert_int_equal(
	    l2x_store_campaign(a, "election/leader", TTL, ME_A, NULL, 0), 0);
	assert_int_equal(l2x_store_put1(a, "k", "x", "8", 0, NULL), 0);
	/* a guard removed: b writes unfenced again */
	assert_int_equal(l2x_store_guard(b, NULL, NULL, NULL), 0);
	assert_int_equal(l2x_store_put1(b, "k", "z", "1", 0, NULL), 0);
	/* closing a resigns it: b leads at once */
	l2x_store_close(a);
	assert_int_equal(
	    l2x_store_campaign(b, "election/leader", TTL, ME_B, NULL, 0), 0);
	assert_int_equal(l2x_store_campaign(b, "bad", TTL, ME_B, NULL, 0),
			 -EINVAL);
	l2x_store_close(b);
}

/* The lease half of the fence: a manager restarted with the same id (a
 * new store, a new lease) waits for its old lease to expire, then leads;
 * its old incarnation, woken up, cannot write although the election key
 * holds its id. */
static void test_same_id(void **state)
{
	struct l2x_store *old = open_ok("sameid"), *now = open_ok("sameid");
	char who[128];

	(void)state;
	assert_int_equal(
	    l2x_store_campaign(old, "election/leader", TTL, ME_A, NULL, 0), 0);
	assert_int_equal(l2x_store_guard(old, "election", "leader", ME_A), 0);
	assert_int_equal(l2x_store_put1(old, "k", "x", "1", 0, NULL), 0);
	assert_int_equal(l2x_store_campaign(now, "election/leader", TTL, ME_A,
					    who, sizeof(who)),
			 -EAGAIN);
	assert_string_equal(who, ME_A);
	lead_within(now, ME_A);
	assert_int_equal(l2x_store_guard(now, "election", "leader", ME_A), 0);
	assert_int_equal(l2x_store_put1(now, "k", "x", "2", 0, NULL), 0);
	assert_int_equal(l2x_store_put1(old, "k", "x", "3", 0, NULL), -EPERM);
	assert_doc(now, "k", "x", "2");
	l2x_store_close(old);
	l2x_store_close(now);
}

/* The SIGSTOP child: lead, then write a heartbeat every 100 ms and
 * renew, ignoring what renewal says, as a manager that does not yet
 * know it was paused. Exits 10 when a write is refused with -EPERM, 12
 * when none is for 30 s (the fence is broken: fail, do not hang). */
static void beat_child(int fd)
{
	struct l2x_store *s;
	char uri[256], json[32], who[128];
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	etcd_uri(uri, sizeof(uri), "sigstop");
	if (l2x_store_open(uri, &s, NULL, 0) != 0)
		_exit(2);
	rc = l2x_store_campaign(s, "election/leader", TTL, ME_A, who,
				sizeof(who));
	if (rc != 0 || l2x_store_guard(s, "election", "leader", ME_A) != 0)
		_exit(3);
	if (write(fd, "L", 1) != 1)
		_exit(4);
	for (int i = 0; i < 300; i++) {
		snprintf(json, sizeof(json), "%d", i);
		rc = l2x_store_put1(s, "k", "beat", json, 0, NULL);
		if (rc != 0)
			_exit(rc == -EPERM ? 10 : 11);
		usleep(100000);
		l2x_store_keepalive(s);
	}
	_exit(12);
}

/* A leader really paused (SIGSTOP) past its TTL, while another takes
 * over, writes nothing once it wakes (SIGCONT). */
static void test_sigstop(void **state)
{
	struct l2x_store *b = open_ok("sigstop");
	uint64_t beat = 0, elected = 0;
	int fds[2], status = 0;
	char c = 0;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		beat_child(fds[1]);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	usleep(300000);
	assert_int_equal(kill(pid, SIGSTOP), 0);
	lead_within(b, ME_B);
	assert_int_equal(l2x_store_guard(b, "election", "leader", ME_B), 0);
	assert_int_equal(l2x_store_put1(b, "k", "after", "1", 0, NULL), 0);
	assert_int_equal(kill(pid, SIGCONT), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 10)
		fail_msg("child: status %#x, want exit 10 (-EPERM)", status);
	/* its last heartbeat landed before b was elected, none after */
	assert_int_equal(l2x_store_get(b, "k", "beat", NULL, &beat), 0);
	assert_int_equal(l2x_store_get(b, "election", "leader", NULL, &elected),
			 0);
	assert_true(beat < elected);
	l2x_store_close(b);
}

/* --- answers no gateway sends -------------------------------------------- */

/* A fake gateway: each connection gets the next canned answer ("STATUS
 * LINE\nBODY"), then is closed. */
struct fake {
	int fd, port;
	pthread_mutex_t mu;
	const char *answer[2];
	size_t next;
	bool stop;
	pthread_t th;
};

/* Read a request: headers, then Content-Length bytes of body. */
static void drain(int fd)
{
	char buf[8192];
	size_t have = 0;
	long body = -1;
	char *end;

	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);

		if (n <= 0)
			return;
		have += (size_t)n;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end != NULL && body < 0) {
			char *cl = strcasestr(buf, "content-length:");

			body = cl != NULL ? strtol(cl + 15, NULL, 10) : 0;
		}
		if (end != NULL &&
		    (long)(have - (size_t)(end + 4 - buf)) >= body)
			return;
		if (have == sizeof(buf) - 1)
			return;
	}
}

static void *fake_run(void *arg)
{
	struct fake *f = arg;

	for (;;) {
		struct pollfd p = {.fd = f->fd, .events = POLLIN};
		const char *ans, *nl;
		char head[256];
		int c;

		pthread_mutex_lock(&f->mu);
		if (f->stop) {
			pthread_mutex_unlock(&f->mu);
			return NULL;
		}
		pthread_mutex_unlock(&f->mu);
		if (poll(&p, 1, 50) <= 0)
			continue;
		c = accept(f->fd, NULL, NULL);
		if (c < 0)
			continue;
		drain(c);
		pthread_mutex_lock(&f->mu);
		ans = f->next < 2 ? f->answer[f->next++] : "500 Nothing\n";
		pthread_mutex_unlock(&f->mu);
		nl = strchr(ans, '\n');
		snprintf(head, sizeof(head),
			 "HTTP/1.1 %.*s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 (int)(nl - ans), ans, strlen(nl + 1));
		if (write(c, head, strlen(head)) < 0 ||
		    write(c, nl + 1, strlen(nl + 1)) < 0)
			print_error("fake gateway: write failed\n");
		close(c);
	}
}

static void fake_start(struct fake *f)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(f->fd >= 0);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f->fd, 8), 0);
	assert_int_equal(getsockname(f->fd, (struct sockaddr *)&a, &len), 0);
	f->port = ntohs(a.sin_port);
	pthread_mutex_init(&f->mu, NULL);
	assert_int_equal(pthread_create(&f->th, NULL, fake_run, f), 0);
}

static void fake_stop(struct fake *f)
{
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->th, NULL);
	close(f->fd);
	pthread_mutex_destroy(&f->mu);
}

enum op { GET, LIST, COUNT, COMMIT, CAMPAIGN };

static int no_doc(void *arg, const char *id, const char *json, uint64_t rev)
{
	(void)arg;
	(void)id;
	(void)json;
	(void)rev;
	return 0;
}

static int run_op(struct l2x_store *s, enum op op)
{
	struct l2x_store_txn *t;
	char *json = NULL;
	size_t n;
	int rc;

	switch (op) {
	case GET:
		rc = l2x_store_get(s, "k", "a", &json, NULL);
		if (rc == 0 && strcmp(json, "{}") != 0)
			rc = -EBADMSG;
		free(json);
		return rc;
	case LIST:
		return l2x_store_list(s, "k", no_doc, NULL);
	case COUNT:
		return l2x_store_count(s, "k", &n);
	case COMMIT:
		rc = l2x_store_begin(s, &t);
		if (rc == 0)
			l2x_store_put(t, "k", "a", "1", L2X_STORE_ABSENT);
		return rc == 0 ? l2x_store_commit(t) : rc;
	default:
		return l2x_store_campaign(s, "election/leader", TTL, ME_A, NULL,
					  0);
	}
}

#define OK "200 OK\n"
#define HDR "{\"header\":{\"revision\":\"5\"}"

/* Every answer a gateway would never send is -EIO (or what its error
 * says) with a sentence, never a crash; a gateway that went away is
 * -ECONNREFUSED naming it. */
static void test_malformed(void **state)
{
	static const struct {
		enum op op;
		const char *answer;
		int rc;
	} cases[] = {
	    {GET,
	     OK HDR ",\"kvs\":[{\"mod_revision\":\"3\",\"value\":"
		    "\"e30=\"}]}",
	     0},
	    {GET, OK "not json", -EIO},
	    {GET, OK "[]", -EIO},
	    {GET, OK "{\"kvs\":[]}", -EIO},
	    {GET, OK "{\"header\":{\"revision\":\"x5\"}}", -EIO},
	    {GET, OK "{\"header\":{\"revision\":\" 5\"}}", -EIO},
	    {GET, OK "{\"header\":[]}", -EIO},
	    {GET, OK HDR ",\"kvs\":{}}", -EIO},
	    {GET, OK HDR ",\"kvs\":[7]}", -EIO},
	    {GET,
	     OK HDR ",\"kvs\":[{\"mod_revision\":\"3\",\"value\":\"@@\"}]}",
	     -EIO},
	    {GET, OK HDR ",\"kvs\":[{\"mod_revision\":\"3\",\"value\":7}]}",
	     -EIO},
	    {GET, OK HDR ",\"kvs\":[{\"mod_revision\":\"abc\"}]}", -EIO},
	    {GET, OK HDR ",\"kvs\":[{\"value\":\"e30=\"}]}", -EIO},
	    {GET, OK HDR ",\"kvs\":[{\"mod_revision\":\"-3\"}]}", -EIO},
	    {GET,
	     OK HDR ",\"kvs\":[{\"mod_revision\":\"99999999999999999999\"}"
		    "]}",
	     -EIO},
	    {GET,
	     OK HDR ",\"kvs\":[{\"mod_revision\":3},{\"mod_revision\":3}]}",
	     -EIO},
	    {GET,
	     "503 Service Unavailable\n{\"error\":\"etcdserver: no "
	     "leader\",\"message\":\"etcdserver: no leader\",\"code\":14}",
	     -EIO},
	    {GET, "404 Not Found\n404 page not found", -EPROTO},
	    {GET, "500 Oops\n{\"code\":\"x\"}", -EIO},
	    {GET,
	     "400 Bad Request\n{\"code\":3,\"message\":\"etcdserver: request "
	     "is too large\"}",
	     -EMSGSIZE},
	    {GET, OK "{\"error\":{\"grpc_code\":5,\"message\":\"gone\"}}",
	     -ENOENT},
	    {LIST,
	     OK HDR ",\"kvs\":[{\"key\":\"eA==\",\"mod_revision\":\"3\","
		    "\"value\":\"e30=\"}]}",
	     -EIO},
	    {LIST, OK HDR ",\"more\":\"yes\"}", -EIO},
	    {COUNT, OK HDR ",\"count\":\"-1\"}", -EIO},
	    {COUNT, OK HDR ",\"count\":{}}", -EIO},
	    {COMMIT, OK HDR ",\"succeeded\":\"yes\"}", -EIO},
	    {COMMIT, OK HDR "}", -EIO},
	    {COMMIT, OK HDR ",\"responses\":[{\"response_range\":" HDR "}}]}",
	     -EIO},
	    {COMMIT,
	     OK HDR ",\"responses\":[{\"response_range\":" HDR
		    ",\"kvs\":[{\"mod_revision\":\"2\"}]}}]}",
	     -EEXIST},
	    {COMMIT, OK HDR ",\"succeeded\":true}", 0},
	    {CAMPAIGN, OK HDR ",\"ID\":\"abc\"}", -EIO},
	    {CAMPAIGN, OK HDR ",\"ID\":\"-4\"}", -EIO},
	};
	struct fake f = {0};

	(void)state;
	fake_start(&f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct l2x_store *s = NULL;
		char uri[128], err[256];
		int rc;

		pthread_mutex_lock(&f.mu);
		f.answer[0] = OK HDR "}"; /* open's read */
		f.answer[1] = cases[i].answer;
		f.next = 0;
		pthread_mutex_unlock(&f.mu);
		snprintf(uri, sizeof(uri), "etcd:http://127.0.0.1:%d", f.port);
		rc = l2x_store_open(uri, &s, err, sizeof(err));
		if (rc != 0)
			fail_msg("case %zu: open: %d %s", i, rc, err);
		rc = run_op(s, cases[i].op);
		if (rc != cases[i].rc)
			fail_msg("case %zu: %d, want %d (%s)", i, rc,
				 cases[i].rc, l2x_store_why());
		if (rc == -EIO && l2x_store_why()[0] == '\0')
			fail_msg("case %zu: -EIO without a sentence", i);
		l2x_store_close(s);
	}
	fake_stop(&f);
}

/* The endpoint went away: -ECONNREFUSED, and the sentence names it. */
static void test_gone(void **state)
{
	struct fake f = {0};
	struct l2x_store *s = NULL;
	char uri[128], where[64];

	(void)state;
	fake_start(&f);
	f.answer[0] = OK HDR "}";
	snprintf(uri, sizeof(uri), "etcd:http://127.0.0.1:%d", f.port);
	assert_int_equal(l2x_store_open(uri, &s, NULL, 0), 0);
	fake_stop(&f);
	assert_int_equal(l2x_store_get(s, "k", "a", NULL, NULL), -ECONNREFUSED);
	snprintf(where, sizeof(where), "etcd http://127.0.0.1:%d:", f.port);
	if (strstr(l2x_store_why(), where) == NULL)
		fail_msg("sentence: '%s'", l2x_store_why());
	l2x_store_close(s);
}

/* --- figures ---------------------------------------------------------------
 */

static int count_all(void *arg, const char *id, const char *json, uint64_t rev)
{
	(void)id;
	(void)json;
	(void)rev;
	++*(size_t *)arg;
	return 0;
}

/* Time per operation against this local etcd (one member, its data on
 * /tmp): printed, never checked. */
static void test_figures(void **state)
{
	enum { N = 200 };
	struct l2x_store *s = open_ok("figures");
	struct l2x_store_txn *t;
	char id[16], *json;
	double t0, put, get, txn, list;
	uint64_t v;
	size_t n = 0;

	(void)state;
	t0 = now_s();
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "d%03d", i);
		assert_int_equal(l2x_store_put1(s, "k", id,
						"{\"vlan\": 100, \"name\": "
						"\"web\"}",
						0, NULL),
				 0);
	}
	put = (now_s() - t0) / N;
	t0 = now_s();
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "d%03d", i);
		assert_int_equal(l2x_store_get(s, "k", id, &json, NULL), 0);
		free(json);
	}
	get = (now_s() - t0) / N;
	t0 = now_s();
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "d%03d", i);
		assert_int_equal(l2x_store_begin(s, &t), 0);
		assert_int_equal(l2x_store_txn_get(t, "k", id, &json, NULL), 0);
		free(json);
		assert_int_equal(l2x_store_next_id(t, "tunnel", &v), 0);
		assert_int_equal(l2x_store_put(t, "k", id, "{}", 0), 0);
		assert_int_equal(l2x_store_put(t, "claim", id, "{}", 0), 0);
		assert_int_equal(l2x_store_commit(t), 0);
	}
	txn = (now_s() - t0) / N;
	t0 = now_s();
	assert_int_equal(l2x_store_list(s, "k", count_all, &n), 0);
	list = now_s() - t0;
	assert_int_equal(n, N);
	print_message("[ info     ] etcd: put1 %.0f us, get %.0f us, txn "
		      "(read, counter, 2 puts) %.0f us, list of %d %.1f ms\n",
		      put * 1e6, get * 1e6, txn * 1e6, N, list * 1e3);
	l2x_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    STORE_CASES,
	    cmocka_unit_test(test_uri),
	    cmocka_unit_test(test_read_guard),
	    cmocka_unit_test(test_fence),
	    cmocka_unit_test(test_same_id),
	    cmocka_unit_test(test_sigstop),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_gone),
	    cmocka_unit_test(test_figures),
	};
	int rc;

	if (access(ETCD_BIN, X_OK) != 0) {
		printf("SKIP: etcd-server not installed (make deps installs "
		       "it)\n");
		return 0;
	}
	owner = getpid();
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return 1;
	}
	dir_made = true;
	atexit(etcd_stop);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (etcd_start() != 0) {
		fprintf(stderr, "test_store_etcd: etcd did not start (its "
				"log above)\n");
		return 1;
	}
	store_env = &etcd_env;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	etcd_stop();
	curl_global_cleanup();
	return rc;
}
