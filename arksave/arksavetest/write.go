package arksavetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/blissark/bliss/arksave"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Options controls the parts of a synthetic save that are not in the domain
// model.
type Options struct {
	Seed       uint64 // seeds GUIDs, filler content and rotations
	FillerRows int    // approximate number of uninteresting rows to add
	BrokenRows int    // corrupt rows of class ClassBroken (decoders must count, not abort)
	// NoStore writes GameModeCustomBytes without an embedded tribe/profile
	// store (Flags 0), as servers without -usestore do.
	NoStore bool
	// ProfileDir, if set, receives <EOSID>.arkprofile and <TribeID>.arktribe
	// files for every player and tribe.
	ProfileDir string
	// CellCount is the number of extra World-Partition data files listed in
	// the header after the map (default 2).
	CellCount int
	// Cryopods are compressed blobs (see CompressedBlob, BombBlob), each
	// written as the dino blob of one cryopod item row.
	Cryopods [][]byte
}

const createSchema = `CREATE TABLE game (key BLOB primary key not null, value blob not null);
CREATE TABLE custom (key VARCHAR(64) primary key not null, value blob not null);`

// sqliteSink is an open synthetic .ark being written.
type sqliteSink struct {
	db   *sql.DB
	tx   *sql.Tx
	ins  *sql.Stmt
	n    int
	path string
}

func openSink(ctx context.Context, path string) (*sqliteSink, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("arksavetest: remove old file: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return nil, fmt.Errorf("arksavetest: open: %w", err)
	}
	db.SetMaxOpenConns(1)
	s := &sqliteSink{db: db, path: path}
	for _, q := range []string{
		"PRAGMA page_size=8192",
		"PRAGMA journal_mode=OFF",
		"PRAGMA synchronous=OFF",
		"PRAGMA cache_size=-32768",
		createSchema,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("arksavetest: %s: %w", q, err)
		}
	}
	if err := s.begin(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *sqliteSink) begin(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("arksavetest: begin: %w", err)
	}
	ins, err := tx.PrepareContext(ctx, "INSERT INTO game(key, value) VALUES(?, ?)")
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("arksavetest: prepare: %w", err)
	}
	s.tx, s.ins = tx, ins
	return nil
}

func (s *sqliteSink) put(ctx context.Context, key arksave.GUID, value []byte) error {
	if _, err := s.ins.ExecContext(ctx, key[:], value); err != nil {
		return fmt.Errorf("arksavetest: insert game row: %w", err)
	}
	s.n++
	if s.n%50000 == 0 {
		if err := s.commit(); err != nil {
			return err
		}
		return s.begin(ctx)
	}
	return nil
}

func (s *sqliteSink) commit() error {
	s.ins.Close()
	if err := s.tx.Commit(); err != nil {
		return fmt.Errorf("arksavetest: commit: %w", err)
	}
	return nil
}

func (s *sqliteSink) finish(ctx context.Context, custom map[string][]byte) error {
	for _, k := range []string{"SaveHeader", "ActorTransforms", "ActorTransformsDelta", "GameModeCustomBytes"} {
		if _, err := s.tx.ExecContext(ctx, "INSERT INTO custom(key, value) VALUES(?, ?)", k, custom[k]); err != nil {
			s.tx.Rollback()
			s.db.Close()
			return fmt.Errorf("arksavetest: insert %s: %w", k, err)
		}
	}
	if err := s.commit(); err != nil {
		s.db.Close()
		return err
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("arksavetest: close: %w", err)
	}
	return nil
}

func (s *sqliteSink) abort() {
	s.tx.Rollback()
	s.db.Close()
}

// header builds a v14 SaveHeader (§4): fixed fields, the data-file list, an
// opaque gap a decoder must skip via NameTableOffset, and the name table.
func header(mapName string, gameTime float64, cells int, names *nameTable) []byte {
	e := &enc{}
	e.i16(14)
	e.i32(522)
	e.i32(1013)
	ntoAt := len(e.b)
	e.i32(0)
	e.f64(gameTime)
	e.u32(14)
	e.u32(uint32(1 + cells))
	e.fstring(mapName)
	e.i32(-1)
	for i := 0; i < cells; i++ {
		e.fstring(mapName + "_MainGrid_L6_X" + strconv.Itoa(i) + "_Y0_DL54B0FA4B")
		e.i32(-1)
	}
	// Opaque second list + other data: decoders must not parse it.
	e.i32(1)
	e.fstring("SyntheticWatervein")
	e.i32(3)
	e.raw([]byte{0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0x11, 0x22})
	e.patch32(ntoAt, int32(len(e.b)))
	e.i32(int32(len(names.order)))
	for _, n := range names.order {
		e.u32(names.keys[n])
		e.fstring(n)
	}
	return e.b
}

