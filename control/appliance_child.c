/* SPDX-License-Identifier: MIT */
/*
 * appliance_child.c - one child process of the appliance role:
 * l2x-dataplane or l2x-ike started, reaped, restarted after a back-off
 * and stopped (appliance_priv.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control/appliance_priv.h"
#include "control/errf.h"

extern char **environ;

/* A log is moved aside (LOG.1) at a start when it is larger. */
#define LOG_MAX (1u << 20)

#define fail l2x_errf /* errf.h */

uint64_t l2x_appl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

uint32_t l2x_appl_backoff(uint32_t prev_ms, uint64_t lived_ms)
{
	if (prev_ms == 0 || lived_ms >= L2X_APPL_STABLE_MS)
		return L2X_APPL_BACKOFF_MIN_MS;
	if (prev_ms >= L2X_APPL_BACKOFF_MAX_MS / 2)
		return L2X_APPL_BACKOFF_MAX_MS;
	return prev_ms * 2;
}

void l2x_appl_child_init(struct l2x_appl_child *c, const char *what,
			 const char *bin, const char *state_dir,
			 const char *log, const char *env)
{
	memset(c, 0, sizeof(*c));
	c->what = what;
	snprintf(c->bin, sizeof(c->bin), "%s", bin);
	snprintf(c->log, sizeof(c->log), "%s/%s", state_dir, log);
	snprintf(c->env, sizeof(c->env), "%s", env);
}

/* ---- the log --------------------------------------------------------------*/

static int open_log(const char *path)
{
	return open(
	    path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
}

/* One time-stamped line of the agent's own in the child's log. */
__attribute__((format(printf, 2, 3))) static void
note(const struct l2x_appl_child *c, const char *fmt, ...)
{
	char when[32];
	struct tm tm;
	time_t t = time(NULL);
	va_list ap;
	int fd = open_log(c->log);
	FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;

	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z",
		 localtime_r(&t, &tm));
	fprintf(f, "l2x-agent: %s: ", when);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

/* The last non-empty line of the log (for a sentence), "" if none. */
static void last_line(const char *path, char *out, size_t len)
{
	char buf[1024];
	const char *line;
	ssize_t n = 0;
	size_t k;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end;

	out[0] = '\0';
	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	if (end > 0)
		n = pread(fd, buf, sizeof(buf) - 1,
			  end > (off_t)sizeof(buf) - 1
			      ? end - (off_t)sizeof(buf) + 1
			      : 0);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	line = strrchr(buf, '\n');
	line = line ? line + 1 : buf;
	k = strnlen(line, len - 1);
	memcpy(out, line, k);
	out[k] = '\0';
}

/* ---- start ----------------------------------------------------------------*/

/* Our environment with c->env added (replacing a variable of that name);
 * environ itself when there is none. */
static char **child_env(const struct l2x_appl_child *c)
{
	size_t n = 0, k = 0, name;
	char **env;

	if (c->env[0] == '\0')
		return environ;
	name = strcspn(c->env, "=") + 1;
	while (environ[n] != NULL)
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], c->env, name) != 0)
			env[k++] = environ[i];
	env[k++] = (char *)c->env;
	return env;
}

/* In the child, between fork and exec: async-signal-safe calls only
 * (the agent has threads). Never returns. */
