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

	if _, err := db.Setting(ctx, "g", storage.SettingStaffRoleIDs); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unset Setting = %v, want ErrNotFound", err)
	}
	if err := db.SetSetting(ctx, "g", storage.SettingStaffRoleIDs, "1,2"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSetting(ctx, "g", storage.SettingStaffRoleIDs, "3"); err != nil { // replace
		t.Fatal(err)
	}
	if err := db.SetSetting(ctx, "g", storage.SettingChatBridgeCategory, "99"); err != nil {
		t.Fatal(err)
	}
	v, err := db.Setting(ctx, "g", storage.SettingStaffRoleIDs)
	if err != nil || v != "3" {
		t.Errorf("Setting = %q, %v; want 3", v, err)
	}
	m, err := db.Settings(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || m[storage.SettingChatBridgeCategory] != "99" {
		t.Errorf("Settings = %v", m)
	}
	if err := db.DeleteSetting(ctx, "g", storage.SettingStaffRoleIDs); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSetting(ctx, "g", storage.SettingStaffRoleIDs); !errors.Is(err, storage.ErrNotFound) {
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
