// The REST side of the fake: request decoding, the reply shapes and the
// router. The routes live one file per noun: callback.go (interaction
// callbacks), webhooks.go (followups, @original), commands.go (application
// commands), channels.go, messages.go, guilds.go, threads.go, users.go.

package discordtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	maxBody      = 32 << 20
	renameLimit  = 2
	renameWindow = 10 * time.Minute
)

// reply is what a REST handler decided; it is written after Server.mu is released.
type reply struct {
	status int
	body   any
}

type reqCtx struct {
	r      *http.Request
	method string
	path   string
	segs   []string
	query  url.Values
	body   []byte
	files  []File
	bot    *botState
	now    time.Time
}

// rendered is an encoded HTTP response.
type rendered struct {
	status int
	header http.Header
	body   []byte
}

// render encodes v as the JSON body of a response (no body for 204 or nil).
func render(status int, v any) rendered {
	if status == http.StatusNoContent || v == nil {
		return rendered{status: status}
	}
	return rendered{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: mustJSON(v)}
}

func (r rendered) write(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	if len(r.body) > 0 {
		_, _ = w.Write(r.body)
	}
}

func ok(v any) reply      { return reply{http.StatusOK, v} }
func created(v any) reply { return reply{http.StatusCreated, v} }
func noContent() reply    { return reply{status: http.StatusNoContent} }

func derr(status, code int, msg string) reply {
	return reply{status, map[string]any{"message": msg, "code": code}}
}

func formErr(f *formErrors) reply {
	// Discord reports an empty message with its own code.
	if len(f.list) == 1 && f.list[0].code == "EMPTY_MESSAGE" {
		return derr(http.StatusBadRequest, 50006, "Cannot send an empty message")
	}
	return reply{http.StatusBadRequest, map[string]any{"code": 50035, "message": "Invalid Form Body", "errors": f.body()}}
}

var (
	errUnauthorized   = derr(http.StatusUnauthorized, 0, "401: Unauthorized")
	errNotFound       = derr(http.StatusNotFound, 0, "404: Not Found")
	errMethod         = derr(http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
	errUnknownChannel = derr(http.StatusNotFound, 10003, "Unknown Channel")
	errUnknownGuild   = derr(http.StatusNotFound, 10004, "Unknown Guild")
	errUnknownMember  = derr(http.StatusNotFound, 10007, "Unknown Member")
	errUnknownMessage = derr(http.StatusNotFound, 10008, "Unknown Message")
	errUnknownRole    = derr(http.StatusNotFound, 10011, "Unknown Role")
	errUnknownUser    = derr(http.StatusNotFound, 10013, "Unknown User")
	errUnknownWebhook = derr(http.StatusNotFound, 10015, "Unknown Webhook")
	errUnknownCommand = derr(http.StatusNotFound, 10063, "Unknown application command")
	errUnknownInter   = derr(http.StatusNotFound, 10062, "Unknown interaction")
	errAlreadyAcked   = derr(http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
	errMissingAccess  = derr(http.StatusForbidden, 50001, "Missing Access")
	errNotAuthor      = derr(http.StatusForbidden, 50005, "Cannot edit a message authored by another user")
	errBadWebhookTok  = derr(http.StatusUnauthorized, 50027, "Invalid Webhook Token")
	errThreadExists   = derr(http.StatusBadRequest, 160004, "A thread has already been created for this message")
	errNotThread      = derr(http.StatusBadRequest, 50024, "Cannot execute action on this channel type")
	errTooManyChans   = derr(http.StatusBadRequest, 30013, "Maximum number of guild channels reached (500)")
)

func badJSON(err error) reply {
	return derr(http.StatusBadRequest, 50109, "The request body contains invalid JSON. "+err.Error())
}

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/api/v"):
		rest := path[len("/api/v"):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			path = rest[i:]
		} else {
			path = "/"
		}
	case strings.HasPrefix(path, "/api/"):
		path = path[len("/api"):]
	default:
		render(http.StatusNotFound, map[string]any{"message": "404: Not Found", "code": 0}).write(w)
		return
	}
	rc := &reqCtx{r: r, method: r.Method, path: path, segs: splitPath(path), query: r.URL.Query()}
	bodyErr := readBody(r, rc)

	// Route, encode and record in one critical section: handlers may return
	// live state, and a call is visible to Calls/WaitCall before the client
	// sees the response.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		render(http.StatusServiceUnavailable, map[string]any{"message": "closed", "code": 0}).write(w)
		return
	}
	rc.now = s.clock.Now()
	rc.bot = s.bots[stripBot(r.Header.Get("Authorization"))]
	var out rendered
	switch {
	case bodyErr != nil:
		out = render(http.StatusBadRequest, map[string]any{"message": bodyErr.Error(), "code": 50109})
	default:
		var inj *Failure
		if rc.bot != nil {
			inj = s.takeFailureLocked(rc.bot, rc.method, rc.path)
		}
		if inj != nil {
			out = renderFailure(inj, rc.path)
		} else {
			rep := s.routeLocked(rc)
			out = render(rep.status, rep.body)
		}
	}
	call := Call{
		Method: rc.method, Path: rc.path, Query: rc.query, Body: rc.body,
		Status: out.status, Response: out.body, At: rc.now,
	}
	if rc.bot != nil {
		call.BotUserID = rc.bot.bot.UserID
	} else if len(rc.segs) == 4 && rc.segs[0] == "interactions" {
		if rec := s.interByID[rc.segs[1]]; rec != nil {
			call.BotUserID = rec.bot.bot.UserID
		}
	}
	s.recordCallLocked(call)
	s.mu.Unlock()

	if out.status >= 400 {
		s.logf("%s %s -> %d %s", rc.method, rc.path, out.status, out.body)
	}
	out.write(w)
}