static void exec_child(int logfd, int nullfd, pid_t parent, const char *bin,
		       char *const argv[], char *const envp[])
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL); /* an ignored SIGPIPE would be inherited */
	/* no child outlives the agent (nor is started after its end) */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(126);
	setpgid(0, 0); /* a terminal's ^C is the agent's to pass on */
	if (dup2(nullfd, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
		_exit(126);
	close_range(3, ~0u, 0);
	execve(bin, argv, envp);
	_exit(127);
}

int l2x_appl_child_start(struct l2x_appl_child *c, const char *yaml,
			 uint64_t now, char *err, size_t errlen)
{
	char old[sizeof(c->log) + 2];
	char *argv[] = {c->bin, "--config", (char *)yaml, NULL};
	char **envp;
	struct stat st;
	pid_t parent = getpid(), pid;
	int logfd, nullfd, rc = 0;

	if (stat(c->log, &st) == 0 && st.st_size > (off_t)LOG_MAX) {
		snprintf(old, sizeof(old), "%s.1", c->log);
		(void)rename(c->log, old);
	}
	logfd = open_log(c->log);
	if (logfd < 0)
		return fail(-errno, err, errlen, "%s: %s", c->log,
			    strerror(errno));
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	envp = nullfd >= 0 ? child_env(c) : NULL;
	if (envp == NULL) {
		rc = fail(-errno, err, errlen, "%s: cannot start: %s", c->what,
			  strerror(errno));
		goto out;
	}
	note(c, "starting %s --config %s", c->bin, yaml);
	pid = fork();
	if (pid == 0)
		exec_child(logfd, nullfd, parent, c->bin, argv, envp);
	if (pid < 0) {
		rc = fail(-errno, err, errlen, "%s: fork: %s", c->what,
			  strerror(errno));
	} else {
		c->pid = pid;
		c->started_ms = now;
	}
	if (envp != environ)
		free(envp);
out:
	close(logfd);
	if (nullfd >= 0)
		close(nullfd);
	return rc;
}

/* ---- reap and stop --------------------------------------------------------*/

/* waitpid(WNOHANG): true when c ended (c->pid is 0 then), with a
 * sentence in why and *exited telling an exit from a signal. */
static bool ended(struct l2x_appl_child *c, char *why, size_t len, bool *exited)
{
	int st;
	pid_t r;

	*exited = false;
	if (c->pid == 0)
		return false;
	r = waitpid(c->pid, &st, WNOHANG);
	if (r == 0 || (r < 0 && errno == EINTR))
		return false;
	if (r < 0) { /* ECHILD: reaped elsewhere; gone all the same */
		snprintf(why, len, "%s (pid %d) is gone", c->what, (int)c->pid);
	} else if (WIFEXITED(st)) {
		*exited = true;
		snprintf(why, len, "%s (pid %d) exited with status %d", c->what,
			 (int)c->pid, WEXITSTATUS(st));
	} else {
		snprintf(why, len, "%s (pid %d) was killed by signal %d",
			 c->what, (int)c->pid, WTERMSIG(st));
	}
	c->pid = 0;
	return true;
}

bool l2x_appl_child_reap(struct l2x_appl_child *c, uint64_t now, char *err,
			 size_t errlen)
{
	char why[160], line[200] = "";
	bool exited;

	if (!ended(c, why, sizeof(why), &exited))
		return false;
	c->backoff_ms = l2x_appl_backoff(c->backoff_ms, now - c->started_ms);
	c->next_ms = now + c->backoff_ms;
	/* its own last word, when it had one (a killed one has none) */
	if (exited)
		last_line(c->log, line, sizeof(line));
	fail(0, err, errlen, "%s%s%s; restarting in %u ms", why,
	     line[0] ? ": " : "", line, c->backoff_ms);
	note(c, "%s; restarting in %u ms", why, c->backoff_ms);
	return true;
}

void l2x_appl_child_stop(struct l2x_appl_child *c, const char *reason)
{
	char why[160];
	bool exited;
	pid_t pid = c->pid;

	if (pid == 0)
		return;
	note(c, "stopping %s (pid %d): %s", c->what, (int)pid, reason);
	kill(pid, SIGTERM);
	for (unsigned t = 0; t < L2X_APPL_STOP_MS; t += 20) {
		if (ended(c, why, sizeof(why), &exited))
			return;
		sleep_ms(20);
	}
	note(c, "%s (pid %d) still runs after %u ms: SIGKILL", c->what,
	     (int)pid, L2X_APPL_STOP_MS);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
}
