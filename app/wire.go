package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/websocket"

	"github.com/blissark/bliss/app/config"
	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/master"
	"github.com/blissark/bliss/jobs"
)

// discordTransport points every bot session at one Discord endpoint. The
// zero value means the real Discord.
type discordTransport struct {
	newHTTPClient func() *http.Client
	newDialer     func() *websocket.Dialer
}

// wire builds the components (bots, jobs, clients) once storage is open and
// registers their services and health sources.
func (a *appliance) wire(ctx context.Context) error {
	cfg := a.cfg
	nc, err := nitrado.New(nitrado.Options{
		Token:      cfg.NitradoToken.Reveal(),
		BaseURL:    cfg.NitradoURL,
		UserAgent:  "bliss/" + Version(),
		RateLimit:  cfg.NitradoRate,
		Logger:     a.log.With("component", "nitrado"),
		HTTPClient: a.nitradoHTTP,
	})
	if err != nil {
		return fmt.Errorf("nitrado: %w", err)
	}
	a.nitrado = nc

	sched := jobs.NewScheduler(jobs.Options{
		Logger:              a.log.With("component", "jobs"),
		MaxConcurrentParses: cfg.ParseConcurrency,
		DefaultDeadline:     cfg.JobDeadline,
		Store:               jobStateStore{a.state},
	})
	a.sched = sched
	restoreJobStates(sched, a.state, a.log)
	a.svcs = append(a.svcs, service{"jobs", sched.Run})
	if err := a.addBackupJob(); err != nil {
		return err
	}

	store := &guildStore{db: a.db, defaultStaff: cfg.StaffRoleIDs}
	a.guilds = store
	var botCfgs []bots.BotConfig
	for _, b := range config.Bots() {
		bc := cfg.Bots[b]
		botCfgs = append(botCfgs, bots.BotConfig{Kind: bots.BotKind(b), Token: bc.Token.Reveal(), AppID: bc.AppID})
	}
	dt := a.discord
	if dt.newHTTPClient == nil && cfg.DiscordURL != "" {
		dt, err = discordAt(cfg.DiscordURL)
		if err != nil {
			return err
		}
	}
	sup, err := bots.NewSupervisor(bots.Options{
		Bots:          botCfgs,
		NewHTTPClient: dt.newHTTPClient,
		NewDialer:     dt.newDialer,
		Logger:        a.log.With("component", "bots"),
		GuildIDs:      cfg.GuildIDs,
		Global:        cfg.GlobalCommands,
		Staff:         bots.StaffFromStore(store),
		Redact:        a.redact.Redact,
	})
	if err != nil {
		return fmt.Errorf("bots: %w", err)
	}
	a.sup = sup
	if err := sup.Handle(bots.Master, master.New(master.Deps{Store: store, Bots: sup, Status: a, Settings: sup})); err != nil {
		return fmt.Errorf("bots: %w", err)
	}
	if err := a.wireTickets(ctx); err != nil {
		return err
	}
	if err := a.wireEconomy(ctx); err != nil {
		return err
	}
	if err := a.wireAssistant(ctx); err != nil {
		return err
	}
	a.svcs = append(a.svcs, service{"bots", sup.Run})
	a.mon.sources = append(a.mon.sources, a.botStatus, a.jobStatus)
	if err := a.wireServers(ctx); err != nil {
		return err
	}
	if err := a.wireServer(ctx); err != nil {
		return err
	}
	return a.wireFeed(ctx)
}

// discordAt returns transports that send the bots' REST calls to base (a
// Discord-compatible endpoint such as a local fake) instead of discord.com.
// The gateway URL comes from that endpoint's GET /gateway.
func discordAt(base string) (discordTransport, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return discordTransport{}, fmt.Errorf("discord url %q: want http(s)://host[:port]", base)
	}
	return discordTransport{
		newHTTPClient: func() *http.Client {
			return &http.Client{Timeout: 20 * time.Second, Transport: rewriteHost{to: u, next: http.DefaultTransport.(*http.Transport).Clone()}}
		},
		newDialer: func() *websocket.Dialer {
			return &websocket.Dialer{HandshakeTimeout: 10 * time.Second}
		},
	}, nil
}

type rewriteHost struct {
	to   *url.URL
	next http.RoundTripper
}

func (r rewriteHost) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = r.to.Scheme, r.to.Host, r.to.Host
	return r.next.RoundTrip(req)
}

func (a *appliance) botStatus(context.Context) []ComponentStatus {
	var out []ComponentStatus
	for _, s := range a.sup.Status() {
		st := ComponentStatus{Name: "bot/" + string(s.Kind), Detail: s.LastError}
		switch s.State {
		case bots.StateConnected:
			st.State = StateOK
			st.Detail = fmt.Sprintf("%d guilds", s.Guilds)
		case bots.StateDisabled:
			st.State, st.Detail = StateDisabled, "no token configured"
		case bots.StateConnecting:
			st.State = StateStarting
		default:
			st.State = StateDegraded
		}
		out = append(out, st)
	}
	return out
}

func (a *appliance) jobStatus(context.Context) []ComponentStatus {
	var out []ComponentStatus
	for _, j := range a.sched.States() {
		st := ComponentStatus{Name: "job/" + j.Name, State: StateOK}
		switch {
		case j.Paused:
			st.State, st.Detail = StateDegraded, pausedDetail(a.sched)
		case j.LastErr != "":
			st.State, st.Detail = StateDegraded, j.LastErr
		case j.Running:
			st.Detail = "running"
		case !j.LastRun.IsZero():
			st.Detail = "last run " + j.LastRun.UTC().Format(time.RFC3339)
		default:
			st.Detail = "next run " + j.NextRun.UTC().Format(time.RFC3339)
		}
		out = append(out, st)
	}
	return out
}
