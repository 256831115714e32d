package app

import (
	"context"
	"errors"
	"io"
)

func runInvite(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("invite: not available yet")
}
