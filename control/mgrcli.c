/* SPDX-License-Identifier: MIT */
/*
 * mgrcli.c - l2xctl's manager mode (mgrcli.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "control/https.h"
#include "control/mgrcli.h"

#define S(o, k) json_string_value(json_object_get((o), (k)))
#define WAIT_S 120

struct cli {
	const struct l2x_mgrcli_opts *o;
	char token[256];
};

static int fail(const char *fmt, const char *a)
{
	fprintf(stderr, "l2xctl: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	return 1;
}

static int load_token(struct cli *c)
{
	const char *file =
	    c->o->token_file ? c->o->token_file : getenv("L2X_TOKEN_FILE");
	const char *env = getenv("L2X_TOKEN");
	struct stat st;
	ssize_t n;
	int fd;

	if (file == NULL) {
		if (env == NULL)
			return fail("%s", "no token: give --token-file FILE, "
					  "L2X_TOKEN_FILE or L2X_TOKEN");
		snprintf(c->token, sizeof(c->token), "%s", env);
		return 0;
	}
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return fail("%s: cannot read the token file", file);
	}
	if ((st.st_mode & 077) != 0) {
		close(fd);
		return fail("%s: a token file must be mode 0600", file);
	}
	n = read(fd, c->token, sizeof(c->token) - 1);
	close(fd);
	if (n <= 0)
		return fail("%s: empty token file", file);
	c->token[n] = '\0';
	c->token[strcspn(c->token, " \t\r\n")] = '\0';
	return 0;
}

/* One call; *ans the parsed answer (or NULL). Prints the error and
 * returns 1 unless the status is 2xx. */
static int api(struct cli *c, const char *method, const char *path,
	       json_t *body, json_t **ans)
{
	struct l2x_https_client hc = {
	    .pin = c->o->pin ? c->o->pin : getenv("L2X_MANAGER_PIN"),
	    .bearer = c->token,
	    .timeout_ms = 30000,
	};
	char url[1024], err[512], *text = NULL, *resp = NULL;
	int status, rc;

	*ans = NULL;
	if (hc.pin == NULL)
		return fail("%s", "no pin of the manager's certificate: give "
				  "--pin or L2X_MANAGER_PIN (l2x-agent -c "
				  "FILE pin prints it)");
	snprintf(url, sizeof(url), "%s/api/v1%s", c->o->url, path);
	if (body != NULL)
		text = json_dumps(body, JSON_COMPACT);
	rc = l2x_https_call(&hc, method, url, text, &status, &resp, err,
			    sizeof(err));
	free(text);
	if (rc != 0)
		return fail("%s", err);
	if (resp != NULL && resp[0] != '\0')
		*ans = json_loads(resp, 0, NULL);
	free(resp);
	if (status / 100 != 2) {
		const char *msg = S(json_object_get(*ans, "error"), "message");

		fprintf(stderr, "l2xctl: %s %s: %d: %s\n", method, path, status,
			msg != NULL ? msg : "no reason given");
		json_decref(*ans);
		*ans = NULL;
		return 1;
	}
	return 0;
}

/* ---- tables
 * ---------------------------------------------------------------------- */

static void cell(json_t *v, char *out, size_t len)
{
	char *t;

	if (v == NULL || json_is_null(v) ||
	    (json_is_array(v) && json_array_size(v) == 0)) {
		snprintf(out, len, "-");
	} else if (json_is_object(v) && json_object_get(v, "switch") != NULL &&
		   json_object_get(v, "vlan") != NULL) {
		/* a destination: SWITCH/VLAN */
		snprintf(
		    out, len, "%s/%lld",
		    json_string_value(json_object_get(v, "switch")),
		    (long long)json_integer_value(json_object_get(v, "vlan")));
	} else if (json_is_string(v)) {
		snprintf(out, len, "%s", json_string_value(v));
	} else if (json_is_array(v) && json_array_size(v) > 0 &&
		   json_is_string(json_array_get(v, 0))) {
		size_t i;
		json_t *e;

		out[0] = '\0';
		json_array_foreach(v, i, e)
		    snprintf(out + strlen(out), len - strlen(out), "%s%s",
			     i ? "," : "", json_string_value(e));
	} else {
		t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(out, len, "%s", t != NULL ? t : "?");
		free(t);
	}
}

