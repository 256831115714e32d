package config

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// ParseEnvFile reads KEY=VALUE lines in the syntax systemd's EnvironmentFile=
// accepts: blank lines and lines starting with # or ; are skipped, values may
// be wrapped in single or double quotes, and a trailing backslash continues a
// line. It returns the pairs in file order; later duplicates win.
func ParseEnvFile(r io.Reader) (map[string]string, error) {
	out := make(map[string]string)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	lineNo := 0
	var pending strings.Builder
	startLine := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if pending.Len() == 0 {
			startLine = lineNo
			trimmed := strings.TrimSpace(line)
			if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
				continue
			}
		}
		if strings.HasSuffix(line, `\`) && !strings.HasSuffix(line, `\\`) {
			pending.WriteString(strings.TrimSuffix(line, `\`))
			continue
		}
		pending.WriteString(line)
		full := pending.String()
		pending.Reset()
		key, val, err := parseLine(full)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", startLine, err)
		}
		out[key] = val
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	if pending.Len() > 0 {
		key, val, err := parseLine(pending.String())
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", startLine, err)
		}
		out[key] = val
	}
	return out, nil
}

func parseLine(line string) (string, string, error) {
	line = strings.TrimSpace(line)
	key, val, ok := strings.Cut(line, "=")
	if !ok {
		return "", "", fmt.Errorf("expected KEY=VALUE, got %q", truncate(line, 40))
	}
	key = strings.TrimSpace(key)
	if !validKey(key) {
		return "", "", fmt.Errorf("invalid key %q", truncate(key, 40))
	}
	val = strings.TrimSpace(val)
	if len(val) >= 2 {
		if q := val[0]; (q == '"' || q == '\'') && val[len(val)-1] == q {
			val = val[1 : len(val)-1]
			if q == '"' {
				val = unescapeDouble(val)
			}
		}
	}
	return key, val, nil
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func unescapeDouble(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
