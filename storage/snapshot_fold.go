package storage

// Folded names of snapshot rows (migration 0014): written with every
// snapshot, filled once in Go for the rows stored before the columns existed.

import (
	"context"
	"database/sql"
	"fmt"
)

// foldFill is one table's folded columns and the names they fold.
type foldFill struct {
	table string
	names []string // source columns
	folds []string // their folded columns, in the same order
}

var foldFills = []foldFill{
	{"players", []string{"character_name", "platform_name"}, []string{"character_fold", "platform_fold"}},
	{"tribes", []string{"name"}, []string{"name_fold"}},
}

// fillFolds folds the names of the snapshot rows whose folded columns are
// NULL (rows stored before migration 0014, or set back to NULL by a later
// migration to re-fold), in one immediate transaction. FoldText cannot be
// expressed in SQL, so this runs in Go when the database is opened; once
// every row is folded it only checks each table.
func fillFolds(ctx context.Context, db *sql.DB) (err error) {
	const op = "fill folded names"
	stale := false
	for _, f := range foldFills {
		var one int
		err := db.QueryRowContext(ctx, `SELECT 1 FROM `+f.table+` WHERE `+nullAny(f.folds)+` LIMIT 1`).Scan(&one)
		if err == nil {
			stale = true
			break
		}
		if err != sql.ErrNoRows {
			return fmt.Errorf("%s: %s: %w", op, f.table, explain(err))
		}
	}
	if !stale {
		return nil
	}
	tx, err := db.BeginTx(ctx, nil) // immediate (DSN _txlock)
	if err != nil {
		return fmt.Errorf("%s: %w", op, explain(err))
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	for _, f := range foldFills {
		if err := fillTable(ctx, tx, f); err != nil {
			return fmt.Errorf("%s: %s: %w", op, f.table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", op, explain(err))
	}
	return nil
}

func nullAny(cols []string) string {
	q := ""
	for i, c := range cols {
		if i > 0 {
			q += " OR "
		}
		q += c + " IS NULL"
	}
	return q
}

func fillTable(ctx context.Context, tx *sql.Tx, f foldFill) error {
	cols := ""
	set := ""
	for i := range f.names {
		cols += ", " + f.names[i]
		if i > 0 {
			set += ", "
		}
		set += fmt.Sprintf("%s = ?%d", f.folds[i], i+2)
	}
	rows, err := tx.QueryContext(ctx, `SELECT rowid`+cols+` FROM `+f.table+` WHERE `+nullAny(f.folds))
	if err != nil {
		return err
	}
	type row struct {
		id    int64
		names []string
	}
	var todo []row
	for rows.Next() {
		r := row{names: make([]string, len(f.names))}
		dest := []any{&r.id}
		for i := range r.names {
			dest = append(dest, &r.names[i])
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, r)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	st, err := tx.PrepareContext(ctx, `UPDATE `+f.table+` SET `+set+` WHERE rowid = ?1`)
	if err != nil {
		return err
	}
	defer st.Close()
	args := make([]any, 1+len(f.names))
	for i, r := range todo {
		if i%ctxCheckRows == 0 {
			if err := canceled(ctx); err != nil {
				return err
			}
		}
		args[0] = r.id
		for j, n := range r.names {
			args[j+1] = FoldText(n)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}
