package app

import (
	"context"
	"errors"
	"io"
)

// runParse implements `bliss parse`. Placeholder until the arksave CLI lands.
func runParse(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("parse: not implemented yet")
}
