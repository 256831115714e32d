package nitrado

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

func gsOp(id int64) string { return "gameserver " + strconv.FormatInt(id, 10) }

func gsPath(id int64, rest string) string {
	return "/services/" + strconv.FormatInt(id, 10) + "/gameservers" + rest
}

func checkID(op string, id int64) error {
	if id <= 0 {
		return fmt.Errorf("nitrado: %s: invalid service id", op)
	}
	return nil
}

// Ping calls GET /ping, Nitrado's health probe. It returns nil when the API
// answers success.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.do(ctx, call{op: "ping", method: http.MethodGet, path: "/ping"}, nil)
	return err
}

// ListServices returns every service the token can see (GET /services). Use
// Service.IsASA to filter ARK: Survival Ascended gameservers.
func (c *Client) ListServices(ctx context.Context) ([]Service, error) {
	var data struct {
		Services []Service `json:"services"`
	}
	if _, err := c.do(ctx, call{op: "services", method: http.MethodGet, path: "/services"}, &data); err != nil {
		return nil, err
	}
	return data.Services, nil
}

// Gameserver returns the details of a gameserver service
// (GET /services/{id}/gameservers). Gameserver.Details flattens them for the
// server-details cache.
func (c *Client) Gameserver(ctx context.Context, serviceID int64) (*Gameserver, error) {
	op := gsOp(serviceID)
	if err := checkID(op, serviceID); err != nil {
		return nil, err
	}
	var data struct {
		Gameserver *Gameserver `json:"gameserver"`
	}
	if _, err := c.do(ctx, call{op: op, method: http.MethodGet, path: gsPath(serviceID, "")}, &data); err != nil {
		return nil, err
	}
	if data.Gameserver == nil {
		return nil, fmt.Errorf("nitrado: %s: %w: response has no gameserver", op, ErrBadResponse)
	}
	if data.Gameserver.ServiceID == 0 {
		data.Gameserver.ServiceID = serviceID
	}
	return data.Gameserver, nil
}

// ServerDetails fetches the gameserver and flattens it for the
// server-details cache (name, map, ip, ports, RCON password, status, game
// path).
func (c *Client) ServerDetails(ctx context.Context, serviceID int64) (ServerDetails, error) {
	gs, err := c.Gameserver(ctx, serviceID)
	if err != nil {
		return ServerDetails{}, err
	}
	return gs.Details(), nil
}

// Restart restarts the gameserver (POST .../gameservers/restart). message is
// shown in the in-game chat when supported (restart_message); reason goes to
// Nitrado's restart.log (message). Either may be empty.
//
// Restart is also how a stopped server is started: the API has no plain
// start action (see Start). The action is asynchronous: poll Gameserver until
// Status reaches "started". Never retried automatically; a 428
// (ErrActionInProgress) means another action is still running.
func (c *Client) Restart(ctx context.Context, serviceID int64, message, reason string) error {
	return c.action(ctx, serviceID, "restart", "restart_message", message, reason)
}

// Start starts a stopped gameserver. It is an alias of Restart, which is what
// Nitrado's web interface and other clients use to start a server.
func (c *Client) Start(ctx context.Context, serviceID int64, message, reason string) error {
	return c.action(ctx, serviceID, "restart", "restart_message", message, reason)
}

// Stop stops the gameserver (POST .../gameservers/stop). message is shown
// in-game when supported (stop_message); reason goes to restart.log
// (message). Start it again with Start/Restart. Never retried automatically.
func (c *Client) Stop(ctx context.Context, serviceID int64, message, reason string) error {
	return c.action(ctx, serviceID, "stop", "stop_message", message, reason)
}

func (c *Client) action(ctx context.Context, id int64, verb, chatKey, message, reason string) error {
	op := gsOp(id) + ": " + verb
	if err := checkID(op, id); err != nil {
		return err
	}
	form := url.Values{}
	if reason != "" {
		form.Set("message", reason)
	}
	if message != "" {
		form.Set(chatKey, message)
	}
	_, err := c.do(ctx, call{op: op, method: http.MethodPost, path: gsPath(id, "/"+verb), form: form}, nil)
	return err
}

// ListFiles lists a directory on the gameserver's file server
// (GET .../file_server/list?dir=). dir must be absolute; "" lists the home
// directory.
func (c *Client) ListFiles(ctx context.Context, serviceID int64, dir string) ([]FileEntry, error) {
	op := gsOp(serviceID) + ": list " + strconvQuote(dir)
	if err := checkID(op, serviceID); err != nil {
		return nil, err
	}
	q := url.Values{}
	if dir != "" {
		if err := checkRemotePath(dir); err != nil {
			return nil, fmt.Errorf("nitrado: %s: %w", op, err)
		}
		q.Set("dir", dir)
	}
	var data struct {
		Entries []FileEntry `json:"entries"`
	}
	if _, err := c.do(ctx, call{op: op, method: http.MethodGet, path: gsPath(serviceID, "/file_server/list"), query: q}, &data); err != nil {
		return nil, err
	}
	return data.Entries, nil
}

