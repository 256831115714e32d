-- Guilds the bots serve, the Nitrado servers linked to each, and per-guild
-- settings. Times are UTC RFC 3339 text.

CREATE TABLE guilds (
	id         TEXT PRIMARY KEY,            -- Discord guild snowflake
	name       TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
) STRICT;

-- id is a local surrogate key for later tables (players, bases, ...) to
-- reference; the same Nitrado service may be linked in several guilds.
CREATE TABLE servers (
	id               INTEGER PRIMARY KEY,
	guild_id         TEXT NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
	service_id       INTEGER NOT NULL CHECK (service_id > 0), -- Nitrado service id
	name             TEXT NOT NULL DEFAULT '',
	map              TEXT NOT NULL DEFAULT '',
	enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
	cluster          TEXT NOT NULL DEFAULT '',
	decay_multiplier REAL NOT NULL DEFAULT 1 CHECK (decay_multiplier > 0),
	created_at       TEXT NOT NULL,
	UNIQUE (guild_id, service_id)
) STRICT;

CREATE INDEX servers_service_id ON servers (service_id);

CREATE TABLE guild_settings (
	guild_id TEXT NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
	key      TEXT NOT NULL,
	value    TEXT NOT NULL,
	PRIMARY KEY (guild_id, key)
) STRICT, WITHOUT ROWID;
