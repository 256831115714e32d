-- Save snapshots: the latest decoded world save of each server (players,
-- tribes, tamed dinos, bases) plus a history of parse runs.
--
-- server_id is the Nitrado service id as text (the key the parse jobs use);
-- the same service may be linked in several guilds, so there is no foreign
-- key to servers. All rows of one server are replaced in one transaction
-- (storage.(*DB).ReplaceSnapshot).
--
-- Times are fixed-width UTC text ("2006-01-02T15:04:05.000000000Z"), which
-- sorts lexically; NULL when unknown. Durations are nanoseconds. 64-bit
-- unsigned ids (player data ids, dino ids) are stored bit-cast to INTEGER.

CREATE TABLE save_snapshots (
	id               INTEGER PRIMARY KEY,
	server_id        TEXT NOT NULL,
	run_id           TEXT NOT NULL,
	map              TEXT NOT NULL DEFAULT '',
	save_version     INTEGER NOT NULL DEFAULT 0,
	saved_at         TEXT,
	game_time        REAL NOT NULL DEFAULT 0,
	file_name        TEXT NOT NULL DEFAULT '',
	file_size        INTEGER NOT NULL DEFAULT 0,
	file_mtime       TEXT,
	compressed       INTEGER NOT NULL DEFAULT 0 CHECK (compressed IN (0, 1)),
	content_hash     TEXT NOT NULL DEFAULT '',
	list_fingerprint TEXT NOT NULL DEFAULT '',
	players          INTEGER NOT NULL DEFAULT 0,
	tribes           INTEGER NOT NULL DEFAULT 0,
	tamed_dinos      INTEGER NOT NULL DEFAULT 0,
	wild_dinos       INTEGER NOT NULL DEFAULT 0,
	pawns            INTEGER NOT NULL DEFAULT 0,
	structures       INTEGER NOT NULL DEFAULT 0,
	bases            INTEGER NOT NULL DEFAULT 0,
	rows_total       INTEGER NOT NULL DEFAULT 0,
	rows_failed      INTEGER NOT NULL DEFAULT 0,
	failed_by_class  TEXT NOT NULL DEFAULT '{}', -- JSON object class -> n
	structures_by_material TEXT NOT NULL DEFAULT '{}', -- JSON object material -> n
	list_ns          INTEGER NOT NULL DEFAULT 0,
	download_ns      INTEGER NOT NULL DEFAULT 0,
	decode_ns        INTEGER NOT NULL DEFAULT 0,
	analyze_ns       INTEGER NOT NULL DEFAULT 0,
	write_ns         INTEGER NOT NULL DEFAULT 0, -- measured up to just before COMMIT
	peak_heap_bytes  INTEGER NOT NULL DEFAULT 0,
	peak_rss_delta   INTEGER NOT NULL DEFAULT 0, -- VmHWM growth during the run
	created_at       TEXT NOT NULL,
	UNIQUE (server_id, run_id)
) STRICT;

CREATE INDEX save_snapshots_server ON save_snapshots (server_id, id);

-- Unique by (server_id, seq), seq being the position in the snapshot, so
-- that a snapshot is written over the previous one in place (see
-- ReplaceSnapshot).
CREATE TABLE players (
	server_id       TEXT NOT NULL,
	seq             INTEGER NOT NULL,
	player_data_id  INTEGER NOT NULL,
	eos_id          TEXT NOT NULL DEFAULT '',
	platform_name   TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	character_name  TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	level           INTEGER NOT NULL DEFAULT 0,
	tribe_id        INTEGER NOT NULL DEFAULT 0,
	tribe_name      TEXT NOT NULL DEFAULT '',
	last_login      TEXT,
	login_game_time REAL NOT NULL DEFAULT 0,
	x REAL, y REAL, z REAL, -- NULL when the pawn is not in the world
	lat REAL, lon REAL      -- NULL when the map's coordinates are unknown
) STRICT;

