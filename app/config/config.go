// Package config loads Bliss's configuration: one KEY=VALUE file (the syntax
// systemd's EnvironmentFile= reads), then BLISS_* environment variables, and
// for every secret a BLISS_…_FILE twin naming a file that holds it.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// DefaultPath is where install.sh puts the configuration file.
const DefaultPath = "/etc/bliss/bliss.env"

// Bot identifies one of the six Discord bots.
type Bot string

// The six bots, in the order they are listed everywhere.
const (
	BotMaster    Bot = "master"
	BotServer    Bot = "server"
	BotAP        Bot = "ap"
	BotGP        Bot = "gp"
	BotTicket    Bot = "ticket"
	BotAssistant Bot = "assistant"
)

// Bots lists the six bots in display order.
func Bots() []Bot {
	return []Bot{BotMaster, BotServer, BotAP, BotGP, BotTicket, BotAssistant}
}

// BotConfig is one bot's credentials.
type BotConfig struct {
	Token Secret
	AppID string
}

// Config is the whole configuration. The zero value is not valid: use Load or
// Defaults.
type Config struct {
	StateDir     string
	HTTPAddr     string
	LogLevel     string
	LogFormat    string
	NitradoToken Secret
	NitradoURL   string
	NitradoRate  float64
	PingInterval time.Duration
	CacheTTL     time.Duration
	JobDeadline  time.Duration // one run of a scheduled job (jobs.Options.DefaultDeadline)

	Bots           map[Bot]BotConfig
	DiscordURL     string
	GuildIDs       []string
	GlobalCommands bool
	StaffRoleIDs   []string

	ParseSchedule    string
	ParseConcurrency int
	ParseWorkers     int
	BackupSchedule   string
	BackupKeep       int
	ChatPoll         time.Duration
	ShutdownTimeout  time.Duration

	// Warnings are settings that load but are probably not what the
	// operator meant (a trailing "# comment" kept in a value, a listen
	// address on all interfaces). serve logs them, check prints them.
	Warnings []string
}

// Defaults returns the configuration with every default applied.
func Defaults() *Config {
	c := &Config{Bots: make(map[Bot]BotConfig)}
	for _, o := range options() {
		if o.def != "" {
			// Defaults are literals below; a failure here is a programming error
			// caught by TestDefaultsParse.
			_ = o.set(c, o.def)
		}
	}
	return c
}

// DBPath is the SQLite database path.
func (c *Config) DBPath() string { return filepath.Join(c.StateDir, "bliss.db") }

// StatePath is the bbolt state store path.
func (c *Config) StatePath() string { return filepath.Join(c.StateDir, "state.db") }

// Load reads path (skipped when path is empty, an error when it is missing),
// then applies environment overrides from environ (os.Environ() form), then
// resolves *_FILE secrets. It does not validate; call Validate.
func Load(path string, environ []string) (*Config, error) {
	c, err := load(path, environ)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// LoadAndValidate is Load then Validate in one pass: malformed values and
// missing settings are reported together, each named by its key. serve and
// check both use it, so check passes exactly what serve accepts.
func LoadAndValidate(path string, environ []string) (*Config, error) {
	c, err := load(path, environ)
	if c == nil {
		return nil, err
	}
	if verr := c.Validate(); verr != nil {
		if err == nil {
			return nil, verr
		}
		// Both start with "config: "; keep one.
		return nil, fmt.Errorf("%w\n%s", err, strings.TrimPrefix(verr.Error(), "config: "))
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// load returns the configuration with every well-formed value applied (nil
// only when the file cannot be read) and the errors of the others.
func load(path string, environ []string) (*Config, error) {
	values := make(map[string]string)
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("config: %s does not exist (create it with `bliss example-config > %s`)", path, path)
			}
			return nil, fmt.Errorf("config: %w", err)
		}
		fileVals, err := ParseEnvFile(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
		for k, v := range fileVals {
			values[k] = v
		}
	}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, "BLISS_") {
			values[k] = v
		}
	}
	return fromValues(values)
}

// inlineCommentRE finds a " # comment" that systemd's EnvironmentFile=
// (and so bliss) keeps as part of the value.
var inlineCommentRE = regexp.MustCompile(`\s[#;]`)

