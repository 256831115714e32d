-- Assistant bot: users' saved time zones, staff-managed teleport points per
-- guild and map, and the teleporters seen in each server's latest save.

-- One zone per Discord user (a person's zone does not change per guild).
CREATE TABLE user_timezones (
	user_id    TEXT NOT NULL PRIMARY KEY,
	zone       TEXT NOT NULL,          -- IANA name, e.g. "Europe/Berlin"
	updated_at INTEGER NOT NULL        -- Unix nanoseconds
) STRICT, WITHOUT ROWID;

-- Staff-managed points. map is the normalised key of arksave/maps
-- ("scorchedearth"). tribe_id 0 with public 1 is visible to everyone;
-- public 0 restricts a point to tribe_id (or to staff when tribe_id is 0).
CREATE TABLE teleport_points (
	id         INTEGER PRIMARY KEY,
	guild_id   TEXT NOT NULL,
	map        TEXT NOT NULL,
	name       TEXT NOT NULL COLLATE NOCASE,
	x REAL NOT NULL, y REAL NOT NULL, z REAL NOT NULL DEFAULT 0,
	public     INTEGER NOT NULL DEFAULT 1 CHECK (public IN (0, 1)),
	tribe_id   INTEGER NOT NULL DEFAULT 0,
	note       TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	UNIQUE (guild_id, map, name)
) STRICT;

-- Teleporters of the latest snapshot of a server, replaced on every parse
-- (filled by the pipeline's snapshot writer from the decoded structures).
CREATE TABLE save_teleporters (
	server_id  INTEGER NOT NULL CHECK (server_id > 0),
	seq        INTEGER NOT NULL,
	map        TEXT NOT NULL DEFAULT '',
	class      TEXT NOT NULL DEFAULT '',
	name       TEXT NOT NULL DEFAULT '',
	tribe_id   INTEGER NOT NULL DEFAULT 0,
	tribe_name TEXT NOT NULL DEFAULT '',
	x REAL NOT NULL, y REAL NOT NULL, z REAL NOT NULL,
	PRIMARY KEY (server_id, seq)
) STRICT, WITHOUT ROWID;
