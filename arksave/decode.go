package arksave

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"strings"
	"sync"
	"time"
)

// maxWorkers caps Options.Workers.
const maxWorkers = 256

// Options configure Decode.
type Options struct {
	// Workers caps the decoding goroutines; 0 means GOMAXPROCS (at most 256).
	Workers int
	// SavedAt is the wall-clock time the save was written. Zero means the
	// Source's ModTime (if it implements ModTimer); LastLogin stays zero when
	// neither is known.
	SavedAt time.Time
	// Archives, if set, is searched (root directory only) for standalone
	// *.arkprofile and *.arktribe files, e.g. os.DirFS(saveDir).
	Archives fs.FS
	// Profiles and Tribes are additional standalone archive contents
	// (.arkprofile / .arktribe bytes), e.g. read by the caller over FTP.
	Profiles [][]byte
	Tribes   [][]byte
	// Strict fully validates every game row, including rows whose class is
	// not needed for the domain view; failures are counted in Stats.
	Strict bool
}

// category is what a row is, decided from its class name alone.
type category uint8

const (
	catSkip  category = iota
	catProbe          // class not in the name table: header must be parsed
	catDino
	catStatus
	catPawn
	catStructure
	catCryopod
)

// classify decides from the class path whether a row is needed.
func classify(class string) category {
	switch {
	case strings.Contains(class, "PlayerPawnTest_"):
		return catPawn
	case strings.Contains(class, "CharacterStatusComponent"):
		return catStatus // dino and player status components
	case strings.Contains(class, "_Character_"):
		return catDino
	case strings.Contains(class, "/Structures/") && !strings.Contains(class, "PrimalItem"):
		return catStructure
	case strings.Contains(class, "Cryopod") && strings.Contains(class, "PrimalItem"):
		return catCryopod
	}
	return catSkip
}

// shortClass turns "/Game/.../Rex_Character_BP.Rex_Character_BP_C" into
// "Rex_Character_BP_C".
func shortClass(class string) string {
	if i := strings.LastIndexByte(class, '.'); i >= 0 {
		return class[i+1:]
	}
	return path.Base(class)
}

type decoder struct {
	h     *Header
	tbl   *nameTable
	loc   locator
	opts  Options
	types []typeNode // worker-local scratch (one decoder copy per worker)
	// inflight bounds the inflated cryopod bytes held by all workers
	inflight *budget
}

// Decode streams the game rows of src and returns the compact domain view.
// Rows are classified by class name before any property is decoded; needed
// rows are copied into a bounded set of buffers and decoded by at most
// opts.Workers goroutines, so memory does not grow with the save beyond the
// compact result rows. A row that fails to decode is counted in Stats and
// skipped; Decode itself fails only on container-level errors or ctx.
//
// Dino level rule: BaseCharacterLevel + ExtraCharacterLevel from the dino's
// status component (the in-game displayed level); 0 when no status
// component is found.
func Decode(ctx context.Context, src Source, opts Options) (*Save, error) {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	opts.Workers = min(opts.Workers, maxWorkers)
	hb, err := src.Custom(ctx, "SaveHeader")
	if err != nil {
		return nil, fmt.Errorf("arksave: header: %w", err)
	}
	h, err := ReadHeader(hb)
	if err != nil {
		return nil, err
	}
	hb = nil
	save := &Save{Map: h.Map(), SaveVersion: h.Version, GameTime: h.GameTime, SavedAt: opts.SavedAt}
	if save.SavedAt.IsZero() {
		if mt, ok := src.(ModTimer); ok {
			save.SavedAt = mt.ModTime()
		}
	}
	d := &decoder{h: h, tbl: newNameTable(h.Names), loc: newLocator(h.Map()), opts: opts, inflight: newBudget(maxInflight)}

	// The archives are read while the game rows stream. ActorTransforms is
	// read only after the result rows are built (and the per-worker rows
	// dropped), and positions are looked up for the result rows only, so the
	// blob never coexists with the scan's working set.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var side sync.WaitGroup
	var arErr error
	var profiles []*Player
	var tribes []*Tribe
	var arStats Stats
	side.Go(func() {
		profiles, tribes, arErr = d.archives(ctx, src, &arStats)
		if arErr != nil {
			cancel()
		}
	})
	accs, err := d.scan(ctx, src, &save.Stats)
	side.Wait()
	for _, e := range []error{arErr, err} {
		if e != nil {
			return nil, e
		}
	}
	save.Stats.Failed += arStats.Failed
	save.Stats.HasStore = arStats.HasStore
	pawns := d.merge(save, accs, profiles, tribes)
	accs = nil
	for c, n := range arStats.FailedByClass {
		save.Stats.FailedByClass[c] += n
	}
	bad, err := d.applyTransforms(ctx, src, save, pawns)
	if err != nil {
		return nil, fmt.Errorf("arksave: actor transforms: %w", err)
	}
	if bad {
		// positions before the damage are kept
		save.Stats.noteFailure("ActorTransforms")
	}
	return save, nil
}

func (st *Stats) noteFailure(class string) {
	st.Failed++
	if st.FailedByClass == nil {
		st.FailedByClass = map[string]int{}
	}
	st.FailedByClass[class]++
}
