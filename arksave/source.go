package arksave

import (
	"context"
	"errors"
	"time"
)

// Source supplies the rows of a world save (.ark). storage/savefile
// implements it on top of SQLite; tests may implement it in memory.
type Source interface {
	// Custom returns the value of a row of the custom table (SaveHeader,
	// ActorTransforms, GameModeCustomBytes, ...). A missing key returns an
	// error wrapping ErrNotFound. The slice belongs to the caller.
	Custom(ctx context.Context, key string) ([]byte, error)
	// Custom may be called concurrently with ScanGame.
	//
	// ScanGame calls fn for every row of the game table, sequentially (never
	// concurrently). value is valid only
	// during the call (sources may reuse buffers). A non-nil error from fn
	// stops the scan and is returned. ScanGame must honour ctx.
	ScanGame(ctx context.Context, fn func(key GUID, value []byte) error) error
}

// ModTimer is optionally implemented by a Source to provide the save file's
// modification time, used as Save.SavedAt when Options.SavedAt is zero.
type ModTimer interface {
	ModTime() time.Time
}

// ErrNotFound is wrapped by Source.Custom for a missing key.
var ErrNotFound = errors.New("arksave: not found")
