-- Nitrado service ids are INTEGER everywhere (servers.service_id already
-- is): the snapshot tables of 0002 keyed them as TEXT. Each table is rebuilt
-- with server_id INTEGER (SQLite's documented procedure: create the new
-- table, copy, drop the old, rename) and its indexes are recreated. Rows
-- whose server_id is not a positive decimal integer cannot belong to a
-- Nitrado service and are dropped.

CREATE TABLE save_snapshots_new (
	id               INTEGER PRIMARY KEY,
	server_id        INTEGER NOT NULL CHECK (server_id > 0),
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

INSERT INTO save_snapshots_new (id, server_id, run_id, map, save_version, saved_at, game_time, file_name, file_size, file_mtime, compressed, content_hash, list_fingerprint, players, tribes, tamed_dinos, wild_dinos, pawns, structures, bases, rows_total, rows_failed, failed_by_class, structures_by_material, list_ns, download_ns, decode_ns, analyze_ns, write_ns, peak_heap_bytes, peak_rss_delta, created_at)
SELECT id, CAST(server_id AS INTEGER), run_id, map, save_version, saved_at, game_time, file_name, file_size, file_mtime, compressed, content_hash, list_fingerprint, players, tribes, tamed_dinos, wild_dinos, pawns, structures, bases, rows_total, rows_failed, failed_by_class, structures_by_material, list_ns, download_ns, decode_ns, analyze_ns, write_ns, peak_heap_bytes, peak_rss_delta, created_at
FROM save_snapshots WHERE server_id GLOB '[1-9]*' AND server_id NOT GLOB '*[^0-9]*';

DROP TABLE save_snapshots;
ALTER TABLE save_snapshots_new RENAME TO save_snapshots;

CREATE TABLE players_new (
	server_id       INTEGER NOT NULL CHECK (server_id > 0),
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

INSERT INTO players_new (server_id, seq, player_data_id, eos_id, platform_name, character_name, level, tribe_id, tribe_name, last_login, login_game_time, x, y, z, lat, lon)
SELECT CAST(server_id AS INTEGER), seq, player_data_id, eos_id, platform_name, character_name, level, tribe_id, tribe_name, last_login, login_game_time, x, y, z, lat, lon
FROM players WHERE server_id GLOB '[1-9]*' AND server_id NOT GLOB '*[^0-9]*';

DROP TABLE players;
ALTER TABLE players_new RENAME TO players;

CREATE TABLE tribes_new (
	server_id   INTEGER NOT NULL CHECK (server_id > 0),
	tribe_id    INTEGER NOT NULL,
	name        TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
	owner_id    INTEGER NOT NULL DEFAULT 0,
	members     INTEGER NOT NULL DEFAULT 0,
	member_ids  TEXT NOT NULL DEFAULT '[]', -- JSON array of player data ids (bit-cast)
	member_names TEXT NOT NULL DEFAULT '[]', -- JSON array of names
	tamed_dinos INTEGER NOT NULL DEFAULT 0,
	structures  INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO tribes_new (server_id, tribe_id, name, owner_id, members, member_ids, member_names, tamed_dinos, structures)
SELECT CAST(server_id AS INTEGER), tribe_id, name, owner_id, members, member_ids, member_names, tamed_dinos, structures
FROM tribes WHERE server_id GLOB '[1-9]*' AND server_id NOT GLOB '*[^0-9]*';

DROP TABLE tribes;
ALTER TABLE tribes_new RENAME TO tribes;

CREATE TABLE dinos_new (
	server_id   INTEGER NOT NULL CHECK (server_id > 0),
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

INSERT INTO dinos_new (server_id, tribe_id, seq, guid, dino_id, class, name, level, sex, tribe_name, owner_name, cryopodded, tamed_at_game, x, y, z, lat, lon)
SELECT CAST(server_id AS INTEGER), tribe_id, seq, guid, dino_id, class, name, level, sex, tribe_name, owner_name, cryopodded, tamed_at_game, x, y, z, lat, lon
FROM dinos WHERE server_id GLOB '[1-9]*' AND server_id NOT GLOB '*[^0-9]*';

DROP TABLE dinos;
ALTER TABLE dinos_new RENAME TO dinos;

CREATE TABLE bases_new (
	server_id     INTEGER NOT NULL CHECK (server_id > 0),
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

INSERT INTO bases_new (server_id, seq, owner, owner_name, structures, by_material, storage_count, foundations, tamed_dinos, x, y, z, lat, lon, min_x, min_y, min_z, max_x, max_y, max_z, decay_tier, decay_ns, last_refresh, refresh_known, decays_at)
SELECT CAST(server_id AS INTEGER), seq, owner, owner_name, structures, by_material, storage_count, foundations, tamed_dinos, x, y, z, lat, lon, min_x, min_y, min_z, max_x, max_y, max_z, decay_tier, decay_ns, last_refresh, refresh_known, decays_at
FROM bases WHERE server_id GLOB '[1-9]*' AND server_id NOT GLOB '*[^0-9]*';

DROP TABLE bases;
ALTER TABLE bases_new RENAME TO bases;

CREATE INDEX save_snapshots_server ON save_snapshots (server_id, id);

CREATE UNIQUE INDEX players_seq ON players (server_id, seq);

CREATE INDEX players_character_name ON players (server_id, character_name);

CREATE INDEX players_platform_name ON players (server_id, platform_name);

CREATE INDEX players_eos_id ON players (eos_id, server_id);

CREATE INDEX tribes_name ON tribes (server_id, name);

CREATE INDEX dinos_class ON dinos (server_id, class);

CREATE INDEX bases_decays_at ON bases (server_id, decays_at);
