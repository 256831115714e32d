package rcon

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blissark/bliss/app/rcon/rcontest"
)

const testPassword = "s3cr3t-Pa55word-xyz"

// generous is the deadline for operations that must succeed; failures are
// asserted by error type, never by elapsed time.
const generous = 10 * time.Second

func newFake(t *testing.T, opts rcontest.Options) *rcontest.Server {
	t.Helper()
	if opts.Password == "" {
		opts.Password = testPassword
	}
	s, err := rcontest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("fake close: %v", err)
		}
	})
	return s
}

func newTestClient(t *testing.T, addr string, mod func(*Options)) *Client {
	t.Helper()
	o := Options{Name: "Island", Addr: addr, Password: testPassword}
	if mod != nil {
		mod(&o)
	}
	c := NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), generous)
	t.Cleanup(cancel)
	return ctx
}

func TestExecBasic(t *testing.T) {
	f := newFake(t, rcontest.Options{})
	f.SetPlayers(rcontest.Player{Name: "kjrobinsonn", EOSID: "0002027eea6e4d69bea553b53a343124"})
	c := newTestClient(t, f.Addr(), nil)
	ctx := ctxT(t)

	got, err := c.Exec(ctx, "ListPlayers")
	if err != nil {
		t.Fatal(err)
	}
	if want := "0. kjrobinsonn, 0002027eea6e4d69bea553b53a343124\n"; got != want {
		t.Fatalf("ListPlayers = %q, want %q", got, want)
	}
	// Silent reply → "" nil.
	got, err = c.Exec(ctx, "SaveWorld")
	if err != nil || got != "" {
		t.Fatalf("SaveWorld = %q, %v; want \"\", nil", got, err)
	}
	// ServerChat lands in the chat buffer, GetChat consumes it.
	if _, err := c.Exec(ctx, "ServerChat hello"); err != nil {
		t.Fatal(err)
	}
	got, err = c.Exec(ctx, "GetChat")
	if err != nil || got != "SERVER: hello\n" {
		t.Fatalf("GetChat = %q, %v", got, err)
	}
	got, err = c.Exec(ctx, "GetChat")
	if err != nil || got != "" {
		t.Fatalf("second GetChat = %q, %v; want silent", got, err)
	}
	if ok, _ := f.Auths(); ok != 1 {
		t.Fatalf("auths = %d, want 1 (connection reused)", ok)
	}
}

