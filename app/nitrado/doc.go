// Package nitrado is a small client for the parts of the Nitrado REST API
// (https://api.nitrado.net) that Bliss needs: listing services, gameserver
// details (including the RCON endpoint and password), start/stop/restart, the
// file server (list and streamed download), resource stats, boost history,
// the scheduled tasks set up in Nitrado's web interface (Tasks; a task's
// next run from next_run or, failing that, its cron fields) and the /ping
// health probe.
//
// The client is built on github.com/hashicorp/go-retryablehttp:
//
//   - Every request carries "Authorization: Bearer <token>" and the client's
//     own User-Agent. The token never appears in an error, a log record or a
//     String() result.
//   - Responses use Nitrado's {status, message, data} envelope. Failures map
//     to sentinel errors usable with errors.Is (ErrInvalidToken, ErrForbidden,
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
//
// # Why it lives in app/nitrado
//
// The top level is fixed by the design card (main.go, app, storage, arksave,
// bots, jobs, testdata). The Nitrado client is one of the appliance's two edges
// to the outside world (Nitrado's REST API and the game servers' RCON), and
// app is where the appliance meets the outside world, so the clients sit
// under app. Unlike the rest of app (wiring, which only main imports) they
// are leaves: they import no project package, so every bot and job may
// import them directly and use their types, with no mirror struct or
// adapter in between. TestImportDirection (app/imports_test.go) enforces
// both halves. The fake (app/nitrado/nitradotest) is for tests and the sandbox only.
package nitrado
