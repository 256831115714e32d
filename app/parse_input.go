package app

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/blissark/bliss/arksave"
	"github.com/blissark/bliss/storage/savefile"
)

// defaultMaxUnzipped caps a decompressed .ark.gz (--max-size). The largest
// ASA world saves are a few GiB.
const defaultMaxUnzipped = 16 << 30

// freeSpaceReserve is left free on the temp file system when a .ark.gz is
// decompressed: the cap is lowered so that a gzip bomb cannot fill the disk.
const freeSpaceReserve = 512 << 20

// errTooBig is returned when a decompressed save would exceed the cap.
var errTooBig = errors.New("too large once decompressed")

// savedAtSource says where Save.SavedAt came from (the save itself records
// only the world clock).
const (
	savedAtFileTime   = "file_mtime"
	savedAtGzipHeader = "gzip_header"
)

// openedSave is a decoded save and what parse learnt while opening it.
type openedSave struct {
	save          *arksave.Save
	savedAtSource string
	gzipped       bool
	unzippedBytes int64
}

// decodeFile opens and decodes one world save (.ark, or gzip-compressed
// .ark.gz, recognised by its magic bytes), drawing a progress bar on stderr
// when it is a terminal. A compressed save is streamed to a temporary file
// (in $TMPDIR, removed afterwards) of at most maxUnzipped bytes and never
// more than the free space there minus freeSpaceReserve.
func decodeFile(ctx context.Context, path string, opts arksave.Options, maxUnzipped int64, stderr io.Writer) (*openedSave, error) {
	base := filepath.Base(path)
	out := &openedSave{savedAtSource: savedAtFileTime}
	gz, err := isGzipFile(path)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if gz {
		var bar io.Writer
		if isTerminal(stderr) {
			bar = stderr
		}
		tmp, mtime, n, err := gunzipToTemp(ctx, path, maxUnzipped, bar)
		if err != nil {
			return nil, fmt.Errorf("parse: %s: %w", base, err)
		}
		defer os.Remove(tmp)
		out.gzipped, out.unzippedBytes = true, n
		switch st, err := os.Stat(path); {
		case !mtime.IsZero():
			opts.SavedAt, out.savedAtSource = mtime, savedAtGzipHeader
		case err == nil:
			opts.SavedAt = st.ModTime() // the .gz file's, not the temp file's
		}
		path = tmp
	}
	f, err := savefile.Open(ctx, path)
	if err != nil {
		if gz { // name the file the admin gave, not the temp file
			return nil, fmt.Errorf("parse: %s (decompressed): %w", base, unwrapPath(err))
		}
		return nil, fmt.Errorf("parse: %w", err)
	}
	defer f.Close()
	if opts.SavedAt.IsZero() {
		opts.SavedAt = f.ModTime()
	}
	var src arksave.Source = f
	if isTerminal(stderr) {
		p := &progress{Source: f, total: f.Size(), w: stderr}
		defer p.finish()
		src = p
	}
	out.save, err = arksave.Decode(ctx, src, opts)
	if err != nil {
		return nil, fmt.Errorf("parse: %s: %w", base, err)
	}
	return out, nil
}

// unwrapPath drops savefile's "open <temp name>:" context so the message
// names the cause only.
func unwrapPath(err error) error {
	for _, e := range []error{savefile.ErrNotSQLite, savefile.ErrTruncated, savefile.ErrCorrupt} {
		if errors.Is(err, e) {
			msg := err.Error()
			if i := strings.Index(msg, e.Error()); i >= 0 {
				return fmt.Errorf("%w%s", e, msg[i+len(e.Error()):])
			}
			return e
		}
	}
	return err
}

