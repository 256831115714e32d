package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/blissark/bliss/app/config"
)

// UsageError is a bad command line: exit code 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ExitCode maps Main's error to a process exit code: 0 ok, 2 usage, 1 other.
func ExitCode(err error) int {
	var ue *UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	default:
		return 1
	}
}

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":          {"run the appliance (what bliss.service starts)", runServe},
		"check":          {"validate the configuration and probe storage, Nitrado and RCON", runCheck},
		"parse":          {"decode a save file offline and print a summary", runParse},
		"invite":         {"print the six bots' invite URLs", runInvite},
		"sandbox":        {"run the whole appliance against in-process fakes (no credentials)", runSandbox},
		"version":        {"print the version", runVersion},
		"example-config": {"print a commented configuration file", runExampleConfig},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: bliss <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-15s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'bliss <command> -h' for a command's flags.")
}

// Main runs one bliss command. It returns the error to report; ExitCode maps
// it to the process's exit status. Errors are printed here, once.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, stdout, stderr)
	var ue *UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "bliss:", ue.Msg)
		usage(stderr)
	default:
		fmt.Fprintln(stderr, "bliss:", oneLine(err))
	}
	return err
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &UsageError{Msg: "no command given"}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return nil
	case "-version", "--version":
		return runVersion(ctx, nil, stdout, stderr)
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		return &UsageError{Msg: fmt.Sprintf("unknown command %q", args[0])}
	}
	return cmd.run(ctx, args[1:], stdout, stderr)
}

// oneLine keeps joined errors readable on one line each, prefixed once:
// a prefix repeated by two layers ("nitrado: nitrado: services", "bots:
// bots: master router") is said once.
func oneLine(err error) string {
	s := dedupePrefixes(err.Error())
	if strings.Contains(s, "\n") {
		return strings.ReplaceAll(s, "\n", "\n  ")
	}
	return s
}

// dedupePrefixes drops a "word: " segment that repeats the one before it,
// on every line.
func dedupePrefixes(s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		parts := strings.Split(line, ": ")
		out := parts[:0:0]
		for j, p := range parts {
			if j > 0 && j < len(parts)-1 && p == parts[j-1] && isPrefixWord(p) {
				continue
			}
			out = append(out, p)
		}
		lines[i] = strings.Join(out, ": ")
	}
	return strings.Join(lines, "\n")
}

// isPrefixWord: an error prefix is short and lowercase ("nitrado",
// "storage", "server details"); quoted or capitalised text is a message.
func isPrefixWord(p string) bool {
	if p == "" || len(p) > 24 {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == ' ') {
			return false
		}
	}
	return true
}

// newFlags makes a FlagSet whose errors become UsageErrors.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: bliss %s\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &UsageError{Msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return &UsageError{Msg: fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", config.DefaultPath, "configuration file (KEY=VALUE); empty to use only BLISS_* variables")
}

// loadConfig reads and validates the configuration: serve and check share
// it, so check passes exactly what serve accepts.
func loadConfig(path string) (*config.Config, error) {
	return config.LoadAndValidate(path, os.Environ())
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "version", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "bliss", Version())
	return nil
}

func runExampleConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("example-config", "example-config > /etc/bliss/bliss.env", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return config.WriteExample(stdout)
}