func TestAuthWithoutPrePacket(t *testing.T) {
	f := newFake(t, rcontest.Options{NoAuthPrePacket: true})
	c := newTestClient(t, f.Addr(), nil)
	if _, err := c.Exec(ctxT(t), "SaveWorld"); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentExecOwnAnswers(t *testing.T) {
	f := newFake(t, rcontest.Options{})
	f.Handle("Echo", func(args string) string { return "echo:" + args })
	c := newTestClient(t, f.Addr(), nil)
	ctx := ctxT(t)

	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			tok := fmt.Sprintf("tok-%03d", i)
			got, err := c.Exec(ctx, "Echo "+tok)
			if err != nil {
				errs <- err
				return
			}
			if got != "echo:"+tok {
				errs <- fmt.Errorf("goroutine %d got %q", i, got)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(f.Commands()); got != n {
		t.Fatalf("server saw %d commands, want %d", got, n)
	}
}

func TestStrayKeepAliveNeverLeaks(t *testing.T) {
	f := newFake(t, rcontest.Options{})
	f.Handle("Echo", func(args string) string { return args })
	c := newTestClient(t, f.Addr(), nil)
	ctx := ctxT(t)

	for i := range 5 {
		f.InjectKeepAlive(1)
		tok := fmt.Sprintf("a%d", i)
		got, err := c.Exec(ctx, "Echo "+tok)
		if err != nil {
			t.Fatal(err)
		}
		if got != tok {
			t.Fatalf("Exec %d = %q, want %q", i, got, tok)
		}
		got, err = c.Exec(ctx, "Echo next"+tok)
		if err != nil || got != "next"+tok {
			t.Fatalf("follow-up = %q, %v", got, err)
		}
	}
	if ok, _ := f.Auths(); ok != 1 {
		t.Fatalf("auths = %d; keep-alives should not force reconnects", ok)
	}
}

func TestWrongPasswordSilence(t *testing.T) {
	f := newFake(t, rcontest.Options{})
	var logs bytes.Buffer
	c := newTestClient(t, f.Addr(), func(o *Options) {
		o.Password = "wrong-" + testPassword
		o.DialTimeout = 300 * time.Millisecond
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, err := c.Exec(ctxT(t), "ListPlayers")
	// ASA's silence is not an authentication failure it reported: it may as
	// well be a hung server.
	if !errors.Is(err, ErrNoAnswer) || !errors.Is(err, ErrTimeout) || errors.Is(err, ErrAuth) {
		t.Fatalf("err = %v, want ErrNoAnswer and ErrTimeout, not ErrAuth", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "no answer — wrong password or server down from server") || !strings.Contains(msg, "Island") ||
		strings.Contains(msg, "authentication failed") {
		t.Fatalf("message %q lacks server name", msg)
	}
	assertNoSecret(t, msg, logs.String())
	if _, failed := f.Auths(); failed != 1 {
		t.Fatalf("failed auths = %d", failed)
	}
}

func TestWrongPasswordRejected(t *testing.T) {
	f := newFake(t, rcontest.Options{RejectBadPassword: true})
	c := newTestClient(t, f.Addr(), func(o *Options) { o.Password = "nope" })
	_, err := c.Exec(ctxT(t), "ListPlayers")
	if !errors.Is(err, ErrAuth) || errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrAuth (rejected, not timeout)", err)
	}
	assertNoSecret(t, err.Error())
}

func assertNoSecret(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, testPassword) || strings.Contains(s, "nope") {
			t.Fatalf("secret leaked in %q", s)
		}
	}
}

func TestDeadServerClosedListener(t *testing.T) {
	f, err := rcontest.New(rcontest.Options{Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	addr := f.Addr()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, addr, func(o *Options) { o.DialTimeout = 300 * time.Millisecond })
	_, err = c.Exec(ctxT(t), "ListPlayers")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestDropThenReconnect(t *testing.T) {
	f := newFake(t, rcontest.Options{})
	f.Handle("Echo", func(args string) string { return args })
	c := newTestClient(t, f.Addr(), func(o *Options) { o.CommandTimeout = 300 * time.Millisecond })
	ctx := ctxT(t)

	if _, err := c.Exec(ctx, "Echo warm"); err != nil {
		t.Fatal(err)
	}
	f.DropNext(1)
	if _, err := c.Exec(ctx, "Echo lost"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("dropped command err = %v, want ErrUnavailable", err)
	}
	got, err := c.Exec(ctx, "Echo back")
	if err != nil || got != "back" {
		t.Fatalf("after drop: %q, %v", got, err)
	}
	if ok, _ := f.Auths(); ok != 2 {
		t.Fatalf("auths = %d, want 2", ok)
	}
}

func TestIdleDropHealsWithoutFailure(t *testing.T) {
	f := newFake(t, rcontest.Options{})
	f.Handle("Echo", func(args string) string { return args })
	c := newTestClient(t, f.Addr(), nil)
	ctx := ctxT(t)
	if _, err := c.Exec(ctx, "Echo one"); err != nil {
		t.Fatal(err)
	}
	f.DropAll()
	// Wait until the client's reader has observed the close, so the test
	// exercises the idle path deterministically.
	c.mu.Lock()
	cn := c.conn
	c.mu.Unlock()
	select {
	case r := <-cn.pkts:
		if r.err == nil {
			t.Fatalf("unexpected packet %+v", r.pkt)
		}
		cn.pkts <- r // put it back for drain to find
	case <-ctx.Done():
		t.Fatal("reader never saw the drop")
	}
	got, err := c.Exec(ctx, "Echo two")
	if err != nil || got != "two" {
		t.Fatalf("after idle drop: %q, %v", got, err)
	}
}

func TestTimeoutThenNoStaleReply(t *testing.T) {
	f := newFake(t, rcontest.Options{})
	f.Handle("Echo", func(args string) string { return args })
	c := newTestClient(t, f.Addr(), func(o *Options) { o.CommandTimeout = 300 * time.Millisecond })
	ctx := ctxT(t)

	f.HangNext(1)
	_, err := c.Exec(ctx, "Echo hung")
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	got, err := c.Exec(ctx, "Echo fresh")
	if err != nil || got != "fresh" {
		t.Fatalf("after timeout: %q, %v", got, err)
	}
}

func TestSlowReplyWithinCtxDeadline(t *testing.T) {
	f := newFake(t, rcontest.Options{})
	f.SetLatency(5 * time.Second)
	c := newTestClient(t, f.Addr(), nil)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Exec(ctx, "ListPlayers")
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrTimeout via ctx deadline", err)
	}
}

func TestCancelWhileWaitingForTurn(t *testing.T) {
	f := newFake(t, rcontest.Options{})
	f.HangNext(1)
	c := newTestClient(t, f.Addr(), nil)
	started := make(chan struct{})
	hungDone := make(chan error, 1)
	hctx, hcancel := context.WithCancel(t.Context())
	defer hcancel()
	go func() {
		close(started)
		_, err := c.Exec(hctx, "ListPlayers")
		hungDone <- err
	}()
	<-started
	// Wait until the hung command holds the turn.
	for len(f.Commands()) == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Exec(ctx, "ListPlayers"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	hcancel()
	if err := <-hungDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("hung err = %v, want context.Canceled", err)
	}
}

func TestInvalidCommands(t *testing.T) {
	c := NewClient(Options{Name: "x", Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, cmd := range []string{"", "   ", "ServerChat a\nDoExit", "a\x00b", strings.Repeat("a", 1001)} {
		if _, err := c.Exec(t.Context(), cmd); !errors.Is(err, ErrInvalidCommand) {
			t.Errorf("Exec(%q) err = %v, want ErrInvalidCommand", clip(cmd, 20), err)
		}
	}
}

func TestClosedClient(t *testing.T) {
	f := newFake(t, rcontest.Options{})
	c := newTestClient(t, f.Addr(), nil)
	if _, err := c.Exec(ctxT(t), "SaveWorld"); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if _, err := c.Exec(ctxT(t), "SaveWorld"); !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}

func TestOversizedReply(t *testing.T) {
	f := newFake(t, rcontest.Options{})
	f.Handle("Big", func(string) string { return strings.Repeat("x", 5000) })
	f.Handle("Echo", func(args string) string { return args })
	c := newTestClient(t, f.Addr(), func(o *Options) { o.MaxReplyBytes = 4096 })
	ctx := ctxT(t)
	if _, err := c.Exec(ctx, "Big"); !errors.Is(err, ErrReplyTooLarge) {
		t.Fatalf("err = %v, want ErrReplyTooLarge", err)
	}
	if got, err := c.Exec(ctx, "Echo ok"); err != nil || got != "ok" {
		t.Fatalf("after oversize: %q, %v", got, err)
	}
	// A declared size of ~2 GiB must fail before any allocation.
	hdr := make([]byte, 12)
	binary.LittleEndian.PutUint32(hdr, 0x7fffffff)
	f.ReplyRaw(hdr)
	if _, err := c.Exec(ctx, "Echo huge"); !errors.Is(err, ErrReplyTooLarge) {
		t.Fatalf("err = %v, want ErrReplyTooLarge", err)
	}
}

func TestGarbageViaFake(t *testing.T) {
	f := newFake(t, rcontest.Options{})
	f.Handle("Echo", func(args string) string { return args })
	c := newTestClient(t, f.Addr(), func(o *Options) { o.CommandTimeout = 300 * time.Millisecond })
	ctx := ctxT(t)
	bad := rcontest.EncodePacket(0, 0, "abc")
	bad[len(bad)-1] = 'X' // broken padding
	for _, raw := range [][]byte{
		{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, // size 1
		{0xff, 0xff, 0xff, 0xff},             // size -1
		bad,
	} {
		f.ReplyRaw(raw)
		_, err := c.Exec(ctx, "Echo x")
		if !errors.Is(err, ErrProtocol) {
			t.Fatalf("raw %x: err = %v, want ErrProtocol", raw, err)
		}
		if got, err := c.Exec(ctx, "Echo ok"); err != nil || got != "ok" {
			t.Fatalf("after garbage: %q, %v", got, err)
		}
	}
}

// rawServer accepts connections and answers each with handle, which gets the
// connection after a correct-looking auth exchange.
func rawServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				handle(c)
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

func TestGarbageRawServer(t *testing.T) {
	cases := map[string][]byte{
		"random bytes":   []byte("HTTP/1.1 400 Bad Request\r\n\r\n"),
		"short header":   {20, 0, 0},
		"truncated body": append([]byte{100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "abc"...),
		"negative size":  {0, 0, 0, 0x80, 0, 0, 0, 0},
	}
	for name, junk := range cases {
		t.Run(name, func(t *testing.T) {
			addr := rawServer(t, func(c net.Conn) {
				_, _ = c.Write(junk)
				_, _ = io.Copy(io.Discard, c) // until the client hangs up
			})
			c := newTestClient(t, addr, func(o *Options) {
				o.DialTimeout = 300 * time.Millisecond
				o.CommandTimeout = 300 * time.Millisecond
			})
			_, err := c.Exec(ctxT(t), "ListPlayers")
			if err == nil {
				t.Fatal("want error")
			}
			if !errors.Is(err, ErrProtocol) && !errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrAuth) && !errors.Is(err, ErrNoAnswer) {
				t.Fatalf("err = %v: not classified", err)
			}
		})
	}
}

func TestNoSecretInLogs(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFake(t, rcontest.Options{})
	f.Handle("Echo", func(args string) string { return args })
	opts := Options{Name: "Island", Addr: f.Addr(), Password: testPassword, CommandTimeout: 300 * time.Millisecond, Logger: logger}
	c := NewClient(opts)
	defer c.Close()
	ctx := ctxT(t)
	f.InjectKeepAlive(1)
	_, _ = c.Exec(ctx, "Echo a")
	f.HangNext(1)
	_, _ = c.Exec(ctx, "Echo b")
	f.DropNext(1)
	_, _ = c.Exec(ctx, "Echo c")
	_, _ = c.Exec(ctx, "Echo d")
	logger.Info("options", slog.Any("opts", opts))
	logger.Info("target", slog.Any("t", Target{Name: "n", Addr: "a", Password: testPassword}))
	s := fmt.Sprintf("%v %+v %#v %s", opts, opts, opts, Target{Password: testPassword})
	assertNoSecret(t, logs.String(), s)
	if !strings.Contains(logs.String(), "rcon command failed") {
		t.Fatalf("expected failure logs, got:\n%s", logs.String())
	}
}

func BenchmarkExec(b *testing.B) {
	f, err := rcontest.New(rcontest.Options{Password: testPassword})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	c := NewClient(Options{Name: "bench", Addr: f.Addr(), Password: testPassword})
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Exec(ctx, "ListPlayers"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Exec(ctx, "ListPlayers"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestKeepAliveOnlyReplyTimesOut(t *testing.T) {
	f := newFake(t, rcontest.Options{})
	f.Handle("Echo", func(args string) string { return args })
	c := newTestClient(t, f.Addr(), func(o *Options) { o.CommandTimeout = 300 * time.Millisecond })
	ctx := ctxT(t)
	// The reply is replaced by a bare Keep Alive packet: never an answer.
	f.ReplyRaw(rcontest.EncodePacket(0, rcontest.TypeResponseValue, rcontest.KeepAlive))
	if got, err := c.Exec(ctx, "Echo x"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Exec = %q, %v; want ErrTimeout", got, err)
	}
	if got, err := c.Exec(ctx, "Echo y"); err != nil || got != "y" {
		t.Fatalf("after: %q, %v", got, err)
	}
}

func TestIdleStrayDrained(t *testing.T) {
	f := newFake(t, rcontest.Options{})
	f.Handle("Echo", func(args string) string { return args })
	c := newTestClient(t, f.Addr(), nil)
	ctx := ctxT(t)
	// The reply to "Echo a" is followed by an extra id-0 packet (a split
	// reply); the client must not hand it to the next command.
	f.ReplyRaw(append(rcontest.EncodePacket(0, 0, "part1"), rcontest.EncodePacket(0, 0, "part2")...))
	if got, err := c.Exec(ctx, "Echo a"); err != nil || got != "part1" {
		t.Fatalf("first = %q, %v", got, err)
	}
	// Wait until the reader has queued part2, so the drain path is exercised
	// deterministically (see doc.go for the residual race).
	c.mu.Lock()
	cn := c.conn
	c.mu.Unlock()
	select {
	case r := <-cn.pkts:
		cn.pkts <- r
	case <-ctx.Done():
		t.Fatal("part2 never arrived")
	}
	if got, err := c.Exec(ctx, "Echo b"); err != nil || got != "b" {
		t.Fatalf("second = %q, %v; stray leaked", got, err)
	}
}
