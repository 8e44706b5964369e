/* docindex: llm-memdb index: text files cut into searchable docs. */
#ifndef DOCINDEX_H
#define DOCINDEX_H

#include <stddef.h>

#include <sqlite3.h>

#include "tok/count.h"

/* What a run did, file by file. */
struct docindex_report {
	size_t files, indexed, unchanged, removed, skipped, docs;
};

/* Tokens in a doc, by default. */
#define DOCINDEX_CHUNK 400

/*
 * Brings the index in db up to date with the files at paths (files, or
 * directories walked without following symbolic links): text files are
 * cut at line ends into docs of at most chunk tokens as c counts them
 * (a longer line is a doc of its own); binary files, files over 8 MiB,
 * .git and what .gitignore files name are left out; a file whose size,
 * time and then content hash are unchanged is left as it is; files
 * indexed under paths that are gone leave the index.  One transaction.
 * Shows progress on stderr when it is a terminal and counts what it did
 * in *rep.  Returns 0 or -1, reported.
 */
int docindex_run(sqlite3 *db, char **paths, int npaths, const struct counter *c,
    size_t chunk, struct docindex_report *rep);

#endif
