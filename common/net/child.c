/* child: a model call through llm-ask, or the user's command, as a child. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/json.h"
#include "core/msg.h"
#include "core/util.h"
#include "net/child.h"

/* A reply larger than this is not a reply llm-ask would print. */
#define MAX_OUTPUT (64u << 20)

/* Appends s to out quoted for the shell: '...' with ' as '\''. */
static void
shell_quote(struct buf *out, const char *s)
{
	buf_addstr(out, "'");
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			buf_addstr(out, "'\\''");
		else
			buf_add(out, s, 1);
	}
	buf_addstr(out, "'");
}

char *
child_command(const char *cmd)
{
	struct buf path = BUF_INIT, line = BUF_INIT;
	const char *env = getenv("LLMPIPE_ASK");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (cmd != NULL)
		return xstrdup(cmd);
	if (env != NULL && env[0] != '\0')
		return xstrdup(env);
	/* The llm-ask of the same installation, or of the same checkout. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			buf_add(&path, exe, (size_t)(slash - exe) + 1);
			buf_addstr(&path, "llm-ask");
		}
	}
	if (path.len > 0 && access(path.s, X_OK) == 0)
		shell_quote(&line, path.s);
	else
		buf_addstr(&line, "llm-ask");
	buf_release(&path);
	return buf_detach(&line);
}

/* The running child, its pipes, and what it wrote. */
struct run {
	pid_t pid;
	int in, out; /* our ends: its stdin, its stdout; -1 when closed */
	struct buf input, output;
	size_t written;
	double deadline;
	int timed_out, too_big;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
start(struct run *r, const char *command, const char *const *args)
{
	struct buf line = BUF_INIT;
	int to[2], from[2];

	buf_addstr(&line, command);
	for (; args != NULL && *args != NULL; args++) {
		buf_addstr(&line, " ");
		shell_quote(&line, *args);
	}
	if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0)
		err(1, "pipe");
	if ((r->pid = fork()) < 0)
		err(1, "fork");
	if (r->pid == 0) {
		/* A group of its own, so that a kill reaches what sh runs. */
		setpgid(0, 0);
		if (dup2(to[0], STDIN_FILENO) < 0 ||
		    dup2(from[1], STDOUT_FILENO) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", line.s, (char *)NULL);
		_exit(127);
	}
	buf_release(&line);
	close(to[0]);
	close(from[1]);
	r->in = to[1];
	r->out = from[0];
	fcntl(r->in, F_SETFL, O_NONBLOCK);
	return 0;
}

/* Moves bytes while both pipes are open, until EOF or the deadline. */
static void
pump(struct run *r)
{
	struct pollfd fds[2];
	char chunk[65536];
	ssize_t got;
	int wait_ms, n;

	while (r->out >= 0) {
		n = 0;
		fds[n++] = (struct pollfd){r->out, POLLIN, 0};
		if (r->in >= 0)
			fds[n++] = (struct pollfd){r->in, POLLOUT, 0};
		wait_ms =
		    r->deadline > 0 ? (int)((r->deadline - now()) * 1000) : -1;
		if (r->deadline > 0 && wait_ms <= 0) {
			r->timed_out = 1;
			return;
		}
		if (poll(fds, (nfds_t)n, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (n > 1 && fds[1].revents != 0) {
			got = write(r->in, r->input.s + r->written,
			    r->input.len - r->written);
			if (got > 0)
				r->written += (size_t)got;
			if (got < 0 || r->written == r->input.len) {
				close(r->in); /* done, or it stopped reading */
				r->in = -1;
			}
		}
		if (fds[0].revents != 0) {
			got = read(r->out, chunk, sizeof(chunk));
			if (got <= 0) {
				close(r->out);
				r->out = -1;
			} else if (r->output.len + (size_t)got > MAX_OUTPUT) {
				r->too_big = 1;
				return;
			} else {
				buf_add(&r->output, chunk, (size_t)got);
			}
		}
	}
}

/* The last assistant message of the child's output, or NULL. */
static cJSON *
last_reply(const struct buf *output)
{
	const char *s = output->s, *end = s + output->len, *nl;
	struct json_error e;
	cJSON *rec, *reply = NULL;
	const char *role;

	for (; s < end; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		rec = json_parse(s, (size_t)(nl - s), &e);
		role = msg_str(rec, "role");
		if (role != NULL && strcmp(role, "assistant") == 0) {
			cJSON_Delete(reply);
			reply = rec;
		} else {
			cJSON_Delete(rec);
		}
	}
	return reply;
}

/* Ends the child, killed if it is still there, and maps its status. */
static int
finish(struct run *r, const char *command)
{
	int st, status;

	if (r->timed_out || r->too_big) {
		kill(-r->pid, SIGKILL);
		kill(r->pid, SIGKILL);
	}
	while (waitpid(r->pid, &st, 0) < 0)
		if (errno != EINTR)
			err(1, "waitpid");
	if (r->timed_out) {
		warnx("%s: no reply in time; stopped it", command);
		return 5;
	}
	if (r->too_big) {
		warnx("%s: printed over %u bytes; stopped it", command,
		    MAX_OUTPUT);
		return 1;
	}
	if (WIFSIGNALED(st)) {
		warnx("%s: killed by signal %d", command, WTERMSIG(st));
		return 5;
	}
	status = WEXITSTATUS(st);
	if (status == 3 || status == 4 || status == 5)
		return status;
	if (status != 0) {
		warnx("%s: exit status %d", command, status);
		return 1;
	}
	return 0;
}

int
child_run(const char *command, const char *const *args, const cJSON *records,
    long timeout, struct buf *output)
{
	struct run r = {0, -1, -1, BUF_INIT, BUF_INIT, 0, 0, 0, 0};
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	const cJSON *rec;
	int status;

	cJSON_ArrayForEach(rec, records) {
		json_print(&r.input, rec);
		buf_add(&r.input, "\n", 1);
	}
	r.deadline = timeout > 0 ? now() + (double)timeout : 0;
	start(&r, command, args);
	if (r.input.len == 0) {
		close(r.in);
		r.in = -1;
	}
	pump(&r);
	if (r.in >= 0)
		close(r.in);
	if (r.out >= 0)
		close(r.out);
	status = finish(&r, command);
	signal(SIGPIPE, old);
	buf_release(&r.input);
	*output = r.output;
	return status;
}

int
child_ask(const char *command, const char *const *args, const cJSON *records,
    long timeout, cJSON **reply)
{
	struct buf output;
	int status = child_run(command, args, records, timeout, &output);

	*reply = NULL;
	if (status == 0 && (*reply = last_reply(&output)) == NULL) {
		warnx("%s: printed no reply record", command);
		status = 1;
	}
	buf_release(&output);
	return status;
}

int
child_key_set(const struct config *c)
{
	extern char **environ;
	static const char suffix[] = "_API_KEY=";
	char **e;
	const char *eq;
	size_t i, n = strlen(suffix);

	for (e = environ; e != NULL && *e != NULL; e++)
		if ((eq = strchr(*e, '=')) != NULL && eq[1] != '\0' &&
		    (size_t)(eq + 1 - *e) > n &&
		    memcmp(eq + 1 - n, suffix, n) == 0)
			return 1;
	for (i = 0; c != NULL && i < c->n; i++)
		if (strcmp(c->v[i].section, "provider") == 0 &&
		    strcmp(c->v[i].key, "api_key") == 0 &&
		    c->v[i].value[0] != '\0')
			return 1;
	return 0;
}

/* Adds the number v holds to field key of object o. */
static void
add_number(cJSON *o, const char *key, const cJSON *v)
{
	const cJSON *have = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v))
		return;
	msg_set_number(o, key,
	    (cJSON_IsNumber(have) ? have->valuedouble : 0) + v->valuedouble);
}

void
child_usage_add(cJSON *total, const cJSON *reply)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(reply, "usage"), *f;
	cJSON *sum;

	if (cJSON_IsObject(u)) {
		sum = cJSON_GetObjectItemCaseSensitive(total, "usage");
		if (sum == NULL) {
			msg_set(total, "usage", cJSON_CreateObject());
			sum = cJSON_GetObjectItemCaseSensitive(total, "usage");
		}
		cJSON_ArrayForEach(f, u) {
			add_number(sum, f->string, f);
		}
	}
	add_number(total, "cost_usd",
	    cJSON_GetObjectItemCaseSensitive(reply, "cost_usd"));
	if ((f = cJSON_GetObjectItemCaseSensitive(total, "cost_usd")) != NULL)
		/* nano-dollars, as llm-ask rounds: no float noise */
		msg_set_number(
		    total, "cost_usd", round(f->valuedouble * 1e9) / 1e9);
}
