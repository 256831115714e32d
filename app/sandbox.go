package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// sandboxOptions are the flags of `bliss sandbox`.
type sandboxOptions struct {
	scenario string
	keep     bool // keep the temporary directory (state, fake files)
	verbose  bool // stream the appliance's debug log to stderr
	// tmpParent is where the temporary directory is made ("" = os.TempDir()).
	tmpParent string
	// stepTimeout bounds every wait for a bot's answer or a fake's state.
	stepTimeout time.Duration
	// scenes, when set, are played instead of the named scenario (tests).
	scenes []scene
}

// runSandbox is `bliss sandbox`: the whole appliance against in-process
// fakes of Discord, Nitrado and RCON on loopback, driven by a scripted
// scenario whose transcript goes to stdout.
func runSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sandbox", "sandbox [-scenario NAME] [-keep] [-v]", stderr)
	opts := sandboxOptions{stepTimeout: 30 * time.Second}
	fs.StringVar(&opts.scenario, "scenario", "default", "scenario to play: "+strings.Join(scenarioNames(), ", "))
	fs.BoolVar(&opts.keep, "keep", false, "keep the temporary state directory (SQLite, bbolt, fake save files)")
	fs.BoolVar(&opts.verbose, "v", false, "print the appliance's debug log to stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return sandboxMain(ctx, opts, stdout, stderr)
}

// scene is one step of a scenario. A scene drives the fakes and the running
// appliance through *sandbox (command, selectValues, interact, say, the
// fakes' handles, sb.app) and returns an error when what it saw is wrong;
// bot messages posted to channels during a scene are printed after it.
// Optional scenes report a failure in the transcript without failing the
// scenario (for features still being wired). New bots add their scenes to
// defaultScenario or register a scenario of their own in scenarios.
type scene struct {
	name     string
	optional bool
	run      func(ctx context.Context, sb *sandbox) error
}

func scenarios() map[string][]scene {
	return map[string][]scene{
		"default": defaultScenario(),
	}
}

func scenarioNames() []string {
	var names []string
	for n := range scenarios() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func sandboxMain(ctx context.Context, opts sandboxOptions, stdout, stderr io.Writer) (err error) {
	scenes, ok := scenarios()[opts.scenario]
	if opts.scenes != nil {
		scenes, ok = opts.scenes, true
		if opts.scenario == "" {
			opts.scenario = "custom"
		}
	}
	if !ok {
		return &UsageError{Msg: fmt.Sprintf("sandbox: unknown scenario %q (have %s)", opts.scenario, strings.Join(scenarioNames(), ", "))}
	}
	if opts.stepTimeout <= 0 {
		opts.stepTimeout = 30 * time.Second
	}
	start := time.Now()
	dir, err := os.MkdirTemp(opts.tmpParent, "bliss-sandbox-")
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if abs, aerr := filepath.Abs(dir); aerr == nil {
		dir = abs // BLISS_STATE_DIR must be absolute
	}
	defer func() {
		if opts.keep {
			fmt.Fprintf(stdout, "== kept %s (state/: bliss.db, state.db; fakes/: save files)\n", dir)
			return
		}
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = fmt.Errorf("sandbox: remove %s: %w", dir, rerr)
		}
	}()

	logs := &logTail{max: 256 << 10}
	var logw io.Writer = logs
	level := "info"
	if opts.verbose {
		logw, level = io.MultiWriter(logs, stderr), "debug"
	}
	tr := &transcript{w: stdout}
	sb := &sandbox{opts: opts, dir: dir, out: tr, log: newLogger(logw, level, "text", false)}
	defer func() {
		if err != nil && !opts.verbose {
			if tail := logs.String(); tail != "" {
				fmt.Fprintf(stderr, "sandbox: appliance log (last %d KiB):\n%s", logs.max>>10, tail)
			}
		}
	}()

	if err := sb.startFakes(ctx); err != nil {
		_ = sb.closeFakes() // err says what went wrong first
		return fmt.Errorf("sandbox: %w", err)
	}
	tr.secrets = sb.secrets()
	sb.say("== Bliss sandbox: %d bots, 1 guild, %d Nitrado servers (fakes on loopback)", len(sb.bots), len(sb.servers))
	if err := sb.startAppliance(ctx); err != nil {
		_ = sb.stop() // the appliance's own error is err
		return fmt.Errorf("sandbox: %w", err)
	}
	runErr := sb.play(ctx, scenes)
	stopErr := sb.stop()
	if leaks := tr.leaks(); leaks > 0 && runErr == nil {
		runErr = fmt.Errorf("a token or password appeared %d times in the transcript (redacted above)", leaks)
	}
	if err := errors.Join(runErr, stopErr); err != nil {
		sb.say("== failed after %s", time.Since(start).Round(100*time.Millisecond))
		return fmt.Errorf("sandbox: scenario %s: %w", opts.scenario, err)
	}
	sb.say("== done in %s", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// play runs the scenes in order; the first failing required scene ends it.
func (sb *sandbox) play(ctx context.Context, scenes []scene) error {
	for _, sc := range scenes {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := sc.run(ctx, sb)
		sb.flushChannelMessages()
		if err == nil {
			continue
		}
		if sc.optional {
			sb.say("⚠ optional scene %q did not succeed: %s", sc.name, oneLine(err))
			continue
		}
		sb.say("✖ scene %q failed: %s", sc.name, oneLine(err))
		return fmt.Errorf("scene %s: %w", sc.name, err)
	}
	return nil
}

// transcript writes lines to stdout, redacting any secret of the sandbox
// (and counting such leaks, which fail the run).
type transcript struct {
	mu      sync.Mutex
	w       io.Writer
	secrets []string
	leaked  int
}

func (t *transcript) line(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, sec := range t.secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.leaked += strings.Count(s, sec)
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	fmt.Fprintln(t.w, s)
}

func (t *transcript) leaks() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.leaked
}

// logTail keeps the last max bytes of the appliance's log, shown when the
// sandbox fails.
type logTail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	if over := len(l.b) - l.max; over > 0 {
		l.b = append(l.b[:0], l.b[over:]...)
	}
	return len(p), nil
}

func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
