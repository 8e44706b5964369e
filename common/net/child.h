/* child: a model call through llm-ask, or the user's command, as a child. */
#ifndef CHILD_H
#define CHILD_H

#include <cjson/cJSON.h>

#include "core/util.h"

/*
 * Only llm-ask talks to providers.  A program that needs a model runs
 * it as a child process, so that every call shares one configuration,
 * one retry policy and one cost record, and the program links neither
 * libcurl nor a TLS stack.  The command is the user's to choose: --ask
 * CMD, else $LLMPIPE_ASK, else llm-ask (the one beside the running
 * program if there is one, else the one on PATH).
 */

/*
 * The command line to run: cmd if not NULL, else $LLMPIPE_ASK if set,
 * else llm-ask as above.  Allocated; the caller frees it.
 */
char *child_command(const char *cmd);

/*
 * Runs command (a shell command line, for /bin/sh -c) with args (NULL-
 * terminated, each one word) after it, writes records (an array of
 * records) to its standard input as JSON lines and reads its standard
 * output; its standard error is the caller's.  After timeout seconds
 * (0: none) it is killed.  Returns the status for the caller to exit
 * with: 0, with *reply the last assistant message it printed (freed by
 * the caller); its own 3 (over budget), 4 (key, permission, billing) or
 * 5 (transient); 5 when it timed out or was killed; 1 when it failed
 * otherwise or printed no reply, reported as "prog: command: why".
 */
int child_ask(const char *command, const char *const *args,
    const cJSON *records, long timeout, cJSON **reply);

/*
 * Runs command as child_ask does and leaves in *output (which the
 * caller releases) all it printed, for a caller that wants more than
 * the reply: the records of llm-ask --embed.  Returns the status as
 * child_ask does, without looking at the output.
 */
int child_run(const char *command, const char *const *args,
    const cJSON *records, long timeout, struct buf *output);

struct config;

/*
 * Returns 1 if a model call could find a key: an environment variable
 * NAME_API_KEY with a value (OPENAI_API_KEY, ANTHROPIC_API_KEY, or a
 * configured provider's), or an api_key in a [provider] section of c.
 * A program whose engine is a model by default uses it only then, so
 * that without a key it works offline.
 */
int child_key_set(const struct config *c);

/*
 * Adds the usage (token counts) and cost_usd of reply to those of
 * total, an object that gathers what several calls cost.
 */
void child_usage_add(cJSON *total, const cJSON *reply);

#endif
