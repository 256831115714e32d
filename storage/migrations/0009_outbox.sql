-- The one outbox: anything that must happen exactly once outside the
-- process (a chat line posted to Discord, an item delivered over RCON) is
-- first committed here with a stable id, then performed, then marked done.
-- key is the idempotency key: recording the same thing twice is a no-op.
-- Times are Unix nanoseconds (UTC), so next_at compares numerically.

CREATE TABLE outbox (
	id          INTEGER PRIMARY KEY,
	kind        TEXT NOT NULL,              -- "chat", "log", "delivery", ...
	key         TEXT NOT NULL UNIQUE,
	guild_id    TEXT NOT NULL DEFAULT '',
	service_id  INTEGER NOT NULL DEFAULT 0, -- Nitrado service id, 0 if none
	target      TEXT NOT NULL DEFAULT '',   -- channel/thread/player, consumer-defined
	payload     BLOB NOT NULL DEFAULT x'',
	state       TEXT NOT NULL DEFAULT 'pending'
	            CHECK (state IN ('pending', 'done', 'unconfirmed', 'failed')),
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_at     INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;

-- Due work per kind, oldest first.
CREATE INDEX outbox_due ON outbox (kind, next_at, id) WHERE state = 'pending';

-- Durable read positions of the streams read from game servers (GetGameLog
-- stamps, ShooterGame.log byte offsets, boost history ids), advanced in the
-- same transaction that records what was read.
CREATE TABLE cursors (
	key        TEXT PRIMARY KEY,
	value      TEXT NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
