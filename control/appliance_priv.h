/* SPDX-License-Identifier: MIT */
/*
 * appliance_priv.h - inside the appliance role (appliance.h): one child
 * process, l2x-dataplane or l2x-ike, as appliance_run.c drives it
 * (appliance_child.c). Not for use outside control/appliance*.c.
 *
 * A child is started with fork/exec (signal mask and dispositions reset,
 * stdin /dev/null, stdout and stderr appended to its log, no inherited
 * descriptor, PR_SET_PDEATHSIG SIGTERM, its own process group), reaped
 * with waitpid(WNOHANG) by l2x_appl_child_reap() (no SIGCHLD handler),
 * and stopped with SIGTERM, then SIGKILL after L2X_APPL_STOP_MS. The
 * agent writes its own time-stamped lines into the child's log ("l2x-agent:
 * TIME: starting ...", "stopping ...: REASON", "... was killed by signal
 * 9; restarting in 1000 ms") so that the log tells one run from the next.
 *
 * Thread-safety: the thread of the struct l2x_appl it belongs to.
 */
#ifndef L2X_APPLIANCE_PRIV_H
#define L2X_APPLIANCE_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "control/appliance.h"

/*
 * One child.
 *   what        the program's name, for sentences ("l2x-dataplane").
 *   bin         the executable.
 *   log         STATE/dataplane.log or STATE/ike.log.
 *   env         one variable added to the child's environment (it
 *               replaces ours of that name), "" for none.
 *   pid         0 when not running.
 *   started_ms  when it was started (monotonic).
 *   next_ms     the earliest next start (after a death: the back-off).
 *   backoff_ms  the last back-off, 0 = none yet.
 */
struct l2x_appl_child {
	const char *what;
	char bin[L2X_CONFIG_PATH_LEN];
	char log[L2X_CONFIG_PATH_LEN + 32];
	char env[L2X_CONFIG_PATH_LEN + 32];
	pid_t pid;
	uint64_t started_ms;
	uint64_t next_ms;
	uint32_t backoff_ms;
};

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t l2x_appl_now_ms(void);

/* Fill c (not running). log is a file name in state_dir; env as above. */
void l2x_appl_child_init(struct l2x_appl_child *c, const char *what,
			 const char *bin, const char *state_dir,
			 const char *log, const char *env);

/* fork/exec BIN --config yaml. Returns 0 (c->pid set) or -errno (err). */
int l2x_appl_child_start(struct l2x_appl_child *c, const char *yaml,
			 uint64_t now, char *err, size_t errlen);

/* Reap c if it died by itself: c->pid 0, its restart scheduled after
 * l2x_appl_backoff(), err says how it ended (with its log's last line
 * when it exited rather than being killed). Returns whether it died. */
bool l2x_appl_child_reap(struct l2x_appl_child *c, uint64_t now, char *err,
			 size_t errlen);

/* Stop c if it runs (SIGTERM, SIGKILL after L2X_APPL_STOP_MS), noting
 * reason in its log; no back-off (the agent stopped it). */
void l2x_appl_child_stop(struct l2x_appl_child *c, const char *reason);

#endif /* L2X_APPLIANCE_PRIV_H */
