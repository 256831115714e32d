-- Server bot: the background picture staff set per map (/server mapimage).
-- No ARK map artwork ships with Bliss, so each guild provides its own. The
-- bot has validated, scaled and re-encoded it as PNG before it is stored.
-- map is the arksave/maps key ("theisland"). set_at is unix nanoseconds.
CREATE TABLE map_images (
	guild_id TEXT NOT NULL,
	map      TEXT NOT NULL,
	png      BLOB NOT NULL,
	width    INTEGER NOT NULL,
	height   INTEGER NOT NULL,
	set_by   TEXT NOT NULL DEFAULT '',
	set_at   INTEGER NOT NULL,
	PRIMARY KEY (guild_id, map)
) STRICT;