-- A rowid table (not WITHOUT ROWID): the name lookups below go through an
-- index and then to the row, and a rowid seek is much cheaper than a seek
-- by (server_id, seq) (the LIKE listing of 20k players was 2x slower).
CREATE UNIQUE INDEX players_seq ON players (server_id, seq);

-- Only the indexes the lookups need: every index costs on each snapshot
-- write (insert and delete of every row).
CREATE INDEX players_character_name ON players (server_id, character_name);
CREATE INDEX players_platform_name ON players (server_id, platform_name);
CREATE INDEX players_eos_id ON players (eos_id, server_id);

CREATE TABLE tribes (
	server_id   TEXT NOT NULL,
	tribe_id    INTEGER NOT NULL,
	name        TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	owner_id    INTEGER NOT NULL DEFAULT 0,
	members     INTEGER NOT NULL DEFAULT 0,
	member_ids  TEXT NOT NULL DEFAULT '[]', -- JSON array of player data ids (bit-cast)
	member_names TEXT NOT NULL DEFAULT '[]', -- JSON array of names
	tamed_dinos INTEGER NOT NULL DEFAULT 0,
	structures  INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX tribes_name ON tribes (server_id, name);

-- Clustered by (server_id, tribe_id): "dinos of a tribe" is a range scan
-- and each insert maintains one b-tree less. seq is the position of the
-- dino among its tribe's dinos in the snapshot.
CREATE TABLE dinos (
	server_id   TEXT NOT NULL,
	tribe_id    INTEGER NOT NULL DEFAULT 0,
	seq         INTEGER NOT NULL,
	guid        BLOB NOT NULL,
	dino_id     INTEGER NOT NULL DEFAULT 0,
	class       TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	name        TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	level       INTEGER NOT NULL DEFAULT 0,
	sex         INTEGER NOT NULL DEFAULT 0, -- 0 male, 1 female
	tribe_name  TEXT NOT NULL DEFAULT '',
	owner_name  TEXT NOT NULL DEFAULT '',
	cryopodded  INTEGER NOT NULL DEFAULT 0,
	tamed_at_game REAL NOT NULL DEFAULT 0,
	x REAL, y REAL, z REAL, lat REAL, lon REAL, -- NULL when cryopodded / unknown
	PRIMARY KEY (server_id, tribe_id, seq)
) STRICT, WITHOUT ROWID;

CREATE INDEX dinos_class ON dinos (server_id, class);

CREATE TABLE bases (
	server_id     TEXT NOT NULL,
	seq           INTEGER NOT NULL, -- position in the analysis (soonest decay first)
	owner         INTEGER NOT NULL,
	owner_name    TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	structures    INTEGER NOT NULL DEFAULT 0,
	by_material   TEXT NOT NULL DEFAULT '{}', -- JSON object material -> n
	storage_count INTEGER NOT NULL DEFAULT 0,
	foundations   INTEGER NOT NULL DEFAULT 0,
	tamed_dinos   INTEGER NOT NULL DEFAULT 0,
	x REAL NOT NULL DEFAULT 0, y REAL NOT NULL DEFAULT 0, z REAL NOT NULL DEFAULT 0,
	lat REAL, lon REAL,
	min_x REAL NOT NULL DEFAULT 0, min_y REAL NOT NULL DEFAULT 0, min_z REAL NOT NULL DEFAULT 0,
	max_x REAL NOT NULL DEFAULT 0, max_y REAL NOT NULL DEFAULT 0, max_z REAL NOT NULL DEFAULT 0,
	decay_tier    TEXT NOT NULL DEFAULT '',
	decay_ns      INTEGER NOT NULL DEFAULT 0,
	last_refresh  TEXT,
	refresh_known INTEGER NOT NULL DEFAULT 0,
	decays_at     TEXT
) STRICT;

CREATE INDEX bases_decays_at ON bases (server_id, decays_at);
