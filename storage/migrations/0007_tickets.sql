-- Tickets: per-guild ticket types (panel buttons), tickets (private
-- threads) with their stored messages for transcripts, incidents (automatic
-- tickets, one open per dedupe key) and staff-defined live-feed triggers.
-- Times are Unix nanoseconds (UTC); 0 means unset. Guild ids are Discord
-- snowflakes; no foreign key to guilds: a guild that never ran /setup may
-- still have tickets.

CREATE TABLE ticket_types (
	id          INTEGER PRIMARY KEY,
	guild_id    TEXT NOT NULL,
	label       TEXT NOT NULL,
	emoji       TEXT NOT NULL DEFAULT '',
	questions   TEXT NOT NULL DEFAULT '[]', -- JSON array of question labels (0-5)
	staff_roles TEXT NOT NULL DEFAULT '',   -- comma-separated role ids
	user_limit  INTEGER NOT NULL DEFAULT 0 CHECK (user_limit >= 0), -- 0: the guild's default
	created_at  INTEGER NOT NULL,
	UNIQUE (guild_id, label)
) STRICT;

CREATE TABLE tickets (
	id            INTEGER PRIMARY KEY,
	guild_id      TEXT NOT NULL,
	number        INTEGER NOT NULL CHECK (number > 0),
	type_id       INTEGER NOT NULL DEFAULT 0,  -- 0: automatic (incident) ticket
	type_label    TEXT NOT NULL DEFAULT '',
	opener_id     TEXT NOT NULL DEFAULT '',    -- '' for automatic tickets
	opener_name   TEXT NOT NULL DEFAULT '',
	thread_id     TEXT NOT NULL DEFAULT '',
	parent_id     TEXT NOT NULL DEFAULT '',
	state         TEXT NOT NULL DEFAULT 'opening' CHECK (state IN ('opening', 'open', 'closed')),
	subject       TEXT NOT NULL DEFAULT '',
	answers       TEXT NOT NULL DEFAULT '[]',  -- JSON [{"q":..,"a":..}]
	claimed_by    TEXT NOT NULL DEFAULT '',
	closed_by     TEXT NOT NULL DEFAULT '',
	close_reason  TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	closed_at     INTEGER NOT NULL DEFAULT 0,
	last_activity INTEGER NOT NULL,
	warned_at     INTEGER NOT NULL DEFAULT 0,
	UNIQUE (guild_id, number)
) STRICT;

CREATE UNIQUE INDEX tickets_thread ON tickets (thread_id) WHERE thread_id != '';
CREATE INDEX tickets_opener ON tickets (guild_id, opener_id, state);
CREATE INDEX tickets_open ON tickets (state, last_activity) WHERE state = 'open';

-- Every message of a ticket thread, as it happens; notes are staff-only
-- entries that never reach the opener's transcript.
CREATE TABLE ticket_messages (
	ticket_id   INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	message_id  TEXT NOT NULL,
	author_id   TEXT NOT NULL DEFAULT '',
	author_name TEXT NOT NULL DEFAULT '',
	author_bot  INTEGER NOT NULL DEFAULT 0 CHECK (author_bot IN (0, 1)),
	content     TEXT NOT NULL DEFAULT '',
	embeds      TEXT NOT NULL DEFAULT '',      -- embeds as plain text
	attachments TEXT NOT NULL DEFAULT '[]',    -- JSON [{"name":..,"url":..}]
	note        INTEGER NOT NULL DEFAULT 0 CHECK (note IN (0, 1)),
	deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
	created_at  INTEGER NOT NULL,
	edited_at   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (ticket_id, message_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE incidents (
	id         INTEGER PRIMARY KEY,
	guild_id   TEXT NOT NULL,
	dedupe_key TEXT NOT NULL,
	kind       TEXT NOT NULL,
	subject    TEXT NOT NULL DEFAULT '',
	service_id INTEGER NOT NULL DEFAULT 0,
	details    TEXT NOT NULL DEFAULT '',
	actions    TEXT NOT NULL DEFAULT '[]',     -- JSON [{"label":..,"custom_id":..}]
	state      TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'cleared')),
	repeats    INTEGER NOT NULL DEFAULT 0,
	ticket_id  INTEGER NOT NULL DEFAULT 0,     -- 0 until its ticket exists
	opened_at  INTEGER NOT NULL,
	last_at    INTEGER NOT NULL,
	cleared_at INTEGER NOT NULL DEFAULT 0,
	clear_note TEXT NOT NULL DEFAULT ''
) STRICT;

-- One open incident per (guild, dedupe key).
CREATE UNIQUE INDEX incidents_open ON incidents (guild_id, dedupe_key) WHERE state = 'open';

-- Staff-defined triggers: a regular expression over live-feed lines.
CREATE TABLE ticket_triggers (
	id         INTEGER PRIMARY KEY,
	guild_id   TEXT NOT NULL,
	kind       TEXT NOT NULL,                  -- "chat", "tribe", ... (the live feed's line kinds)
	pattern    TEXT NOT NULL,
	service_id INTEGER NOT NULL DEFAULT 0,     -- 0: every server
	label      TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	UNIQUE (guild_id, kind, pattern, service_id)
) STRICT;

-- Posted panels, re-rendered when the guild's ticket types change.
CREATE TABLE ticket_panels (
	message_id TEXT PRIMARY KEY,
	guild_id   TEXT NOT NULL,
	channel_id TEXT NOT NULL
) STRICT, WITHOUT ROWID;
