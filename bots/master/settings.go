package master

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
)

// logHelp is the /config help line of each log channel kind.
var logHelp = map[string]string{
	"admin":     "Staff actions: RCON, kicks, bans, restarts, point adjustments",
	"join":      "Players joining and leaving the game servers",
	"tribe":     "Tribe log lines from the game servers",
	"deaths":    "Player and tame deaths",
	"chat":      "In-game chat, all servers",
	"tickets":   "Ticket transcripts and automatic tickets",
	"donations": "Donations received",
	"orders":    "Shop orders and their delivery",
}

// Settings are the Master bot's per-guild settings: staff roles, the two
// categories and one log channel per bots.LogKinds() kind. Their storage
// keys predate the registry (bots.KeyStaffRoles, bots.LogSettingKey).
func Settings() []bots.Setting {
	out := []bots.Setting{
		{Key: bots.KeyStaffRoles, Kind: bots.SettingRoles, Help: "Roles that may run staff commands (Administrators always may)"},
		{Key: bots.KeyChatBridgeCategory, Kind: bots.SettingCategory, Help: "Category holding the in-game chat bridge channels. Bliss must be the only tool reading GetChat on these servers: another reader takes lines away"},
		{Key: bots.KeyTicketCategory, Kind: bots.SettingCategory, Help: "Category new tickets open in"},
	}
	for _, k := range bots.LogKinds() {
		out = append(out, bots.Setting{Key: bots.LogSettingKey(k), Kind: bots.SettingChannel,
			Help: cmp.Or(logHelp[k], "Log channel: "+k)})
	}
	return out
}

// aliases are the /config keys of earlier versions.
func aliases() map[string]string {
	m := map[string]string{"staff_roles": bots.KeyStaffRoles}
	for _, k := range bots.LogKinds() {
		m["log_"+k] = bots.LogSettingKey(k)
	}
	return m
}

// registry is every declared setting (all bots), or the Master's own.
func (m *master) registry() []bots.Setting {
	if m.Settings != nil {
		if s := m.Settings.Settings(); len(s) > 0 {
			return s
		}
	}
	return Settings()
}

// lookup finds a declared setting by key or old alias.
func (m *master) lookup(key string) (bots.Setting, bool) {
	key = strings.ToLower(strings.TrimSpace(key))
	if k, ok := aliases()[key]; ok {
		key = k
	}
	for _, s := range m.registry() {
		if s.Key == key {
			return s, true
		}
	}
	return bots.Setting{}, false
}

// selectable reports whether /setup offers a select menu for s.
func selectable(s bots.Setting) bool {
	switch s.Kind {
	case bots.SettingRole, bots.SettingRoles, bots.SettingChannel, bots.SettingCategory:
		return true
	}
	return false
}

// show renders a stored value for an embed.
func show(s bots.Setting, v string) string {
	if v == "" {
		return "not set"
	}
	switch s.Kind {
	case bots.SettingRole, bots.SettingRoles:
		var ms []string
		for _, id := range strings.Split(v, ",") {
			ms = append(ms, "<@&"+id+">")
		}
		return strings.Join(ms, " ")
	case bots.SettingChannel, bots.SettingCategory:
		return "<#" + v + ">"
	}
	return "`" + bots.SanitizeChat(v, 100) + "`"
}

// settingLine is one setting in /config view and /setup.
func settingLine(s bots.Setting, gs bots.GuildSettings) string {
	v := gs.Values[s.Key]
	if s.Key == bots.KeyStaffRoles {
		v = strings.Join(gs.StaffRoleIDs, ",") // includes BLISS_STAFF_ROLE_IDS
	}
	line := "`" + s.Key + "` " + show(s, v)
	if v == "" && s.Default != "" {
		line = "`" + s.Key + "` " + show(s, s.Default) + " (default)"
	} else if s.Default != "" {
		line += " (default " + show(s, s.Default) + ")"
	}
	if s.Help != "" {
		line += "\n  " + s.Help
	}
	return line
}