// readBody reads JSON bodies, and multipart bodies (payload_json + files).
func readBody(r *http.Request, rc *reqCtx) error {
	if r.Body == nil {
		return nil
	}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if strings.HasPrefix(ct, "multipart/") {
		mr := multipart.NewReader(io.LimitReader(r.Body, maxBody), params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("bad multipart body: %v", err)
			}
			data, err := io.ReadAll(part)
			if err != nil {
				return err
			}
			if part.FormName() == "payload_json" {
				rc.body = data
				continue
			}
			rc.files = append(rc.files, File{Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: data})
		}
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return err
	}
	rc.body = b
	return nil
}

func (rc *reqCtx) decode(v any) error {
	if len(bytes.TrimSpace(rc.body)) == 0 {
		return fmt.Errorf("empty body")
	}
	return json.Unmarshal(rc.body, v)
}

func (s *Server) routeLocked(rc *reqCtx) reply {
	sg := rc.segs
	if len(sg) == 0 {
		return errNotFound
	}
	if r := checkFiles(rc); r != nil {
		return *r
	}
	// Interaction callbacks authenticate by token in the URL.
	if sg[0] == "interactions" {
		if len(sg) == 4 && sg[3] == "callback" {
			if rc.method != http.MethodPost {
				return errMethod
			}
			return s.interactionCallbackLocked(rc, sg[1], sg[2])
		}
		return errNotFound
	}
	if rc.bot == nil {
		return errUnauthorized
	}
	switch sg[0] {
	case "gateway":
		if rc.method != http.MethodGet {
			return errMethod
		}
		if len(sg) == 1 {
			return ok(map[string]any{"url": s.GatewayURL()})
		}
		if len(sg) == 2 && sg[1] == "bot" {
			return ok(map[string]any{"url": s.GatewayURL(), "shards": 1, "session_start_limit": map[string]any{
				"total": 1000, "remaining": 1000 - rc.bot.stats.Identifies, "reset_after": 86400000, "max_concurrency": 1}})
		}
	case "users":
		return s.usersLocked(rc)
	case "webhooks":
		return s.webhooksLocked(rc)
	case "applications":
		if len(sg) == 2 && sg[1] == "@me" {
			return s.currentAppLocked(rc)
		}
		return s.applicationsLocked(rc)
	case "oauth2":
		if len(sg) == 3 && sg[1] == "applications" && sg[2] == "@me" {
			return s.currentAppLocked(rc)
		}
	case "channels":
		return s.channelsLocked(rc)
	case "guilds":
		return s.guildsLocked(rc)
	}
	return errNotFound
}
