package nitrado

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Download streams the remote file at path (absolute) to dst and returns the
// number of bytes written. It first asks the API for a download token
// (GET .../file_server/download?file=) and then GETs the returned URL; the
// body is copied to dst as it arrives, never held in memory.
//
// A missing file is ErrNotFound (Nitrado reports it as a 500). A file larger
// than Options.MaxDownloadBytes is ErrTooLarge; a body shorter than its
// Content-Length is ErrBadResponse; a body that sends nothing for
// Options.DownloadIdleTimeout is ErrStalled. Both GETs are retried on network errors
// and 5xx before the first body byte; a failure mid-stream is returned, and
// dst may then hold a prefix of the file (DownloadFile cleans up for you).
func (c *Client) Download(ctx context.Context, serviceID int64, path string, dst io.Writer) (int64, error) {
	op := gsOp(serviceID) + ": download " + strconvQuote(path)
	if err := checkID(op, serviceID); err != nil {
		return 0, err
	}
	if dst == nil {
		return 0, fmt.Errorf("nitrado: %s: nil writer", op)
	}
	if err := checkRemotePath(path); err != nil {
		return 0, fmt.Errorf("nitrado: %s: %w", op, err)
	}
	var data struct {
		Token *struct {
			URL   string `json:"url"`
			Token string `json:"token"`
		} `json:"token"`
	}
	q := url.Values{"file": {path}}
	if _, err := c.do(ctx, call{op: op, method: http.MethodGet, path: gsPath(serviceID, "/file_server/download"), query: q}, &data); err != nil {
		return 0, err
	}
	if data.Token == nil || data.Token.URL == "" {
		return 0, fmt.Errorf("nitrado: %s: %w: no download url in response", op, ErrBadResponse)
	}
	u, err := url.Parse(data.Token.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, fmt.Errorf("nitrado: %s: %w: invalid download url", op, ErrBadResponse)
	}
	if data.Token.Token != "" && u.Query().Get("token") == "" {
		qs := u.Query()
		qs.Set("token", data.Token.Token)
		u.RawQuery = qs.Encode()
	}
	return c.stream(ctx, op, u, dst)
}

// stream GETs u (no Authorization header: the URL carries its own token)
// and copies the body to dst under the download cap.
func (c *Client) stream(ctx context.Context, op string, u *url.URL, dst io.Writer) (int64, error) {
	// Only the host is logged or put in errors: the path or query may carry
	// the download token.
	st := &reqState{op: op, method: http.MethodGet, path: "file url on " + u.Host, idempotent: true}
	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ctx = context.WithValue(ctx, reqStateKey{}, st)
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, fmt.Errorf("nitrado: %s: build request: %w", op, errors.New("invalid download url"))
	}
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := c.rc.Do(req)
	if err != nil {
		if resp != nil {
			drainClose(resp.Body)
		}
		return 0, c.netError(st, err)
	}
	defer drainClose(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw, rerr := readCapped(resp.Body, c.maxBody)
		if rerr != nil {
			raw = nil
		}
		return 0, c.errorf(op, "fetch file: %w", c.statusError(resp, raw, st))
	}
	limit := c.maxDownload
	if limit > 0 && resp.ContentLength > limit {
		return 0, c.errorf(op, "%w: file is %d bytes, cap is %d", ErrTooLarge, resp.ContentLength, limit)
	}
	var src io.Reader = resp.Body
	if c.idle > 0 {
		// Each byte received re-arms the timer; silence for c.idle cancels
		// the request, which ends the blocked body read.
		t := time.AfterFunc(c.idle, func() { cancel(ErrStalled) })
		defer t.Stop()
		src = &idleReader{r: src, t: t, d: c.idle}
	}
	if limit > 0 {
		src = io.LimitReader(src, limit+1)
	}
	n, err := io.Copy(dst, src)
	if err != nil && errors.Is(context.Cause(ctx), ErrStalled) && parent.Err() == nil {
		return n, c.errorf(op, "%w: no data for %s after %d of %d bytes", ErrStalled, c.idle, n, resp.ContentLength)
	}
	if limit > 0 && n > limit {
		return n, c.errorf(op, "%w: file exceeds %d bytes", ErrTooLarge, limit)
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return n, c.errorf(op, "%w: download truncated after %d of %d bytes: %w", ErrBadResponse, n, resp.ContentLength, err)
		}
		return n, c.errorf(op, "copy after %d bytes: %w", n, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, c.errorf(op, "%w: download truncated after %d of %d bytes", ErrBadResponse, n, resp.ContentLength)
	}
	return n, nil
}

// idleReader re-arms t (to d) whenever a read returns data.
type idleReader struct {
	r io.Reader
	t *time.Timer
	d time.Duration
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.t.Reset(r.d)
	}
	return n, err
}

// DownloadFile downloads the remote file to localPath atomically: it writes
// a temporary file in the same directory, syncs it and renames it into
// place. On error nothing is left behind and an existing localPath is kept.
func (c *Client) DownloadFile(ctx context.Context, serviceID int64, path, localPath string) (int64, error) {
	op := gsOp(serviceID) + ": download " + strconvQuote(path)
	if strings.TrimSpace(localPath) == "" {
		return 0, fmt.Errorf("nitrado: %s: empty local path", op)
	}
	dir, base := filepath.Split(localPath)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".part-*")
	if err != nil {
		return 0, fmt.Errorf("nitrado: %s: %w", op, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	n, err := c.Download(ctx, serviceID, path, f)
	if err != nil {
		return n, err
	}
	if err := f.Sync(); err != nil {
		return n, fmt.Errorf("nitrado: %s: sync: %w", op, err)
	}
	if err := f.Close(); err != nil {
		return n, fmt.Errorf("nitrado: %s: close: %w", op, err)
	}
	if err := os.Rename(tmp, localPath); err != nil {
		_ = os.Remove(tmp)
		ok = true
		return n, fmt.Errorf("nitrado: %s: %w", op, err)
	}
	ok = true
	return n, nil
}
