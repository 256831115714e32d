-- Play sessions, maintained by the live feed (jobs/livefeed) from join/leave
-- log lines and ListPlayers diffs. One row per stay of a player on a server;
-- left_at is NULL while the player is online. seen_at is the last time the
-- player was seen online (a log line or a roster poll): a restart of the
-- appliance or of the game server closes open sessions at seen_at, never at
-- "now". source says what opened the session ("log" or "listplayers").
-- Times are Unix nanoseconds (UTC). The economy (Activity Points) reads it.

CREATE TABLE sessions (
	id         INTEGER PRIMARY KEY,
	service_id INTEGER NOT NULL,
	eos_id     TEXT NOT NULL,
	name       TEXT NOT NULL DEFAULT '',
	joined_at  INTEGER NOT NULL,
	left_at    INTEGER NULL,
	source     TEXT NOT NULL DEFAULT '',
	seen_at    INTEGER NOT NULL
) STRICT;

-- At most one open session per player and server.
CREATE UNIQUE INDEX sessions_open ON sessions (service_id, eos_id) WHERE left_at IS NULL;

-- A player's history (playtime) and a server's recent sessions.
CREATE INDEX sessions_player ON sessions (eos_id, joined_at);
CREATE INDEX sessions_server ON sessions (service_id, joined_at);
