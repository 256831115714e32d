-- Server management bot: the audit log of staff actions (shared by every
-- bot through bots.Auditor), restart/stop/start countdowns that survive an
-- appliance restart, and the once-per-snapshot decay warnings.
-- Times are Unix nanoseconds (UTC).

CREATE TABLE audit_log (
	id        INTEGER PRIMARY KEY,
	guild_id  TEXT NOT NULL,
	actor_id  TEXT NOT NULL DEFAULT '',
	actor     TEXT NOT NULL DEFAULT '',
	bot       TEXT NOT NULL DEFAULT '',
	action    TEXT NOT NULL,
	target    TEXT NOT NULL DEFAULT '',
	server    TEXT NOT NULL DEFAULT '',
	detail    TEXT NOT NULL DEFAULT '',
	ok        INTEGER NOT NULL DEFAULT 0 CHECK (ok IN (0, 1)),
	result    TEXT NOT NULL DEFAULT '',
	at        INTEGER NOT NULL
) STRICT;

-- A guild's log, newest first.
CREATE INDEX audit_log_guild ON audit_log (guild_id, id);

-- One row per countdown. servers is a JSON array of Nitrado service ids,
-- handled one after the other (a cluster restart goes server by server);
-- step is the index of the server in progress.
CREATE TABLE countdowns (
	id          INTEGER PRIMARY KEY,
	guild_id    TEXT NOT NULL,
	action      TEXT NOT NULL CHECK (action IN ('restart', 'stop', 'start')),
	servers     TEXT NOT NULL DEFAULT '[]',
	step        INTEGER NOT NULL DEFAULT 0,
	sent        INTEGER NOT NULL DEFAULT 0 CHECK (sent IN (0, 1)), -- the action of step was sent
	reason      TEXT NOT NULL DEFAULT '',
	actor_id    TEXT NOT NULL DEFAULT '',
	actor       TEXT NOT NULL DEFAULT '',
	channel_id  TEXT NOT NULL DEFAULT '',
	fire_at     INTEGER NOT NULL,            -- when the action runs; once sent, when it was sent
	warned      INTEGER NOT NULL DEFAULT -1, -- last minute mark announced in game (-1: none yet)
	state       TEXT NOT NULL DEFAULT 'pending'
	            CHECK (state IN ('pending', 'running', 'done', 'cancelled', 'failed')),
	result      TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX countdowns_active ON countdowns (state, fire_at) WHERE state IN ('pending', 'running');

-- Decay warnings already posted: one per (guild, server, snapshot run).
CREATE TABLE decay_posts (
	guild_id  TEXT NOT NULL,
	server_id INTEGER NOT NULL, -- Nitrado service id
	run_id    TEXT NOT NULL,
	at        INTEGER NOT NULL,
	PRIMARY KEY (guild_id, server_id, run_id)
) STRICT, WITHOUT ROWID;

-- /info pages walk these in order (top-N per server, then merged), so a page
-- never sorts a whole snapshot: tamed dinos by level (class included so the
-- species filter and its count never touch the table), bases by size.
CREATE INDEX dinos_level ON dinos (server_id, level, class);
CREATE INDEX bases_structures ON bases (server_id, structures);