/* rows: array of objects; cols: "key" or "key=Header", NULL-terminated. */
static void table(json_t *rows, const char *const *cols)
{
	size_t ncol = 0, w[16] = {0}, i, c;
	char buf[256], key[64];
	const char *hdr[16];
	json_t *r;

	for (; cols[ncol] != NULL && ncol < 16; ncol++) {
		const char *eq = strchr(cols[ncol], '=');

		hdr[ncol] = eq ? eq + 1 : cols[ncol];
		w[ncol] = strlen(hdr[ncol]);
	}
	json_array_foreach(rows, i, r) for (c = 0; c < ncol; c++)
	{
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(cols[c], "="),
			 cols[c]);
		cell(json_object_get(r, key), buf, sizeof(buf));
		if (strlen(buf) > w[c])
			w[c] = strlen(buf);
	}
	for (c = 0; c < ncol; c++)
		printf("%-*s%s", c + 1 < ncol ? (int)w[c] : 0, hdr[c],
		       c + 1 < ncol ? "  " : "\n");
	json_array_foreach(rows, i, r) for (c = 0; c < ncol; c++)
	{
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(cols[c], "="),
			 cols[c]);
		cell(json_object_get(r, key), buf, sizeof(buf));
		printf("%-*s%s", c + 1 < ncol ? (int)w[c] : 0, buf,
		       c + 1 < ncol ? "  " : "\n");
	}
}

/* Flatten the mesh list into one row per pair. */
static json_t *mesh_rows(json_t *meshes)
{
	json_t *rows = json_array(), *ms, *p;
	size_t i, j;

	json_array_foreach(meshes, i, ms)
	    json_array_foreach(json_object_get(ms, "pairs"), j, p)
	{
		json_t *l = json_object_get(p, "local");
		json_t *r = json_object_get(p, "remote");

		json_array_append_new(
		    rows,
		    json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:s}",
			      "mesh", json_object_get(ms, "name"), "pair",
			      json_object_get(p, "id"), "switch",
			      json_object_get(p, "switch"), "local",
			      json_object_get(l, "appliance"), "localUplink",
			      json_object_get(l, "uplinkAddress"), "remote",
			      json_object_get(r, "appliance"), "remoteUplink",
			      json_object_get(r, "uplinkAddress"), "state",
			      json_object_get(p, "state"), "networks",
			      json_object_get(p, "networks"), "health",
			      json_is_true(json_object_get(p, "held")) ? "held"
			      : json_is_true(json_object_get(p, "draining"))
				  ? "draining"
			      : S(p, "health") != NULL ? S(p, "health")
						       : "-"));
	}
	return rows;
}

static int show(struct cli *c, const char *what)
{
	static const char *const ext_cols[] = {
	    "id",      "portGroup",   "switch",	  "vlan", "destination",
	    "gateway", "gatewaySide", "tunnelId", "pair", "state",
	    "since",   "toPair",      "reason",	  NULL};
	static const char *const appl_cols[] = {
	    "name",   "switch", "health",   "uplinkAddress=uplink",
	    "tunnel", "ikeSa",	"networks", "lastSeenSecondsAgo=seen(s)",
	    NULL};
	static const char *const mesh_cols[] = {
	    "mesh",   "pair",	      "switch", "local",    "localUplink",
	    "remote", "remoteUplink", "state",	"networks", "health",
	    NULL};
	static const char *const pair_cols[] = {
	    "id", "url", "state", "certificatePin=pin", "since", NULL};
	static const char *const sw_cols[] = {"name", "portGroups",
					      "appliances", NULL};
	static const char *const ev_cols[] = {"time", "kind", "object",
					      "message", NULL};
	static const struct {
		const char *what, *path;
		const char *const *cols;
	} t[] = {
	    {"extensions", "/networkExtensions", ext_cols},
	    {"appliances", "/appliances", appl_cols},
	    {"mesh", "/serviceMeshes", mesh_cols},
	    {"pairings", "/sitePairings", pair_cols},
	    {"switches", "/switches", sw_cols},
	    {"events", "/events", ev_cols},
	};
	json_t *ans, *rows;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(what, t[i].what) != 0)
			continue;
		if (api(c, "GET", t[i].path, NULL, &ans) != 0)
			return 1;
		if (c->o->json) {
			json_dumpf(ans, stdout, JSON_INDENT(2));
			putchar('\n');
		} else {
			rows = strcmp(what, "mesh") == 0 ? mesh_rows(ans)
							 : json_incref(ans);
			table(rows, t[i].cols);
			json_decref(rows);
		}
		json_decref(ans);
		return 0;
	}
	return fail("show: '%s' is not extensions, appliances, mesh, "
		    "pairings, switches or events",
		    what);
}

/* ---- commands
 * --------------------------------------------------------------------- */

static int print_answer(struct cli *c, json_t *ans)
{
	if (ans != NULL) {
		json_dumpf(ans, stdout, c->o->json ? JSON_INDENT(2) : 0);
		putchar('\n');
	}
	json_decref(ans);
	return 0;
}

