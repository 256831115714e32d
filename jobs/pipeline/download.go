package pipeline

import (
	"bufio"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/blissark/bliss/arksave"
)

// tempPrefix starts every run directory in TempDir.
const tempPrefix = "bliss-save-"

// CleanTemp removes run directories and files left in dir by a crashed
// process. Call it once at start, before any run: it does not know which
// runs are live.
func CleanTemp(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("pipeline: clean temp: %w", err)
	}
	var errs []error
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("pipeline: clean temp: %w", err)
	}
	return nil
}

// download fetches the world save into runDir (and its cluster archives
// when the save embeds no store), opens it and records the download figures
// and content hash in res. The caller closes the SaveFile.
func (p *Pipeline) download(ctx context.Context, serverID int64, world FileInfo, archives []FileInfo, runDir string, res *Result) (SaveFile, fs.FS, error) {
	t := time.Now()
	defer func() { res.Durations.Download = time.Since(t) }()
	worldLocal := filepath.Join(runDir, "world.ark")
	wres, err := p.fetch(ctx, serverID, world, worldLocal)
	res.Downloaded += wres.wire
	if err != nil {
		return nil, nil, err
	}
	res.Source.SaveBytes = wres.out
	if world.Size > 0 && wres.wire != world.Size {
		p.log.Warn("downloaded size differs from listing (save rewritten meanwhile?)",
			"server", serverID, "file", world.Path, "listed", world.Size, "got", wres.wire)
	}

	src, err := p.open(ctx, worldLocal)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", world.Name, err)
	}
	ok := false
	defer func() {
		if !ok {
			src.Close()
		}
	}()
	embedded, err := hasStore(ctx, src)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", world.Name, err)
	}
	var archiveFS fs.FS
	hashes := []string{"world:" + wres.hash}
	if !embedded && len(archives) > 0 {
		adir := filepath.Join(runDir, "archives")
		if err := os.Mkdir(adir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("temp dir: %w", err)
		}
		for _, a := range archives {
			local := filepath.Join(adir, strings.TrimSuffix(path.Base(a.Name), path.Ext(a.Name)))
			if !isGzip(a.Name) {
				local = filepath.Join(adir, path.Base(a.Name))
			}
			ar, err := p.fetch(ctx, serverID, a, local)
			res.Downloaded += ar.wire
			if err != nil {
				return nil, nil, err
			}
			hashes = append(hashes, path.Base(a.Name)+":"+ar.hash)
		}
		archiveFS = os.DirFS(adir)
		res.Source.Archives = len(archives)
	}
	res.Source.ContentHash = wres.hash
	if len(hashes) > 1 {
		sum := sha256.Sum256([]byte(strings.Join(hashes, "\n")))
		res.Source.ContentHash = hex.EncodeToString(sum[:])
	}
	ok = true
	return src, archiveFS, nil
}

// makeRunDir creates the run's own temporary directory under the temp dir.
func (p *Pipeline) makeRunDir(serverID int64) (string, error) {
	if err := os.MkdirAll(p.tempDir, 0o700); err != nil {
		return "", fmt.Errorf("temp dir: %w", err)
	}
	dir, err := os.MkdirTemp(p.tempDir, tempPrefix+strconv.FormatInt(serverID, 10)+"-")
	if err != nil {
		return "", fmt.Errorf("temp dir: %w", err)
	}
	return dir, nil
}

// removeRunDir removes a run's downloads, whatever the run's outcome.
func (p *Pipeline) removeRunDir(dir string) {
	if err := os.RemoveAll(dir); err != nil {
		p.log.Warn("remove temp dir", "dir", dir, "err", err)
	}
}

// hasStore reports whether the world save embeds the tribe/profile store.
func hasStore(ctx context.Context, src arksave.Source) (bool, error) {
	b, err := src.Custom(ctx, "GameModeCustomBytes")
	if errors.Is(err, arksave.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	st, err := arksave.ReadStore(b)
	if err != nil {
		return false, nil // unreadable store: fall back to the standalone files
	}
	return len(st.Profiles)+len(st.Tribes) > 0, nil
}

type fetched struct {
	wire int64  // bytes received
	out  int64  // bytes written (decompressed)
	hash string // hex sha256 of the received bytes
}

// countWriter counts bytes.
type countWriter struct{ n int64 }

func (c *countWriter) Write(b []byte) (int, error) { c.n += int64(len(b)); return len(b), nil }

// capWriter fails once more than left bytes are written.
type capWriter struct {
	w    io.Writer
	left int64
	n    int64
}

func (c *capWriter) Write(b []byte) (int, error) {
	if int64(len(b)) > c.left {
		return 0, ErrTooLarge
	}
	n, err := c.w.Write(b)
	c.left -= int64(n)
	c.n += int64(n)
	return n, err
}

// fetch downloads f to local (created exclusively), gunzipping .gz files
// while they stream in. On error local is removed.
func (p *Pipeline) fetch(ctx context.Context, serverID int64, f FileInfo, local string) (res fetched, err error) {
	out, err := os.OpenFile(local, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return res, fmt.Errorf("download %s: %w", f.Name, err)
	}
	defer func() {
		if cerr := out.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("download %s: %w", f.Name, cerr)
		}
		if err != nil {
			os.Remove(local)
		}
	}()
	bw := bufio.NewWriterSize(out, 1<<20)
	lim := &capWriter{w: bw, left: p.maxBytes}
	h := sha256.New()
	cw := &countWriter{}

	if !isGzip(f.Name) {
		err = p.files.Download(ctx, serverID, f.Path, io.MultiWriter(h, cw, lim))
		res.wire, res.out = cw.n, lim.n
		if err != nil {
			return res, fmt.Errorf("download %s: %w", f.Name, err)
		}
	} else {
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() { // owned: fetch always receives from done below
			zr, gerr := gzip.NewReader(pr)
			if gerr == nil {
				_, gerr = io.Copy(lim, zr)
			}
			done <- gerr // before closing pr: a failed write then finds it
			pr.CloseWithError(cmp.Or(gerr, io.ErrClosedPipe))
		}()
		derr := p.files.Download(ctx, serverID, f.Path, io.MultiWriter(h, cw, pw))
		var gerr error
		gzipFirst := false // the gzip side failed on its own, before the download ended
		select {
		case gerr = <-done:
			gzipFirst = true
		default:
			pw.CloseWithError(derr) // nil: EOF for the gzip reader
			gerr = <-done
		}
		res.wire, res.out = cw.n, lim.n
		switch {
		case gzipFirst && gerr != nil, derr == nil && gerr != nil:
			return res, gzipError(f.Name, cw.n, p.maxBytes, gerr)
		case derr != nil:
			return res, fmt.Errorf("download %s: %w", f.Name, derr)
		}
	}
	if err := bw.Flush(); err != nil {
		return res, fmt.Errorf("download %s: %w", f.Name, err)
	}
	res.hash = hex.EncodeToString(h.Sum(nil))
	return res, nil
}

func gzipError(name string, read, limit int64, err error) error {
	switch {
	case errors.Is(err, ErrTooLarge):
		return fmt.Errorf("gunzip %s: %w (%d bytes)", name, ErrTooLarge, limit)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fmt.Errorf("gunzip %s: truncated gzip stream after %d bytes: %w", name, read, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("gunzip %s: corrupt gzip stream: %w", name, err)
}
