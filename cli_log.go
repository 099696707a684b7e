package main

import (
	"fmt"
	"io"
)

// textLogger logs to a terminal or a cron mail.
type textLogger struct{ w io.Writer }

func (l *textLogger) Infof(format string, args ...any) { fmt.Fprintf(l.w, format+"\n", args...) }
func (l *textLogger) Warningf(format string, args ...any) {
	fmt.Fprintf(l.w, "warning: "+format+"\n", args...)
}
func (l *textLogger) Group(title string) { fmt.Fprintf(l.w, "== %s\n", title) }
func (l *textLogger) EndGroup()          {}

// AddMask does nothing: tokens are never printed, and a terminal has no
// masking to ask for.
func (l *textLogger) AddMask(string) {}
