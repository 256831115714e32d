package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/blissark/bliss/app/config"
	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/jobs"
	"github.com/blissark/bliss/jobs/countdown"
	"github.com/blissark/bliss/jobs/pipeline"
	"github.com/blissark/bliss/jobs/serverdetails"
	"github.com/blissark/bliss/jobs/serversync"
	"github.com/blissark/bliss/storage"
	"github.com/blissark/bliss/storage/state"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve [-config FILE]", stderr)
	path := configFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat, os.Getenv("JOURNAL_STREAM") != "")
	red := newRedactor(cfg)
	a := &appliance{cfg: cfg, log: withRedaction(log, red), redact: red, notifySocket: os.Getenv("NOTIFY_SOCKET")}
	return redactErr(a.run(ctx), red)
}

// redactErr keeps err's chain but scrubs the text Main prints.
func redactErr(err error, r *redactor) error {
	if err == nil {
		return nil
	}
	if msg := r.Redact(err.Error()); msg != err.Error() {
		return &redactedError{msg: msg, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// service is a long-running component: Run returns nil when ctx is cancelled.
type service struct {
	name string
	run  func(ctx context.Context) error
}

// appliance is one running bliss: resources opened in order and closed in
// reverse, services run in one errgroup.
type appliance struct {
	cfg          *config.Config
	log          *slog.Logger
	redact       *redactor // every output passes it: logs, /healthz, replies
	notifySocket string
	// ready, when set, receives the HTTP address once serving (tests).
	ready func(httpAddr string)

	// discord and nitradoHTTP point the clients at fakes (sandbox); zero
	// values mean the real services.
	discord     discordTransport
	nitradoHTTP *http.Client

	db      *storage.DB
	state   *state.Store
	closers []closer
	mon     *monitor
	svcs    []service

	nitrado *nitrado.Client
	sched   *jobs.Scheduler
	sup     *bots.Supervisor
	guilds  *guildStore
	details detailsHealth
	sd      *serverdetails.Cache
	rcon    *rcon.Pool
	// auditor is the one bots.Auditor; get it with a.audit() (wire_server.go).
	auditor    bots.Auditor
	countdowns *countdown.Runner
	pipe       *pipeline.Pipeline

	// incidents is the one bots.Incidents (the Ticket bot, wireTickets).
	incidents bots.Incidents
	tickets   ticketTriggers
	watch     *incidentWatch

	economy *economyDeps // AP/GP adapters (wire_economy.go)

	mu         sync.Mutex
	serverSync *serversync.Syncer // linked servers ↔ details cache and parse jobs
}

type closer struct {
	name  string
	close func() error
}

func (a *appliance) onClose(name string, f func() error) {
	a.closers = append(a.closers, closer{name, f})
}

// closeAll closes resources in reverse order of opening.
func (a *appliance) closeAll() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		c := a.closers[i]
		if err := c.close(); err != nil {
			a.log.Error("close failed", "resource", c.name, "err", err)
			errs = append(errs, fmt.Errorf("close %s: %w", c.name, err))
		}
	}
	a.closers = nil
	return errors.Join(errs...)
}

// openStorage creates the state directory and opens SQLite and bbolt.
func (a *appliance) openStorage(ctx context.Context) error {
	if err := os.MkdirAll(a.cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("state dir %s: %w", a.cfg.StateDir, err)
	}
	db, err := storage.Open(ctx, a.cfg.DBPath())
	if err != nil {
		return err
	}
	a.db = db
	a.onClose("sqlite", db.Close)
	st, err := state.Open(a.cfg.StatePath(), state.Options{})
	if err != nil {
		return err
	}
	a.state = st
	a.onClose("state", st.Close)
	return nil
}

func (a *appliance) storageStatus(ctx context.Context) []ComponentStatus {
	sq := ComponentStatus{Name: "sqlite", State: StateOK}
	if err := a.db.Ping(ctx); err != nil {
		sq.State, sq.Detail = StateDown, err.Error()
	}
	return []ComponentStatus{sq, {Name: "state", State: StateOK}}
}

// newHTTPServer serves /healthz and /metrics with every timeout set: a
// client that trickles its request or never reads the answer is cut off.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second, // /healthz bounds its own work at 5 s
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

func (a *appliance) run(ctx context.Context) (err error) {
	start := time.Now()
	defer func() {
		if cerr := a.closeAll(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if a.redact == nil {
		a.redact = newRedactor(a.cfg)
	}
	a.log = withRedaction(a.log, a.redact)
	if err := a.openStorage(ctx); err != nil {
		return err
	}
	a.mon = &monitor{started: start, storage: a.storageStatus, redact: a.redact.Redact}
	if err := a.wire(ctx); err != nil {
		return err
	}

	for _, w := range a.cfg.Warnings {
		a.log.Warn("config: " + w)
	}
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http: BLISS_HTTP_ADDR=%s: %w", a.cfg.HTTPAddr, err)
	}
	srv := newHTTPServer(a.mon.handler())

	if err := sdNotify(a.notifySocket, "READY=1\nSTATUS=serving"); err != nil {
		a.log.Warn("sd_notify failed", "err", err)
	}
	a.log.Info("bliss started", "version", Version(), "http", ln.Addr().String(),
		"state_dir", a.cfg.StateDir, "bots", len(a.cfg.ConfiguredBots()), "startup", time.Since(start).Round(time.Millisecond))
	if a.ready != nil {
		a.ready(ln.Addr().String())
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(runCtx)
	g.Go(func() error {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	for _, s := range a.svcs {
		g.Go(func() error {
			if err := s.run(gctx); err != nil && gctx.Err() == nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			return nil
		})
	}
	<-gctx.Done()
	a.log.Info("shutting down", "budget", a.cfg.ShutdownTimeout)
	_ = sdNotify(a.notifySocket, "STOPPING=1")
	cancel()
	shutCtx, shutCancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer shutCancel()
	_ = srv.Shutdown(shutCtx)
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case err = <-done:
	case <-shutCtx.Done():
		return fmt.Errorf("shutdown: services still running after %s", a.cfg.ShutdownTimeout)
	}
	a.log.Info("bliss stopped")
	return err
}
