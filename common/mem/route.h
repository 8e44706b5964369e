/* route: which model a request goes to, by rules that say why. */
#ifndef ROUTE_H
#define ROUTE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/config.h"
#include "core/context.h"
#include "core/models.h"
#include "core/util.h"

/*
 * The three tasks of llmpipe(7)'s route record, as users mean them:
 * code (write, change, debug, test or review-and-fix code, shell, SQL,
 * regular expressions, configuration files, errors to fix), complex
 * (explanations, design, analysis, comparisons, planning, prose,
 * mathematics, code that is only to be explained) and simple
 * (greetings, thanks, small talk, short factual questions).
 */
enum route_task { ROUTE_NONE = -1, ROUTE_CODE, ROUTE_COMPLEX, ROUTE_SIMPLE };

#define ROUTE_TASKS 3

extern const char *const route_tasks[ROUTE_TASKS];

/* Returns the task called name, or ROUTE_NONE. */
enum route_task route_task_named(const char *name);

/*
 * The features the rules weigh.  Each has a weight in the configuration
 * under its name ([route] fence = 3), and a reason names the feature
 * that gave it ("action: write function").
 */
enum route_feature {
	RF_FENCE,
	RF_CODE_LINES,
	RF_ERROR,
	RF_FILE,
	RF_TECH,
	RF_ACTION,
	RF_ANALYSIS,
	RF_PROSE,
	RF_MATH,
	RF_NEGATION,
	RF_GREETING,
	RF_QUESTION,
	RF_LENGTH,
	RF_FOLLOW_UP,
	RF_COUNT
};

extern const char *const route_features[RF_COUNT];

/* A task's models: the first is its route, the others it may switch to. */
#define ROUTE_MAX_MODELS 64

struct route_config {
	double weight[RF_COUNT];
	const struct model *models[ROUTE_TASKS][ROUTE_MAX_MODELS];
	int nmodels[ROUTE_TASKS];
	long expected_output;  /* tokens a reply is taken to cost */
	const char *llm_model; /* --llm's model, NULL: the cheapest */
	long llm_timeout;      /* seconds */
};

/*
 * Reads the [route] section of c (the model table loaded first): the
 * weights, each task's models, the expected output and --llm's model.
 * Without a setting a task has its default models: code deepseek-coder
 * then deepseek-chat, complex claude-sonnet then claude-opus, simple
 * every priced chat model, cheapest first (route_cheapest).  Returns 0,
 * or -1 after reporting a model the table lacks.
 */
int route_configure(struct route_config *rc, const struct config *c);

/*
 * The cheapest chat model: of the models with a dated list price for
 * input and output and a max_output above 0 (which leaves out embedding
 * models and the unpriced local entry), the lowest input plus output
 * price; on a tie the larger input budget, then the first in the
 * table.  NULL if there is none.
 */
const struct model *route_cheapest(void);

/* One rule that fired: what it adds to which task, and on what. */
struct route_reason {
	enum route_feature feature;
	enum route_task task;
	double weight; /* the configured weight times the rule's strength */
	char detail[80];
};

#define ROUTE_MAX_REASONS 16

struct route_result {
	enum route_task task;
	double scores[ROUTE_TASKS];
	double confidence; /* the winner's share of the softmax of scores */
	struct route_reason
	    reason[ROUTE_MAX_REASONS]; /* by weight, most first */
	int nreasons;
};

/*
 * What the rules remember of a conversation for the next user message:
 * the task of the last one, and the question the assistant ended on
 * ("Want me to add tests?", "Did that fix it?").
 */
struct route_state {
	enum route_task prev;
	struct buf question; /* the assistant's last question, or "" */
};

void route_state_init(struct route_state *s);
void route_state_release(struct route_state *s);

/* Takes in the text of an assistant message, for the next user message. */
void route_assistant(struct route_state *s, const char *text, size_t len);

/*
 * Classifies the text of a user message, len bytes, in the conversation
 * s has seen, into *r; s then remembers its task.
 */
void route_classify(const struct route_config *rc, struct route_state *s,
    const char *text, size_t len, struct route_result *r);

/*
 * Classifies the last user message of ctx's conversation, with the
 * turns before it as its context.  Returns 0, or -1 when the
 * conversation has no user message.
 */
int route_context(const struct route_config *rc, const struct context *ctx,
    struct route_result *r);

/* The model for a task, fitted to the request and a cost cap. */
struct route_choice {
	const struct model *model;
	int fits;      /* the request fits model's input budget */
	size_t tokens; /* the request, as model counts it */
	double cost;   /* estimated USD: prompt and expected output */
	int over_cap;  /* no model of the task is under the cap */
	char why[256]; /* why it is not the task's first model, or "" */
};

/*
 * Chooses the model for task: its first model if the request that ctx
 * makes with prompt (see budget_context) fits the model's budget, else
 * the cheapest of its others that fits, else the first with fits 0.
 * With max_cost at or above 0, the first of the task's models (in the
 * configured order) that fits and whose estimated cost is at most
 * max_cost; if none is, the cheapest that fits, with over_cap set.
 */
void route_choose(const struct route_config *rc, const struct context *ctx,
    const char *prompt, enum route_task task, double max_cost,
    struct route_choice *c);

/*
 * llm-ask --auto: the model the rules route ctx's last user message
 * to, fitted to the request with prompt; NULL (reported) when the
 * configuration is bad or there is no user message.
 */
const struct model *route_auto(
    const struct config *cfg, const struct context *ctx, const char *prompt);

#endif
