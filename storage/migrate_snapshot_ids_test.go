package storage

import (
	"path/filepath"
	"testing"
	"testing/fstest"
)

// TestMigrate0003_SnapshotIDsBecomeIntegers applies 0001-0002, stores rows
// keyed by the old TEXT ids, then applies 0003: numeric ids survive as
// INTEGER, rows whose id is not a service id are dropped, and the indexes
// exist again.
func TestMigrate0003_SnapshotIDsBecomeIntegers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "m.db")
	embedded := func(names ...string) fstest.MapFS {
		fsys := fstest.MapFS{}
		for _, n := range names {
			b, err := migrationFS.ReadFile("migrations/" + n)
			if err != nil {
				t.Fatal(err)
			}
			fsys["migrations/"+n] = &fstest.MapFile{Data: b}
		}
		return fsys
	}
	old := embedded("0001_init.sql", "0002_snapshots.sql")
	if err := migrateFile(ctx, path, old); err != nil {
		t.Fatal(err)
	}
	db := openRaw(t, path)
	for _, q := range []string{
		`INSERT INTO save_snapshots (server_id, run_id, created_at) VALUES ('123456', 'r1', 'x'), ('abc', 'r2', 'x'), ('0', 'r3', 'x')`,
		`INSERT INTO players (server_id, seq, player_data_id) VALUES ('123456', 0, 1), ('-5', 0, 2)`,
		`INSERT INTO tribes (server_id, tribe_id) VALUES ('123456', 7)`,
		`INSERT INTO dinos (server_id, tribe_id, seq, guid) VALUES ('123456', 7, 0, x'00'), ('12x', 7, 0, x'00')`,
		`INSERT INTO bases (server_id, seq, owner) VALUES ('123456', 0, 7)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	if err := migrateFile(ctx, path, embedded("0001_init.sql", "0002_snapshots.sql", "0003_snapshot_ids.sql")); err != nil {
		t.Fatalf("0003: %v", err)
	}
	db = openRaw(t, path)
	for _, table := range []string{"save_snapshots", "players", "tribes", "dinos", "bases"} {
		var n int
		var typ string
		if err := db.QueryRowContext(ctx, `SELECT count(*), coalesce(max(typeof(server_id)), '') FROM `+table).Scan(&n, &typ); err != nil {
			t.Fatal(err)
		}
		if n != 1 || typ != "integer" {
			t.Errorf("%s: %d rows of type %q, want 1 integer row", table, n, typ)
		}
		var id int64
		if err := db.QueryRowContext(ctx, `SELECT server_id FROM `+table+` WHERE server_id = ?`, int64(123456)).Scan(&id); err != nil {
			t.Errorf("%s: lookup by int64 id: %v", table, err)
		}
	}
	var idx int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN
	('save_snapshots_server', 'players_seq', 'players_character_name', 'players_platform_name', 'players_eos_id',
	 'tribes_name', 'dinos_class', 'bases_decays_at')`).Scan(&idx); err != nil || idx != 8 {
		t.Errorf("indexes after 0003 = %d, %v; want 8", idx, err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO players (server_id, seq, player_data_id) VALUES ('srv', 0, 1)`); err == nil {
		t.Error("STRICT INTEGER server_id accepted text")
	}
}
