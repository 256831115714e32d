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

// CustomStreamer is optionally implemented by a Source that can feed a
// custom-table value in pieces; Decode uses it for ActorTransforms so the
// blob is never held whole. p is valid only during fn; a missing key
// returns an error wrapping ErrNotFound. Pieces are fed in order and fn
// errors stop the stream and are returned.
type CustomStreamer interface {
	StreamCustom(ctx context.Context, key string, fn func(p []byte) error) error
}
