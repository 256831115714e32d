package rcon

import "errors"

// Error kinds. Every error returned by this package wraps at most one of
// these (plus the underlying cause), so callers can classify with errors.Is.
var (
	// ErrAuth: the server rejected the password (AUTH_RESPONSE id -1).
	ErrAuth = errors.New("authentication failed")
	// ErrNoAnswer: the server accepted the connection but never answered
	// the password. ASA ignores a wrong password, so this is either a wrong
	// password or a hung server; it also wraps ErrTimeout.
	ErrNoAnswer = errors.New("no answer — wrong password or server down")
	// ErrUnavailable: the server could not be reached or closed the
	// connection (down, restarting, wrong address).
	ErrUnavailable = errors.New("server unavailable")
	// ErrTimeout: no reply within the command deadline.
	ErrTimeout = errors.New("timeout")
	// ErrProtocol: the server sent something that is not a valid reply.
	ErrProtocol = errors.New("protocol error")
	// ErrReplyTooLarge: a reply exceeded Options.MaxReplyBytes.
	ErrReplyTooLarge = errors.New("reply too large")
	// ErrInvalidCommand: the command is empty, too long or contains
	// characters that cannot be sent (NUL, newlines, other control chars).
	ErrInvalidCommand = errors.New("invalid command")
	// ErrInvalidArgument: a command builder got an unusable argument.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrClosed: the client or pool was closed.
	ErrClosed = errors.New("closed")
)
