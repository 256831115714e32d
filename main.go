// Command bliss runs the Bliss appliance: six Discord bots, RCON, the Nitrado
// API, hourly save parsing and embedded storage in one binary.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/blissark/bliss/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := app.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(app.ExitCode(err))
}
