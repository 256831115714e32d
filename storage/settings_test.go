package storage_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/blissark/bliss/storage"
)

func TestSettings(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	mustGuild(t, db, "g")

	if _, err := db.Setting(ctx, "g", "staff_role_ids"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unset Setting = %v, want ErrNotFound", err)
	}
	if err := db.SetSetting(ctx, "g", "staff_role_ids", "1,2"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSetting(ctx, "g", "staff_role_ids", "3"); err != nil { // replace
		t.Fatal(err)
	}
	if err := db.SetSetting(ctx, "g", "chat_bridge_category", "99"); err != nil {
		t.Fatal(err)
	}
	v, err := db.Setting(ctx, "g", "staff_role_ids")
	if err != nil || v != "3" {
		t.Errorf("Setting = %q, %v; want 3", v, err)
	}
	m, err := db.Settings(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || m["chat_bridge_category"] != "99" {
		t.Errorf("Settings = %v", m)
	}
	if err := db.DeleteSetting(ctx, "g", "staff_role_ids"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSetting(ctx, "g", "staff_role_ids"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("second DeleteSetting = %v, want ErrNotFound", err)
	}

	if err := db.SetSetting(ctx, "nope", "k", "v"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("SetSetting on unknown guild = %v, want ErrNotFound", err)
	}
	for _, key := range []string{"", strings.Repeat("k", 65)} {
		if err := db.SetSetting(ctx, "g", key, "v"); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("SetSetting(key len %d) = %v, want ErrInvalid", len(key), err)
		}
	}
	if m, err := db.Settings(ctx, "nope"); err != nil || m == nil || len(m) != 0 {
		t.Errorf("Settings(unknown) = %v, %v; want empty map", m, err)
	}
}

// TestSetSettings: all keys in one transaction, "" deletes, the guild is
// created, and one bad key saves nothing.
func TestSetSettings(t *testing.T) {
	t.Parallel()
	db := MustOpen(t)
	ctx := t.Context()
	if err := db.SetSettings(ctx, "g2", map[string]string{"a": "1", "b": "2", "c": "3"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSettings(ctx, "g2", map[string]string{"a": "10", "b": "", "d": "4"}); err != nil {
		t.Fatal(err)
	}
	m, err := db.Settings(ctx, "g2")
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 3 || m["a"] != "10" || m["c"] != "3" || m["d"] != "4" {
		t.Errorf("Settings = %v, want a=10 c=3 d=4", m)
	}
	err = db.SetSettings(ctx, "g2", map[string]string{"a": "changed", strings.Repeat("k", 65): "v"})
	if !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("bad key = %v, want ErrInvalid", err)
	}
	if v, _ := db.Setting(ctx, "g2", "a"); v != "10" {
		t.Errorf("a = %q after a refused batch, want 10 (nothing saved)", v)
	}
	if err := db.SetSettings(ctx, "", map[string]string{"a": "1"}); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("empty guild = %v, want ErrInvalid", err)
	}
}
