package bots

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Discord's command/option name rule (interactions/application-commands.mdx).
var commandNameRE = regexp.MustCompile(`^[-_'\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

// ValidateCommands checks specs against Discord's rules: names (regex,
// lowercase, unique), descriptions 1-100, ≤ 100 chat-input commands, ≤ 25
// options per level, subcommand nesting, required-before-optional, ≤ 25
// choices with names 1-100 and string values ≤ 100, no choices with
// autocomplete, and 8000 characters per command. It returns all problems.
func ValidateCommands(cmds []*discordgo.ApplicationCommand) error {
	var errs []error
	names := map[string]bool{}
	chat := 0
	for _, c := range cmds {
		if c == nil {
			errs = append(errs, errors.New("nil command"))
			continue
		}
		key := fmt.Sprint(c.Type, c.Name)
		if names[key] {
			errs = append(errs, fmt.Errorf("command %q: duplicate", c.Name))
		}
		names[key] = true
		if c.Type == 0 || c.Type == discordgo.ChatApplicationCommand {
			chat++
			checkName(&errs, "command", c.Name)
			checkDesc(&errs, "command "+c.Name, c.Description)
			checkOptions(&errs, "command "+c.Name, c.Options, 0)
		} else if c.Description != "" {
			errs = append(errs, fmt.Errorf("command %q: user/message commands have no description", c.Name))
		}
		if n := commandSize(c); n > 8000 {
			errs = append(errs, fmt.Errorf("command %q: %d characters, max 8000", c.Name, n))
		}
	}
	if chat > 100 {
		errs = append(errs, fmt.Errorf("%d chat commands, max 100", chat))
	}
	return errors.Join(errs...)
}

func checkName(errs *[]error, what, name string) {
	if !commandNameRE.MatchString(name) {
		*errs = append(*errs, fmt.Errorf("%s %q: invalid name", what, name))
	} else if strings.ToLower(name) != name {
		*errs = append(*errs, fmt.Errorf("%s %q: name must be lowercase", what, name))
	}
}

func checkDesc(errs *[]error, what, d string) {
	if n := utf8.RuneCountInString(d); n < 1 || n > 100 {
		*errs = append(*errs, fmt.Errorf("%s: description length %d, want 1-100", what, n))
	}
}

func checkOptions(errs *[]error, where string, opts []*discordgo.ApplicationCommandOption, depth int) {
	if len(opts) > 25 {
		*errs = append(*errs, fmt.Errorf("%s: %d options, max 25", where, len(opts)))
	}
	seen := map[string]bool{}
	optional := false
	subs, plain := 0, 0
	for _, o := range opts {
		if o == nil {
			*errs = append(*errs, fmt.Errorf("%s: nil option", where))
			continue
		}
		w := where + " option " + o.Name
		checkName(errs, "option", o.Name)
		checkDesc(errs, w, o.Description)
		if seen[o.Name] {
			*errs = append(*errs, fmt.Errorf("%s: duplicate", w))
		}
		seen[o.Name] = true
		switch o.Type {
		case discordgo.ApplicationCommandOptionSubCommandGroup:
			subs++
			if depth != 0 {
				*errs = append(*errs, fmt.Errorf("%s: group must be top level", w))
			}
			if len(o.Options) == 0 {
				*errs = append(*errs, fmt.Errorf("%s: empty group", w))
			}
			for _, s := range o.Options {
				if s != nil && s.Type != discordgo.ApplicationCommandOptionSubCommand {
					*errs = append(*errs, fmt.Errorf("%s: groups hold only subcommands", w))
				}
			}
			checkOptions(errs, w, o.Options, depth+1)
		case discordgo.ApplicationCommandOptionSubCommand:
			subs++
			if depth > 1 {
				*errs = append(*errs, fmt.Errorf("%s: subcommand nested too deep", w))
			}
			for _, s := range o.Options {
				if s != nil && (s.Type == discordgo.ApplicationCommandOptionSubCommand || s.Type == discordgo.ApplicationCommandOptionSubCommandGroup) {
					*errs = append(*errs, fmt.Errorf("%s: subcommands cannot nest", w))
				}
			}
			checkOptions(errs, w, o.Options, 2)
		default:
			plain++
			if o.Required && optional {
				*errs = append(*errs, fmt.Errorf("%s: required option after optional one", w))
			}
			if !o.Required {
				optional = true
			}
			checkChoices(errs, w, o)
			if o.MinLength != nil && (*o.MinLength < 0 || *o.MinLength > 6000) || o.MaxLength < 0 || o.MaxLength > 6000 {
				*errs = append(*errs, fmt.Errorf("%s: length bounds out of range", w))
			}
		}
	}
	if subs > 0 && plain > 0 {
		*errs = append(*errs, fmt.Errorf("%s: subcommands and plain options cannot be mixed", where))
	}
}

func checkChoices(errs *[]error, w string, o *discordgo.ApplicationCommandOption) {
	if len(o.Choices) > 25 {
		*errs = append(*errs, fmt.Errorf("%s: %d choices, max 25", w, len(o.Choices)))
	}
	if len(o.Choices) > 0 && o.Autocomplete {
		*errs = append(*errs, fmt.Errorf("%s: choices and autocomplete are exclusive", w))
	}
	for _, ch := range o.Choices {
		if ch == nil {
			*errs = append(*errs, fmt.Errorf("%s: nil choice", w))
			continue
		}
		if n := utf8.RuneCountInString(ch.Name); n < 1 || n > 100 {
			*errs = append(*errs, fmt.Errorf("%s: choice name length %d", w, n))
		}
		if s, ok := ch.Value.(string); ok && utf8.RuneCountInString(s) > 100 {
			*errs = append(*errs, fmt.Errorf("%s: choice value longer than 100", w))
		}
	}
}

// commandSize is Discord's 8000-character budget: names, descriptions,
// choice names and values, recursively.
func commandSize(c *discordgo.ApplicationCommand) int {
	n := utf8.RuneCountInString(c.Name) + utf8.RuneCountInString(c.Description)
	var walk func([]*discordgo.ApplicationCommandOption)
	walk = func(opts []*discordgo.ApplicationCommandOption) {
		for _, o := range opts {
			if o == nil {
				continue
			}
			n += utf8.RuneCountInString(o.Name) + utf8.RuneCountInString(o.Description)
			for _, ch := range o.Choices {
				if ch != nil {
					n += utf8.RuneCountInString(ch.Name) + utf8.RuneCountInString(fmt.Sprint(ch.Value))
				}
			}
			walk(o.Options)
		}
	}
	walk(c.Options)
	return n
}
