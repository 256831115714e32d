package bots

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots/embed"
)

// UserError is an error whose message is meant for the person who ran the
// command ("server 123 is not linked"). It is shown in a red embed and not
// logged as a failure.
type UserError struct {
	Msg string
	Err error // optional cause, logged at debug level only
}

func (e *UserError) Error() string { return e.Msg }
func (e *UserError) Unwrap() error { return e.Err }

// Errorf returns a *UserError with a formatted message. %w wraps a cause.
func Errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &UserError{Msg: err.Error(), Err: errors.Unwrap(err)}
}

// ErrForbidden is returned (wrapped in a UserError) when RBAC refuses.
var ErrForbidden = errors.New("forbidden")

// newRef returns a short random reference id that ties an "internal error"
// reply to its log line.
func newRef() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// mapError turns a handler error into the embed shown to the user. Internal
// errors are logged with a fresh reference id, which the embed quotes.
func mapError(log *slog.Logger, err error) *discordgo.MessageEmbed {
	var ue *UserError
	if errors.As(err, &ue) {
		log.Debug("user error", "msg", ue.Msg, "cause", ue.Err)
		return embed.Error("Cannot do that", ue.Msg)
	}
	ref := newRef()
	log.Error("handler failed", "ref", ref, "err", err)
	return internalErrorEmbed(ref)
}

func internalErrorEmbed(ref string) *discordgo.MessageEmbed {
	return embed.Error("Something went wrong", "Internal error, logged as `"+ref+"`.")
}

// PanicError is the error a recovered handler panic becomes.
type PanicError struct {
	Value any
	Stack string
}

func (p *PanicError) Error() string { return fmt.Sprintf("panic: %v", p.Value) }
