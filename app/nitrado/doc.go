// Package nitrado is a small client for the parts of the Nitrado REST API
// (https://api.nitrado.net) that Bliss needs: listing services, gameserver
// details (including the RCON endpoint and password), start/stop/restart, the
// file server (list and streamed download), resource stats, boost history
// and the /ping health probe.
//
// The client is built on github.com/hashicorp/go-retryablehttp:
//
//   - Every request carries "Authorization: Bearer <token>" and the client's
//     own User-Agent. The token never appears in an error, a log record or a
//     String() result.
//   - Responses use Nitrado's {status, message, data} envelope. Failures map
//     to sentinel errors usable with errors.Is (ErrInvalidToken,
//     ErrActionInProgress, ErrRateLimited, ErrMaintenance, ErrNotFound,
//     ErrBadResponse, ErrTooLarge) and to the structured *APIError and
//     *RateLimitError usable with errors.As.
//   - Only idempotent requests (GET) are retried automatically, on network
//     errors, 429 and 5xx (except Nitrado's "file doesn't exist" 500), with
//     exponential backoff that honours Retry-After and X-RateLimit-Reset.
//     POSTs (restart, stop) are never retried.
//   - A client-side token bucket (default 1 request/s) is shared by every
//     caller of one Client, including retries and downloads.
//   - JSON bodies are capped (default 4 MiB); downloads are streamed to an
//     io.Writer and capped by Options.MaxDownloadBytes.
//
// A fake of the API speaking the same shapes over real HTTP lives in the
// sibling package nitradotest.
package nitrado
