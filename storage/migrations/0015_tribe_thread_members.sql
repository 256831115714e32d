-- Tribe log threads (jobs/livefeed, setting tribe_log_threads): the Discord
-- users the membership sync added to a tribe's private thread, so a restart
-- does not add everyone again and only users the sync added are ever
-- removed (staff who joined a thread themselves are left alone).
--
-- state 'member': the PUT succeeded. 'failed': the PUT was refused (not a
-- guild member, archived thread, ...); it is tried again at next_at (unix
-- nanoseconds), backing off. A row leaves when the user should no longer
-- be in the thread (after the DELETE for a member). Read per thread (the
-- primary key); guild_id says whose thread it is.
CREATE TABLE tribe_thread_members (
	guild_id   TEXT NOT NULL,
	thread_id  TEXT NOT NULL,
	discord_id TEXT NOT NULL,
	state      TEXT NOT NULL CHECK (state IN ('member', 'failed')),
	attempts   INTEGER NOT NULL DEFAULT 0,
	next_at    INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (thread_id, discord_id)
) STRICT, WITHOUT ROWID;