/* Wait for extension id to reach want ("extended") or to disappear (want
 * NULL); "failed" ends the wait with its reason. */
static int wait_ext(struct cli *c, const char *id, const char *want)
{
	char path[128];

	snprintf(path, sizeof(path), "/networkExtensions/%s", id);
	for (int i = 0; i < WAIT_S * 4; i++) {
		struct l2x_https_client hc = {
		    .pin = c->o->pin ? c->o->pin : getenv("L2X_MANAGER_PIN"),
		    .bearer = c->token,
		    .timeout_ms = 10000,
		};
		char url[1024], err[256], *resp = NULL;
		json_t *e;
		int status;

		snprintf(url, sizeof(url), "%s/api/v1%s", c->o->url, path);
		if (l2x_https_call(&hc, "GET", url, NULL, &status, &resp, err,
				   sizeof(err)) != 0)
			return fail("%s", err);
		e = resp != NULL ? json_loads(resp, 0, NULL) : NULL;
		free(resp);
		if (status == 404 && want == NULL) {
			json_decref(e);
			printf("%s: unextended\n", id);
			return 0;
		}
		if (want != NULL && S(e, "state") != NULL) {
			if (strcmp(S(e, "state"), want) == 0) {
				printf("%s: %s\n", id, want);
				json_decref(e);
				return 0;
			}
			if (strcmp(S(e, "state"), "failed") == 0) {
				fprintf(stderr, "l2xctl: %s failed: %s\n", id,
					S(e, "reason") ? S(e, "reason") : "");
				json_decref(e);
				return 1;
			}
		}
		json_decref(e);
		usleep(250 * 1000);
	}
	return fail("%s: still not done after 120 s", id);
}

/* The one switch with port group pg, and its VLAN. */
static int find_pg(struct cli *c, const char *pg, char *sw, size_t len,
		   json_int_t *vlan)
{
	json_t *all, *s, *p;
	size_t i, j, n = 0;

	if (api(c, "GET", "/switches", NULL, &all) != 0)
		return 1;
	json_array_foreach(all, i, s)
	    json_array_foreach(json_object_get(s, "portGroups"), j, p)
	{
		if (strcmp(S(p, "name"), pg) == 0 &&
		    (sw[0] == '\0' || strcmp(sw, S(s, "name")) == 0 ||
		     n == 0)) {
			if (sw[0] == '\0' || strcmp(sw, S(s, "name")) != 0)
				n++;
			snprintf(sw, len, "%s", S(s, "name"));
			*vlan = json_integer_value(json_object_get(p, "vlan"));
		}
	}
	json_decref(all);
	if (n > 1)
		return fail("extend: port group '%s' is on several switches: "
			    "give --switch",
			    pg);
	if (sw[0] == '\0')
		return fail("extend: no switch has a port group '%s'", pg);
	return 0;
}

/* The remote switch paired with sw in a service mesh. */
static int remote_switch(struct cli *c, const char *sw, char *out, size_t len)
{
	json_t *all, *ms, *p;
	size_t i, j;

	if (api(c, "GET", "/serviceMeshes", NULL, &all) != 0)
		return 1;
	out[0] = '\0';
	json_array_foreach(all, i, ms) json_array_foreach(
	    json_object_get(ms, "pairs"), j,
	    p) if (out[0] == '\0' && strcmp(S(p, "switch"), sw) == 0)
	    snprintf(out, len, "%s", S(p, "remoteSwitch"));
	json_decref(all);
	if (out[0] == '\0')
		return fail("extend: no service mesh pair on switch '%s'", sw);
	return 0;
}