func fromValues(values map[string]string) (*Config, error) {
	c := Defaults()
	var errs []error
	known := make(map[string]bool)
	for _, o := range options() {
		known[o.key] = true
		if o.secret {
			known[o.key+"_FILE"] = true
		}
		v, ok := values[o.key]
		if o.secret {
			if file, fok := values[o.key+"_FILE"]; fok && file != "" {
				if ok && v != "" {
					errs = append(errs, fmt.Errorf("%s and %s_FILE are both set: keep one", o.key, o.key))
					continue
				}
				s, err := readSecretFile(file)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s_FILE: %w", o.key, err))
					continue
				}
				v, ok = s, true
			}
		}
		// An empty value means "unset", so the example file's blank keys load.
		if !ok || strings.TrimSpace(v) == "" {
			continue
		}
		if inlineCommentRE.MatchString(v) {
			shown := fmt.Sprintf("%s=%q", o.key, v)
			if o.secret {
				shown = o.key + " (value not shown)"
			}
			c.Warnings = append(c.Warnings, shown+": a trailing comment is part of the value (put comments on their own line)")
		}
		if err := o.set(c, v); err != nil {
			shown := v
			if o.secret {
				shown = redacted
			}
			errs = append(errs, fmt.Errorf("%s=%q: %w", o.key, shown, err))
		}
	}
	for k := range values {
		if strings.HasPrefix(k, "BLISS_") && !known[k] {
			errs = append(errs, fmt.Errorf("%s: unknown setting", k))
		}
	}
	if host, _, err := net.SplitHostPort(c.HTTPAddr); err == nil && allInterfaces(host) {
		c.Warnings = append(c.Warnings, fmt.Sprintf("BLISS_HTTP_ADDR=%q listens on all interfaces: /healthz and /metrics have no authentication (use 127.0.0.1:PORT)", c.HTTPAddr))
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// allInterfaces reports whether a listen host means every interface.
func allInterfaces(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

// Validate reports every problem at once. Missing required settings are
// named by their keys.
func (c *Config) Validate() error {
	var errs []error
	missing := func(key, why string) { errs = append(errs, fmt.Errorf("%s is required (%s)", key, why)) }
	if !c.NitradoToken.IsSet() {
		missing("BLISS_NITRADO_TOKEN", "Nitrado long-life token")
	}
	master := c.Bots[BotMaster]
	if !master.Token.IsSet() {
		missing("BLISS_MASTER_TOKEN", "the Master bot's token")
	}
	for _, b := range Bots() {
		bc := c.Bots[b]
		key := "BLISS_" + strings.ToUpper(string(b))
		if bc.Token.IsSet() && bc.AppID == "" {
			missing(key+"_APP_ID", "the application id of the bot whose token is set")
		}
		if b == BotMaster && bc.AppID == "" && !bc.Token.IsSet() {
			missing(key+"_APP_ID", "the Master bot's application id")
		}
	}
	if len(c.GuildIDs) == 0 && !c.GlobalCommands {
		missing("BLISS_GUILD_IDS", "comma-separated Discord guild ids, or set BLISS_GLOBAL_COMMANDS=true")
	}
	if !filepath.IsAbs(c.StateDir) {
		errs = append(errs, fmt.Errorf("BLISS_STATE_DIR=%q: must be an absolute path", c.StateDir))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// ConfiguredBots returns the bots that have a token, in display order.
func (c *Config) ConfiguredBots() []Bot {
	var out []Bot
	for _, b := range Bots() {
		if c.Bots[b].Token.IsSet() {
			out = append(out, b)
		}
	}
	return out
}

// option is one configuration key: its default, help text and parser.
type option struct {
	key    string
	def    string
	help   string
	secret bool
	set    func(c *Config, v string) error
}

func options() []option {
	opts := []option{
		{key: "BLISS_STATE_DIR", def: "/var/lib/bliss", help: "Directory for bliss.db (SQLite), state.db (bbolt), backups and temporary save downloads.",
			set: func(c *Config, v string) error { c.StateDir = filepath.Clean(v); return nil }},
		{key: "BLISS_HTTP_ADDR", def: "127.0.0.1:8089", help: "Listen address for /healthz and /metrics. Keep it on localhost.",
			set: func(c *Config, v string) error {
				if _, _, err := net.SplitHostPort(v); err != nil {
					return errors.New("want host:port")
				}
				c.HTTPAddr = v
				return nil
			}},
		{key: "BLISS_LOG_LEVEL", def: "info", help: "debug, info, warn or error.",
			set: func(c *Config, v string) error {
				switch strings.ToLower(v) {
				case "debug", "info", "warn", "error":
					c.LogLevel = strings.ToLower(v)
					return nil
				}
				return errors.New("want debug, info, warn or error")
			}},
		{key: "BLISS_LOG_FORMAT", def: "text", help: "text or json. Timestamps are left to journald when running under systemd.",
			set: func(c *Config, v string) error {
				switch strings.ToLower(v) {
				case "text", "json":
					c.LogFormat = strings.ToLower(v)
					return nil
				}
				return errors.New("want text or json")
			}},
		{key: "BLISS_NITRADO_TOKEN", secret: true, help: "Nitrado long-life API token (required). Or BLISS_NITRADO_TOKEN_FILE=/path.",
			set: func(c *Config, v string) error { c.NitradoToken = Secret(v); return nil }},
		{key: "BLISS_NITRADO_URL", def: "https://api.nitrado.net", help: "Nitrado API base URL.",
			set: func(c *Config, v string) error {
				if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
					return errors.New("want an http(s) URL")
				}
				c.NitradoURL = strings.TrimRight(v, "/")
				return nil
			}},
		{key: "BLISS_NITRADO_RATE", def: "1", help: "Client-side limit on Nitrado requests per second.",
			set: func(c *Config, v string) error { return setFloat(&c.NitradoRate, v, 0.01, 100) }},
		{key: "BLISS_NITRADO_PING_INTERVAL", def: "5m", help: "How often to poll Nitrado /ping while it is degraded.",
			set: func(c *Config, v string) error { return setDuration(&c.PingInterval, v, time.Second) }},
		{key: "BLISS_CACHE_TTL", def: "5m", help: "How long server details from Nitrado are cached before a refresh.",
			set: func(c *Config, v string) error { return setDuration(&c.CacheTTL, v, time.Second) }},
		{key: "BLISS_JOB_DEADLINE", def: "45m", help: "Longest run of a scheduled job (a save parse of a 1 GiB save included); a run past it fails and the next starts on time.",
			set: func(c *Config, v string) error { return setDuration(&c.JobDeadline, v, time.Minute) }},
	}
	for _, b := range Bots() {
		b := b
		up := strings.ToUpper(string(b))
		opts = append(opts,
			option{key: "BLISS_" + up + "_TOKEN", secret: true,
				help: botName(b) + " bot token" + map[bool]string{true: " (required).", false: " (optional: the bot is skipped without it)."}[b == BotMaster],
				set: func(c *Config, v string) error {
					bc := c.Bots[b]
					bc.Token = Secret(v)
					c.Bots[b] = bc
					return nil
				}},
			option{key: "BLISS_" + up + "_APP_ID", help: botName(b) + " bot application id.",
				set: func(c *Config, v string) error {
					if err := checkSnowflake(v); err != nil {
						return err
					}
					bc := c.Bots[b]
					bc.AppID = v
					c.Bots[b] = bc
					return nil
				}})
	}
	opts = append(opts,
		option{key: "BLISS_GUILD_IDS", help: "Comma-separated Discord guild ids whose commands are registered instantly.",
			set: func(c *Config, v string) error { return setIDs(&c.GuildIDs, v) }},
		option{key: "BLISS_DISCORD_URL", help: "Discord API endpoint; leave empty for discord.com. Set only to point the bots at a Discord-compatible test server.",
			set: func(c *Config, v string) error {
				if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
					return errors.New("want an http(s) URL")
				}
				c.DiscordURL = strings.TrimRight(v, "/")
				return nil
			}},
		option{key: "BLISS_GLOBAL_COMMANDS", def: "false", help: "Register commands globally instead of per guild (takes up to an hour to appear).",
			set: func(c *Config, v string) error { return setBool(&c.GlobalCommands, v) }},
		option{key: "BLISS_STAFF_ROLE_IDS", help: "Comma-separated role ids allowed to run admin commands in every guild (per-guild roles are set with /setup).",
			set: func(c *Config, v string) error { return setIDs(&c.StaffRoleIDs, v) }},
		option{key: "BLISS_PARSE_SCHEDULE", def: "@hourly", help: "Cron schedule of the save parse (servers are staggered within it).",
			set: func(c *Config, v string) error { return setSchedule(&c.ParseSchedule, v) }},
		option{key: "BLISS_PARSE_CONCURRENCY", def: "1", help: "How many saves may be parsed at once.",
			set: func(c *Config, v string) error { return setInt(&c.ParseConcurrency, v, 1, 16) }},
		option{key: "BLISS_PARSE_WORKERS", def: "0", help: "Decoder workers per parse (0 = number of CPUs).",
			set: func(c *Config, v string) error { return setInt(&c.ParseWorkers, v, 0, 256) }},
		option{key: "BLISS_BACKUP_SCHEDULE", def: "0 4 * * *", help: "Cron schedule of the SQLite backup (VACUUM INTO).",
			set: func(c *Config, v string) error { return setSchedule(&c.BackupSchedule, v) }},
		option{key: "BLISS_BACKUP_KEEP", def: "7", help: "How many backups to keep.",
			set: func(c *Config, v string) error { return setInt(&c.BackupKeep, v, 1, 1000) }},
		option{key: "BLISS_CHAT_POLL", def: "2s", help: "How often the chat bridge polls GetChat on each server.",
			set: func(c *Config, v string) error { return setDuration(&c.ChatPoll, v, time.Second) }},
		option{key: "BLISS_SHUTDOWN_TIMEOUT", def: "20s", help: "Shutdown budget, at most 25s: bliss.service stops the process after TimeoutStopSec=30s.",
			set: func(c *Config, v string) error {
				if err := setDuration(&c.ShutdownTimeout, v, time.Second); err != nil {
					return err
				}
				if c.ShutdownTimeout > MaxShutdownTimeout {
					return fmt.Errorf("must be at most %s: bliss.service's TimeoutStopSec=30s kills the process after that (raise both together)", MaxShutdownTimeout)
				}
				return nil
			}},
	)
	return opts
}

// MaxShutdownTimeout keeps the shutdown budget under bliss.service's
// TimeoutStopSec=30s, with room for closing storage.
const MaxShutdownTimeout = 25 * time.Second

// setSchedule accepts what the scheduler accepts: a standard 5-field cron
// spec ("0 4 * * *") or a descriptor (@hourly, @daily, @every 30m).
func setSchedule(dst *string, v string) error {
	if _, err := cron.ParseStandard(v); err != nil {
		return fmt.Errorf("want a cron schedule like \"0 4 * * *\", @hourly or \"@every 30m\" (%v)", err)
	}
	*dst = v
	return nil
}

func botName(b Bot) string {
	switch b {
	case BotMaster:
		return "Master"
	case BotServer:
		return "Server management"
	case BotAP:
		return "Activity Points"
	case BotGP:
		return "Guardian Points"
	case BotTicket:
		return "Tickets"
	case BotAssistant:
		return "Assistant"
	}
	return string(b)
}

// Name is the bot's display name.
func (b Bot) Name() string { return botName(b) }

func setDuration(dst *time.Duration, v string, min time.Duration) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return errors.New("want a duration like 30s, 5m or 1h")
	}
	if d < min {
		return fmt.Errorf("must be at least %s", min)
	}
	*dst = d
	return nil
}

func setInt(dst *int, v string, min, max int) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return fmt.Errorf("want a whole number from %d to %d", min, max)
	}
	*dst = n
	return nil
}

func setFloat(dst *float64, v string, min, max float64) error {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < min || f > max {
		return fmt.Errorf("want a number from %g to %g", min, max)
	}
	*dst = f
	return nil
}

func setBool(dst *bool, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("want true or false")
	}
	*dst = b
	return nil
}

func setIDs(dst *[]string, v string) error {
	var ids []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if err := checkSnowflake(p); err != nil {
			return err
		}
		ids = append(ids, p)
	}
	*dst = ids
	return nil
}

func checkSnowflake(v string) error {
	if len(v) < 15 || len(v) > 21 {
		return errors.New("want a Discord id (15-21 digits)")
	}
	if _, err := strconv.ParseUint(v, 10, 64); err != nil {
		return errors.New("want a Discord id (digits only)")
	}
	return nil
}
