package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

const backupPrefix = "bliss-"

// addBackupJob schedules VACUUM INTO backups of the SQLite database into
// <state dir>/backups, keeping the newest BLISS_BACKUP_KEEP files.
func (a *appliance) addBackupJob() error {
	dir := filepath.Join(a.cfg.StateDir, "backups")
	return a.sched.Add("backup", a.cfg.BackupSchedule, func(ctx context.Context) error {
		return backup(ctx, a.db.Backup, dir, a.cfg.BackupKeep, time.Now())
	})
}

func backup(ctx context.Context, vacuumInto func(context.Context, string) error, dir string, keep int, now time.Time) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	dst := filepath.Join(dir, backupPrefix+now.UTC().Format("20060102-150405")+".db")
	if err := vacuumInto(ctx, dst); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("backup: prune: %w", err)
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, backupPrefix) && strings.HasSuffix(n, ".db") {
			names = append(names, n)
		}
	}
	sort.Strings(names) // timestamps sort chronologically
	for len(names) > keep {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			return fmt.Errorf("backup: prune: %w", err)
		}
		names = names[1:]
	}
	return nil
}