static int extend(struct cli *c, int argc, char **argv)
{
	char sw[64] = "", dsw[64] = "";
	const char *gw = NULL, *side = NULL, *mss = NULL, *dest = NULL;
	json_int_t vlan = 0, dvlan = 0;
	bool wait = false;
	json_t *body, *ans;
	int rc;

	if (argc < 1)
		return fail("%s", "extend PORTGROUP [--switch SW] [--dest "
				  "SW:VLAN] [--gateway ADDR/LEN --side "
				  "local|remote] [--mss auto|off|N] [--wait]");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--wait") == 0) {
			wait = true;
			continue;
		}
		if (v == NULL)
			return fail("extend: %s needs a value", a);
		i++;
		if (strcmp(a, "--switch") == 0)
			snprintf(sw, sizeof(sw), "%s", v);
		else if (strcmp(a, "--dest") == 0)
			dest = v;
		else if (strcmp(a, "--gateway") == 0)
			gw = v;
		else if (strcmp(a, "--side") == 0)
			side = v;
		else if (strcmp(a, "--mss") == 0)
			mss = v;
		else
			return fail("extend: unknown option '%s'", a);
	}
	if (find_pg(c, argv[0], sw, sizeof(sw), &vlan) != 0)
		return 1;
	if (dest != NULL) {
		const char *colon = strrchr(dest, ':');

		if (colon == NULL || colon == dest)
			return fail("extend: --dest '%s' must be SWITCH:VLAN",
				    dest);
		snprintf(dsw, sizeof(dsw), "%.*s", (int)(colon - dest), dest);
		dvlan = strtoll(colon + 1, NULL, 10);
	} else {
		if (remote_switch(c, sw, dsw, sizeof(dsw)) != 0)
			return 1;
		dvlan = vlan;
	}
	body = json_pack("{s:s,s:s,s:{s:s,s:I}}", "switch", sw, "portGroup",
			 argv[0], "destination", "switch", dsw, "vlan", dvlan);
	if (gw != NULL)
		json_object_set_new(body, "gateway", json_string(gw));
	if (side != NULL)
		json_object_set_new(body, "gatewaySide", json_string(side));
	if (mss != NULL) {
		char *end;
		long n = strtol(mss, &end, 10);

		json_object_set_new(body, "mssClamp",
				    *end == '\0' ? json_integer(n)
						 : json_string(mss));
	}
	rc = api(c, "POST", "/networkExtensions", body, &ans);
	json_decref(body);
	if (rc != 0)
		return 1;
	printf("%s: %s on pair %lld (tunnel id %lld)\n", S(ans, "id"),
	       S(ans, "state"),
	       (long long)json_integer_value(json_object_get(ans, "pair")),
	       (long long)json_integer_value(json_object_get(ans, "tunnelId")));
	if (wait)
		rc = wait_ext(c, S(ans, "id"), "extended");
	json_decref(ans);
	return rc;
}

static int unextend(struct cli *c, int argc, char **argv)
{
	char id[96] = "", path[160];
	bool wait = argc > 1 && strcmp(argv[1], "--wait") == 0;
	json_t *all, *e;
	size_t i;
	int rc;

	if (argc < 1)
		return fail("%s", "unextend PORTGROUP|ID [--wait]");
	if (api(c, "GET", "/networkExtensions", NULL, &all) != 0)
		return 1;
	json_array_foreach(all, i,
			   e) if (strcmp(S(e, "id"), argv[0]) == 0 ||
				  strcmp(S(e, "portGroup"), argv[0]) == 0)
	    snprintf(id, sizeof(id), "%s", S(e, "id"));
	json_decref(all);
	if (id[0] == '\0')
		return fail("unextend: no extension '%s'", argv[0]);
	snprintf(path, sizeof(path), "/networkExtensions/%s", id);
	if (api(c, "DELETE", path, NULL, &e) != 0)
		return 1;
	json_decref(e);
	printf("%s: unextending\n", id);
	rc = wait ? wait_ext(c, id, NULL) : 0;
	return rc;
}

/* mesh scale SWITCH N: PATCH the mesh that serves SWITCH. */
static int mesh_scale(struct cli *c, const char *sw, const char *count)
{
	json_t *all, *ms, *x, *body, *ans;
	const char *name = NULL;
	char path[128], *end;
	long n = strtol(count, &end, 10);
	size_t i, j;
	int rc;

	if (*end != '\0' || n < 1 || n > 16)
		return fail("mesh scale: '%s' is not a pair count (1..16)",
			    count);
	if (api(c, "GET", "/serviceMeshes", NULL, &all) != 0)
		return 1;
	json_array_foreach(all, i, ms) json_array_foreach(
	    json_object_get(ms, "switches"), j,
	    x) if (name == NULL && strcmp(S(x, "switch"), sw) == 0) name =
	    S(ms, "name");
	if (name == NULL) {
		json_decref(all);
		return fail("mesh scale: no service mesh led here serves "
			    "switch '%s'",
			    sw);
	}
	snprintf(path, sizeof(path), "/serviceMeshes/%s", name);
	json_decref(all);
	body = json_pack("{s:[{s:s,s:i}]}", "switches", "switch", sw,
			 "appliancePairs", (int)n);
	rc = api(c, "PATCH", path, body, &ans);
	json_decref(body);
	if (rc != 0)
		return 1;
	return print_answer(c, ans);
}

