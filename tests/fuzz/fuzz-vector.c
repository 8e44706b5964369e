/* A libFuzzer target for the readers of vectors: JSON arrays and hex. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "db/vectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The library calls it for a bad option, which is not tested here. */
void
usage(void)
{
	abort();
}

/* A vector read is finite throughout; one from JSON has unit length. */
static void
check(const struct vector *v, int unit)
{
	double norm = 0;
	size_t i;

	if (v->dims == 0 || v->v == NULL)
		abort();
	for (i = 0; i < v->dims; i++) {
		if (!isfinite(v->v[i]))
			abort();
		norm += (double)v->v[i] * v->v[i];
	}
	if (unit && fabs(norm - 1) > 1e-3)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct json_error e;
	struct vector v;
	const char *why;
	cJSON *json;

	memcpy(text, data, size);
	text[size] = '\0';
	if (vector_from_hex(text, &v, &why) == 0)
		check(&v, 0);
	else if (v.v != NULL || why == NULL)
		abort();
	vector_release(&v);
	if ((json = json_parse(text, size, &e)) != NULL &&
	    vector_from_json(json, &v, &why) == 0)
		check(&v, 1);
	vector_release(&v);
	cJSON_Delete(json);
	free(text);
	return 0;
}