func isGzipFile(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var magic [2]byte
	n, err := io.ReadFull(f, magic[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, err
	}
	return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b, nil
}

// gunzipToTemp decompresses path into a new temporary file and returns its
// name, the modification time recorded in the gzip header (zero if none)
// and the decompressed size. Output beyond the cap removes the file and
// fails with errTooBig; the stream is read in 32 KiB pieces, so memory does
// not depend on the input. bar, if set, gets a one-line byte counter.
func gunzipToTemp(ctx context.Context, path string, maxBytes int64, bar io.Writer) (name string, mtime time.Time, n int64, err error) {
	in, err := os.Open(path)
	if err != nil {
		return "", time.Time{}, 0, err
	}
	defer in.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(in, 1<<20))
	if err != nil {
		return "", time.Time{}, 0, fmt.Errorf("not a gzip file or corrupt gzip header: %w", err)
	}
	defer zr.Close()
	out, err := os.CreateTemp("", "bliss-parse-*.ark")
	if err != nil {
		return "", time.Time{}, 0, fmt.Errorf("temp file: %w", err)
	}
	name = out.Name()
	defer func() {
		if cerr := out.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("temp file: %w", cerr)
		}
		if err != nil {
			os.Remove(name)
		}
	}()
	limit, why := maxBytes, fmt.Sprintf("the %s cap (--max-size)", sizeString(maxBytes))
	if free, ok := freeBytes(filepath.Dir(name)); ok && free-freeSpaceReserve < limit {
		limit = max(free-freeSpaceReserve, 0)
		why = fmt.Sprintf("the free space in %s (%s free, %s kept in reserve)", filepath.Dir(name), sizeString(free), sizeString(freeSpaceReserve))
	}
	var w io.Writer = bufio.NewWriterSize(out, 1<<20)
	bw := w.(*bufio.Writer)
	if bar != nil {
		// first drawn after a second: quick unpacks print nothing
		c := &unpackCounter{w: bw, bar: bar, name: filepath.Base(path), last: time.Now().Add(900 * time.Millisecond)}
		defer c.finish()
		w = c
	}
	n, err = io.Copy(w, io.LimitReader(ctxReader{ctx, zr}, limit+1))
	switch {
	case err == nil && n > limit:
		return name, time.Time{}, n, fmt.Errorf("%w: more than %s; not a save, or a gzip bomb", errTooBig, why)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return name, time.Time{}, n, fmt.Errorf("%w (the gzip stream ends after %s)", savefile.ErrTruncated, sizeString(n))
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return name, time.Time{}, n, err
	case err != nil:
		return name, time.Time{}, n, fmt.Errorf("corrupt gzip stream after %s: %w", sizeString(n), err)
	}
	if err := bw.Flush(); err != nil {
		return name, time.Time{}, n, fmt.Errorf("temp file: %w", err)
	}
	return name, zr.Header.ModTime, n, nil
}

// unpackCounter passes writes through and redraws "unpacking NAME: N MB"
// at most every 100 ms.
type unpackCounter struct {
	w     io.Writer
	bar   io.Writer
	name  string
	n     int64
	last  time.Time
	drawn bool
}

func (c *unpackCounter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if now := time.Now(); now.Sub(c.last) >= 100*time.Millisecond {
		c.last = now
		fmt.Fprintf(c.bar, "\runpacking %s: %.1f MB", c.name, float64(c.n)/1e6)
		c.drawn = true
	}
	return n, err
}

func (c *unpackCounter) finish() {
	if c.drawn {
		fmt.Fprintf(c.bar, "\runpacking %s: %.1f MB\n", c.name, float64(c.n)/1e6)
	}
}

// freeBytes reports the space available to this user under dir.
func freeBytes(dir string) (int64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}

// ctxReader stops a long copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// sizeString prints a byte count for people: "512 MiB", "16 GiB", "3.2 MiB".
func sizeString(n int64) string {
	const (
		kib = 1 << 10
		mib = 1 << 20
		gib = 1 << 30
	)
	f := func(v float64, unit string) string {
		if v == float64(int64(v)) {
			return fmt.Sprintf("%d %s", int64(v), unit)
		}
		return fmt.Sprintf("%.1f %s", v, unit)
	}
	switch {
	case n >= gib:
		return f(float64(n)/gib, "GiB")
	case n >= mib:
		return f(float64(n)/mib, "MiB")
	case n >= kib:
		return f(float64(n)/kib, "KiB")
	}
	return fmt.Sprintf("%d bytes", n)
}

// parseSize reads a size flag: a byte count with an optional K, M, G or T
// suffix (binary units, "B"/"iB" optional): "16G", "512MiB", "1000000".
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			t = t[:len(t)-1]
		}
	}
	var v int64
	if _, err := fmt.Sscanf(t, "%d", &v); err != nil || fmt.Sprint(v) != t || v <= 0 || v > (1<<62)/mult {
		return 0, fmt.Errorf("bad size %q (want e.g. 16G, 512M)", s)
	}
	return v * mult, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress wraps a Source and redraws a one-line bar from the game blob
// bytes seen so far, at most every 100 ms. The file size is the total, so the
// bar is an estimate (SQLite pages carry some overhead) and is capped at 99%
// until the scan returns.
type progress struct {
	arksave.Source
	total int64
	w     io.Writer

	mu    sync.Mutex
	done  int64
	rows  int64
	last  time.Time
	drawn bool
}

func (p *progress) ScanGame(ctx context.Context, fn func(arksave.GUID, []byte) error) error {
	return p.Source.ScanGame(ctx, func(k arksave.GUID, v []byte) error {
		p.mu.Lock()
		p.done += int64(len(v))
		p.rows++
		if p.rows&255 == 0 {
			if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond {
				p.last = now
				p.draw(false)
			}
		}
		p.mu.Unlock()
		return fn(k, v)
	})
}

func (p *progress) draw(final bool) {
	const width = 30
	frac := 1.0
	if p.total > 0 {
		frac = min(float64(p.done)/float64(p.total), 0.99)
	}
	if final {
		frac = 1
	}
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %d rows  %.1f/%.1f MB", strings.Repeat("#", n), strings.Repeat(".", width-n),
		frac*100, p.rows, float64(p.done)/1e6, float64(p.total)/1e6)
	p.drawn = true
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		p.draw(true)
		fmt.Fprintln(p.w)
	}
}