// Write writes s as a synthetic v14 world save at path (overwriting it).
// Players with a nil Location get no pawn (profile only). Players, tribes and
// their archives go to the embedded store unless opts.NoStore; with
// opts.ProfileDir they are also written as .arkprofile/.arktribe files.
// s.WildDinos wild dinos are added; s.Stats is ignored. If s.SavedAt is set,
// the file's mtime is set to it.
func Write(path string, s arksave.Save, opts Options) error {
	ctx := context.Background()
	sink, err := openSink(ctx, path)
	if err != nil {
		return err
	}
	w := newWorld(opts.Seed, func(k arksave.GUID, v []byte) error { return sink.put(ctx, k, v) })
	if err := writeWorld(w, s, opts); err != nil {
		sink.abort()
		return err
	}
	custom, err := finishCustom(w, s, opts)
	if err != nil {
		sink.abort()
		return err
	}
	if err := sink.finish(ctx, custom); err != nil {
		return err
	}
	if !s.SavedAt.IsZero() {
		if err := os.Chtimes(path, s.SavedAt, s.SavedAt); err != nil {
			return fmt.Errorf("arksavetest: set mtime: %w", err)
		}
	}
	return nil
}

func writeWorld(w *world, s arksave.Save, opts Options) error {
	fillerEvery := 0
	total := len(s.Players) + len(s.Dinos) + s.WildDinos + len(s.Structures)
	if opts.FillerRows > 0 && total > 0 {
		fillerEvery = max(1, total/opts.FillerRows)
	}
	fillerLeft := opts.FillerRows
	step := 0
	tick := func() error {
		step++
		if fillerEvery > 0 && step%fillerEvery == 0 && fillerLeft > 0 {
			n, err := w.filler()
			fillerLeft -= n
			return err
		}
		return nil
	}
	for i, pl := range s.Players {
		if err := w.pawn(pl, i%2 == 1, s.GameTime); err != nil {
			return err
		}
		if err := tick(); err != nil {
			return err
		}
	}
	for i, d := range s.Dinos {
		if err := w.dino(d, true, i%2 == 0); err != nil {
			return err
		}
		if err := tick(); err != nil {
			return err
		}
	}
	for i := 0; i < s.WildDinos; i++ {
		d := wildDino(w.rng, w.guid())
		if err := w.dino(d, false, i%2 == 1); err != nil {
			return err
		}
		if err := tick(); err != nil {
			return err
		}
	}
	var prev []arksave.GUID
	for _, st := range s.Structures {
		if err := w.structure(st, prev); err != nil {
			return err
		}
		prev = []arksave.GUID{st.ID}
		if err := tick(); err != nil {
			return err
		}
	}
	for fillerLeft > 0 {
		n, err := w.filler()
		if err != nil {
			return err
		}
		fillerLeft -= n
	}
	for i := 0; i < opts.BrokenRows; i++ {
		if err := w.broken(); err != nil {
			return err
		}
	}
	for _, b := range opts.Cryopods {
		if err := w.cryopod(b); err != nil {
			return err
		}
	}
	return nil
}

func finishCustom(w *world, s arksave.Save, opts Options) (map[string][]byte, error) {
	cells := opts.CellCount
	if cells == 0 {
		cells = 2
	}
	var tribes, profiles [][]byte
	var tribeIDs []int64
	for _, t := range s.Tribes {
		b := TribeArchive(s.Map, t, opts.Seed)
		tribes = append(tribes, b)
		tribeIDs = append(tribeIDs, t.ID)
		if opts.ProfileDir != "" {
			if err := os.WriteFile(filepath.Join(opts.ProfileDir, strconv.FormatInt(t.ID, 10)+".arktribe"), b, 0o644); err != nil {
				return nil, fmt.Errorf("arksavetest: write tribe: %w", err)
			}
		}
	}
	for _, pl := range s.Players {
		b := ProfileArchive(s.Map, pl, opts.Seed)
		profiles = append(profiles, b)
		if opts.ProfileDir != "" {
			if err := os.WriteFile(filepath.Join(opts.ProfileDir, pl.EOSID+".arkprofile"), b, 0o644); err != nil {
				return nil, fmt.Errorf("arksavetest: write profile: %w", err)
			}
		}
	}
	w.transforms.raw(make([]byte, 16))
	return map[string][]byte{
		"SaveHeader":           header(s.Map, s.GameTime, cells, w.names),
		"ActorTransforms":      w.transforms.b,
		"ActorTransformsDelta": make([]byte, 16),
		"GameModeCustomBytes":  storeBlob(tribes, profiles, tribeIDs, opts.NoStore, rand.New(rand.NewPCG(opts.Seed, 77))),
	}, nil
}
