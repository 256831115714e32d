package config

import (
	"fmt"
	"io"
	"strings"
)

// WriteExample writes a commented configuration file with every key and its
// default, in the format Load reads.
func WriteExample(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Bliss configuration (/etc/bliss/bliss.env, mode 0600).\n")
	b.WriteString("# KEY=VALUE lines as systemd's EnvironmentFile= reads them. BLISS_* environment\n")
	b.WriteString("# variables override this file. Every secret can instead be read from a file:\n")
	b.WriteString("# BLISS_NITRADO_TOKEN_FILE=/etc/bliss/creds/nitrado (for systemd LoadCredential=).\n")
	b.WriteString("# Check it with: bliss check -config /etc/bliss/bliss.env\n")
	for _, o := range options() {
		b.WriteString("\n")
		for _, line := range wrap(o.help, 76) {
			b.WriteString("# " + line + "\n")
		}
		if o.def != "" {
			fmt.Fprintf(&b, "#%s=%s\n", o.key, o.def)
		} else {
			fmt.Fprintf(&b, "%s=\n", o.key)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Keys lists every configuration key with its default and help, for docs.
func Keys() [][3]string {
	var out [][3]string
	for _, o := range options() {
		out = append(out, [3]string{o.key, o.def, o.help})
	}
	return out
}

func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
