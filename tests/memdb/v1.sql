-- An llm-memdb database of schema version 1, the first, with data: the
-- migration test applies it with sqlite3 and lets llm-memdb upgrade it.
-- Frozen: it is what version 1 wrote, not what the code writes now.
PRAGMA journal_mode = WAL;
BEGIN;
CREATE TABLE sessions (
	 id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created TEXT NOT NULL) STRICT;
CREATE TABLE records (
	 seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, session INTEGER NOT NULL REFERENCES sessions ON DELETE CASCADE, type TEXT NOT NULL, ts TEXT NOT NULL, json TEXT NOT NULL) STRICT;
CREATE INDEX records_by_session ON records(session, seq);
CREATE TABLE messages (
	 seq INTEGER PRIMARY KEY REFERENCES records ON DELETE CASCADE, role TEXT NOT NULL, model TEXT, tokens INTEGER) STRICT;
CREATE TABLE summaries (
	 seq INTEGER PRIMARY KEY REFERENCES records ON DELETE CASCADE, covers INTEGER, through TEXT) STRICT;
CREATE TABLE fact_ops (
	 seq INTEGER PRIMARY KEY REFERENCES records ON DELETE CASCADE, kind TEXT NOT NULL, subject TEXT, op TEXT NOT NULL CHECK (op IN ('add', 'update', 'delete')), source TEXT) STRICT;
CREATE TABLE facts (
	 id INTEGER PRIMARY KEY, session INTEGER NOT NULL REFERENCES sessions ON DELETE CASCADE, kind TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL REFERENCES records ON DELETE CASCADE, UNIQUE (session, kind, key)) STRICT;
CREATE INDEX facts_by_seq ON facts(seq);
CREATE TABLE file_changes (
	 seq INTEGER PRIMARY KEY REFERENCES records ON DELETE CASCADE, path TEXT NOT NULL, change TEXT NOT NULL) STRICT;
CREATE TABLE usage (
	 seq INTEGER PRIMARY KEY REFERENCES records ON DELETE CASCADE, provider TEXT, model TEXT, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL, latency_ms INTEGER) STRICT;
CREATE VIRTUAL TABLE messages_fts USING fts5(content);
CREATE VIRTUAL TABLE summaries_fts USING fts5(content);
CREATE VIRTUAL TABLE facts_fts USING fts5(subject, content);
CREATE TRIGGER records_deleted AFTER DELETE ON records BEGIN DELETE FROM messages_fts WHERE rowid = old.seq; DELETE FROM summaries_fts WHERE rowid = old.seq; END;
CREATE TRIGGER facts_deleted AFTER DELETE ON facts BEGIN DELETE FROM facts_fts WHERE rowid = old.id; END;
INSERT INTO sessions VALUES (1, 'old', '2025-01-01T00:00:00Z');
INSERT INTO records VALUES (1, 'u1', 1, 'message', '2025-01-01T10:00:00Z',
 '{"role":"user","content":"Where is the config parser?","id":"u1","session":"old","ts":"2025-01-01T10:00:00Z"}');
INSERT INTO messages VALUES (1, 'user', NULL, NULL);
INSERT INTO messages_fts(rowid, content) VALUES (1, 'Where is the config parser?');
INSERT INTO records VALUES (2, 'a1', 1, 'message', '2025-01-01T10:00:02Z',
 '{"role":"assistant","content":"In src/config.c.","id":"a1","session":"old","ts":"2025-01-01T10:00:02Z","model":"gpt-4o","usage":{"input_tokens":50,"output_tokens":7,"cached_tokens":32},"cost_usd":0.0002}');
INSERT INTO messages VALUES (2, 'assistant', 'gpt-4o', NULL);
INSERT INTO messages_fts(rowid, content) VALUES (2, 'In src/config.c.');
INSERT INTO usage VALUES (2, NULL, 'gpt-4o', 50, 7, 0.0002, NULL);
INSERT INTO records VALUES (3, 'f1', 1, 'fact', '2025-01-01T10:00:03Z',
 '{"type":"fact","kind":"note","subject":"config","content":"the parser is in src/config.c","id":"f1","session":"old","ts":"2025-01-01T10:00:03Z"}');
INSERT INTO fact_ops VALUES (3, 'note', 'config', 'add', NULL);
INSERT INTO facts VALUES (1, 1, 'note', 'config', 3);
INSERT INTO facts_fts(rowid, subject, content) VALUES (1, 'config', 'the parser is in src/config.c');
PRAGMA user_version = 1;
COMMIT;
