-- /info name filters run in SQL: each snapshot writes the folded names
-- (storage.FoldText: lower-cased, Latin accents stripped) next to the names,
-- so a case- and accent-insensitive search is a LIKE over an index and only
-- the page's rows come back to Go.
--
-- FoldText cannot be written in SQL: the rows already stored get NULL here
-- and storage.Open folds them once in Go (fillFolds). Writers always set the
-- columns; setting them back to NULL in a later migration re-folds every row
-- (say, after FoldText learns more letters).
ALTER TABLE players ADD COLUMN character_fold TEXT;
ALTER TABLE players ADD COLUMN platform_fold TEXT;
ALTER TABLE tribes ADD COLUMN name_fold TEXT;

-- /info players walks this per server in folded-name order and filters on
-- both names without touching the table (covering); an exact name (/info
-- player, kick and ban by name) is two seeks, here and in
-- players_platform_fold. A snapshot writes over an unchanged player in place
-- without touching either (see playerUpsert).
CREATE INDEX players_fold ON players (server_id, character_fold, platform_fold);
CREATE INDEX players_platform_fold ON players (server_id, platform_fold);

-- /info tribes: the list order (largest first) with the folded name, so a
-- page and a filtered count never touch the table.
CREATE INDEX tribes_order ON tribes (server_id, structures DESC, tamed_dinos DESC, name, tribe_id, name_fold);