static int mesh(struct cli *c, int argc, char **argv)
{
	json_t *body, *sws, *ans;
	char path[128];

	if (argc == 2 && strcmp(argv[0], "delete") == 0) {
		snprintf(path, sizeof(path), "/serviceMeshes/%s", argv[1]);
		if (api(c, "DELETE", path, NULL, &ans) != 0)
			return 1;
		json_decref(ans);
		printf("%s: deleted\n", argv[1]);
		return 0;
	}
	if (argc == 3 && strcmp(argv[0], "scale") == 0)
		return mesh_scale(c, argv[1], argv[2]);
	if (argc == 2 && strcmp(argv[0], "rebalance") == 0) {
		snprintf(path, sizeof(path), "/serviceMeshes/%s", argv[1]);
		body = json_pack("{s:b}", "rebalance", 1);
		if (api(c, "PATCH", path, body, &ans) != 0) {
			json_decref(body);
			return 1;
		}
		json_decref(body);
		return print_answer(c, ans);
	}
	if (argc < 5 || strcmp(argv[0], "create") != 0)
		return fail("%s", "mesh create NAME LOCAL_CP REMOTE_CP "
				  "SWITCH:REMOTE_SWITCH[:PAIRS]... | mesh "
				  "scale SWITCH PAIRS | mesh rebalance NAME | "
				  "mesh delete NAME");
	sws = json_array();
	for (int i = 4; i < argc; i++) {
		char a[64] = "", b[64] = "";
		int n = 1;

		if (sscanf(argv[i], "%63[^:]:%63[^:]:%d", a, b, &n) < 2) {
			json_decref(sws);
			return fail("mesh: '%s' must be SWITCH:REMOTE[:PAIRS]",
				    argv[i]);
		}
		json_array_append_new(sws, json_pack("{s:s,s:s,s:i}", "switch",
						     a, "remoteSwitch", b,
						     "appliancePairs", n));
	}
	body = json_pack("{s:s,s:s,s:s,s:o}", "name", argv[1],
			 "localComputeProfile", argv[2], "remoteComputeProfile",
			 argv[3], "switches", sws);
	if (api(c, "POST", "/serviceMeshes", body, &ans) != 0) {
		json_decref(body);
		return 1;
	}
	json_decref(body);
	return print_answer(c, ans);
}

int l2x_mgrcli_main(const struct l2x_mgrcli_opts *o, int argc, char **argv)
{
	struct cli c = {.o = o};
	json_t *ans, *body;
	int rc = 1;

	char err[256];

	if (argc < 1)
		return fail("%s", "a command is needed (see l2xctl -h)");
	if (load_token(&c) != 0)
		return 1;
	if (l2x_https_global_init(err, sizeof(err)) != 0)
		return fail("%s", err);
	if (strcmp(argv[0], "show") == 0 && argc == 2) {
		rc = show(&c, argv[1]);
	} else if (strcmp(argv[0], "pair") == 0 && argc == 3) {
		body = json_pack("{s:s,s:s}", "url", argv[1], "token", argv[2]);
		if (api(&c, "POST", "/sitePairings", body, &ans) == 0)
			rc = print_answer(&c, ans);
		json_decref(body);
	} else if (strcmp(argv[0], "token") == 0 && argc >= 2) {
		body = json_pack("{s:s}", "kind", argv[1]);
		if (argc == 4 && strcmp(argv[2], "--ttl") == 0)
			json_object_set_new(body, "ttlSeconds",
					    json_integer(atoi(argv[3])));
		if (api(&c, "POST", "/pairingTokens", body, &ans) == 0) {
			printf("%s\n", S(ans, "token"));
			json_decref(ans);
			rc = 0;
		}
		json_decref(body);
	} else if (strcmp(argv[0], "mesh") == 0) {
		rc = mesh(&c, argc - 1, argv + 1);
	} else if (strcmp(argv[0], "extend") == 0) {
		rc = extend(&c, argc - 1, argv + 1);
	} else if (strcmp(argv[0], "unextend") == 0) {
		rc = unextend(&c, argc - 1, argv + 1);
	} else if (strcmp(argv[0], "api") == 0 && (argc == 3 || argc == 4)) {
		json_error_t je;

		body = argc == 4 ? json_loads(argv[3], 0, &je) : NULL;
		if (argc == 4 && body == NULL) {
			rc = fail("api: the body is not JSON: %s", je.text);
		} else if (api(&c, argv[1], argv[2], body, &ans) == 0) {
			rc = print_answer(&c, ans);
		}
		json_decref(body);
	} else {
		rc = fail("'%s': unknown manager command (see l2xctl -h)",
			  argv[0]);
	}
	sodium_memzero(c.token, sizeof(c.token));
	l2x_https_global_fini();
	return rc;
}
