package storage

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadMigrations_Validation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		fs   fstest.MapFS
		want string // error substring; "" means success
	}{
		{"ok", fstest.MapFS{
			"migrations/0002_b.sql": {Data: []byte("SELECT 1")},
			"migrations/0001_a.sql": {Data: []byte("SELECT 1")},
		}, ""},
		{"bad name", fstest.MapFS{"migrations/1_a.sql": {}}, "name must look like"},
		{"upper case", fstest.MapFS{"migrations/0001_A.sql": {}}, "name must look like"},
		{"zero", fstest.MapFS{"migrations/0000_a.sql": {}}, "bad version"},
		{"duplicate", fstest.MapFS{
			"migrations/0001_a.sql": {},
			"migrations/0001_b.sql": {},
		}, "used twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := loadMigrations(tt.fs)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(ms) != 2 || ms[0].version != 1 || ms[1].version != 2 || ms[0].name != "a" {
					t.Errorf("migrations = %+v, want sorted 1 a, 2 b", ms)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestMigrate_EmbeddedFilesParse(t *testing.T) {
	t.Parallel()
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].version != 1 || ms[0].name != "init" {
		t.Errorf("embedded migrations = %v, want 0001_init first", ms)
	}
}

// A failing migration rolls back entirely and is not recorded; earlier
// ones stay applied; a fixed binary then continues from there.
func TestMigrate_FailureRollsBack(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "m.db")
	bad := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER); INSERT INTO nope VALUES (1);")},
	}
	err := migrateFile(ctx, path, bad)
	if err == nil || !strings.Contains(err.Error(), "0002_b") {
		t.Fatalf("migrate = %v, want error naming 0002_b", err)
	}
	db := openRaw(t, path)
	if got := versions(t, db); got != "1" {
		t.Errorf("applied = %s, want 1", got)
	}
	if tableExists(t, db, "b") {
		t.Error("table b exists after failed migration")
	}

	good := fstest.MapFS{
		"migrations/0001_a.sql": bad["migrations/0001_a.sql"],
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER);")},
	}
	for range 2 {
		if err := migrateFile(ctx, path, good); err != nil {
			t.Fatal(err)
		}
	}
	if got := versions(t, db); got != "1,2" {
		t.Errorf("applied = %s, want 1,2", got)
	}
}

// Migrations run with foreign keys off (so table rebuilds are safe) but a
// migration that leaves dangling references is rejected.
func TestMigrate_ForeignKeyCheck(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "m.db")
	fsys := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte(`
CREATE TABLE p (id INTEGER PRIMARY KEY);
CREATE TABLE c (p_id INTEGER REFERENCES p (id));
INSERT INTO c VALUES (7);`)},
	}
	err := migrateFile(ctx, path, fsys)
	if err == nil || !strings.Contains(err.Error(), "foreign key violation") {
		t.Fatalf("migrate = %v, want foreign key violation", err)
	}
	if got := versions(t, openRaw(t, path)); got != "" {
		t.Errorf("applied = %q, want none", got)
	}
}

func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func versions(t *testing.T, db *sql.DB) string {
	t.Helper()
	var s sql.NullString
	err := db.QueryRowContext(t.Context(),
		`SELECT group_concat(version, ',') FROM (SELECT version FROM schema_migrations ORDER BY version)`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s.String
}

func tableExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(),
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}
