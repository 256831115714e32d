package nitrado

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// DefaultSeekLength is the chunk Seek asks for when length <= 0. Nitrado's
// own default is 4048 bytes (doc §1.5); callers tailing a log loop until
// they reach the size, so a server that returns less is fine.
const DefaultSeekLength = 64 << 10

// FileSize returns the size in bytes of a remote file
// (GET .../file_server/size?path=). A missing file is ErrNotFound.
func (c *Client) FileSize(ctx context.Context, serviceID int64, path string) (int64, error) {
	op := gsOp(serviceID) + ": size " + strconvQuote(path)
	if err := checkID(op, serviceID); err != nil {
		return 0, err
	}
	if err := checkRemotePath(path); err != nil {
		return 0, fmt.Errorf("nitrado: %s: %w", op, err)
	}
	var data struct {
		Size *int64 `json:"size"`
	}
	q := url.Values{"path": {path}}
	if _, err := c.do(ctx, call{op: op, method: http.MethodGet, path: gsPath(serviceID, "/file_server/size"), query: q}, &data); err != nil {
		return 0, err
	}
	if data.Size == nil || *data.Size < 0 {
		return 0, fmt.Errorf("nitrado: %s: %w: no size in response", op, ErrBadResponse)
	}
	return *data.Size, nil
}

// Seek copies up to length bytes of a remote file starting at offset
// (negative: from the end) to dst (GET .../file_server/seek, mode raw, then
// GET the token URL). It returns the bytes written; fewer than length
// means the server's chunk limit or the end of the file.
func (c *Client) Seek(ctx context.Context, serviceID int64, path string, offset, length int64, dst io.Writer) (int64, error) {
	op := gsOp(serviceID) + ": seek " + strconvQuote(path)
	if err := checkID(op, serviceID); err != nil {
		return 0, err
	}
	if dst == nil {
		return 0, fmt.Errorf("nitrado: %s: nil writer", op)
	}
	if err := checkRemotePath(path); err != nil {
		return 0, fmt.Errorf("nitrado: %s: %w", op, err)
	}
	if length <= 0 {
		length = DefaultSeekLength
	}
	var data struct {
		Token *struct {
			URL   string `json:"url"`
			Token string `json:"token"`
		} `json:"token"`
	}
	q := url.Values{"file": {path}, "offset": {strconv.FormatInt(offset, 10)},
		"length": {strconv.FormatInt(length, 10)}, "mode": {"raw"}}
	if _, err := c.do(ctx, call{op: op, method: http.MethodGet, path: gsPath(serviceID, "/file_server/seek"), query: q}, &data); err != nil {
		return 0, err
	}
	if data.Token == nil || data.Token.URL == "" {
		return 0, fmt.Errorf("nitrado: %s: %w: no seek url in response", op, ErrBadResponse)
	}
	u, err := url.Parse(data.Token.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, fmt.Errorf("nitrado: %s: %w: invalid seek url", op, ErrBadResponse)
	}
	if data.Token.Token != "" && u.Query().Get("token") == "" {
		qs := u.Query()
		qs.Set("token", data.Token.Token)
		u.RawQuery = qs.Encode()
	}
	cw := &capWriter{w: dst, left: length}
	_, err = c.stream(ctx, op, u, cw)
	return cw.written, err
}

// capWriter passes at most left bytes on (a server ignoring length must
// not make Seek return more than asked for).
type capWriter struct {
	w       io.Writer
	left    int64
	written int64
}

func (c *capWriter) Write(p []byte) (int, error) {
	n := len(p)
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	if len(p) > 0 {
		if _, err := c.w.Write(p); err != nil {
			return 0, err
		}
		c.left -= int64(len(p))
		c.written += int64(len(p))
	}
	return n, nil
}
