/* SPDX-License-Identifier: MIT */
/*
 * etcd.h - a small client of etcd v3's JSON gateway, for the store's etcd
 * backend (control/store_etcd.c): POST /v3/kv/range, /v3/kv/txn,
 * /v3/lease/grant, /v3/lease/keepalive, /v3/lease/revoke, each with the
 * request's protobuf message as JSON.
 *
 * Why the gateway: etcd's own protocol is gRPC over HTTP/2, for which C
 * has no small client; the gateway (etcd 3.4 serves it at /v3/, Debian 12
 * ships 3.4) takes the same messages as JSON over HTTP/1.1, and
 * l2x-agent already links libcurl and jansson. The JSON is protobuf's
 * mapping: bytes fields (keys, values) are base64, int64 fields
 * (revisions, lease ids) are decimal strings, and a field at its default
 * (0, false, empty) is left out of an answer, so a missing field reads
 * as 0 (l2x_etcd_i64_of()).
 *
 * Endpoints. A client knows the client URLs of one cluster's members and
 * talks to one at a time over one kept-alive connection. An endpoint that
 * cannot be connected to never saw the request: the next one is tried.
 * A failure past the connection is retried on the next endpoint only for
 * an L2X_ETCD_READ request (a range, a lease renewal): an L2X_ETCD_WRITE
 * (a txn, a lease grant) may have been applied, and sending it twice
 * could apply it twice, so its caller gets the error (re-read, then
 * retry) and the client moves on to the next endpoint for its next call.
 *
 * Errors: -errno, and a sentence (l2x_etcd_why()) naming the endpoint and
 * what failed, never a key or a value: the store holds PSKs. An answer
 * that is not what the gateway sends (not JSON, a field of the wrong type,
 * bad base64) is -EIO with a sentence, never a crash: the helpers below
 * check every type.
 *
 * Thread-safety: none inside; one caller at a time per client (the store
 * calls it under its mutex). The process calls curl_global_init()
 * (l2x_https_global_init()) before the first l2x_etcd_create(), from one
 * thread.
 */
#ifndef L2X_ETCD_H
#define L2X_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Default time a request may take on one endpoint, connection included. */
#define L2X_ETCD_TIMEOUT_MS 5000u
/* Longest answer taken (a page of a range: etcd's default request limit
 * is 1.5 MiB, but an answer carries many values, base64). */
#define L2X_ETCD_ANSWER_MAX (256u << 20)

struct l2x_etcd;

struct l2x_etcd_prm {
	/* "http://198.18.0.1:2379,https://198.18.0.2:2379": 1..16 URLs */
	const char *endpoints;
	/* PEM CA file that signs https endpoints' certificates; NULL: the
	 * system's bundle */
	const char *cacert;
	/* per request and endpoint; 0: L2X_ETCD_TIMEOUT_MS */
	unsigned timeout_ms;
};

/* Check the endpoints and make a client; no request is sent yet.
 * Returns 0, -EINVAL (a malformed endpoint list, with a sentence) or
 * -ENOMEM. */
int l2x_etcd_create(const struct l2x_etcd_prm *prm, struct l2x_etcd **out,
		    char *err, size_t errlen);

/* Free a client; NULL is ignored. */
void l2x_etcd_destroy(struct l2x_etcd *c);

/* May a request be sent again after a failure past the connection? */
enum l2x_etcd_kind {
	L2X_ETCD_READ,	/* yes: a range, a lease renewal or revocation */
	L2X_ETCD_WRITE, /* no: a txn, a put, a lease grant */
};

/* POST req to path ("/v3/kv/txn") and parse the answer.
 *   ans  set to the answer, a JSON object (json_decref() it)
 * Returns 0, or -ECONNREFUSED (no endpoint could be reached),
 * -ETIMEDOUT, -EMSGSIZE (etcd: request is too large), -E2BIG (too many
 * operations in a txn), -ENOENT (etcd: not found, e.g. a lease),
 * -EACCES, -ENOSPC (etcd's quota), -EPROTO (not an etcd v3 gateway),
 * -EINVAL (etcd refused the request), -ENOMEM or -EIO; a sentence on
 * every failure. */
int l2x_etcd_call(struct l2x_etcd *c, const char *path, const json_t *req,
		  enum l2x_etcd_kind kind, json_t **ans);

/* The sentence of the client's last failure ("" before any). */
const char *l2x_etcd_why(const struct l2x_etcd *c);

/* --- the gateway's JSON mapping ---------------------------------------- */

/* A bytes field's value: n bytes as a base64 string; NULL when out of
 * memory. */
json_t *l2x_etcd_bytes(const void *p, size_t n);

/* An int64 field's value: a decimal string; NULL when out of memory. */
json_t *l2x_etcd_i64(int64_t v);

/* Read a bytes field of obj: *p set to a malloc'd copy of the decoded
 * bytes with a NUL after them (free() it), *n to their count; an absent
 * field is 0 bytes. Returns 0, -EIO (not a string, not base64) or
 * -ENOMEM. */
int l2x_etcd_bytes_of(const json_t *obj, const char *field, char **p,
		      size_t *n);

/* Read an int64 field of obj (a decimal string, or a JSON integer); an
 * absent field is 0. Returns 0 or -EIO. */
int l2x_etcd_i64_of(const json_t *obj, const char *field, int64_t *v);

/* Read a bool field of obj; absent is false. Returns 0 or -EIO. */
int l2x_etcd_bool_of(const json_t *obj, const char *field, bool *v);

/* The header revision of an answer (its "header", or its "result"'s for
 * a stream's answer). Returns 0 or -EIO (no header, a bad revision). */
int l2x_etcd_rev_of(const json_t *ans, uint64_t *rev);

#endif /* L2X_ETCD_H */
