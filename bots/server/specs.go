package server

import "github.com/bwmarrin/discordgo"

const (
	optServer  = "server"
	optPlayer  = "player"
	optReason  = "reason"
	optMessage = "message"
	optCommand = "command"
	optMinutes = "minutes"
	optHours   = "hours"
	optSearch  = "search"
	optName    = "name"
	optTribe   = "tribe"
	optSpecies = "species"
	optLevel   = "min_level"
	optWithin  = "within"
	optMap     = "map"
	optDays    = "days"
)

type opt = discordgo.ApplicationCommandOption

func serverOpt(required bool, desc string) *opt {
	if desc == "" {
		desc = "A server, a cluster, or all servers"
	}
	return &opt{Type: discordgo.ApplicationCommandOptionString, Name: optServer, Description: desc,
		Required: required, Autocomplete: true, MaxLength: 64}
}

func playerOpt() *opt {
	return &opt{Type: discordgo.ApplicationCommandOptionString, Name: optPlayer, Description: "Player (name or EOS id)",
		Required: true, Autocomplete: true, MaxLength: 64}
}

func textOpt(name, desc string, required bool, maxLen int) *opt {
	return &opt{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: desc, Required: required,
		MaxLength: maxLen}
}

func intOpt(name, desc string, minV, maxV float64) *opt {
	return &opt{Type: discordgo.ApplicationCommandOptionInteger, Name: name, Description: desc, MinValue: &minV, MaxValue: maxV}
}

func cmd(name, desc string, opts ...*opt) *discordgo.ApplicationCommand {
	return &discordgo.ApplicationCommand{Name: name, Description: desc, DMPermission: ptr(false), Options: opts}
}

func sub(name, desc string, opts ...*opt) *opt {
	return &opt{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: desc, Options: opts}
}

func rconSpec() *discordgo.ApplicationCommand {
	return cmd("rcon", "Run an RCON command on a server (or all)", serverOpt(true, ""),
		textOpt(optCommand, "The command (one line)", true, 500))
}

func playersSpec() *discordgo.ApplicationCommand {
	return cmd("players", "Who is online, per server", serverOpt(false, ""))
}

func broadcastSpec() *discordgo.ApplicationCommand {
	return cmd("broadcast", "Show a message in the middle of every player's screen",
		textOpt(optMessage, "Message", true, 180), serverOpt(false, ""))
}

func saySpec() *discordgo.ApplicationCommand {
	return cmd("say", "Say something in the in-game chat as the server",
		textOpt(optMessage, "Message", true, 180), serverOpt(false, ""))
}

func kickSpec() *discordgo.ApplicationCommand {
	return cmd("kick", "Kick a player", playerOpt(), serverOpt(false, ""), textOpt(optReason, "Reason", false, 200))
}

func banSpec() *discordgo.ApplicationCommand {
	return cmd("ban", "Ban a player", playerOpt(), textOpt(optReason, "Reason", true, 200), serverOpt(false, ""))
}

func unbanSpec() *discordgo.ApplicationCommand {
	return cmd("unban", "Lift a ban", playerOpt(), serverOpt(false, ""))
}

func saveworldSpec() *discordgo.ApplicationCommand {
	return cmd("saveworld", "Save the world now", serverOpt(false, ""))
}

func serverSpec() *discordgo.ApplicationCommand {
	countdown := func(name, desc string) *opt {
		return sub(name, desc, serverOpt(true, ""), intOpt(optMinutes, "Countdown in minutes (default 5)", 0, 60),
			textOpt(optReason, "Reason (shown in game)", false, 120))
	}
	return cmd("server", "Nitrado server control",
		sub("info", "Details of one server", serverOpt(true, "Server")),
		sub("status", "All servers at a glance"),
		sub("stats", "Players, CPU and memory from Nitrado", serverOpt(true, "Server"), intOpt(optHours, "Hours back (default 24)", 1, 168)),
		countdown("restart", "Restart after an in-game countdown"),
		countdown("stop", "Stop after an in-game countdown"),
		&opt{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "start", Description: "Start a stopped server",
			Options: []*opt{serverOpt(true, ""), textOpt(optReason, "Reason", false, 120)}},
		mapimageGroup(),
	)
}

func infoSpec() *discordgo.ApplicationCommand {
	tribeOpt := func(required bool) *opt {
		return &opt{Type: discordgo.ApplicationCommandOptionString, Name: optTribe, Description: "Tribe name",
			Required: required, Autocomplete: true, MaxLength: 40}
	}
	return cmd("info", "Save data of the last snapshot",
		sub("players", "Players in the save", textOpt(optSearch, "Name contains", false, 40)),
		sub("player", "One player", &opt{Type: discordgo.ApplicationCommandOptionString, Name: optName,
			Description: "Character or platform name", Required: true, Autocomplete: true, MaxLength: 40}),
		sub("tribes", "Tribes in the save", textOpt(optSearch, "Name contains", false, 40)),
		sub("tribe", "One tribe: members, dinos, bases", tribeOpt(true)),
		sub("dinos", "Tamed dinos", textOpt(optSpecies, "Species contains", false, 30), tribeOpt(false),
			intOpt(optLevel, "Minimum level", 1, 10000)),
		sub("bases", "Bases, with a map per server", serverOpt(false, "Only this server or cluster"), tribeOpt(false),
			&opt{Type: discordgo.ApplicationCommandOptionBoolean, Name: optMap, Description: "Attach the base map (default yes)"}),
		sub("decay", "Bases by time to decay, with a decay map (staff)", serverOpt(false, "Only this server or cluster"),
			intOpt(optWithin, "Decaying within hours (default 72)", 1, 720),
			&opt{Type: discordgo.ApplicationCommandOptionBoolean, Name: optMap, Description: "Attach the decay map (default yes)"}),
		sub("structures", "Structures of a tribe", tribeOpt(true)),
		sub("online", "Who is online, with a chart of players online", serverOpt(false, "Only this server or cluster"),
			intOpt(optHours, "Chart hours back (default 24)", 1, 168)),
		sub("playtime", "A player's time online", playerOpt(), intOpt(optDays, "Days back (default 30)", 1, 365)),
	)
}