func checkRemotePath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("path %s is not absolute", strconvQuote(p))
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("path %s contains a control character", strconvQuote(p))
		}
	}
	return nil
}

func strconvQuote(s string) string {
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return strconv.Quote(s)
}

// Stats returns resource usage for the last hours hours
// (GET .../gameservers/stats?hours=). hours <= 0 selects 24.
func (c *Client) Stats(ctx context.Context, serviceID int64, hours int) (*Stats, error) {
	op := gsOp(serviceID) + ": stats"
	if err := checkID(op, serviceID); err != nil {
		return nil, err
	}
	if hours <= 0 {
		hours = 24
	}
	var data struct {
		Stats *Stats `json:"stats"`
	}
	q := url.Values{"hours": {strconv.Itoa(hours)}}
	if _, err := c.do(ctx, call{op: op, method: http.MethodGet, path: gsPath(serviceID, "/stats"), query: q}, &data); err != nil {
		return nil, err
	}
	if data.Stats == nil {
		return nil, fmt.Errorf("nitrado: %s: %w: response has no stats", op, ErrBadResponse)
	}
	return data.Stats, nil
}

// BoostHistory returns one page (1-based; <= 0 means 1) of the boost
// (donation) history (GET .../gameservers/boost/history?page=). Nitrado
// documents the endpoint for UWP services; other services may answer with an
// *APIError.
func (c *Client) BoostHistory(ctx context.Context, serviceID int64, page int) (*BoostPage, error) {
	if page <= 0 {
		page = 1
	}
	op := gsOp(serviceID) + ": boost history page " + strconv.Itoa(page)
	if err := checkID(op, serviceID); err != nil {
		return nil, err
	}
	var data BoostPage
	q := url.Values{"page": {strconv.Itoa(page)}}
	if _, err := c.do(ctx, call{op: op, method: http.MethodGet, path: gsPath(serviceID, "/boost/history"), query: q}, &data); err != nil {
		return nil, err
	}
	return &data, nil
}

// MaxBoostPages bounds Boosts/AllBoosts against a server whose page_count
// never ends.
const MaxBoostPages = 1000

// Boosts iterates over the whole boost history, page by page, newest pages
// first as Nitrado returns them. On error it yields (Boost{}, err) once and
// stops.
func (c *Client) Boosts(ctx context.Context, serviceID int64) iter.Seq2[Boost, error] {
	return func(yield func(Boost, error) bool) {
		for page := 1; ; page++ {
			if page > MaxBoostPages {
				yield(Boost{}, fmt.Errorf("nitrado: %s: boost history: %w: more than %d pages", gsOp(serviceID), ErrBadResponse, MaxBoostPages))
				return
			}
			p, err := c.BoostHistory(ctx, serviceID, page)
			if err != nil {
				yield(Boost{}, err)
				return
			}
			for _, b := range p.Boosts {
				if !yield(b, nil) {
					return
				}
			}
			if len(p.Boosts) == 0 || page >= p.PageCount {
				return
			}
		}
	}
}

// AllBoosts collects Boosts into a slice.
func (c *Client) AllBoosts(ctx context.Context, serviceID int64) ([]Boost, error) {
	var out []Boost
	for b, err := range c.Boosts(ctx, serviceID) {
		if err != nil {
			return out, err
		}
		out = append(out, b)
	}
	return out, nil
}

// Tasks returns the service's scheduled tasks (GET /services/{id}/tasks):
// the restarts (and other actions) set up in Nitrado's web interface, in
// the order Nitrado lists them. A token without RoleScheduledRestartRead
// gets an error matching ErrForbidden (403) or ErrInvalidToken (401).
func (c *Client) Tasks(ctx context.Context, serviceID int64) ([]Task, error) {
	op := "service " + strconv.FormatInt(serviceID, 10) + ": tasks"
	if err := checkID(op, serviceID); err != nil {
		return nil, err
	}
	var data struct {
		Tasks json.RawMessage `json:"tasks"`
	}
	path := "/services/" + strconv.FormatInt(serviceID, 10) + "/tasks"
	if _, err := c.do(ctx, call{op: op, method: http.MethodGet, path: path}, &data); err != nil {
		if errors.Is(err, ErrForbidden) || errors.Is(err, ErrInvalidToken) {
			return nil, fmt.Errorf("%w (reading tasks needs %s)", err, RoleScheduledRestartRead)
		}
		return nil, err
	}
	if len(data.Tasks) == 0 {
		return nil, fmt.Errorf("nitrado: %s: %w: response has no tasks", op, ErrBadResponse)
	}
	var list taskList
	if err := json.Unmarshal(data.Tasks, &list); err != nil {
		return nil, c.errorf(op, "%w", jsonError(err, data.Tasks))
	}
	out := []Task(list)
	for i := range out {
		if out[i].ServiceID == 0 {
			out[i].ServiceID = serviceID
		}
	}
	return out, nil
}
