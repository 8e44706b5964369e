/* context: what a model is shown of a stream of records, rendered once. */
#include <err.h>
#include <string.h>

#include "core/context.h"
#include "core/msg.h"
#include "core/record.h"

static cJSON *
new_array(void)
{
	cJSON *a = cJSON_CreateArray();

	if (a == NULL)
		errx(1, "out of memory");
	return a;
}

void
context_init(struct context *c)
{
	memset(c, 0, sizeof(*c));
	c->system = (struct buf)BUF_INIT;
	c->fact_at = (struct strmap)STRMAP_INIT;
	c->records = new_array();
	c->summaries = new_array();
	c->facts = new_array();
	c->docs = new_array();
	c->messages = new_array();
}

void
context_release(struct context *c)
{
	buf_release(&c->system);
	strmap_release(&c->fact_at);
	cJSON_Delete(c->summaries);
	cJSON_Delete(c->facts);
	cJSON_Delete(c->docs);
	cJSON_Delete(c->messages);
	cJSON_Delete(c->records);
	memset(c, 0, sizeof(*c));
}

/* A reference to rec, appended to list. */
static cJSON *
add_reference(cJSON *list, cJSON *rec)
{
	if (!cJSON_AddItemReferenceToArray(list, rec))
		errx(1, "out of memory");
	return list->child->prev;
}

void
context_drop(cJSON *list, cJSON *item)
{
	cJSON_Delete(cJSON_DetachItemViaPointer(list, item));
}

static double
score(const cJSON *doc)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "score");

	return cJSON_IsNumber(s) ? s->valuedouble : 0;
}

/* Keeps docs best first (ties in order of arrival), for fitting. */
static void
insert_doc(cJSON *docs, cJSON *doc)
{
	const cJSON *d;
	cJSON *ref;
	int i = 0;

	cJSON_ArrayForEach(d, docs) {
		if (score(doc) > score(d))
			break;
		i++;
	}
	if ((ref = cJSON_CreateObjectReference(doc->child)) == NULL ||
	    !cJSON_InsertItemInArray(docs, i, ref))
		errx(1, "out of memory");
}

/* The live facts: a later fact replaces its namesake, a delete ends it. */
static void
take_fact(struct context *c, cJSON *fact)
{
	struct buf id = BUF_INIT;
	cJSON *old;

	fact_identity(fact, &id);
	old = strmap_get(&c->fact_at, id.s, id.len);
	if (old != NULL && old != (cJSON *)&c->fact_at)
		context_drop(c->facts, old);
	/* A deleted fact's entry marks it gone, pointing at the map. */
	strmap_put(&c->fact_at, id.s, id.len,
	    fact_deletes(fact) ? (void *)&c->fact_at
			       : (void *)add_reference(c->facts, fact));
	buf_release(&id);
}

static void
take_message(struct context *c, cJSON *rec)
{
	const char *role = msg_str(rec, "role"), *why;

	if (!record_role_system(role)) {
		add_reference(c->messages, rec);
		return;
	}
	if (c->system.len > 0)
		buf_addstr(&c->system, "\n\n");
	msg_content(rec, &c->system, &why);
}

const char *
context_add(struct context *c, cJSON *rec)
{
	const char *why = record_check(rec);
	int first = c->nrecords++ == 0;

	cJSON_AddItemToArray(c->records, rec);
	if (why != NULL)
		return why;
	switch (record_type(rec)) {
	case REC_MESSAGE:
		take_message(c, rec);
		break;
	case REC_SUMMARY:
		add_reference(c->summaries, rec);
		break;
	case REC_FACT:
		take_fact(c, rec);
		break;
	case REC_DOC:
		insert_doc(c->docs, rec);
		break;
	case REC_ROUTE:
		if (first)
			c->route_model = msg_str(rec, "model");
		break;
	default:
		break;
	}
	return NULL;
}

static void
add_section(struct buf *out, const char *text)
{
	if (out->len > 0)
		buf_addstr(out, "\n\n");
	buf_addstr(out, text);
}

void
context_fact_line(const cJSON *fact, struct buf *out)
{
	const char *kind = msg_str(fact, "kind");
	const char *subject = msg_str(fact, "subject");
	const char *content = msg_str(fact, "content");

	buf_printf(out, "\n- %s", kind != NULL ? kind : "fact");
	if (subject != NULL)
		buf_printf(out, " %s", subject);
	if (content != NULL)
		buf_printf(out, ": %s", content);
}

void
context_doc_text(const cJSON *doc, struct buf *out)
{
	const char *source = msg_str(doc, "source");

	buf_printf(out, "\n\n[%s]\n%s", source != NULL ? source : "document",
	    msg_str(doc, "content"));
}

void
context_system(const struct context *c, const char *prompt, const char *extra,
    struct buf *out)
{
	const cJSON *rec;

	buf_reset(out);
	if (prompt != NULL)
		buf_addstr(out, prompt);
	if (c->system.len > 0)
		add_section(out, c->system.s);
	cJSON_ArrayForEach(rec, c->summaries) {
		add_section(out, "Summary of the conversation so far:\n");
		buf_addstr(out, msg_str(rec, "content"));
	}
	if (c->facts->child != NULL)
		add_section(out, "Known facts:");
	cJSON_ArrayForEach(rec, c->facts) {
		context_fact_line(rec, out);
	}
	if (c->docs->child != NULL)
		add_section(out, "Documents that may help:");
	cJSON_ArrayForEach(rec, c->docs) {
		context_doc_text(rec, out);
	}
	if (extra != NULL)
		add_section(out, extra);
}