// settingFields packs lines into embed fields of at most 1024 bytes.
func settingFields(title string, lines []string) []embed.Field {
	var out []embed.Field
	var cur strings.Builder
	flush := func() {
		if cur.Len() == 0 {
			return
		}
		name := title
		if len(out) > 0 {
			name = title + " (cont.)"
		}
		out = append(out, embed.Field{Name: name, Value: cur.String()})
		cur.Reset()
	}
	for _, l := range lines {
		if len(l) > 1000 {
			l = l[:1000]
		}
		if cur.Len()+len(l)+1 > 1024 {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(l)
	}
	flush()
	return out
}

// ---- /config ----

func (m *master) configView(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	gs, err := m.Store.GuildSettings(ctx, c.GuildID)
	if err != nil {
		return nil, fmt.Errorf("config: load settings: %w", err)
	}
	servers, err := m.Store.Servers(ctx, c.GuildID)
	if err != nil {
		return nil, fmt.Errorf("config: list servers: %w", err)
	}
	var lines []string
	for _, s := range m.registry() {
		lines = append(lines, settingLine(s, gs))
	}
	b := embed.New().Title("Bliss settings").Description("Change one with `/config set`, or pick roles and channels in `/setup`.").
		Fields(settingFields("Settings", lines)...).
		Field("Servers", fmt.Sprintf("%d linked (see /servers list)", len(servers)), false)
	return bots.Reply(b.Embed()), nil
}

var idInValueRE = regexp.MustCompile(`\d{15,20}`)

// parseIDs extracts snowflakes from mentions (<@&id>, <#id>) or raw ids.
func parseIDs(v string) []string { return validIDs(idInValueRE.FindAllString(v, 30), 25) }

// resolve turns what a user typed into the stored value of s: mentions
// become ids, "none" clears. The result is checked with s.Check.
func resolve(s bots.Setting, typed string) (string, error) {
	typed = strings.TrimSpace(typed)
	if strings.EqualFold(typed, "none") || typed == "" {
		return "", nil
	}
	v := typed
	if selectable(s) {
		ids := parseIDs(typed)
		if len(ids) == 0 {
			return "", bots.Errorf("%q holds no role or channel; mention it (#channel, @role), give its id, or say none", bots.SanitizeChat(typed, 100))
		}
		v = ids[0]
		if s.Kind == bots.SettingRoles {
			v = strings.Join(ids, ",")
		}
	}
	if err := s.Check(v); err != nil {
		return "", bots.Errorf("%s", err.Error())
	}
	return v, nil
}

func (m *master) configSet(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	key := c.String("key")
	s, ok := m.lookup(key)
	if !ok {
		var keys []string
		for _, s := range m.registry() {
			keys = append(keys, s.Key)
		}
		return nil, bots.Errorf("unknown setting %q; choose one of: %s", bots.SanitizeChat(key, 40), strings.Join(keys, ", "))
	}
	v, err := resolve(s, c.String("value"))
	if err != nil {
		return nil, err
	}
	gs, err := m.Store.GuildSettings(ctx, c.GuildID)
	if err != nil {
		return nil, fmt.Errorf("config: load settings: %w", err)
	}
	gs.GuildID = c.GuildID
	gs.Set(s.Key, v)
	if err := m.Store.SaveGuildSettings(ctx, gs); err != nil {
		return nil, fmt.Errorf("config: save settings: %w", err)
	}
	return bots.Reply(embed.Success("Saved", "`"+s.Key+"` = "+show(s, v))), nil
}

func (m *master) configAutocomplete(_ context.Context, _ *bots.Ctx, focused *discordgo.ApplicationCommandInteractionDataOption) ([]*discordgo.ApplicationCommandOptionChoice, error) {
	typed, _ := focused.Value.(string)
	typed = strings.ToLower(typed)
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, s := range m.registry() {
		if typed != "" && !strings.Contains(s.Key, typed) && !strings.Contains(strings.ToLower(s.Help), typed) {
			continue
		}
		name := s.Key
		if s.Help != "" {
			name += " — " + s.Help
		}
		if len(name) > 100 {
			name = name[:97] + "..."
		}
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: name, Value: s.Key})
		if len(out) == 25 {
			break
		}
	}
	return out, nil
}

// ---- /setup ----

// setupPerPage is how many select menus a /setup page holds (Discord
// allows five rows; one is the navigation).
const setupPerPage = 4

func (m *master) setup(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	return m.renderSetup(ctx, c, 0)
}

// setupPages splits the selectable settings into pages.
func (m *master) setupPages() [][]bots.Setting {
	var pages [][]bots.Setting
	var cur []bots.Setting
	for _, s := range m.registry() {
		if !selectable(s) {
			continue
		}
		cur = append(cur, s)
		if len(cur) == setupPerPage {
			pages, cur = append(pages, cur), nil
		}
	}
	if len(cur) > 0 || len(pages) == 0 {
		pages = append(pages, cur)
	}
	return pages
}

