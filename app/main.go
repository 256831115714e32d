package app

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// UsageError is a bad command line: exit code 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ExitCode maps Main's error to a process exit code.
func ExitCode(err error) int {
	var ue *UsageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	default:
		return 1
	}
}

// Main runs one bliss command.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &UsageError{Msg: "usage: bliss <command>"}
	}
	switch args[0] {
	case "parse":
		return runParse(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, "unknown command", args[0])
	return &UsageError{Msg: "unknown command " + args[0]}
}