func (m *master) setupComponent(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	action, arg, _ := strings.Cut(c.Args, ":")
	switch action {
	case "page":
		num, _, _ := strings.Cut(arg, ":") // "n" or "n:r" (refresh)
		n, _ := strconv.Atoi(num)
		return m.renderSetup(ctx, c, n)
	case "set":
	default:
		return nil, bots.Errorf("this setup control is no longer valid; run /setup again")
	}
	s, ok := m.lookup(arg)
	if !ok || !selectable(s) {
		return nil, bots.Errorf("this setup control is no longer valid; run /setup again")
	}
	ids := validIDs(c.Values, 25)
	v := strings.Join(ids, ",")
	if s.Kind != bots.SettingRoles {
		v = firstID(c.Values)
	}
	if err := s.Check(v); err != nil {
		return nil, bots.Errorf("%s", err.Error())
	}
	gs, err := m.Store.GuildSettings(ctx, c.GuildID)
	if err != nil {
		return nil, fmt.Errorf("setup: load settings: %w", err)
	}
	gs.GuildID = c.GuildID
	gs.Set(s.Key, v)
	if err := m.Store.SaveGuildSettings(ctx, gs); err != nil {
		return nil, fmt.Errorf("setup: save settings: %w", err)
	}
	page := 0
	for i, p := range m.setupPages() {
		for _, ps := range p {
			if ps.Key == s.Key {
				page = i
			}
		}
	}
	return m.renderSetup(ctx, c, page)
}

func (m *master) renderSetup(ctx context.Context, c *bots.Ctx, page int) (*bots.Response, error) {
	gs, err := m.Store.GuildSettings(ctx, c.GuildID)
	if err != nil {
		return nil, fmt.Errorf("setup: load settings: %w", err)
	}
	pages := m.setupPages()
	page = min(max(page, 0), len(pages)-1)
	b := embed.New().Title("Bliss setup").
		Description("Invite the missing bots, then pick staff roles, categories and channels below. Changes are saved immediately; other settings: `/config view`.")
	b.Field("Bots", m.botLines(c.GuildID), false)
	var lines []string
	for _, s := range pages[page] {
		lines = append(lines, settingLine(s, gs))
	}
	b.Fields(settingFields(fmt.Sprintf("Settings (page %d/%d)", page+1, len(pages)), lines)...)
	if len(gs.StaffRoleIDs) == 0 {
		b.Footer("No staff roles yet: only Administrators can use staff commands.")
	}
	resp := &bots.Response{Embeds: []*discordgo.MessageEmbed{b.Embed()}, Update: c.CustomID != "", Ephemeral: true}
	for _, s := range pages[page] {
		resp.Components = append(resp.Components, settingSelect(s, gs))
	}
	nav := []discordgo.MessageComponent{
		discordgo.Button{Label: "Previous", Style: discordgo.SecondaryButton, CustomID: fmt.Sprintf("setup:page:%d", page-1), Disabled: page == 0},
		discordgo.Button{Label: "Next", Style: discordgo.PrimaryButton, CustomID: fmt.Sprintf("setup:page:%d", page+1), Disabled: page == len(pages)-1},
		discordgo.Button{Label: "Refresh", Style: discordgo.SecondaryButton, CustomID: fmt.Sprintf("setup:page:%d:r", page)},
	}
	resp.Components = append(resp.Components, discordgo.ActionsRow{Components: nav})
	return resp, nil
}

// settingSelect is the select menu of one role/channel setting.
func settingSelect(s bots.Setting, gs bots.GuildSettings) discordgo.ActionsRow {
	placeholder := s.Key
	if s.Help != "" {
		placeholder = s.Help
	}
	if len(placeholder) > 150 {
		placeholder = placeholder[:150]
	}
	sm := discordgo.SelectMenu{CustomID: "setup:set:" + s.Key, Placeholder: placeholder, MinValues: ptr(0), MaxValues: 1}
	current := gs.Values[s.Key]
	switch s.Kind {
	case bots.SettingRole, bots.SettingRoles:
		sm.MenuType = discordgo.RoleSelectMenu
		if s.Kind == bots.SettingRoles {
			sm.MaxValues = 10
		}
		for _, id := range strings.Split(current, ",") {
			if id != "" {
				sm.DefaultValues = append(sm.DefaultValues, discordgo.SelectMenuDefaultValue{ID: id, Type: discordgo.SelectMenuDefaultValueRole})
			}
		}
	default:
		sm.MenuType = discordgo.ChannelSelectMenu
		sm.ChannelTypes = []discordgo.ChannelType{discordgo.ChannelTypeGuildText}
		if s.Kind == bots.SettingCategory {
			sm.ChannelTypes = []discordgo.ChannelType{discordgo.ChannelTypeGuildCategory}
		}
		if current != "" {
			sm.DefaultValues = []discordgo.SelectMenuDefaultValue{{ID: current, Type: discordgo.SelectMenuDefaultValueChannel}}
		}
	}
	return discordgo.ActionsRow{Components: []discordgo.MessageComponent{sm}}
}
